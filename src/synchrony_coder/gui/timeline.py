"""The timeline under the video: one track per tier, a playhead, zoom, scroll and direct editing.

Click empty track or the ruler to seek (to the frame whose start is nearest the pointer, so a
click on the playhead or an event's edge lands on that frame); click an event to select it; drag an
event's edge (a point event as a whole) to move its onset/offset, snapped to frames; a boundary two
states of an exclusive tier share moves as one (a roll edit), or one side only with Shift held
(:func:`~synchrony_coder.session.edits.moving_edges`); wheel scrolls, Ctrl+wheel zooms around the
cursor. A refused move is said in plain words at the pointer. A second coder's events (when compared) show as a
thin track under each tier, with spans where the two disagree marked in red.

The canvas stacks :mod:`.tracks` and repaints only what changed: an edit, the spans it touched;
a selection, the two events concerned; the playhead, its old and new column. A paint looks only
at the events meeting the painted span and draws at most about one mark per pixel column per
track, so neither the number of events nor zooming out makes it slow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen, QRegion
from PyQt6.QtWidgets import QHBoxLayout, QScrollBar, QToolButton, QToolTip, QVBoxLayout, QWidget

from ..scheme import Tier
from ..session import Change, EditError, MoveRefused, move_boundary
from ..session.edits import moving_edges, shared_boundary
from . import theme
from .document import Document
from .timecode import format_timecode
from .tracks import COMPARE_H, TRACK_H, ComparisonTrack, TierTrack, Track, View

LABEL_W, RULER_H, EDGE_PX = 176, 24, 5
ONE_SIDE = Qt.KeyboardModifier.ShiftModifier  # held while dragging a shared boundary: one side
ONE_SIDE_KEY = "Shift"
PAD = 8  # pixels around a changed span: outlines, point heads
SHADES = (theme.PANEL, "#25262a")

__all__ = ["COMPARE_H", "LABEL_W", "RULER_H", "TRACK_H", "Timeline", "TimelineCanvas"]


@dataclass
class _Drag:
    event_id: int
    edge: str  # "onset" or "offset"
    frame: int
    roll: bool = True  # a shared boundary moves both sides (Shift not held)


class TimelineCanvas(QWidget):
    """The painted tracks (see the module docstring for the mouse gestures)."""

    viewChanged = pyqtSignal()

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.start_s = 0.0
        self.span_s = min(60.0, document.duration_s)
        self.tracks: list[Track] = []
        self.extra_tracks: list[Track] = []  # under the tiers: motion energy, say
        # a mode's own tracks for each tier (tier, shade) -> tracks, in place of the usual ones
        self.make_tracks: Callable[[Tier, int], list[Track]] | None = None
        self._drag: _Drag | None = None
        self._scrubbing = False
        self._selected = document.selected
        self._playhead_x = None
        self._pending: list[QRect] = []  # parts asked to be repainted since the last paint
        self._released_at: QPoint | None = None  # where a drag ended, while its edit is tried
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._relayout()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        document.eventsChanged.connect(self._events_changed)
        document.selectionChanged.connect(self._selection_changed)
        document.comparisonChanged.connect(self._relayout)
        document.disagreementsChanged.connect(self._disagreements_changed)
        document.frameChanged.connect(self._follow)
        document.problem.connect(self._refused)

    # -- geometry -----------------------------------------------------------------------------
    @property
    def tiers(self) -> tuple[str, ...]:
        return self.document.session.scheme.tier_names

    @property
    def view(self) -> View:
        return View(self.start_s, self.span_s, LABEL_W, max(self.width() - LABEL_W, 1))

    def _relayout(self) -> None:
        """One track per tier, and one for the compared coder under each when comparing."""
        doc = self.document
        self.tracks = []
        for k, tier in enumerate(doc.session.scheme.tiers):
            if self.make_tracks is not None:
                self.tracks.extend(self.make_tracks(tier, k % 2))
                continue
            self.tracks.append(TierTrack(doc, tier, k % 2))
            if doc.comparison is not None:
                self.tracks.append(ComparisonTrack(doc, tier, k % 2))
        self.tracks += self.extra_tracks
        height = RULER_H + sum(t.height for t in self.tracks) + 4
        self.setMinimumHeight(height)
        self.setMaximumHeight(height + 4 * TRACK_H)
        self.update()

    def set_extra_tracks(self, tracks: list[Track]) -> None:
        self.extra_tracks = list(tracks)
        self._relayout()

    def relayout(self) -> None:
        """Build the tracks again (after :attr:`make_tracks` changed)."""
        self._relayout()

    def _tops(self):
        top = RULER_H
        for track in self.tracks:
            yield track, top
            top += track.height

    def track_at(self, y: float) -> tuple[Track, int] | None:
        for track, top in self._tops():
            if top <= y < top + track.height:
                return track, top
        return None

    def _tier_track(self, tier: str) -> tuple[TierTrack, int] | None:
        for track, top in self._tops():
            if isinstance(track, TierTrack) and track.tier == tier:
                return track, top
        return None

    def x_of(self, t: float) -> float:
        return float(self.view.x_of(t))

    def t_of(self, x: float) -> float:
        return self.view.t_of(x)

    def tier_at(self, y: float) -> str | None:
        found = self.track_at(y)
        return found[0].tier if found and isinstance(found[0], TierTrack) else None

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

    # -- what to repaint ------------------------------------------------------------------------
    def _repaint(self, top: int, height: int, t0: float, t1: float) -> None:
        """Schedule a repaint of the times ``[t0, t1]`` of a band (nothing when out of view)."""
        x0, x1 = self.x_of(t0) - PAD, self.x_of(t1) + PAD
        x0, x1 = max(x0, LABEL_W), min(x1, self.width())
        if x1 > x0:
            self._update(QRect(int(x0), top, int(np.ceil(x1 - x0)) + 1, height))

    def _events_changed(self, change: Change) -> None:
        for track, top in self._tops():
            if isinstance(track, TierTrack):
                for t0, t1 in track.follow(change):
                    self._repaint(top, track.height, t0, t1)

    def _disagreements_changed(self, shown: dict) -> None:
        for track, top in self._tops():
            if isinstance(track, ComparisonTrack) and track.tier in shown:
                track.refresh()
                self._repaint(top, track.height, *shown[track.tier])

    def _repaint_event(self, event_id: int | None) -> None:
        ev = None if event_id is None else self.document.session.events.get(event_id)
        found = None if ev is None else self._tier_track(ev.tier)
        if found is not None:
            end = ev.onset_s if ev.offset_s is None else ev.offset_s
            self._repaint(found[1], found[0].height, ev.onset_s, end)

    def _selection_changed(self, event_id: int | None) -> None:
        self._repaint_event(self._selected)
        self._selected = event_id
        self._repaint_event(event_id)

    def _follow(self, _frame: int) -> None:
        t = self.document.time
        if not (self.start_s <= t <= self.start_s + self.span_s):
            self.set_view(t - 0.1 * self.span_s, self.span_s)
            return
        x = self.x_of(t)
        for column in (self._playhead_x, x):
            if column is not None:
                self._update(QRect(int(column) - 2, 0, 5, self.height()))

    # -- hit testing --------------------------------------------------------------------------
    def hit(self, x: float, y: float) -> tuple[int, str] | None:
        """(event id, "onset"|"offset"|"body") under the pointer, edges first."""
        found = self.track_at(y)
        if found is None or not isinstance(found[0], TierTrack) or x < LABEL_W:
            return None
        return found[0].hit(self.view, x, EDGE_PX)

    # -- mouse --------------------------------------------------------------------------------
    def mousePressEvent(self, e) -> None:
        x, y = e.position().x(), e.position().y()
        if e.button() != Qt.MouseButton.LeftButton or x < LABEL_W:
            return
        doc = self.document
        target = self.hit(x, y)
        if target is None:
            doc.select(None)
            doc.seek(self._snap(x))
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
            self.document.seek(self._snap(x))
        elif self._drag is not None:
            self._drag.frame = self._snap(x)
            self._drag.roll = not e.modifiers() & ONE_SIDE
            self._show_drag()
        else:
            target = self.hit(x, e.position().y())
            edge = target is not None and target[1] != "body"
            self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)
            self.setToolTip(self._boundary_tip(*target) if edge else "")

    def _boundary_tip(self, event_id: int, edge: str) -> str:
        """What dragging a shared boundary does (empty for other edges)."""
        events, scheme = self.document.session.events, self.document.session.scheme
        other = shared_boundary(events, scheme, event_id, edge)
        if other is None:
            return ""
        a, b = sorted((events[event_id], events[other]), key=lambda ev: ev.onset_s)
        return (
            f"Drag: move the boundary between '{a.code}' and '{b.code}' (both sides)\n"
            f"{ONE_SIDE_KEY}+drag: move one side only (the state you drag into shrinks)"
        )

    def _show_drag(self) -> None:
        """Draw the dragged events where the pointer would put them (their track only)."""
        drag, doc = self._drag, self.document
        events = doc.session.events
        ev = events[drag.event_id]
        found = self._tier_track(ev.tier)
        if found is None:
            return
        track, top = found
        t = self._time_at(drag.frame)
        moves = moving_edges(events, doc.session.scheme, drag.event_id, drag.edge, t, drag.roll)
        spans = list(track.drag.values())
        track.drag = {}
        for i, side in moves:
            other = events[i]
            start, end = other.onset_s, other.onset_s if other.offset_s is None else other.offset_s
            spans.append((start, end))
            if other.offset_s is None:
                start = end = t
            elif side == "onset":
                start = t
            else:
                end = t
            track.drag[i] = (start, end)
        spans += track.drag.values()
        self._repaint(top, track.height, min(s[0] for s in spans), max(s[1] for s in spans))

    def _time_at(self, frame: int) -> float:
        doc = self.document
        return doc.time_of(frame) if frame < doc.frame_count else doc.duration_s

    def mouseReleaseEvent(self, e) -> None:
        self._scrubbing = False
        drag, self._drag = self._drag, None
        if drag is None:
            return
        found = self._tier_track(self.document.session.events[drag.event_id].tier)
        if found is not None and found[0].drag:
            track, top = found
            spans = track.drag.values()
            self._repaint(top, track.height, min(s[0] for s in spans), max(s[1] for s in spans))
            track.drag = {}
        roll = not e.modifiers() & ONE_SIDE
        self._released_at = e.position().toPoint()
        try:
            self.move_edge(drag.event_id, drag.edge, self._snap(e.position().x()), roll=roll)
        finally:
            self._released_at = None

    def move_edge(self, event_id: int, edge: str, frame: int, roll: bool = True) -> bool:
        """Drag an event's onset or offset to ``frame`` (one undoable edit): a boundary shared with
        the next or previous state moves both sides when ``roll``, else one side only."""
        doc = self.document
        if frame == self._frame_of(event_id, edge):
            self._repaint_event(event_id)
            return False
        t = self._time_at(frame)
        return doc.edit(
            move_boundary, doc.session.scheme, event_id, edge, t, frame, roll=roll,
            explain=_plain_words,
        )  # fmt: skip

    def _refused(self, message: str) -> None:
        """Say a refused drag at the pointer too (the status bar also shows it)."""
        if self._released_at is not None:
            QToolTip.showText(self.mapToGlobal(self._released_at), message, self)

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
        """The frame whose start is nearest to the pointer (frame_count: the video's end).

        The inverse of how the playhead and events are drawn (at their frame's start): the pixel
        nearest a frame's start may lie up to half a pixel before it, where the frame *showing* is
        still the previous one, so taking that frame made a click on an event's edge or on the
        playhead land one frame early.
        """
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
    def _update(self, rect: QRect) -> None:
        self._pending.append(rect)
        self.update(rect)

    def paintEvent(self, event) -> None:
        # paint the parts asked for one by one: two far-apart changes are two small paints, not
        # everything between them (Qt merges them into one region whose parts PyQt cannot list)
        region = event.region()
        mine = [r for r in self._pending if region.intersects(r)]
        self._pending = []
        covered = QRegion()
        for r in mine:
            covered = covered.united(r)
        rects = mine if mine and region.subtracted(covered).isEmpty() else [region.boundingRect()]
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for rect in rects:
            p.save()
            p.setClipRect(rect)
            self._paint_rect(p, rect)
            p.restore()
        p.end()

    def _paint_rect(self, p: QPainter, rect: QRect) -> None:
        p.fillRect(rect, QColor(theme.BACKGROUND))
        if rect.top() < RULER_H:
            self._paint_ruler(p)
        view = self.view
        t0, t1 = view.t_of(rect.left() - PAD), view.t_of(rect.right() + PAD)
        width = self.width()
        for track, top in self._tops():
            if top > rect.bottom() or top + track.height <= rect.top():
                continue
            p.fillRect(QRectF(0, top, width, track.height), QColor(SHADES[track.shade]))
            if rect.left() < LABEL_W:
                track.paint_label(p, top, LABEL_W)
            p.save()
            p.setClipRect(QRect(LABEL_W, top, width - LABEL_W, track.height) & rect)
            track.paint(p, view, top, t0, t1)
            p.restore()
        p.setPen(QColor(theme.BORDER))
        p.drawLine(LABEL_W, 0, LABEL_W, self.height())
        x = self.x_of(self.document.time)
        self._playhead_x = x
        if x >= LABEL_W:
            p.setPen(QPen(QColor(theme.PLAYHEAD), 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))

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


def _plain_words(exc: EditError) -> str:
    """A refused move as the coder reads it (timecodes; what to do instead)."""
    if isinstance(exc, MoveRefused):
        return exc.words(format_timecode)
    return str(exc)


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
