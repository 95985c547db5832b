"""Cell statistics of lag tables: expected counts, transitional probabilities, adjusted residuals,
Yule's Q and odds ratios, for a stack of K × K tables at once (Bakeman & Quera, 2011, ch. 9–10).

Without structural zeros the expected count is e = x_g+ x_+t / N and the adjusted residual is
Allison & Liker's (1982) z; both equal the statistics of the 2 × 2 collapse (g vs not g) × (t vs
not t), those of :func:`synchrony_coder.metrics.contingency.two_by_two` (time windows), here
computed from the margins of the K × K tables. With structural zeros (a code that cannot follow itself), expected counts are
the quasi-independence model fitted by iterative proportional fitting, and the adjusted residual is
the standardized residual of that log-linear model, (x − e)/√(e (1 − h)) with h the diagonal of
its hat matrix (Haberman, 1979; Christensen, 1997, p. 357), as Bakeman & Quera (1995; 2011, ch. 10)
recommend; it reduces to Allison & Liker's z when there are no structural zeros.
"""

from __future__ import annotations

import numpy as np

from ..metrics.corpus import ratio

__all__ = ["IPF_TOLERANCE", "cell_statistics", "fit_quasi_independence"]

IPF_TOLERANCE = 1e-10  # largest margin error, relative to N, before fitting stops
IPF_MAX_ITERATIONS = 10_000


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (an empty margin scales its cells to 0)."""
    ok = den > 0
    return np.where(ok, num / np.where(ok, den, 1.0), 0.0)


def fit_quasi_independence(x: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Expected counts of tables ``x`` (…, K, K) under quasi-independence.

    Iterative proportional fitting (Bishop, Fienberg & Holland, 1975; Wickens, 1989, pp. 107–112):
    start from 1 in every allowed cell and 0 in structural zeros, then scale rows and columns in
    turn to the observed margins until they match within ``IPF_TOLERANCE`` · N.
    """
    x = np.asarray(x, dtype=float)
    rows, cols = x.sum(-1), x.sum(-2)
    n = np.maximum(rows.sum(-1), 1.0)[..., None]
    e = np.broadcast_to(allowed, x.shape).astype(float)
    for _ in range(IPF_MAX_ITERATIONS):
        e = e * _share(rows, e.sum(-1))[..., :, None]
        e = e * _share(cols, e.sum(-2))[..., None, :]
        if (np.abs(e.sum(-1) - rows) <= IPF_TOLERANCE * n).all():
            break
    return e


def _hat_diagonal(expected: np.ndarray) -> np.ndarray:
    """Diagonal of the hat matrix of the row + column log-linear model, cell by cell.

    With weights W = diag(e) over the cells and the design of row and column indicators, the
    information matrix is [[diag(e_g+), E], [Eᵀ, diag(e_+t)]] and h_gt = e_gt (P_gg + P_tt +
    2 P_gt) with P its pseudo-inverse (the design's one redundant direction, and empty rows or
    columns, drop out of it).
    """
    k = expected.shape[-1]
    info = np.zeros((*expected.shape[:-2], 2 * k, 2 * k))
    idx = np.arange(k)
    info[..., idx, idx] = expected.sum(-1)
    info[..., k + idx, k + idx] = expected.sum(-2)
    info[..., :k, k:] = expected
    info[..., k:, :k] = np.swapaxes(expected, -1, -2)
    p = np.linalg.pinv(info, rcond=1e-10, hermitian=True)
    pg = p[..., idx, idx][..., :, None]
    pt = p[..., k + idx, k + idx][..., None, :]
    return expected * (pg + pt + 2 * p[..., :k, k:])


def cell_statistics(
    x: np.ndarray, structural: np.ndarray | None = None, out: dict | None = None
) -> dict[str, np.ndarray]:
    """Every cell's statistics for a stack of lag tables.

    Parameters
    ----------
    x
        Counts, shape (…, K, K): given (row) × target (column).
    structural
        K × K booleans, True for structural zeros (cells that cannot occur), or None.
    out
        Arrays shaped like ``x`` to write some of the statistics into (by name), if any.

    Returns
    -------
    dict
        Arrays shaped like ``x``: ``count``; ``expected``; ``transitional_prob`` = x_gt / x_g+;
        ``adjusted_residual``; ``yules_q`` and ``odds_ratio`` of the 2 × 2 collapse (g vs not g) ×
        (t vs not t). NaN where a value is undefined (an empty row, an expected count of 0, a zero
        in the odds ratio's denominator) and in structural-zero cells.
    """
    x = np.asarray(x, dtype=float)
    out = dict(out or {})
    for key in ("expected", "transitional_prob", "adjusted_residual", "yules_q", "odds_ratio"):
        out.setdefault(key, np.empty(x.shape))
    out["count"] = x
    # margins by einsum: a sum over a short last axis is slow in numpy's reductions
    rows, cols = np.einsum("...gt->...g", x), np.einsum("...gt->...t", x)
    n = rows.sum(-1)[..., None, None]
    row, col = rows[..., :, None], cols[..., None, :]
    # The 2 × 2 collapse from the margins, not from four K × K tables: with a = x, b = x_g+ − x,
    # c = x_+t − x, d = N − x_g+ − x_+t + x, ad − bc = xN − x_g+ x_+t (= N (x − e)), exactly for
    # counts. Q = (ad − bc)/(ad + bc) is 0/0 = NaN when ad + bc = 0 (then ad = bc = 0). Steps
    # write into arrays made before (the stack of tables is large).
    margins = row * col
    ad_bc = x * n
    ad_bc -= margins
    bc = row - x
    bc *= col - x
    with np.errstate(invalid="ignore", divide="ignore"):
        yules_q = np.multiply(bc, 2.0, out=out["yules_q"])
        yules_q += ad_bc
        np.divide(ad_bc, yules_q, out=yules_q)
        odds_ratio = np.add(ad_bc, bc, out=out["odds_ratio"])
        odds_ratio /= bc
        odds_ratio[bc == 0] = np.nan  # no odds ratio
        np.divide(x, np.where(row > 0, row, np.nan), out=out["transitional_prob"])
        if structural is None or not np.any(structural):
            # e = x_g+ x_+t / N, and z = (x − e)/√(e (1 − x_g+/N)(1 − x_+t/N)) = (ad − bc)/N ·
            # 1/√(x_g+ (1 − x_g+/N)) · 1/√(x_+t (1 − x_+t/N)) · √N: a product of margins
            np.divide(margins, np.where(n > 0, n, np.nan), out=out["expected"])
            total = n[..., 0]
            spread_g = rows * (1 - rows / total)
            spread_t = cols * (1 - cols / total)
            scale_g = np.where(spread_g > 0, 1 / np.sqrt(spread_g * total), np.nan)
            scale_t = np.where(spread_t > 0, 1 / np.sqrt(spread_t), np.nan)
            z = np.multiply(ad_bc, scale_g[..., :, None], out=out["adjusted_residual"])
            z *= scale_t[..., None, :]
            return out
    expected = fit_quasi_independence(x, ~structural)
    var = expected * (1 - _hat_diagonal(expected))
    z = ratio(x - expected, np.sqrt(np.where(var > 1e-9 * np.maximum(expected, 1), var, 0.0)))
    out["expected"][...] = expected
    out["adjusted_residual"][...] = z
    for key in ("adjusted_residual", "yules_q", "odds_ratio"):
        out[key][..., structural] = np.nan
    return out
