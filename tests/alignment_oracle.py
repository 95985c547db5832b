"""The dense O(n·m) alignment that ``align_ids`` replaced, kept verbatim as the tests' oracle.

``align_ids`` must give exactly this (same optimum, same tie-breaking) on every input.
"""

from __future__ import annotations

import numpy as np


def dense_align_ids(
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
