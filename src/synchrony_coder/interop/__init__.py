"""Work with the tools labs already use: ELAN, BORIS, Datavyu and GSEQ files in and out.

Each reader returns ``(events, ConversionReport)`` — an events table of ours (SCIENCE.md §1, read
without scheme validation: foreign tiers and codes kept as they are) and a report of everything not
carried over as it stands. Each writer takes an events table (and the scheme, when the format uses
it) and returns its report. :data:`FORMATS` registers them by name; :func:`detect_format` picks one
from a file's extension (and, for ``.csv``, its header).

============== ======================= ====== ===== ====================================
name           extension(s)            read   write module
============== ======================= ====== ===== ====================================
events         .csv (ours)             yes    yes   :mod:`synchrony_coder.events`
eaf            .eaf                    yes    yes   :mod:`.elan`
boris          .boris                  yes    no    :mod:`.boris`
boris-tabular  .tsv (.csv by header)   yes    yes   :mod:`.boris_tabular`
datavyu        .csv (by header)        yes    no    :mod:`.datavyu`
sdis           .sds                    no     yes   :mod:`.gseq`
============== ======================= ====== ===== ====================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..events import read_events, write_events
from ..scheme import Scheme
from .boris import read_boris_project
from .boris_tabular import looks_like_boris_tabular, read_boris_tabular, write_boris_tabular
from .datavyu import looks_like_datavyu, read_datavyu
from .elan import read_eaf, write_eaf
from .gseq import write_sdis
from .mapping import Mapping, MappingError, apply_mapping, load_mapping
from .report import ConversionReport, InteropError, Note

__all__ = [
    "FORMATS",
    "ConversionReport",
    "Format",
    "InteropError",
    "Mapping",
    "MappingError",
    "Note",
    "apply_mapping",
    "detect_format",
    "load_mapping",
    "read_foreign",
    "write_foreign",
]

Reader = Callable[..., tuple[pd.DataFrame, ConversionReport]]
Writer = Callable[[pd.DataFrame, Path, "Scheme | None"], ConversionReport]


@dataclass(frozen=True)
class Format:
    """One file format: how to recognise, read and write it."""

    name: str
    description: str
    extensions: tuple[str, ...]
    read: Reader | None
    write: Writer | None


def _read_ours(path: Path, *, coder: str = "unknown") -> tuple[pd.DataFrame, ConversionReport]:
    events = read_events(path)
    return events, ConversionReport(str(path), "events", n_events=len(events))


def _write_ours(events: pd.DataFrame, path: Path, scheme: Scheme | None = None) -> ConversionReport:
    write_events(events, path if str(path) != "-" else "-")
    return ConversionReport(str(path), "events", n_events=len(events))


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("events", "synchrony-coder coded-events CSV", (".csv",), _read_ours, _write_ours),
        Format("eaf", "ELAN annotation document", (".eaf",), read_eaf, write_eaf),
        Format("boris", "BORIS project (JSON)", (".boris",), read_boris_project, None),
        Format(
            "boris-tabular",
            "BORIS tabular events export",
            (".tsv", ".csv"),
            read_boris_tabular,
            write_boris_tabular,
        ),
        Format("datavyu", "Datavyu spreadsheet CSV export", (".csv",), read_datavyu, None),
        Format("sdis", "GSEQ SDIS timed-event data", (".sds",), None, write_sdis),
    )
}


def detect_format(path: str | Path, *, writing: bool = False) -> str:
    """The format name for ``path``: by extension, and for a ``.csv`` being read, by its header.

    Raises
    ------
    InteropError
        The extension names no known format (use ``--from``/``--to``).
    """
    p = Path(path)
    if str(path) == "-":
        return "events"
    if p.is_dir():
        if writing:
            raise InteropError(p, "a folder needs --to (eaf writes one document per session)")
        exts = {q.suffix.lower() for q in p.iterdir() if q.is_file()}
        for name in ("eaf", "boris", "boris-tabular"):
            if FORMATS[name].extensions[0] in exts:
                return name
        return "events"
    ext = p.suffix.lower()
    if ext == ".csv":
        if writing or not p.is_file():
            return "events"
        with p.open(encoding="utf-8-sig", errors="replace") as fh:
            head = fh.read(8192)
        first = head.splitlines()[0] if head else ""
        if {"session", "onset_s"} <= {f.strip().strip('"') for f in first.split(",")}:
            return "events"
        if looks_like_datavyu(head):
            return "datavyu"
        if looks_like_boris_tabular(head):
            return "boris-tabular"
        return "events"
    for f in FORMATS.values():
        if ext in f.extensions and f.name != "datavyu":
            return f.name
    known = ", ".join(sorted({e for f in FORMATS.values() for e in f.extensions}))
    raise InteropError(
        p, f"unknown extension {ext or '(none)'!r} (known: {known}; or give --from/--to)"
    )


def read_foreign(
    path: str | Path, fmt: str | None = None, *, coder: str = "unknown"
) -> tuple[pd.DataFrame, ConversionReport]:
    """Read a file (or a folder of files of one format) into an events table, with its report."""
    p = Path(path)
    name = fmt or detect_format(p)
    f = FORMATS.get(name)
    if f is None or f.read is None:
        readable = ", ".join(n for n, g in FORMATS.items() if g.read)
        raise InteropError(p, f"cannot read format {name!r} (readable: {readable})")
    if name == "events" or not p.is_dir():
        return f.read(p, coder=coder)
    files = sorted(q for q in p.iterdir() if q.suffix.lower() in f.extensions)
    if not files:
        raise InteropError(p, f"no {'/'.join(f.extensions)} files in this folder")
    report = ConversionReport(str(p), name)
    parts = []
    for q in files:
        events, sub = f.read(q, coder=coder)
        parts.append(events)
        report.merge(sub)
    events = pd.concat(parts, ignore_index=True, sort=False)
    for col in events.columns:
        if events[col].dtype == object:
            events[col] = events[col].fillna("")
    report.n_events = len(events)
    return events, report


def write_foreign(
    events: pd.DataFrame, path: str | Path, fmt: str | None = None, scheme: Scheme | None = None
) -> ConversionReport:
    """Write an events table in a format (by name, or from the extension); returns its report."""
    p = Path(path)
    name = fmt or detect_format(p, writing=True)
    f = FORMATS.get(name)
    if f is None or f.write is None:
        writable = ", ".join(n for n, g in FORMATS.items() if g.write)
        raise InteropError(p, f"cannot write format {name!r} (writable: {writable})")
    return f.write(events, p, scheme)
