"""The Still-Face effects over a study's sessions: per-phase summaries, rm-ANOVA, paired contrasts.

Every session contributes one value per phase (SCIENCE.md §5: play, still-face, reunion; Tronick
et al., 1978). For each metric the phases are compared within sessions, as the Still-Face
literature does (Mesman, van IJzendoorn & Bakermans-Kranenburg, 2009): a one-way
repeated-measures ANOVA over the phases and the two paired contrasts of the paradigm, the
still-face effect (still-face − play) and the reunion effect (reunion − still-face). Statistics
come from pingouin (Vallat, 2018).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..metrics.table import METRIC_COLUMNS

__all__ = ["EFFECT_COLUMNS", "SUMMARY_COLUMNS", "by_phase", "contrasts", "metric_columns", "phase_summaries",
           "still_face_effects"]  # fmt: skip

SUMMARY_COLUMNS = ["metric", "phase", "n", "mean", "sd", "median", "ci_lo", "ci_hi"]
EFFECT_COLUMNS = [
    "metric", "test", "n", "statistic", "df1", "df2", "p_unc", "p_gg", "p_holm",
    "effect_size", "effect_kind", "effect_ci_lo", "effect_ci_hi",
    "mean_diff", "diff_ci_lo", "diff_ci_hi",
]  # fmt: skip
_ID = {"session", "coder", "phase"}


DESIGN_COLUMNS = ("coded_s",)  # a phase's coded length: set by the design, not an effect


def effect_columns(metrics: pd.DataFrame) -> list[str]:
    """The metrics whose phase effects are tested: all but those the design sets."""
    return [c for c in metric_columns(metrics) if c not in DESIGN_COLUMNS]


def metric_columns(metrics: pd.DataFrame) -> list[str]:
    """The metric columns of a metrics table: SCIENCE.md §3's, then the engagement shares."""
    numeric = [
        c for c in metrics.columns
        if c not in _ID and pd.api.types.is_numeric_dtype(metrics[c])
    ]  # fmt: skip
    known = [c for c in METRIC_COLUMNS if c in numeric]
    return known + [c for c in numeric if c not in known]


def contrasts(phases: Sequence[str]) -> list[tuple[str, str]]:
    """Consecutive phases: ``(play, still_face)``, ``(still_face, reunion)`` for the paradigm."""
    return list(zip(phases[:-1], phases[1:], strict=True))


def by_phase(
    metrics: pd.DataFrame, phases: Sequence[str], metric_cols: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """Each metric as a sessions × phases table (one value per session and phase)."""
    part = metrics[metrics["phase"].isin(phases)].drop_duplicates(["session", "phase"])
    wide = part.set_index(["session", "phase"])[list(metric_cols)].unstack("phase")
    present = set(wide.columns.get_level_values(0))
    none = pd.DataFrame(index=wide.index, columns=list(phases), dtype=float)  # no session coded
    return {m: wide[m].reindex(columns=list(phases)) if m in present else none for m in metric_cols}


def phase_summaries(
    metrics: pd.DataFrame, phases: Sequence[str], metric_cols: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per metric × phase: ``n, mean, sd, median`` and the t-based 95% CI of the mean."""
    rows = []
    for metric, wide in by_phase(metrics, phases, metric_cols or metric_columns(metrics)).items():
        for phase in phases:
            v = wide[phase].dropna().to_numpy(np.float64)
            n = len(v)
            mean = float(v.mean()) if n else np.nan
            sd = float(v.std(ddof=1)) if n > 1 else np.nan
            half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
            rows.append((metric, phase, n, mean, sd, float(np.median(v)) if n else np.nan,
                         mean - half, mean + half))  # fmt: skip
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _anova(metric: str, wide: pd.DataFrame) -> dict:
    import pingouin as pg

    complete = wide.dropna()
    row = {"metric": metric, "test": "rm_anova", "n": len(complete), "effect_kind": "ng2"}
    if len(complete) < 3 or np.allclose(complete.to_numpy().std(), 0):
        return row
    long = complete.reset_index().melt(id_vars="session", var_name="phase", value_name="value")
    res = pg.rm_anova(long, dv="value", within="phase", subject="session", correction=True)
    r = res.iloc[0]
    return row | {
        "statistic": float(r["F"]),
        "df1": float(r["ddof1"]),
        "df2": float(r["ddof2"]),
        "p_unc": float(r["p_unc"]),
        "p_gg": float(r["p_GG_corr"]) if "p_GG_corr" in r else float(r["p_unc"]),
        "effect_size": float(r["ng2"]),
    }


def _paired(metric: str, wide: pd.DataFrame, first: str, second: str) -> dict:
    import pingouin as pg

    pair = wide[[first, second]].dropna()
    x, y = pair[second].to_numpy(np.float64), pair[first].to_numpy(np.float64)
    row = {"metric": metric, "test": f"{second} − {first}", "n": len(pair), "effect_kind": "d_av"}
    if len(pair) < 3:
        return row
    diff = x - y
    row |= {"mean_diff": float(diff.mean())}
    if np.allclose(diff, diff[0]) or np.allclose(x.std() + y.std(), 0):
        return row  # no variance: no test
    t = pg.ttest(x, y, paired=True)
    d = float(pg.compute_effsize(x, y, paired=True, eftype="cohen"))
    d_ci = pg.compute_esci(stat=d, nx=len(x), ny=len(y), paired=True, eftype="cohen", decimals=12)
    diff_ci = stats.ttest_rel(x, y).confidence_interval(0.95)
    return row | {
        "statistic": float(t["T"].iloc[0]),
        "df1": float(t["dof"].iloc[0]),
        "p_unc": float(t["p_val"].iloc[0]),
        "effect_size": d,
        "effect_ci_lo": float(d_ci[0]),
        "effect_ci_hi": float(d_ci[1]),
        "diff_ci_lo": float(diff_ci.low),
        "diff_ci_hi": float(diff_ci.high),
    }


def still_face_effects(
    metrics: pd.DataFrame, phases: Sequence[str], metric_cols: Sequence[str] | None = None
) -> pd.DataFrame:
    """The phase effects of every metric, sessions as subjects.

    Parameters
    ----------
    metrics : per session × phase (as :func:`synchrony_coder.metrics.session_metrics` with
        ``by_phase=True`` gives; one coder per session).
    phases : the phases in the paradigm's order (``play, still_face, reunion``).
    metric_cols : the metrics (default: every numeric column but ``coded_s``, which the design
        sets).

    Returns
    -------
    DataFrame ``EFFECT_COLUMNS``, per metric one ``rm_anova`` row — F (``statistic``), ``df1``,
    ``df2``, ``p_unc``, the Greenhouse–Geisser corrected ``p_gg`` and the generalised eta
    squared ``ng2`` (Bakeman, 2005) over the sessions with every phase — then one row per
    contrast of consecutive phases (``still_face − play``, ``reunion − still_face``): the paired
    t (``statistic``, ``df1``) over the sessions with both, ``p_unc`` and ``p_holm`` (Holm over
    the metric's contrasts), Cohen's d_av = (M₂ − M₁) / √((s₁² + s₂²)/2) (Lakens, 2013) with its
    95% CI, and the mean difference with its t-based 95% CI. Tests without variance (or fewer
    than 3 sessions) leave their statistics empty.
    """
    import pingouin as pg

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tables = by_phase(metrics, phases, metric_cols or effect_columns(metrics))
        for metric, wide in tables.items():
            rows.append(_anova(metric, wide))
            pairs = [_paired(metric, wide, a, b) for a, b in contrasts(phases)]
            p = np.array([r.get("p_unc", np.nan) for r in pairs], dtype=float)
            ok = np.isfinite(p)
            if ok.any():
                _, adjusted = pg.multicomp(p[ok], method="holm")
                for r, adj in zip([r for r, k in zip(pairs, ok, strict=True) if k], adjusted,
                                  strict=True):  # fmt: skip
                    r["p_holm"] = float(adj)
            rows += pairs
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)
