"""The coded-events table (SCIENCE.md §1): read, validate and write tidy CSVs, one row per event.

Columns, in order: ``session, coder, tier, code, onset_s, offset_s``; optional ``onset_frame,
offset_frame, modifiers, comment``; unknown extra columns are kept. A state event covers
``[onset_s, offset_s)``; a point event has an empty ``offset_s``. Times are seconds with millisecond
precision and round-trip exactly.

Validation happens here, once, at the edge: every problem is a :class:`Problem` naming the file, the
line and the column; :func:`read_events` raises :class:`EventsFileError` carrying all of them.

Modules: :mod:`.rules` (columns, :class:`Problem`, the words of every rule, :func:`check_rows`),
:mod:`.csv_text` (CSV text to string columns, by the fastest reader that reads what the csv module
would) and :mod:`.checks` (every rule over a whole table at once).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from ..scheme import Scheme
from ..storage import atomic_write_text  # writers import it from here too
from .checks import _typed
from .csv_text import _split
from .rules import (
    _FRAMES,
    _TEXT,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    EventsFileError,
    Problem,
    check_rows,
    overlap_message,
)

__all__ = [
    "EventsFileError",
    "OPTIONAL_COLUMNS",
    "Problem",
    "REQUIRED_COLUMNS",
    "check_events",
    "check_rows",
    "check_table",
    "empty_events",
    "format_events",
    "overlap_message",
    "read_events",
    "write_events",
]


def empty_events() -> pd.DataFrame:
    """An events table with no rows and the required columns with their dtypes."""
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in _TEXT})
    df["onset_s"] = pd.Series(dtype=float)
    df["offset_s"] = pd.Series(dtype=float)
    return df


def read_events(
    path_or_paths: str | Path | Iterable[str | Path], scheme: Scheme | None = None
) -> pd.DataFrame:
    """Read one or more coded-events CSV files into one tidy table.

    Parameters
    ----------
    path_or_paths
        A CSV file, a folder (all ``*.csv`` inside, sorted), or several of either.
    scheme
        When given, tiers and codes must belong to it, point/state rules are enforced and exclusive
        state tiers must not overlap (SCIENCE.md §1).

    Returns
    -------
    pandas.DataFrame
        Columns ``session, coder, tier, code`` (str), ``onset_s, offset_s`` (float seconds, NaN
        offset for point events), then any optional and extra columns of the files.

    Raises
    ------
    EventsFileError
        With every problem found, each naming file, line and column.
    """
    frames, problems = [], []
    for path in _expand(path_or_paths):
        df, found = check_events(path, scheme)
        problems.extend(found)
        if df is not None:
            frames.append(df)
    if problems:
        raise EventsFileError(problems)
    if not frames:
        return empty_events()
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True, sort=False)
    for col in out.columns:
        if col not in ("onset_s", "offset_s", *_FRAMES):
            out[col] = out[col].fillna("")
    return out


def _expand(path_or_paths: str | Path | Iterable[str | Path]) -> list[Path]:
    items = [path_or_paths] if isinstance(path_or_paths, str | Path) else list(path_or_paths)
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        paths.extend(sorted(p.glob("*.csv")) if p.is_dir() else [p])
    return paths


def check_events(
    path: str | Path, scheme: Scheme | None = None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse and validate one events file; never raises for bad content.

    Returns
    -------
    (table, problems)
        ``table`` is None when the file could not be parsed into rows at all.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [Problem(name, None, None, f"cannot read file: {exc.strerror or exc}")]
    if not raw.strip():
        return None, [
            Problem(
                name,
                None,
                None,
                "file is empty (expected a CSV header: " + ",".join(REQUIRED_COLUMNS) + ")",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [
            Problem(
                name,
                None,
                None,
                f"not a UTF-8 text CSV file (undecodable byte at offset {exc.start})",
            )
        ]
    if "\x00" in text:
        return None, [
            Problem(name, None, None, "not a text CSV file (contains NUL bytes; binary data?)")
        ]
    return _check_text(text, name, scheme)


def _check_text(
    text: str, name: str, scheme: Scheme | None, fast: bool = True
) -> tuple[pd.DataFrame | None, list[Problem]]:
    raw, lines, strip, problems = _split(text, name, fast)
    if raw is None:
        return None, problems
    df, found = _typed(raw, lines, name, scheme, strip=strip)
    problems = sorted(problems + found, key=lambda p: p.row or 0)
    return df, problems


def check_table(df: pd.DataFrame, scheme: Scheme, name: str = "<table>") -> list[Problem]:
    """Validate an in-memory events table with the same rules as a file (rows numbered from 2)."""
    raw = _numbers_as_text(df).astype(str)
    _, problems = _typed(raw.reset_index(drop=True), np.arange(2, len(raw) + 2), name, scheme)
    return problems


def format_events(df: pd.DataFrame) -> str:
    """The table as CSV text: required columns first, times with millisecond precision."""
    out = _numbers_as_text(df)
    cols = list(REQUIRED_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in out.columns]
    cols += [c for c in out.columns if c not in cols and not str(c).startswith("_")]
    fields = [_quoted(pd.Series([str(c) for c in cols], dtype=object))]
    table = [_quoted(out[c].astype(str)) for c in cols]
    lines = [",".join(fields[0])]
    if len(out):
        joined = table[0]
        for col in table[1:]:
            joined = joined + "," + col
        lines.extend(joined.tolist())
    return "\n".join(lines) + "\n"


def _numbers_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with times as millisecond text and frames as whole numbers ("" where missing)."""
    out = df.copy()
    for col in ("onset_s", "offset_s"):
        out[col] = [("" if pd.isna(v) else f"{float(v):.3f}") for v in out[col]]
    for col in _FRAMES:
        if col in out.columns:
            out[col] = ["" if pd.isna(v) else str(int(v)) for v in out[col]]
    return out


def _quoted(s: pd.Series) -> pd.Series:
    """CSV-quote the fields that need it (also a lone carriage return, which ``csv`` leaves bare)."""
    needs = s.str.contains(r'[",\r\n]', regex=True)
    return s.where(~needs, '"' + s.str.replace('"', '""', regex=False) + '"')


def write_events(df: pd.DataFrame, path: str | Path | TextIO) -> None:
    """Write an events table as CSV, atomically when ``path`` is a file path.

    The text goes to a temporary file in the same folder, is flushed and fsynced, then renamed over
    ``path`` (and the folder fsynced), so a crash leaves either the old file or the new one, never a
    half-written file. ``"-"`` or a text stream writes to that stream.
    """
    text = format_events(df)
    if path == "-":
        sys.stdout.write(text)
        return
    if not isinstance(path, str | Path):
        path.write(text)
        return
    atomic_write_text(Path(path), text)
