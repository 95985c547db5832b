"""``synchrony-coder metrics`` and ``plot``: interaction metrics of coded sessions, and figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import DataError
from . import EXIT_OK, add_command, emit, seconds, seconds_or_zero

PROGRESS_OVER = 20  # files; above this, reading shows progress on stderr even when not a tty


class EventsInputError(DataError):
    """Events files that cannot be used: one line naming the first bad file and how many more."""


def _figure_path(text: str) -> str:
    if Path(text).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise argparse.ArgumentTypeError(f"{text!r}: a figure file ends in .png, .svg or .pdf")
    return text


def register(sub) -> None:
    p = add_command(
        sub,
        "metrics",
        "interaction metrics (matched fraction, repair, contingency, synchrony) as a tidy CSV",
        [
            "metrics coded/s01_alice.csv",
            "metrics coded/ --by-phase -o metrics.csv",
            "metrics a.csv b.csv --window 3 --repair-within 1.5 --scheme my_scheme.toml",
            "metrics coded/ --lagged --by-phase -o cross_correlation.csv",
        ],
        description="Compute the metrics of SCIENCE.md §3 for every session × coder of the files: "
        "one row per session × coder (phase 'all'), plus one per phase with --by-phase. A folder "
        "means every *.csv file under it (recursively). Tidy CSV on stdout unless -o is given.",
    )
    p.add_argument("files", nargs="+", metavar="EVENTS", help="events CSV files or folders")
    p.add_argument("--scheme", default=None, help="scheme file or bundled name (default: default)")
    p.add_argument(
        "--window",
        type=seconds,
        default=2.0,
        help="contingency window W in seconds: a bid is answered by a response within W (default 2)",
    )
    p.add_argument(
        "--repair-within",
        type=seconds_or_zero,
        default=2.0,
        help="R for prop_repaired_within_Rs, seconds (default 2)",
    )
    p.add_argument(
        "--unit",
        type=seconds,
        default=0.1,
        help="time unit for Yule's Q and the valence series, seconds (default 0.1)",
    )
    p.add_argument("--by-phase", action="store_true", help="add one row per phase")
    p.add_argument(
        "--lagged",
        action="store_true",
        help="write the lagged valence cross-correlation instead (session, coder, phase, lag_s, "
        "r, n_pairs: one row per lag from -3 to +3 s)",
    )
    p.add_argument("-o", "--output", default=None, help="write the CSV here instead of stdout")
    p.set_defaults(handler=run_metrics)

    q = add_command(
        sub,
        "plot",
        "draw a session's timeline, per-phase summary or lag-sequential heat map (PNG, SVG or PDF)",
        [
            "plot coded/s01_alice.csv -o s01_timeline.png",
            "plot coded/ --session s01 --coder alice --kind phases -o s01_phases.svg",
            "plot motion.csv --kind movement --session s01 --phases coded/ -o s01_movement.pdf",
            "plot coded/ --coder alice --kind sequential -o what_follows.pdf",
            "plot coded/ --coder alice --kind sequential --tiers infant_engagement "
            "--no-repeats --lag 2 -o engagement_lag2.png",
        ],
        description="Draw a figure of one session × coder: 'timeline' shows both partners' "
        "engagement as coloured bands, matched time, bids and responses and the phases; 'phases' "
        "shows per-phase bars of matched fraction, contingency and engagement proportions; "
        "'sequential' shows the adjusted residuals of a lag table (given × target, significant "
        "cells marked), of one session or, without --session, pooled over the coder's sessions. "
        "'movement' draws one session of motion tables (synchrony-coder motion): both partners' "
        "motion energy over the window × lag heat map of their cross-correlation (--window, "
        "--lag, --increment as movement-sync), with the phases of --phases.",
    )
    q.add_argument("files", nargs="+", metavar="EVENTS", help="events CSV files or folders")
    q.add_argument("--session", default=None, help="the session to draw (needed if several)")
    q.add_argument("--coder", default=None, help="the coder to draw (needed if several)")
    q.add_argument("--scheme", default=None, help="scheme file or bundled name (default: default)")
    q.add_argument(
        "--kind", choices=("timeline", "phases", "sequential", "movement"), default="timeline"
    )
    q.add_argument(
        "--window",
        type=seconds,
        default=None,
        help="contingency window (phases; default 2) or cross-correlation window (movement; 60)",
    )
    from .movement import add_ccf_options, add_preprocessing_options

    add_ccf_options(q, window=False, lag=False)
    add_preprocessing_options(q)
    q.add_argument(
        "--phases", action="append", default=[], metavar="EVENTS", help="phases (movement)"
    )
    q.add_argument(
        "--tiers",
        default=None,
        help="tiers of the lag table (sequential; comma-separated; default: the point tiers)",
    )
    q.add_argument(
        "--lag",
        type=float,
        default=None,
        help="the event lag drawn (sequential; default 1) or the maximum lag in s (movement; 5)",
    )
    q.add_argument(
        "--no-repeats", action="store_true", help="codes cannot follow themselves (sequential)"
    )
    q.add_argument(
        "-o",
        "--output",
        required=True,
        type=_figure_path,
        help="the figure file: .png, .svg or .pdf",
    )
    q.set_defaults(handler=run_plot)


def _expand(items: list[str]) -> list[Path]:
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*.csv") if f.is_file())
            if not found:
                raise EventsInputError(f"{p}: no *.csv files in this folder")
            paths.extend(found)
        else:
            paths.append(p)
    return paths


def read_corpus(items: list[str], scheme):
    """Read and validate every events file; raise one line naming the bad ones."""
    import pandas as pd

    from ..events import REQUIRED_COLUMNS, check_events

    paths = _expand(items)
    show = sys.stderr.isatty() or len(paths) > PROGRESS_OVER
    frames, bad = [], []
    for i, path in enumerate(paths, 1):
        df, problems = check_events(path, scheme)
        if problems:
            bad.append((path, problems))
        elif df is not None:
            frames.append(df[list(REQUIRED_COLUMNS)])
        if show and (i % 10 == 0 or i == len(paths)):
            print(f"\rread {i}/{len(paths)} files", end="", file=sys.stderr, flush=True)
    if show:
        print(file=sys.stderr)
    if bad:
        path, problems = bad[0]
        more = f" (and {len(problems) - 1} more in this file)" if len(problems) > 1 else ""
        others = ""
        if len(bad) > 1:
            names = ", ".join(str(p) for p, _ in bad[1:4]) + (", ..." if len(bad) > 4 else "")
            others = f"; {len(bad) - 1} more bad file(s): {names}"
        raise EventsInputError(f"{problems[0]}{more}{others}")
    if not frames or not any(len(f) for f in frames):
        print(
            f"no events in {paths[0] if len(paths) == 1 else f'the {len(paths)} files'}: "
            "the table has only its header",
            file=sys.stderr,
        )
    if not frames:
        return pd.DataFrame(columns=list(REQUIRED_COLUMNS))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def run_metrics(args: argparse.Namespace) -> int:
    from ..metrics import lagged_synchrony, session_metrics
    from ..scheme import load_scheme

    scheme = load_scheme(args.scheme)
    events = read_corpus(args.files, scheme)
    if args.lagged:
        table = lagged_synchrony(events, scheme, unit=args.unit, by_phase=args.by_phase)
        emit(table.to_csv(index=False, float_format="%.10g", lineterminator="\n"), args.output)
        return EXIT_OK
    table = session_metrics(
        events,
        scheme,
        window=args.window,
        repair_within=args.repair_within,
        unit=args.unit,
        by_phase=args.by_phase,
    )
    emit(table.to_csv(index=False, float_format="%.10g", lineterminator="\n"), args.output)
    return EXIT_OK


def run_plot(args: argparse.Namespace) -> int:
    from ..scheme import load_scheme

    if args.kind == "movement":
        from .movement import run_movement_plot

        return run_movement_plot(args)

    scheme = load_scheme(args.scheme)
    events = read_corpus(args.files, scheme)
    if args.kind == "sequential":
        return _plot_sequential(args, scheme, events)
    sel = events
    if args.session is not None:
        sel = sel[sel["session"].astype(str) == args.session]
    if args.coder is not None:
        sel = sel[sel["coder"].astype(str) == args.coder]
    groups = sel[["session", "coder"]].drop_duplicates()
    if len(groups) != 1:
        have = events[["session", "coder"]].drop_duplicates()
        pairs = [f"{s}/{c}" for s, c in have.itertuples(index=False, name=None)]
        listed = ", ".join(pairs[:8]) + (f", ... ({len(pairs)} in all)" if len(pairs) > 8 else "")
        if not pairs:
            raise EventsInputError("the files hold no events: nothing to plot")
        what = "no events match" if not len(groups) else f"{len(groups)} session/coder pairs match"
        asked = " ".join(
            f"--{k} {v}" for k, v in (("session", args.session), ("coder", args.coder)) if v
        )
        raise EventsInputError(
            f"{what} {asked or 'the files'} (choose one with --session/--coder; found: {listed})"
        )
    from ..metrics import plots

    if args.kind == "timeline":
        fig = plots.timeline(sel, scheme)
    else:
        fig = plots.phase_summary(sel, scheme, window=args.window or 2.0)
    plots.save(fig, args.output)
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def _plot_sequential(args: argparse.Namespace, scheme, events) -> int:
    """The lag-table heat map of one session × coder, or pooled over one coder's sessions."""
    from ..metrics import plots
    from ..sequential import lag_table
    from ..sequential.plots import lag_heatmap

    lag = 1 if args.lag is None else args.lag
    if lag < 1 or lag != int(lag):
        raise EventsInputError(f"--lag must be a whole number ≥ 1 for a lag table, not {lag:g}")
    lag = int(lag)
    tiers = (
        [t.strip() for t in args.tiers.split(",") if t.strip()]
        if args.tiers
        else [t.name for t in scheme.tiers if not t.is_state]
    )
    sel = events
    for col, want in (("session", args.session), ("coder", args.coder)):
        if want is not None:
            sel = sel[sel[col].astype(str) == want]
    if not len(sel):
        raise EventsInputError("no events match --session/--coder")
    table = lag_table(sel, scheme, tiers=tiers, max_lag=lag, no_repeats=args.no_repeats)
    try:
        fig = lag_heatmap(table, lag=lag, session=args.session, coder=args.coder)
    except ValueError as exc:
        raise EventsInputError(f"{exc} (use --session/--coder)") from None
    plots.save(fig, args.output)
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK
