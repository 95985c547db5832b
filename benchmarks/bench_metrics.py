"""Benchmark: interaction metrics of a corpus against reading it with pandas.

Builds a corpus of simulated 10-minute Still-Face sessions (default 1,000; one CSV in a temporary
folder; generation is not timed), then times, in the same run, best of ``--repeat`` rounds in
which the jobs take turns:

- ``pd.read_csv`` of that CSV (the reference),
- ``read_events`` (parse + validate against the scheme),
- ``session_metrics(by_phase=True)`` on the table read,
- the same on that table with categorical text columns (no string comparisons).

Each round codes the table's text anew (:func:`~synchrony_coder.metrics.text.forget_text_codes`:
the codes of Arrow-backed text are remembered from one analysis of a table to the next).

Prints ONE JSON object with the times and the ratios ``session_metrics / read_csv`` (target ≤ 2)
and ``(read_events + session_metrics) / read_csv``. ``--object-strings`` makes pandas (≥ 3 with
pyarrow) read text as Python strings, as pandas 2 did, for every job.

    python benchmarks/bench_metrics.py [--sessions 1000] [--repeat 5] [--object-strings]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from synchrony_coder import load_scheme, read_events, write_events
from synchrony_coder.metrics import session_metrics
from synchrony_coder.metrics.text import forget_text_codes
from synchrony_coder.simulate import SessionParams, simulate_session

TEN_MINUTES = SessionParams(
    phases=(("play", 240.0), ("still_face", 120.0), ("reunion", 240.0)),
)


def best_of_rounds(repeat: int, jobs: dict):
    """Best time of each job over ``repeat`` rounds, the jobs taking turns within a round.

    Taking turns puts the reference and the measured code under the same machine conditions
    (on a shared virtual machine the speed drifts by 20–30 % over minutes).
    """
    times = {name: [] for name in jobs}
    results = {}
    for _ in range(repeat):
        for name, fn in jobs.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {name: min(t) for name, t in times.items()}, results


def corpus_arguments(description: str) -> argparse.Namespace:
    """``--sessions``, ``--repeat`` and ``--object-strings`` (applied here, before any reading)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--object-strings", action="store_true")
    args = ap.parse_args()
    if args.object_strings:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pd.set_option("future.infer_string", False)
    return args


def write_corpus(sessions: int, path: Path) -> None:
    """``sessions`` simulated 10-minute Still-Face sessions as one events CSV."""
    corpus = pd.concat(
        [
            simulate_session(TEN_MINUTES, session=f"d{i:04d}", coder="truth", seed=i)
            for i in range(sessions)
        ],
        ignore_index=True,
    )
    write_events(corpus, path)


def with_categories(events: pd.DataFrame) -> pd.DataFrame:
    """The same table with categorical text columns (what a reader that deduplicates strings
    would hand over): shows how much of the time goes to comparing Python strings."""
    return events.astype({c: "category" for c in ("session", "coder", "tier", "code")})


def fresh_metrics(events: pd.DataFrame, scheme) -> pd.DataFrame:
    """``session_metrics`` of a table whose text was never coded before."""
    forget_text_codes()
    return session_metrics(events, scheme, by_phase=True)


def timed_on_corpus(args, scheme, jobs) -> tuple[pd.DataFrame, dict, dict]:
    """Write the corpus of ``args`` to a temporary CSV, read it, and time ``pd.read_csv`` of it
    (the reference, as ``read_csv``) with the jobs ``jobs(path, events, categorical)`` returns,
    taking turns (:func:`best_of_rounds`). Returns the events read, the best times and results.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.csv"
        write_corpus(args.sessions, path)
        events = read_events(path, scheme)
        timed = {"read_csv": lambda: pd.read_csv(path)}
        timed.update(jobs(path, events, with_categories(events)))
        best, results = best_of_rounds(args.repeat, timed)
    return events, best, results


def main() -> None:
    args = corpus_arguments(__doc__.splitlines()[0])
    scheme = load_scheme()
    events, best, results = timed_on_corpus(
        args,
        scheme,
        lambda path, events, categorical: {
            "read_events": lambda: read_events(path, scheme),
            "metrics": lambda: fresh_metrics(events, scheme),
            "categorical": lambda: fresh_metrics(categorical, scheme),
        },
    )
    read_csv_s, read_events_s = best["read_csv"], best["read_events"]
    metrics_s, categorical_s = best["metrics"], best["categorical"]
    table = results["metrics"]
    print(
        json.dumps(
            {
                "benchmark": "session_metrics vs pandas.read_csv",
                "sessions": args.sessions,
                "session_minutes": sum(s for _, s in TEN_MINUTES.phases) / 60,
                "events": len(events),
                "text_dtype": str(events["code"].dtype),
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
