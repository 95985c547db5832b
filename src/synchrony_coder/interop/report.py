"""What a conversion did to the data: every lost field, unmapped code and skipped item, with a reason.

Readers and writers of foreign formats return a :class:`ConversionReport` beside their result, so
nothing is dropped or changed silently: an ELAN annotation without aligned times, a BORIS state event
without its STOP, a modifier GSEQ cannot hold — each becomes a :class:`Note` the CLI prints on stderr,
one line each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DataError

__all__ = ["NOTE_KINDS", "ConversionReport", "InteropError", "Note"]

#: Kinds of note, in the order the CLI prints them.
NOTE_KINDS: tuple[str, ...] = (
    "skipped",  # an item of the source that is not in the result, with the reason
    "lost",  # a field the target format cannot hold
    "unmapped",  # a foreign (tier, code) the mapping file does not cover
    "interpolated",  # times ELAN leaves unaligned, filled by linear interpolation
    "inherited",  # referring annotations that take their parent's times
    "renamed",  # a name changed to fit the target format
    "offset",  # media or observation time offsets, and how times were shifted
    "info",  # anything else worth knowing
)


class InteropError(DataError):
    """A foreign file that cannot be converted at all; ``str()`` is one line naming the file."""

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class Note:
    """One thing a conversion did: ``kind`` (see :data:`NOTE_KINDS`), what, how many, where."""

    kind: str
    message: str
    count: int | None = None  # how many items it is about (None: not a count of items)
    where: str = ""  # a tier, an observation, a session ... ("" when file-wide)

    def __str__(self) -> str:
        where = f" [{self.where}]" if self.where else ""
        count = "" if self.count is None else f"{self.count} "
        return f"{self.kind}{where}: {count}{self.message}"


@dataclass
class ConversionReport:
    """The notes of one read or write.

    Attributes
    ----------
    source
        The file read or written.
    format
        The foreign format's name (``eaf``, ``boris``, ...).
    n_events
        Events in the result (read) or written (write).
    notes
        Everything worth telling the user, see :data:`NOTE_KINDS`.
    unmapped
        ``(tier, code, n_events)`` of foreign codes the mapping file does not cover.
    """

    source: str
    format: str
    n_events: int = 0
    notes: list[Note] = field(default_factory=list)
    unmapped: list[tuple[str, str, int]] = field(default_factory=list)

    def note(self, kind: str, message: str, count: int | None = None, where: str = "") -> None:
        if kind not in NOTE_KINDS:
            raise ValueError(f"unknown note kind {kind!r}")
        self.notes.append(Note(kind, message, None if count is None else int(count), str(where)))

    def count(self, kind: str, where: str | None = None) -> int:
        """Items counted by notes of ``kind`` (optionally only those about ``where``)."""
        return sum(
            (1 if n.count is None else n.count)
            for n in self.notes
            if n.kind == kind and (where is None or n.where == where)
        )

    def merge(self, other: ConversionReport) -> None:
        """Add another report's notes (e.g. the mapping step's) to this one."""
        self.notes.extend(other.notes)
        self.unmapped.extend(other.unmapped)

    def lines(self) -> list[str]:
        """Every note, one line each, grouped by kind in the order of :data:`NOTE_KINDS`."""
        order = {k: i for i, k in enumerate(NOTE_KINDS)}
        notes = sorted(self.notes, key=lambda n: order[n.kind])
        return [f"{self.source}: {n}" for n in notes]
