"""``synchrony-coder validate``: every problem of events files, one line each."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_DATA, EXIT_OK, add_command, emit


def register(sub) -> None:
    p = add_command(
        sub,
        "validate",
        "check coded-events CSV files against a scheme",
        [
            "validate coded/s01_alice.csv",
            "validate coded/ --scheme contingency",
            "validate a.csv b.csv -o problems.txt",
        ],
        description="Check coded-events CSVs (SCIENCE.md §1). Prints every problem as FILE:ROW: column: what is wrong; exit 1 if any.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="events CSV files or folders of them")
    p.add_argument(
        "--scheme", default=None, help="scheme file or bundled name (default: the default scheme)"
    )
    p.add_argument("-o", "--output", default=None, help="write the problems here instead of stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..events import _expand, check_events
    from ..scheme import load_scheme

    scheme = load_scheme(args.scheme)
    problems = []
    paths = _expand(args.files)
    for path in paths:
        problems.extend(check_events(path, scheme)[1])
    emit("".join(f"{p}\n" for p in problems), args.output)
    n_bad = len({p.path for p in problems})
    print(
        f"{len(paths)} file(s) checked, {len(problems)} problem(s) in {n_bad} file(s)",
        file=sys.stderr,
    )
    return EXIT_DATA if problems else EXIT_OK
