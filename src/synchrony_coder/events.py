"""The coded-events table (SCIENCE.md §1): read, validate and write tidy CSVs, one row per event.

Columns, in order: ``session, coder, tier, code, onset_s, offset_s``; optional ``onset_frame,
offset_frame, modifiers, comment``; unknown extra columns are kept. A state event covers
``[onset_s, offset_s)``; a point event has an empty ``offset_s``. Times are seconds with millisecond
precision and round-trip exactly.

Validation happens here, once, at the edge: every problem is a :class:`Problem` naming the file, the
line and the column; :func:`read_events` raises :class:`EventsFileError` carrying all of them.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from .errors import DataError
from .scheme import Scheme

__all__ = [
    "EventsFileError",
    "OPTIONAL_COLUMNS",
    "Problem",
    "REQUIRED_COLUMNS",
    "check_events",
    "check_table",
    "empty_events",
    "format_events",
    "read_events",
    "write_events",
]

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

    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    lines: list[int] = []
    try:
        start = 1
        for rec in reader:
            if rec and any(f.strip() for f in rec):
                records.append(rec)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        return None, [Problem(name, reader.line_num, None, f"malformed CSV: {exc}")]
    if not records:
        return None, [Problem(name, None, None, "file is empty (no header row)")]

    header = [h.strip() for h in records[0]]
    header_line = lines[0]
    if len(header) == 1:
        for sep, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in header[0]:
                return None, [
                    Problem(
                        name,
                        header_line,
                        "header",
                        f"columns are {label}-separated; expected commas ({','.join(REQUIRED_COLUMNS)})",
                    )
                ]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        return None, [
            Problem(name, header_line, "header", f"duplicate column(s): {', '.join(dupes)}")
        ]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return None, [
            Problem(
                name,
                header_line,
                "header",
                f"missing required column(s): {', '.join(missing)} (found: {','.join(header)})",
            )
        ]

    problems: list[Problem] = []
    rows, row_lines = [], []
    for rec, line in zip(records[1:], lines[1:], strict=True):
        if len(rec) != len(header):
            problems.append(
                Problem(name, line, None, f"has {len(rec)} fields, the header has {len(header)}")
            )
            continue
        rows.append(rec)
        row_lines.append(line)
    raw_df = (
        pd.DataFrame(rows, columns=header, dtype=object)
        if rows
        else pd.DataFrame(columns=header, dtype=object)
    )
    df, found = _typed(raw_df, np.asarray(row_lines, dtype=np.int64), name, scheme)
    problems.extend(found)
    problems.sort(key=lambda p: p.row or 0)
    return df, problems


def _typed(
    raw: pd.DataFrame, lines: np.ndarray, name: str, scheme: Scheme | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert string columns to the table's dtypes and check every rule, vectorised over rows."""
    problems: list[Problem] = []

    def flag(mask: np.ndarray, column: str, message) -> None:
        for i in np.flatnonzero(mask):
            problems.append(
                Problem(name, int(lines[i]), column, message(i) if callable(message) else message)
            )

    df = raw.copy()
    for col in df.columns:
        df[col] = (
            df[col].astype(str).str.strip()
            if col in (*REQUIRED_COLUMNS, *_FRAMES)
            else df[col].astype(str)
        )
    for col in _TEXT:
        flag((df[col] == "").to_numpy(), col, "is empty")

    times = {}
    for col in ("onset_s", "offset_s"):
        s = df[col]
        empty = (s == "").to_numpy()
        num = pd.to_numeric(s.where(~empty), errors="coerce").to_numpy(dtype=float)
        bad = ~empty & ~np.isfinite(num)
        flag(bad, col, lambda i, s=s: f"{s.iat[i]!r} is not a finite number of seconds")
        neg = np.isfinite(num) & (num < 0)
        flag(
            neg,
            col,
            lambda i, num=num: f"{num[i]:g} is negative (times count from the first frame, 0.0)",
        )
        num = np.where(bad | neg, np.nan, np.round(num, 3))
        times[col] = num
        if col == "onset_s":
            flag(empty, col, "is empty (every event needs an onset)")
    onset, offset = times["onset_s"], times["offset_s"]
    df["onset_s"], df["offset_s"] = onset, offset
    off_empty = (raw["offset_s"].astype(str).str.strip() == "").to_numpy()

    for col in _FRAMES:
        if col in df.columns:
            s = df[col]
            empty = (s == "").to_numpy()
            num = pd.to_numeric(s.where(~empty), errors="coerce").to_numpy(dtype=float)
            bad = ~empty & ~(np.isfinite(num) & (num >= 0) & (num == np.round(num)))
            flag(bad, col, lambda i, s=s: f"{s.iat[i]!r} is not a frame index (a whole number ≥ 0)")
            df[col] = pd.array(np.where(bad | empty, np.nan, num), dtype="Float64").astype("Int64")

    both = np.isfinite(onset) & np.isfinite(offset)
    state = np.ones(len(df), dtype=bool)  # without a scheme: any offset given must follow the onset
    if scheme is not None:
        tier_of = {t.name: t for t in scheme.tiers}
        tiers = df["tier"].to_numpy(dtype=object)
        codes = df["code"].to_numpy(dtype=object)
        known = np.array([t in tier_of for t in tiers], dtype=bool)
        flag(
            ~known & (df["tier"] != "").to_numpy(),
            "tier",
            lambda i: (
                f"unknown tier {tiers[i]!r} (scheme {scheme.name!r} has: {', '.join(scheme.tier_names)})"
            ),
        )
        good_code = np.array(
            [
                t in tier_of and c in tier_of[t].code_names
                for t, c in zip(tiers, codes, strict=True)
            ],
            dtype=bool,
        )
        flag(
            known & ~good_code & (df["code"] != "").to_numpy(),
            "code",
            lambda i: (
                f"unknown code {codes[i]!r} for tier {tiers[i]} (known: {', '.join(tier_of[tiers[i]].code_names)})"
            ),
        )
        state = np.array([t in tier_of and tier_of[t].is_state for t in tiers], dtype=bool)
        point = known & ~state
        flag(point & ~off_empty, "offset_s", lambda i: f"must be empty: {tiers[i]} is a point tier")
        flag(
            state & off_empty,
            "offset_s",
            lambda i: f"is empty: {tiers[i]} is a state tier and needs an offset",
        )
    flag(
        state & both & (offset <= onset),
        "offset_s",
        lambda i: f"{offset[i]:.3f} is not after onset_s {onset[i]:.3f}",
    )

    if scheme is not None and len(df):
        exclusive = {t.name for t in scheme.tiers if t.is_state and t.exclusive}
        cand = df.index[df["tier"].isin(exclusive).to_numpy() & both & (offset > onset)]
        if len(cand):
            sub = df.loc[cand, ["session", "coder", "tier", "code", "onset_s", "offset_s"]].copy()
            sub["_line"] = lines[cand]
            sub = sub.sort_values(["session", "coder", "tier", "onset_s", "_line"], kind="stable")
            same = (
                (sub[["session", "coder", "tier"]].shift() == sub[["session", "coder", "tier"]])
                .all(axis=1)
                .to_numpy()
            )
            prev_end = (
                sub.groupby(["session", "coder", "tier"], sort=False)["offset_s"]
                .cummax()
                .shift()
                .to_numpy()
            )
            prev_line = sub["_line"].shift().to_numpy()
            over = same & (sub["onset_s"].to_numpy() < prev_end)
            for k in np.flatnonzero(over):
                r = sub.iloc[k]
                problems.append(
                    Problem(
                        name,
                        int(r["_line"]),
                        "onset_s",
                        f"{r['onset_s']:.3f} overlaps an earlier {r['tier']} event (ending {prev_end[k]:.3f}, line ≤ {int(prev_line[k])}) in exclusive tier {r['tier']}",
                    )
                )
    cols = list(REQUIRED_COLUMNS) + [c for c in df.columns if c not in REQUIRED_COLUMNS]
    return df[cols].reset_index(drop=True), problems


def check_table(df: pd.DataFrame, scheme: Scheme, name: str = "<table>") -> list[Problem]:
    """Validate an in-memory events table with the same rules as a file (rows numbered from 2)."""
    raw = df.copy()
    for col in ("onset_s", "offset_s"):
        raw[col] = [("" if pd.isna(v) else f"{float(v):.3f}") for v in raw[col]]
    for col in _FRAMES:
        if col in raw.columns:
            raw[col] = ["" if pd.isna(v) else str(int(v)) for v in raw[col]]
    raw = raw.astype(str)
    _, problems = _typed(raw.reset_index(drop=True), np.arange(2, len(raw) + 2), name, scheme)
    return problems


def format_events(df: pd.DataFrame) -> str:
    """The table as CSV text: required columns first, times with millisecond precision."""
    out = df.copy()
    for col in ("onset_s", "offset_s"):
        out[col] = [("" if pd.isna(v) else f"{float(v):.3f}") for v in out[col]]
    for col in _FRAMES:
        if col in out.columns:
            out[col] = ["" if pd.isna(v) else str(int(v)) for v in out[col]]
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


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically and durably (temp file, fsync, rename, fsync dir)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file owner-only; give it the mode a plain open() would (or the old file's)
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
