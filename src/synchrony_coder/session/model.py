"""One coder's open session: the events, the crash journal, save and recovery (no Qt here).

The GUI observes a :class:`CodingSession` (callbacks, as napari's models emit events) and sends it
:class:`~synchrony_coder.session.edits.Change` objects built by the pure operations of
:mod:`.edits`; every applied change is journaled and fsynced at once, so a crash, a kill or a power
cut loses nothing already shown on screen. ``save()`` writes the coder's CSV atomically in the
SCIENCE.md §1 format and starts a fresh journal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from ..events import atomic_write_text, empty_events, read_events, write_events
from ..scheme import Scheme, load_scheme
from .edits import Change, Event, events_from_frame, events_to_frame
from .index import IndexedEvents, indexed
from .journal import Journal, read_journal
from .manifest import SessionError, SessionSpec

__all__ = ["CodingSession"]

Listener = Callable[[Change], None]


class CodingSession:
    """The events one coder made for one session, kept safe on disk after every change.

    Build it with :meth:`open`. ``recovered`` is the number of journaled changes replayed because
    the previous run ended without saving (a crash, a kill, a power cut).
    """

    def __init__(
        self,
        spec: SessionSpec,
        coder: str,
        scheme: Scheme,
        events: Mapping[int, Event],
        saved: dict[int, Event],
        journal: Journal,
        recovered: int = 0,
    ) -> None:
        self.spec = spec
        self.coder = coder
        self.scheme = scheme
        self.path = spec.events_path(coder)
        self.recovered = recovered
        self._events = indexed(events)
        self._saved = saved
        # ids whose event differs from the saved CSV's: `dirty` without comparing every event
        self._unsaved = {i for i in events.keys() | saved.keys() if events.get(i) != saved.get(i)}
        self._journal = journal
        self._listeners: list[Listener] = []

    @classmethod
    def open(cls, spec: SessionSpec, coder: str, scheme: Scheme | None = None) -> CodingSession:
        """Open (or start) ``coder``'s events of ``spec``, replaying a crash journal if present.

        Raises
        ------
        EventsFileError
            The coder's CSV breaks the rules of SCIENCE.md §1.
        SchemeError
            The session's scheme cannot be loaded.
        SessionError
            Another running program has this coder's events open.
        """
        scheme = scheme or load_scheme(spec.scheme)
        path = spec.events_path(coder)
        base = read_events(path, scheme) if path.exists() else empty_events()
        saved = events_from_frame(base)
        changes = read_journal(path)
        events = IndexedEvents(saved)
        for change in changes:
            events.apply(change)
        _lock(path)
        journal = Journal(path)
        journal.reset(changes)  # rewritten clean: drops a torn last line before we append again
        return cls(spec, coder, scheme, events, saved, journal, recovered=len(changes))

    # -- reading ------------------------------------------------------------------------------
    @property
    def events(self) -> IndexedEvents:
        """The current events by id, with their sorted indexes (read-only: change them with
        :meth:`apply`; :meth:`IndexedEvents.snapshot` copies them)."""
        return self._events

    @property
    def session_id(self) -> str:
        return self.spec.session

    @property
    def dirty(self) -> bool:
        """True when the CSV on disk differs from the events shown (the journal holds the rest)."""
        return bool(self._unsaved)

    def frame(self) -> pd.DataFrame:
        """The events as a tidy table (SCIENCE.md §1) indexed by event id."""
        return events_to_frame(self._events, self.spec.session, self.coder)

    # -- changing -----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(change)`` after every applied change (and after save, with no rows)."""
        self._listeners.append(listener)

    def apply(self, change: Change) -> None:
        """Apply a change built by an operation of :mod:`.edits`; durable when this returns.

        Costs O(log n) plus the journal's one appended line, whatever the number of events.
        """
        self._events.apply(change)
        for i, _, after in change.rows:
            if self._saved.get(i) == after:
                self._unsaved.discard(i)
            else:
                self._unsaved.add(i)
        self._journal.append(change)
        self._notify(change)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the events to the coder's CSV (atomic), or to ``path`` ("save as" export).

        Saving to the coder's own CSV also starts a fresh journal and clears :attr:`dirty`.
        """
        target = Path(path) if path is not None else self.path
        write_events(self.frame().reset_index(drop=True), target)
        if target.resolve() == self.path.resolve():
            self._saved = self._events.snapshot()
            self._unsaved.clear()
            self._journal.reset()
            self._journal.open()
            self._notify(Change("save", ()))
        return target

    def close(self, discard: bool = False) -> None:
        """Close the journal; with ``discard``, unsaved changes are dropped for good.

        Without ``discard`` and with unsaved changes, the journal stays so the next open recovers
        them.
        """
        if discard or not self.dirty:
            self._journal.remove()
        else:
            self._journal.close()
        _lock_path(self.path).unlink(missing_ok=True)

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)


def _lock_path(events_path: Path) -> Path:
    return events_path.with_name(events_path.name + ".lock")


def _lock(events_path: Path) -> None:
    """Claim the coder's events for this process: two programs appending to one journal would
    lose changes. A lock left by a process that is gone (a crash, a kill) is taken over."""
    lock = _lock_path(events_path)
    try:
        pid = int(lock.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        pid = 0
    if pid and pid != os.getpid() and _alive(pid):
        raise SessionError(
            f"{events_path}: already open in another synchrony-coder (process {pid}); "
            "close it there first"
        )
    atomic_write_text(lock, f"{os.getpid()}\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
