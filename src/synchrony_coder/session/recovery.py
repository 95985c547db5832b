"""What the last run left unsaved: the journal beside the CSV and the fallback on this computer.

:func:`find_unsaved` reads both (never writes, never refuses): every intact change that continues
the CSV on disk is kept, from whichever holds more of them. :func:`settle` then, when the session
is writable, keeps a copy of a damaged journal beside it and saves fallback changes that no longer
fit their CSV as a complete CSV on this computer, so that nothing is ever thrown away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..storage import WriteError, atomic_write_bytes
from .edits import Change
from .fallback import fallback_path, read_fallback, rescue
from .journal import Replay, journal_path, replay_journal

__all__ = ["Leftover", "find_unsaved", "settle"]


@dataclass(frozen=True)
class Leftover:
    """The changes to replay onto the CSV on disk, and what to tell the coder about the rest."""

    changes: tuple[Change, ...] = ()
    ids: tuple[int, ...] | None = None  # event id of each CSV row (None: row numbers)
    notes: tuple[str, ...] = ()  # sentences: what was dropped or could not be applied
    damaged: tuple[Path, bytes] | None = None  # a damaged journal to keep a copy of
    stray: Replay | None = None  # fallback changes that no longer fit the CSV (to rescue)
    from_fallback: bool = False


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return None  # unreadable now (a folder gone): the keeper reports the folder


def find_unsaved(events_path: Path, csv_sha256: str) -> Leftover:
    """Merge the journal and the fallback journal of ``events_path`` (CSV digest ``csv_sha256``)."""
    events_path = Path(events_path)
    name = events_path.name
    jpath = journal_path(events_path)
    data = _read(jpath)
    journal = replay_journal(data, csv_sha256) if data else Replay()
    notes = []
    if journal.harmed:
        notes.append(
            f"The journal of unsaved changes beside {name} was damaged ({journal.dropped()}); "
            "every intact change was restored"
        )
    elif journal.torn:
        notes.append(
            "The change being written when the program stopped was incomplete and is left out"
        )
    best, from_fallback, stray = journal, False, None
    fb = read_fallback(fallback_path(events_path), csv_sha256)
    if fb is not None:
        replay, _ = fb
        if len(replay.changes) > len(journal.changes):
            best, from_fallback = replay, True
            notes.append(
                f"{len(replay.changes)} unsaved change(s) kept on this computer while the folder "
                "could not be written are back"
            )
        elif replay.unmatched:
            stray = read_fallback(fallback_path(events_path))[0]  # against its own base
    ids = best.ids if best.ids is not None else journal.ids
    damaged = (jpath, data) if data and journal.harmed else None
    return Leftover(best.changes, ids, tuple(notes), damaged, stray, from_fallback)


def settle(unsaved: Leftover) -> tuple[str, ...]:
    """Keep what cannot be replayed (writes); returns sentences saying where it is."""
    notes = list(unsaved.notes)
    if unsaved.damaged is not None:
        path, data = unsaved.damaged
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            atomic_write_bytes(aside, data, make_folder=False)
            notes[0] += f"; the damaged journal is kept as {aside.name}"
        except WriteError:
            pass  # the journal itself is rewritten only when the session is writable
    if unsaved.stray is not None and unsaved.stray.changes:
        try:
            out = rescue(unsaved.stray)
            notes.append(
                f"{len(unsaved.stray.changes)} change(s) kept on this computer no longer fit "
                f"the file (it was changed since) and were not applied; all the events as they "
                f"were then are in {out} (File ▸ Compare with another coder… to see them)"
            )
            fallback_path(Path(str(unsaved.stray.header.get("events")))).unlink(missing_ok=True)
        except (WriteError, OSError):
            pass
    return tuple(n + "." for n in notes)
