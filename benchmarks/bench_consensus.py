"""Benchmark of consensus decisions as the app makes them, one at a time, against a whole rebuild.

Usage::

    python benchmarks/bench_consensus.py [--minutes 2,10,30] [--repeats 3]

For each session length it simulates a Still-Face session (three equal phases) coded by two
coders (:func:`simulate_coder`), finds their disagreements and decides every one, in time order,
A or B at random, the way consensus mode does: one :func:`~synchrony_coder.study.deciding.decide`
change applied to the consensus's :class:`IndexedEvents`, plus the update of the two live
comparisons (the consensus against A and against B) the timeline draws. Reported per decision:
``decide_ms`` (the change), ``compare_ms`` (both comparisons brought up to date), their sum
``decision_ms`` (median and p95 over all decisions and repeats), and ``rebuild_ms``, the
reference measured in the same run: :func:`apply_decisions` recomputing the whole consensus from
the same decisions (what a decision would cost without the incremental path).
``ratio_decision_vs_rebuild`` divides the median decision by the median rebuild.

Prints one JSON object. The machine is shared: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from synchrony_coder.scheme import load_scheme
from synchrony_coder.session import IndexedEvents
from synchrony_coder.session.comparison import Comparison
from synchrony_coder.simulate import SessionParams, simulate_coder, simulate_session
from synchrony_coder.study import apply_decisions, disagreements
from synchrony_coder.study.deciding import copy_of, decide


def _ms(seconds: list[float]) -> dict[str, float]:
    a = np.asarray(seconds) * 1000
    return {
        "median_ms": round(float(np.median(a)), 3),
        "p95_ms": round(float(np.quantile(a, 0.95)), 3),
    }


def run(minutes: float, repeats: int, seed: int = 0) -> dict:
    scheme = load_scheme()
    third = minutes * 60 / 3
    params = SessionParams(phases=(("play", third), ("still_face", third), ("reunion", third)))
    truth = simulate_session(params, session="s", seed=seed)
    a = simulate_coder(truth, "ann", seed=seed + 1)
    b = simulate_coder(truth, "ben", seed=seed + 2)
    spans = disagreements(a, b, scheme)
    rows = list(spans.itertuples())
    decide_s, compare_s, rebuild_s = [], [], []
    rng = np.random.default_rng(seed)
    for _ in range(repeats):
        events = IndexedEvents()
        events.apply(copy_of(a, "ann"))
        compared = [Comparison(events, table, scheme) for table in (a, b)]
        decided: dict[int, str] = {}
        for row in rows:
            choice = "AB"[rng.integers(2)]
            t0 = time.perf_counter()
            change = decide(events, scheme, row, choice, a, b)
            events.apply(change)
            t1 = time.perf_counter()
            for comparison in compared:
                comparison.update(change)
            t2 = time.perf_counter()
            decided[int(row.disagreement)] = choice
            decide_s.append(t1 - t0)
            compare_s.append(t2 - t1)
        for _ in range(3):  # the reference, in the same run
            t0 = time.perf_counter()
            apply_decisions(a, b, decided, scheme)
            rebuild_s.append(time.perf_counter() - t0)
    total = [d + c for d, c in zip(decide_s, compare_s, strict=True)]
    out = {
        "minutes": minutes,
        "events_a": len(a),
        "events_b": len(b),
        "disagreements": len(rows),
        "decide": _ms(decide_s),
        "compare": _ms(compare_s),
        "decision": _ms(total),
        "rebuild": _ms(rebuild_s),
    }
    out["ratio_decision_vs_rebuild"] = round(
        out["decision"]["median_ms"] / out["rebuild"]["median_ms"], 4
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", default="2,10,30")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = [run(float(m), args.repeats) for m in args.minutes.split(",")]
    print(json.dumps({"benchmark": "consensus", "sizes": results}, indent=2))


if __name__ == "__main__":
    main()
