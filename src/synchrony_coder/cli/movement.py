"""``synchrony-coder movement-sync``: movement synchrony of motion tables (rMEA's MEAccf)."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_OK, add_command, emit, number, positive, seconds, seconds_or_zero

CSV = {"index": False, "float_format": "%.10g", "lineterminator": "\n"}


_count = number("a whole number ≥ 0", lambda v: v >= 0, int)


def add_ccf_options(p: argparse.ArgumentParser, window: bool = True, lag: bool = True) -> None:
    """Lag, window and increment in seconds (rMEA's lagSec, winSec, incSec)."""
    if lag:
        p.add_argument(
            "--lag",
            type=seconds_or_zero,
            default=5.0,
            help="maximum lag L, s (default 5)",
        )
    if window:
        p.add_argument("--window", type=seconds, default=60.0, help="window W, s (default 60)")
    p.add_argument("--increment", type=seconds, default=30.0, help="window step I, s (default 30)")


def add_preprocessing_options(p: argparse.ArgumentParser) -> None:
    """SCIENCE.md §6's optional pre-processing (off by default)."""
    p.add_argument(
        "--artefact-sd",
        type=positive,
        default=None,
        metavar="K",
        help="mark samples above K standard deviations of their series as missing (artefacts)",
    )
    p.add_argument(
        "--smooth", type=seconds, default=None, metavar="S", help="moving average of S seconds"
    )
    p.add_argument("--scale", action="store_true", help="z-scale each series")


def preprocessing_of(args: argparse.Namespace):
    from ..movement.preprocess import Preprocessing

    return Preprocessing(args.artefact_sd, args.smooth, args.scale)


def register(sub) -> None:
    p = add_command(
        sub,
        "movement-sync",
        "movement synchrony of motion tables: windowed lagged cross-correlation, pseudosynchrony",
        [
            "movement-sync motion.csv -o movement.csv",
            "movement-sync motion.csv --phases coded/ --table ccf_table.csv -o movement.csv",
            "movement-sync motion.csv --surrogates 100 --seed 1 -o movement.csv",
            "movement-sync motion.csv --surrogates 200 --surrogate-kind segments --segment 30",
            "movement-sync motion.csv --lag 3 --window 30 --increment 15 --no-fisher-z --signed",
        ],
        description="Windowed lagged cross-correlation of each session's 'infant' and "
        "'caregiver' motion (SCIENCE.md §6; rMEA's MEAccf: Kleinbub & Ramseyer, 2020): windows "
        "of W s every I s, lags −L … L s (positive: the caregiver follows the infant), Pearson r "
        "with missing values dropped pairwise, Fisher's z clipped at ±10, absolute values. "
        "Writes one summary row per session (phase 'all') and, with --phases, per Still-Face "
        "phase (windows wholly inside it): session, phase, n_windows, grand_average, lag_zero, "
        "infant_leads, caregiver_leads, best_lag_s; with --surrogates also surrogate_mean, "
        "surrogate_sd, effect_size_d, p_surrogate (pseudosynchrony). --table writes every "
        "window × lag: session, window, start_s, end_s, lag_s, value. Pre-processing (off by "
        "default: --artefact-sd, --smooth, --scale) is named in a 'preprocessing' column.",
    )
    p.add_argument(
        "files", nargs="+", metavar="MOTION", help="motion tables (synchrony-coder motion)"
    )
    add_ccf_options(p)
    add_preprocessing_options(p)
    p.add_argument("--no-fisher-z", action="store_true", help="report r, not Fisher's z")
    p.add_argument("--signed", action="store_true", help="keep the sign (default: absolute values)")
    p.add_argument(
        "--phases",
        action="append",
        default=[],
        metavar="EVENTS",
        help="coded events file or folder whose phase tier splits the summary by phase",
    )
    p.add_argument("--scheme", default=None, help="scheme of the --phases files (default: default)")
    p.add_argument(
        "--surrogates",
        type=_count,
        default=0,
        metavar="N",
        help="surrogate dyads (or shuffles) per session for pseudosynchrony (default 0: none)",
    )
    p.add_argument("--seed", type=int, default=None, help="seed of the surrogate draws")
    p.add_argument(
        "--surrogate-kind",
        choices=("dyads", "segments"),
        default="dyads",
        help="dyads: infant of one session with caregiver of another (default); segments: the "
        "caregiver's series shuffled in segments",
    )
    p.add_argument(
        "--segment",
        type=seconds,
        default=30.0,
        help="segment length for --surrogate-kind segments, s (default 30)",
    )
    p.add_argument(
        "--table",
        default=None,
        metavar="TABLE",
        help="write the window × lag table here (a row's start_s…end_s spans the window and the "
        "lag it reads: W + L s)",
    )
    p.add_argument("-o", "--output", default=None, help="write the summary here instead of stdout")
    p.set_defaults(handler=run_movement)


def settings_of(args: argparse.Namespace):
    from ..movement import CcfSettings

    return CcfSettings(
        lag_s=5.0 if args.lag is None else args.lag,
        window_s=60.0 if args.window is None else args.window,
        increment_s=args.increment,
        fisher_z=not getattr(args, "no_fisher_z", False),
        absolute=not getattr(args, "signed", False),
    )


def read_phases(items: list[str], scheme_name: str | None):
    """The phase intervals of the coded events files (None when no file is given)."""
    if not items:
        return None
    from ..movement import phase_intervals
    from ..scheme import load_scheme
    from .metrics import EventsInputError, read_corpus

    scheme = load_scheme(scheme_name)
    if not scheme.roles.phase:
        raise EventsInputError(f"scheme {scheme.name!r} has no phase tier to split by")
    return phase_intervals(read_corpus(items, scheme), scheme.roles.phase)


def run_movement(args: argparse.Namespace) -> int:
    import numpy as np

    from ..motion import read_motion
    from ..movement import ccf_table, dyads, pseudosynchrony, session_ccf, summarise
    from ..movement.preprocess import preprocess

    settings = settings_of(args)
    phases = read_phases(args.phases, args.scheme)
    steps = preprocessing_of(args)
    pairs = [preprocess(d, steps) for d in dyads(read_motion(args.files))]
    ccfs = [session_ccf(d, settings) for d in pairs]
    summary = summarise(ccfs, phases)
    if args.surrogates:
        seed = args.seed
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**31)
            print(f"surrogates drawn with --seed {seed}", file=sys.stderr)
        summary = pseudosynchrony(
            pairs,
            summary,
            settings,
            args.surrogates,
            seed,
            args.surrogate_kind,
            args.segment,
            phases,
        )
    _say_what_is_empty(summary, settings, len(pairs), args)
    if steps.describe():
        summary["preprocessing"] = steps.describe()
    if args.table:
        emit(ccf_table(ccfs).to_csv(**CSV), args.table)
    emit(summary.to_csv(**CSV), args.output)
    return EXIT_OK


def _say_what_is_empty(summary, settings, n_sessions: int, args: argparse.Namespace) -> None:
    """One line on stderr for each reason rows of the summary are left empty."""
    empty = summary[summary["n_windows"] == 0]
    if len(empty):
        need = settings.window_s + settings.lag_s
        which = ", ".join(f"{r.session} {r.phase}" for r in empty.head(4).itertuples())
        more = f" and {len(empty) - 4} more" if len(empty) > 4 else ""
        print(
            f"{len(empty)} of {len(summary)} rows have no window ({which}{more}): a window "
            f"reads {need:g} s of motion (--window {settings.window_s:g} plus --lag "
            f"{settings.lag_s:g}) inside the session or phase; a shorter --window gives some",
            file=sys.stderr,
        )
    if args.surrogates and args.surrogate_kind == "dyads" and n_sessions < 2:
        print(
            f"surrogate dyads pair one session's infant with another's caregiver: {n_sessions} "
            "session given, so the surrogate columns are empty; give more sessions, or use "
            "--surrogate-kind segments",
            file=sys.stderr,
        )


def run_movement_plot(args: argparse.Namespace) -> int:
    """``plot --kind movement``: one session of motion tables as a figure."""
    from ..motion import read_motion
    from ..movement import dyads, session_ccf
    from ..movement.plots import movement_figure, save
    from ..movement.preprocess import preprocess
    from ..scheme import load_scheme
    from .metrics import EventsInputError

    motion = read_motion(args.files)
    sessions = list(dict.fromkeys(motion["session"]))
    session = (
        args.session if args.session is not None else sessions[0] if len(sessions) == 1 else None
    )
    if session not in sessions:
        listed = ", ".join(sessions[:8]) + (
            f", ... ({len(sessions)} in all)" if len(sessions) > 8 else ""
        )
        what = f"no session {session!r} in" if session else f"{len(sessions)} sessions in"
        raise EventsInputError(
            f"{what} the motion tables (choose one with --session; found: {listed})"
        )
    steps = preprocessing_of(args)
    dyad = preprocess(dyads(motion[motion["session"] == session])[0], steps)
    rows = motion[motion["session"] == session].assign(infant=dyad.infant, caregiver=dyad.caregiver)
    settings = settings_of(args)
    ccf = session_ccf(dyad, settings)
    phases = read_phases(args.phases, args.scheme)
    colours = None
    if phases is not None:
        phases = phases[phases["session"] == session]
        scheme = load_scheme(args.scheme)
        colours = {c.name: c.color for c in scheme.tier(scheme.roles.phase).codes}
    figure = movement_figure(rows, ccf, settings, phases, colours, steps.describe())
    save(figure, args.output)
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK
