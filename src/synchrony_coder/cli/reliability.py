"""``synchrony-coder reliability`` and ``sample-reliability``: agreement between coders."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..errors import DataError
from . import EXIT_OK, add_command, emit, seconds, seconds_or_zero
from .metrics import read_corpus


class ReliabilityInputError(DataError):
    """The files do not hold what a reliability analysis needs."""


def register(sub) -> None:
    p = add_command(
        sub,
        "reliability",
        "inter-rater reliability: time-unit and event kappa, alpha, per session × tier",
        [
            "reliability coded/s01_alice.csv coded/s01_bob.csv",
            "reliability alice/ bob/ --report reliability.html -o reliability.csv",
            "reliability a.csv b.csv c.csv --unit 0.2 --tolerance 0.5",
        ],
        description="Compare two or more coders (told apart by the coder column; a file or folder "
        "may hold many sessions) as in SCIENCE.md §4: one row per session × tier with "
        "percent_agreement, kappa, kappa_max, krippendorff_alpha (time units, state tiers) and "
        "event_agreement, event_kappa (onset alignment). Sessions not every coder coded are "
        "listed on stderr and in the report. --report writes one self-contained HTML file.",
    )
    p.add_argument("files", nargs="+", metavar="CODER.csv", help="events files or folders")
    p.add_argument("--scheme", default=None, help="scheme file or bundled name (default: default)")
    p.add_argument("--unit", type=seconds, default=0.1, help="time unit in seconds (default 0.1)")
    p.add_argument(
        "--tolerance",
        type=seconds_or_zero,
        default=1.0,
        help="onset tolerance of the event alignment, seconds (default 1)",
    )
    p.add_argument("--pairs", action="store_true", help="one row per coder pair instead")
    p.add_argument("-o", "--output", default=None, help="write the CSV here instead of stdout")
    p.add_argument("--report", default=None, metavar="OUT.html", help="write the HTML report")
    p.set_defaults(handler=run_reliability)

    s = add_command(
        sub,
        "sample-reliability",
        "pick the sessions a second coder should code, reproducibly",
        [
            "sample-reliability sessions/* --fraction 0.2 --seed 7",
            "sample-reliability coded/ --fraction 0.25 --seed 1 -o double_code.csv",
        ],
        description="SESSIONS are session folders, events files or folders of them (their "
        "session ids are used), or plain session ids. Picks ceil(fraction × n) sessions at "
        "random with the seed; the same inputs and seed give the same choice.",
    )
    s.add_argument("sessions", nargs="+", metavar="SESSIONS")
    s.add_argument("--fraction", type=float, default=0.2, help="share to pick (default 0.2)")
    s.add_argument("--seed", type=int, required=True, help="random seed (write it down)")
    s.add_argument("-o", "--output", default=None, help="write the list here instead of stdout")
    s.set_defaults(handler=run_sample)


def _empty_tiers(events) -> list[str]:
    """A line for each session × tier a coder of the session left empty while another coded it
    (its agreement is then 0 by definition: worth knowing it is a gap, not a disagreement)."""
    lines = []
    text = events[["session", "tier", "coder"]].astype(str)
    coders = text.groupby("session", sort=False)["coder"].unique()
    used = text.drop_duplicates().groupby(["session", "tier"], sort=False)["coder"].unique()
    for (session, tier), have in used.items():
        empty = sorted(set(coders[session]) - set(have))
        if empty:
            lines.append(
                f"session {session}, tier {tier}: {', '.join(empty)} coded nothing "
                f"(only {', '.join(sorted(have))} did): agreement on it is 0 by definition"
            )
    return lines


def run_reliability(args: argparse.Namespace) -> int:
    from ..reliability import coverage, pairwise_table, reliability_table
    from ..scheme import load_scheme

    scheme = load_scheme(args.scheme)
    for item in args.files:
        _refuse_foreign(item)
    events = read_corpus(args.files, scheme)
    coders = sorted(events["coder"].astype(str).unique())
    if len(coders) < 2:
        found = coders[0] if coders else "none"
        raise ReliabilityInputError(
            f"{', '.join(args.files)}: reliability needs two or more coders (coder column: {found})"
        )
    for row in coverage(events).itertuples(index=False):
        if row.missing:
            print(
                f"session {row.session}: coded only by {row.coders} (not {row.missing})",
                file=sys.stderr,
            )
    for line in _empty_tiers(events):
        print(line, file=sys.stderr)
    kw = {"unit": args.unit, "tolerance": args.tolerance}
    table = (pairwise_table if args.pairs else reliability_table)(events, scheme, **kw)
    emit(table.to_csv(index=False, float_format="%.6g", lineterminator="\n"), args.output)
    if args.report:
        from ..reliability.report import write_report

        try:
            from ..metrics import session_metrics

            metrics = session_metrics(events, scheme, by_phase=True)
        except ImportError:
            metrics = None
        write_report(events, args.report, scheme, metrics=metrics, sources=args.files, **kw)
        print(f"report written to {args.report}", file=sys.stderr)
    return EXIT_OK


def _refuse_foreign(item: str) -> None:
    """One line that says how to convert another tool's file, instead of a header error on it."""
    from ..interop import FORMATS, InteropError, detect_format

    path = Path(item)
    if not path.is_file():
        return
    try:
        name = detect_format(path)
    except InteropError:
        return  # not a format we know: the events reader says what is wrong with it
    if name != "events":
        raise ReliabilityInputError(
            f"{path}: {FORMATS[name].description}, not an events CSV; convert it first: "
            f"synchrony-coder convert {path} {path.with_name(path.stem + '_events.csv')} "
            "--coder NAME"
        )


_FILE_SUFFIXES = {".csv", ".tsv", ".eaf", ".boris", ".toml", ".mp4", ".mov", ".avi"}


def _session_ids(item: str) -> list[str]:
    path = Path(item)
    if path.is_dir() and ((path / "session.toml").exists() or any(path.glob("*.mp4"))):
        from ..session import find_session

        return [find_session(path).session]
    if path.is_dir() or path.suffix.lower() == ".csv":
        events = read_corpus([item], None)
        return sorted(events["session"].astype(str).unique())
    if path.exists():
        raise ReliabilityInputError(f"{path}: not a session folder or an events CSV")
    if "/" in item or "\\" in item or path.suffix.lower() in _FILE_SUFFIXES:
        # a mistyped path would otherwise be drawn as a session id
        raise ReliabilityInputError(
            f"{path}: no such file or folder (plain session ids have no / or extension)"
        )
    return [item]


def run_sample(args: argparse.Namespace) -> int:
    from ..reliability import sample_for_reliability

    if not (0 < args.fraction <= 1) or not math.isfinite(args.fraction):
        print("sample-reliability: --fraction must be in (0, 1]", file=sys.stderr)
        return 2
    pool = sorted({s for item in args.sessions for s in _session_ids(item)})
    chosen = sample_for_reliability(pool, args.fraction, args.seed)
    lines = ["session"] + chosen
    emit("\n".join(lines) + "\n", args.output)
    print(
        f"{len(chosen)} of {len(pool)} sessions chosen (fraction {args.fraction:g}, "
        f"seed {args.seed})",
        file=sys.stderr,
    )
    return EXIT_OK
