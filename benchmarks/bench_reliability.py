"""Benchmark: reliability of 1,000 simulated session pairs, against references in the same run.

Usage::

    python benchmarks/bench_reliability.py [--sessions 1000] [--minutes 2]

Simulates ``--sessions`` Still-Face sessions (``--minutes`` long) each coded by two noisy coders
(generation not timed), writes them to one CSV, then times in one run:

- ``read_csv_s``: ``pandas.read_csv`` of that CSV (the reference: the cost of merely loading it);
- ``sklearn_kappa_s``: ``sklearn.metrics.cohen_kappa_score`` on every state tier's unit labels
  (labels built beforehand, untimed): the cost of the kappas alone with a well-kept library;
- ``reliability_s``: ``reliability_table`` over everything (units, kappa, kappa_max, alpha,
  event alignment for every tier).

Prints one JSON object with the times and the ratios to the references.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from synchrony_coder import load_scheme
from synchrony_coder.reliability import reliability_table
from synchrony_coder.reliability.table import iter_tiers
from synchrony_coder.simulate import CoderNoise, SessionParams, simulate_coder, simulate_session


def build(n: int, minutes: float) -> pd.DataFrame:
    third = minutes * 60 / 3
    params = SessionParams(phases=(("play", third), ("still_face", third), ("reunion", third)))
    noise = CoderNoise(boundary_sd_s=0.3, substitution=0.08)
    frames = []
    for s in range(n):
        truth = simulate_session(params, session=f"s{s:04d}", seed=s)
        frames += [simulate_coder(truth, c, noise, seed=10 * s + k) for k, c in enumerate("ab")]
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--minutes", type=float, default=2.0)
    args = ap.parse_args()
    scheme = load_scheme()
    events = build(args.sessions, args.minutes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.csv"
        events.to_csv(path, index=False)
        t0 = time.perf_counter()
        loaded = pd.read_csv(path)
        read_s = time.perf_counter() - t0
    labels = [
        (td.labels["a"], td.labels["b"])
        for td in iter_tiers(events, scheme)
        if td.kind == "state" and len(td.coders) == 2
    ]
    from sklearn.metrics import cohen_kappa_score

    t0 = time.perf_counter()
    for a, b in labels:
        cohen_kappa_score(a, b)
    sklearn_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = reliability_table(events, scheme)
    rel_s = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "sessions": args.sessions,
                "minutes": args.minutes,
                "events": len(loaded),
                "rows": len(table),
                "read_csv_s": round(read_s, 3),
                "sklearn_kappa_s": round(sklearn_s, 3),
                "reliability_s": round(rel_s, 3),
                "ratio_to_read_csv": round(rel_s / read_s, 1),
                "ratio_to_sklearn_kappas": round(rel_s / sklearn_s, 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
