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


def align_ids(
    ao: np.ndarray, ac: np.ndarray, bo: np.ndarray, bc: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """The alignment of two onset-sorted event lists: ``(ia, ib)``, one entry per column.

    ``ia[k]``/``ib[k]`` index A's/B's event in column ``k`` (-1 for ``<nil>``); columns in time
    order. ``ac``/``bc`` are the events' codes as comparable values (ints are fastest).

    Score of an alignment: ``same-code pairs × (n_a + n_b + 1) + pairs``, maximised by the
    recurrence ``S[i, j] = max(S[i-1, j], S[i, j-1], S[i-1, j-1] + w(i, j))``, ``w`` defined for
    pairs within tolerance. The row recurrence is a running maximum, so each row is one
    vectorised numpy step.
    """
    n, m = len(ao), len(bo)
    big = n + m + 1
    near = np.abs(ao[:, None] - bo[None, :]) <= tolerance + 1e-9
    same = ac[:, None] == bc[None, :]
    w = np.where(near, np.where(same, big + 1, 1), -1).astype(np.int64)
    s = np.zeros((n + 1, m + 1), dtype=np.int64)
    for i in range(1, n + 1):
        diag = np.where(w[i - 1] >= 0, s[i - 1, :-1] + w[i - 1], -1)
        row = np.concatenate([s[i - 1, :1], np.maximum(s[i - 1, 1:], diag)])
        s[i] = np.maximum.accumulate(row)
    ia, ib = [], []
    i, j = n, m
    while i > 0 or j > 0:
        if (
            i > 0
            and j > 0
            and w[i - 1, j - 1] >= 0
            and s[i, j] == s[i - 1, j - 1] + w[i - 1, j - 1]
        ):
            ia.append(i - 1)
            ib.append(j - 1)
            i, j = i - 1, j - 1
        elif i > 0 and s[i, j] == s[i - 1, j]:
            ia.append(i - 1)
            ib.append(-1)
            i -= 1
        else:
            ia.append(-1)
            ib.append(j - 1)
            j -= 1
    ia_arr, ib_arr = np.array(ia[::-1], dtype=np.int64), np.array(ib[::-1], dtype=np.int64)
    # time order; pairs do not cross, so this keeps both coders' own orders
    when = np.minimum(
        np.where(ia_arr >= 0, ao[np.maximum(ia_arr, 0)] if n else 0.0, np.inf),
        np.where(ib_arr >= 0, bo[np.maximum(ib_arr, 0)] if m else 0.0, np.inf),
    )
    order = np.argsort(when, kind="stable")
    return ia_arr[order], ib_arr[order]


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
