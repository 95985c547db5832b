"""``synchrony-coder sequential``: lag-sequential and time-window analysis of any pair of codes."""

from __future__ import annotations

import argparse
import math

from . import EXIT_OK, add_command, emit, positive_int, seconds
from .metrics import read_corpus


def _window(text: str) -> tuple[float, float]:
    """argparse type: ``LO,HI`` seconds with 0 ≤ LO < HI."""
    lo, sep, hi = text.partition(",")
    try:
        pair = (float(lo), float(hi))
    except ValueError:
        pair = None
    if not sep or pair is None or not all(map(math.isfinite, pair)) or not 0 <= pair[0] < pair[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: give the window as LO,HI seconds, 0 ≤ LO < HI")
    return pair


def register(sub) -> None:
    p = add_command(
        sub,
        "sequential",
        "lag-sequential and time-window analysis of any codes, per session and pooled (as GSEQ)",
        [
            "sequential coded/ --tiers infant_bid,caregiver_response --lag 3 -o lags.csv",
            "sequential coded/ --tiers infant_engagement --no-repeats",
            "sequential coded/ --given infant_bid:fuss --target caregiver_response:soothe "
            "--window 0,3",
            "sequential coded/ --given infant_bid:* --target caregiver_response:* infant_engagement:"
            "positive --window 0.5,2 --unit 0.25",
            "sequential coded/ --tiers infant_bid,caregiver_response --given infant_bid:smile "
            "--target caregiver_response:imitate --permutations 5000 --seed 7",
        ],
        description="Sequential analysis of SCIENCE.md §7 (Bakeman & Quera, 2011) for every "
        "session × coder of the files, plus pooled rows (session 'all', per coder) from the tables "
        "summed over sessions. Codes are written TIER:CODE (TIER:* = any code of the tier). "
        "Lag tables (--tiers): one row per session × coder × given × target × lag with session, "
        "coder, given, target, lag, count, expected, transitional_prob, adjusted_residual, "
        "yules_q, odds_ratio. Time windows (--given, --target, --window): one row per session × "
        "coder × pair with session, coder, given, target, window_lo_s, window_hi_s, n_units, "
        "joint_units, given_units, target_units, yules_q, odds_ratio, adjusted_residual. With "
        "--tiers, --given, --target and --permutations: a permutation test of that lag-table cell. "
        "Undefined values are empty. Tidy CSV on stdout unless -o is given.",
    )
    p.add_argument("files", nargs="+", metavar="EVENTS", help="events CSV files or folders")
    p.add_argument("--scheme", default=None, help="scheme file or bundled name (default: default)")
    p.add_argument("--tiers", default=None, help="lag tables of these tiers (comma-separated)")
    p.add_argument(
        "--lag", type=positive_int, default=1, help="tables for lags 1 … LAG (default 1)"
    )
    p.add_argument(
        "--no-repeats",
        action="store_true",
        help="codes cannot follow themselves: lag-1 diagonal structural zeros, expected counts by "
        "iterative proportional fitting",
    )
    p.add_argument("--given", nargs="+", metavar="TIER:CODE", help="given code(s)")
    p.add_argument("--target", nargs="+", metavar="TIER:CODE", help="target code(s)")
    p.add_argument(
        "--window",
        type=_window,
        default=None,
        metavar="LO,HI",
        help="time window (LO, HI] seconds after each given onset, e.g. 0,2",
    )
    p.add_argument("--unit", type=seconds, default=0.1, help="time unit, seconds (default 0.1)")
    p.add_argument(
        "--permutations",
        type=positive_int,
        default=None,
        metavar="N",
        help="permutation test of the (given, target) cell of the lag table, N shuffles",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the permutation test (default 0)")
    p.add_argument("-o", "--output", default=None, help="write the CSV here instead of stdout")
    p.set_defaults(handler=run_sequential, parser=p)


def run_sequential(args: argparse.Namespace) -> int:
    from ..scheme import load_scheme
    from ..sequential import lag_table, permutation_test, window_table

    parser = args.parser
    tiers = [t.strip() for t in args.tiers.split(",") if t.strip()] if args.tiers else None
    pair = args.given is not None or args.target is not None
    if pair and (not args.given or not args.target):
        parser.error("give both --given and --target")
    if args.permutations is not None:
        if not (tiers and pair) or len(args.given) != 1 or len(args.target) != 1:
            parser.error("--permutations needs --tiers and one --given and one --target code")
    elif tiers and pair:
        parser.error("choose lag tables (--tiers) or time windows (--given/--target/--window)")
    elif pair and args.window is None:
        parser.error("time windows need --window LO,HI")
    elif not tiers and not pair:
        parser.error("choose --tiers (lag tables) or --given/--target/--window (time windows)")

    scheme = load_scheme(args.scheme)
    events = read_corpus(args.files, scheme)
    if args.permutations is not None:
        table = permutation_test(
            events,
            scheme,
            tiers=tiers,
            given=args.given[0],
            target=args.target[0],
            lag=args.lag,
            n_permutations=args.permutations,
            seed=args.seed,
        )
    elif tiers:
        table = lag_table(events, scheme, tiers=tiers, max_lag=args.lag, no_repeats=args.no_repeats)
    else:
        pairs = [(g, t) for g in args.given for t in args.target]
        table = window_table(events, scheme, pairs=pairs, window=args.window, unit=args.unit)
    emit(table.to_csv(index=False, float_format="%.10g", lineterminator="\n"), args.output)
    return EXIT_OK
