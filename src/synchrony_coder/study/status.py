"""Coding progress of a study: one row per session × coder, read from the files themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..events import read_events
from ..scheme import Scheme
from ..session import SessionSpec
from ..session.journal import journal_path, read_journal
from .consensus import CONSENSUS
from .folder import Study, StudySession, done_path

__all__ = ["STATUS_COLUMNS", "CoderState", "coder_state", "study_status", "video_duration_s"]

STATUS_COLUMNS = [
    "session", "coder", "status", "n_events", "coded_until_s", "duration_s", "last_edit",
    "reliability_sample", "consensus",
]  # fmt: skip
NOT_STARTED, IN_PROGRESS, DONE, UNREADABLE = "not started", "in progress", "done", "unreadable"


@dataclass(frozen=True)
class CoderState:
    """One coder's work on one session, as the files show it."""

    status: str  # not started / in progress / done / unreadable
    n_events: int  # rows of the saved events file
    coded_until_s: float  # the latest onset or offset coded (NaN: nothing)
    last_edit: str  # local time of the last save or journaled edit ("" if none)
    error: str = ""  # why the file is unreadable


def _stamp(paths: list[Path]) -> str:
    times = [p.stat().st_mtime for p in paths if p.exists()]
    if not times:
        return ""
    return datetime.fromtimestamp(max(times)).astimezone().strftime("%Y-%m-%d %H:%M")


def coder_state(spec: SessionSpec | None, coder: str, scheme: Scheme) -> CoderState:
    """``coder``'s status on the session: done when marked so, in progress once anything is
    coded or journaled (unsaved edits count), else not started."""
    if spec is None:
        return CoderState(NOT_STARTED, 0, np.nan, "")
    csv = spec.events_path(coder)
    journal = journal_path(csv)
    stamp = _stamp([csv, journal])
    try:
        events = read_events(csv, scheme) if csv.exists() else None
        unsaved = bool(read_journal(csv)) if journal.exists() else False
    except DataError as exc:
        return CoderState(UNREADABLE, 0, np.nan, stamp, str(exc))
    n = 0 if events is None else len(events)
    until = np.nan
    if n:
        until = float(np.nanmax(events[["onset_s", "offset_s"]].to_numpy(np.float64)))
    if done_path(spec, coder).exists():
        status = DONE
    elif n or unsaved:
        status = IN_PROGRESS
    else:
        status = NOT_STARTED
    return CoderState(status, n, until, stamp)


def video_duration_s(session: StudySession) -> float:
    """The primary video's duration as its header gives it (fast); NaN without a readable video."""
    from ..video.index import VideoError, open_container

    if session.spec is None or not session.spec.videos:
        return np.nan
    try:
        container, stream = open_container(session.spec.videos[0].path)
    except VideoError:
        return np.nan
    try:
        if stream.duration and stream.time_base:
            return round(float(stream.duration * stream.time_base), 3)
        return round(container.duration / 1_000_000, 3) if container.duration else np.nan
    finally:
        container.close()


def study_status(study: Study, on_error=None) -> pd.DataFrame:
    """One row per session × coder (the study's coders, then any other found in the folders).

    Parameters
    ----------
    study : the study (:func:`~synchrony_coder.study.folder.load_study`).
    on_error : called as ``on_error(message)`` for each events file that cannot be read (its
        status is then ``unreadable``).

    Returns
    -------
    DataFrame ``session, coder, status`` (``not started`` / ``in progress`` / ``done``),
    ``n_events`` (rows of the saved file), ``coded_until_s`` (latest time coded), ``duration_s``
    (the primary video's), ``last_edit``, ``reliability_sample`` (chosen for double coding by the
    study's reproducible draw), ``consensus`` (the consensus file's status where the session is
    double-coded, i.e. drawn or coded by two coders or more; empty elsewhere).
    """
    scheme = study.load_scheme()
    sample = set(study.reliability_sample())
    coders = study.all_coders()
    rows = []
    for s in study.sessions:
        states = {c: coder_state(s.spec, c, scheme) for c in coders}
        for st in states.values():
            if st.error and on_error is not None:
                on_error(st.error)
        started = sum(st.status != NOT_STARTED for st in states.values())
        double = s.session in sample or started >= 2
        consensus = coder_state(s.spec, CONSENSUS, scheme).status if double else ""
        duration = video_duration_s(s)
        for c, st in states.items():
            rows.append(
                (s.session, c, st.status, st.n_events, st.coded_until_s, duration, st.last_edit,
                 s.session in sample, consensus)
            )  # fmt: skip
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
