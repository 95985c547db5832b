"""Matched states, mismatch episodes and repair (Tronick & Gianino, 1986; Tronick & Cohn, 1989).

All quantities are sums of elementary-interval lengths (:mod:`.corpus`), grouped by analysis window
with ``np.bincount``: exact interval arithmetic, no sampling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scheme import Scheme
from .corpus import (
    Elementary,
    Windows,
    build_corpus,
    elementary_intervals,
    grouped_median,
    ratio,
)

__all__ = ["code_proportions", "engagement_metrics", "matched_spans"]


def engagement_metrics(
    elem: Elementary,
    window_of: np.ndarray,
    windows: Windows,
    matched_pairs: np.ndarray,
    *,
    repair_within_ms: int,
) -> dict[str, np.ndarray]:
    """Both-coded time, matched fraction, mismatch episodes and repairs per output row.

    Parameters
    ----------
    elem
        The elementary intervals of the corpus.
    window_of
        Window of each elementary interval in ``windows`` (−1: outside every window).
    windows
        The analysis windows and the output row of each.
    matched_pairs
        Boolean matrix ``[infant code, caregiver code]``: True for a matched pair.
    repair_within_ms
        R of ``prop_repaired_within_Rs``.

    Returns
    -------
    dict
        ``coded_s``; ``matched_fraction`` = matched time ÷ both-coded time (the attunement fraction
        of Tronick & Gianino, 1986; Tronick & Cohn, 1989); ``mismatch_episodes``: maximal runs of
        both-coded, not-matched time, cut at the window's edges and at uncoded gaps; ``repairs``:
        episodes followed directly by matched time in the same window; ``repairs_per_min`` =
        repairs ÷ (coded_s / 60); ``median_time_to_repair_s``: median length of repaired
        episodes; ``prop_repaired``: repaired episodes lasting ≤ R ÷ all episodes. Ratios with a
        zero denominator are NaN.
    """
    n = windows.n_rows
    dur = elem.stop - elem.start
    inside = window_of >= 0
    row = np.where(inside, windows.row[np.clip(window_of, 0, None)], n)  # n: a spare bin
    n_caregiver = matched_pairs.shape[1]
    pair = elem.infant * n_caregiver + elem.caregiver  # both coded: infant ≥ 0, caregiver ≥ 0
    both = inside & (elem.infant >= 0) & (elem.caregiver >= 0)
    matched = both & np.append(matched_pairs.ravel(), False)[np.where(both, pair, -1)]
    mismatch = both & ~matched

    coded_ms = np.bincount(np.where(both, row, n), dur, minlength=n + 1)[:n]
    matched_ms = np.bincount(np.where(matched, row, n), dur, minlength=n + 1)[:n]

    # An episode continues into the next elementary interval of the same window (which is
    # contiguous with it: elementary intervals tile each window).
    continues = np.zeros(len(dur), dtype=bool)  # mismatch, and so is the next interval
    continues[:-1] = mismatch[:-1] & mismatch[1:] & (window_of[1:] == window_of[:-1])
    first = np.flatnonzero(mismatch & ~np.append(False, continues[:-1]))
    last = np.flatnonzero(mismatch & ~continues)
    length = elem.stop[last] - elem.start[first]
    episode_row = row[first]
    after = np.minimum(last + 1, len(dur) - 1)
    repaired = matched[after] & (window_of[after] == window_of[last]) & (last + 1 < len(dur))

    episodes = np.bincount(episode_row, minlength=n)
    repairs = np.bincount(episode_row[repaired], minlength=n)
    quick = repaired & (length <= repair_within_ms)
    coded_s = coded_ms / 1000.0
    return {
        "coded_s": coded_s,
        "matched_fraction": ratio(matched_ms, coded_ms),
        "mismatch_episodes": episodes,
        "repairs": repairs,
        "repairs_per_min": ratio(repairs, coded_s / 60.0),
        "median_time_to_repair_s": grouped_median(length[repaired], episode_row[repaired], n),
        "prop_repaired": ratio(np.bincount(episode_row[quick], minlength=n), episodes),
    }


def code_proportions(
    codes: np.ndarray, elem: Elementary, window_of: np.ndarray, windows: Windows, n_codes: int
) -> np.ndarray:
    """Share of one partner's coded time spent in each code, per row (rows × codes).

    The denominator is that partner's coded time in the window (whether or not the other partner
    is coded), so a row sums to 1 when the partner is coded at all, and is NaN otherwise. Per-phase
    shares give the Still-Face and reunion effects (Tronick et al., 1978; Mesman, van IJzendoorn &
    Bakermans-Kranenburg, 2009).
    """
    n = windows.n_rows
    size = n * n_codes  # bin of (row, code); bin `size` takes what is outside or uncoded
    sel = (window_of >= 0) & (codes >= 0)
    slot = np.where(sel, windows.row[np.clip(window_of, 0, None)] * n_codes + codes, size)
    time = np.bincount(slot, elem.stop - elem.start, minlength=size + 1)[:size].reshape(n, n_codes)
    return ratio(time, time.sum(axis=1, keepdims=True))


def matched_spans(events: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Maximal spans of matched time (Tronick & Gianino, 1986) of every session × coder.

    Returns
    -------
    pandas.DataFrame
        ``session, coder, onset_s, offset_s``, one row per span, in time order.
    """
    cols = ["session", "coder", "onset_s", "offset_s"]
    r = scheme.roles
    if not (r.infant_engagement and r.caregiver_engagement) or not len(events):
        return pd.DataFrame({c: [] for c in cols})
    corpus = build_corpus(events, scheme, unit_ms=1, reach_ms=0)
    elem = elementary_intervals(corpus)
    infant, caregiver = scheme.tier(r.infant_engagement), scheme.tier(r.caregiver_engagement)
    pairs = np.zeros((len(infant.codes), len(caregiver.codes)), dtype=bool)
    for a, c in scheme.matched_pairs:
        pairs[infant.code_names.index(a), caregiver.code_names.index(c)] = True
    both = (elem.infant >= 0) & (elem.caregiver >= 0)
    matched = both.copy()
    matched[both] = pairs[elem.infant[both], elem.caregiver[both]]
    joined = np.zeros(len(matched), dtype=bool)  # matched, and continues the previous interval
    joined[1:] = matched[1:] & matched[:-1] & (elem.group[1:] == elem.group[:-1])
    first = matched & ~joined
    last = matched.copy()
    last[:-1] &= ~joined[1:]
    group = elem.group[first]
    origin = group * corpus.stride
    return pd.DataFrame(
        {
            "session": corpus.groups["session"].to_numpy()[group],
            "coder": corpus.groups["coder"].to_numpy()[group],
            "onset_s": (elem.start[first] - origin) / 1000.0,
            "offset_s": (elem.stop[last] - origin) / 1000.0,
        }
    )
