"""Event-based agreement: align two coders' events by onset, then tally the alignment.

Bakeman, Quera & Gnisci (2009) compare timed events by aligning the two records, with an onset
tolerance, by a dynamic-programming alignment (Quera, Bakeman & Gnisci, 2007, after
Needleman & Wunsch, 1970). Here (SCIENCE.md §4) an event of A and one of B may pair when their
onsets differ by at most ``tolerance`` seconds; each event pairs with at most one other; pairs
keep onset order (no crossing); and among all such alignments the one with the most same-code
pairs, then the most pairs, is taken — so within tolerance a substitution (a pair of different
codes) is preferred to an insertion plus a deletion. Unpaired events pair with ``<nil>``.

The kappa of the alignment is Cohen's kappa on the ``(K+1) × (K+1)`` table of codes plus
``<nil>``, whose nil–nil cell is structurally 0 (Bakeman et al., 2009).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .agreement import cohen_kappa, confusion

NIL = "<nil>"
WIDE_BAND = 64  # band cells of a row beyond which numpy computes the row


def align_ids(
    ao: np.ndarray, ac: np.ndarray, bo: np.ndarray, bc: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """The alignment of two onset-sorted event lists: ``(ia, ib)``, one entry per column.

    ``ia[k]``/``ib[k]`` index A's/B's event in column ``k`` (-1 for ``<nil>``); columns in time
    order. ``ac``/``bc`` are the events' codes as comparable values (ints are fastest). See
    :func:`align_path` for the score and how it is found.
    """
    ia, ib, _ = align_path(ao, ac, bo, bc, tolerance)
    return ia, ib


def align_path(
    ao: np.ndarray,
    ac: np.ndarray,
    bo: np.ndarray,
    bc: np.ndarray,
    tolerance: float,
    *,
    row_entry: bool = False,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`align_ids` of a block of events, and how its traceback leaves the block.

    ``ia[k]``/``ib[k]`` index A's/B's event in column ``k`` (-1 for ``<nil>``); columns in time
    order. ``ac``/``bc`` are the events' codes as comparable values (ints are fastest).

    Score of an alignment: ``same-code pairs × (n_a + n_b + 1) + pairs``, maximised by the
    recurrence ``S[i, j] = max(S[i-1, j], S[i, j-1], S[i-1, j-1] + w(i, j))``, ``w`` defined for
    pairs within tolerance (Needleman & Wunsch, 1970). The traceback from ``(n_a, n_b)`` takes a
    pair when it reaches the score, else leaves A's event unpaired when that does, else B's.

    Notes
    -----
    Only the *band* of cells where A's i-th and B's j-th events lie within tolerance is computed
    (columns ``L_i … R_i``, both non-decreasing in i, as the onsets are sorted): left of its band
    a row equals the row above (``S[i, j] = S[i-1, j]`` for ``j < L_i``), right of it the row is
    flat at its maximum. So every ``S[i, j]`` the traceback asks for is a band cell, a row's
    maximum, or 0, found by one bisection of the L's: the same optimum and the same tie-breaking
    as the whole matrix, in time and memory proportional to the events and the band, not n·m.

    A block is a stretch of the two lists that no pair crosses (:func:`gap_cuts`). The traceback
    of the whole lists, coming from the later blocks, enters a block at its corner, or
    (``row_entry``) on its last row with later B events still to pass, where it first leaves A's
    events unpaired as long as that keeps the score; it leaves the block the second way when it
    reaches the block's first row with B events to its left (the returned flag). Aligning blocks
    from the last to the first, each entered as the one after it left, gives exactly the
    alignment of the whole lists.

    Returns
    -------
    (ia, ib, row_exit)
        The columns in time order, and whether the traceback leaves on the first row.
    """
    n, m = len(ao), len(bo)
    big = n + m + 1
    t = tolerance + 1e-9  # a pair when |ao − bo| ≤ t, as computed in floating point
    lo = np.searchsorted(bo, ao - (t + 1e-6), side="left")  # candidates: a slightly wider band
    hi = np.searchsorted(bo, ao + (t + 1e-6), side="right")
    width = np.maximum(hi - lo, 0)
    row = np.repeat(np.arange(n), width)
    col = np.arange(width.sum()) + np.repeat(lo - (np.cumsum(width) - width), width)
    d = ao[row] - bo[col]  # falls as the column grows: in-tolerance columns are contiguous
    # band of row i (1-based columns): L = 1 + #(too early), R = #(not too late)
    first = (lo + 1 + np.bincount(row, d > t, minlength=n)).astype(np.int64).tolist()
    last = (lo + np.bincount(row, d >= -t, minlength=n)).astype(np.int64).tolist()
    same = np.asarray(ac)[row] == np.asarray(bc)[col]
    weight = np.where(same, big + 1, 1)[(d <= t) & (d >= -t)]

    # forward pass: `cur` holds row i's values for columns ≤ the furthest band so far
    cur = [0] * (m + 1)
    reach = 0  # columns 1 … reach are held
    row_max = [0] * (n + 1)  # S[i, m]
    band = [0]  # band cells of every row, row after row, from band_at[i]
    band_at = [0] * (n + 2)
    k = 0  # row i's first weight
    top = 0
    for i in range(1, n + 1):
        lo_i, hi_i = first[i - 1], last[i - 1]
        if hi_i > reach:  # new columns: the row above is flat there
            cur[reach + 1 : hi_i + 1] = [top] * (hi_i - reach)
            reach = hi_i
        band_at[i] = len(band)
        if hi_i >= lo_i:
            size = hi_i - lo_i + 1
            if size > WIDE_BAND:  # a wide band (a long tolerance): one vectorised row
                old = np.array(cur[lo_i - 1 : hi_i + 1])
                old[1:] = np.maximum(old[1:], old[:-1] + weight[k : k + size])
                row = np.maximum.accumulate(old)[1:].tolist()
                cur[lo_i : hi_i + 1] = row
                run = row[-1]
            else:
                run = above = cur[lo_i - 1]  # S[i, L−1] = S[i−1, L−1]
                for j, w in zip(range(lo_i, hi_i + 1), weight[k : k + size].tolist(), strict=True):
                    here = cur[j]
                    value = above + w
                    if here > value:
                        value = here
                    if run > value:
                        value = run
                    cur[j] = run = value
                    above = here
            k += size
            band += cur[lo_i : hi_i + 1]
            if run > top:
                top = run
        row_max[i] = top
    band_at[n + 1] = len(band)

    def score(i: int, j: int) -> int:
        """S[i, j]."""
        if i == 0 or j == 0:
            return 0
        if j < first[i - 1]:  # the row above is the same: go up to the last band reaching j
            i = bisect_right(first, j, 0, i)  # rows 1 … i−1 whose band starts at or before j
            if i == 0:
                return 0
        if j > last[i - 1]:
            return row_max[i]
        return band[band_at[i] + j - first[i - 1]]

    def pair_weight(i: int, j: int) -> int:
        """w(i, j), −1 outside tolerance."""
        if not first[i - 1] <= j <= last[i - 1]:
            return -1
        return int(weight[band_at[i] - 1 + j - first[i - 1]])

    ia, ib = [], []
    i, j = n, m
    row_exit = False
    if row_entry:
        while i > 0 and score(i - 1, m) == score(i, m):
            ia.append(i - 1)
            ib.append(-1)
            i -= 1
        row_exit = i == 0
    while i > 0 or j > 0:
        here = score(i, j)
        w = pair_weight(i, j) if i > 0 and j > 0 else -1
        if w >= 0 and here == score(i - 1, j - 1) + w:
            ia.append(i - 1)
            ib.append(j - 1)
            i, j = i - 1, j - 1
        elif i > 0 and here == score(i - 1, j):
            ia.append(i - 1)
            ib.append(-1)
            i -= 1
        else:
            ia.append(-1)
            ib.append(j - 1)
            j -= 1
            row_exit = row_exit or i == 0
    ia_arr, ib_arr = np.array(ia[::-1], dtype=np.int64), np.array(ib[::-1], dtype=np.int64)
    # time order; pairs do not cross, so this keeps both coders' own orders
    when = np.minimum(
        np.where(ia_arr >= 0, ao[np.maximum(ia_arr, 0)] if n else 0.0, np.inf),
        np.where(ib_arr >= 0, bo[np.maximum(ib_arr, 0)] if m else 0.0, np.inf),
    )
    order = np.argsort(when, kind="stable")
    return ia_arr[order], ib_arr[order], row_exit


def gap_cuts(
    ao: np.ndarray, bo: np.ndarray, tolerance: float, min_events: int = 1
) -> list[tuple[int, int]]:
    """Where two onset-sorted lists split into blocks that no pair within tolerance crosses.

    Returns the first ``(A index, B index)`` of every block, ``(0, 0)`` first; a block holds at
    least ``min_events`` events (the last one may hold fewer). A cut lies between two onsets
    (events at one time stay together) such that A's last onset before it and B's first after
    it, and B's last before it and A's first after it, are more than ``tolerance`` apart, as
    :func:`align_path` computes it.
    """
    t = tolerance + 1e-9
    n, m = len(ao), len(bo)
    onset = np.concatenate((ao, bo))
    order = np.argsort(onset, kind="stable")
    onset = onset[order]
    is_a = order < n
    k = np.arange(1, n + m)  # a cut before merged position k
    a_before = np.cumsum(is_a)[:-1]  # A events before the cut
    b_before = k - a_before
    last_a = np.append(-np.inf, ao)[a_before]
    last_b = np.append(-np.inf, bo)[b_before]
    first_a = np.append(ao, np.inf)[a_before]
    first_b = np.append(bo, np.inf)[b_before]
    with np.errstate(invalid="ignore"):
        ok = (
            (onset[1:] > onset[:-1])
            & ((a_before == 0) | (b_before == m) | (last_a - first_b < -t))
            & ((b_before == 0) | (a_before == n) | (first_a - last_b > t))
        )
    cuts = [(0, 0)]
    done = 0
    for c in np.flatnonzero(ok).tolist():
        if c + 1 - done >= min_events:
            cuts.append((int(a_before[c]), int(b_before[c])))
            done = c + 1
    return cuts


def align_events(
    a_onsets: Sequence[float],
    a_codes: Sequence[str],
    b_onsets: Sequence[float],
    b_codes: Sequence[str],
    tolerance: float = 1.0,
) -> pd.DataFrame:
    """Align two coders' events by onset (Bakeman, Quera & Gnisci, 2009).

    Parameters
    ----------
    a_onsets, a_codes, b_onsets, b_codes : each coder's events (any order; sorted by onset here).
    tolerance : the largest onset difference, in seconds, of a pair.

    Returns
    -------
    DataFrame, one row per alignment column in time order: ``onset_a, code_a, onset_b, code_b``
    (NaN onset and ``<nil>`` code on the unpaired side). See :func:`align_ids` for the score.
    """
    ao = np.asarray(a_onsets, dtype=np.float64)
    bo = np.asarray(b_onsets, dtype=np.float64)
    ac = np.asarray(a_codes, dtype=object)
    bc = np.asarray(b_codes, dtype=object)
    sa, sb = np.argsort(ao, kind="stable"), np.argsort(bo, kind="stable")
    ao, ac, bo, bc = ao[sa], ac[sa], bo[sb], bc[sb]
    ia, ib = align_ids(ao, ac, bo, bc, tolerance)
    pick = np.maximum(ia, 0), np.maximum(ib, 0)
    return pd.DataFrame(
        {
            "onset_a": np.where(ia >= 0, ao[pick[0]] if len(ao) else np.nan, np.nan),
            "code_a": np.where(ia >= 0, ac[pick[0]] if len(ac) else NIL, NIL).astype(object),
            "onset_b": np.where(ib >= 0, bo[pick[1]] if len(bo) else np.nan, np.nan),
            "code_b": np.where(ib >= 0, bc[pick[1]] if len(bc) else NIL, NIL).astype(object),
        }
    )


def alignment_table(alignment: pd.DataFrame, codes: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``(K+1) × (K+1)`` table of an alignment: codes plus ``<nil>`` last (nil–nil is 0)."""
    found = set(alignment["code_a"]) | set(alignment["code_b"])
    cats = sorted((set(codes or ()) | found) - {NIL}, key=str) + [NIL]
    return confusion(alignment["code_a"], alignment["code_b"], cats)


def event_agreement(alignment: pd.DataFrame) -> float:
    """Same-code pairs ÷ alignment columns (NaN when neither coder has an event)."""
    if alignment.empty:
        return float("nan")
    same = (alignment["code_a"] == alignment["code_b"]) & (alignment["code_a"] != NIL)
    return float(same.sum() / len(alignment))


def event_kappa(alignment: pd.DataFrame) -> float:
    """Cohen's kappa on the alignment table (Bakeman, Quera & Gnisci, 2009)."""
    if alignment.empty:
        return float("nan")
    return cohen_kappa(alignment_table(alignment))
