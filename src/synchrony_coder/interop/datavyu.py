"""Datavyu spreadsheet exports (CSV) in.

Datavyu's *Export File* writes each spreadsheet column as a group of CSV columns named
``<column>.ordinal, <column>.onset, <column>.offset, <column>.<code>...`` (one per code argument),
several Datavyu columns side by side, row *i* holding each column's *i*-th cell (blank where a column
has fewer cells); header fields are unquoted, text values quoted, lines often end with a comma.
Times are milliseconds, or ``HH:MM:SS:mmm`` in exports that keep Datavyu's display format.

Mapping: Datavyu column → ``tier``; the cell's first code argument → ``code``; further arguments go
to ``modifiers`` as ``name=value`` joined by ``|``. A cell whose offset equals its onset is a point
event (Datavyu's convention for point cells). Datavyu's offset is taken as the event's end; a lab
that codes the offset as the *last* frame (inclusive) should add one frame. Cells without a code,
with unreadable times or ending before they start are skipped and reported. Datavyu keeps neither
session nor coder: the session is the file name, the coder the ``coder`` argument.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..events import REQUIRED_COLUMNS
from .report import ConversionReport, InteropError

__all__ = ["looks_like_datavyu", "parse_datavyu_time", "read_datavyu"]

_HMS = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2})[:.](\d{1,3})$")
_FIELDS = ("ordinal", "onset", "offset")


def looks_like_datavyu(head: str) -> bool:
    """Whether a CSV header looks like a Datavyu export (``<column>.onset`` fields)."""
    first = head.lstrip("\ufeff").splitlines()[:1]
    fields = [f.strip().strip('"') for f in first[0].split(",")] if first else []
    return any(f.endswith(".onset") for f in fields) and any(f.endswith(".offset") for f in fields)


def parse_datavyu_time(values: pd.Series) -> np.ndarray:
    """Datavyu times (``12345`` ms or ``HH:MM:SS:mmm``) as seconds; NaN where unreadable."""
    s = values.fillna("").astype(str).str.strip()
    ms = pd.to_numeric(s, errors="coerce").to_numpy(float)
    parts = s.str.extract(_HMS)
    hms = (
        parts[0].astype(float) * 3_600_000
        + parts[1].astype(float) * 60_000
        + parts[2].astype(float) * 1_000
        + parts[3].str.ljust(3, "0").astype(float)
    ).to_numpy(float)
    return np.round(np.where(np.isfinite(ms), ms, hms) / 1000.0, 3)


def read_datavyu(
    path: str | Path, *, coder: str = "unknown", session: str | None = None
) -> tuple[pd.DataFrame, ConversionReport]:
    """Read a Datavyu spreadsheet CSV export.

    Parameters
    ----------
    path
        The CSV file.
    coder, session
        Written into every row (default session: the file name without extension).

    Returns
    -------
    (events, report)
        One row per cell; the report accounts for every cell not imported.
    """
    path = Path(path)
    report = ConversionReport(str(path), "datavyu")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InteropError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InteropError(path, f"not a readable text file: {exc}") from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records:
        raise InteropError(path, "empty file (expected a Datavyu header like col.onset,col.offset)")
    header = [h.strip() for h in records[0]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in records[1:] if any(x.strip() for x in r)]
    table = pd.DataFrame(rows, columns=header, dtype=object)

    columns: dict[str, list[str]] = {}
    for h in header:
        name, dot, field = h.rpartition(".")  # a column name may itself contain dots
        if not dot or not name:
            raise InteropError(
                path, f"header field {h!r} is not <column>.<field> (not a Datavyu export)"
            )
        columns.setdefault(name, []).append(field)
    parts = []
    for name, fields in columns.items():
        missing = [f for f in ("onset", "offset") if f not in fields]
        if missing:
            raise InteropError(path, f"Datavyu column {name!r} has no {', '.join(missing)} field")
        args = [f for f in fields if f not in _FIELDS]
        parts.append(_cells(table, name, args, report))
    events = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["tier"])
    events.insert(0, "coder", coder)
    events.insert(0, "session", session or path.stem)
    cols = list(REQUIRED_COLUMNS) + (
        ["modifiers"] if (events.get("modifiers", pd.Series(dtype=str)) != "").any() else []
    )
    report.note(
        "info",
        "Datavyu offsets taken as each event's end (add one frame if your lab codes the last frame inclusive)",
    )
    report.n_events = len(events)
    return events[cols].reset_index(drop=True), report


def _cells(
    table: pd.DataFrame, name: str, args: list[str], report: ConversionReport
) -> pd.DataFrame:
    """The cells of one Datavyu column as rows of ours."""
    onset_raw = table[f"{name}.onset"].fillna("").astype(str).str.strip()
    present = onset_raw != ""
    sub = table[present]
    onset = parse_datavyu_time(sub[f"{name}.onset"])
    offset = parse_datavyu_time(sub[f"{name}.offset"])
    values = {a: sub[f"{name}.{a}"].fillna("").astype(str).str.strip() for a in args}
    code = (
        values[args[0]].mask(values[args[0]].str.fullmatch(r"<[^>]*>"), "")
        if args
        else pd.Series("", index=sub.index)
    )
    no_offset = (sub[f"{name}.offset"].fillna("").astype(str).str.strip() == "").to_numpy()
    bad_time = ~np.isfinite(onset) | ~(np.isfinite(offset) | no_offset)
    no_code = (code == "").to_numpy()
    backwards = np.isfinite(offset) & (offset < onset)
    for mask, why in (
        (bad_time, "cell(s) with an unreadable onset or offset"),
        (~bad_time & no_code, "cell(s) without a code (first argument empty)"),
        (~bad_time & ~no_code & backwards, "cell(s) ending before they start"),
    ):
        if mask.any():
            report.note("skipped", why, int(mask.sum()), name)
    keep = ~bad_time & ~no_code & ~backwards
    point = ~np.isfinite(offset) | (offset == onset)
    out = pd.DataFrame(
        {
            "tier": name,
            "code": code.to_numpy()[keep],
            "onset_s": onset[keep],
            "offset_s": np.where(point, np.nan, offset)[keep],
        }
    )
    if len(args) > 1:
        extra = [(a + "=" + values[a]).where(values[a] != "", "") for a in args[1:]]
        mods = extra[0]
        for e in extra[1:]:
            mods = mods.str.cat(e, sep="|")
        out["modifiers"] = mods.str.strip("|").str.replace(r"\|+", "|", regex=True).to_numpy()[keep]
        report.note(
            "info",
            f"code arguments after the first ({', '.join(args[1:])}) kept in modifiers as name=value",
            where=name,
        )
    else:
        out["modifiers"] = ""
    if point[keep].any():
        report.note(
            "info",
            "cell(s) with offset = onset imported as point events",
            int(point[keep].sum()),
            name,
        )
    return out
