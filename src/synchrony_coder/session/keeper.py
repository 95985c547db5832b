"""Where an open session's unsaved changes are safe right now, and what to tell the coder.

A :class:`Keeper` owns the journal beside the coder's CSV, the fallback journal on this computer
(:mod:`.fallback`) and the save. Every change is written and fsynced to the journal before
:meth:`Keeper.record` returns. If that fails (the disk is full, the folder turned read-only or went
away, the disk reported an error) every unsaved change goes to the fallback journal at once, and
if even that fails they stay in memory; :attr:`Keeper.status` then says in one plain sentence what
happened, where the edits are and what to do. The journal is tried again at the next change
after :data:`RETRY_S` seconds and whenever :meth:`Keeper.retry` is called (the app does so every
few seconds); once it can be written it is rewritten whole with every unsaved change and the
fallback deleted. A save appends a save record, writes the CSV atomically, then starts a fresh
journal: a crash between any two of those steps loses nothing (see :mod:`.journal`).
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from ..storage import WriteError, atomic_write_bytes, sweep_temps
from .edits import Change, Event
from .fallback import fallback_journal, fallback_path
from .journal import Journal, csv_digest, digest, journal_path
from .manifest import SessionError

__all__ = ["RETRY_S", "SaveError", "Keeper", "Status", "sentence"]

RETRY_S = 2.0

_WHERE = {
    "journal": "in memory and in the journal beside it",
    "fallback": "in memory and in a backup journal on this computer",
    "memory": "in memory only (no disk would take them)",
}
_HAPPENED = {
    "full": "the disk holding {name} is full",
    "denied": "the folder of {name} is no longer writable",
    "unreachable": "the folder of {name} cannot be reached (network drive or USB disk disconnected?)",
    "failed": "the disk holding {name} reported an error",
    "changed": "{name} was changed by another program while it could not be written",
}
_HAPPENED_SAVING = {  # after "NAME was not saved because"
    "full": "the disk is full",
    "denied": "its folder is not writable",
    "unreachable": "its folder cannot be reached (network drive or USB disk disconnected?)",
    "failed": "the disk reported an error",
}
_EXPORT = "choose File ▸ Export CSV… to save them elsewhere"
_TODO = {
    "full": f"free some space (they are then written back) or {_EXPORT}",
    "denied": f"restore write access (they are then written back) or {_EXPORT}",
    "unreachable": f"they are written back when it returns, or {_EXPORT}",
    "failed": f"{_EXPORT} (on another disk)",
    "changed": "choose File ▸ Export CSV… to keep both, or Save to replace it with yours",
}
_TODO_SAVING = {
    "full": f"free some space and save again, or {_EXPORT}",
    "denied": _EXPORT,
    "unreachable": f"reconnect it and save again, or {_EXPORT}",
    "failed": f"save again, or {_EXPORT} (on another disk)",
}


def sentence(kind: str, where: str, unsaved: int, name: str, *, saving: bool = False) -> str:
    """One plain sentence: what happened, where the coder's edits are, what to do."""
    happened = (_HAPPENED_SAVING if saving else _HAPPENED)[kind].format(name=name)
    if unsaved == 0:
        edits = f"new edits will be kept {_WHERE[where]}"
    else:
        edits = "your unsaved edit is" if unsaved == 1 else f"your {unsaved} unsaved edits are"
        edits = f"{edits} {'still ' if saving else ''}kept {_WHERE[where]}"
    if saving:
        return f"{name} was not saved because {happened}: {edits}; {_TODO_SAVING[kind]}."
    return f"{happened[0].upper()}{happened[1:]}: {edits}; {_TODO[kind]}."


def _folder_id(folder: Path) -> tuple[int, int] | None:
    """Which folder this is (device, inode), None when there is none."""
    try:
        st = folder.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


@dataclass(frozen=True)
class Status:
    """Where unsaved changes are on disk (``"journal"``, ``"fallback"``, ``"memory"``) and why."""

    where: str = "journal"
    message: str = ""  # one sentence for the coder; "" when all is well
    kind: str = ""  # "full", "denied", "unreachable", "failed", "changed"; "" when all is well


class SaveError(SessionError):
    """The coder's CSV could not be saved; ``str()`` is one sentence for the coder."""

    def __init__(self, message: str, error: WriteError) -> None:
        super().__init__(message)
        self.error = error


class Keeper:
    """Keeps every change of one open session on disk; see the module docstring."""

    def __init__(
        self,
        events_path: Path,
        *,
        session: str,
        coder: str,
        opener: str,
        base: str,
        ids: Sequence[int],
        saved: dict[int, Event],
    ) -> None:
        self.events_path = Path(events_path)
        self.journal = Journal(journal_path(self.events_path))
        self._folder = _folder_id(self.events_path.parent)
        self._who = (session, coder, opener)
        self.base, self.ids, self.saved = base, list(ids), saved
        self.pending: list[Change] = []
        self.status = Status()
        self._fallback: Journal | None = None
        self._kind = ""
        self._tried = float("-inf")
        self._listeners: list[Callable[[Status], None]] = []

    def watch(self, listener: Callable[[Status], None]) -> None:
        """Call ``listener(status)`` whenever :attr:`status` may have changed."""
        self._listeners.append(listener)

    # -- the three places ---------------------------------------------------------------------
    def start(self, changes: Sequence[Change]) -> None:
        """Take over the recovered ``changes`` and write them back as a clean journal."""
        self.pending = list(changes)
        for path in (self.events_path, self.journal.path):
            sweep_temps(path)
        if not self._write_back():
            self._fall_back(None)

    def record(self, change: Change) -> None:
        """Keep ``change`` (just applied) on disk, wherever possible."""
        self.pending.append(change)
        if self.status.where == "journal":
            if self.journal.writable:
                try:
                    self.journal.append(change, self.base)
                    return
                except WriteError as exc:
                    self._kind = exc.kind
            if self._write_back():  # a failed append may have left part of a line: rewrite whole
                return
        elif time.monotonic() - self._tried >= RETRY_S and self._write_back():
            return
        self._fall_back(change)

    def retry(self) -> bool:
        """Try to write the unsaved changes back to the journal; True when they are there."""
        if self.status.where == "journal" and self.journal.writable:
            try:
                self._check_folder()
                return True
            except WriteError as exc:
                self._leave_folder(exc)
                return False
        if self._write_back():
            return True
        if self.status.where == "fallback":
            self._announce("fallback")  # the reason may have changed (the folder is back, but...)
        else:
            self._fall_back(None)
        return False

    def _write_back(self) -> bool:
        self._tried = time.monotonic()
        try:
            self._check_folder()
            if csv_digest(self.events_path) != self.base:
                self._kind = "changed"  # not ours to overwrite quietly: the coder decides
                return False
            self.journal.reset(self.base, self.ids, self.pending)
        except WriteError as exc:
            self._kind = exc.kind
            return False
        except OSError as exc:  # the CSV cannot be read back
            self._kind = WriteError(self.events_path, exc).kind
            return False
        self._drop_fallback()
        self._announce("journal")
        return True

    def _check_folder(self) -> None:
        """Raise ``WriteError`` ("unreachable") unless the CSV's folder is the one opened.

        A drive unmounted lazily leaves its mount point behind, an empty folder of the same name
        (the journal, still open, keeps writing to the drive): writing there would "save" where
        the coder never looks and the edits after it would be lost when the drive comes back.
        The same folder mounted anew (another device number) is known by the CSV it holds.
        """
        here = _folder_id(self.events_path.parent)
        if (
            here not in (None, self._folder)
            and self.base != "none"
            and csv_digest(self.events_path) == self.base
        ):
            self._folder = here
        if here is None or here != self._folder:
            why = "folder gone" if here is None else "not the folder opened (unmounted?)"
            raise WriteError(self.events_path, OSError(errno.ENOENT, why))

    def _leave_folder(self, exc: WriteError) -> None:
        """The folder went away under an open journal: keep everything on this computer."""
        self._kind = exc.kind
        self.journal.close()  # an unmounted drive is released once nothing holds it open
        self._fall_back(None)

    def _fall_back(self, change: Change | None) -> None:
        fb = self._fallback
        if (
            self.status.where == "fallback"
            and fb is not None
            and fb.writable
            and change is not None
        ):
            try:
                fb.append(change, self.base)
                self._announce("fallback")
                return
            except WriteError:
                pass
        session, coder, opener = self._who
        self._fallback = fallback_journal(self.events_path, session, coder, opener, self.saved)
        try:
            self._fallback.reset(self.base, self.ids, self.pending)
            self._announce("fallback")
        except WriteError:
            self._announce("memory")

    def _drop_fallback(self) -> None:
        if self._fallback is not None:
            self._fallback.close()
        with suppress(OSError):  # left behind, it replays onto nothing it does not match
            fallback_path(self.events_path).unlink(missing_ok=True)
        self._fallback = None

    def _announce(self, where: str) -> None:
        if where == "journal":
            self._kind = ""
            status = Status()
        else:
            kind = self._kind or "failed"
            name = self.events_path.name
            status = Status(where, sentence(kind, where, len(self.pending), name), kind)
        self.status = status
        for listener in list(self._listeners):
            listener(status)

    # -- saving and closing -------------------------------------------------------------------
    def save(self, text: str, ids: Sequence[int], saved: dict[int, Event]) -> None:
        """Write ``text`` (the events ``saved``, rows with ``ids``) as the coder's CSV.

        Raises
        ------
        SaveError
            The CSV could not be written (it is as it was; the changes stay kept).
        """
        data = text.encode("utf-8")
        new = digest(data)
        try:
            self._check_folder()
        except WriteError as exc:
            if self.status.where == "journal":
                self._leave_folder(exc)
            name, n = self.events_path.name, len(self.pending)
            raise SaveError(
                sentence(exc.kind, self.status.where, n, name, saving=True), exc
            ) from None
        if self.status.where == "journal" and self.journal.writable:
            with suppress(WriteError):  # the journal is rewritten whole after the save
                self.journal.saving(self.base, new, ids)
        try:
            atomic_write_bytes(self.events_path, data, make_folder=False)
        except WriteError as exc:
            name, n = self.events_path.name, len(self.pending)
            if exc.intact is None:  # written, but the folder's sync failed: keep the journal whole
                self.base, self.ids, self.saved, self.pending = new, list(ids), saved, []
                raise SaveError(
                    f"{name} was written, but it may not survive a power cut ({exc.reason}): your "
                    "edits are also still kept in the journal beside it; save again, or "
                    f"{_EXPORT} (on another disk).",
                    exc,
                ) from None
            # the journal (up to a failed save record, if any) or the fallback still has them all
            where = self.status.where
            raise SaveError(sentence(exc.kind, where, n, name, saving=True), exc) from None
        self.base, self.ids, self.saved, self.pending = new, list(ids), saved, []
        if not self._write_back():
            self.journal.close()
            self._drop_fallback()  # it continues the CSV replaced just now
            self._fall_back(None)

    def close(self, discard: bool) -> None:
        """Close the journals; with ``discard`` (or nothing unsaved) delete them."""
        self.journal.close()
        if self._fallback is not None:
            self._fallback.close()
        if discard:
            with suppress(WriteError):  # left behind, it holds nothing the CSV lacks
                self.journal.remove()
            self._drop_fallback()
