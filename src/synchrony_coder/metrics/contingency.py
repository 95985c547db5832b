"""Contingency of responses on bids (Watson, 1985; Van Egeren, Barratt & Roach, 2001) and Yule's Q
over time units (Bakeman & Quera, 2011, ch. 11), for every window of a corpus at once.

Bids and responses are sorted keys on the corpus's global axis (:mod:`.corpus`); each question is
one ``searchsorted``. The base rate is an exact measure: the set of times followed by a response
within W is a union of intervals ``[r − W, r)``, whose covered length up to any point is read off a
cumulative sum. :class:`TimeUnits` is the time-window sequential analysis of SCIENCE.md §7 (any
given code, any target code, any window): each code's time units are marked once as bits, 64 to a
word, and the 2 × 2 table of any pair of codes is a few passes over words
(:func:`time_window_table` for one pair); §3's ``yules_q`` is its special case (given = any bid,
target = any response, window (0, W]), and :mod:`synchrony_coder.sequential` builds on it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .corpus import Windows, assign_windows, ceil_div, grouped_median, ratio

__all__ = [
    "TimeUnits",
    "UnitBits",
    "contingency_metrics",
    "covered_below",
    "merge_intervals",
    "sorted_searchsorted",
    "time_window_table",
    "two_by_two",
    "yules_q",
]


def merge_intervals(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of half-open intervals ``[start, stop)`` as sorted, disjoint blocks.

    Empty intervals are dropped; overlapping ones merge, touching ones stay separate blocks (the
    union is the same, and a block then never spans two analysis windows that touch).
    """
    keep = stops > starts
    s, e = starts[keep], stops[keep]
    if len(s) > 1 and not (s[1:] >= s[:-1]).all():
        o = np.argsort(s, kind="stable")
        s, e = s[o], e[o]
    if not len(s):
        return s, e
    reach = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] >= reach[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(s)) - 1
    return s[first], reach[last]


def covered_below(block_start: np.ndarray, block_stop: np.ndarray):
    """``F(x)``: the length of the disjoint sorted blocks' union below each ``x``."""
    before = np.concatenate(([0], np.cumsum(block_stop - block_start)[:-1]))

    def covered(x: np.ndarray) -> np.ndarray:
        if not len(block_start):
            return np.zeros(np.shape(x), dtype=np.int64)
        m = sorted_searchsorted(block_start, x, side="right") - 1
        safe = np.clip(m, 0, None)
        inside = np.minimum(x, block_stop[safe]) - block_start[safe]
        return np.where(m >= 0, before[safe] + inside, 0)

    return covered


def sorted_searchsorted(a: np.ndarray, v: np.ndarray, side: str = "left") -> np.ndarray:
    """``numpy.searchsorted(a, v, side)`` for a sorted ``a``, quicker when ``v`` is sorted too.

    A binary search per value misses the cache on large arrays (some 20 ns a value); two sorted
    runs put end to end are merged by one stable sort (timsort) in linear time, and each value's
    place in the merge, less the values before it, is its insertion point. Ties: ``a``'s equal
    values come first for ``side="right"``, last for ``"left"``.
    """
    v = np.asarray(v)
    few = len(v) < 4096 or len(a) > 16 * len(v)  # a binary search per value is the quicker
    if v.ndim != 1 or few or not (v[1:] >= v[:-1]).all():
        return np.searchsorted(a, v, side=side)
    if side == "right":
        order = np.argsort(np.concatenate([a, v]), kind="stable")
        at = np.flatnonzero(order >= len(a))
    else:
        order = np.argsort(np.concatenate([v, a]), kind="stable")
        at = np.flatnonzero(order < len(v))
    return at - np.arange(len(v))


def contingency_metrics(
    bids: np.ndarray | None,
    responses: np.ndarray | None,
    windows: Windows,
    *,
    window_ms: int,
) -> dict[str, np.ndarray]:
    """Bids, contingency, base rate, ΔP and median latency per output row.

    Parameters
    ----------
    bids, responses
        Sorted global keys of bid and response onsets (``None``: the scheme has no such role).
    windows
        The analysis windows; a bid counts for the window containing its onset.
    window_ms
        W, the contingency window.

    Returns
    -------
    dict
        ``n_bids``; ``contingency`` = answered bids ÷ bids, a bid at b being answered when a
        response onset r has b < r ≤ b + W (responses are looked for past the window's end;
        Watson, 1985; Van Egeren, Barratt & Roach, 2001); ``base_rate`` = the share of times t in
        ``[t0, t1 − W]`` with a response onset in (t, t + W], an exact measure (NaN when the
        window is not longer than W); ``delta_p`` = contingency − base_rate; ``median_latency_s``
        over answered bids of (first response onset − b).
    """
    n = windows.n_rows
    nan = np.full(n, np.nan)
    out: dict[str, np.ndarray] = {}
    if bids is None:
        out["n_bids"] = nan
        bid_row = np.zeros(0, dtype=np.int64)
    else:
        w = assign_windows(windows, bids)
        bids = bids[w >= 0]
        bid_row = windows.row[w[w >= 0]]
        out["n_bids"] = np.bincount(bid_row, minlength=n)
    if responses is None or bids is None:
        out.update(contingency=nan, median_latency_s=nan)
    else:
        j = np.searchsorted(responses, bids, side="right")
        has = j < len(responses)
        first = responses[np.clip(j, 0, max(len(responses) - 1, 0))] if len(responses) else j
        answered = has & (first <= bids + window_ms)
        out["contingency"] = ratio(np.bincount(bid_row[answered], minlength=n), out["n_bids"])
        latency = (first - bids)[answered]
        out["median_latency_s"] = grouped_median(latency, bid_row[answered], n)
    if responses is None:
        out["base_rate"] = nan
    else:
        lo = windows.start
        hi = windows.stop - window_ms
        span = np.maximum(hi - lo, 0)
        if len(responses):
            covered = covered_below(*merge_intervals(responses - window_ms, responses))
            got = np.where(span > 0, covered(np.maximum(hi, lo)) - covered(lo), 0)
        else:
            got = np.zeros(len(lo), dtype=np.int64)
        out["base_rate"] = ratio(
            np.bincount(windows.row, got, minlength=n), np.bincount(windows.row, span, minlength=n)
        )
    out["delta_p"] = out["contingency"] - out["base_rate"]
    return out


def yules_q(
    bids: np.ndarray | None,
    responses: np.ndarray | None,
    windows: Windows,
    *,
    window_ms: int,
    unit_ms: int,
) -> np.ndarray:
    """Yule's Q of responses on bids over time units, per output row.

    The time-window sequential analysis of :func:`time_window_table` with given = any bid onset,
    target = any response onset and the window (0, W] (Bakeman & Quera, 2011, ch. 11); NaN when
    ad + bc = 0 (for instance without bids or responses).
    """
    if bids is None or responses is None:
        return np.full(windows.n_rows, np.nan)
    table = time_window_table(
        bids, responses, None, windows, lo_ms=0, hi_ms=window_ms, unit_ms=unit_ms
    )
    return two_by_two(*table)["yules_q"]


@dataclass(frozen=True)
class UnitBits:
    """Units marked by one code: one bit per unit of the analysis windows (made by
    :class:`TimeUnits`), and how many of each window's units are marked."""

    bits: np.ndarray  # uint64 words
    per_window: np.ndarray


class TimeUnits:
    """The time units of analysis windows, for the time-window sequential analysis of any given
    and target code (Bakeman & Quera, 2011, ch. 11; Bakeman, Deckner & Quera, 2005; SCIENCE.md §7).

    Units ``[k·u, (k+1)·u)`` are counted from each session's 0 (the corpus stride is a multiple of
    u); a unit belongs to a window when its midpoint m lies in it. A unit is *given* when m lies in
    (o + lo, o + hi] for an onset o of the given code(s) that lies in the same window, *target*
    when it contains an onset of a point target or m lies in a bout ``[onset, offset)`` of a state
    target. The units of a code are marked once (:meth:`given`, :meth:`target`) in a bit per unit,
    each window's units from a new 64-bit word, and the 2 × 2 table of any pair of codes is a few
    passes over their words (:meth:`cells`).
    """

    def __init__(self, windows: Windows, unit_ms: int, part: slice | None = None) -> None:
        u = unit_ms
        self.windows, self.unit_ms = windows, u
        self.part = part or slice(0, len(windows.start))  # these windows among all (in_parts)
        self.first = ceil_div(2 * windows.start - u, 2 * u)  # each window's first unit
        self.last = np.maximum(ceil_div(2 * windows.stop - u, 2 * u), self.first)  # past its last
        words = ceil_div(self.last - self.first, _WORD)
        self.word = np.concatenate([[0], np.cumsum(words)])  # each window's first word, then all
        self._filled = np.flatnonzero(words > 0)
        self._row_per_window = windows.n_rows == len(windows.row) and bool(
            (windows.row == np.arange(len(windows.row))).all()
        )  # window i is row i: no sums over rows

    @classmethod
    def in_parts(cls, windows: Windows, unit_ms: int) -> list[TimeUnits]:
        """The units of consecutive runs of the windows, a code's bits of each run taking at most
        :data:`PART_WORDS` words; their tables add up to the windows'. A longer window is a run
        alone and takes its own size: 1 bit per unit, 450 KB per hour of session at u = 1 ms."""
        whole = cls(windows, unit_ms)
        part = whole.word[:-1] // PART_WORDS
        if not len(part) or part[-1] == 0:
            return [whole]
        cuts = [0, *(np.flatnonzero(part[1:] != part[:-1]) + 1), len(part)]
        return [
            cls(
                Windows(windows.start[i:j], windows.stop[i:j], windows.row[i:j], windows.n_rows),
                unit_ms,
                part=slice(i, j),
            )
            for i, j in itertools.pairwise(cuts)
        ]

    def _mark(self, window: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> UnitBits:
        """The bits of units ``lo … hi − 1`` (unit numbers inside window ``window``)."""
        shift = self.word[window] * _WORD - self.first[window]
        bits = _set_bits(int(self.word[-1]), lo + shift, hi + shift)
        per_window = np.zeros(len(self.first), dtype=np.int64)
        if len(self._filled):
            per_window[self._filled] = np.add.reduceat(
                np.bitwise_count(bits), self.word[self._filled], dtype=np.int64
            )
        return UnitBits(bits, per_window)

    def given(
        self, onsets: np.ndarray, *, lo_ms: int, hi_ms: int, window: np.ndarray | None = None
    ) -> UnitBits:
        """The given units of sorted global onset keys, for the window (lo, hi] after each.

        ``window``: the analysis window of each onset, if the caller knows it (an onset may lie
        at or past its window's end, not before its start).
        """
        u = self.unit_ms
        if window is None:
            w = assign_windows(self.windows, onsets)
            o, ow = onsets[w >= 0], w[w >= 0]
        else:
            o, ow = onsets, window
        # units with o + lo < (2k+1)u/2 <= o + hi, clipped to the window's units
        return self._mark_in(
            ow, (2 * (o + lo_ms) - u) // (2 * u) + 1, (2 * (o + hi_ms) - u) // (2 * u) + 1
        )

    def target(
        self,
        points: np.ndarray | None,
        bouts: tuple[np.ndarray, np.ndarray] | None,
        window: np.ndarray | None = None,
    ) -> UnitBits:
        """The target units of global onset keys of point events (``points``) and of (start,
        stop) global keys of state events (``bouts``), each cut to the windows it meets.

        ``window``: the analysis window of each point, then of each bout, if the caller knows it
        (each lies in it, or reaches past its end).
        """
        u = self.unit_ms
        starts, stops = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        if points is not None:
            starts.append(points // u)
            stops.append(points // u + 1)
        if bouts is not None:
            starts.append(ceil_div(2 * bouts[0] - u, 2 * u))
            stops.append(ceil_div(2 * bouts[1] - u, 2 * u))
        lo, hi = np.concatenate(starts), np.concatenate(stops)
        if window is not None:
            return self._mark_in(window, lo, hi)
        # the windows a run of units meets: from the first whose end lies past its start to the
        # last that begins before its end (one, as a rule)
        w_lo = np.searchsorted(self.last, lo, side="right")
        n = np.maximum(np.searchsorted(self.first, hi, side="left") - w_lo, 0)
        if (n > 1).any():
            lo, hi, w_lo = np.repeat(lo, n), np.repeat(hi, n), np.repeat(w_lo, n)
            w_lo += np.arange(len(w_lo)) - np.repeat(np.cumsum(n) - n, n)
        else:
            lo, hi, w_lo = lo[n > 0], hi[n > 0], w_lo[n > 0]
        return self._mark_in(w_lo, lo, hi)

    def _mark_in(self, window: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> UnitBits:
        """:meth:`_mark` of the units ``lo … hi − 1`` that lie in ``window``."""
        lo, hi = np.maximum(lo, self.first[window]), np.minimum(hi, self.last[window])
        kept = hi > lo
        return self._mark(window[kept], lo[kept], hi[kept])

    def cells(
        self, given: UnitBits, target: UnitBits
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The 2 × 2 table of units per output row: given and target, given only, target only,
        neither."""
        both = np.zeros(len(self.first), dtype=np.int64)
        if len(self._filled):
            both[self._filled] = np.add.reduceat(
                np.bitwise_count(given.bits & target.bits), self.word[self._filled], dtype=np.int64
            )
        windows = self.windows

        def per_row(x: np.ndarray) -> np.ndarray:
            if self._row_per_window:
                return x
            return np.bincount(windows.row, x, minlength=windows.n_rows).astype(np.int64)

        a = per_row(both)
        b = per_row(given.per_window) - a
        c = per_row(target.per_window) - a
        d = per_row(self.last - self.first) - a - b - c
        return a, b, c, d


_WORD = 64  # bits of a word of :class:`UnitBits` (``>> 6`` and ``& 63`` below divide by it)
PART_WORDS = 1 << 20  # 8 MB of bits per code at a time, however long the corpus and small the unit
_ALL = np.uint64(2**64 - 1)


def _set_bits(n_words: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``n_words`` 64-bit words with bits ``lo … hi − 1`` of every run set (bit i is bit i % 64 of
    word i // 64); runs are not empty, in any order, and may overlap."""
    bits = np.zeros(n_words, dtype=np.uint64)
    if not len(lo):
        return bits
    end = hi - 1
    first, last = lo >> 6, end >> 6  # the words of each run's first and last bit
    head = _ALL << (lo & 63).astype(np.uint64)  # the first word's bits from lo on
    tail = _ALL >> (~end & 63).astype(np.uint64)  # the last word's bits up to end: 63 − end % 64
    one = first == last
    head &= np.where(one, tail, _ALL)
    np.bitwise_or.at(bits, first, head)
    two = ~one
    if two.any():
        np.bitwise_or.at(bits, last[two], tail[two])
        long = last - first > 1
        if long.any():  # the whole words between, once each (merged: at most every word)
            start, stop = merge_intervals(first[long] + 1, last[long])
            size = stop - start
            bits[np.repeat(start - np.cumsum(size) + size, size) + np.arange(size.sum())] = _ALL
    return bits


def time_window_table(
    given: np.ndarray,
    target_points: np.ndarray | None,
    target_bouts: tuple[np.ndarray, np.ndarray] | None,
    windows: Windows,
    *,
    lo_ms: int,
    hi_ms: int,
    unit_ms: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 2 × 2 table of time units (given × target) of every output row (:class:`TimeUnits`).

    Parameters
    ----------
    given
        Sorted global keys of the given code's onsets.
    target_points, target_bouts
        Sorted global onset keys of point targets; (start, stop) global keys of state targets.
    windows
        The analysis windows; counts are summed over a row's windows.
    lo_ms, hi_ms
        The window after each given onset, 0 ≤ lo < hi.
    unit_ms
        u.

    Returns
    -------
    (a, b, c, d)
        Per output row: units given and target, given only, target only, neither.
    """
    parts = [
        np.stack(
            units.cells(
                units.given(given, lo_ms=lo_ms, hi_ms=hi_ms),
                units.target(target_points, target_bouts),
            )
        )
        for units in TimeUnits.in_parts(windows, unit_ms)
    ]
    return tuple(np.sum(parts, axis=0))


def two_by_two(a, b, c, d) -> dict[str, np.ndarray]:
    """Yule's Q, the odds ratio and the adjusted residual of cell a of 2 × 2 tables.

    For the table ((a, b), (c, d)) with N = a + b + c + d: Q = (ad − bc)/(ad + bc); odds ratio
    ad/bc; adjusted residual z = (a − e)/√(e (1 − (a+b)/N)(1 − (a+c)/N)) with e = (a+b)(a+c)/N
    (Allison & Liker, 1982; Bakeman & Quera, 2011, ch. 9). Each is NaN where it is undefined:
    Q when ad + bc = 0, the odds ratio when bc = 0 (never ±inf), z when its denominator is 0.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    ad, bc = a * d, b * c
    row, col = a + b, a + c
    expected = ratio(row * col, n)
    var = expected * (1 - ratio(row, n)) * (1 - ratio(col, n))
    return {
        "yules_q": ratio(ad - bc, ad + bc),
        "odds_ratio": ratio(ad, bc),
        "adjusted_residual": ratio(a - expected, np.sqrt(np.where(var > 0, var, 0.0))),
    }
