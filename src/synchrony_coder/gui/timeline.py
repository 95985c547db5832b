"""The timeline under the video: one track per tier, a playhead, zoom, scroll and direct editing.

Click empty track or the ruler to seek; click an event to select it; drag an event's edge (a point
event as a whole) to move its onset/offset, snapped to frames; wheel scrolls, Ctrl+wheel zooms
around the cursor. A second coder's events (when compared) show as a thin track under each tier,
with spans where the two disagree marked in red.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen, QPolygonF
from PyQt6.QtWidgets import QHBoxLayout, QScrollBar, QToolButton, QVBoxLayout, QWidget

from ..session import move_offset, move_onset
from . import theme
from .document import Document
from .timecode import format_timecode

LABEL_W, RULER_H, TRACK_H, COMPARE_H, EDGE_PX = 176, 24, 30, 12, 5


@dataclass
class _Drag:
    event_id: int
    edge: str  # "onset" or "offset"
    frame: int


class TimelineCanvas(QWidget):
    """The painted tracks (see the module docstring for the mouse gestures)."""

    viewChanged = pyqtSignal()

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.start_s = 0.0
        self.span_s = min(60.0, document.duration_s)
        self._drag: _Drag | None = None
        self._scrubbing = False
        self.setMouseTracking(True)
        self._relayout()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        document.eventsChanged.connect(lambda _c: self.update())
        document.selectionChanged.connect(lambda _i: self.update())
        document.comparisonChanged.connect(self._relayout)
        document.frameChanged.connect(self._follow)

    # -- geometry -----------------------------------------------------------------------------
    @property
    def tiers(self) -> tuple[str, ...]:
        return self.document.session.scheme.tier_names

    def _row_h(self) -> int:
        return TRACK_H + (COMPARE_H if self.document.comparison is not None else 0)

    def _height(self) -> int:
        return RULER_H + len(self.tiers) * self._row_h() + 4

    def _relayout(self) -> None:
        self.setMinimumHeight(self._height())
        self.setMaximumHeight(self._height() + 4 * TRACK_H)
        self.update()

    def x_of(self, t: float) -> float:
        return LABEL_W + (t - self.start_s) / self.span_s * (self.width() - LABEL_W)

    def t_of(self, x: float) -> float:
        return self.start_s + (x - LABEL_W) / max(self.width() - LABEL_W, 1) * self.span_s

    def tier_at(self, y: float) -> str | None:
        k = int((y - RULER_H) // self._row_h())
        return self.tiers[k] if y >= RULER_H and 0 <= k < len(self.tiers) else None

    def set_view(self, start_s: float, span_s: float) -> None:
        dur = max(self.document.duration_s, 1e-3)
        self.span_s = float(min(max(span_s, 0.5), dur))
        self.start_s = float(min(max(start_s, 0.0), max(dur - self.span_s, 0.0)))
        self.viewChanged.emit()
        self.update()

    def zoom(self, factor: float, around_s: float | None = None) -> None:
        c = self.document.time if around_s is None else around_s
        frac = (c - self.start_s) / self.span_s
        span = self.span_s / factor
        self.set_view(c - frac * span, span)

    def _follow(self, _frame: int) -> None:
        t = self.document.time
        if not (self.start_s <= t <= self.start_s + self.span_s):
            self.set_view(t - 0.1 * self.span_s, self.span_s)
        else:
            self.update()

    # -- hit testing --------------------------------------------------------------------------
    def hit(self, x: float, y: float) -> tuple[int, str] | None:
        """(event id, "onset"|"offset"|"body") under the pointer, edges first."""
        tier = self.tier_at(y)
        if tier is None or x < LABEL_W:
            return None
        best = None
        for i, ev in self.document.session.events.items():
            if ev.tier != tier:
                continue
            x0 = self.x_of(ev.onset_s)
            if ev.offset_s is None:
                if abs(x - x0) <= EDGE_PX:
                    return i, "onset"
                continue
            x1 = self.x_of(ev.offset_s)
            if abs(x - x1) <= EDGE_PX:
                return i, "offset"
            if abs(x - x0) <= EDGE_PX:
                return i, "onset"
            if x0 <= x < x1:
                best = (i, "body")
        return best

    # -- mouse --------------------------------------------------------------------------------
    def mousePressEvent(self, e) -> None:
        x, y = e.position().x(), e.position().y()
        if e.button() != Qt.MouseButton.LeftButton or x < LABEL_W:
            return
        doc = self.document
        target = self.hit(x, y)
        if target is None:
            doc.select(None)
            doc.seek_time(self.t_of(x))
            self._scrubbing = True
            return
        event_id, part = target
        doc.select(event_id)
        if part != "body":
            frame = self._frame_of(event_id, part)
            self._drag = _Drag(event_id, part, frame)

    def mouseMoveEvent(self, e) -> None:
        x = e.position().x()
        if self._scrubbing:
            self.document.seek_time(self.t_of(x))
        elif self._drag is not None:
            self._drag.frame = self._snap(x)
            self.update()
        else:
            target = self.hit(x, e.position().y())
            edge = target is not None and target[1] != "body"
            self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, e) -> None:
        self._scrubbing = False
        drag, self._drag = self._drag, None
        if drag is None:
            return
        self.move_edge(drag.event_id, drag.edge, self._snap(e.position().x()))

    def move_edge(self, event_id: int, edge: str, frame: int) -> bool:
        """Move an event's onset or offset to ``frame`` (one undoable edit)."""
        doc = self.document
        if frame == self._frame_of(event_id, edge):
            self.update()
            return False
        scheme = doc.session.scheme
        if edge == "onset":
            return doc.edit(move_onset, scheme, event_id, doc.time_of(frame), frame)
        end_s = doc.duration_s if frame >= doc.frame_count else doc.time_of(frame)
        return doc.edit(move_offset, scheme, event_id, end_s, frame)

    def _frame_of(self, event_id: int, edge: str) -> int:
        ev = self.document.session.events[event_id]
        stored = ev.onset_frame if edge == "onset" else ev.offset_frame
        if stored is not None:
            return stored
        t = ev.onset_s if edge == "onset" else ev.offset_s
        return self._index_or_end(float(t))

    def _index_or_end(self, t: float) -> int:
        doc = self.document
        return doc.frame_count if t >= doc.duration_s else doc.index_at(t)

    def _snap(self, x: float) -> int:
        """The frame whose start is nearest to the pointer (frame_count: the video's end)."""
        doc = self.document
        t = self.t_of(x)
        i = doc.index_at(t)
        candidates = [i, min(i + 1, doc.frame_count)]
        times = [doc.time_of(k) if k < doc.frame_count else doc.duration_s for k in candidates]
        return candidates[int(np.argmin([abs(tt - t) for tt in times]))]

    def mouseDoubleClickEvent(self, e) -> None:
        target = self.hit(e.position().x(), e.position().y())
        if target is not None:  # go to the event's onset
            self.document.seek(self._frame_of(target[0], "onset"))
            self.document.select(target[0])

    def wheelEvent(self, e) -> None:
        steps = e.angleDelta().y() / 120 or e.angleDelta().x() / 120
        if e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.25**steps, self.t_of(e.position().x()))
        else:
            self.set_view(self.start_s - steps * 0.1 * self.span_s, self.span_s)

    # -- painting -----------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(self.rect(), QColor(theme.BACKGROUND))
        self._paint_ruler(p)
        scheme = self.document.session.scheme
        row_h = self._row_h()
        for k, tier in enumerate(scheme.tiers):
            top = RULER_H + k * row_h
            shade = QColor(theme.PANEL if k % 2 == 0 else "#25262a")
            p.fillRect(QRectF(0, top, self.width(), row_h), shade)
            p.setPen(QColor(theme.TEXT))
            p.drawText(
                QRectF(8, top, LABEL_W - 12, TRACK_H),
                Qt.AlignmentFlag.AlignVCenter,
                tier.name.replace("_", " "),
            )
            colours = {c.name: QColor(c.color) for c in tier.codes}
            self._paint_events(p, tier.name, top + 3, TRACK_H - 6, colours, own=True)
            if self.document.comparison is not None:
                p.setPen(QColor(theme.MUTED))
                p.drawText(
                    QRectF(20, top + TRACK_H - 2, LABEL_W - 24, COMPARE_H),
                    Qt.AlignmentFlag.AlignVCenter,
                    self.document.comparison_coder,
                )
                self._paint_comparison(p, tier.name, top + TRACK_H - 1, COMPARE_H - 2, colours)
        p.setPen(QColor(theme.BORDER))
        p.drawLine(LABEL_W, 0, LABEL_W, self.height())
        x = self.x_of(self.document.time)
        if x >= LABEL_W:
            p.setPen(QPen(QColor(theme.PLAYHEAD), 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.end()

    def _paint_ruler(self, p: QPainter) -> None:
        p.fillRect(QRectF(0, 0, self.width(), RULER_H), QColor(theme.BACKGROUND))
        doc = self.document
        who = doc.session.coder + (
            f"  vs  {doc.comparison_coder}" if doc.comparison is not None else ""
        )
        p.setPen(QColor(theme.MUTED))
        p.drawText(QRectF(8, 0, LABEL_W - 12, RULER_H), Qt.AlignmentFlag.AlignVCenter, who)
        step = _tick_step(self.span_s, (self.width() - LABEL_W) / 90)
        t = np.ceil(self.start_s / step) * step
        p.setPen(QColor(theme.MUTED))
        while t <= self.start_s + self.span_s:
            x = self.x_of(t)
            p.drawLine(QPointF(x, RULER_H - 6), QPointF(x, RULER_H))
            label = format_timecode(t)[3:] if step < 1 else format_timecode(t)[3:8]
            p.drawText(QPointF(x + 3, RULER_H - 8), label)
            t += step

    def _visible(self, t0: float, t1: float) -> bool:
        return t1 >= self.start_s and t0 <= self.start_s + self.span_s

    def _paint_events(self, p, tier, top, h, colours, own) -> None:
        doc = self.document
        drag = self._drag
        for i, ev in doc.session.events.items():
            if ev.tier != tier:
                continue
            onset, offset = ev.onset_s, ev.offset_s
            if drag is not None and drag.event_id == i:
                t = doc.time_of(drag.frame) if drag.frame < doc.frame_count else doc.duration_s
                onset, offset = (t, offset) if drag.edge == "onset" else (onset, t)
            end = onset if offset is None else offset
            if not self._visible(onset, end):
                continue
            colour = colours.get(ev.code, QColor("#808080"))
            selected = i == doc.selected
            x0 = max(self.x_of(onset), LABEL_W)
            if offset is None:
                self._paint_point(p, self.x_of(onset), top, h, colour, selected)
                continue
            x1 = self.x_of(end)
            rect = QRectF(x0, top, max(x1 - x0, 1.0), h)
            p.fillRect(rect, colour)
            if selected:
                p.setPen(QPen(QColor("#ffffff"), 2))
                p.drawRect(rect.adjusted(1, 1, -1, -1))
            if rect.width() > 40:
                p.setPen(QColor("#111111"))
                p.drawText(rect.adjusted(4, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter, ev.code)

    def _paint_point(self, p, x, top, h, colour, selected) -> None:
        if x < LABEL_W:
            return
        p.setPen(QPen(QColor("#ffffff") if selected else colour, 3 if selected else 2))
        p.drawLine(QPointF(x, top), QPointF(x, top + h))
        p.setBrush(colour)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawPolygon(QPolygonF([QPointF(x - 5, top), QPointF(x + 5, top), QPointF(x, top + 7)]))

    def _paint_comparison(self, p, tier, top, h, colours) -> None:
        other = self.document.comparison
        rows = other[other["tier"] == tier]
        for code, onset, offset in zip(
            rows["code"], rows["onset_s"], rows["offset_s"], strict=True
        ):
            colour = QColor(colours.get(code, QColor("#808080")))
            colour.setAlpha(170)
            if np.isnan(offset):
                x = self.x_of(onset)
                if self._visible(onset, onset) and x >= LABEL_W:
                    p.setPen(QPen(colour, 2))
                    p.drawLine(QPointF(x, top), QPointF(x, top + h))
            elif self._visible(onset, offset):
                x0, x1 = max(self.x_of(onset), LABEL_W), self.x_of(offset)
                p.fillRect(QRectF(x0, top + 2, max(x1 - x0, 1.0), h - 2), colour)
        spans = self.document.disagreements
        if spans is None or not len(spans):
            return
        mine = spans[spans["tier"] == tier] if "tier" in spans.columns else spans
        red = QColor("#ff3b30")
        red.setAlpha(200)
        for onset, offset in zip(mine["onset_s"], mine["offset_s"], strict=True):
            end = onset if np.isnan(offset) else offset
            if self._visible(onset, end):
                x0, x1 = max(self.x_of(onset), LABEL_W), self.x_of(end)
                p.fillRect(QRectF(x0, top + h - 1, max(x1 - x0, 2.0), 3), red)


def _tick_step(span_s: float, n_ticks: float) -> float:
    raw = span_s / max(n_ticks, 1.0)
    for step in (0.04, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600):
        if step >= raw:
            return float(step)
    return 3600.0


class Timeline(QWidget):
    """The canvas with its scroll bar and zoom buttons."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = TimelineCanvas(document, self)
        self.scroll = QScrollBar(Qt.Orientation.Horizontal, self)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar = QHBoxLayout()
        bar.setContentsMargins(LABEL_W, 0, 4, 0)
        bar.addWidget(self.scroll, 1)
        for text, factor, tip in (("−", 1 / 1.5, "Zoom out (Ctrl+wheel)"), ("+", 1.5, "Zoom in")):
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, f=factor: self.canvas.zoom(f))
            bar.addWidget(b)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(self.canvas, 1)
        col.addLayout(bar)
        self.canvas.viewChanged.connect(self._sync_scroll)
        self.scroll.valueChanged.connect(
            lambda v: self.canvas.set_view(v / 1000.0, self.canvas.span_s)
        )
        self._sync_scroll()

    def _sync_scroll(self) -> None:
        c = self.canvas
        self.scroll.blockSignals(True)
        total_ms = int(self.canvas.document.duration_s * 1000)
        self.scroll.setRange(0, max(total_ms - int(c.span_s * 1000), 0))
        self.scroll.setPageStep(int(c.span_s * 1000))
        self.scroll.setSingleStep(max(int(c.span_s * 100), 1))
        self.scroll.setValue(int(c.start_s * 1000))
        self.scroll.blockSignals(False)
