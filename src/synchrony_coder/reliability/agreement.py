"""Agreement statistics on paired labels: confusion matrix, Cohen's kappa, kappa_max, alpha.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and Psychological
Measurement*, 20, 37–46.
Bakeman, R., & Quera, V. (2011). *Sequential Analysis and Observational Methods for the
Behavioral Sciences*. Cambridge University Press (ch. 5: kappa, kappa_max, thresholds).
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
Communication Departmental Papers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def confusion(a: Sequence, b: Sequence, categories: Sequence | None = None) -> pd.DataFrame:
    """Counts of (row = coder A's label, column = coder B's label) over paired observations."""
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    if categories is None:
        categories = sorted(set(a.tolist()) | set(b.tolist()), key=str)
    cats = list(categories)
    pos = {c: i for i, c in enumerate(cats)}
    ia = np.fromiter((pos[x] for x in a), dtype=np.int64, count=len(a))
    ib = np.fromiter((pos[x] for x in b), dtype=np.int64, count=len(b))
    table = np.zeros((len(cats), len(cats)), dtype=np.int64)
    np.add.at(table, (ia, ib), 1)
    return pd.DataFrame(table, index=pd.Index(cats, name="A"), columns=pd.Index(cats, name="B"))


def _as_array(table) -> np.ndarray:
    return np.asarray(table.to_numpy() if isinstance(table, pd.DataFrame) else table, float)


def percent_agreement(table) -> float:
    """Share of observations on the diagonal (a fraction 0–1; NaN for an empty table)."""
    t = _as_array(table)
    n = t.sum()
    return float(np.trace(t) / n) if n > 0 else float("nan")


def cohen_kappa(table) -> float:
    """Cohen's (1960) kappa from a square confusion table.

    ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o`` the diagonal share and
    ``p_e = sum_k p_{k.} p_{.k}`` the agreement expected from the two coders' marginals.
    NaN when undefined (no observations, or ``p_e = 1``: both coders used one and the same code).
    """
    t = _as_array(table)
    n = t.sum()
    if n <= 0:
        return float("nan")
    po = np.trace(t) / n
    pe = float((t.sum(axis=1) / n) @ (t.sum(axis=0) / n))
    return float((po - pe) / (1 - pe)) if pe < 1 - 1e-12 else float("nan")


def kappa_max(table) -> float:
    """The largest kappa the two coders' marginals allow (Bakeman & Quera, 2011, ch. 5).

    ``p_max = sum_k min(p_{k.}, p_{.k})`` replaces ``p_o`` in Cohen's formula. Kappa well below
    kappa_max means disagreement; kappa near a low kappa_max means the coders used the codes
    with different frequencies.
    """
    t = _as_array(table)
    n = t.sum()
    if n <= 0:
        return float("nan")
    rows, cols = t.sum(axis=1) / n, t.sum(axis=0) / n
    pe = float(rows @ cols)
    pmax = float(np.minimum(rows, cols).sum())
    return float((pmax - pe) / (1 - pe)) if pe < 1 - 1e-12 else float("nan")


def table_of_ids(a: np.ndarray, b: np.ndarray, n_categories: int) -> np.ndarray:
    """Confusion counts of two aligned int label arrays (ids ``0 .. n_categories-1``)."""
    flat = np.bincount(a * n_categories + b, minlength=n_categories * n_categories)
    return flat.reshape(n_categories, n_categories)


def nominal_alpha(ids: np.ndarray, n_categories: int) -> float:
    """Krippendorff's alpha for nominal data from a ``coders × units`` int matrix (-1 = missing).

    With ``N_u`` the count of each value in unit ``u`` and ``m_u`` its number of values, the
    coincidence matrix is ``o = sum_u (N_u N_u^T - diag N_u) / (m_u - 1)`` over units with
    ``m_u >= 2``; with ``n_c`` its margins and ``n`` their sum,
    ``alpha = 1 - (n - 1) (n - trace o) / (n^2 - sum_c n_c^2)`` (Krippendorff, 2011, nominal
    metric). NaN when undefined (fewer than two values in the pairable data).
    """
    ids = np.asarray(ids, dtype=np.int64)
    n_coders, n_units = ids.shape
    counts = np.zeros((n_units, n_categories), dtype=np.float64)
    for row in ids:
        ok = row >= 0
        np.add.at(counts, (np.flatnonzero(ok), row[ok]), 1.0)
    m = counts.sum(axis=1)
    pairable = m >= 2
    if not pairable.any():
        return float("nan")
    c, w = counts[pairable], 1.0 / (m[pairable] - 1.0)
    o = (c * w[:, None]).T @ c - np.diag((c * w[:, None]).sum(axis=0))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    expected = n * n - (n_c**2).sum()
    if expected <= 0:
        return float("nan")
    return float(1.0 - (n - 1.0) * (n - np.trace(o)) / expected)


def krippendorff_alpha(labels: Sequence[Sequence]) -> float:
    """Krippendorff's alpha, nominal, for two or more coders (Krippendorff, 2011).

    Parameters
    ----------
    labels : one sequence per coder, aligned by unit; ``None`` or NaN marks a unit that coder did
        not label (missing). Labels are any hashable values (codes, ``"<none>"``).

    Returns
    -------
    alpha (see :func:`nominal_alpha`); NaN when undefined (fewer than two distinct values where
    at least two coders labelled a unit).
    """
    rows = [list(r) for r in labels]
    cats: dict = {}
    ids = np.full((len(rows), len(rows[0]) if rows else 0), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        for j, x in enumerate(row):
            if x is None or (isinstance(x, float) and np.isnan(x)):
                continue
            ids[i, j] = cats.setdefault(x, len(cats))
    if len(cats) < 2 or ids.shape[0] < 2:
        return float("nan")
    return nominal_alpha(ids, len(cats))
