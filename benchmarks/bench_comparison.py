"""Benchmark: the comparison view's update after one edit, in a densely coded session.

The session of ``bench_gui.py`` (exactly ``--events`` events of one 10-minute session, default
30,000) is ours; a second coder is simulated from it (``simulate_coder``: boundary noise and
substitutions). Times, without a display (``session.comparison.Comparison``, what the app's
comparison track shows):

- ``build_s``: the comparison of both coders' whole session (every tier aligned or labelled);
- ``update_ms``: ``Comparison.update`` after one edit of a point event (moved by up to ±0.5 s, or
  recoded), median and maximum over ``--edits`` edits spread over the session;
- ``realign_ms``: the same edits answered by aligning the edited tier whole again (what
  ``update`` did before it re-aligned only the stretch an edit can affect), for reference;
- ``align_tier_ms``: ``reliability.align_ids`` of the densest point tier, whole.

Prints one JSON object. The machine is shared: compare figures measured in one run.

    python benchmarks/bench_comparison.py [--events 30000] [--edits 40]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gui import dense_events  # noqa: E402

from synchrony_coder import load_scheme  # noqa: E402
from synchrony_coder.reliability.alignment import align_ids  # noqa: E402
from synchrony_coder.session.comparison import Comparison  # noqa: E402
from synchrony_coder.session.edits import events_from_frame, move_onset, set_code  # noqa: E402
from synchrony_coder.session.index import IndexedEvents  # noqa: E402
from synchrony_coder.simulate import CoderNoise, simulate_coder  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--edits", type=int, default=40)
    args = ap.parse_args()
    scheme = load_scheme()
    frame = dense_events(args.events)
    theirs = simulate_coder(
        frame, "bob", CoderNoise(boundary_sd_s=0.2, substitution=0.08), seed=1, fps=25
    )
    ours = IndexedEvents(events_from_frame(frame))
    t0 = time.perf_counter()
    comparison = Comparison(ours, theirs, scheme)
    build_s = time.perf_counter() - t0
    points = [t.name for t in scheme.tiers if not t.is_state]
    sizes = {t: len(ours.tier_ids(t)) for t in points}
    densest = max(points, key=lambda t: sizes[t])

    rng = np.random.default_rng(0)
    update_ms, realign_ms = [], []
    for _ in range(args.edits):
        tier = points[int(rng.integers(len(points)))]
        ids = ours.tier_ids(tier)
        i = ids[int(rng.integers(len(ids)))]
        ev = ours[i]
        if rng.random() < 0.5:
            onset = min(max(ev.onset_s + float(rng.uniform(-0.5, 0.5)), 0.0), 599.0)
            change = move_onset(ours, scheme, i, onset)
        else:
            others = [c for c in scheme.tier(tier).code_names if c != ev.code]
            change = set_code(ours, scheme, i, others[int(rng.integers(len(others)))])
        ours.apply(change)
        t0 = time.perf_counter()
        comparison.update(change)
        update_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        whole, _ = comparison._align(tier, -math.inf, math.inf, False)  # the whole tier again
        realign_ms.append((time.perf_counter() - t0) * 1000)
        assert [c for b in whole for c in b[1]] == comparison._spans[tier]

    names = {c: k for k, c in enumerate(scheme.tier(densest).code_names)}
    ids = ours.tier_ids(densest)
    ao = np.array([ours[i].onset_s for i in ids])
    ac = np.array([names[ours[i].code] for i in ids])
    mine = theirs[theirs["tier"] == densest].sort_values("onset_s", kind="stable")
    bo = mine["onset_s"].to_numpy(float)
    bc = np.array([names[c] for c in mine["code"]])
    t0 = time.perf_counter()
    align_ids(ao, ac, bo, bc, 1.0)
    align_ms = (time.perf_counter() - t0) * 1000
    print(
        json.dumps(
            {
                "benchmark": "comparison update after one point edit",
                "events_ours": len(ours),
                "events_theirs": len(theirs),
                "point_tier_sizes": sizes,
                "build_s": round(build_s, 3),
                "update_ms_median": round(float(np.median(update_ms)), 2),
                "update_ms_max": round(max(update_ms), 2),
                "realign_ms_median": round(float(np.median(realign_ms)), 2),
                "align_tier_ms": round(align_ms, 2),
                "densest_tier": densest,
            }
        )
    )


if __name__ == "__main__":
    main()
