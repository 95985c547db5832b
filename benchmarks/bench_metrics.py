"""Benchmark: interaction metrics of a corpus against reading it with pandas.

Builds a corpus of simulated 10-minute Still-Face sessions (default 1,000; one CSV in a temporary
folder; generation is not timed), then times, in the same run and best of ``--repeat``:

- ``pd.read_csv`` of that CSV (the reference),
- ``read_events`` (parse + validate against the scheme),
- ``session_metrics(by_phase=True)`` on the table read,
- the same on that table with categorical text columns (no string comparisons).

Prints ONE JSON object with the times and the ratios ``session_metrics / read_csv`` (target ≤ 2)
and ``(read_events + session_metrics) / read_csv``.

    python benchmarks/bench_metrics.py [--sessions 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from synchrony_coder import load_scheme, read_events, write_events
from synchrony_coder.metrics import session_metrics
from synchrony_coder.simulate import SessionParams, simulate_session

TEN_MINUTES = SessionParams(
    phases=(("play", 240.0), ("still_face", 120.0), ("reunion", 240.0)),
)


def best_of(repeat: int, fn):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    scheme = load_scheme()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.csv"
        corpus = pd.concat(
            [
                simulate_session(TEN_MINUTES, session=f"d{i:04d}", coder="truth", seed=i)
                for i in range(args.sessions)
            ],
            ignore_index=True,
        )
        write_events(corpus, path)
        read_csv_s, _ = best_of(args.repeat, lambda: pd.read_csv(path))
        read_events_s, events = best_of(args.repeat, lambda: read_events(path, scheme))
        metrics_s, table = best_of(
            args.repeat, lambda: session_metrics(events, scheme, by_phase=True)
        )
        # the same table with categorical text columns (what a reader that deduplicates strings
        # would hand over): shows how much of the time goes to comparing Python strings
        categorical = events.astype({c: "category" for c in ("session", "coder", "tier", "code")})
        categorical_s, _ = best_of(
            args.repeat, lambda: session_metrics(categorical, scheme, by_phase=True)
        )
    print(
        json.dumps(
            {
                "benchmark": "session_metrics vs pandas.read_csv",
                "sessions": args.sessions,
                "session_minutes": sum(s for _, s in TEN_MINUTES.phases) / 60,
                "events": len(events),
                "metric_rows": len(table),
                "read_csv_s": round(read_csv_s, 4),
                "read_events_s": round(read_events_s, 4),
                "session_metrics_s": round(metrics_s, 4),
                "ratio_metrics_vs_read_csv": round(metrics_s / read_csv_s, 3),
                "session_metrics_categorical_s": round(categorical_s, 4),
                "ratio_metrics_categorical_vs_read_csv": round(categorical_s / read_csv_s, 3),
                "ratio_read_events_plus_metrics_vs_read_csv": round(
                    (read_events_s + metrics_s) / read_csv_s, 3
                ),
                "target_ratio_metrics_vs_read_csv": 2.0,
            }
        )
    )


if __name__ == "__main__":
    main()
