"""The crash journal: every change appended and fsynced before the next keystroke is handled.

``coder_NAME.csv.journal`` sits beside the coder's CSV. Its first line names the exact CSV it
continues (the SHA-256 of the CSV's bytes, ``"none"`` when there was no file); each further line is
one :class:`~synchrony_coder.session.edits.Change` as JSON (the events after the change, by id).
Saving writes the CSV atomically, then atomically replaces the journal by a fresh header naming the
new CSV. Recovery replays a journal only onto the CSV it names, so a crash between those two steps
cannot apply changes twice; a torn last line (killed mid-write) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import IO

from ..events import atomic_write_text
from .edits import Change, Event

__all__ = ["Journal", "csv_digest", "journal_path", "read_journal"]

_FORMAT = "synchrony-coder journal"


def journal_path(events_path: Path) -> Path:
    return events_path.with_name(events_path.name + ".journal")


def csv_digest(events_path: Path) -> str:
    """SHA-256 of the CSV's bytes, or ``"none"`` when there is no file."""
    try:
        return hashlib.sha256(events_path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "none"


def _event_json(ev: Event | None) -> dict | None:
    if ev is None:
        return None
    d = asdict(ev)
    d["extras"] = [list(kv) for kv in ev.extras]
    return d


def _event_from(d: dict | None) -> Event | None:
    if d is None:
        return None
    return Event(**{**d, "extras": tuple((str(k), str(v)) for k, v in d.get("extras", []))})


def read_journal(events_path: Path) -> list[Change]:
    """The changes journaled onto the current CSV, in order; [] if none apply.

    The events *before* each change are not journaled (they are ``None``): replay needs only the
    events after.
    """
    path = journal_path(events_path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    if not lines:
        return []
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError:
        return []
    if header.get("format") != _FORMAT or header.get("base") != csv_digest(events_path):
        return []  # written against another CSV: that CSV was saved after it, so it is stale
    changes: list[Change] = []
    for line in lines[1:]:
        try:
            rec = json.loads(line)
            rows = tuple((int(i), None, _event_from(ev)) for i, ev in rec["rows"])
            changes.append(Change(str(rec["label"]), rows))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            break  # a torn last line: everything before it is intact
    return changes


def _record(change: Change) -> str:
    rec = {"label": change.label, "rows": [[i, _event_json(a)] for i, _, a in change.rows]}
    return json.dumps(rec, separators=(",", ":"))


class Journal:
    """An append-only, fsynced log of the changes made since the CSV was last saved."""

    def __init__(self, events_path: Path) -> None:
        self.events_path = Path(events_path)
        self.path = journal_path(self.events_path)
        self._fh: IO[str] | None = None

    def reset(self, changes: list[Change] | tuple[Change, ...] = ()) -> None:
        """Start a fresh journal for the CSV as it is now on disk, holding ``changes`` (atomic)."""
        self.close()
        header = {"format": _FORMAT, "version": 1, "base": csv_digest(self.events_path)}
        lines = [json.dumps(header)] + [_record(c) for c in changes]
        atomic_write_text(self.path, "\n".join(lines) + "\n")

    def open(self) -> None:
        """Continue the journal on disk (after recovery), or start one."""
        if not self.path.exists():
            self.reset()
        self._fh = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115

    def append(self, change: Change) -> None:
        """Write one change and fsync it: it survives a crash from now on."""
        if self._fh is None:
            self.open()
        assert self._fh is not None
        self._fh.write(_record(change) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        """Delete the journal (the coder discarded the unsaved changes, or saved and closed)."""
        self.close()
        self.path.unlink(missing_ok=True)
