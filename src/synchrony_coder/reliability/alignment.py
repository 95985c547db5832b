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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .agreement import cohen_kappa, confusion

NIL = "<nil>"


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
    (NaN onset and ``<nil>`` code on the unpaired side).

    Notes
    -----
    Score of an alignment: ``same-code pairs × (n_a + n_b + 1) + pairs``, maximised by the
    recurrence ``S[i, j] = max(S[i-1, j], S[i, j-1], S[i-1, j-1] + w(i, j))`` over the onset-sorted
    events, ``w`` defined for pairs within tolerance. The row recurrence is a running maximum, so
    each row is one vectorised numpy step.
    """
    ao = np.asarray(a_onsets, dtype=np.float64)
    bo = np.asarray(b_onsets, dtype=np.float64)
    ac = np.asarray(a_codes, dtype=object)
    bc = np.asarray(b_codes, dtype=object)
    ia, ib = np.argsort(ao, kind="stable"), np.argsort(bo, kind="stable")
    ao, ac, bo, bc = ao[ia], ac[ia], bo[ib], bc[ib]
    n, m = len(ao), len(bo)
    big = n + m + 1
    # w[i, j]: value of pairing a_i with b_j (-1: not allowed)
    near = np.abs(ao[:, None] - bo[None, :]) <= tolerance + 1e-9
    same = ac[:, None] == bc[None, :]
    w = np.where(near, np.where(same, big + 1, 1), -1).astype(np.int64)
    s = np.zeros((n + 1, m + 1), dtype=np.int64)
    for i in range(1, n + 1):
        diag = np.where(w[i - 1] >= 0, s[i - 1, :-1] + w[i - 1], -1)
        row = np.concatenate([[s[i - 1, 0]], np.maximum(s[i - 1, 1:], diag)])
        s[i] = np.maximum.accumulate(row)
    cols: list[tuple[float, str, float, str]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if (
            i > 0
            and j > 0
            and w[i - 1, j - 1] >= 0
            and s[i, j] == s[i - 1, j - 1] + w[i - 1, j - 1]
        ):
            cols.append((ao[i - 1], ac[i - 1], bo[j - 1], bc[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and s[i, j] == s[i - 1, j]:
            cols.append((ao[i - 1], ac[i - 1], np.nan, NIL))
            i -= 1
        else:
            cols.append((np.nan, NIL, bo[j - 1], bc[j - 1]))
            j -= 1
    cols.reverse()
    out = pd.DataFrame(cols, columns=["onset_a", "code_a", "onset_b", "code_b"]).astype(
        {"onset_a": float, "onset_b": float, "code_a": object, "code_b": object}
    )
    # time order; pairs do not cross, so this keeps both coders' own orders
    when = out[["onset_a", "onset_b"]].min(axis=1)
    return out.iloc[np.argsort(when.to_numpy(), kind="stable")].reset_index(drop=True)


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
