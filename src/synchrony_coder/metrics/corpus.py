"""The events of a whole corpus as sorted integer arrays, ready for interval arithmetic.

Every (session, coder) pair is one *group*. Times become integer milliseconds (the table's precision,
SCIENCE.md §1) and are laid out on one global axis, ``key = group · stride + t_ms``, with a stride
larger than any session plus every look-ahead the metrics use (the contingency window, the largest
lag). One ``searchsorted`` on that axis then answers a question for every session at once, and
cumulative sums taken over the whole corpus give per-session sums as differences; no Python loop
over sessions is needed.

The state tiers of the two partners and the phase tier are cut into *elementary intervals*: the
stretches between consecutive boundaries of any of them, over ``[0, T)`` of each session, during
which the infant code, the caregiver code and the phase do not change.

Text columns (session, coder, tier, code) become integer codes first (:func:`.text.text_codes`),
so no string is compared twice whether pandas holds them as Python strings, Arrow-backed strings or
categories. A large table shares the work with one helper thread (:func:`helper`).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scheme import Scheme, Tier
from .text import factorize_rows, group_ids, text_codes

__all__ = [
    "Bouts",
    "Corpus",
    "Elementary",
    "Windows",
    "assign_windows",
    "build_corpus",
    "ceil_div",
    "elementary_intervals",
    "factorize_rows",
    "group_ids",
    "group_max",
    "helper",
    "grouped_median",
    "ratio",
    "text_codes",
    "to_ms",
]


PARALLEL_EVENTS = 20_000  # from this many events, two threads share the work


class _Inline:
    """``submit`` runs the call at once (for tables too small to be worth a thread)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args, **kwargs) -> Future:
        done: Future = Future()
        done.set_result(fn(*args, **kwargs))
        return done


def helper(n_events: int) -> ThreadPoolExecutor | _Inline:
    """A second thread for a large table (``submit`` runs calls on it; a context manager).

    numpy's and Arrow's array work lets go of the GIL, so the analysis of a corpus uses two
    cores, as ``pandas.read_csv`` does for its table; a small table is worked on at once."""
    return ThreadPoolExecutor(max_workers=1) if n_events >= PARALLEL_EVENTS else _Inline()


def ceil_div(a: np.ndarray | int, b: int) -> np.ndarray:
    """Integer ceiling of ``a / b`` for ``b > 0`` (exact, also for negative ``a``)."""
    return -(-np.asarray(a) // b)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float, NaN where ``den`` is 0 or NaN (never a division warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = den > 0
    return np.where(ok, num / np.where(ok, den, 1.0), np.nan)


def grouped_median(values_ms: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Median, in seconds, of integer millisecond ``values_ms`` within each group ``0 … n−1``.

    NaN for an empty group. One sort of ``group · span + value`` orders every group at once.
    """
    counts = np.bincount(groups, minlength=n)
    out = np.full(n, np.nan)
    if not len(values_ms):
        return out
    lo_value = int(values_ms.min())
    span = int(values_ms.max()) - lo_value + 1
    v = np.sort(groups * span + (values_ms - lo_value)) - np.repeat(
        np.arange(n, dtype=np.int64) * span, counts
    )
    first = np.cumsum(counts) - counts
    has = counts > 0
    lo = first[has] + (counts[has] - 1) // 2
    hi = first[has] + counts[has] // 2
    out[has] = (v[lo] + v[hi] + 2 * lo_value) / 2000.0
    return out


@dataclass(frozen=True)
class Bouts:
    """State events of one tier over the corpus, sorted by global onset key."""

    start: np.ndarray  # int64 global keys
    stop: np.ndarray
    code: np.ndarray  # index into the tier's codes
    group: np.ndarray

    def cover(self, keys: np.ndarray) -> np.ndarray:
        """Index of the bout covering each key (``start ≤ key < stop``), −1 where none.

        Assumes the tier is exclusive (no overlapping bouts), as validation guarantees.
        """
        idx = np.searchsorted(self.start, keys, side="right") - 1
        safe = np.clip(idx, 0, max(len(self.start) - 1, 0))
        if not len(self.start):
            return np.full(len(keys), -1, dtype=np.int64)
        return np.where((idx >= 0) & (self.stop[safe] > keys), idx, -1)


@dataclass(frozen=True)
class Corpus:
    """The events of every (session, coder) group on one integer-millisecond axis."""

    groups: pd.DataFrame  # session, coder; row i is group i
    stride: int  # ms between consecutive groups on the global axis (a multiple of the unit)
    end: np.ndarray  # T of each group, ms
    infant: Bouts | None
    caregiver: Bouts | None
    phase: Bouts | None
    bids: np.ndarray | None  # sorted global keys of bid onsets
    responses: np.ndarray | None

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    @property
    def origin(self) -> np.ndarray:
        """Global key of each group's time 0."""
        return np.arange(self.n_groups, dtype=np.int64) * self.stride


@dataclass(frozen=True)
class Windows:
    """A set of analysis windows that do not overlap within a group, sorted by start key.

    Several windows may feed one output row (a phase coded twice in a session); additive
    quantities are summed over a row's windows before ratios are taken.
    """

    start: np.ndarray  # global keys
    stop: np.ndarray
    row: np.ndarray  # output row of each window
    n_rows: int


def assign_windows(windows: Windows, keys: np.ndarray) -> np.ndarray:
    """Window containing each key (``start ≤ key < stop``), −1 where none.

    When the keys are sorted (every caller's case: bids, unit midpoints) and the windows
    disjoint, the fewer windows are looked up among the keys, and each key's window is a running
    sum of +label at its window's first key and −label past its last; otherwise each key is
    looked up among the windows.
    """
    n = len(keys)
    start, stop = windows.start, windows.stop
    if not len(start):
        return np.full(n, -1, dtype=np.int64)
    lo = np.searchsorted(keys, start, side="left")  # first key ≥ start
    hi = np.searchsorted(keys, stop, side="left")  # first key ≥ stop
    if (keys[1:] >= keys[:-1]).all() and (lo[1:] >= hi[:-1]).all():
        label = np.arange(1.0, len(start) + 1.0)
        mark = np.bincount(lo, label, minlength=n + 1) - np.bincount(hi, label, minlength=n + 1)
        return np.cumsum(mark[:n]).astype(np.int64) - 1
    idx = np.searchsorted(start, keys, side="right") - 1
    safe = np.clip(idx, 0, None)
    return np.where((idx >= 0) & (keys < stop[safe]), idx, -1)


def group_max(
    values: np.ndarray, group: np.ndarray, n: int, runs: np.ndarray | None = None
) -> np.ndarray:
    """The largest of ``values`` (≥ −1) in each group ``0 … n−1``; −1 for an empty group.

    The maximum of each run of rows of one group first (tables come in blocks; ``runs``: where
    each run starts, if known), then of each group.
    """
    out = np.full(n, -1, dtype=np.int64)
    if len(group):
        if runs is None:
            runs = np.flatnonzero(np.diff(group, prepend=-1))
        np.maximum.at(out, group[runs], np.maximum.reduceat(values, runs))
    return out


def to_ms(seconds: np.ndarray) -> np.ndarray:
    """Seconds as integer milliseconds (the table's precision); NaN (no offset) becomes 0."""
    ms = np.rint(seconds * 1000.0)
    ms[np.isnan(ms)] = 0.0
    return ms.astype(np.int64)


def build_corpus(
    events: pd.DataFrame, scheme: Scheme, *, unit_ms: int, reach_ms: int, pool=None
) -> Corpus:
    """Lay out ``events`` on the global axis.

    Parameters
    ----------
    events
        The tidy events table (SCIENCE.md §1).
    scheme
        Gives the tiers of the roles ``bid``, ``response``, ``infant_engagement``,
        ``caregiver_engagement`` and ``phase``; a missing role gives ``None`` arrays.
    unit_ms
        The time unit; the stride is a multiple of it, so unit indices of the global axis are the
        session's own unit indices shifted by a whole number.
    reach_ms
        The furthest any metric looks past an event (window, lags); groups are spaced wider.
    pool
        Where to code the tier and code columns (:func:`helper`) while the groups are found here.

    Notes
    -----
    T (each group's end) is the latest offset of any state event of the group (any tier). A group
    without state events (a bids-and-responses scheme) ends 1 ms after its last event, so that its
    last event lies inside ``[0, T)``.
    """
    pool = pool if pool is not None else _Inline()
    tier_text = pool.submit(text_codes, events["tier"])
    code_text = pool.submit(text_codes, events["code"])
    g, groups, runs = group_ids(events)
    n_groups = len(groups)

    onset = to_ms(events["onset_s"].to_numpy(dtype=float))
    offset_raw = events["offset_s"].to_numpy(dtype=float)
    is_state = np.isfinite(offset_raw)
    offset = to_ms(offset_raw)
    end = group_max(np.where(is_state, offset, -1), g, n_groups, runs)
    last_onset = group_max(onset, g, n_groups, runs)
    end = np.where(end >= 0, end, last_onset + 1)
    furthest = int(max(end.max(initial=0), last_onset.max(initial=0)))
    stride = int(ceil_div(furthest + 2 * reach_ms + 2 * unit_ms + 1000, unit_ms)) * unit_ms
    base = g * stride
    start_key, stop_key = base + onset, base + offset

    tier_codes, tier_names = tier_text.result()
    tier_id = {str(t): k for k, t in enumerate(tier_names)}
    code_codes, code_names = code_text.result()
    r = scheme.roles

    def rows_of(role_tier: str | None) -> np.ndarray | None:
        if role_tier is None or not scheme.has_tier(role_tier):
            return None
        if role_tier not in tier_id:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(tier_codes == tier_id[role_tier])

    def bouts(role_tier: str | None) -> Bouts | None:
        rows = rows_of(role_tier)
        if rows is None:
            return None
        tier: Tier = scheme.tier(role_tier)
        rows = rows[is_state[rows]]
        lookup = np.array(
            [tier.code_names.index(c) if c in tier.code_names else -1 for c in code_names] + [-1],
            dtype=np.int64,
        )
        code = lookup[code_codes[rows]]  # a missing code (-1) maps to the trailing -1
        if (code < 0).any():
            rows, code = rows[code >= 0], code[code >= 0]
        start, stop, group = start_key[rows], stop_key[rows], g[rows]
        if not (start[1:] >= start[:-1]).all():  # a table not sorted by time
            o = np.argsort(start, kind="stable")
            start, stop, code, group = start[o], stop[o], code[o], group[o]
        return Bouts(start, stop, code, group)

    def points(role_tier: str | None) -> np.ndarray | None:
        rows = rows_of(role_tier)
        if rows is None:
            return None
        return np.sort(start_key[rows], kind="stable")  # sorted already, as a rule

    return Corpus(
        groups=groups,
        stride=stride,
        end=end,
        infant=bouts(r.infant_engagement),
        caregiver=bouts(r.caregiver_engagement),
        phase=bouts(r.phase),
        bids=points(r.bid),
        responses=points(r.response),
    )


@dataclass(frozen=True)
class Elementary:
    """Elementary intervals ``[start, stop)`` tiling ``[0, T)`` of every group, in key order."""

    start: np.ndarray
    stop: np.ndarray
    group: np.ndarray
    infant: np.ndarray  # infant code index, −1 when uncoded
    caregiver: np.ndarray
    phase: np.ndarray  # index of the phase bout (a phase window), −1 outside every phase
    stride: int  # the corpus's stride: group g's time 0 is key g · stride


def elementary_intervals(corpus: Corpus) -> Elementary:
    """Cut every group's ``[0, T)`` at each boundary of the engagement and phase tiers.

    One stable sort merges every boundary (each tier's starts and stops are sorted runs already);
    a bout covers the elementary intervals from its start's to its stop's, which a difference
    array over the intervals, summed once, assigns to it.
    """
    origin = corpus.origin
    tiers = [corpus.infant, corpus.caregiver, corpus.phase]
    present = [b for b in tiers if b is not None]
    parts = [origin, origin + corpus.end]
    for b in present:
        parts += [b.start, b.stop]
    keys = np.concatenate(parts)
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    new_key = np.ones(len(ks), dtype=bool)
    new_key[1:] = ks[1:] != ks[:-1]
    first_of_key = np.flatnonzero(new_key)
    cuts = ks[first_of_key]
    n_cuts = len(cuts)
    at = np.empty(len(keys), dtype=np.int64)  # the distinct cut of each boundary
    at[order] = np.repeat(np.arange(n_cuts), np.diff(np.append(first_of_key, len(ks))))
    start, stop = cuts[:-1], cuts[1:]
    group = start // corpus.stride
    interval = np.flatnonzero((start - group * corpus.stride) < corpus.end[group])
    start, stop, group = start[interval], stop[interval], group[interval]

    def covering(b: Bouts, first: int, value: np.ndarray) -> np.ndarray:
        """``value`` of the bout covering each kept interval, −1 where none.

        The bouts of a tier are sorted and disjoint: the cuts are, in turn, a gap (−1) and a
        bout's (its value), each as many as the cuts between its ends.
        """
        n = len(b.start)
        lo, hi = at[first : first + n], at[first + n : first + 2 * n]
        lengths = np.empty(2 * n + 1, dtype=np.int64)
        lengths[0:-1:2] = lo - np.append(0, hi[:-1])
        lengths[1::2] = hi - lo
        lengths[-1] = n_cuts - (hi[-1] if n else 0)
        values = np.full(2 * n + 1, -1, dtype=np.int64)
        values[1::2] = value
        return np.repeat(values, lengths)[interval]

    labels = {}
    first = 2 * len(origin)
    for name, b in zip(("infant", "caregiver", "phase"), tiers, strict=True):
        if b is None:
            labels[name] = np.full(len(start), -1, dtype=np.int64)
            continue
        value = np.arange(len(b.start)) if name == "phase" else b.code
        labels[name] = covering(b, first, value)
        first += 2 * len(b.start)
    return Elementary(
        start,
        stop,
        group,
        labels["infant"],
        labels["caregiver"],
        labels["phase"],
        corpus.stride,
    )
