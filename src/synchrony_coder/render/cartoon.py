"""Cartoon infant and caregiver whose face shows an engagement code.

Expressions follow the engagement codes of the default scheme (SCIENCE.md §2; the monadic phases of
Tronick & Cohn, 1989, and Weinberg & Tronick's ICEP): ``negative`` frowns (the infant cries, with
tears), ``withdrawn``/``disengaged`` turns the head away with heavy lids, ``object`` looks at the
toy, ``monitor`` looks at the partner with a neutral face, ``positive`` smiles at the partner. A
code of another scheme is drawn by its valence (-1 negative, 0 withdrawn, 1 monitor, 2 positive).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .draw import Colour, Point, disc, oval, polygon, polyline, rounded_rect, segment, star

__all__ = ["Figure", "Look", "draw_figure", "draw_toy", "look_for"]

INK: Colour = (60, 45, 45)
WHITE: Colour = (255, 255, 255)
LIPS: Colour = (170, 60, 70)
MOUTH: Colour = (120, 35, 45)
TONGUE: Colour = (235, 120, 130)
TEAR: Colour = (80, 160, 235)

INFANT = {
    "skin": (252, 214, 182),
    "skin_dark": (222, 170, 140),
    "hair": (150, 100, 60),
    "iris": (90, 130, 190),
    "cloth": (250, 205, 80),
    "cloth_dark": (225, 170, 50),
    "blush": (250, 175, 165),
}
CAREGIVER = {
    "skin": (236, 186, 148),
    "skin_dark": (200, 145, 110),
    "hair": (85, 55, 40),
    "iris": (95, 70, 50),
    "cloth": (70, 150, 165),
    "cloth_dark": (50, 115, 130),
    "blush": (240, 150, 135),
}


@dataclass(frozen=True)
class Look:
    """What a face shows: where the eyes point, head turn, mouth, brows, lids, tears, blush."""

    gaze: Point = (0.0, 0.0)  # direction, roughly unit length
    turn: float = 0.0  # head turn, -1 (towards -x) .. 1 (towards +x)
    mouth: str = "neutral"  # smile, neutral, o, frown, cry, flat, talk
    brows: str = "neutral"  # neutral, sad, angry, raised
    lids: float = 0.0  # 0 open .. 1 closed
    tears: bool = False
    blush: bool = False


@dataclass(frozen=True)
class Figure:
    """Where a partner sits: head centre and radius, which way the partner is, where the toy is.

    ``other`` is the other partner's head (x, y, radius), possibly outside the frame (a one-person
    camera): a caregiver's touching hand goes there.
    """

    partner: str  # "infant" or "caregiver"
    cx: float
    cy: float
    r: float
    facing: int  # +1: the partner is towards +x
    toy: Point
    other: tuple[float, float, float] = (0.0, 0.0, 1.0)

    @property
    def palette(self) -> dict[str, Colour]:
        return INFANT if self.partner == "infant" else CAREGIVER


_BY_VALENCE = {-1: "negative", 0: "withdrawn", 1: "monitor", 2: "positive"}


def expression_name(code: str, valence: float | None) -> str:
    """The expression drawn for a code: its own name for default codes, else by valence."""
    if code in ("negative", "withdrawn", "disengaged", "object", "monitor", "positive"):
        return "withdrawn" if code == "disengaged" else code
    if valence is None or code == "":
        return "monitor"
    return _BY_VALENCE.get(int(np.clip(round(valence), -1, 2)), "monitor")


def _unit(dx: float, dy: float) -> Point:
    n = math.hypot(dx, dy) or 1.0
    return dx / n, dy / n


def look_for(fig: Figure, expression: str) -> Look:
    """The look of ``fig`` showing one expression (see :func:`expression_name`)."""
    f = fig.facing
    to_partner: Point = (float(f), -0.05)
    to_toy = _unit(fig.toy[0] - fig.cx, fig.toy[1] - fig.cy)
    infant = fig.partner == "infant"
    if expression == "positive":
        return Look(to_partner, 0.35 * f, "smile", "raised", 0.0, False, True)
    if expression == "object":
        return Look(to_toy, 0.5 * to_toy[0], "o" if infant else "neutral", "neutral", 0.15)
    if expression == "withdrawn":
        return Look(_unit(-f, 0.55), -0.9 * f, "flat", "neutral", 0.55)
    if expression == "negative":
        if infant:
            return Look(_unit(-0.3 * f, 0.4), -0.2 * f, "cry", "sad", 0.35, True)
        return Look(to_partner, 0.2 * f, "frown", "angry", 0.1)
    return Look(to_partner, 0.25 * f, "neutral", "neutral", 0.0)


def blinking(look: Look) -> Look:
    """The same look with the eyes shut."""
    return replace(look, lids=1.0)


def _eye(img, c: Point, w: float, h: float, look: Look, pal, r: float, infant: bool) -> None:
    x, y = c
    if look.lids >= 0.95:
        oval(img, (x, y - h * 0.2), (w, h * 0.55), INK, thickness=max(r * 0.05, 1.5), arc=(20, 160))
        return
    oval(img, c, (w, h), WHITE)
    iris_r = h * (0.72 if infant else 0.78)
    gx, gy = look.gaze
    px, py = x + gx * (w - iris_r * 0.95), y + gy * (h - iris_r) * 0.9
    disc(img, (px, py), iris_r, pal["iris"])
    disc(img, (px, py), iris_r * 0.55, (25, 20, 25))
    disc(img, (px - iris_r * 0.35, py - iris_r * 0.35), iris_r * 0.28, WHITE)
    if look.lids > 0:
        cut = y - h + 2 * h * look.lids
        # cover the eye above `cut` with skin: the head is skin there, so a rectangle is invisible
        img_h, img_w = img.shape[:2]
        y0, y1 = max(int(y - h - 2), 0), min(int(math.ceil(cut)), img_h)
        x0, x1 = max(int(x - w - 2), 0), min(int(x + w + 3), img_w)
        img[y0:y1, x0:x1] = pal["skin"]
        half = w * math.sqrt(max(1 - ((cut - y) / h) ** 2, 0.0))
        segment(img, (x - half - 1, cut), (x + half + 1, cut), INK, max(r * 0.045, 1.2))
    else:
        oval(img, c, (w, h), INK, thickness=max(r * 0.03, 1.0), arc=(190, 350))
        if not infant:  # lashes
            segment(img, (x + w * 0.85, y - h * 0.5), (x + w * 1.25, y - h * 0.85), INK, 1.2)
            segment(img, (x - w * 0.85, y - h * 0.5), (x - w * 1.25, y - h * 0.85), INK, 1.2)


def _brow(img, c: Point, side: int, kind: str, r: float, colour: Colour) -> None:
    """``side`` -1 for the eye on the left of the face, +1 on the right."""
    x, y = c
    th = max(r * 0.07, 1.5)
    if kind in ("sad", "angry"):  # straight and tilted: inner end up (sad) or down (angry)
        tilt = (-0.13 if kind == "sad" else 0.1) * r
        outer = (x + side * 0.19 * r, y + (0.03 if kind == "sad" else -0.04) * r)
        segment(img, outer, (x - side * 0.17 * r, y + tilt), colour, th)
        return
    lift = 0.08 * r if kind == "raised" else 0.0
    outer_pt = (x + side * 0.2 * r, y - lift + 0.02 * r)
    inner_pt = (x - side * 0.16 * r, y - lift + 0.02 * r)
    mid = (x + side * 0.02 * r, y - lift - 0.05 * r)
    polyline(img, [outer_pt, mid, inner_pt], colour, th)


def _mouth(img, c: Point, kind: str, r: float, infant: bool) -> None:
    x, y = c
    w = r * (0.32 if infant else 0.34)
    th = max(r * 0.055, 1.5)
    if kind == "smile":
        oval(img, (x, y - 0.06 * r), (w, 0.24 * r), MOUTH, arc=(0, 180))
        if infant:
            oval(img, (x, y + 0.1 * r), (w * 0.5, 0.07 * r), TONGUE)
        else:
            oval(img, (x, y - 0.03 * r), (w * 0.8, 0.06 * r), WHITE, arc=(0, 180))
        segment(img, (x - w, y - 0.06 * r), (x + w, y - 0.06 * r), MOUTH, th * 0.8)
    elif kind == "o":
        oval(img, (x, y), (0.09 * r, 0.11 * r), MOUTH)
    elif kind == "talk":
        oval(img, (x, y), (w * 0.55, 0.13 * r), MOUTH)
        oval(img, (x, y + 0.06 * r), (w * 0.3, 0.05 * r), TONGUE)
    elif kind == "frown":
        oval(img, (x, y + 0.12 * r), (w * 0.8, 0.14 * r), LIPS, thickness=th, arc=(200, 340))
    elif kind == "cry":
        oval(img, (x, y + 0.14 * r), (w * 0.85, 0.26 * r), MOUTH, arc=(180, 360))
        oval(img, (x, y + 0.1 * r), (w * 0.45, 0.06 * r), TONGUE)
    elif kind == "flat":
        segment(img, (x - w * 0.45, y), (x + w * 0.45, y), LIPS, th)
    else:  # neutral: lips at rest, barely curved
        oval(img, (x, y - 0.04 * r), (w * 0.55, 0.05 * r), LIPS, thickness=th, arc=(15, 165))


def _tears(img, c: Point, r: float) -> None:
    x, y = c
    for k, (dx, dy) in enumerate(((0.0, 0.22), (0.05, 0.45))):
        tx, ty, s = x + dx * r, y + dy * r, (0.07 - 0.015 * k) * r
        polygon(
            img,
            [(tx, ty - 2.2 * s), (tx - s * 0.9, ty - 0.3 * s), (tx + s * 0.9, ty - 0.3 * s)],
            TEAR,
        )
        disc(img, (tx, ty), s, TEAR)


def draw_toy(img: np.ndarray, c: Point, r: float) -> None:
    """A striped ball sitting on the table."""
    x, y = c
    disc(img, (x, y), r, (235, 70, 60))
    oval(img, (x, y), (r, r * 0.35), (250, 210, 60), angle=-25)
    oval(img, (x, y), (r * 0.35, r), (60, 120, 220), angle=-25)
    disc(img, (x - r * 0.4, y - r * 0.45), r * 0.18, (255, 235, 225))


def _body(img, fig: Figure, dy: float) -> None:
    pal, r, cx, cy = fig.palette, fig.r, fig.cx, fig.cy + dy
    h = img.shape[0]
    if fig.partner == "infant":
        rounded_rect(
            img, cx - 1.25 * r, cy - 0.2 * r, cx + 1.25 * r, h + r, 0.6 * r, (150, 180, 200)
        )
        oval(img, (cx, cy + 1.6 * r), (0.95 * r, 0.85 * r), pal["cloth"])
        star(img, (cx, cy + 1.45 * r), 0.22 * r, (255, 246, 222), points=5)
        for s in (-1, 1):
            oval(
                img,
                (cx + s * 0.85 * r, cy + 1.55 * r),
                (0.22 * r, 0.36 * r),
                pal["cloth"],
                angle=s * 15,
            )
            disc(img, (cx + s * 0.92 * r, cy + 1.9 * r), 0.17 * r, pal["skin"])
    else:
        oval(img, (cx, cy + 0.35 * r), (1.12 * r, 1.25 * r), pal["hair"])  # long hair behind
        segment(img, (cx, cy + 0.6 * r), (cx, cy + 1.2 * r), pal["skin"], 0.5 * r)
        oval(img, (cx, cy + 2.1 * r), (1.5 * r, 1.05 * r), pal["cloth"])
        oval(img, (cx, cy + 1.12 * r), (0.3 * r, 0.14 * r), pal["cloth_dark"], arc=(0, 180))


def draw_figure(img: np.ndarray, fig: Figure, look: Look, dy: float = 0.0) -> None:
    """Draw one partner (body, head, face) into ``img`` in place; ``dy`` bobs the whole figure."""
    pal, r = fig.palette, fig.r
    infant = fig.partner == "infant"
    cx, cy = fig.cx, fig.cy + dy
    _body(img, fig, dy)
    dx = look.turn * 0.16 * r
    for s in (-1, 1):  # ears, the far one hidden a little by the turn
        disc(
            img,
            (cx + s * (0.95 if infant else 0.86) * r - dx * 0.4, cy + 0.05 * r),
            0.17 * r,
            pal["skin"],
        )
        disc(
            img,
            (cx + s * (0.95 if infant else 0.86) * r - dx * 0.4, cy + 0.05 * r),
            0.08 * r,
            pal["skin_dark"],
        )
    ax = (r, 0.95 * r) if infant else (0.88 * r, r)
    oval(img, (cx, cy), ax, pal["skin"])
    if infant:  # a curl of hair
        oval(
            img,
            (cx + dx * 0.5, cy - 0.93 * r),
            (0.14 * r, 0.14 * r),
            pal["hair"],
            thickness=max(0.06 * r, 1.5),
            arc=(120, 400),
        )
    else:  # fringe
        oval(img, (cx + dx * 0.3, cy - 0.5 * r), (0.92 * r, 0.55 * r), pal["hair"], arc=(180, 360))
        polygon(
            img,
            [
                (cx - 0.92 * r + dx * 0.3, cy - 0.5 * r),
                (cx + 0.92 * r + dx * 0.3, cy - 0.5 * r),
                (cx + 0.86 * r, cy - 0.28 * r),
                (cx - 0.86 * r, cy - 0.28 * r),
            ],
            pal["hair"],
        )
    ey = cy - (0.02 if infant else 0.06) * r
    ew, eh = (0.19 * r, 0.21 * r) if infant else (0.18 * r, 0.145 * r)
    sep = 0.36 * r if infant else 0.34 * r
    if look.blush or infant:
        colour = pal["blush"] if look.blush else (251, 198, 180)
        for s in (-1, 1):
            oval(img, (cx + dx + s * 0.56 * r, cy + 0.3 * r), (0.15 * r, 0.09 * r), colour)
    for s in (-1, 1):
        _eye(img, (cx + dx + s * sep, ey), ew, eh, look, pal, r, infant)
        _brow(
            img,
            (cx + dx + s * sep, ey - (0.34 if infant else 0.3) * r),
            s,
            look.brows,
            r,
            pal["hair"] if not infant else pal["skin_dark"],
        )
    nx = cx + dx * 1.2
    oval(
        img,
        (nx, cy + 0.2 * r),
        (0.07 * r, 0.05 * r),
        pal["skin_dark"],
        arc=(0, 180),
        thickness=max(0.04 * r, 1.2),
    )
    _mouth(img, (cx + dx, cy + 0.47 * r), look.mouth, r, infant)
    if look.tears:
        for s in (-1, 1):
            _tears(img, (cx + dx + s * sep, ey + eh), r)
