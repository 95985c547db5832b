"""The pieces of the self-contained HTML reports: styles, tables and inline figures.

A report is one file (styles inline, figures as base64 PNG) so it can be mailed or archived with a
paper's data.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{padding:3px 9px;border-bottom:1px solid #eee;text-align:right}
th{background:#f4f4f4} td.l,th.l{text-align:left}
.bad{background:#fde2e1} .ok{background:#fff6d6} .good{background:#e3f5e1}
.note{color:#555;font-size:.92em} img{max-width:100%}
"""


def figure_img(fig) -> str:
    """The figure as an inline PNG ``<img>`` (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def grade(value: float) -> str:
    """The CSS class of a kappa-like value: good ≥ .80, ok ≥ .60, else bad."""
    if not np.isfinite(value):
        return ""
    return "good" if value >= 0.8 else "ok" if value >= 0.6 else "bad"


def html_table(df: pd.DataFrame, graded: tuple[str, ...] = ()) -> str:
    """The table as HTML: numbers to 3 decimals ("–" for NaN); ``graded`` columns coloured
    by the kappa bands of :func:`grade`."""
    head = "".join(
        f'<th class="{"l" if df[c].dtype == object else ""}">{html.escape(str(c))}</th>'
        for c in df.columns
    )
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, row, strict=True):
            if isinstance(v, float | np.floating):
                text = "–" if np.isnan(v) else f"{v:.3f}"
                cls = grade(float(v)) if col in graded else ""
            else:
                text, cls = html.escape(str(v)), "l"
            cells.append(f'<td class="{cls}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"
