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
from PyQt6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF

from ..movement.preprocess import moving_average
from ..scheme import Tier
from ..session import Change
from . import theme
from .document import Document

TRACK_H, COMPARE_H = 30, 12
LINE_PX = 1  # a motion track's 1 s mean (wider pens take Qt's slow stroker path)
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
            _paint_one(p, view, y, h, onset, end, ev.offset_s is None, colour, i == selected,
                       ev.code)  # fmt: skip

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


def _paint_one(p, view, top, h, onset, end, point, colour, selected, name="") -> None:
    """One event drawn on top of the others: the selected one (outlined) or the dragged one,
    a state with its code inside as :func:`paint_intervals` writes it."""
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
    if name and x1 - x0 > TEXT_MIN_PX:
        left = max(x0, view.left)
        p.setPen(QColor("#111111"))
        p.drawText(QRectF(left + 4, top, x1 - left - 6, h), Qt.AlignmentFlag.AlignVCenter, name)
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


def column_summary(x: np.ndarray, values: np.ndarray):
    """Per pixel column ``floor(x)``: the column, the maximum and the mean of the values there
    (NaN, a frame without a value, is left out; a column of NaN only has NaN)."""
    columns = np.floor(x).astype(np.int64)
    if not len(columns):
        return columns, np.empty(0), np.empty(0)
    starts = np.flatnonzero(np.r_[True, columns[1:] != columns[:-1]])
    present = ~np.isnan(values)
    counts = np.add.reduceat(present.astype(np.int64), starts)
    top = np.maximum.reduceat(np.where(present, values, -np.inf), starts)
    sums = np.add.reduceat(np.where(present, values, 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / counts, np.nan)
    return columns[starts], np.where(counts > 0, top, np.nan), mean


class MotionTrack(Track):
    """Motion energy of one region (SCIENCE.md §6) over time, on the events' clock.

    As in ``plot --kind movement``: the frames' values (the share of the region's pixels changed
    since the frame before) as a faint area, and their 1 s moving mean as a bright line; the
    height is 1.6 × the highest 1 s mean (written under the label), so the means fill the track
    and single-frame spikes are clipped. It is drawn one pixel column at a time: zoomed in, a
    column shows the frame it lies in; zoomed out, where frames are narrower than a pixel, the
    **maximum** of its frames' values (a burst of movement stays visible at any zoom) and the
    **mean** of their 1 s means. So a paint costs the same at any zoom, and only the columns
    being repainted are computed. ``values`` None: not measured (yet), ``note`` says why.
    """

    height = 36

    def __init__(
        self,
        label: str,
        colour: QColor,
        times_s=None,
        values=None,
        note: str = "measuring…",
        camera: str = "",
    ) -> None:
        self.label, self.colour, self.note, self.camera = label, QColor(colour), note, camera
        self.label_colour = self.colour.name()
        self.fill = QColor(self.colour)
        self.fill.setAlpha(80)
        self.times = self.values = self.means = None
        self.top_value, self.frame_s = 1.0, 1.0
        if values is None:
            return
        self.times = np.asarray(times_s, np.float64)
        self.values = np.asarray(values, np.float64)
        if len(self.times) > 1:
            self.frame_s = float(np.median(np.diff(self.times)))
        self.means = moving_average(self.values, max(1, round(1.0 / self.frame_s)))
        top = 1.6 * float(np.nanmax(self.means, initial=0.0))
        self.top_value = top if top > 0 else (float(np.nanmax(self.values, initial=0.0)) or 1.0)

    def paint_label(self, p: QPainter, top: float, width: float) -> None:
        box = QRectF(LABEL_PAD, top + 2, width - LABEL_PAD - 4, self.height / 2)
        p.setPen(self.colour)
        p.drawText(box, Qt.AlignmentFlag.AlignVCenter, self.label)
        p.setPen(QColor(theme.MUTED))
        scale = f"0–{100 * self.top_value:.2g} %" + (
            f" · {self.camera}" if self.camera else " of pixels"
        )
        note = self.note if self.values is None else scale
        note = p.fontMetrics().elidedText(note, Qt.TextElideMode.ElideRight, int(box.width()))
        p.drawText(box.translated(0, self.height / 2 - 3), Qt.AlignmentFlag.AlignVCenter, note)

    def paint(self, p: QPainter, view: View, top: float, t0: float, t1: float) -> None:
        if self.values is None:
            return
        times = self.times
        lo = max(int(np.searchsorted(times, t0, side="right")) - 1, 0)
        hi = min(int(np.searchsorted(times, t1, side="right")) + 1, len(times))
        if hi <= lo:
            return
        x = view.x_of(times[lo:hi])
        frame_px = self.frame_s / view.span_s * view.width
        if frame_px >= 1.0:  # a frame is a pixel or wider: each column shows its frame
            start = max(np.floor(x[0]), np.floor(view.x_of(t0)))
            columns = np.arange(start, min(np.ceil(x[-1] + frame_px), np.ceil(view.x_of(t1))))
            k = np.searchsorted(x, columns + 0.5, side="right") - 1
            columns, k = columns[k >= 0], k[k >= 0]
            tops, line = self.values[lo:hi][k], self.means[lo:hi][k]
        else:
            columns, tops, _ = column_summary(x, self.values[lo:hi])
            _, _, line = column_summary(x, self.means[lo:hi])
        if not len(columns):
            return
        h = self.height - 6
        scale = h / self.top_value
        bars = np.rint(np.minimum(np.nan_to_num(tops), self.top_value) * scale).astype(np.int64)
        first = int(columns[0])
        width = int(columns[-1]) - first + 1
        heights = np.zeros(width, np.int64)
        heights[columns.astype(np.int64) - first] = bars
        p.drawImage(QRectF(first, top + 3, width, h), _bars(heights, h, self.fill))
        p.setPen(QPen(self.colour, LINE_PX))
        p.setBrush(Qt.BrushStyle.NoBrush)
        base = top + 3 + h
        points = np.column_stack([columns + 0.5, base - np.minimum(line, self.top_value) * scale])
        idx = np.flatnonzero(~np.isnan(line))
        for run in np.split(idx, np.flatnonzero(np.diff(idx) != 1) + 1):  # gaps break the line
            if len(run) > 1:
                p.drawPolyline(_polygon(points[run]))


def _bars(heights: np.ndarray, h: int, colour: QColor) -> QImage:
    """Bars ``heights`` pixels high, one per pixel column, standing on the bottom of an image
    ``h`` pixels high (an image: one draw, however many columns)."""
    rgba = np.zeros((h, len(heights), 4), np.uint8)
    rgba[np.arange(h)[:, None] >= h - heights[None, :]] = colour.getRgb()
    return QImage(
        rgba.data, len(heights), h, 4 * len(heights), QImage.Format.Format_RGBA8888
    ).copy()


def _polygon(points: np.ndarray) -> QPolygonF:
    """``points`` (n × 2) as a polygon, filled straight from numpy (no QPointF per point)."""
    poly = QPolygonF()
    poly.fill(QPointF(), len(points))
    ptr = poly.data()
    ptr.setsize(points.size * 8)
    np.frombuffer(ptr, np.float64).reshape(-1, 2)[:] = points
    return poly
