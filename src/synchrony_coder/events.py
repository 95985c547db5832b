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
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from .errors import DataError
from .scheme import Scheme
from .storage import atomic_write_text  # writers import it from here too

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
    return _check_text(text, name, scheme)


def _check_text(
    text: str, name: str, scheme: Scheme | None, fast: bool = True
) -> tuple[pd.DataFrame | None, list[Problem]]:
    arrow = _arrow_table(text) if fast else None
    if arrow is not None:
        raw_df, header_line = arrow
        header = list(raw_df.columns)
        bad_header = _check_header(header, header_line, name)
        if bad_header:
            return None, [bad_header]
        lines = np.arange(len(raw_df), dtype=np.int64) + header_line + 1
        df, problems = _typed(raw_df, lines, name, scheme, strip=True)
        problems.sort(key=lambda p: p.row or 0)
        return df, problems
    plain = _plain_lines(text) if fast else None
    if plain is not None:
        header_fields, lines, strip = plain
        records = None
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
        records, line_list = [], []
        try:
            start = 1
            for rec in reader:
                if rec and "".join(rec).strip():
                    records.append(rec)
                    line_list.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            return None, [Problem(name, reader.line_num, None, f"malformed CSV: {exc}")]
        if not records:
            return None, [Problem(name, None, None, "file is empty (no header row)")]
        header_fields, lines = records[0], np.asarray(line_list, dtype=np.int64)

    header = [h.strip() for h in header_fields]
    bad_header = _check_header(header, int(lines[0]), name)
    if bad_header:
        return None, [bad_header]

    problems: list[Problem] = []
    if records is None:
        # no quotes and every line has the header's number of fields (checked in _plain_lines):
        # pandas' C parser reads exactly what the csv module would, ~10x faster
        raw_df = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=header,
            skiprows=[int(lines[0]) - 1],
            dtype=str,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
        )
        row_lines = lines[1:]
        if len(raw_df) != len(row_lines):  # a line pandas reads differently: take the careful path
            return _check_text(text, name, scheme, fast=False)
    else:
        rows, kept = [], []
        for rec, line in zip(records[1:], lines[1:], strict=True):
            if len(rec) != len(header):
                problems.append(
                    Problem(
                        name,
                        int(line),
                        None,
                        f"has {len(rec)} fields, the header has {len(header)}",
                    )
                )
                continue
            rows.append(rec)
            kept.append(line)
        raw_df = (
            pd.DataFrame(rows, columns=header, dtype=object)
            if rows
            else pd.DataFrame(columns=header, dtype=object)
        )
        row_lines = np.asarray(kept, dtype=np.int64)
        strip = True
    df, found = _typed(raw_df, row_lines, name, scheme, strip=strip)
    problems.extend(found)
    problems.sort(key=lambda p: p.row or 0)
    return df, problems


def _arrow_table(text: str) -> tuple[pd.DataFrame, int] | None:
    """The text read by Arrow's CSV reader (every field a string, on several threads), and the
    header's line, when it reads exactly what the csv module would; otherwise None.

    That is when the text has no quote character, no carriage return and no blank line (so row k
    is line k + 2), every line has the header's number of fields (Arrow refuses others) and no
    row is only blanks (the csv module skips such lines).
    """
    data = text.encode("utf-8")
    if b'"' in data or b"\r" in data or b"\n\n" in data:
        return None
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8")
    header = [h.strip() for h in first.split(",")]
    if len(set(header)) < len(header) or not first.strip():
        return None  # the careful path names the problem
    names = [str(k) for k in range(len(header))]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={h: pa.string() for h in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    # rows the csv module skips: every field blank (as str.strip() sees it), so the first too
    codes, uniques = pd.factorize(table.column(0).to_pandas())
    maybe = np.flatnonzero(np.array([str(u).strip() == "" for u in uniques], dtype=bool)[codes])
    rows = table.take(maybe[:1000]).to_pylist()
    if len(maybe) > 1000 or any(all(not v.strip() for v in row.values()) for row in rows):
        return None
    table = table.rename_columns(header)
    text = _str_dtype()
    if isinstance(text, pd.StringDtype):
        return table.to_pandas(types_mapper=lambda t: text if t == pa.string() else None), 1
    # pandas reads text as Python strings; numbers stay Arrow-backed, for Arrow's cast
    arrow = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.DataFrame(
        {
            h: pd.Series(table.column(k), dtype=arrow)
            if h in (*REQUIRED_COLUMNS[4:], *_FRAMES)
            else table.column(k).to_pandas()
            for k, h in enumerate(header)
        }
    ), 1


_BLANK = np.zeros(256, dtype=bool)  # bytes str.strip() may remove (non-ASCII: possibly)
_BLANK[[9, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_BLANK[128:] = True


def _plain_lines(text: str) -> tuple[list[str], np.ndarray, bool] | None:
    """Header fields, line numbers of the non-blank lines and whether any field may need stripping,
    when the text needs no CSV parser.

    That is when it has no quote character, no carriage return, no line of only commas and blanks,
    and every non-blank line has as many commas as the header; otherwise None (the csv module then
    reads it and names what is wrong).
    """
    if '"' in text or "\r" in text:
        return None
    buf = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    rare = np.flatnonzero((buf < 33) | (buf > 127))  # line ends and blanks, rare in a CSV
    ends = rare[buf[rare] == 10]
    if len(ends) == 0 or ends[-1] != len(buf) - 1:
        ends = np.append(ends, len(buf))
    starts = np.r_[0, ends[:-1] + 1]
    commas = np.flatnonzero(buf == 44)
    blanks = rare[_BLANK[buf[rare]]]
    per_line = np.diff(np.r_[0, np.searchsorted(commas, ends)])
    blank_per_line = np.diff(np.r_[0, np.searchsorted(blanks, ends)])
    empty = ends == starts
    content = (ends - starts) - per_line - blank_per_line > 0
    if (~empty & ~content).any() or empty.all():
        return None
    first = int(np.flatnonzero(~empty)[0])
    n_fields = int(per_line[first]) + 1
    if not (empty | (per_line == n_fields - 1)).all():
        return None
    header = bytes(buf[starts[first] : ends[first]]).decode("utf-8").split(",")
    # a blank next to a comma or a line end starts or ends a field
    edge = np.zeros(len(buf) + 2, dtype=bool)
    edge[np.r_[commas, ends, starts - 1] + 1] = True
    needs_strip = bool(len(blanks)) and bool((edge[blanks] | edge[blanks + 2]).any())
    return header, np.flatnonzero(~empty).astype(np.int64) + 1, needs_strip


def _check_header(header: list[str], line: int, name: str) -> Problem | None:
    if len(header) == 1:
        for sep, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in header[0]:
                return Problem(
                    name,
                    line,
                    "header",
                    f"columns are {label}-separated; expected commas ({','.join(REQUIRED_COLUMNS)})",
                )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        return Problem(name, line, "header", f"duplicate column(s): {', '.join(dupes)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return Problem(
            name,
            line,
            "header",
            f"missing required column(s): {', '.join(missing)} (found: {','.join(header)})",
        )
    return None


def _typed(
    raw: pd.DataFrame, lines: np.ndarray, name: str, scheme: Scheme | None, strip: bool = True
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert string columns to the table's dtypes and check every rule, vectorised over rows.

    ``strip=False`` promises that no field starts or ends with whitespace (saves the per-cell strip).
    """
    problems: list[Problem] = []

    def flag(mask: np.ndarray, column: str, message) -> None:
        for i in np.flatnonzero(mask):
            problems.append(
                Problem(name, int(lines[i]), column, message(i) if callable(message) else message)
            )

    df = raw.copy()
    text = _str_dtype()
    ids: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for col in df.columns:
        if col in _TEXT:
            # few distinct values: strip and compare those, not every cell
            codes, uniques = pd.factorize(df[col].astype(str))
            values = np.array(
                [u.strip() for u in uniques] if strip else list(uniques), dtype=object
            )
            if strip and len(set(values)) < len(
                values
            ):  # " a" and "a": the same value once stripped
                codes, values = _merge_same(codes, values)
            ids[col] = (codes, values)
            if list(values) != list(uniques) or df[col].dtype != text:  # else the column is right
                df[col] = pd.Series(values[codes] if len(codes) else [], index=df.index, dtype=str)
            flag((values == "")[codes] if len(codes) else np.zeros(0, bool), col, "is empty")
        elif col in (*REQUIRED_COLUMNS, *_FRAMES) and strip:
            if not isinstance(df[col].dtype, pd.StringDtype) or df[col].dtype.storage != "pyarrow":
                df[col] = df[col].astype(str).str.strip()
            # else stripped when read, unless Arrow reads every number (then nothing to strip)
        else:
            df[col] = df[col].astype(str)

    times, empties = {}, {}

    def numbers(col: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        s = df[col]
        found = _arrow_numbers(s)
        if found is None:
            if strip:
                s = df[col] = s.str.strip()
            found = _numbers(s)
        return s, *found

    for col in ("onset_s", "offset_s"):
        s, num, empty = numbers(col)
        bad = ~empty & ~np.isfinite(num)
        flag(bad, col, lambda i, s=s: _not_seconds(s.iat[i]))
        neg = np.isfinite(num) & (num < 0)
        flag(neg, col, lambda i, num=num: _negative(num[i]))
        times[col] = np.where(bad | neg, np.nan, np.round(num, 3))
        empties[col] = empty
        if col == "onset_s":
            flag(empty, col, NO_ONSET)
    onset, offset = times["onset_s"], times["offset_s"]
    df["onset_s"], df["offset_s"] = onset, offset
    off_empty = empties["offset_s"]

    for col in _FRAMES:
        if col in df.columns:
            s, num, empty = numbers(col)
            bad = ~empty & ~(np.isfinite(num) & (num >= 0) & (num == np.round(num)))
            flag(bad, col, lambda i, s=s: _not_frame(s.iat[i]))
            df[col] = pd.array(np.where(bad | empty, np.nan, num), dtype="Float64").astype("Int64")

    both = np.isfinite(onset) & np.isfinite(offset)
    state = np.ones(len(df), dtype=bool)  # without a scheme: any offset given must follow the onset
    if scheme is not None:
        tier_of = {t.name: t for t in scheme.tiers}
        tier_ids, tier_values = ids["tier"]
        code_ids, code_values = ids["code"]
        tiers, codes = _Lookup(tier_values, tier_ids), _Lookup(code_values, code_ids)
        # lookup tables over the distinct tiers (and tier x code pairs) instead of per-row tests
        tier_known = np.array([t in tier_of for t in tier_values], dtype=bool)
        tier_state = np.array([t in tier_of and tier_of[t].is_state for t in tier_values], bool)
        pair_ok = np.array(
            [
                [t in tier_of and c in tier_of[t].code_names for c in code_values]
                for t in tier_values
            ],
            dtype=bool,
        ).reshape(len(tier_values), len(code_values))
        known = tier_known[tier_ids] if len(df) else np.zeros(0, bool)
        good_code = pair_ok[tier_ids, code_ids] if len(df) else np.zeros(0, bool)
        flag(~known & tiers.filled, "tier", lambda i: _unknown_tier(tiers[i], scheme))
        flag(
            known & ~good_code & codes.filled,
            "code",
            lambda i: _unknown_code(codes[i], tiers[i], scheme),
        )
        state = tier_state[tier_ids] if len(df) else np.zeros(0, bool)
        point = known & ~state
        flag(point & ~off_empty, "offset_s", lambda i: _point_offset(tiers[i]))
        flag(state & off_empty, "offset_s", lambda i: _state_offset(tiers[i]))
    flag(
        state & both & (offset <= onset),
        "offset_s",
        lambda i: _not_after(onset[i], offset[i]),
    )

    if scheme is not None and len(df):
        problems.extend(_overlaps(df, ids, lines, both & (offset > onset), scheme, name))
    cols = list(REQUIRED_COLUMNS) + [c for c in df.columns if c not in REQUIRED_COLUMNS]
    return df[cols].reset_index(drop=True), problems


def _merge_same(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-number ``codes`` so that equal ``values`` share one id."""
    merged, inverse = np.unique(values.astype(str), return_inverse=True)
    return inverse[codes] if len(codes) else codes, merged.astype(object)


def _str_dtype():
    """The dtype pandas gives text now (Arrow-backed ``str``, or object: an option decides)."""
    return pd.Series([], dtype=str).dtype


class _Lookup:
    """``values[codes]`` entry by entry, without building the column of Python strings."""

    def __init__(self, values: np.ndarray, codes: np.ndarray) -> None:
        self.values, self.codes = values, codes
        self.filled = (values != "")[codes] if len(codes) else np.zeros(0, dtype=bool)

    def __getitem__(self, i: int) -> str:
        return self.values[self.codes[i]]


def _arrow_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``_numbers`` of an Arrow-backed column by Arrow's cast, when every filled cell is a number
    it reads (Arrow reads a subset of what ``float()`` reads, to the same correctly rounded
    double: no blanks, underscores or non-ASCII digits); otherwise None."""
    if not isinstance(s.dtype, pd.StringDtype) or s.dtype.storage != "pyarrow":
        return None
    text = s.array.__arrow_array__()
    empty = pc.equal(text, "")
    try:
        num = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return num.to_numpy(), empty.to_numpy()


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(float values, empty mask)`` of a string column, numbers as Python's ``float()`` reads
    them; unreadable cells are NaN and not empty."""
    obj = s.to_numpy(dtype=object)
    empty = np.asarray(obj == "", dtype=bool)
    num = np.full(len(obj), np.nan)
    filled = obj[~empty]
    try:
        num[~empty] = filled.astype(float)
    except (TypeError, ValueError):
        num[~empty] = [_float(v) for v in filled]
    return num, empty


def _float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return np.nan


def _overlaps(
    df: pd.DataFrame,
    ids: dict[str, tuple[np.ndarray, np.ndarray]],
    lines: np.ndarray,
    valid: np.ndarray,
    scheme: Scheme,
    name: str,
) -> list[Problem]:
    """Events of an exclusive state tier that start before an earlier one of the same
    session x coder x tier has ended (sorted by onset, then line)."""
    exclusive = {t.name for t in scheme.tiers if t.is_state and t.exclusive}
    tier_ids, tier_values = ids["tier"]
    is_exclusive = np.array([t in exclusive for t in tier_values], dtype=bool)[tier_ids]
    cand = np.flatnonzero(is_exclusive & valid)
    if not len(cand):
        return []
    n_coder, n_tier = len(ids["coder"][1]) + 1, len(tier_values) + 1
    key = (ids["session"][0][cand] * n_coder + ids["coder"][0][cand]) * n_tier + tier_ids[cand]
    tier = tier_ids[cand]
    onset = df["onset_s"].to_numpy()[cand]
    offset = df["offset_s"].to_numpy()[cand]
    line = lines[cand]
    group = np.r_[True, key[1:] != key[:-1]]
    runs = key[group]
    # a file written by write_events has each session × coder × tier in one run, by onset
    if len(pd.unique(runs)) < len(runs) or (~group[1:] & (onset[1:] < onset[:-1])).any():
        order = np.lexsort((line, onset, key))
        key, tier, onset, offset, line = (a[order] for a in (key, tier, onset, offset, line))
        group = np.r_[True, key[1:] != key[:-1]]
    running = pd.Series(offset).groupby(np.cumsum(group)).cummax().to_numpy()
    prev_end = np.r_[np.nan, running[:-1]]
    prev_line = np.r_[0, line[:-1]]
    over = ~group & (onset < prev_end)
    tier_name = tier_values[tier]
    return [
        Problem(
            name,
            int(line[k]),
            "onset_s",
            overlap_message(onset[k], tier_name[k], prev_end[k], int(prev_line[k])),
        )
        for k in np.flatnonzero(over)
    ]


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
