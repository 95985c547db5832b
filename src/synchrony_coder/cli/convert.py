"""``synchrony-coder convert``: ELAN, BORIS, Datavyu and GSEQ files in and out."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_DATA, EXIT_OK, PROG, add_command

# a misnamed tier makes one problem per row: show the first ones, count the rest
MAX_PROBLEMS_SHOWN = 10
_FORMATS = ("events", "eaf", "boris", "boris-tabular", "datavyu", "sdis")


def register(sub) -> None:
    p = add_command(
        sub,
        "convert",
        "convert coded events from/to ELAN, BORIS, Datavyu and GSEQ",
        [
            "convert session01.eaf coded/session01.csv --coder alice",
            "convert project.boris coded/all.csv --map boris_to_ours.toml --scheme default",
            "convert datavyu_export.csv coded/s02.csv --map datavyu.toml --scheme default",
            "convert coded/ elan_out/ --to eaf",
            "convert coded/s01_alice.csv s01.tsv",
            "convert coded/ study.sds --scheme default",
        ],
        description=(
            "Convert coded events between our CSV and other tools' files. Formats come from the "
            "extension (.csv ours, Datavyu or BORIS by header; .eaf ELAN; .boris BORIS project; "
            ".tsv BORIS tabular events; .sds GSEQ SDIS) or --from/--to. Everything a format cannot "
            "hold, every annotation or event skipped (with the reason) and every unmapped code is "
            "printed on stderr, one line each. Without --scheme, foreign tiers and codes are kept as "
            "they are; with --scheme the result is checked and the first ten problems printed (exit 1, the "
            "output is still written)."
        ),
    )
    p.add_argument("input", metavar="IN", help="file (or folder of files of one format) to read")
    p.add_argument(
        "output", metavar="OUT", help="file to write, '-' for stdout (ours), or a folder for eaf"
    )
    p.add_argument("--from", dest="from_format", choices=_FORMATS, help="format of IN")
    p.add_argument("--to", dest="to_format", choices=_FORMATS, help="format of OUT")
    p.add_argument(
        "--scheme", default=None, help="scheme file or bundled name to check the result against"
    )
    p.add_argument(
        "--map",
        dest="mapping",
        default=None,
        metavar="MAPPING.toml",
        help="rename foreign tiers/codes into ours",
    )
    p.add_argument(
        "--coder",
        default="unknown",
        help="coder for formats that keep none (BORIS, Datavyu; ELAN tiers without ANNOTATOR)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only what did not make it across (skipped, lost, unmapped) and problems",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..events import check_table
    from ..interop import apply_mapping, load_mapping, read_foreign, write_foreign
    from ..scheme import load_scheme

    scheme = load_scheme(args.scheme) if args.scheme else None
    mapping = load_mapping(args.mapping) if args.mapping else None
    events, report = read_foreign(args.input, args.from_format, coder=args.coder)
    if mapping is not None:
        events, mapped = apply_mapping(events, mapping, scheme)
        report.merge(mapped)
    written = write_foreign(events, args.output, args.to_format, scheme)
    # rows are numbered as in our CSV output (header = line 1), the table's order
    where = args.output if written.format == "events" else f"{args.output} (converted table)"
    problems = check_table(events, scheme, name=where) if scheme is not None else []
    for line in report.lines() + written.lines():
        if not args.quiet or any(f": {k}" in line for k in ("skipped", "lost", "unmapped")):
            print(f"{PROG} convert: {line}", file=sys.stderr)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"{PROG} convert: problem: {problem}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        every = (
            f" (all of them: {PROG} validate {args.output} --scheme {args.scheme})"
            if written.format == "events" and args.output != "-"
            else ""
        )
        print(
            f"{PROG} convert: problem: {len(problems) - MAX_PROBLEMS_SHOWN} more not shown{every}",
            file=sys.stderr,
        )
    print(
        f"{PROG} convert: {len(events)} event(s) from {args.input} ({report.format}) written to "
        f"{args.output} ({written.format})"
        + (f"; {len(problems)} problem(s) against scheme {scheme.name!r}" if scheme else ""),
        file=sys.stderr,
    )
    return EXIT_DATA if problems else EXIT_OK
