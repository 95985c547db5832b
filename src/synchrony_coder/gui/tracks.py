"""What the timeline draws, one horizontal track at a time: a tier's events, a second coder's, ...

A :class:`Track` has a height and a label and paints the part of itself between two times; the
canvas (:mod:`.timeline`) stacks the tracks, maps time to x (:class:`View`) and repaints only what
changed. A new kind of track (a motion-energy curve per ROI, say) is one more subclass.

Events are kept as onset-sorted numpy arrays per track, updated edit by edit (an insertion in a
sorted array), and only those meeting the painted span are looked at. Zoomed out, a tier can hold
many events per pixel: events narrower than a pixel (and point events) are summarised to one mark
per pixel column, the last one starting there; wider state events are drawn whole. So a paint
draws at most about one mark per pixel column per track, whatever the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPen, QPolygonF

from ..scheme import Tier
from ..session import Change
from . import theme
from .document import Document

TRACK_H, COMPARE_H = 30, 12
LABEL_PAD = 8
TRIANGLE_GAP_PX = 6  # a point gets its triangle head when its neighbours are this far away
TEXT_MIN_PX = 40  # a state event shows its code inside when at least this wide
GREY = QColor("#808080")


@dataclass(frozen=True)
class View:
    """The visible stretch of time, ``span_s`` seconds from ``start_s`` over ``width`` pixels."""

    start_s: float
    span_s: float
    left: float
    width: float

    def x_of(self, t):
        """The x of time ``t`` (a number or an array)."""
        return self.left + (t - self.start_s) / self.span_s * self.width

    def t_of(self, x: float) -> float:
        return self.start_s + (x - self.left) / max(self.width, 1.0) * self.span_s


class Track:
    """One horizontal band of the timeline."""

    height = TRACK_H
    label = ""
    label_colour = theme.TEXT
    shade = 0  # tracks of one tier share a background shade

    def paint(self, p: QPainter, view: View, top: float, t0: float, t1: float) -> None:
        """Paint what lies between ``t0`` and ``t1`` (the painter is clipped to the track)."""

    def paint_label(self, p: QPainter, top: float, width: float) -> None:
        p.setPen(QColor(self.label_colour))
        box = QRectF(LABEL_PAD, top, width - LABEL_PAD - 4, self.height)
        p.drawText(box, Qt.AlignmentFlag.AlignVCenter, self.label)


class Intervals:
    """Events of one track as onset-sorted arrays: onset, end (= onset for points), code, id."""

    def __init__(self, onset, end, code, ids) -> None:
        order = np.lexsort((ids, onset))
        self.onset = np.asarray(onset, dtype=np.float64)[order]
        self.end = np.asarray(end, dtype=np.float64)[order]
        self.code = np.asarray(code, dtype=np.int64)[order]
        self.ids = np.asarray(ids, dtype=np.int64)[order]
        self.point = self.end == self.onset
        self.longest = float((self.end - self.onset).max()) if len(self.onset) else 0.0

    def between(self, t0: float, t1: float) -> slice:
        """The events that may meet ``[t0, t1]``: a slice of the sorted arrays."""
        lo = int(np.searchsorted(self.onset, t0 - self.longest, side="left"))
        hi = int(np.searchsorted(self.onset, t1, side="right"))
        return slice(lo, hi)

    def remove(self, event_id: int, onset: float) -> None:
        lo = int(np.searchsorted(self.onset, onset, side="left"))
        hi = int(np.searchsorted(self.onset, onset, side="right"))
        k = lo + int(np.flatnonzero(self.ids[lo:hi] == event_id)[0])
        self._set(*(np.delete(a, k) for a in self._arrays()))

    def insert(self, event_id: int, onset: float, end: float, code: int) -> None:
        lo = int(np.searchsorted(self.onset, onset, side="left"))
        hi = int(np.searchsorted(self.onset, onset, side="right"))
        k = lo + int(np.searchsorted(self.ids[lo:hi], event_id))
        values = (onset, end, code, event_id)
        self._set(*(np.insert(a, k, v) for a, v in zip(self._arrays(), values, strict=True)))
        self.longest = max(self.longest, end - onset)

    def _arrays(self):
        return self.onset, self.end, self.code, self.ids

    def _set(self, onset, end, code, ids) -> None:
        self.onset, self.end, self.code, self.ids = onset, end, code, ids
        self.point = end == onset


def _marks(view: View, iv: Intervals, part: slice, skip=()):
    """Which events of ``iv[part]`` to draw (but the ids in ``skip``), and their x: wide states
    whole, the rest one per pixel column (the last one starting in it). Returns (wide, narrow)
    index arrays and x0, x1."""
    idx = np.arange(part.start, part.stop)
    if len(skip):
        idx = idx[~np.isin(iv.ids[idx], list(skip))]
    x0 = view.x_of(iv.onset[idx])
    x1 = view.x_of(iv.end[idx])
    narrow = iv.point[idx] | (x1 - x0 < 1.0)
    columns = np.floor(x0[narrow]).astype(np.int64)
    last = np.r_[columns[1:] != columns[:-1], True] if len(columns) else np.zeros(0, bool)
    keep = np.flatnonzero(narrow)[last]
    wide = np.flatnonzero(~narrow)
    return idx, wide, keep, x0, x1


def _by_code(codes: np.ndarray, which: np.ndarray):
    """``(code, the marks of that code)`` for the marks ``which``."""
    present = codes[which]
    for code in sorted(set(present.tolist())):
        yield code, which[present == code]


def paint_intervals(
    p: QPainter,
    view: View,
    iv: Intervals,
    part: slice,
    top: float,
    h: float,
    colours: list[QColor],
    names: list[str] | None = None,
    skip=(),
    heads: bool = True,
) -> None:
    """Draw the events of ``iv[part]`` (summarised per pixel column, see the module docstring):
    states as filled bars (with their code's name when ``names`` and wide enough), points as
    lines, with a triangle head where they stand apart (when ``heads``)."""
    idx, wide, keep, x0, x1 = _marks(view, iv, part, skip)
    codes = iv.code[idx]
    p.setPen(Qt.PenStyle.NoPen)
    for code, which in _by_code(codes, wide):
        p.setBrush(colours[code])
        p.drawRects([QRectF(x0[k], top, x1[k] - x0[k], h) for k in which])
    states = keep[~iv.point[idx[keep]]]
    for code, which in _by_code(codes, states):
        p.setBrush(colours[code])
        p.drawRects([QRectF(np.floor(x0[k]), top, 1.0, h) for k in which])
    points = keep[iv.point[idx[keep]]]
    headed = np.zeros(len(points), dtype=bool)
    if len(points) and heads:
        # a point's neighbours in the whole track decide its head, so any part paints alike
        at = idx[points]
        gap = np.minimum(
            np.diff(iv.onset, prepend=-np.inf)[at], np.diff(iv.onset, append=np.inf)[at]
        )
        headed = gap / view.span_s * view.width >= TRIANGLE_GAP_PX
    for code, which in _by_code(codes, points):
        p.setPen(QPen(colours[code], 2))
        p.drawLines([QLineF(x0[k], top, x0[k], top + h) for k in which])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colours[code])
        for k in which[headed[np.searchsorted(points, which)]]:
            p.drawPolygon(_head(x0[k], top))
    if names is not None:
        p.setPen(QColor("#111111"))
        for k in wide[x1[wide] - x0[wide] > TEXT_MIN_PX]:
            box = QRectF(max(x0[k], view.left) + 4, top, x1[k] - max(x0[k], view.left) - 6, h)
            p.drawText(box, Qt.AlignmentFlag.AlignVCenter, names[codes[k]])


def _head(x: float, top: float) -> QPolygonF:
    return QPolygonF([QPointF(x - 5, top), QPointF(x + 5, top), QPointF(x, top + 7)])


class TierTrack(Track):
    """The open coder's events of one tier (editable: see the canvas's mouse gestures)."""

    def __init__(self, document: Document, tier: Tier, shade: int) -> None:
        self.document, self.tier, self.shade = document, tier.name, shade
        self.label = tier.name.replace("_", " ")
        self.names = list(tier.code_names)
        self.colours = [QColor(c.color) for c in tier.codes]
        self._code = {name: k for k, name in enumerate(self.names)}
        events = document.session.events
        ids = events.tier_ids(self.tier)
        evs = [events[i] for i in ids]
        self.events = Intervals(
            [e.onset_s for e in evs],
            [e.onset_s if e.offset_s is None else e.offset_s for e in evs],
            [self._code.get(e.code, 0) for e in evs],
            ids,
        )
        self.drag: dict[int, tuple[float, float]] = {}  # id -> (onset, end) while dragged

    def follow(self, change: Change) -> list[tuple[float, float]]:
        """Take ``change`` in; the time spans that look different now."""
        spans = []
        for i, before, after in change.rows:
            if before is not None and before.tier == self.tier:
                self.events.remove(i, before.onset_s)
                spans.append(_extent(before))
            if after is not None and after.tier == self.tier:
                end = _extent(after)[1]
                self.events.insert(i, after.onset_s, end, self._code.get(after.code, 0))
                spans.append(_extent(after))
        return spans

    def paint(self, p: QPainter, view: View, top: float, t0: float, t1: float) -> None:
        iv = self.events
        h, y = self.height - 6, top + 3
        drag = self.drag
        paint_intervals(
            p, view, iv, iv.between(t0, t1), y, h, self.colours, self.names, skip=drag.keys()
        )
        events = self.document.session.events
        selected = self.document.selected
        for i in ({selected} | drag.keys()) - {None}:
            ev = events.get(i)
            if ev is None or ev.tier != self.tier:
                continue
            onset, end = drag.get(i) or _extent(ev)
            colour = self.colours[self._code.get(ev.code, 0)]
            _paint_one(p, view, y, h, onset, end, ev.offset_s is None, colour, i == selected)

    def hit(self, view: View, x: float, edge_px: float) -> tuple[int, str] | None:
        """(event id, "onset"|"offset"|"body") at ``x``: the nearest edge within ``edge_px``
        (a point is all edge), else the latest-starting event under the pointer."""
        iv = self.events
        part = iv.between(view.t_of(x - edge_px), view.t_of(x + edge_px))
        idx = np.arange(part.start, part.stop)
        if not len(idx):
            return None
        x0, x1 = view.x_of(iv.onset[idx]), view.x_of(iv.end[idx])
        point = iv.point[idx]
        d_on, d_off = np.abs(x - x0), np.where(point, np.inf, np.abs(x - x1))
        near = np.minimum(d_on, d_off)
        k = int(np.argmin(near))
        if near[k] <= edge_px:
            return int(iv.ids[idx[k]]), "offset" if d_off[k] < d_on[k] else "onset"
        inside = np.flatnonzero(~point & (x0 <= x) & (x < x1))
        return (int(iv.ids[idx[inside[-1]]]), "body") if len(inside) else None


def _extent(ev) -> tuple[float, float]:
    return ev.onset_s, ev.onset_s if ev.offset_s is None else ev.offset_s


def _paint_one(p, view, top, h, onset, end, point, colour, selected) -> None:
    """One event drawn on top of the others: the selected one (outlined) or the dragged one."""
    x0, x1 = view.x_of(onset), view.x_of(end)
    if point:
        p.setPen(QPen(QColor("#ffffff") if selected else colour, 3 if selected else 2))
        p.drawLine(QPointF(x0, top), QPointF(x0, top + h))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPolygon(_head(x0, top))
        return
    rect = QRectF(x0, top, max(x1 - x0, 1.0), h)
    p.fillRect(rect, colour)
    if selected:
        p.setPen(QPen(QColor("#ffffff"), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect.adjusted(1, 1, -1, -1))


class ComparisonTrack(Track):
    """A second coder's events of one tier, thin, with where the two disagree marked in red."""

    height = COMPARE_H
    label_colour = theme.MUTED

    def __init__(
        self,
        document: Document,
        tier: Tier,
        shade: int,
        coder: str | None = None,
        events=None,
        compared=None,
    ) -> None:
        """The document's compared coder, or ``coder``'s ``events`` and their live
        :class:`~synchrony_coder.session.comparison.Comparison` with ours, ``compared``."""
        self.document, self.tier, self.shade = document, tier.name, shade
        self.compared = document.compared if compared is None else compared
        self.label = "   " + (document.comparison_coder if coder is None else coder)
        table = document.comparison if events is None else events
        codes = {name: k for k, name in enumerate(tier.code_names)}
        self.colours = []
        for c in tier.codes:
            colour = QColor(c.color)
            colour.setAlpha(170)
            self.colours.append(colour)
        rows = table[table["tier"].astype(str) == self.tier]
        on = rows["onset_s"].to_numpy(np.float64)
        off = rows["offset_s"].to_numpy(np.float64)
        self.events = Intervals(
            on, np.where(np.isnan(off), on, off), [codes.get(c, 0) for c in rows["code"]],
            np.arange(len(rows)),
        )  # fmt: skip
        self.red = QColor("#ff3b30")
        self.red.setAlpha(200)
        self.refresh()

    def refresh(self) -> None:
        """Take the document's disagreements on this tier in again."""
        on, off = self.compared.spans(self.tier)
        ends = np.where(np.isnan(off), on, off)
        self.spans = Intervals(on, ends, np.zeros(len(on)), np.arange(len(on)))

    def paint(self, p: QPainter, view: View, top: float, t0: float, t1: float) -> None:
        iv = self.events
        part = iv.between(t0, t1)
        paint_intervals(p, view, iv, part, top + 1, self.height - 4, self.colours, heads=False)
        spans = self.spans
        idx, wide, keep, x0, x1 = _marks(view, spans, spans.between(t0, t1))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.red)
        y = top + self.height - 3
        rects = [QRectF(x0[k], y, max(x1[k] - x0[k], 2.0), 3) for k in wide]
        rects += [QRectF(np.floor(x0[k]), y, 2.0, 3) for k in keep]
        if rects:
            p.drawRects(rects)
