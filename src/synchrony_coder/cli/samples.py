"""``synchrony-coder make-samples``: rebuild the bundled sample sessions (events, videos)."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_OK, add_command


def register(sub) -> None:
    p = add_command(
        sub,
        "make-samples",
        "write the simulated sample sessions (truth, two coders, cartoon videos) to a folder",
        [
            "make-samples sample_sessions",
            "make-samples /tmp/samples --only s01",
            "make-samples /tmp/samples --no-video",
        ],
        description="Simulate the sample sessions with their fixed seeds, write truth.csv, "
        "coder_alice.csv, coder_bob.csv, session.toml and rendered videos into OUTDIR/<session>/, "
        "and OUTDIR/README.md with their true matched fraction and contingency.",
    )
    p.add_argument("outdir", metavar="OUTDIR", help="folder to write the sessions into")
    p.add_argument(
        "--only", nargs="+", metavar="SESSION", help="only these samples (s01, s02, s03)"
    )
    p.add_argument("--no-video", action="store_true", help="write the events and manifests only")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..samples import SAMPLES, make_samples

    known = {s.name for s in SAMPLES}
    bad = sorted(set(args.only or ()) - known)
    if bad:
        print(
            f"synchrony-coder make-samples: usage error: unknown sample {bad[0]!r} (samples: "
            f"{', '.join(sorted(known))})",
            file=sys.stderr,
        )
        return 2
    values = make_samples(
        args.outdir,
        args.only,
        video=not args.no_video,
        progress=lambda what: print(f"rendering {what}", file=sys.stderr),
    )
    for name, table in values.items():
        print(
            f"{name}: "
            + ", ".join(
                f"{r.phase} matched {r.matched_fraction:.3f} contingency {r.contingency:.3f}"
                for r in table.itertuples()
            ),
            file=sys.stderr,
        )
    return EXIT_OK
