"""The fault matrix: operation × fault → what happened, collected from the fault-injection tests.

Set ``SYNCHRONY_FAULT_MATRIX`` to a file name and the tests write the matrix there (Markdown) when
the test process ends.
"""

from __future__ import annotations

import atexit
import os
from collections import Counter, defaultdict
from pathlib import Path

from faultfs import FAULTS, OPS

_SEEN: dict[tuple[str, str], Counter] = defaultdict(Counter)


def record(op: str, fault: str, outcome: str) -> None:
    """One injection at ``op`` with ``fault`` passed every check, ending in ``outcome``."""
    _SEEN[(op, fault)][outcome] += 1


def markdown() -> str:
    """The matrix: a cell counts the injections there and lists what happened (legend below)."""
    outcomes = sorted({o for seen in _SEEN.values() for o in seen})
    letter = {o: chr(ord("A") + k) for k, o in enumerate(outcomes)}
    lines = [
        "# Fault matrix",
        "",
        "Operation × fault → what happened, from "
        "`SYNCHRONY_FAULT_MATRIX=docs/fault-matrix.md pytest tests/test_faults.py "
        "tests/test_faults_cli.py`. Each injection passed every check (nothing saved damaged, "
        "no edit lost, no partial file, the coder told in one sentence). A cell: injections ✓, "
        "then the outcomes seen (letters, legend below). ENOSPC/EACCES/EIO run once and "
        "from then on (a disk that stays full); crash = the process killed before that "
        "operation.",
        "",
        "| operation | " + " | ".join(FAULTS) + " |",
        "|---|" + "---|" * len(FAULTS),
    ]
    for op in OPS:
        cells = []
        for fault in FAULTS:
            seen = _SEEN.get((op, fault))
            if not seen:
                cells.append("n/a" if fault == "short" and op != "write" else "–")
                continue
            codes = " ".join(sorted(letter[o] for o in seen))
            cells.append(f"{sum(seen.values())} ✓ {codes}")
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    lines += ["", "| | outcome | injections |", "|---|---|---|"]
    for o in outcomes:
        n = sum(seen.get(o, 0) for seen in _SEEN.values())
        lines.append(f"| {letter[o]} | {o} | {n} |")
    total = sum(sum(seen.values()) for seen in _SEEN.values())
    return "\n".join([*lines, "", f"{total} injections, all passing."]) + "\n"


@atexit.register
def _write() -> None:
    out = os.environ.get("SYNCHRONY_FAULT_MATRIX")
    if out and _SEEN:
        Path(out).write_text(markdown(), encoding="utf-8")
