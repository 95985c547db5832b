"""Anti-aliased OpenCV drawing primitives with sub-pixel coordinates (float in, fixed point out).

OpenCV draws with integer coordinates; passing them scaled by ``2**SHIFT`` with ``shift=SHIFT``
gives sub-pixel placement, which keeps small cartoon features smooth at 640 x 360 and below.
Images are RGB ``uint8`` arrays; colours are RGB tuples.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

SHIFT = 4
_F = 1 << SHIFT
AA = cv2.LINE_AA

Point = tuple[float, float]
Colour = tuple[int, int, int]


def _p(x: float, y: float) -> tuple[int, int]:
    return int(round(x * _F)), int(round(y * _F))


def _th(thickness: float) -> int:
    return max(1, int(round(thickness)))


def disc(img: np.ndarray, c: Point, r: float, colour: Colour) -> None:
    """Filled circle."""
    cv2.circle(img, _p(*c), max(int(round(r * _F)), 1), colour, -1, AA, SHIFT)


def ring(img: np.ndarray, c: Point, r: float, colour: Colour, thickness: float) -> None:
    """Circle outline."""
    cv2.circle(img, _p(*c), max(int(round(r * _F)), 1), colour, _th(thickness), AA, SHIFT)


def oval(
    img: np.ndarray,
    c: Point,
    axes: Point,
    colour: Colour,
    *,
    thickness: float = -1,
    angle: float = 0.0,
    arc: tuple[float, float] = (0.0, 360.0),
) -> None:
    """Filled ellipse (``thickness=-1``) or its outline; ``arc`` in degrees, clockwise from +x."""
    th = -1 if thickness < 0 else _th(thickness)
    ax = (max(int(round(axes[0] * _F)), 1), max(int(round(axes[1] * _F)), 1))
    cv2.ellipse(img, _p(*c), ax, angle, arc[0], arc[1], colour, th, AA, SHIFT)


def segment(img: np.ndarray, a: Point, b: Point, colour: Colour, thickness: float) -> None:
    """Straight line with round caps."""
    cv2.line(img, _p(*a), _p(*b), colour, _th(thickness), AA, SHIFT)


def polyline(
    img: np.ndarray, pts: Sequence[Point], colour: Colour, thickness: float, closed: bool = False
) -> None:
    """Open or closed polyline."""
    arr = np.array([_p(x, y) for x, y in pts], dtype=np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [arr], closed, colour, _th(thickness), AA, SHIFT)


def polygon(img: np.ndarray, pts: Sequence[Point], colour: Colour) -> None:
    """Filled polygon."""
    arr = np.array([_p(x, y) for x, y in pts], dtype=np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [arr], colour, AA, SHIFT)


def rounded_rect(
    img: np.ndarray, x0: float, y0: float, x1: float, y1: float, r: float, colour: Colour
) -> None:
    """Filled rectangle with rounded corners of radius ``r``."""
    r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
    polygon(
        img,
        [
            (x0 + r, y0),
            (x1 - r, y0),
            (x1, y0 + r),
            (x1, y1 - r),
            (x1 - r, y1),
            (x0 + r, y1),
            (x0, y1 - r),
            (x0, y0 + r),
        ],
        colour,
    )
    for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
        disc(img, (cx, cy), r, colour)


def star(img: np.ndarray, c: Point, r: float, colour: Colour, points: int = 4) -> None:
    """Filled sparkle star with ``points`` tips, inner radius ``r / 3``."""
    ang = np.arange(2 * points) * np.pi / points - np.pi / 2
    rad = np.where(np.arange(2 * points) % 2 == 0, r, r / 3)
    polygon(img, list(zip(c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang), strict=True)), colour)


def text(
    img: np.ndarray, s: str, org: Point, height: float, colour: Colour, thickness: float = 1
) -> float:
    """Draw ``s`` with its baseline at ``org`` and cap height about ``height`` px; returns width."""
    scale = height / 22.0
    th = _th(thickness)
    cv2.putText(img, s, (int(org[0]), int(org[1])), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, th, AA)
    return cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, scale, th)[0][0]


def text_width(s: str, height: float, thickness: float = 1) -> float:
    """Width in pixels of ``s`` drawn by :func:`text`."""
    return cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, height / 22.0, _th(thickness))[0][0]
