"""The crash journal: every change appended and fsynced before the next keystroke is handled.

``coder_NAME.csv.journal`` sits beside the coder's CSV (a fallback copy may sit on this computer,
see :mod:`.fallback`). Every line is ``CRC32 JSON``. The first is a header: the format, its
version, the SHA-256 of the CSV it continues (``"none"``: no file) and the event id of each of
that CSV's rows (ids stay fixed while a session is open but the CSV is written sorted by time, so
a replay needs them). Each further line is a record:

- a change, ``{"base": B, "label": ..., "rows": [[id, event after or null], ...]}``, with
  ``"frame": F`` (the playhead's frame when it was made: recovery reopens there) and ``"notes":
  [[key, before, after], ...]`` (a consensus decision, see :class:`~.edits.Change`) when it has
  them; readers ignore keys they do not know, so older versions of the program read these too;
- a save, ``{"base": B, "saved": D, "ids": [...]}``, appended before the CSV of digest D is written.

B (the first 16 hex digits of a CSV digest) names the CSV a record continues. Recovery replays onto
the CSV on disk exactly the change records written against it after the last save record naming
it, so a crash anywhere in a save neither loses nor doubles a change. Damaged lines (a torn last
line after a power cut, garbage in the middle, a CRC that does not match) are skipped and counted,
every intact record is kept; a journal of another version is read as far as it can be, and
version 1 journals (plain JSON lines, no save records) as they always were.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..storage import AppendLog, atomic_write_bytes, remove
from .edits import Change, Event

__all__ = [
    "Journal",
    "Replay",
    "csv_digest",
    "digest",
    "journal_path",
    "read_journal",
    "replay_journal",
]

FORMAT = "synchrony-coder journal"
VERSION = 2


def journal_path(events_path: Path) -> Path:
    return events_path.with_name(events_path.name + ".journal")


def digest(data: bytes | None) -> str:
    """SHA-256 of a CSV's bytes, ``"none"`` for no file."""
    return "none" if data is None else hashlib.sha256(data).hexdigest()


def csv_digest(events_path: Path) -> str:
    """SHA-256 of the CSV's bytes, or ``"none"`` when there is no file."""
    try:
        return digest(Path(events_path).read_bytes())
    except FileNotFoundError:
        return "none"


def event_json(ev: Event | None) -> dict | None:
    if ev is None:
        return None
    d = asdict(ev)
    d["extras"] = [list(kv) for kv in ev.extras]
    return d


def event_from(d: dict | None) -> Event | None:
    if d is None:
        return None
    return Event(**{**d, "extras": tuple((str(k), str(v)) for k, v in d.get("extras", []))})


def _line(obj: dict) -> bytes:
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _parse(line: bytes) -> dict | None:
    """A line's record, or None when it is damaged (a version 1 line has no CRC)."""
    if not line.startswith(b"{"):
        crc, _, line = line.partition(b" ")
        try:
            if len(crc) != 8 or int(crc, 16) != zlib.crc32(line):
                return None
        except ValueError:
            return None
    try:
        rec = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def _change(rec: dict) -> Change:
    rows = tuple((int(i), None, event_from(ev)) for i, ev in rec["rows"])
    notes = tuple((str(k), _text(b), _text(a)) for k, b, a in rec.get("notes", ()))
    frame = rec.get("frame")
    return Change(str(rec["label"]), rows, notes, None if frame is None else int(frame))


def _text(value) -> str | None:
    return None if value is None else str(value)


def _change_record(change: Change, base: str) -> dict:
    rec = {
        "base": base[:16],
        "label": change.label,
        "rows": [[i, event_json(a)] for i, _, a in change.rows],
    }
    if change.notes:
        rec["notes"] = [list(note) for note in change.notes]
    if change.frame is not None:
        rec["frame"] = int(change.frame)
    return rec


@dataclass(frozen=True)
class Replay:
    """What a journal holds for the CSV on disk (the events *before* each change are ``None``)."""

    changes: tuple[Change, ...] = ()
    ids: tuple[int, ...] | None = None  # event id of each row of that CSV; None: row numbers
    header: dict = field(default_factory=dict)
    damaged: int = 0  # damaged lines skipped (garbage, a CRC that does not match)
    torn: bool = False  # the last line was cut off mid-write (a crash or a power cut)
    unmatched: int = 0  # changes written against another version of the CSV: not replayed
    foreign: str = ""  # why the header is not ours ("" when it is)

    @property
    def harmed(self) -> bool:
        """True when intact records could not be replayed or lines were lost (keep a copy)."""
        return bool(self.damaged or self.unmatched or self.foreign)

    def dropped(self) -> str:
        """What was left out, in words (``""`` when nothing was)."""
        parts = []
        if self.foreign:
            parts.append(self.foreign)
        if self.damaged:
            parts.append(f"{self.damaged} damaged line(s) were skipped")
        if self.unmatched:
            parts.append(
                f"{self.unmatched} change(s) were written against another version of the file "
                "(changed since by another program) and were not applied"
            )
        if self.torn:
            parts.append("the change being written when it stopped was incomplete and is left out")
        return "; ".join(parts)


def replay_journal(data: bytes, csv_sha256: str) -> Replay:
    """The changes of a journal's bytes that continue the CSV of digest ``csv_sha256``."""
    lines = data.split(b"\n")
    torn = bool(lines[-1].strip())  # a last line without its newline was cut off
    lines = [ln.rstrip(b"\r") for ln in lines[:-1]]
    first = _parse(lines[0]) if lines else None
    header, foreign = {}, ""
    if first is not None and first.get("format") == FORMAT:
        header = first
    elif first is not None and ("rows" in first or "saved" in first):
        lines, foreign = [b"", *lines], "its header line is missing"
    elif lines:
        foreign = "it is not a synchrony-coder journal" if first else "its header line is damaged"
    version = header.get("version", 1) if header else None
    if isinstance(version, int) and version > VERSION:
        foreign = f"it was written by a newer synchrony-coder (journal version {version})"
    base = str(header.get("base") or "")
    ids_of = {base[:16]: header.get("ids")} if base else {}
    here = csv_sha256[:16]
    changes: list[Change] = []
    damaged = unmatched = 0
    for line in lines[1:]:
        if not line.strip():
            continue
        rec = _parse(line)
        try:
            if rec is None:
                raise ValueError
            if "saved" in rec:
                saved = str(rec["saved"])[:16]
                ids_of[saved] = rec.get("ids")
                if saved == here:  # everything before is in this CSV
                    changes, unmatched = [], 0
                continue
            change = _change(rec)
        except (KeyError, TypeError, ValueError, AttributeError):
            damaged += 1
            continue
        if str(rec.get("base") or base)[:16] == here:
            changes.append(change)
        else:
            unmatched += 1
    ids = ids_of.get(here)
    try:
        ids = tuple(int(i) for i in ids) if ids is not None else None
    except (TypeError, ValueError):
        ids = None
    if changes and ids is None and version != 1 and csv_sha256 != "none":
        unmatched += len(changes)  # row ids unknown: replaying could change the wrong events
        changes = []
    return Replay(tuple(changes), ids, header, damaged, torn, unmatched, foreign)


def read_journal(events_path: Path) -> list[Change]:
    """The changes journaled beside ``events_path`` that continue the CSV on disk ([] if none)."""
    try:
        data = journal_path(Path(events_path)).read_bytes()
    except FileNotFoundError:
        return []
    return list(replay_journal(data, csv_digest(events_path)).changes)


class Journal:
    """An append-only, fsynced log of the changes made since the CSV was last saved.

    ``header`` adds fields to the header line (the fallback journal names its session there);
    ``make_folder``: create the journal's folder if missing (never for a session's folder).
    """

    def __init__(self, path: Path, header: dict | None = None, make_folder: bool = False) -> None:
        self.path = Path(path)
        self.header = dict(header or {})
        self.make_folder = make_folder
        self._log = AppendLog(self.path)

    @property
    def writable(self) -> bool:
        """False after a failed write, until :meth:`reset` rewrites the file whole."""
        return not self._log.broken

    def reset(self, base: str, ids: Sequence[int], changes: Iterable[Change] = ()) -> None:
        """Rewrite the journal (atomically) for the CSV of digest ``base``, holding ``changes``."""
        self._log.close()
        head = {"format": FORMAT, "version": VERSION, "base": base, "ids": list(ids)}
        data = _line({**head, **self.header}) + b"".join(
            _line(_change_record(c, base)) for c in changes
        )
        try:
            atomic_write_bytes(self.path, data, make_folder=self.make_folder)
        except BaseException:
            self._log.broken = True
            raise
        self._log.reopen()

    def append(self, change: Change, base: str) -> None:
        """Write one change and fsync it: it survives a crash from now on."""
        self._log.append(_line(_change_record(change, base)))

    def saving(self, base: str, saved: str, ids: Sequence[int]) -> None:
        """Say that the CSV of digest ``saved`` (rows with ``ids``) is about to replace ``base``."""
        self._log.append(_line({"base": base[:16], "saved": saved, "ids": list(ids)}))

    def close(self) -> None:
        self._log.close()

    def remove(self) -> None:
        """Delete the journal (the changes were saved or discarded)."""
        self._log.close()
        remove(self.path)
