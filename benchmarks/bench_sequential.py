"""Benchmark: sequential analysis of a corpus against reading it with pandas.

The corpus of ``bench_metrics.py`` (default 1,000 simulated 10-minute Still-Face sessions, one CSV
in a temporary folder; generation is not timed). In the same run, best of ``--repeat`` rounds in
which the jobs take turns:

- ``pd.read_csv`` of that CSV (the reference),
- ``sequential``: the lag tables of the default scheme's point tiers (every pair of their codes,
  lags 1–3, per session and pooled) plus 20 time-window pairs (15 bid → response, 5 response →
  infant engagement state; window (0, 2] s, units of 0.1 s), on the table ``read_events`` gives,
- the same on that table with categorical text columns.

Each round codes the table's text anew (:func:`~synchrony_coder.metrics.text.forget_text_codes`):
the codes of Arrow-backed text are remembered, and the lag tables and time windows share them.

Prints ONE JSON object with the times and the ratio ``sequential / read_csv`` (target ≤ 2).
``--object-strings`` makes pandas (≥ 3 with pyarrow) read text as Python strings, as pandas 2
did, for both jobs: Arrow-backed strings read twice as fast but cost more to group by.

    python benchmarks/bench_sequential.py [--sessions 1000] [--repeat 5] [--object-strings]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_metrics import corpus_arguments, timed_on_corpus  # noqa: E402

from synchrony_coder import load_scheme  # noqa: E402
from synchrony_coder.metrics.text import forget_text_codes  # noqa: E402
from synchrony_coder.sequential import lag_table, window_table  # noqa: E402


def analysis(events: pd.DataFrame, scheme) -> tuple[pd.DataFrame, pd.DataFrame]:
    # the text of an Arrow-backed table is coded once and remembered: forget it, so that every
    # round codes it (once for both analyses, as a first analysis of a table read does)
    forget_text_codes()
    point_tiers = [t.name for t in scheme.tiers if not t.is_state]
    lags = lag_table(events, scheme, tiers=point_tiers, max_lag=3)
    bids = scheme.tier("infant_bid").code_names
    responses = scheme.tier("caregiver_response").code_names
    pairs = [(f"infant_bid:{b}", f"caregiver_response:{r}") for b in bids for r in responses[:3]]
    pairs += [(f"caregiver_response:{r}", "infant_engagement:positive") for r in responses]
    windows = window_table(events, scheme, pairs=pairs, window=(0.0, 2.0), unit=0.1)
    return lags, windows


def main() -> None:
    args = corpus_arguments(__doc__.splitlines()[0])
    scheme = load_scheme()
    events, best, results = timed_on_corpus(
        args,
        scheme,
        lambda _, events, categorical: {
            "sequential": lambda: analysis(events, scheme),
            "categorical": lambda: analysis(categorical, scheme),
        },
    )
    lags, windows = results["sequential"]
    print(
        json.dumps(
            {
                "benchmark": "sequential (lag tables + time windows) vs pandas.read_csv",
                "sessions": args.sessions,
                "events": len(events),
                "text_dtype": str(events["code"].dtype),
                "lag_rows": len(lags),
                "window_rows": len(windows),
                "read_csv_s": round(best["read_csv"], 4),
                "sequential_s": round(best["sequential"], 4),
                "ratio_sequential_vs_read_csv": round(best["sequential"] / best["read_csv"], 3),
                "sequential_categorical_s": round(best["categorical"], 4),
                "ratio_categorical_vs_read_csv": round(best["categorical"] / best["read_csv"], 3),
                "target_ratio_vs_read_csv": 2.0,
            }
        )
    )


if __name__ == "__main__":
    main()
