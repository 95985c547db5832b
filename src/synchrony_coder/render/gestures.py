"""Bids and responses drawn as gestures that last a moment from the event's onset.

Infant bids (default scheme): ``vocalize`` a music-note bubble, ``reach`` an arm raised towards the
caregiver, ``gaze`` a turn of the eyes to the caregiver with gaze lines, ``smile`` a smile with a
sparkle, ``fuss`` a crying face with distress strokes. Caregiver responses: ``verbal`` a speech
bubble and talking mouth, ``touch`` a hand reaching to the infant, ``imitate`` an open mouth with
echo arcs, ``soothe`` a stroking hand with calming waves, ``offer`` a hand holding out a toy block.
A code of another scheme shows a badge in the code's colour. A gesture has three stages (rising,
full, fading) so that it visibly starts at its onset frame.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .cartoon import INK, WHITE, Figure, Look
from .draw import Colour, Point, disc, oval, polygon, polyline, ring, segment, star

__all__ = ["ARM_RESPONSES", "caregiver_hand", "draw_gesture", "gesture_look"]

ARM_RESPONSES = ("touch", "soothe", "offer")  # responses whose arm reaches the infant

_AMPLITUDE = (0.55, 1.0, 0.8)
GOLD: Colour = (250, 190, 30)
NOTE: Colour = (40, 90, 170)


def gesture_look(fig: Figure, code: str, look: Look) -> Look:
    """How a gesture changes the face (a smile bid smiles, a fuss cries, ...)."""
    f = fig.facing
    if fig.partner == "infant":
        if code == "smile":
            return replace(look, mouth="smile", blush=True, tears=False, lids=min(look.lids, 0.2))
        if code == "fuss":
            return replace(look, mouth="cry", brows="sad", tears=True)
        if code == "gaze":
            return replace(look, gaze=(float(f), -0.05), turn=0.35 * f, lids=0.0)
        if code == "vocalize":
            return replace(look, mouth="o", gaze=(float(f), -0.05), turn=0.3 * f)
        if code == "reach":
            return replace(look, gaze=(float(f), -0.2), turn=0.3 * f)
        return look
    if code == "verbal":
        return replace(look, mouth="talk")
    if code == "imitate":
        return replace(look, mouth="o", brows="raised")
    if code in ("touch", "soothe", "offer"):
        return replace(look, gaze=(float(f), 0.45), turn=0.3 * f)
    return look


def _bubble(img, fig: Figure, a: float, content: str) -> None:
    f, r = fig.facing, fig.r
    up = 1.35 if fig.partner == "infant" else 1.45
    bx, by = fig.cx + f * 1.05 * r, fig.cy - up * r
    w, h = 0.5 * r * a + 0.1 * r, 0.32 * r * a + 0.06 * r
    if by - 0.38 * r < 2:  # a big close-up: the bubble goes beside the head, inside the frame
        bx, by = fig.cx + f * 1.45 * r, 0.4 * r + 2
    tail = [
        (bx - f * 0.15 * r, by + h * 0.6),
        (bx - f * 0.55 * r, by + 0.85 * r),
        (bx + f * 0.1 * r, by + h * 0.7),
    ]
    polygon(img, tail, WHITE)
    polyline(img, tail, INK, max(0.03 * r, 1.2))
    oval(img, (bx, by), (w, h), WHITE)
    oval(img, (bx, by), (w, h), INK, thickness=max(0.03 * r, 1.2))
    if content == "note":
        for k in (-1, 1):
            hx, hy = bx + k * 0.17 * r * a - 0.04 * r, by + 0.12 * r * a
            oval(img, (hx, hy), (0.08 * r * a, 0.06 * r * a), NOTE, angle=-20)
            segment(
                img,
                (hx + 0.07 * r * a, hy),
                (hx + 0.07 * r * a, hy - 0.3 * r * a),
                NOTE,
                max(0.035 * r, 1.2),
            )
        segment(
            img,
            (bx - 0.1 * r * a, by - 0.18 * r * a),
            (bx + 0.24 * r * a, by - 0.18 * r * a),
            NOTE,
            max(0.06 * r, 1.5),
        )
    else:  # speech: three dots
        for k in (-1, 0, 1):
            disc(img, (bx + k * 0.2 * r * a, by), 0.06 * r * a + 0.5, (70, 80, 100))


def _arm(img, fig: Figure, shoulder, hand, colour: Colour) -> None:
    r = fig.r
    reach = min(1.0, 1.1 * r / max(np.hypot(hand[0] - shoulder[0], hand[1] - shoulder[1]), 1e-9))
    k = min(0.5, reach)  # a long reach straightens the arm: the elbow stays near the shoulder
    elbow = (
        shoulder[0] + k * (hand[0] - shoulder[0]),
        shoulder[1] + k * (hand[1] - shoulder[1]) + 0.15 * r,
    )
    segment(img, shoulder, elbow, colour, 0.36 * r)
    segment(img, elbow, hand, fig.palette["skin"], 0.26 * r)
    disc(img, hand, 0.19 * r, fig.palette["skin"])
    oval(
        img,
        hand,
        (0.19 * r, 0.19 * r),
        fig.palette["skin_dark"],
        thickness=max(0.03 * r, 1),
        arc=(200, 340),
    )


def _heart(img, c, s: float, colour: Colour) -> None:
    x, y = c
    disc(img, (x - s * 0.5, y - s * 0.3), s * 0.55, colour)
    disc(img, (x + s * 0.5, y - s * 0.3), s * 0.55, colour)
    polygon(
        img, [(x - s * 1.02, y - s * 0.1), (x + s * 1.02, y - s * 0.1), (x, y + s * 1.05)], colour
    )


def draw_gesture(
    img: np.ndarray, fig: Figure, code: str, stage: int, colour: Colour, dy: float = 0.0
) -> None:
    """Draw the gesture of a bid (infant) or response (caregiver) over the figure, in place."""
    a = _AMPLITUDE[min(max(stage, 0), 2)]
    f, r, cx, cy = fig.facing, fig.r, fig.cx, fig.cy + dy
    pal = fig.palette
    if fig.partner == "infant":
        if code == "vocalize":
            _bubble(img, fig, a, "note")
        elif code == "reach":
            shoulder = (cx + f * 0.75 * r, cy + 1.3 * r)
            hand = (cx + f * (1.0 + 0.75 * a) * r, cy + (1.1 - 1.2 * a) * r)
            _arm(img, fig, shoulder, hand, pal["cloth"])
        elif code == "gaze":
            for k in (-1, 0, 1):
                x0 = cx + f * 1.15 * r
                segment(
                    img,
                    (x0, cy + k * 0.22 * r),
                    (x0 + f * 0.35 * r * a, cy + k * 0.3 * r),
                    (40, 170, 190),
                    max(0.05 * r, 1.5),
                )
        elif code == "smile":
            star(img, (cx + f * 0.95 * r, cy - 0.75 * r), 0.28 * r * a, GOLD)
            star(img, (cx + f * 1.3 * r, cy - 0.35 * r), 0.15 * r * a, GOLD)
        elif code == "fuss":
            for k in (-1, 0, 1):
                ang = np.deg2rad(-90 + f * (35 + 28 * k))
                p0 = (cx + np.cos(ang) * 1.15 * r, cy + np.sin(ang) * 1.15 * r)
                p1 = (
                    cx + np.cos(ang) * (1.15 + 0.35 * a) * r,
                    cy + np.sin(ang) * (1.15 + 0.35 * a) * r,
                )
                segment(img, p0, p1, (220, 60, 50), max(0.07 * r, 1.5))
        else:
            _badge(img, (cx + f * 1.2 * r, cy - 0.9 * r), 0.25 * r * a, colour)
        return
    if code in ARM_RESPONSES:
        shoulder, hand = caregiver_hand(fig, code, a)
        _arm(img, fig, shoulder, hand, pal["cloth"])
        if code == "touch":
            _heart(img, (hand[0] - f * 0.1 * r, hand[1] - 0.45 * r), 0.12 * r * a, (230, 90, 120))
        elif code == "soothe":
            for k in range(2):
                y = hand[1] - (0.45 + 0.2 * k) * r
                xs = hand[0] + np.linspace(-0.25, 0.25, 7) * r * a
                ys = y + np.sin(np.linspace(0, 2 * np.pi, 7)) * 0.05 * r
                polyline(img, list(zip(xs, ys, strict=True)), (240, 140, 40), max(0.04 * r, 1.2))
        else:  # offer: a toy block held out
            s = 0.22 * r
            bx, by = hand[0] + f * 0.05 * r, hand[1] - 0.35 * r
            polygon(
                img,
                [(bx - s, by - s), (bx + s, by - s), (bx + s, by + s), (bx - s, by + s)],
                (120, 200, 90),
            )
            polygon(
                img,
                [
                    (bx - s * 0.45, by - s * 0.45),
                    (bx + s * 0.45, by - s * 0.45),
                    (bx + s * 0.45, by + s * 0.45),
                    (bx - s * 0.45, by + s * 0.45),
                ],
                (250, 230, 120),
            )
            disc(img, hand, 0.19 * r, pal["skin"])
    elif code == "verbal":
        _bubble(img, fig, a, "speech")
    elif code == "imitate":
        for k in (1, 2):
            mx, my = cx + f * 0.5 * r, cy + 0.47 * r
            oval(
                img,
                (mx, my),
                (0.18 * r * k * a, 0.22 * r * k * a),
                (220, 100, 170),
                thickness=max(0.04 * r, 1.2),
                arc=(150, 210) if f < 0 else (-30, 30),
            )
    else:
        _badge(img, (cx + f * 1.2 * r, cy - 1.0 * r), 0.25 * r * a, colour)


def caregiver_hand(fig: Figure, code: str, a: float) -> tuple[Point, Point]:
    """Shoulder and hand of the caregiver's arm for a touch, soothe or offer response.

    The hand goes a fraction ``a`` of the way to its target on the infant (``fig.other``): the
    infant's cheek (touch), arm (soothe) or halfway between them (offer). Drawn without head bob, so
    the arm is the same in every sprite that shows a part of it.
    """
    f, r = fig.facing, fig.r
    ox, oy, orad = fig.other
    shoulder = (fig.cx + f * 1.0 * r, fig.cy + 1.6 * r)
    if code == "touch":
        target = (ox - f * 0.8 * orad, oy + 0.45 * orad)
    elif code == "soothe":
        target = (ox - f * 0.95 * orad, oy + 1.35 * orad)
    else:
        target = ((ox + fig.cx) / 2, oy + 0.6 * orad)
    start = (fig.cx + f * 1.4 * r, fig.cy + 1.0 * r)
    k = 0.35 + 0.65 * a
    return shoulder, (start[0] + k * (target[0] - start[0]), start[1] + k * (target[1] - start[1]))


def _badge(img, c, s: float, colour: Colour) -> None:
    disc(img, c, s, colour)
    ring(img, c, s, INK, max(s * 0.12, 1))
