"""One coder's open session: the events, the crash journal, save and recovery (no Qt here).

The GUI observes a :class:`CodingSession` (callbacks, as napari's models emit events) and sends it
:class:`~synchrony_coder.session.edits.Change` objects built by the pure operations of
:mod:`.edits`; every applied change is journaled and fsynced at once, so a crash, a kill or a power
cut loses nothing already shown on screen, and a full disk, a read-only or vanished folder loses
nothing either (:mod:`.keeper`). ``save()`` writes the coder's CSV atomically in the SCIENCE.md §1
format and starts a fresh journal. A session another program has open, or whose folder cannot be
written, opens read-only and says why (:attr:`CodingSession.read_only`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from ..events import empty_events, format_events, read_events
from ..scheme import Scheme, load_scheme
from ..storage import WriteError, atomic_write_text
from .edits import Change, Event, events_from_frame, events_to_frame
from .index import IndexedEvents, indexed
from .journal import digest
from .keeper import Keeper, SaveError, Status
from .lock import Lock, LockHeld
from .manifest import SessionError, SessionSpec
from .recovery import find_unsaved, settle

__all__ = ["CodingSession", "ReadOnlyError", "SaveError"]

Listener = Callable[[Change], None]


class ReadOnlyError(SessionError):
    """A change or save asked of a session opened read-only (says why, and what to do)."""


class CodingSession:
    """The events one coder made for one session, kept safe on disk after every change.

    Build it with :meth:`open`. ``recovered`` is the number of journaled changes replayed because
    the previous run ended without saving (a crash, a kill, a power cut), and ``recovered_frame``
    the playhead's frame at the last of them (``recovered_time``: the onset of the event it
    changed, for journals that do not record the playhead); ``recovery_notes`` says in sentences
    what recovery left out and where it kept it. ``read_only`` is ``""`` or the sentence saying
    why this session cannot be changed here. ``notes``: the notes the changes since opening set
    (:class:`~.edits.Change`; whoever sets them saves them when the session is saved).
    """

    def __init__(
        self,
        spec: SessionSpec,
        coder: str,
        scheme: Scheme,
        events: Mapping[int, Event],
        saved: dict[int, Event],
        keeper: Keeper | None,
        recovered: int = 0,
        *,
        lock: Lock | None = None,
        read_only: str = "",
        recovery_notes: tuple[str, ...] = (),
        replayed: tuple[Change, ...] = (),
    ) -> None:
        self.spec = spec
        self.coder = coder
        self.scheme = scheme
        self.path = spec.events_path(coder)
        self.recovered = recovered
        self.read_only = read_only
        self.recovery_notes = recovery_notes
        self._events = indexed(events)
        self._saved = saved
        # ids whose event differs from the saved CSV's: `dirty` without comparing every event
        self._unsaved = {i for i in events.keys() | saved.keys() if events.get(i) != saved.get(i)}
        self._keeper = keeper
        self._lock = lock
        self._listeners: list[Listener] = []
        self.notes: dict[str, str | None] = {}
        self._notes_saved: dict[str, str | None] = {}  # each note's value at the last save
        for change in replayed:
            self._note(change)
        last = replayed[-1] if replayed else None
        self.recovered_frame = next((c.frame for c in replayed[::-1] if c.frame is not None), None)
        focus = None if last is None or last.focus is None else events.get(last.focus)
        self.recovered_time = None if focus is None else focus.onset_s

    @classmethod
    def open(cls, spec: SessionSpec, coder: str, scheme: Scheme | None = None) -> CodingSession:
        """Open (or start) ``coder``'s events of ``spec``, replaying what the last run left unsaved.

        Never refuses for the journal's sake: damaged records are skipped and said so. A session
        another program has open, or in a folder that cannot be written, opens read-only.

        Raises
        ------
        EventsFileError
            The coder's CSV breaks the rules of SCIENCE.md §1.
        SchemeError
            The session's scheme cannot be loaded.
        """
        scheme = scheme or load_scheme(spec.scheme)
        path = spec.events_path(coder)
        try:
            data: bytes | None = path.read_bytes()
        except FileNotFoundError:
            data = None
        except OSError as exc:
            raise SessionError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        base = read_events(path, scheme) if data is not None else empty_events()
        sha = digest(data)
        lock, read_only = _claim(path)
        unsaved = find_unsaved(path, sha)
        rows = events_from_frame(base)
        ids = unsaved.ids if unsaved.ids is not None and len(unsaved.ids) == len(rows) else None
        saved = dict(zip(ids, rows.values(), strict=True)) if ids else rows
        events = IndexedEvents(saved)
        for change in unsaved.changes:
            events.apply(change)
        keeper, notes = None, tuple(n + "." for n in unsaved.notes)
        if lock is not None:
            notes = settle(unsaved)  # keeps a damaged journal's copy, rescues stray changes
            keeper = Keeper(
                path,
                session=spec.session,
                coder=coder,
                opener=str(spec.folder if not spec.prefix else spec.videos[0].path),
                base=sha,
                ids=list(saved),
                saved=saved,
            )
            keeper.start(unsaved.changes)  # a clean journal; a problem writing it: .status
        return cls(
            spec,
            coder,
            scheme,
            events,
            saved,
            keeper,
            len(unsaved.changes),
            lock=lock,
            read_only=read_only,
            recovery_notes=notes,
            replayed=unsaved.changes,
        )

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
    def unsaved_events(self) -> int:
        """How many events differ from the saved CSV (added, changed or deleted since)."""
        return len(self._unsaved)

    @property
    def dirty(self) -> bool:
        """True when the CSV on disk differs from the events shown, or a note was changed since the
        last save (the journal holds the rest)."""
        return bool(self._unsaved) or any(
            self.notes.get(k) != v for k, v in self._notes_saved.items()
        )

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
        if self._keeper is None:
            raise ReadOnlyError(self.read_only)
        self._events.apply(change)
        for i, _, after in change.rows:
            if self._saved.get(i) == after:
                self._unsaved.discard(i)
            else:
                self._unsaved.add(i)
        self._note(change)
        self._keeper.record(change)
        self._notify(change)

    def _note(self, change: Change) -> None:
        for key, before, after in change.notes:
            self._notes_saved.setdefault(key, before)
            self.notes[key] = after

    # -- keeping it safe ----------------------------------------------------------------------
    @property
    def status(self) -> Status:
        """Where the unsaved changes are kept, and the sentence to show when it is not the journal."""
        return self._keeper.status if self._keeper is not None else Status()

    def watch_status(self, listener: Callable[[Status], None]) -> None:
        """Call ``listener(status)`` when :attr:`status` may have changed."""
        if self._keeper is not None:
            self._keeper.watch(listener)

    def retry(self) -> bool:
        """Try to write kept changes back beside the CSV (a folder back, space freed)."""
        return self._keeper.retry() if self._keeper is not None else True

    def save(self, path: str | Path | None = None) -> Path:
        """Write the events to the coder's CSV (atomic), or to ``path`` ("save as" export).

        Saving to the coder's own CSV also starts a fresh journal and clears :attr:`dirty`.

        Raises
        ------
        SaveError
            The CSV could not be written (it is as it was; the changes stay kept, as it says).
        WriteError
            An export could not be written.
        ReadOnlyError
            The session is read-only.
        """
        target = Path(path) if path is not None else self.path
        frame = self.frame()
        text = format_events(frame.reset_index(drop=True))
        if target.absolute() != self.path.absolute():
            atomic_write_text(target, text)
            return target
        if self._keeper is None:
            raise ReadOnlyError(self.read_only)
        saved = self._events.snapshot()
        self._keeper.save(text, list(frame.index), saved)
        self._saved = saved
        self._unsaved.clear()
        self._notes_saved.clear()
        self._notify(Change("save", ()))
        return target

    def close(self, discard: bool = False) -> None:
        """Close the journal; with ``discard``, unsaved changes are dropped for good.

        Without ``discard`` and with unsaved changes, the journal (or the copy kept on this
        computer) stays so the next open recovers them.
        """
        if self._keeper is not None:
            self._keeper.close(discard=discard or not self.dirty)
        if self._lock is not None:
            self._lock.release()

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)


def _claim(path: Path) -> tuple[Lock | None, str]:
    """This process's lock on ``path``, or None and the sentence saying why it is read-only."""
    name = path.name
    try:
        lock = Lock.acquire(path)
    except LockHeld as held:
        return None, (
            f"{name} is open read-only: it is being coded elsewhere ({held.holder.describe()}); "
            "choose Code into a copy… to code anyway."
        )
    except WriteError as exc:
        if exc.kind == "denied":
            return None, (
                f"{name} is open read-only: {exc.reason}; choose Code into a copy… to code into a "
                "folder of your own."
            )
        return None, (
            f"{name} is open read-only: it cannot be locked for you ({exc.reason}); open it again "
            "later, or choose Code into a copy…."
        )
    if path.exists() and not os.access(path, os.W_OK):
        lock.release()
        return None, (
            f"{name} is open read-only: the file itself is read-only; choose Code into a copy… "
            "to code into a folder of your own."
        )
    return lock, ""
