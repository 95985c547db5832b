"""The movement synchrony figure of one session: motion traces over the window × lag heat map.

Like rMEA's ``MEAheatmap`` (Kleinbub & Ramseyer, 2020), with the windows on the session's time axis
so that the heat map lines up with the motion of both partners and the Still-Face phases above it,
and the mean lag profile beside it. Matplotlib, Agg backend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..metrics.plots import STYLE, save
from .ccf import CcfSettings
from .preprocess import moving_average
from .sync import SessionCcf, summary_values

__all__ = ["movement_figure", "save"]

PARTNER_COLOURS = {"infant": "#d9822b", "caregiver": "#2f6ea8"}
_PHASE_SHADES = ("#f1f1f1", "#e2e2e2")


def _label(settings: CcfSettings) -> str:
    name = "Fisher's z" if settings.fisher_z else "Pearson r"
    return f"|{name}|" if settings.absolute else name


def movement_figure(
    motion: pd.DataFrame,
    ccf: SessionCcf,
    settings: CcfSettings,
    phases: pd.DataFrame | None = None,
    phase_colours: dict[str, str] | None = None,
    preprocessing: str = "",
) -> Figure:
    """Motion of both partners (top), window × lag heat map (bottom), lag profile (right).

    Parameters
    ----------
    motion : the session's rows of the motion table (``time_s``, ``infant``, ``caregiver``).
    ccf : its cross-correlation (:func:`~.sync.session_ccf`).
    settings : the settings it was computed with (for the labels).
    phases : ``session, phase, onset_s, offset_s`` rows of this session, shaded and named.
    phase_colours : phase name → colour (e.g. the scheme's); grey shades otherwise.
    preprocessing : what was done to the series first (named in the title).
    """
    values = ccf.values
    t = motion["time_s"].to_numpy(np.float64)
    step = settings.increment_s
    centres = (ccf.start_s + ccf.end_s) / 2
    x_edges = np.concatenate([centres - step / 2, centres[-1:] + step / 2])
    lag_step = ccf.lags_s[1] - ccf.lags_s[0] if len(ccf.lags_s) > 1 else 1.0
    y_edges = np.concatenate([ccf.lags_s - lag_step / 2, ccf.lags_s[-1:] + lag_step / 2])
    facts = summary_values(values, ccf.lags_s)
    with_style = STYLE | {"axes.spines.left": True}
    import matplotlib.pyplot as plt

    with plt.rc_context(with_style):
        fig = Figure(figsize=(11, 6.2), layout="constrained")
        grid = fig.add_gridspec(2, 3, height_ratios=[1, 1.35], width_ratios=[1, 0.16, 0.035])
        trace = fig.add_subplot(grid[0, 0])
        heat = fig.add_subplot(grid[1, 0], sharex=trace)
        profile = fig.add_subplot(grid[1, 1], sharey=heat)
        bar_ax = fig.add_subplot(grid[1, 2])
        fig.add_subplot(grid[0, 1:]).axis("off")

        fps = (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 else 1.0
        top = 0.0
        for partner, colour in PARTNER_COLOURS.items():
            series = motion[partner].to_numpy(np.float64)
            smooth = moving_average(series, max(1, round(fps)))
            trace.plot(t, series, color=colour, lw=0.5, alpha=0.25)
            trace.plot(t, smooth, color=colour, lw=1.3)
            top = max(top, float(np.nanmax(smooth, initial=0.0)))
        trace.set_ylabel("motion energy\n(share of ROI pixels)")
        trace.set_ylim(0, 1.6 * top if top > 0 else None)  # the 1 s means fill it; spikes clip
        trace.tick_params(labelbottom=False)
        _shade_phases(trace, phases, phase_colours, label=True)

        finite = np.abs(values[np.isfinite(values)])
        high = float(np.percentile(finite, 99)) if finite.size else 1.0
        high = high if high > 0 else 1.0
        low = 0.0 if settings.absolute else -high
        cmap = plt.get_cmap("magma_r" if settings.absolute else "RdBu_r").copy()
        cmap.set_bad("#cfcfcf")
        mesh = heat.pcolormesh(
            x_edges, y_edges, np.ma.masked_invalid(values.T), cmap=cmap, vmin=low, vmax=high
        )
        heat.axhline(0, color="white", lw=0.8, ls=":")
        heat.set_ylabel("lag (s)")
        for y, text, va in (
            (1, "+ lag: caregiver follows", "top"),
            (0, "− lag: infant follows", "bottom"),
        ):
            heat.text(
                0.005,
                y,
                text,
                transform=heat.transAxes,
                ha="left",
                va=va,
                fontsize=7.5,
                color="black",
                bbox={"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 1.5},
            )
        heat.set_xlabel("session time (s): each column is one window, at its centre")
        heat.set_xlim(min(t[0], x_edges[0]), max(t[-1], x_edges[-1]))
        _shade_phases(heat, phases, phase_colours, label=False, lines_only=True)
        fig.colorbar(mesh, cax=bar_ax, label=_label(settings), extend="max")

        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean_by_lag = np.nanmean(values, axis=0)
        profile.plot(mean_by_lag, ccf.lags_s, color="black", lw=1.2)
        profile.axhline(0, color="#888888", lw=0.6, ls=":")
        profile.set_xlabel(f"mean {_label(settings)}")
        profile.set_title("lag profile", fontsize=9)
        profile.tick_params(labelleft=False)
        profile.xaxis.set_major_locator(MaxNLocator(nbins=3))
        profile.grid(axis="x", color="#e5e5e5", lw=0.5)

        fig.suptitle(
            f"session {ccf.session} · movement synchrony, {settings.describe()} · "
            f"{len(values)} windows · grand average {facts['grand_average']:.3f}, "
            f"best lag {facts['best_lag_s']:+.2f} s (median)"
            + (f"\nseries: {preprocessing}" if preprocessing else ""),
            x=0.01,
            ha="left",
            fontsize=10,
        )
        trace.legend(
            handles=[
                Line2D([], [], color=c, lw=1.5, label=f"{p} (1 s mean; faint: per frame)")
                for p, c in PARTNER_COLOURS.items()
            ],
            loc="upper right",
            frameon=False,
            ncol=2,
            fontsize=8,
        )
    return fig


def _shade_phases(ax, phases, colours, label: bool, lines_only: bool = False) -> None:
    if phases is None or phases.empty:
        return
    for k, row in enumerate(phases.itertuples(index=False)):
        if lines_only:
            ax.axvline(row.onset_s, color="white", lw=1.2)
            continue
        colour = (colours or {}).get(row.phase, _PHASE_SHADES[k % 2])
        ax.axvspan(row.onset_s, row.offset_s, color=colour, alpha=0.22, lw=0)
        if label:
            ax.text(
                (row.onset_s + row.offset_s) / 2,
                1.0,
                str(row.phase).replace("_", "-"),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8.5,
            )
