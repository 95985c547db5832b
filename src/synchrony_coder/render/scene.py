"""The scene of a rendered session: layout, background, cached partner sprites, caption strip.

A frame is composed from one sprite per partner, cut from a drawing of the whole scene and cached
by what it shows (expression, gesture and its stage, blink, head bob), so a 2-minute session needs
a few hundred drawings for thousands of frames. The caption strip shows the phase and the session
clock; the frame-number barcode (:mod:`.barcode`) goes in the top-left corner.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..scheme import Scheme
from .barcode import draw_frame_barcode
from .cartoon import Figure, blinking, draw_figure, draw_toy, expression_name, look_for
from .draw import Colour, disc, rounded_rect, segment, text, text_width
from .gestures import ARM_RESPONSES, draw_gesture, gesture_look
from .states import FrameStates

__all__ = ["VIEWS", "Scene"]

VIEWS = ("dyad", "infant", "caregiver")
WALL: Colour = (238, 232, 220)
WALL_LOW: Colour = (226, 216, 200)
TABLE: Colour = (205, 168, 128)
TABLE_EDGE: Colour = (228, 196, 158)
CAPTION: Colour = (38, 42, 52)
CAPTION_TEXT: Colour = (235, 235, 240)
STILL_FACE = "still_face"
_SPRITE_BUDGET = 96 * 1024 * 1024  # bytes of cached sprites (a 2-minute session needs ~300)


@dataclass(frozen=True)
class Panel:
    """One partner's part of the frame: its figure and the columns ``[x0, x1)`` it owns."""

    figure: Figure
    x0: int
    x1: int
    other: Figure  # the other partner (maybe outside the frame), whose arm may reach in


def _hex(colour: str) -> Colour:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


class Scene:
    """Draws the frames of one view (``dyad``, ``infant`` or ``caregiver`` camera) of a session.

    Parameters
    ----------
    width, height
        Frame size in pixels.
    view
        ``"dyad"``: both partners face to face (infant left); ``"infant"`` / ``"caregiver"``: a
        close camera on one partner.
    scheme
        Gives the tiers' codes (valences for expressions of non-default codes, colours).
    barcode
        Draw the frame-number barcode.
    """

    def __init__(
        self, width: int, height: int, view: str, scheme: Scheme, *, barcode: bool = True
    ) -> None:
        if view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, not {view!r}")
        self.width, self.height, self.view, self.barcode = width, height, view, barcode
        self.caption_h = max(14, round(height * 0.075))
        self.scene_h = height - self.caption_h
        self.scheme = scheme
        self.panels = self._layout()
        self.table_y = 0.78 * self.scene_h
        self._sprites: OrderedDict[tuple, np.ndarray] = OrderedDict()
        widest = max(p.x1 - p.x0 for p in self.panels)
        self._max_sprites = max(32, _SPRITE_BUDGET // (widest * self.scene_h * 3))
        self._captions: dict[str, np.ndarray] = {}
        self.drawn = 0  # sprites drawn (for tests and tuning)
        r = self.scheme.roles
        self._tiers = {"infant": r.infant_engagement, "caregiver": r.caregiver_engagement}
        self._gesture_tiers = {"infant": r.bid, "caregiver": r.response}

    def _layout(self) -> tuple[Panel, ...]:
        """Panels of the view; in a one-person view the other partner sits outside the frame."""
        w, sh = self.width, self.scene_h
        if self.view == "dyad":
            toy = (0.5 * w, 0.86 * sh)
            head_i, head_c = (0.26 * w, 0.47 * sh, 0.17 * sh), (0.75 * w, 0.42 * sh, 0.205 * sh)
            inf = Figure("infant", *head_i, +1, toy, head_c)
            car = Figure("caregiver", *head_c, -1, toy, head_i)
            return (Panel(inf, 0, w // 2, car), Panel(car, w // 2, w, inf))
        if self.view == "infant":
            head_i, head_c = (0.45 * w, 0.46 * sh, 0.24 * sh), (1.45 * w, 0.4 * sh, 0.29 * sh)
            inf = Figure("infant", *head_i, +1, (0.8 * w, 0.87 * sh), head_c)
            car = Figure("caregiver", *head_c, -1, (0.8 * w, 0.87 * sh), head_i)
            return (Panel(inf, 0, w, car),)
        head_i, head_c = (-0.45 * w, 0.46 * sh, 0.22 * sh), (0.55 * w, 0.4 * sh, 0.27 * sh)
        car = Figure("caregiver", *head_c, -1, (0.2 * w, 0.87 * sh), head_i)
        inf = Figure("infant", *head_i, +1, (0.2 * w, 0.87 * sh), head_c)
        return (Panel(car, 0, w, inf),)

    # -- sprites ---------------------------------------------------------------------------
    def _background(self) -> np.ndarray:
        w, sh = self.width, self.scene_h
        img = np.empty((sh, w, 3), np.uint8)
        img[:] = WALL
        img[int(0.55 * sh) :] = WALL_LOW
        # a framed picture of a sun on the wall, between the partners
        if self.view == "dyad":
            x0, y0, x1, y1 = 0.44 * w, 0.06 * sh, 0.56 * w, 0.28 * sh
            rounded_rect(img, x0, y0, x1, y1, 3, (170, 130, 95))
            rounded_rect(img, x0 + 4, y0 + 4, x1 - 4, y1 - 4, 2, (205, 228, 245))
            c, s = ((x0 + x1) / 2, (y0 + y1) / 2 - 2), (y1 - y0) * 0.17
            for a in np.linspace(0, 2 * np.pi, 9)[:-1]:
                segment(
                    img,
                    (c[0] + np.cos(a) * s * 1.3, c[1] + np.sin(a) * s * 1.3),
                    (c[0] + np.cos(a) * s * 1.8, c[1] + np.sin(a) * s * 1.8),
                    (245, 190, 60),
                    max(s * 0.2, 1),
                )
            disc(img, c, s, (250, 205, 70))
        return img

    def _table(self, img: np.ndarray) -> None:
        y = int(round(self.table_y))
        img[y:] = TABLE
        img[y : y + max(2, self.height // 120)] = TABLE_EDGE

    def _sprite(self, panel: int, key: tuple) -> np.ndarray:
        full = (panel, *key)
        hit = self._sprites.get(full)
        if hit is not None:
            self._sprites.move_to_end(full)
            return hit
        expression, gesture, stage, blink, bob, colour, reach = key
        p = self.panels[panel]
        fig = p.figure
        img = self._background()
        look = look_for(fig, expression)
        if gesture:
            look = gesture_look(fig, gesture, look)
        if blink:
            look = blinking(look)
        dy = bob * max(fig.r * 0.03, 1.0)
        draw_figure(img, fig, look, dy)
        self._table(img)
        draw_toy(img, fig.toy, 0.075 * self.scene_h)
        if gesture:
            draw_gesture(img, fig, gesture, stage, colour, 0.0 if gesture in ARM_RESPONSES else dy)
        if reach:  # the other partner's arm reaching into this panel
            draw_gesture(img, p.other, reach[0], reach[1], colour)
        sprite = np.ascontiguousarray(img[:, p.x0 : p.x1])
        sprite.flags.writeable = False
        self._sprites[full] = sprite
        self.drawn += 1
        if len(self._sprites) > self._max_sprites:
            self._sprites.popitem(last=False)
        return sprite

    def _gesture_colour(self, partner: str, code: str) -> Colour:
        tier = self._gesture_tiers[partner]
        try:
            return _hex(self.scheme.tier(tier).code(code).color) if tier else (128, 128, 128)
        except KeyError:
            return (128, 128, 128)

    def _expression(self, partner: str, code: str) -> str:
        tier = self._tiers[partner]
        valence = None
        if tier and code:
            try:
                valence = self.scheme.valence(tier, code)
            except KeyError:
                valence = None
        return expression_name(code, valence)

    # -- caption -----------------------------------------------------------------------------
    def _caption(self, phase: str) -> np.ndarray:
        cap = self._captions.get(phase)
        if cap is not None:
            return cap
        h, w = self.caption_h, self.width
        cap = np.empty((h, w, 3), np.uint8)
        cap[:] = CAPTION
        th = h * 0.45
        x = h * 0.4
        if phase:
            colour = (200, 200, 200)
            r = self.scheme.roles.phase
            if r:
                with contextlib.suppress(KeyError):  # a phase code the scheme lacks: grey
                    colour = _hex(self.scheme.tier(r).code(phase).color)
            disc(cap, (x + th * 0.5, h / 2), th * 0.5, colour)
            label = phase.replace("_", "-").capitalize()
            text(cap, label, (x + th * 1.4, h / 2 + th / 2), th, CAPTION_TEXT, max(h / 22, 1))
        if self.view != "dyad":
            label = f"{self.view} camera"
            text(
                cap,
                label,
                ((w - text_width(label, th * 0.85)) / 2, h / 2 + th * 0.42),
                th * 0.85,
                (170, 175, 190),
            )
        cap.flags.writeable = False
        self._captions[phase] = cap
        return cap

    def _clock(self, out: np.ndarray, ms: int) -> None:
        h = self.caption_h
        th = h * 0.45
        m, s = divmod(ms / 1000.0, 60)
        label = f"{int(m):02d}:{s:05.2f}"
        x = self.width - h * 0.4 - text_width(label, th)
        text(out, label, (x, self.scene_h + h / 2 + th / 2), th, CAPTION_TEXT, max(h / 22, 1))

    # -- frames ------------------------------------------------------------------------------
    def frame(
        self,
        index: int,
        time_ms: int,
        codes: dict[str, str],
        gestures: dict[str, tuple[str, int]],
        phase: str,
    ) -> np.ndarray:
        """Frame ``index`` (its barcode) showing the session at ``time_ms``.

        ``codes`` maps partner to engagement code (``""`` uncoded); ``gestures`` maps partner to
        (bid or response code, stage) with ``("", -1)`` for none.
        """
        out = np.empty((self.height, self.width, 3), np.uint8)
        for k, p in enumerate(self.panels):
            partner = p.figure.partner
            frozen = partner == "caregiver" and phase == STILL_FACE
            gesture, stage = gestures.get(partner, ("", -1))
            if frozen:
                blink = bob = 0
            elif partner == "infant":
                blink = int((time_ms + 700) % 3900 < 130)
                bob = int(round(np.sin(2 * np.pi * time_ms / 1900.0)))
            else:
                blink = int(time_ms % 4700 < 150)
                bob = int(round(np.sin(2 * np.pi * time_ms / 2600.0)))
            colour = self._gesture_colour(partner, gesture) if gesture else (0, 0, 0)
            other = p.other.partner
            reach = gestures.get(other, ("", -1))
            reach = reach if other == "caregiver" and reach[0] in ARM_RESPONSES else None
            expression = self._expression(partner, codes.get(partner, ""))
            key = (expression, gesture, stage, blink, bob, colour, reach)
            out[: self.scene_h, p.x0 : p.x1] = self._sprite(k, key)
        out[self.scene_h :] = self._caption(phase)
        self._clock(out, time_ms)
        if self.barcode:
            draw_frame_barcode(out, index)
        return out

    def frames(self, states: FrameStates) -> Iterator[np.ndarray]:
        """Every frame of a video whose per-frame content is ``states``, in order."""
        for k in range(len(states)):
            yield self.frame(
                k,
                int(states.times_ms[k]),
                {"infant": states.infant[k], "caregiver": states.caregiver[k]},
                {
                    "infant": (states.bid[k], int(states.bid_stage[k])),
                    "caregiver": (states.response[k], int(states.response_stage[k])),
                },
                states.phase[k],
            )
