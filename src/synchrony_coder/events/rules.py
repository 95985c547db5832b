"""The rules of the events table (SCIENCE.md §1): its columns, what a problem is, the words of
every rule, and the check of single rows (an edit in the app)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from ..errors import DataError
from ..scheme import Scheme

REQUIRED_COLUMNS: tuple[str, ...] = ("session", "coder", "tier", "code", "onset_s", "offset_s")
OPTIONAL_COLUMNS: tuple[str, ...] = ("onset_frame", "offset_frame", "modifiers", "comment")
_TEXT = ("session", "coder", "tier", "code")
_FRAMES = ("onset_frame", "offset_frame")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an events file: ``FILE:ROW: column: what is wrong``."""

    path: str
    row: int | None  # line number in the file (the header is line 1)
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.row is None else f"{self.path}:{self.row}"
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


class EventsFileError(DataError):
    """An events file (or table) breaks the rules of SCIENCE.md §1; holds every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        self.path, self.row, self.column, self.message = (
            first.path,
            first.row,
            first.column,
            first.message,
        )
        more = len(self.problems) - 1
        super().__init__(
            str(first) + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")
        )


class EventFields(Protocol):
    """What :func:`check_rows` reads of an event (``offset_s``/frames ``None`` when empty)."""

    tier: str
    code: str
    onset_s: float
    offset_s: float | None
    onset_frame: int | None
    offset_frame: int | None


def check_rows(
    rows: Iterable[tuple[int, EventFields]], scheme: Scheme, name: str = "<table>"
) -> list[Problem]:
    """The problems :func:`check_table` reports for some rows of a table, in its order.

    For checking an edit without re-reading the whole table: ``rows`` pairs each event with its
    line (the header is line 1). Rules and messages are :func:`check_table`'s, which reports
    check by check, each in line order; overlaps in exclusive tiers involve the tier's other
    events and come last there (:func:`overlap_message` words them). The session and coder
    columns are the caller's own and not checked here.
    """
    found = [
        (rank, line, problem)
        for line, ev in rows
        for rank, problem in enumerate(_row_problems(line, ev, scheme, name))
        if problem is not None
    ]
    found.sort(key=lambda f: (f[0], f[1]))
    return [problem for _, _, problem in found]


def _row_problems(line: int, ev: EventFields, scheme: Scheme, name: str) -> list[Problem | None]:
    """One row's problems, check by check in the order of :func:`_typed` (None: that check holds)."""

    def problem(ok: bool, column: str, message: str) -> Problem | None:
        return None if ok else Problem(name, line, column, message)

    tier, code = str(ev.tier).strip(), str(ev.code).strip()
    out = [problem(tier != "", "tier", "is empty"), problem(code != "", "code", "is empty")]
    times = {}
    for column, value in (("onset_s", ev.onset_s), ("offset_s", ev.offset_s)):
        text = "" if value is None or pd.isna(value) else f"{float(value):.3f}"
        num = float(text) if text else math.nan
        bad, neg = bool(text) and not math.isfinite(num), math.isfinite(num) and num < 0
        out += [
            problem(not bad, column, _not_seconds(text)),
            problem(not neg, column, _negative(num)),
        ]
        if column == "onset_s":
            out.append(problem(bool(text), column, NO_ONSET))
        times[column] = math.nan if bad or neg else round(num, 3)
    for column, value in (("onset_frame", ev.onset_frame), ("offset_frame", ev.offset_frame)):
        text = "" if value is None or pd.isna(value) else str(int(value))
        out.append(problem(not text or int(text) >= 0, column, _not_frame(text)))
    onset, offset = times["onset_s"], times["offset_s"]
    known = scheme.has_tier(tier)
    state = known and scheme.tier(tier).is_state
    good_code = known and code in scheme.tier(tier).code_names
    off_empty = ev.offset_s is None or pd.isna(ev.offset_s)
    both = math.isfinite(onset) and math.isfinite(offset)
    return [
        *out,
        problem(known or tier == "", "tier", _unknown_tier(tier, scheme)),
        problem(not known or good_code or code == "", "code", _unknown_code(code, tier, scheme)),
        problem(state or not known or off_empty, "offset_s", _point_offset(tier)),
        problem(not (state and off_empty), "offset_s", _state_offset(tier)),
        problem(not (state and both and offset <= onset), "offset_s", _not_after(onset, offset)),
    ]


NO_ONSET = "is empty (every event needs an onset)"


def _not_seconds(text: str) -> str:
    return f"{text!r} is not a finite number of seconds"


def _negative(seconds: float) -> str:
    return f"{seconds:g} is negative (times count from the first frame, 0.0)"


def _not_frame(text: str) -> str:
    return f"{text!r} is not a frame index (a whole number ≥ 0)"


def _unknown_tier(tier: str, scheme: Scheme) -> str:
    return f"unknown tier {tier!r} (scheme {scheme.name!r} has: {', '.join(scheme.tier_names)})"


def _unknown_code(code: str, tier: str, scheme: Scheme) -> str:
    if not scheme.has_tier(tier):
        return ""
    return (
        f"unknown code {code!r} for tier {tier} (known: {', '.join(scheme.tier(tier).code_names)})"
    )


def _point_offset(tier: str) -> str:
    return f"must be empty: {tier} is a point tier"


def _state_offset(tier: str) -> str:
    return f"is empty: {tier} is a state tier and needs an offset"


def _not_after(onset: float, offset: float) -> str:
    return f"{offset:.3f} is not after onset_s {onset:.3f}"


def overlap_message(onset: float, tier: str, prev_end: float, prev_line: int) -> str:
    """The words of the exclusive-tier overlap rule (SCIENCE.md §1) for the event at ``onset``."""
    return (
        f"{onset:.3f} overlaps an earlier {tier} event (ending {prev_end:.3f}, line ≤ "
        f"{prev_line}) in exclusive tier {tier}"
    )


def _str_dtype():
    """The dtype pandas gives text now (Arrow-backed ``str``, or object: an option decides)."""
    return pd.Series([], dtype=str).dtype
