"""``synchrony-coder render``: a cartoon video of one session's coded events."""

from __future__ import annotations

import argparse
import re
import sys

from . import EXIT_OK, add_command


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)[xX](\d+)", text)
    if not m or int(m[1]) % 2 or int(m[2]) % 2 or int(m[1]) < 64 or int(m[2]) < 36:
        raise argparse.ArgumentTypeError(f"{text!r}: give WIDTHxHEIGHT, both even, at least 64x36")
    return int(m[1]), int(m[2])


def register(sub) -> None:
    p = add_command(
        sub,
        "render",
        "render coded events as a cartoon video (two faces, gestures, still-face)",
        [
            "render sample_sessions/s01/truth.csv -o s01.mp4",
            "render coded/alice.csv --session s07 -o s07.mp4 --size 320x180",
            "render truth.csv -o cam2.mp4 --view caregiver --offset 0.5",
        ],
        description="Draw one session's engagement codes, bids and responses as two cartoon faces "
        "in an H.264 MP4 (frame-number barcode in the top-left corner).",
    )
    p.add_argument("events", metavar="EVENTS", help="events CSV (SCIENCE.md §1)")
    p.add_argument("-o", "--output", required=True, help="the .mp4 to write")
    p.add_argument("--scheme", default=None, help="scheme file or bundled name (default: default)")
    p.add_argument("--session", default=None, help="session to render when the file holds several")
    p.add_argument("--coder", default=None, help="coder to render when the file holds several")
    p.add_argument("--view", choices=("dyad", "infant", "caregiver"), default="dyad")
    p.add_argument("--offset", type=float, default=0.0, help="session time of the first frame (s)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--size", type=_size, default=(640, 360), help="WIDTHxHEIGHT (default 640x360)")
    p.add_argument("--no-barcode", action="store_true", help="leave out the frame-number barcode")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..events import read_events
    from ..render import render_session
    from ..scheme import load_scheme

    scheme = load_scheme(args.scheme)
    events = read_events(args.events, scheme)

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} frames", end="" if done < total else "\n", file=sys.stderr)

    path = render_session(
        events,
        args.output,
        session=args.session,
        coder=args.coder,
        fps=args.fps,
        size=args.size,
        scheme=scheme,
        view=args.view,
        offset_s=args.offset,
        barcode=not args.no_barcode,
        progress=progress if sys.stderr.isatty() else None,
    )
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK
