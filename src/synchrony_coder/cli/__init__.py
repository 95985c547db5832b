"""The ``synchrony-coder`` command: one subcommand per module of this package.

Every module here that defines ``register(subparsers)`` adds its subcommand(s); heavy imports (Qt,
video, plotting) happen inside the handlers so that ``--help`` and light commands start fast.
Conventions for every subcommand: ``--help`` with examples, ``-o/--output``, tidy CSV on stdout by
default, exit status 0 (ok), 1 (data problem), 2 (usage), errors on stderr as one line.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import DataError

PROG = "synchrony-coder"
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: usage error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Code caregiver-infant interaction video; measure contingency, synchrony, repair and reliability.",
        epilog="Run without a command to open the coding app. Examples:\n"
        "  synchrony-coder demo\n  synchrony-coder validate coded/*.csv\n  synchrony-coder metrics coded/ -o metrics.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def add_command(
    sub, name: str, help: str, examples: Sequence[str], description: str | None = None
) -> argparse.ArgumentParser:
    """Add a subcommand whose ``--help`` ends with examples."""
    return sub.add_parser(
        name,
        help=help,
        description=description or help,
        epilog="examples:\n" + "\n".join(f"  {PROG} {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def number(need: str, ok: Callable[[float], bool], kind: type = float) -> Callable[[str], float]:
    """argparse type: a finite ``kind`` (float or int) for which ``ok`` holds, else one usage line
    saying that it must be ``need``."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and ok(value)):
            raise argparse.ArgumentTypeError(f"{text!r} must be {need}")
        return value

    return parse


seconds = number("a number of seconds > 0", lambda v: v > 0)
seconds_or_zero = number("a number of seconds ≥ 0", lambda v: v >= 0)
positive = number("a number > 0", lambda v: v > 0)
positive_int = number("a whole number ≥ 1", lambda v: v >= 1, int)


def emit(text: str, output: str | None) -> None:
    """Write a command's result to ``output`` (atomically) or, when None or ``-``, to stdout."""
    if output in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from ..storage import atomic_write_text

    atomic_write_text(Path(output), text)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        argv = ["gui"]
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.handler(args) or 0)
    except DataError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for the user, unless asked
        if os.environ.get("SYNCHRONY_DEBUG"):
            raise
        print(
            f"{PROG}: error: {type(exc).__name__}: {exc} (set SYNCHRONY_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_DATA


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
