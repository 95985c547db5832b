"""Agreement on session metrics across coders: intraclass correlation and Bland–Altman limits.

References
----------
Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
reliability. *Psychological Bulletin*, 86, 420–428.
McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
coefficients. *Psychological Methods*, 1, 30–46.
Bland, J. M., & Altman, D. G. (1986). Statistical methods for assessing agreement between two
methods of clinical measurement. *The Lancet*, 327, 307–310.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

KEYS = ("session", "coder", "phase")


def icc(ratings) -> dict[str, float]:
    """ICC(2,1) and ICC(3,1) of an ``n targets × k raters`` matrix (Shrout & Fleiss, 1979).

    From the two-way ANOVA mean squares: rows (targets) ``MSR``, columns (raters) ``MSC`` and
    residual ``MSE``,

    - ICC(2,1), absolute agreement, raters random:
      ``(MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)``
    - ICC(3,1), consistency, raters fixed: ``(MSR - MSE) / (MSR + (k-1) MSE)``

    (McGraw & Wong's ICC(A,1) and ICC(C,1)). Targets with a missing rating are dropped; NaN with
    fewer than two targets or raters, or when the denominator is 0.
    """
    y = np.asarray(ratings, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError("ratings must be a 2-D array: targets × raters")
    y = y[~np.isnan(y).any(axis=1)]
    n, k = y.shape
    nan = {"icc2_1": float("nan"), "icc3_1": float("nan"), "n_targets": n}
    if n < 2 or k < 2:
        return nan
    grand = y.mean()
    ssr = k * ((y.mean(axis=1) - grand) ** 2).sum()
    ssc = n * ((y.mean(axis=0) - grand) ** 2).sum()
    sse = ((y - grand) ** 2).sum() - ssr - ssc
    msr, msc, mse = ssr / (n - 1), ssc / (k - 1), sse / ((n - 1) * (k - 1))
    d2 = msr + (k - 1) * mse + k * (msc - mse) / n
    d3 = msr + (k - 1) * mse
    return {
        "icc2_1": float((msr - mse) / d2) if d2 > 0 else float("nan"),
        "icc3_1": float((msr - mse) / d3) if d3 > 0 else float("nan"),
        "n_targets": n,
    }


def bland_altman(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Bias (mean of ``a - b``) and 95% limits of agreement ``bias ± 1.96 SD`` (Bland & Altman, 1986)."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    d = d[~np.isnan(d)]
    if len(d) < 2:
        bias = float(d.mean()) if len(d) else float("nan")
        return {"ba_bias": bias, "ba_lo": float("nan"), "ba_hi": float("nan")}
    bias, sd = float(d.mean()), float(d.std(ddof=1))
    return {"ba_bias": bias, "ba_lo": bias - 1.96 * sd, "ba_hi": bias + 1.96 * sd}


def metric_agreement(
    metrics: pd.DataFrame, metric_cols: Sequence[str] | None = None
) -> pd.DataFrame:
    """ICC(2,1), ICC(3,1) and Bland–Altman of each session metric across coders (SCIENCE.md §4).

    Parameters
    ----------
    metrics : tidy table, one row per session × coder × phase (as from
        :func:`synchrony_coder.metrics.session_metrics`), numeric metric columns.
    metric_cols : the metrics to assess (default: every numeric column).

    Returns
    -------
    DataFrame, one row per phase × metric: ``phase, metric, coders, n_sessions, icc2_1, icc3_1,
    ba_bias, ba_lo, ba_hi``. Targets are sessions, raters are coders; sessions some coder lacks
    (or where a metric is undefined for some coder) are left out of that metric. Bland–Altman
    compares the first two coders in name order (bias = first − second); the ICCs use them all.
    """
    cols = list(metric_cols) if metric_cols is not None else [
        c for c in metrics.columns
        if c not in KEYS and pd.api.types.is_numeric_dtype(metrics[c])
    ]  # fmt: skip
    phases = metrics["phase"] if "phase" in metrics.columns else pd.Series("all", metrics.index)
    rows = []
    for phase, part in metrics.assign(phase=phases).groupby("phase", sort=False):
        coders = sorted(part["coder"].astype(str).unique())
        for col in cols:
            wide = part.pivot_table(
                index="session", columns="coder", values=col, aggfunc="first", dropna=False
            ).reindex(columns=coders)
            stats = icc(wide.to_numpy(np.float64))
            ba = (
                bland_altman(wide[coders[0]], wide[coders[1]])
                if len(coders) >= 2
                else bland_altman([], [])
            )
            rows.append(
                {
                    "phase": phase,
                    "metric": col,
                    "coders": ";".join(coders),
                    "n_sessions": stats["n_targets"],
                    "icc2_1": stats["icc2_1"],
                    "icc3_1": stats["icc3_1"],
                    **ba,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "phase", "metric", "coders", "n_sessions", "icc2_1", "icc3_1",
            "ba_bias", "ba_lo", "ba_hi",
        ],
    )  # fmt: skip
