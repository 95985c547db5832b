"""``synchrony-coder gui`` and ``synchrony-coder demo``: the coding app."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from . import add_command


def register(sub) -> None:
    p = add_command(
        sub,
        "gui",
        "open the coding app (the default command)",
        [
            "gui",
            "gui sessions/s01 --coder alice",
            "gui cam_a.mp4 cam_b.mp4 --scheme contingency --coder bob",
        ],
        description=(
            "Open the coding app on a session folder (with session.toml, or videos + coder CSVs) "
            "or on video files. A coder's events are kept in coder_NAME.csv in the folder; "
            "reopening resumes them, and unsaved changes survive a crash."
        ),
    )
    p.add_argument(
        "paths", nargs="*", metavar="SESSION_DIR|VIDEO", help="a session folder or videos"
    )
    p.add_argument(
        "--scheme", default=None, help="scheme file or bundled name (default: the session's)"
    )
    p.add_argument("--coder", default=None, help="your coder name (default: the last one used)")
    p.add_argument(
        "--compare", default=None, metavar="CODER|CSV", help="show a second coder's events"
    )
    p.set_defaults(handler=run_gui_command)

    d = add_command(
        sub,
        "demo",
        "open a copy of the bundled sample session in the coding app",
        ["demo", "demo --coder me", "demo --compare bob"],
        description=(
            "Copy the bundled sample session s01 to a temporary folder and open it, coded by alice "
            "(or --coder), so nothing you do changes the bundled files."
        ),
    )
    d.add_argument("--coder", default="alice", help="whose events to open (default: alice)")
    d.add_argument("--compare", default=None, metavar="CODER", help="show a second coder, e.g. bob")
    d.add_argument(
        "--into", default=None, metavar="DIR", help="copy into DIR instead of a temp folder"
    )
    d.set_defaults(handler=run_demo)


def run_gui_command(args: argparse.Namespace) -> int:
    from ..gui.app import run_gui

    return run_gui(args.paths, coder=args.coder, scheme=args.scheme, compare=args.compare)


def demo_copy(into: str | Path | None = None) -> Path:
    """A fresh copy of the bundled sample session ``s01``; returns its folder."""
    from ..scheme import bundled_path
    from ..session import SessionError
    from ..storage import copy_file

    try:
        source = bundled_path("sample_sessions") / "s01"
    except FileNotFoundError:
        source = Path("/nonexistent")
    if not source.is_dir():
        raise SessionError("the bundled sample session s01 is missing from this installation")
    parent = Path(into) if into else Path(tempfile.mkdtemp(prefix="synchrony-demo-"))
    target = parent / "s01"
    for path in sorted(source.rglob("*")):
        if path.is_file():
            copy_file(path, target / path.relative_to(source))
    return target


def run_demo(args: argparse.Namespace) -> int:
    from ..gui.app import run_gui

    folder = demo_copy(args.into)
    return run_gui(
        [folder],
        coder=args.coder,
        compare=args.compare,
        banner=f"Demo: a copy of the sample session in {folder}. Your edits change only this copy.",
    )
