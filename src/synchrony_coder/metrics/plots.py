"""Figures of one coded session: a timeline of the interaction and per-phase summary bars.

Matplotlib with the Agg backend (no display needed); import this module only where a figure is
wanted. Colours come from the scheme, so a figure matches the coding app.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import AutoMinorLocator, MaxNLocator  # noqa: E402

from ..scheme import Scheme  # noqa: E402
from ..storage import atomic_write_bytes  # noqa: E402
from .synchrony import matched_spans  # noqa: E402
from .table import session_metrics  # noqa: E402

__all__ = ["engagement_bars", "phase_summary", "save", "timeline"]

_MATCHED = "#3b3b3b"
STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.spines.left": False,
}


def _title(events: pd.DataFrame) -> str:
    return f"session {events['session'].iloc[0]} · coder {events['coder'].iloc[0]}"


def _add_patch(legend: dict[str, Patch], name: str, colour: str) -> None:
    """One legend entry per colour: codes sharing a colour share an entry ("withdrawn / disengaged")."""
    if colour not in legend:
        legend[colour] = Patch(color=colour, label=name)
    elif name not in legend[colour].get_label().split(" / "):
        legend[colour].set_label(f"{legend[colour].get_label()} / {name}")


def _bands(ax, ev: pd.DataFrame, tier, y: float, h: float, **kw) -> None:
    colours = {c.name: c.color for c in tier.codes}
    for code, grp in ev.groupby("code", sort=False):
        ax.broken_barh(
            list(zip(grp["onset_s"], grp["offset_s"] - grp["onset_s"], strict=True)),
            (y, h),
            facecolors=colours.get(code, "#808080"),
            edgecolor="none",
            **kw,
        )


def timeline(events: pd.DataFrame, scheme: Scheme) -> Figure:
    """Both partners' engagement as coloured bands, matched time, bids, responses and phases.

    Parameters
    ----------
    events
        The events of one session × coder.
    scheme
        Tier roles, codes and colours.

    Returns
    -------
    matplotlib.figure.Figure
    """
    r = scheme.roles
    states = events[events["offset_s"].notna()]
    end = float(states["offset_s"].max()) if len(states) else float(events["onset_s"].max())
    lanes = []  # (label, kind, tier name)
    if r.phase:
        lanes.append(("phase", "phase", r.phase))
    if r.infant_engagement:
        lanes.append(("infant", "state", r.infant_engagement))
    if r.caregiver_engagement:
        lanes.append(("caregiver", "state", r.caregiver_engagement))
    if r.infant_engagement and r.caregiver_engagement:
        lanes.append(("matched", "matched", None))
    if r.bid:
        lanes.append(("bids", "point", r.bid))
    if r.response:
        lanes.append(("responses", "point", r.response))
    n = len(lanes)
    with plt.rc_context(STYLE):
        n_keys = int(bool(r.infant_engagement or r.caregiver_engagement)) + int(
            bool(r.bid or r.response)
        )
        key_h = 0.15 + 0.5 * n_keys
        fig = Figure(figsize=(11, 1.2 + 0.42 * n + key_h), layout="constrained")
        ax, key = fig.subplots(2, 1, height_ratios=[0.42 * n + 0.6, key_h])
        key.axis("off")
        legend: dict[str, Patch] = {}
        points: dict[tuple[str, str], Line2D] = {}
        for i, (label, kind, tier_name) in enumerate(lanes):
            y = n - 1 - i
            ev = events[events["tier"] == tier_name] if tier_name else events.iloc[:0]
            if kind == "phase":
                tier = scheme.tier(tier_name)
                _bands(ax, ev, tier, y + 0.1, 0.8)
                for _, e in ev.iterrows():  # light phase backdrop across every lane
                    ax.axvspan(e.onset_s, e.offset_s, color=tier.code(e.code).color, alpha=0.12)
                    ax.text(
                        (e.onset_s + e.offset_s) / 2,
                        y + 0.5,
                        str(e.code).replace("_", "-"),
                        ha="center",
                        va="center",
                        fontsize=8.5,
                        clip_on=True,
                    )
                    ax.axvline(e.onset_s, color="#555555", lw=0.6, ls=":")
            elif kind == "state":
                tier = scheme.tier(tier_name)
                _bands(ax, ev, tier, y + 0.1, 0.8)
                for c in tier.codes:
                    _add_patch(legend, c.name, c.color)
            elif kind == "matched":
                spans = matched_spans(events, scheme)
                ax.broken_barh(
                    list(zip(spans["onset_s"], spans["offset_s"] - spans["onset_s"], strict=True)),
                    (y + 0.25, 0.5),
                    facecolors=_MATCHED,
                )
                _add_patch(legend, "matched pair", _MATCHED)
            else:
                tier = scheme.tier(tier_name)
                colours = [
                    tier.code(c).color if c in tier.code_names else "#808080" for c in ev["code"]
                ]
                ax.vlines(ev["onset_s"], y + 0.12, y + 0.88, colors=colours, lw=1.4)
                for c in tier.codes:
                    if (ev["code"] == c.name).any():
                        points.setdefault(
                            (label, c.name),
                            Line2D([], [], color=c.color, lw=1.6, label=f"{c.name}"),
                        )
        ax.set_yticks(np.arange(n) + 0.5, [lane[0] for lane in reversed(lanes)])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(0, n)
        ax.set_xlim(0, max(end, 1e-3))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=14, steps=[1, 2, 5, 10]))
        ax.xaxis.set_minor_locator(AutoMinorLocator())
        ax.set_xlabel("time (s)")
        ax.grid(axis="x", color="#dddddd", lw=0.5)
        ax.set_axisbelow(True)
        summary = session_metrics(events, scheme).iloc[0]
        facts = [
            f"{name} {summary[col]:.2f}"
            for col, name in (("matched_fraction", "matched"), ("contingency", "contingency"))
            if col in summary and pd.notna(summary[col])
        ]
        ax.set_title(_title(events) + ("  —  " + ", ".join(facts) if facts else ""), loc="left")
        if legend:
            first = key.legend(
                handles=list(legend.values()),
                loc="upper center",
                ncol=min(len(legend), 8),
                frameon=False,
                title="engagement",
                title_fontsize=8.5,
            )
            key.add_artist(first)
        if points:
            lanes_with_points = dict.fromkeys(k[0] for k in points)
            key.legend(
                handles=list(points.values()),
                loc="lower center",
                ncol=min(len(points), 10),
                frameon=False,
                title=" and ".join(lanes_with_points) + " (codes)",
                title_fontsize=8.5,
                handlelength=0.8,
            )
    return fig


def _bars(
    ax, x, values: pd.Series, colours: list[str], notes=None, above: pd.Series | None = None
) -> None:
    """Bars with their value written on top ("–" for an undefined value), clear of ``above``."""
    ax.bar(x, values.fillna(0), color=colours, edgecolor="#444444", lw=0.6, width=0.7)
    top = values.fillna(0).to_numpy()
    if above is not None:
        top = np.maximum(top, above.fillna(0).to_numpy() + 0.02)
    for k, (xi, v) in enumerate(zip(x, values, strict=True)):
        text = "–" if pd.isna(v) else f"{v:.2f}"
        if notes:
            text += f"\n{notes[k]}"
        ax.text(xi, top[k] + 0.02, text, ha="center", va="bottom", fontsize=7.5)
    ax.set_xlim(-0.6, len(x) - 0.4)


def phase_summary(events: pd.DataFrame, scheme: Scheme, *, window: float = 2.0) -> Figure:
    """Per-phase bars: matched fraction, contingency against its base rate, engagement shares.

    Panels appear for what the scheme codes (a bids-and-responses scheme shows contingency only).
    The Still-Face effect (less positive, more negative infant engagement than in play) and the
    reunion effect show side by side (Tronick et al., 1978; Mesman, van IJzendoorn &
    Bakermans-Kranenburg, 2009).
    """
    r = scheme.roles
    table = session_metrics(events, scheme, window=window, by_phase=True)
    if len(table) > 1:
        table = table.iloc[1:]  # the phases; `all` only when no phase is coded
    phases = list(table["phase"])
    x = np.arange(len(phases))
    labels = [p.replace("_", "-") for p in phases]
    phase_tier = scheme.tier(r.phase) if r.phase else None
    colours = [
        phase_tier.code(p).color if phase_tier and p in phase_tier.code_names else "#9ecae1"
        for p in phases
    ]
    engaged = bool(r.infant_engagement and r.caregiver_engagement)
    contingent = bool(r.bid and r.response)
    panels = (["matched"] if engaged else []) + (["contingency"] if contingent else [])
    partners = [
        (partner, tier)
        for partner, tier in (
            ("infant", r.infant_engagement),
            ("caregiver", r.caregiver_engagement),
        )
        if tier
    ]
    if partners:
        panels.append("engagement")
    widths = {"matched": 1.0, "contingency": 1.0, "engagement": 1.7}
    with plt.rc_context(STYLE | {"axes.spines.left": True}):
        fig = Figure(figsize=(3.4 + 2.6 * len(panels), 3.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(panels), width_ratios=[widths[p] for p in panels]))
        for ax, panel in zip(axes, panels, strict=True):
            if panel == "matched":
                _bars(ax, x, table["matched_fraction"], colours)
                ax.set_title("matched fraction")
            elif panel == "contingency":
                notes = [f"({n:.0f} bids)" for n in table["n_bids"]]
                _bars(ax, x, table["contingency"], colours, notes, above=table["base_rate"])
                ax.scatter(x, table["base_rate"], marker="_", s=500, color="black", lw=2, zorder=3)
                ax.set_title(f"contingency (response ≤ {window:g} s)")
                ax.legend(
                    handles=[
                        Patch(facecolor="#dddddd", edgecolor="#444444", label="contingency"),
                        Line2D([], [], color="black", lw=2, label="base rate"),
                    ],
                    loc="upper right",
                    frameon=False,
                    fontsize=7.5,
                )
            else:
                engagement_bars(ax, table, scheme, partners, x, labels)
            if panel != "engagement":
                ax.set_xticks(x, labels)
                ax.tick_params(axis="x", pad=12 if partners else 4)  # level with the I/C labels
            ax.set_ylim(0, 1.15 if panel == "contingency" else 1)
            ax.tick_params(axis="x", length=0)
            ax.set_yticks(np.linspace(0, 1, 6))
            ax.grid(axis="y", color="#e5e5e5", lw=0.5)
            ax.set_axisbelow(True)
        fig.suptitle(_title(events), x=0.01, ha="left", fontsize=10)
    return fig


def engagement_bars(ax, table, scheme: Scheme, partners, x, labels) -> None:
    """Stacked shares of each partner's coded time, one bar per partner and phase."""
    handles: dict[str, Patch] = {}
    width = 0.38 if len(partners) > 1 else 0.6
    shifts = [-width / 2 - 0.01, width / 2 + 0.01] if len(partners) > 1 else [0.0]
    ticks, names = [], []
    for shift, (partner, tier_name) in zip(shifts, partners, strict=False):
        bottom = np.zeros(len(x))
        for c in scheme.tier(tier_name).codes:
            share = table[f"{partner}_{c.name}"].fillna(0).to_numpy()
            ax.bar(x + shift, share, width, bottom=bottom, color=c.color, edgecolor="white", lw=0.4)
            bottom += share
            _add_patch(handles, c.name, c.color)
        ticks += list(x + shift)
        names += [partner[0].upper()] * len(x)
    ax.set_xticks(ticks, names)
    for xi, name in zip(x, labels, strict=True):
        ax.annotate(
            name,
            (xi, 0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -16),
            textcoords="offset points",
            ha="center",
            va="top",
        )
    who = ", ".join(f"{p[0].upper()} = {p}" for p, _ in partners)
    ax.set_title(f"engagement shares ({who})")
    ax.legend(
        handles=list(handles.values()),
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        fontsize=7.5,
    )


def save(fig: Figure, path: str | Path) -> None:
    """Write the figure, format from the suffix (.png at 200 dpi, .svg, .pdf), atomically."""
    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".").lower(), dpi=200)
    atomic_write_bytes(path, buf.getvalue())
