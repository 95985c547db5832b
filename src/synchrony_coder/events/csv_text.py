"""Events CSV text as string columns: the csv module's reading, done by Arrow's CSV reader or
pandas' C parser when they read exactly what it would (most files), by the csv module otherwise."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from .rules import _FRAMES, REQUIRED_COLUMNS, Problem, _str_dtype

Split = tuple[pd.DataFrame | None, np.ndarray, bool, list[Problem]]


def _split(text: str, name: str, fast: bool = True) -> Split:
    """The rows of a CSV text as string columns, each row's line, whether a field may need
    stripping, and the problems found (a bad header: no table; a row of the wrong length: left
    out). ``fast=False`` reads with the csv module only."""
    arrow = _arrow_table(text) if fast else None
    if arrow is not None:
        raw_df, header_line = arrow
        header = list(raw_df.columns)
        bad_header = _check_header(header, header_line, name)
        if bad_header:
            return _unread(bad_header)
        return raw_df, np.arange(len(raw_df), dtype=np.int64) + header_line + 1, True, []
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
            return _unread(Problem(name, reader.line_num, None, f"malformed CSV: {exc}"))
        if not records:
            return _unread(Problem(name, None, None, "file is empty (no header row)"))
        header_fields, lines = records[0], np.asarray(line_list, dtype=np.int64)

    header = [h.strip() for h in header_fields]
    bad_header = _check_header(header, int(lines[0]), name)
    if bad_header:
        return _unread(bad_header)

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
            return _split(text, name, fast=False)
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
    return raw_df, row_lines, strip, problems


def _unread(problem: Problem) -> Split:
    """No table: the problem that stopped the reading."""
    return None, np.zeros(0, dtype=np.int64), True, [problem]


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
