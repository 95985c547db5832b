"""Transport icons drawn in the theme's text colour (the platform's media icons vanish on dark)."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF

from . import theme

_SIZE = 32


def _triangle(p: QPainter, x: float, left: bool, w: float = 10) -> None:
    y0, y1, mid = 8.0, 24.0, 16.0
    pts = (
        [QPointF(x + w, y0), QPointF(x + w, y1), QPointF(x, mid)]
        if left
        else [QPointF(x, y0), QPointF(x, y1), QPointF(x + w, mid)]
    )
    p.drawPolygon(QPolygonF(pts))


def transport_icon(kind: str) -> QIcon:
    """``play``, ``pause``, ``step_back``, ``step_forward``, ``back_1s``, ``fwd_1s``,
    ``back_5s`` or ``fwd_5s``."""
    pix = QPixmap(_SIZE, _SIZE)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(theme.TEXT))
    left = kind.startswith(("back", "step_back"))
    if kind == "play":
        _triangle(p, 10, False, 14)
    elif kind == "pause":
        p.drawRect(QRectF(9, 8, 5, 16))
        p.drawRect(QRectF(18, 8, 5, 16))
    elif kind.startswith("step"):
        _triangle(p, 9 if left else 11, left, 10)
        p.drawRect(QRectF(7, 8, 3, 16) if left else QRectF(21, 8, 3, 16))
    elif kind.endswith("1s"):
        _triangle(p, 6, left, 10)
        _triangle(p, 16, left, 10)
    else:  # 5 s: double triangle against a bar
        _triangle(p, 8 if left else 4, left, 9)
        _triangle(p, 17 if left else 13, left, 9)
        p.drawRect(QRectF(4, 8, 3, 16) if left else QRectF(25, 8, 3, 16))
    p.end()
    return QIcon(pix)
