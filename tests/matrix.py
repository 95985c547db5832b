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
    lines = [
        "# Fault matrix",
        "",
        "Each cell: how many injections of that fault at that operation ran (each one passing every "
        "check: nothing saved damaged, no edit lost, the coder told), then what happened.",
        "Written by `SYNCHRONY_FAULT_MATRIX=docs/fault-matrix.md pytest tests/test_faults.py "
        "tests/test_faults_cli.py`.",
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
            total = sum(seen.values())
            what = "<br>".join(f"{n}× {o}" for o, n in sorted(seen.items()))
            cells.append(f"**{total} ✓**<br>{what}")
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@atexit.register
def _write() -> None:
    out = os.environ.get("SYNCHRONY_FAULT_MATRIX")
    if out and _SEEN:
        Path(out).write_text(markdown(), encoding="utf-8")
