"""Contingency of responses on bids (Watson, 1985; Van Egeren, Barratt & Roach, 2001) and Yule's Q
over time units (Bakeman & Quera, 2011, ch. 11), for every window of a corpus at once.

Bids and responses are sorted keys on the corpus's global axis (:mod:`.corpus`); each question is
one ``searchsorted``. The base rate is an exact measure: the set of times followed by a response
within W is a union of intervals ``[r − W, r)``, whose covered length up to any point is read off a
cumulative sum.
"""

from __future__ import annotations

import numpy as np

from .corpus import Windows, assign_windows, ceil_div, grouped_median, ratio

__all__ = ["contingency_metrics", "yules_q"]


def _coverage(responses: np.ndarray, window_ms: int):
    """``F(x)``: length of ``⋃ [r − W, r)`` below ``x`` (cumulative over the whole axis)."""
    s = responses - window_ms
    new = np.ones(len(responses), dtype=bool)
    new[1:] = s[1:] > responses[:-1]
    block_start = s[new]
    last = np.ones(len(responses), dtype=bool)
    last[:-1] = new[1:]
    block_stop = responses[last]
    before = np.concatenate(([0], np.cumsum(block_stop - block_start)[:-1]))

    def covered(x: np.ndarray) -> np.ndarray:
        m = np.searchsorted(block_start, x, side="right") - 1
        safe = np.clip(m, 0, None)
        inside = np.minimum(x, block_stop[safe]) - block_start[safe]
        return np.where(m >= 0, before[safe] + inside, 0)

    return covered


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
            covered = _coverage(responses, window_ms)
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

    Time-window sequential analysis (Bakeman & Quera, 2011, ch. 11). The time axis is cut into
    units ``[k·u, (k+1)·u)`` from the session's 0; a unit belongs to a window when its midpoint
    lies in the window. A unit is *given* when its midpoint lies in (b, b + W] for a bid b whose
    onset is in the window, and *target* when it contains a response onset. From the 2 × 2 table of
    the window's units (a: given & target, b: given only, c: target only, d: neither),
    Q = (ad − bc) / (ad + bc); NaN when ad + bc = 0 (for instance without bids or responses).
    """
    n = windows.n_rows
    if bids is None or responses is None:
        return np.full(n, np.nan)
    u = unit_ms
    # units of each window: midpoints (2k+1)·u/2 in [start, stop)
    k_first = ceil_div(2 * windows.start - u, 2 * u)
    k_end = ceil_div(2 * windows.stop - u, 2 * u)
    n_units = np.maximum(k_end - k_first, 0)

    w = assign_windows(windows, bids)
    b, bw = bids[w >= 0], w[w >= 0]
    # given units of bid b: b < (2k+1)u/2 <= b + W, clipped to the window's units
    lo = np.maximum((2 * b - u) // (2 * u) + 1, k_first[bw])
    hi = np.minimum((2 * (b + window_ms) - u) // (2 * u), k_end[bw] - 1)
    # lo and hi never decrease along the bids of a window: the union is a sweep
    prev_hi = np.empty_like(hi)
    prev_hi[1:] = hi[:-1]
    starts_window = np.ones(len(bw), dtype=bool)
    starts_window[1:] = bw[1:] != bw[:-1]
    prev_hi[starts_window] = k_first[bw[starts_window]] - 1
    new_units = np.maximum(hi - np.maximum(lo, prev_hi + 1) + 1, 0)
    given = np.bincount(bw, new_units, minlength=len(windows.start))

    k = responses // u  # sorted: drop repeats of a unit
    k = k[np.append(True, k[1:] != k[:-1])] if len(k) else k
    doubled = Windows(2 * windows.start, 2 * windows.stop, windows.row, n)
    tw = assign_windows(doubled, (2 * k + 1) * u)  # the unit's midpoint, in half-milliseconds
    mid_ok = tw >= 0
    k, tw = k[mid_ok], tw[mid_ok]
    target = np.bincount(tw, minlength=len(windows.start))
    # is target unit k given? The last bid of its window with lo <= k has the largest hi.
    if len(b):
        stride = int(k_end.max(initial=0)) + 2
        bid_key = bw * stride + lo
        j = np.searchsorted(bid_key, tw * stride + k, side="right") - 1
        safe = np.clip(j, 0, None)
        hit = (j >= 0) & (bw[safe] == tw) & (hi[safe] >= k)
    else:
        hit = np.zeros(len(k), dtype=bool)
    both = np.bincount(tw[hit], minlength=len(windows.start))

    def per_row(x: np.ndarray) -> np.ndarray:
        return np.bincount(windows.row, x, minlength=n)

    a = per_row(both)
    bb = per_row(given) - a
    c = per_row(target) - a
    d = per_row(n_units) - a - bb - c
    return ratio(a * d - bb * c, a * d + bb * c)
