"""Benchmark: reliability of 1,000 simulated session pairs, against references in the same run.

Usage::

    python benchmarks/bench_reliability.py [--sessions 1000] [--minutes 2] [--dense-points 5000]

Simulates ``--sessions`` Still-Face sessions (``--minutes`` long) each coded by two noisy coders
(generation not timed), writes them to one CSV, then times in one run:

- ``read_csv_s``: ``pandas.read_csv`` of that CSV (the reference: the cost of merely loading it);
- ``sklearn_kappa_s``: ``sklearn.metrics.cohen_kappa_score`` on every state tier's unit labels
  (labels built beforehand, untimed): the cost of the kappas alone with a well-kept library;
- ``reliability_s``: ``reliability_table`` over everything (units, kappa, kappa_max, alpha,
  event alignment for every tier);
- ``dense_tier``: the event alignment of one densely coded point tier (``--dense-points`` per
  coder, default 5,000, a bid every 0.36 s; the second coder's onsets off by N(0, 0.3 s), 10 %
  missed, 8 % recoded; tolerance 1 s): ``align_ids`` against the dense O(n·m) programme it
  replaced (``tests/alignment_oracle.py``), with each one's peak of traced memory (a second
  run), and a check that both give the same alignment.

Prints one JSON object with the times and the ratios to the references.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from synchrony_coder import load_scheme
from synchrony_coder.reliability import reliability_table
from synchrony_coder.reliability.alignment import align_ids
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


def dense_tier(n: int) -> dict:
    """The banded alignment of one dense point tier against the dense programme, timed."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from alignment_oracle import dense_align_ids

    rng = np.random.default_rng(0)
    ao = np.round(np.sort(rng.uniform(0, n * 0.36, n)), 3)
    ac = rng.integers(0, 5, n)
    kept = rng.random(n) >= 0.10
    bo = np.round(ao[kept] + rng.normal(0, 0.3, kept.sum()), 3)
    bc = np.where(rng.random(kept.sum()) < 0.08, rng.integers(0, 5, kept.sum()), ac[kept])
    order = np.argsort(bo, kind="stable")
    bo, bc = bo[order], bc[order]
    out, found = {"points_a": n, "points_b": len(bo)}, {}
    for name, fn in (("banded", align_ids), ("dense", dense_align_ids)):
        t0 = time.perf_counter()
        found[name] = fn(ao, ac, bo, bc, 1.0)
        out[f"{name}_s"] = round(time.perf_counter() - t0, 4)
        tracemalloc.start()  # again, for the memory only (tracing slows Python down)
        fn(ao, ac, bo, bc, 1.0)
        out[f"{name}_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    out["same_alignment"] = all(
        np.array_equal(x, y) for x, y in zip(found["banded"], found["dense"], strict=True)
    )
    out["speedup"] = round(out["dense_s"] / out["banded_s"], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--dense-points", type=int, default=5000)
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
                "dense_tier": dense_tier(args.dense_points),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
