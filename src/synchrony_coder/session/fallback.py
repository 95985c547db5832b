"""Unsaved changes kept on this computer while a session's folder cannot be written.

When the journal beside a coder's CSV cannot be written (the disk is full, the folder turned
read-only, a network drive went away), :class:`~.keeper.Keeper` keeps the changes in a fallback
journal in ``unsaved/`` under the user's data directory: ``$SYNCHRONY_CODER_DATA``, else
``$XDG_DATA_HOME/synchrony-coder`` or ``~/.local/share/synchrony-coder`` (Linux),
``~/Library/Application Support/synchrony-coder`` (macOS), ``%LOCALAPPDATA%\\synchrony-coder``
(Windows). It has the journal's format; its header also names the events file, the session, the
coder, what to open, and holds the saved events its changes continue, so it is complete alone.
It is written back and deleted as soon as the folder can be written again;
:func:`unsaved_elsewhere` lists those left when the app was closed meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..events import format_events
from ..storage import atomic_write_text
from .edits import Event, apply_change, events_to_frame
from .journal import Journal, Replay, event_from, event_json, replay_journal

__all__ = ["Unsaved", "data_dir", "fallback_journal", "rescue", "unsaved_elsewhere"]


def data_dir() -> Path:
    """Where the app keeps data of its own on this computer."""
    env = os.environ.get("SYNCHRONY_CODER_DATA")
    if env:
        return Path(env)
    if sys.platform == "win32":  # pragma: no cover
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":  # pragma: no cover
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "synchrony-coder"


def _folder() -> Path:
    return data_dir() / "unsaved"


def fallback_path(events_path: Path) -> Path:
    where = hashlib.sha1(str(Path(events_path).absolute()).encode()).hexdigest()[:12]
    stem = re.sub(r"[^\w.-]", "_", Path(events_path).stem)
    return _folder() / f"{stem}-{where}.journal"


def fallback_journal(
    events_path: Path, session: str, coder: str, opener: str, saved: dict[int, Event]
) -> Journal:
    """The fallback journal of ``events_path`` (``saved``: the events on disk its changes continue)."""
    return Journal(
        fallback_path(events_path),
        {
            "events": str(Path(events_path).absolute()),
            "session": session,
            "coder": coder,
            "open": opener,
            "since": time.time(),
            "saved": [[i, event_json(e)] for i, e in saved.items()],
        },
        make_folder=True,
    )


@dataclass(frozen=True)
class Unsaved:
    """Changes kept on this computer for an events file that could not be written."""

    path: Path  # the fallback journal
    events_path: Path
    session: str
    coder: str
    opener: str  # the session folder or first video, to open the session again
    changes: int
    since: float


def read_fallback(path: Path, csv_sha256: str | None = None) -> tuple[Replay, Unsaved] | None:
    """A fallback journal's changes continuing ``csv_sha256`` (default: its own base), or None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    first = replay_journal(data, "")
    h = first.header
    if not h.get("events"):
        return None
    replay = replay_journal(data, csv_sha256 or str(h.get("base", "")))
    unsaved = Unsaved(
        path,
        Path(h["events"]),
        str(h.get("session", "")),
        str(h.get("coder", "")),
        str(h.get("open", "")),
        len(replay.changes),
        float(h.get("since", 0.0)),
    )
    return replay, unsaved


def unsaved_elsewhere() -> list[Unsaved]:
    """Every fallback journal holding changes, oldest first."""
    found = []
    for p in sorted(_folder().glob("*.journal")):
        read = read_fallback(p)
        if read is not None and read[1].changes:
            found.append(read[1])
    return sorted(found, key=lambda u: u.since)


def rescue(replay: Replay) -> Path:
    """Write a fallback journal's events (its saved events + ``replay``) as a complete CSV.

    For changes that can no longer be replayed onto their CSV (it was changed meanwhile):
    ``replay`` is the journal read against its own base; the coder can compare the two files
    (File ▸ Compare…) and keep what they need.
    """
    h = replay.header
    events: dict[int, Event] = {int(i): event_from(e) for i, e in h.get("saved", [])}
    for change in replay.changes:
        events = apply_change(events, change)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{Path(str(h.get('events', 'events'))).stem}.unsaved-{stamp}.csv"
    out = _folder() / name
    frame = events_to_frame(events, str(h.get("session", "")), str(h.get("coder", "")))
    atomic_write_text(out, format_events(frame.reset_index(drop=True)))
    return out
