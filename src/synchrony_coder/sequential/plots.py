"""Heat maps of lag tables: adjusted residuals, given × target, significant cells marked.

Matplotlib with the Agg backend; import this module only where a figure is wanted.
:func:`heatmap_html` embeds the figure in an HTML report (as the reliability report does).
"""

from __future__ import annotations

import html

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .coded import POOLED  # noqa: E402

__all__ = ["Z_CRITICAL", "heatmap_html", "lag_heatmap", "select_table"]

Z_CRITICAL = 1.96  # |z| at or above: p < .05, two-sided
_STYLE = {"font.size": 8.5, "axes.titlesize": 10}


def select_table(
    table: pd.DataFrame, *, lag: int = 1, session: str | None = None, coder: str | None = None
) -> pd.DataFrame:
    """The rows of one table of :func:`~.lag.lag_table`'s output.

    ``session`` defaults to the pooled rows (``all``) when there are several sessions, ``coder``
    to the only coder; ValueError names what to choose from otherwise.
    """
    rows = table[table["lag"] == lag]
    if not len(rows):
        raise ValueError(f"no lag-{lag} rows in the table")
    for col, want in (("coder", coder), ("session", session)):
        have = list(dict.fromkeys(rows[col].astype(str)))
        if want is None:
            if col == "session" and len(have) > 1 and POOLED in have:
                want = POOLED
            elif len(have) == 1:
                want = have[0]
            else:
                raise ValueError(f"choose a {col}: the table has {', '.join(have[:8])}")
        if want not in have:
            raise ValueError(f"no {col} {want!r} in the table (it has {', '.join(have[:8])})")
        rows = rows[rows[col].astype(str) == want]
    return rows


def lag_heatmap(
    table: pd.DataFrame,
    *,
    lag: int = 1,
    session: str | None = None,
    coder: str | None = None,
    title: str | None = None,
) -> Figure:
    """Adjusted residuals of one lag table as a heat map, as papers print them.

    Rows are given codes, columns target codes (in the table's order, grouped by tier); each cell
    shows z, bold with an asterisk where |z| ≥ 1.96 (p < .05, two-sided), and the count beneath;
    undefined cells (no events, structural zeros) are hatched.

    Parameters
    ----------
    table
        The output of :func:`~.lag.lag_table`.
    lag, session, coder
        Which table (see :func:`select_table`).
    title
        Default: what was analysed.
    """
    rows = select_table(table, lag=lag, session=session, coder=coder)
    givens = list(dict.fromkeys(rows["given"]))
    targets = list(dict.fromkeys(rows["target"]))
    z = rows.pivot(index="given", columns="target", values="adjusted_residual")
    z = z.reindex(index=givens, columns=targets).to_numpy(dtype=float)
    n = rows.pivot(index="given", columns="target", values="count")
    n = n.reindex(index=givens, columns=targets).to_numpy()
    limit = max(3.0, float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 3.0)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(2.2 + 0.62 * len(targets), 1.5 + 0.48 * len(givens)))
        ax.set_facecolor("#f2f2f2")
        im = ax.imshow(np.ma.masked_invalid(z), cmap="RdBu_r", vmin=-limit, vmax=limit)
        for i in range(len(givens)):
            for j in range(len(targets)):
                if not np.isfinite(z[i, j]):
                    ax.add_patch(
                        plt.Rectangle(
                            (j - 0.5, i - 0.5),
                            1,
                            1,
                            fill=False,
                            hatch="///",
                            edgecolor="#c8c8c8",
                            lw=0,
                        )
                    )
                    ax.text(j, i, "–", ha="center", va="center", color="#888888")
                    continue
                strong = abs(z[i, j]) >= Z_CRITICAL
                colour = "white" if abs(z[i, j]) > 0.62 * limit else "#1a1a1a"
                ax.text(
                    j,
                    i - 0.08,
                    f"{z[i, j]:.1f}{'*' if strong else ''}",
                    ha="center",
                    va="center",
                    color=colour,
                    fontweight="bold" if strong else "normal",
                )
                ax.text(
                    j,
                    i + 0.27,
                    f"n={n[i, j]:.0f}",
                    ha="center",
                    va="center",
                    color=colour,
                    fontsize=6,
                )
                if strong:
                    ax.add_patch(
                        plt.Rectangle(
                            (j - 0.47, i - 0.47),
                            0.94,
                            0.94,
                            fill=False,
                            edgecolor="#1a1a1a",
                            lw=1.1,
                        )
                    )
        _tier_axis(ax, targets, "x")
        _tier_axis(ax, givens, "y")
        ax.set_xlabel(f"target (lag {lag})")
        ax.set_ylabel("given", labelpad=16)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        cbar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        cbar.set_label("adjusted residual z")
        cbar.outline.set_visible(False)
        who = rows.iloc[0]
        where = (
            f"pooled over sessions · coder {who['coder']}"
            if who["session"] == POOLED
            else f"session {who['session']} · coder {who['coder']}"
        )
        ax.set_title(title or f"What follows what, lag {lag} ({where})", loc="left", pad=24)
        fig.text(
            0.01,
            0.005,
            f"* |z| ≥ {Z_CRITICAL} (p < .05, two-sided, boxed); – undefined. "
            "Adjusted residuals: Allison & Liker (1982); Bakeman & Quera (2011).",
            fontsize=6.5,
            color="#555555",
        )
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def _tier_axis(ax, names: list[str], axis: str) -> None:
    """Code names as tick labels; a line between tiers and the tier's name beside its codes."""
    tiers = [s.split(":", 1)[0] for s in names]
    codes = [s.split(":", 1)[1] for s in names]
    if axis == "x":
        ax.set_xticks(range(len(names)), codes, rotation=40, ha="right")
    else:
        ax.set_yticks(range(len(names)), codes)
    runs = [0] + [i for i in range(1, len(tiers)) if tiers[i] != tiers[i - 1]] + [len(tiers)]
    for a, b in zip(runs[:-1], runs[1:], strict=True):
        if a:
            (ax.axvline if axis == "x" else ax.axhline)(a - 0.5, color="white", lw=2.5)
        label = tiers[a].replace("_", " ")
        mid = (a + b - 1) / 2
        if axis == "x":
            ax.text(mid, -0.75, label, ha="center", va="bottom", fontsize=7.5, color="#444444")
        else:  # left of the code names, whose width is known only once drawn
            width = max(len(c) for c in codes) * 5.6 + 8  # points at 8.5 pt
            ax.annotate(
                label,
                xy=(0, mid),
                xycoords=("axes fraction", "data"),
                xytext=(-width, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                rotation=90,
                fontsize=7.5,
                color="#444444",
            )


def heatmap_html(table: pd.DataFrame, *, caption: str | None = None, **kwargs) -> str:
    """One ``<figure>`` with the heat map (base64 PNG) for a self-contained HTML report.

    Takes the arguments of :func:`lag_heatmap`; ``caption`` is escaped.
    """
    from ..report_html import figure_img

    img = figure_img(lag_heatmap(table, **kwargs))
    text = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="sequential">{img}{text}</figure>'
