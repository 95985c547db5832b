"""Study-wide tables: every session's events, the analysed coder per session, the metrics."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..events import format_events, read_events
from ..metrics import session_metrics
from ..storage import atomic_write_bytes, atomic_write_text
from .consensus import CONSENSUS
from .folder import Study, StudyError, done_path

__all__ = [
    "analysis_events",
    "study_events",
    "study_metrics",
    "table_bytes",
    "with_attributes",
    "write_table",
]


def with_attributes(study: Study, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the study's session attributes as columns right after ``session``."""
    if not study.attributes:
        return table
    attrs = pd.DataFrame(
        [(s.session, *(v for _, v in s.attributes)) for s in study.sessions],
        columns=["session", *study.attributes],
    )
    out = table.drop(columns=[c for c in study.attributes if c in table.columns])
    out = out.merge(attrs, on="session", how="left", sort=False)
    out[list(study.attributes)] = out[list(study.attributes)].fillna("")
    first = ["session", *study.attributes]
    return out[first + [c for c in out.columns if c not in first]]


def study_events(study: Study, coders: list[str] | None = None) -> pd.DataFrame:
    """Every session's events of ``coders`` (default: every coder, consensus included) as one
    tidy table (SCIENCE.md §1) with the session attributes as columns.

    Raises
    ------
    EventsFileError
        A file breaks the rules of SCIENCE.md §1 (the first problem names file, line, column).
    """
    scheme = study.load_scheme()
    paths = []
    for s in study.sessions:
        if s.spec is None:
            continue
        for coder in coders or [*s.coders(), CONSENSUS]:
            path = s.spec.events_path(coder)
            if path.exists():
                paths.append((s.session, coder, path))
    return with_attributes(study, read_study_files(paths, scheme))


def read_study_files(files: list[tuple[str, str, Path]], scheme) -> pd.DataFrame:
    """The events of ``(session, coder, path)`` files, each checked to hold that session's and
    coder's rows: a file copied into the wrong folder or renamed would otherwise be analysed
    under the names its rows carry.

    Raises
    ------
    StudyError
        Naming the file, the first row and the field that disagree, and how many rows do.
    EventsFileError
        A file breaks the rules of SCIENCE.md §1.
    """
    for session, coder, path in files:
        try:
            ids = pd.read_csv(path, usecols=["session", "coder"], dtype=str, keep_default_na=False)
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
            continue  # read_events says what is wrong with it
        for field, want, where in (
            ("session", session, f"in session {session}'s folder"),
            ("coder", coder, f"{path.name}, coder {coder}'s"),
        ):
            wrong = ((ids[field] != want) & (ids[field] != "")).to_numpy()  # "": read_events says
            if wrong.any():
                first = int(wrong.argmax())
                raise StudyError(
                    f"{path}:{first + 2}: {field}: {ids[field].iat[first]!r}, but the file is "
                    f"{where} ({int(wrong.sum())} of {len(ids)} rows say otherwise; a file "
                    "copied from another session or coder? fix its rows or move it)"
                )
    return read_events([path for _, _, path in files], scheme)


def analysis_events(
    study: Study, coder: str = CONSENSUS, done_only: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One coder's events per session, for group analyses.

    With ``coder="consensus"`` (the default) a session contributes its consensus where it has
    one, else the first of the study's coders who coded it (the primary coder; a second coder's
    file serves reliability only). With a coder's name, that coder's files. ``done_only`` keeps
    only files marked done.

    Returns
    -------
    ``(events, sources)``: the events, and ``session, source_coder, done`` for each session used.
    """
    scheme = study.load_scheme()
    if coder != CONSENSUS and coder not in study.all_coders():
        raise StudyError(
            f"{study.path}: no coder {coder!r} in this study (coders: "
            f"{', '.join(study.all_coders()) or 'none yet'})"
        )
    chosen = []
    for s in study.sessions:
        if s.spec is None:
            continue
        order = [CONSENSUS, *study.all_coders()] if coder == CONSENSUS else [coder]
        for c in order:
            path = s.spec.events_path(c)
            done = done_path(s.spec, c).exists()
            if path.exists() and (done or not done_only):
                chosen.append((s.session, c, done, path))
                break
    sources = pd.DataFrame([row[:3] for row in chosen], columns=["session", "source_coder", "done"])
    events = read_study_files([(s, c, path) for s, c, _, path in chosen], scheme)
    return events, sources


def study_metrics(
    study: Study,
    coder: str = CONSENSUS,
    *,
    done_only: bool = False,
    window: float = 2.0,
    repair_within: float = 2.0,
) -> pd.DataFrame:
    """Every metric of SCIENCE.md §3 per session × phase (``all`` and each phase) for the
    coder of :func:`analysis_events`, with the session attributes as columns."""
    events, _ = analysis_events(study, coder, done_only)
    table = session_metrics(
        events, study.load_scheme(), window=window, repair_within=repair_within, by_phase=True
    )
    return with_attributes(study, table)


def table_bytes(table: pd.DataFrame, suffix: str, events: bool = False) -> bytes:
    """The table as a file's bytes: Parquet for ``.parquet``, else CSV (events with SCIENCE.md §1
    time precision, metrics with 10 significant digits, as ``metrics`` writes them)."""
    if suffix.lower() == ".parquet":
        buf = io.BytesIO()
        out = table.copy()
        for col in out.columns:
            if out[col].dtype == object:
                out[col] = out[col].astype(str)
        out.to_parquet(buf, index=False)
        return buf.getvalue()
    text = format_events(table) if events else table.to_csv(index=False, float_format="%.10g",
                                                            lineterminator="\n")  # fmt: skip
    return text.encode("utf-8")


def write_table(table: pd.DataFrame, path: str | Path, events: bool = False) -> Path:
    """Write ``table`` to ``path`` atomically (Parquet or CSV, from the suffix).

    Raises
    ------
    StudyError
        Another suffix (``.xlsx`` would get CSV text under a spreadsheet's name).
    """
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise StudyError(
            f"{path}: write a .csv or a .parquet file (R reads both; SPSS and Excel open the .csv)"
        )
    data = table_bytes(table, path.suffix, events)
    if path.suffix.lower() == ".parquet":
        atomic_write_bytes(path, data)
    else:
        atomic_write_text(path, data.decode("utf-8"))
    return path
