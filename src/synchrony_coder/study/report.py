"""The study report: Still-Face effects over the sessions, reliability, what is missing (HTML).

One self-contained file, as the reliability report: per-phase group summaries of every metric
with the still-face and reunion effects (:mod:`.effects`), figures as Still-Face papers draw them
(phase means with 95% CIs over each dyad's line; engagement shares per phase), reliability over the
double-coded sessions (SCIENCE.md §4: time-unit and event kappa, alpha, ICC of the metrics), what
follows what (the lag-1 table of the point tiers pooled over the analysed sessions, SCIENCE.md §7),
and the sessions that are missing or incomplete.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..events import atomic_write_text, read_events
from ..metrics import session_metrics
from ..reliability import metric_agreement, reliability_table
from ..report_html import CSS, figure_img, grade, html_table
from ..scheme import Scheme
from ..sequential import POOLED, lag_table
from ..sequential.plots import heatmap_html
from .consensus import CONSENSUS
from .effects import (
    by_phase,
    effect_columns,
    metric_columns,
    phase_summaries,
    still_face_effects,
)
from .export import analysis_events, with_attributes
from .folder import Study, StudyError
from .status import DONE, NOT_STARTED, study_status

__all__ = ["ReportTables", "double_coded", "session_problems", "write_study_report"]

GRID_CSS = (
    "body{max-width:1320px} table.grid{font-size:.84em} table.grid td{white-space:nowrap}"
    "table.grid th{vertical-align:bottom} div.wide{overflow-x:auto}"
)
STAT_COLS = ["percent_agreement", "kappa", "kappa_max", "krippendorff_alpha",
             "event_agreement", "event_kappa"]  # fmt: skip


@dataclass(frozen=True)
class ReportTables:
    """The numbers behind the report (the CLI can write them as CSV)."""

    metrics: pd.DataFrame  # per session × phase, the analysed coder
    summaries: pd.DataFrame  # per metric × phase
    effects: pd.DataFrame  # per metric × test
    reliability: pd.DataFrame  # per session × tier over the double-coded sessions
    icc: pd.DataFrame  # per phase × metric
    problems: pd.DataFrame  # session, problem
    sequential: pd.DataFrame  # lag-1 rows of the point tiers, pooled over the analysed sessions


def phases_of(scheme: Scheme, metrics: pd.DataFrame) -> list[str]:
    """The phase codes present, in the scheme's order (the paradigm's)."""
    present = set(metrics["phase"]) - {"all"}
    tier = scheme.tier(scheme.roles.phase) if scheme.roles.phase else None
    known = [c for c in (tier.code_names if tier else ()) if c in present]
    return known + sorted(present - set(known))


def double_coded(study: Study) -> dict[str, list[str]]:
    """Sessions with two coders' files or more: ``{session: coders}`` (study order)."""
    order = study.all_coders()
    out = {}
    for s in study.sessions:
        if s.spec is None:
            continue
        have = [c for c in order if s.spec.events_path(c).exists()]
        if len(have) >= 2:
            out[s.session] = have
    return out


def _reliability(study: Study, scheme: Scheme, unit: float, tolerance: float, **kw):
    """Per session × tier statistics and the ICCs of the metrics over the double-coded sessions.

    For the ICCs each session's first two coders (in the study's order) are its first and second
    rating, so sessions double-coded by different pairs pool (Shrout & Fleiss, 1979).
    """
    pairs = double_coded(study)
    if not pairs:
        return pd.DataFrame(), pd.DataFrame()
    paths = [study.session(s).spec.events_path(c) for s, cs in pairs.items() for c in cs]
    events = read_events(paths, scheme)
    table = reliability_table(events, scheme, unit=unit, tolerance=tolerance)
    first_two = {
        (s, c): slot
        for s, cs in pairs.items()
        for slot, c in zip(("1st", "2nd"), cs[:2], strict=True)
    }
    slots = [first_two.get(k) for k in zip(events["session"], events["coder"], strict=True)]
    events = events.assign(coder=slots).dropna(subset=["coder"])
    metrics = session_metrics(events, scheme, by_phase=True, **kw)
    return table, metric_agreement(metrics, metric_columns(metrics))


def session_problems(
    study: Study, status: pd.DataFrame, sources: pd.DataFrame, metrics: pd.DataFrame, phases
) -> pd.DataFrame:
    """What keeps each session out of the analyses or from being finished: ``session, problem``."""
    rows = []
    used = dict(zip(sources["session"], sources["source_coder"], strict=True))
    for s in study.sessions:
        if s.problem:
            rows.append((s.session, s.problem))
        st = status[status["session"] == s.session]
        started = st[st["status"] != NOT_STARTED]
        if started.empty:
            rows.append((s.session, "not coded yet"))
            continue
        for r in started[started["status"] != DONE].itertuples():
            share = r.coded_until_s / r.duration_s if r.duration_s > 0 else np.nan
            how = f", coded to {share:.0%} of the video" if np.isfinite(share) else ""
            rows.append((s.session, f"{r.coder}: {r.status}{how}"))
        if bool(st["reliability_sample"].any()) and len(started) < 2:
            rows.append((s.session, "drawn for double coding; the second coder has not started"))
        cons = st["consensus"].iloc[0] if len(st) else ""
        if len(started) >= 2 and cons != DONE:
            rows.append((s.session, f"double-coded; consensus {cons or NOT_STARTED}"))
        if s.session in used:
            have = set(metrics.loc[metrics["session"] == s.session, "phase"]) - {"all"}
            lacking = [p for p in phases if p not in have]
            if lacking:
                rows.append(
                    (s.session, f"no {', '.join(lacking)} phase coded ({used[s.session]}): "
                     "left out of the tests that need it")
                )  # fmt: skip
    return pd.DataFrame(rows, columns=["session", "problem"])


def _p(p: float) -> str:
    if not np.isfinite(p):
        return "–"
    return "< .001" if p < 0.001 else f"{p:.3f}".lstrip("0")


def _num(v: float, digits: int | None = None) -> str:
    """A number as tables print it: ``digits`` decimals, or 3 significant-ish (12.35, 120.4)."""
    if not np.isfinite(v):
        return "–"
    if digits is None:
        digits = 1 if abs(v) >= 100 else 2 if abs(v) >= 10 else 3
    return f"{round(v, digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.000"


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _grid(
    head: list[str], rows: list[list[str]], graded: dict[int, list[float]] | None = None
) -> str:
    """A compact table of formatted cells: the first column left, the others right, no wrapping;
    ``graded`` colours column k by the kappa bands of its values."""
    heads = "".join(f'<th class="{"l" if k == 0 else ""}">{html.escape(h)}</th>'
                    for k, h in enumerate(head))  # fmt: skip
    body = []
    for i, cells in enumerate(rows):
        tds = []
        for k, c in enumerate(cells):
            cls = "l" if k == 0 else grade(graded[k][i]) if graded and k in graded else ""
            tds.append(f'<td class="{cls}">{html.escape(c)}</td>')
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<div class='wide'><table class='grid'><tr>{heads}</tr>{''.join(body)}</table></div>"


def _label(phase: str) -> str:
    return phase.replace("_", "-")


def _effects_tables(summaries: pd.DataFrame, effects: pd.DataFrame, phases) -> tuple[str, str]:
    """The paper's tables: M (SD) per phase with the ANOVA; each contrast's Δ, d and p."""
    head_a = ["metric", *[f"{_label(p)} M (SD)" for p in phases], "n", "F (df)", "p (GG)", "η²G"]
    tests = [t for t in dict.fromkeys(effects["test"]) if t != "rm_anova"]
    head_b = ["metric"]
    for t in tests:
        head_b += [f"{t.replace('_', '-')}: n", "Δ [95% CI]", "d [95% CI]", "p (Holm)"]
    rows_a, rows_b = [], []
    for metric, part in effects.groupby("metric", sort=False):
        s = summaries[summaries["metric"] == metric].set_index("phase")
        a = part[part["test"] == "rm_anova"].iloc[0]
        rows_a.append(
            [metric, *[f"{_num(s.loc[p, 'mean'])} ({_num(s.loc[p, 'sd'])})" for p in phases],
             str(int(a.n)), f"{_num(a.statistic, 2)} ({_num(a.df1, 0)}, {_num(a.df2, 0)})",
             _p(a.p_gg), _num(a.effect_size)]
        )  # fmt: skip
        cells = [metric]
        for t in tests:
            r = part[part["test"] == t].iloc[0]
            cells += [
                str(int(r.n)),
                f"{_num(r.mean_diff)} [{_num(r.diff_ci_lo)}, {_num(r.diff_ci_hi)}]",
                f"{_num(r.effect_size, 2)} [{_num(r.effect_ci_lo, 2)}, {_num(r.effect_ci_hi, 2)}]",
                _p(r.p_holm) + _stars(r.p_holm),
            ]
        rows_b.append(cells)
    return _grid(head_a, rows_a), _grid(head_b, rows_b)


def _summary_table(summaries: pd.DataFrame, phases) -> str:
    """Per metric, each phase's n, mean, SD, median and 95% CI of the mean."""
    head = ["metric"]
    for p in phases:
        head += [f"{_label(p)} n", "M", "SD", "Mdn", "95% CI"]
    rows = []
    for metric, part in summaries.groupby("metric", sort=False):
        s = part.set_index("phase")
        cells = [metric]
        for p in phases:
            r = s.loc[p]
            cells += [str(int(r.n)), _num(r["mean"]), _num(r.sd), _num(r["median"]),
                      f"[{_num(r.ci_lo)}, {_num(r.ci_hi)}]"]  # fmt: skip
        rows.append(cells)
    return _grid(head, rows)


def _icc_table(icc: pd.DataFrame) -> str:
    """Per metric, ICC(2,1) in each phase (and the whole session's ICC(3,1) and n)."""
    phases = list(dict.fromkeys(icc["phase"]))
    wide = icc.pivot(index="metric", columns="phase", values="icc2_1").reindex(columns=phases)
    whole = icc[icc["phase"] == "all"].set_index("metric")
    order = list(dict.fromkeys(icc["metric"]))
    head = ["metric", "sessions", *[f"ICC(2,1) {_label(p)}" for p in phases], "ICC(3,1) all"]
    rows, graded = [], {k + 2: [] for k in range(len(phases) + 1)}
    for m in order:
        values = [*wide.loc[m].to_numpy(float), float(whole.loc[m, "icc3_1"])]
        rows.append([m, str(int(whole.loc[m, "n_sessions"])), *(_num(v) for v in values)])
        for k, v in enumerate(values):
            graded[k + 2].append(v)
    return _grid(head, rows, graded)


def _metric_grid(metrics, summaries, effects, phases, scheme: Scheme):
    """Small multiples: each session's line (grey), the mean ± 95% CI (black), contrast stars."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    from ..metrics.plots import STYLE

    cols = [m for m in effect_columns(metrics) if metrics[m].notna().any()]
    tables = by_phase(metrics, phases, cols)
    ncol = 5
    nrow = -(-len(cols) // ncol)
    tier = scheme.tier(scheme.roles.phase) if scheme.roles.phase else None
    colour = {c.name: c.color for c in tier.codes} if tier else {}
    x = np.arange(len(phases))
    with plt.rc_context(STYLE | {"axes.spines.left": True}):
        fig = Figure(figsize=(2.5 * ncol, 2.15 * nrow))
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.04, top=0.97, hspace=0.6, wspace=0.35)
        axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
        for ax, metric in zip(axes, cols, strict=False):
            wide = tables[metric]
            lines = [np.column_stack([x, y]) for y in wide.to_numpy(float)]
            ax.add_collection(LineCollection(lines, colors="#b9b9b9", lw=0.7, alpha=0.8, zorder=1))
            s = summaries[summaries["metric"] == metric].set_index("phase").reindex(phases)
            mean = s["mean"].to_numpy(float)
            err = np.vstack([mean - s["ci_lo"], s["ci_hi"] - mean])
            ax.errorbar(x, mean, yerr=err, color="black", lw=1.6, capsize=3, zorder=3)
            ax.scatter(x, mean, s=38, zorder=4, edgecolor="black", lw=0.8,
                       color=[colour.get(p, "#9ecae1") for p in phases])  # fmt: skip
            top = np.nanmax(np.r_[wide.to_numpy(float).ravel(), s["ci_hi"].to_numpy(float)])
            low = np.nanmin(np.r_[wide.to_numpy(float).ravel(), s["ci_lo"].to_numpy(float)])
            span = (top - low) or 1.0
            mine = effects[(effects["metric"] == metric) & (effects["test"] != "rm_anova")]
            for k, r in enumerate(mine.itertuples()):
                stars = _stars(r.p_holm)
                if stars:
                    y = top + span * (0.08 + 0.02 * k)
                    ax.plot([k + 0.05, k + 0.95], [y, y], color="black", lw=0.8)
                    ax.text(k + 0.5, y, stars, ha="center", va="bottom", fontsize=9)
            ax.set_ylim(low - 0.05 * span, top + 0.25 * span)
            ax.set_xticks(x, [p.replace("_", "-") for p in phases], fontsize=7.5)
            ax.set_xlim(-0.4, len(phases) - 0.6)
            ax.set_title(metric.replace("_", " "), fontsize=9)
            ax.grid(axis="y", color="#eeeeee", lw=0.5)
        for ax in axes[len(cols) :]:
            ax.set_visible(False)
    return fig


def _engagement_figure(metrics, phases, scheme: Scheme):
    """Mean share of each partner's coded time in each code, per phase (stacked)."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from ..metrics.plots import STYLE, engagement_bars

    r = scheme.roles
    partners = [(p, t) for p, t in (("infant", r.infant_engagement),
                                     ("caregiver", r.caregiver_engagement)) if t]  # fmt: skip
    share_cols = [f"{p}_{c}" for p, t in partners for c in scheme.tier(t).code_names]
    if not partners or not all(c in metrics.columns for c in share_cols):
        return None
    means = metrics[metrics["phase"].isin(phases)].groupby("phase")[share_cols].mean()
    means = means.reindex(phases).reset_index()
    with plt.rc_context(STYLE):
        fig = Figure(figsize=(6.4, 3.6), layout="constrained")
        ax = fig.subplots()
        x = np.arange(len(phases))
        engagement_bars(ax, means, scheme, partners, x, [p.replace("_", "-") for p in phases])
        ax.set_ylim(0, 1)
        ax.set_ylabel("mean share of coded time")
    return fig


def write_study_report(
    study: Study,
    path: str | Path,
    *,
    coder: str = CONSENSUS,
    done_only: bool = False,
    window: float = 2.0,
    repair_within: float = 2.0,
    unit: float = 0.1,
    tolerance: float = 1.0,
    by: str | None = None,
) -> ReportTables:
    """Write the study's HTML report to ``path``; returns the tables behind it.

    The analysed events are :func:`~synchrony_coder.study.export.analysis_events`' (the consensus
    where a session has one, else its primary coder; or one named coder). ``by`` names a session
    attribute (``visit``): the Still-Face effects and summaries are then computed for each of its
    values apart, so that a dyad seen at several visits is not counted as several subjects; the
    metrics, summaries and effects tables get that attribute as a column.
    """
    scheme = study.load_scheme()
    if by is not None and by not in study.attributes:
        raise StudyError(
            f"{study.path}: no session attribute {by!r} to report by (attributes: "
            f"{', '.join(study.attributes) or 'none; see study init --pattern'})"
        )
    status = study_status(study)
    events, sources = analysis_events(study, coder, done_only)
    kw = {"window": window, "repair_within": repair_within}
    metrics = session_metrics(events, scheme, by_phase=True, **kw)
    phases = phases_of(scheme, metrics)
    if by is None:
        summaries = phase_summaries(metrics, phases)
        effects = still_face_effects(metrics, phases)
    else:
        metrics = with_attributes(study, metrics)
        metrics = metrics[
            ["session", by, *(c for c in metrics.columns[1:] if c not in study.attributes)]
        ]
        parts = [(v, part.drop(columns=by)) for v, part in _groups(metrics, by)]
        summaries = _stacked(by, [(v, phase_summaries(m, phases)) for v, m in parts])
        effects = _stacked(by, [(v, still_face_effects(m, phases)) for v, m in parts])
    rel, icc = _reliability(study, scheme, unit, tolerance, **kw)
    problems = session_problems(study, status, sources, metrics, phases)
    sequential = pooled_lag_table(events, scheme)
    tables = ReportTables(metrics, summaries, effects, rel, icc, problems, sequential)
    text = _html(study, scheme, tables, sources, phases, status, coder, by)
    atomic_write_text(Path(path), text)
    return tables


def _groups(table: pd.DataFrame, by: str) -> list[tuple[str, pd.DataFrame]]:
    """The rows of each value of ``by``, values in natural order (``2`` before ``10``)."""
    text = table[by].astype(str)
    number = pd.to_numeric(text, errors="coerce")
    order = pd.DataFrame({"v": text, "n": number}).drop_duplicates("v")
    values = order.sort_values(["n", "v"], na_position="last", kind="stable")["v"]
    return [(v, table[text == v]) for v in values]


def _stacked(by: str, parts: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Each group's table with the group's value as a first column ``by``, one after another."""
    return pd.concat([t.assign(**{by: v})[[by, *t.columns]] for v, t in parts], ignore_index=True)


ANALYSED = "analysed"  # the coder of the report's pooled lag table: whoever each session's is


def pooled_lag_table(events: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Lag-1 statistics of the scheme's point tiers, one table summed over every analysed session
    (whichever coder each session's events come from), as GSEQ pools (Bakeman & Quera, 2011).

    No rows when the scheme has no point tier or no session was analysed.
    """
    tiers = [t.name for t in scheme.tiers if not t.is_state]
    if not tiers or not len(events):
        return pd.DataFrame(columns=["session", "coder", "given", "target", "lag"])
    table = lag_table(events.assign(coder=ANALYSED), scheme, tiers=tiers, max_lag=1)
    return table[table["session"] == POOLED].reset_index(drop=True)


def _sequential_section(table: pd.DataFrame, n_sessions: int) -> list[str]:
    if not len(table) or not table["count"].sum():
        return []
    return [
        "<h2>What follows what</h2>",
        f"<p class='note'>Lag-1 transitions between the point codes, pooled over the "
        f"{n_sessions} analysed sessions ({int(table['count'].sum())} transitions; each "
        "session's table first, then summed, as GSEQ pools). Cells show the adjusted residual z "
        "(Allison &amp; Liker, 1982) and the count; * |z| ≥ 1.96. Bakeman &amp; Quera (2011, "
        "ch. 9). <code>synchrony-coder sequential</code> gives every lag, session and "
        "statistic.</p>",
        heatmap_html(table, title="Lag 1, pooled over the analysed sessions"),
    ]


def _part(table: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """The rows of one group of a stacked table, without the group column."""
    return table[table[by].astype(str) == value].drop(columns=by).reset_index(drop=True)


def _effects_section(metrics, summaries, effects, phases, scheme: Scheme) -> list[str]:
    """The effects tables and figures of one group of sessions."""
    anova, pairs = _effects_tables(summaries, effects, phases)
    parts = [
        "<h3>Phase means and the repeated-measures ANOVA</h3>",
        anova,
        "<h3>Paired contrasts</h3>",
        pairs,
    ]
    fig = _engagement_figure(metrics, phases, scheme)
    if fig is not None:
        parts += ["<h3>Engagement per phase (means over sessions)</h3>", figure_img(fig)]
    return parts + [
        "<h3>Every metric per phase</h3>",
        "<p class='note'>Grey: each session; black: mean with its 95% CI; stars: Holm-"
        "corrected paired contrasts of neighbouring phases.</p>",
        figure_img(_metric_grid(metrics, summaries, effects, phases, scheme)),
    ]


def _html(study, scheme, t: ReportTables, sources, phases, status, coder, by=None) -> str:
    n_sessions = len(study.sessions)
    used = sources["source_coder"].value_counts()
    who = ", ".join(f"{c}: {n}" for c, n in used.items())
    sample = study.reliability_sample()
    doubles = double_coded(study)
    unfinished = int((~sources["done"].astype(bool)).sum())
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(study.name)}: study report</title><style>{CSS}{GRID_CSS}</style></head><body>",
        f"<h1>{html.escape(study.name)}</h1>",
        f"<p class='note'>{datetime.now().astimezone():%Y-%m-%d %H:%M} · {n_sessions} sessions, "
        f"{len(sources)} analysed ({html.escape(who or 'none')}; "
        f"{'the consensus where there is one, else the primary coder' if coder == CONSENSUS else 'coder ' + html.escape(coder)}) "
        f"· scheme {html.escape(scheme.name)} · coders {html.escape(', '.join(study.coders))} · "
        f"{len(doubles)} double-coded ({len(sample)} drawn, fraction {study.fraction:g}, "
        f"seed {study.seed})"
        + (f" · <b>{unfinished} analysed files not marked done</b>" if unfinished else "")
        + "</p>",
    ]
    groups = (
        [("", t.metrics, t.summaries, t.effects)]
        if by is None
        else [
            (f"{by} {v}", m.drop(columns=by), _part(t.summaries, by, v), _part(t.effects, by, v))
            for v, m in _groups(t.metrics, by)
        ]
    )
    if len(phases) >= 2:
        split = by is not None or not study.attributes
        parts += [
            "<h2>Still-Face effects" + (f", each {html.escape(by)} apart" if by else "") + "</h2>",
            "<p class='note'>Sessions are the subjects"
            + (
                ""
                if split
                else " (a dyad seen at several visits counts once per session; "
                "<code>--by ATTRIBUTE</code> reports each value apart)"
            )
            + ". One-way repeated-measures ANOVA over the "
            "phases (sessions with every phase; Greenhouse–Geisser corrected p, generalised "
            "η²); paired contrasts of consecutive phases (Δ = later − earlier, with its 95% CI; "
            "Cohen's d<sub>av</sub> with its 95% CI, Lakens 2013, which with few sessions can "
            "include 0 beside a significant t: the t divides by the SD of the differences, "
            "d<sub>av</sub> by the phases' SDs; Holm-corrected p over the two contrasts; * p &lt; .05, ** p &lt; .01, *** p &lt; .001). Computed with "
            "pingouin (Vallat, 2018). Tronick et al. (1978); Mesman, van IJzendoorn &amp; "
            "Bakermans-Kranenburg (2009).</p>",
        ]
        for label, metrics, summaries, effects in groups:
            if label:
                n = metrics["session"].nunique()
                parts.append(f"<h2 class='group'>{html.escape(label)} · {n} sessions</h2>")
            parts += _effects_section(metrics, summaries, effects, phases, scheme)
    else:
        parts.append("<p>Fewer than two phases are coded: no phase effects to test.</p>")
    parts.append("<h2>Per-phase group summaries</h2>")
    for label, _, summaries, _ in groups:
        if label:
            parts.append(f"<h3>{html.escape(label)}</h3>")
        parts.append(_summary_table(summaries, phases))
    parts += _sequential_section(t.sequential, len(sources))
    parts.append("<h2>Reliability over the double-coded sessions</h2>")
    if len(t.reliability):
        both = t.reliability[t.reliability["n_coders"] > 1]
        per_tier = both.groupby(["tier", "kind"], sort=False)[STAT_COLS].mean().reset_index()
        per_tier.insert(2, "sessions", both.groupby(["tier", "kind"], sort=False).size().values)
        parts += [
            f"<p class='note'>{len(doubles)} sessions coded by two coders or more. Time-unit "
            "statistics for state tiers, event statistics on onsets (SCIENCE.md §4; Bakeman "
            "&amp; Quera, 2011; Bakeman, Quera &amp; Gnisci, 2009); means over sessions. ICC(2,1) "
            "absolute agreement and ICC(3,1) consistency of each metric, a session's first "
            "and second coder as the two ratings (Shrout &amp; Fleiss, 1979).</p>",
            html_table(per_tier, ("kappa", "krippendorff_alpha", "event_kappa")),
            "<h3>Session metrics across coders</h3>",
            _icc_table(t.icc),
        ]
    else:
        parts.append("<p>No session has been coded by two coders yet.</p>")
    parts.append("<h2>Missing or incomplete sessions</h2>")
    parts.append(
        html_table(t.problems) if len(t.problems) else "<p>Every session is coded and done.</p>"
    )
    counts = status.groupby("status").size()
    parts.append(
        "<p class='note'>Coding status (session × coder): "
        + html.escape(", ".join(f"{k}: {v}" for k, v in counts.items()))
        + "</p></body></html>\n"
    )
    return "\n".join(parts)
