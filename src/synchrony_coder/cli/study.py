"""``synchrony-coder study init|status|export|metrics|report``: a lab's study as one unit."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_DATA, EXIT_OK, PROG, _Parser, add_command, emit, number, seconds, seconds_or_zero

_share = number("a share in (0, 1]", lambda v: 0 < v <= 1)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _sub(subs, name: str, help: str, examples: list[str], description: str):
    p = add_command(subs, name, help, [f"study {e}" for e in examples], description)
    p.add_argument("folder", metavar="DIR", help="the study folder (with study.toml)")
    return p


def _analysis_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--coder",
        default="consensus",
        help="whose events: 'consensus' (default: the consensus where a session has one, "
        "else its primary coder, the first of the study's coders who coded it) or a coder",
    )
    p.add_argument("--done-only", action="store_true", help="only files marked done")
    p.add_argument("--window", type=seconds, default=2.0, help="contingency window W (s)")
    p.add_argument("--repair-within", type=seconds, default=2.0, help="quick-repair bound R (s)")


def _analysis(args: argparse.Namespace) -> dict:
    """The options of :func:`_analysis_options` as keyword arguments."""
    keys = ("coder", "done_only", "window", "repair_within")
    return {k: getattr(args, k) for k in keys}


def register(sub) -> None:
    p = add_command(
        sub,
        "study",
        "a lab's study: folder of sessions, coding progress, exports, group report",
        [
            "study init lab/ --videos /archive/sf --pattern '{dyad}_{visit}_{camera}.mp4'",
            "study status lab/",
            "study report lab/ -o report.html",
        ],
        description="A study is a folder with study.toml (name, scheme, coders, reliability "
        "fraction and seed, session attributes) and one session folder per session. Plain "
        "files: the coders' CSVs stay the truth.",
    )
    subs = p.add_subparsers(dest="study_command", metavar="ACTION", parser_class=_Parser)
    p.set_defaults(handler=lambda args: _usage(p))

    i = _sub(
        subs,
        "init",
        "make DIR a study (from its session folders, or from a folder of camera files)",
        [
            "init lab/ --coders ann,ben,cat --fraction 0.25",
            "init lab/ --videos /archive/sf --pattern '{dyad}_{visit}_{camera}.mp4'",
            "init lab/ --pattern '{dyad}_{visit}'   # attributes from the session folders' ids",
        ],
        "Writes DIR/study.toml from the session folders in DIR, or first makes one session "
        "folder per session from --videos: camera files are grouped by --pattern (fields other "
        "than {camera} name the session and become its attributes) and the session.toml refers "
        "to them where they are (--link: symbolic links); videos are never copied. Running it "
        "again adds new sessions and keeps everything else, the reliability draw included. "
        "Prints the sessions (CSV).",
    )
    i.add_argument("--videos", metavar="FOLDER", help="camera files to make sessions from")
    i.add_argument("--pattern", help="e.g. '{dyad}_{visit}_{camera}.mp4'")
    i.add_argument("--name", help="the study's name (default: the folder's)")
    i.add_argument("--scheme", help="bundled scheme name or file (default: default)")
    i.add_argument("--coders", type=_names, help="the coders, e.g. ann,ben,cat")
    i.add_argument("--fraction", type=_share, help="share of sessions to double-code (0.2)")
    i.add_argument("--seed", type=int, help="seed of the reliability draw (default: random, kept)")
    i.add_argument("--link", action="store_true", help="link the videos instead of referring")
    i.add_argument("--primary", metavar="CAMERA", help="the camera listed first (primary video)")
    i.add_argument("-o", "--output", default=None, help="write the sessions CSV here")
    i.set_defaults(handler=run_init)

    s = _sub(
        subs,
        "status",
        "coding progress: one row per session × coder",
        ["status lab/", "status lab/ -o progress.csv"],
        "Columns: session, coder, status (not started / in progress / done), n_events (rows of "
        "the saved file), coded_until_s, duration_s (primary video), last_edit, "
        "reliability_sample, consensus (status of the consensus file where the session is "
        "double-coded). A coder marks a session done in the app (study list), or with a file "
        "coder_NAME.done in the session folder.",
    )
    s.add_argument("-o", "--output", default=None, help="write the CSV here instead of stdout")
    s.set_defaults(handler=run_status)

    e = _sub(
        subs,
        "export",
        "every session's events as one table, session attributes as columns",
        ["export lab/ -o all.csv", "export lab/ -o all.parquet --coders consensus"],
        "One tidy table (SCIENCE.md §1) of every coder's events in every session, with the "
        "study's session attributes (e.g. dyad, visit) as columns: CSV, or Parquet when -o "
        "ends in .parquet.",
    )
    e.add_argument("--coders", type=_names, help="only these coders (e.g. consensus)")
    e.add_argument("-o", "--output", default=None, help="all.csv or all.parquet (default stdout)")
    e.set_defaults(handler=run_export)

    m = _sub(
        subs,
        "metrics",
        "every metric per session × phase for the study",
        ["metrics lab/ -o metrics.csv", "metrics lab/ --coder ann -o ann.parquet"],
        "session_metrics (SCIENCE.md §3) by phase for one coder per session, with the session "
        "attributes as columns.",
    )
    _analysis_options(m)
    m.add_argument("-o", "--output", default=None, help=".csv or .parquet (default stdout)")
    m.set_defaults(handler=run_metrics)

    r = _sub(
        subs,
        "report",
        "HTML report: Still-Face effects, reliability, missing sessions",
        [
            "report lab/ -o report.html",
            "report lab/ -o report.html --stats effects.csv",
            "report lab/ -o report.html --by visit",
        ],
        "Per-phase group summaries of every metric with the still-face and reunion effects "
        "(rm-ANOVA, paired contrasts with effect sizes and CIs; pingouin), figures, reliability "
        "over the double-coded sessions, and the sessions missing or incomplete.",
    )
    _analysis_options(r)
    r.add_argument("--unit", type=seconds, default=0.1, help="reliability time unit (s)")
    r.add_argument("--tolerance", type=seconds_or_zero, default=1.0, help="onset tolerance (s)")
    r.add_argument("--stats", metavar="OUT.csv", help="also write the effects table as CSV")
    r.add_argument(
        "--by",
        metavar="ATTRIBUTE",
        help="a session attribute (e.g. visit): effects and summaries for each of its values apart",
    )
    r.add_argument("-o", "--output", required=True, metavar="OUT.html", help="the report")
    r.set_defaults(handler=run_report)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def run_init(args: argparse.Namespace) -> int:
    from ..study.create import ARCHIVE_FILE, init_study

    res = init_study(
        args.folder,
        videos=args.videos,
        pattern=args.pattern,
        name=args.name,
        scheme=args.scheme,
        coders=args.coders,
        fraction=args.fraction,
        seed=args.seed,
        link=args.link,
        primary=args.primary,
    )
    study = res.study
    for path, why in res.skipped:
        print(f"skipped {path}: {why}", file=sys.stderr)
    if not study.sessions:
        print(
            f"{study.root}: no session folders found (a session folder holds session.toml, a "
            "coder_NAME.csv or its videos; or give --videos FOLDER --pattern ...)",
            file=sys.stderr,
        )
    import pandas as pd

    sample = set(study.reliability_sample())
    rows = []
    for s in study.sessions:
        rel = s.folder.relative_to(study.root) if s.folder.is_relative_to(study.root) else s.folder
        rows.append((s.session, rel.as_posix(), *(v for _, v in s.attributes), s.session in sample))
    table = pd.DataFrame(
        rows, columns=["session", "folder", *study.attributes, "reliability_sample"]
    )
    emit(table.to_csv(index=False, lineterminator="\n"), args.output)
    print(
        f"{study.path}: {len(study.sessions)} sessions ({len(res.created)} folders made), "
        f"coders {', '.join(study.coders) or 'none yet (--coders)'}, {len(sample)} drawn for "
        f"double coding (fraction {study.fraction:g}, seed {study.seed})",
        file=sys.stderr,
    )
    if res.archive is not None:
        a = res.archive
        unreadable = int((a["error"].fillna("") != "").sum())
        unusual = int((a["unusual"].fillna("") != "").sum())
        proxies = int(a["proxy_advised"].fillna(False).astype(bool).sum())
        print(
            f"archive check of {len(a)} videos ({study.root / ARCHIVE_FILE}): {unusual} unusual, "
            f"{proxies} would code faster from a proxy (synchrony-coder proxy), {unreadable} "
            "cannot be opened",
            file=sys.stderr,
        )
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    from ..study.folder import load_study
    from ..study.status import study_status

    bad: list[str] = []
    table = study_status(load_study(args.folder), on_error=bad.append)
    emit(table.to_csv(index=False, float_format="%.3f", lineterminator="\n"), args.output)
    for message in bad:
        print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_DATA if bad else EXIT_OK


def _write(table, output: str | None, events: bool = False) -> None:
    from ..study.export import table_bytes, write_table

    if output in (None, "-"):
        emit(table_bytes(table, ".csv", events).decode("utf-8"), None)
    else:
        write_table(table, output, events)


def run_export(args: argparse.Namespace) -> int:
    from ..study.export import study_events
    from ..study.folder import load_study

    table = study_events(load_study(args.folder), args.coders)
    _write(table, args.output, events=True)
    if args.output not in (None, "-"):
        print(f"{len(table)} events of {table['session'].nunique()} sessions written to "
              f"{args.output}", file=sys.stderr)  # fmt: skip
    return EXIT_OK


def run_metrics(args: argparse.Namespace) -> int:
    from ..study.export import study_metrics
    from ..study.folder import load_study

    _write(study_metrics(load_study(args.folder), **_analysis(args)), args.output)
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    from ..study.folder import load_study
    from ..study.report import write_study_report

    tables = write_study_report(
        load_study(args.folder),
        args.output,
        unit=args.unit,
        tolerance=args.tolerance,
        by=args.by,
        **_analysis(args),
    )
    if args.stats:
        _write(tables.effects, args.stats)
    print(f"report written to {args.output}", file=sys.stderr)
    return EXIT_OK
