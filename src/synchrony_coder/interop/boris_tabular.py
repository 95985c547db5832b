"""BORIS tabular events (the *Export events* table, TSV or CSV) in and out.

Reading accepts both layouts BORIS has written: BORIS 7's (a preamble of ``Observation id``, media,
``Time offset (s)`` and independent variables, then a ``Time, ..., Subject, Behavior, Behavioral
category, Comment, Status`` table) and the flat layout with an ``Observation id`` column and a
``Behavior type`` column. Events are paired as in :func:`.boris.pair_events`.

Writing uses the flat layout, one row per BORIS event: a point event is one ``POINT`` row, a state
event a ``START`` and a ``STOP`` row. Columns: ``Observation id`` (our session), ``coder`` (an
independent variable: BORIS keeps no coder), ``Subject`` (our tier), ``Behavior`` (our code),
``Behavioral category``, ``Modifiers``, ``Behavior type``, ``Time`` (s, 3 decimals), ``Comment``.
TSV for ``.tsv``, CSV otherwise.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..events import REQUIRED_COLUMNS, atomic_write_text
from ..scheme import Scheme
from .boris import NO_FOCAL_SUBJECT, pair_events
from .report import ConversionReport, InteropError

__all__ = ["WRITE_COLUMNS", "looks_like_boris_tabular", "read_boris_tabular", "write_boris_tabular"]

WRITE_COLUMNS = (
    "Observation id",
    "coder",
    "Subject",
    "Behavior",
    "Behavioral category",
    "Modifiers",
    "Behavior type",
    "Time",
    "Comment",
)


def looks_like_boris_tabular(head: str) -> bool:
    """Whether the first lines of a text file look like a BORIS tabular events export."""
    first = head.lstrip("\ufeff").splitlines()[:1]
    if first and first[0].split("\t")[0].split(",")[0].strip('"') == "Observation id":
        return True
    return any(
        "Behavior" in line and "Time" in line and ("Status" in line or "Behavior type" in line)
        for line in head.splitlines()
    )


def read_boris_tabular(
    path: str | Path, *, coder: str = "unknown"
) -> tuple[pd.DataFrame, ConversionReport]:
    """Read a BORIS tabular events export.

    Parameters
    ----------
    path
        A ``.tsv`` or ``.csv`` file.
    coder
        Coder of rows without a ``coder`` column.

    Returns
    -------
    (events, report)
        One row per point event and per START/STOP pair; every unused BORIS row is reported.
    """
    path = Path(path)
    report = ConversionReport(str(path), "boris-tabular")
    records = _records(path)
    head = next(
        (
            i
            for i, r in enumerate(records)
            if "Behavior" in r and "Time" in r and ("Status" in r or "Behavior type" in r)
        ),
        None,
    )
    if head is None:
        raise InteropError(
            path, "no BORIS events header (a row with Time, Behavior and Status/Behavior type)"
        )
    preamble = {r[0].strip(): r[1].strip() for r in records[:head] if len(r) > 1 and r[0].strip()}
    header = [h.strip() for h in records[head]]
    rows = [
        r + [""] * (len(header) - len(r)) for r in records[head + 1 :] if any(x.strip() for x in r)
    ]
    table = pd.DataFrame([r[: len(header)] for r in rows], columns=header, dtype=object).fillna("")
    col = {h.lower(): h for h in header}

    def column(*names: str, default: str = "") -> pd.Series:
        for n in names:
            if n.lower() in col:
                return table[col[n.lower()]].astype(str).str.strip()
        return pd.Series(default, index=table.index, dtype=object)

    obs = column("Observation id", default=preamble.get("Observation id", path.stem))
    offset = float(preamble.get("Time offset (s)", 0) or 0)
    if offset:
        report.note("offset", f"observation time offset {offset:g} s subtracted from every time")
    modifier_cols = [h for h in header if h.lower().startswith("modifier")]
    modifiers = (
        table[modifier_cols].astype(str).apply(lambda r: "|".join(v for v in r if v), axis=1)
        if modifier_cols
        else pd.Series("", index=table.index)
    )
    raw = pd.DataFrame(
        {
            "session": obs,
            "coder": column("coder", default=coder).replace("", coder),
            "subject": column("Subject").replace(NO_FOCAL_SUBJECT, ""),
            "behavior": column("Behavior"),
            "modifiers": modifiers,
            "comment": column("Comment"),
            "time": pd.to_numeric(column("Time"), errors="coerce") - offset,
            "status": column("Behavior type", "Status").str.upper(),
            "category": column("Behavioral category"),
        }
    )
    out = pair_events(raw, report, explicit_status=True)
    report.n_events = len(out)
    return out, report


def _records(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InteropError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InteropError(path, f"not a readable text file: {exc}") from None
    first = text.splitlines()[0] if text else ""
    delimiter = "\t" if path.suffix.lower() == ".tsv" or "\t" in first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InteropError(
            path, f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}"
        ) from None


def write_boris_tabular(
    events: pd.DataFrame, path: str | Path, scheme: Scheme | None = None
) -> ConversionReport:
    """Write events as a BORIS tabular events table (flat layout, see the module docstring).

    Parameters
    ----------
    events
        An events table (SCIENCE.md §1).
    path
        ``.tsv`` (tab-separated) or ``.csv`` file.
    scheme
        Unused: a NaN ``offset_s`` marks a point event.

    Returns
    -------
    ConversionReport
        Lost fields (frames, extra columns) and state events BORIS could re-pair differently.
    """
    path = Path(path)
    report = ConversionReport(str(path), "boris-tabular", n_events=len(events))
    ev = events.reset_index(drop=True)
    for name in ev.columns:
        if name in (*REQUIRED_COLUMNS, "modifiers", "comment") or str(name).startswith("_"):
            continue
        s = ev[name]
        filled = int((s.notna() & (s.astype(str).str.strip() != "")).sum())
        if filled:
            report.note("lost", f"column {name!r}: the BORIS table has no place for it", filled)
    text_of = {
        c: (ev[c].fillna("").astype(str) if c in ev.columns else pd.Series("", index=ev.index))
        for c in ("modifiers", "comment")
    }
    state = ev["offset_s"].notna().to_numpy()
    _note_overlaps(ev[state], text_of["modifiers"][state], report)
    base = pd.DataFrame(
        {
            "Observation id": ev["session"].astype(str),
            "coder": ev["coder"].astype(str),
            "Subject": ev["tier"].astype(str),
            "Behavior": ev["code"].astype(str),
            "Behavioral category": "",
            "Modifiers": text_of["modifiers"],
        }
    )
    start = base.assign(
        **{
            "Behavior type": np.where(state, "START", "POINT"),
            "Time": ev["onset_s"].to_numpy(float),
            "Comment": text_of["comment"],
            "_rank": 1,
        }
    )
    stop = base[state].assign(
        **{
            "Behavior type": "STOP",
            "Time": ev["offset_s"].to_numpy(float)[state],
            "Comment": "",
            "_rank": 0,  # at equal times a STOP comes before a START, as BORIS records them
        }
    )
    table = pd.concat([start, stop]).sort_values(
        ["Observation id", "coder", "Time", "_rank"], kind="stable"
    )
    table["Time"] = [f"{t:.3f}" for t in table["Time"]]
    buf = io.StringIO()
    writer = csv.writer(
        buf, delimiter="\t" if path.suffix.lower() == ".tsv" else ",", lineterminator="\n"
    )
    writer.writerow(WRITE_COLUMNS)
    writer.writerows(table[list(WRITE_COLUMNS)].itertuples(index=False, name=None))
    atomic_write_text(path, buf.getvalue())
    return report


def _note_overlaps(state: pd.DataFrame, modifiers: pd.Series, report: ConversionReport) -> None:
    """BORIS pairs a behaviour's START/STOP in order: overlapping occurrences would be re-paired."""
    if state.empty:
        return
    s = state.assign(_m=modifiers.to_numpy()).sort_values(
        ["session", "coder", "tier", "code", "_m", "onset_s"], kind="stable"
    )
    keys = ["session", "coder", "tier", "code", "_m"]
    prev_end = s.groupby(keys, sort=False)["offset_s"].cummax().shift()
    same = (s[keys].shift() == s[keys]).all(axis=1)
    n = int((same & (s["onset_s"] < prev_end)).sum())
    if n:
        report.note(
            "lost",
            "state event(s) overlap an earlier occurrence of the same behaviour: BORIS pairs "
            "START/STOP in order, so their offsets may change when read back",
            n,
        )
