"""A self-contained HTML reliability report: statistics, confusion heat maps, disagreement timelines.

Everything (styles, figures as base64 PNG) is inside the one file, so it can be mailed or
archived with a paper's data. Tiers and codes with the worst agreement come first.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from ..events import atomic_write_text
from ..report_html import CSS, figure_img, html_table
from ..scheme import Scheme, load_scheme
from .table import (
    coverage,
    disagreement_spans,
    pairwise_table,
    pooled_confusion,
    reliability_table,
)

MAX_TIMELINES = 40
# disagreement marks are black: scheme colours include reds (negative, fuss), so red would
# read as a code
DISAGREEMENT_COLOUR = "#000000"
THRESHOLDS = (
    "Kappa of at least .60 is commonly called acceptable and at least .80 good, but what a value "
    "means depends on the number of codes and their prevalence, so kappa_max (the largest kappa "
    "the coders' marginal frequencies allow) is shown beside it (Bakeman &amp; Quera, 2011). "
    "Bakeman, Quera &amp; Gnisci (2009) recommend reporting a time-based and an event-based "
    "kappa side by side. ICC: Shrout &amp; Fleiss (1979); Bland &amp; Altman (1986)."
)


def _heatmap(table: pd.DataFrame, title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = table.to_numpy()
    n = len(table)
    fig, ax = plt.subplots(figsize=(1.1 + 0.62 * n, 0.9 + 0.5 * n))
    share = values / max(values.sum(), 1)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=max(share.max(), 1e-9))
    for i in range(n):
        for j in range(n):
            colour = "white" if share[i, j] > 0.6 * share.max() else "black"
            ax.text(j, i, f"{values[i, j]:.0f}", ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(n), table.columns, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), table.index, fontsize=8)
    ax.set_xlabel(table.columns.name or "B")
    ax.set_ylabel(table.index.name or "A")
    ax.set_title(title, fontsize=9)
    return fig


def _timeline(events: pd.DataFrame, scheme: Scheme, session: str, spans: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    coders = list(dict.fromkeys(events["coder"].astype(str)))
    tiers = [t for t in scheme.tier_names if (events["tier"] == t).any()]
    tiers += sorted(set(events["tier"]) - set(tiers))
    end = float(np.nanmax([events["onset_s"].max(), events["offset_s"].max()]))
    rows = [(t, c) for t in tiers for c in coders]
    fig, ax = plt.subplots(figsize=(11, 0.34 * len(rows) + 0.9))
    legend: dict[str, dict[str, str]] = {}  # tier -> code -> colour, codes as drawn
    for y, (tier, coder) in enumerate(rows):
        part = events[(events["tier"] == tier) & (events["coder"].astype(str) == coder)]
        for code, on, off in zip(part["code"], part["onset_s"], part["offset_s"], strict=True):
            colour = "#888888"
            if scheme.has_tier(tier) and code in scheme.tier(tier).code_names:
                colour = scheme.tier(tier).code(code).color
            legend.setdefault(tier, {})[str(code)] = colour
            if np.isnan(off):
                ax.plot([on, on], [y - 0.38, y + 0.38], color=colour, lw=1.6)
            else:
                ax.broken_barh([(on, off - on)], (y - 0.38, 0.76), color=colour)
        mine = spans[spans["tier"] == tier]
        if coder == coders[-1] and len(mine):
            for on, off in zip(mine["onset_s"], mine["offset_s"], strict=True):
                width = max((off - on) if np.isfinite(off) else 0.0, end / 400)
                ax.broken_barh([(on - (0 if np.isfinite(off) else width / 2), width)],
                               (y + 0.42, 0.22), color=DISAGREEMENT_COLOUR)  # fmt: skip
    ax.set_yticks(range(len(rows)), [f"{t.replace('_', ' ')} · {c}" for t, c in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, end)
    ax.set_xlabel("time (s)")
    ax.set_title(
        f"session {session}: {' vs '.join(coders)} stacked per tier; "
        "black bar under a tier = disagreement",
        fontsize=9,
    )
    _code_legend(ax, scheme, tiers, legend)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _code_legend(ax, scheme: Scheme, tiers: list[str], legend: dict[str, dict[str, str]]) -> None:
    """A legend under the axes: one line per tier, its codes (scheme order) with their colours.

    Tiers share colours (``negative`` is red on both engagement tiers), so each line is headed by
    its tier; the last line shows the disagreement mark.
    """
    from matplotlib.patches import Patch

    lines = []
    for tier in tiers:
        codes = legend.get(tier, {})
        if not codes:
            continue
        known = list(scheme.tier(tier).code_names) if scheme.has_tier(tier) else []
        order = sorted(codes, key=lambda c: (known.index(c) if c in known else len(known), c))
        head = Patch(visible=False, label=f"{tier.replace('_', ' ')}:")
        lines.append([head] + [Patch(color=codes[c], label=c) for c in order])
    lines.append([Patch(color=DISAGREEMENT_COLOUR, label="disagreement")])
    width = max(len(line) for line in lines)
    blank = Patch(visible=False, label=" ")
    # matplotlib fills a legend column by column: transpose so each tier reads as one line
    handles = [(line + [blank] * (width - len(line)))[k] for k in range(width) for line in lines]
    ax.legend(
        handles=handles, ncol=width, loc="upper left", bbox_to_anchor=(0, -0.16), fontsize=7,
        frameon=False, handlelength=1.2, columnspacing=1.0,
    )  # fmt: skip


def _specific_agreement(tables: dict) -> pd.DataFrame:
    """Per code, ``2 n_kk / (n_k. + n_.k)``: how often the coders agree when either uses it."""
    rows = []
    for (tier, a, b), t in tables.items():
        v = t.to_numpy().astype(float)
        for k, code in enumerate(t.index):
            total = v[k].sum() + v[:, k].sum()
            if total > 0:
                rows.append(
                    {"tier": tier, "code": code, "pair": f"{a}–{b}",
                     "units_a": int(v[k].sum()), "units_b": int(v[:, k].sum()),
                     "specific_agreement": 2 * v[k, k] / total}
                )  # fmt: skip
    df = pd.DataFrame(rows, columns=["tier", "code", "pair", "units_a", "units_b",
                                     "specific_agreement"])  # fmt: skip
    return df.sort_values("specific_agreement", kind="stable").reset_index(drop=True)


def write_report(
    events: pd.DataFrame,
    path: str | Path,
    scheme: Scheme | None = None,
    *,
    unit: float = 0.1,
    tolerance: float = 1.0,
    metrics: pd.DataFrame | None = None,
    sources: list[str] | None = None,
) -> Path:
    """Write the HTML reliability report of ``events`` (two or more coders) to ``path``."""
    scheme = scheme or load_scheme()
    table = reliability_table(events, scheme, unit=unit, tolerance=tolerance)
    pairs = pairwise_table(events, scheme, unit=unit, tolerance=tolerance)
    cov = coverage(events)
    stat_cols = ["percent_agreement", "kappa", "kappa_max", "krippendorff_alpha",
                 "event_agreement", "event_kappa"]  # fmt: skip
    graded = ("kappa", "krippendorff_alpha", "event_kappa")
    both = table[table["n_coders"] > 1]
    grouped = both.groupby(["tier", "kind"], sort=False)
    per_tier = grouped[stat_cols].mean().reset_index()
    per_tier.insert(2, "sessions", grouped.size().to_numpy())
    per_tier.insert(3, "kappa_defined", grouped["kappa"].count().to_numpy())
    per_tier["worst"] = per_tier[["kappa", "event_kappa"]].min(axis=1)
    per_tier = per_tier.sort_values("worst", kind="stable").drop(columns="worst")
    coders = sorted(events["coder"].astype(str).unique())
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>Reliability report</title>"
        f"<style>{CSS}</style></head><body><h1>Inter-rater reliability</h1>",
        f"<p class='note'>Coders: {html.escape(', '.join(coders))} · sessions: "
        f"{cov['session'].nunique()} · scheme: {html.escape(scheme.name)} · time unit "
        f"{unit:g} s (label at the unit midpoint) · onset tolerance {tolerance:g} s"
        + (f" · files: {html.escape(', '.join(sources))}" if sources else "")
        + "</p>",
        f"<p class='note'>{THRESHOLDS}</p>",
        "<h2>Tiers, worst agreement first</h2>",
        "<p class='note'>Means over sessions (and over coder pairs). Time-unit statistics for "
        "state tiers; event statistics align onsets (point tiers, and state onsets as a second "
        "view). kappa_defined: the sessions whose kappa is defined and in the mean (not when "
        "both coders gave every unit one code).</p>",
        html_table(per_tier, graded),
    ]
    tables = pooled_confusion(events, scheme, unit=unit)
    if tables:
        parts += ["<h2>Codes, worst agreement first</h2>",
                  "<p class='note'>Specific agreement 2·n<sub>kk</sub>/(n<sub>k·</sub>+"
                  "n<sub>·k</sub>) over all sessions' time units.</p>",
                  html_table(_specific_agreement(tables))]  # fmt: skip
        parts.append("<h2>Confusion matrices (time units, all sessions)</h2>")
        order = {t: i for i, t in enumerate(per_tier["tier"])}
        for key in sorted(tables, key=lambda k: order.get(k[0], 1e9)):
            tier, a, b = key
            t = tables[key].rename_axis(index=f"{a}", columns=f"{b}")
            keep = (t.sum(axis=0) + t.sum(axis=1)) > 0
            t = t.loc[keep, keep]
            parts.append(figure_img(_heatmap(t, f"{tier}: {a} (rows) × {b} (columns)")))
    incomplete = cov[cov["missing"] != ""]
    if len(incomplete):
        parts += ["<h2>Sessions not coded by every coder</h2>", html_table(incomplete)]
    if metrics is not None and len(metrics):
        from .icc import metric_agreement

        agree = metric_agreement(metrics)
        parts += ["<h2>Session metrics across coders</h2>",
                  "<p class='note'>ICC(2,1) absolute agreement and ICC(3,1) consistency over "
                  "sessions; Bland–Altman bias and 95% limits for the first two coders.</p>",
                  html_table(agree, ("icc2_1", "icc3_1"))]  # fmt: skip
    parts += ["<h2>Per session</h2>", html_table(table, graded)]
    if len(pairs) and len(coders) > 2:
        parts += ["<h2>Coder pairs</h2>", html_table(pairs, ("kappa", "event_kappa"))]
    parts.append("<h2>Timelines</h2>")
    if len(coders) > 2:
        parts.append(
            "<p class='note'>Each timeline draws the session's first two coders (in file "
            "order); the coder pairs table above has every pair.</p>"
        )
    shown = 0
    for session, part in events.groupby(events["session"].astype(str), sort=True):
        who = list(dict.fromkeys(part["coder"].astype(str)))
        if len(who) < 2:
            continue
        if shown == MAX_TIMELINES:
            parts.append(f"<p class='note'>Only the first {MAX_TIMELINES} sessions are drawn.</p>")
            break
        pair = part[part["coder"].astype(str).isin(who[:2])]
        spans = disagreement_spans(pair, scheme, unit=unit, tolerance=tolerance)
        parts.append(figure_img(_timeline(pair, scheme, session, spans)))
        shown += 1
    parts.append("</body></html>\n")
    out = Path(path)
    atomic_write_text(out, "\n".join(parts))
    return out
