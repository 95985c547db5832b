"""One coder's events by id, each tier's events kept in onset order: edits touch only neighbours.

:class:`IndexedEvents` is what an open session holds: a read-only mapping ``id -> Event`` (as a
dict would be) plus sorted indexes, so that what an edit needs costs O(log n) searches instead of
a pass over every event: the events of a tier in onset order, those covering a time or meeting a
span, the next onset after a time, the line an event will have in the saved CSV (the order of
:func:`~synchrony_coder.session.edits.events_to_frame`: onset, tier, id), and :func:`check_change`,
which validates an edit by looking only at the events it can affect.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..events import Problem, check_rows, overlap_message
from ..scheme import Scheme

if TYPE_CHECKING:  # (edits builds on this module)
    from .edits import Change, Event

__all__ = ["IndexedEvents", "check_change", "indexed"]

_INF = math.inf


class IndexedEvents(Mapping[int, "Event"]):
    """Events by id with sorted indexes; change them only with :meth:`apply`.

    Parameters
    ----------
    events : the events to start from (copied).
    """

    def __init__(self, events: Mapping[int, Event] | None = None) -> None:
        self._by_id: dict[int, Event] = dict(events or {})
        self._rows = sorted((ev.onset_s, ev.tier, i) for i, ev in self._by_id.items())
        self._tiers: dict[str, list[tuple[float, int]]] = {}
        self._codes: dict[tuple[str, str], list[tuple[float, int]]] = {}
        self._longest: dict[str, float] = {}  # per tier: no event lasts longer (a bound)
        for onset, tier, i in self._rows:  # (onset, id) order within a tier and a code
            ev = self._by_id[i]
            self._tiers.setdefault(tier, []).append((onset, i))
            self._codes.setdefault((tier, ev.code), []).append((onset, i))
            self._stretch(ev)
        self._max_id: int | None = max(self._by_id, default=-1)

    # -- the mapping ------------------------------------------------------------------------------
    def __getitem__(self, event_id: int) -> Event:
        return self._by_id[event_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._by_id

    def get(self, event_id: int, default=None):  # type: ignore[override]
        return self._by_id.get(event_id, default)

    def __repr__(self) -> str:
        return f"IndexedEvents({len(self)} events)"

    def snapshot(self) -> dict[int, Event]:
        """A plain copy of the events now (for another thread, or to compare later)."""
        return dict(self._by_id)

    # -- queries ----------------------------------------------------------------------------------
    @property
    def next_id(self) -> int:
        """The id a new event gets: one more than the largest present."""
        if self._max_id is None:
            self._max_id = max(self._by_id, default=-1)
        return self._max_id + 1

    def row(self, event_id: int) -> int:
        """The event's row in the saved CSV, counting from 0 (its line there is ``row + 2``)."""
        ev = self._by_id[event_id]
        return bisect_left(self._rows, (ev.onset_s, ev.tier, event_id))

    def id_at(self, row: int) -> int:
        """The id of the event at ``row`` of the saved order (inverse of :meth:`row`)."""
        return self._rows[row][2]

    def ordered(self) -> list[tuple[int, Event]]:
        """``(id, event)`` pairs in the saved order."""
        by_id = self._by_id
        return [(i, by_id[i]) for _, _, i in self._rows]

    def tier_ids(self, tier: str, code: str | None = None) -> list[int]:
        """Ids of the tier's events (of ``code`` only, when given) in onset order."""
        return [i for _, i in self._sorted(tier, code)]

    def meeting(self, tier: str, t0: float, t1: float) -> list[int]:
        """Ids of the tier's events meeting ``[t0, t1]``, in onset order.

        A point event at ``t`` meets it when ``t0 <= t <= t1``; a state event ``[onset, offset)``
        when ``onset <= t1`` and ``offset >= t0``.
        """
        keys = self._sorted(tier)
        lo = bisect_left(keys, (t0 - self._longest.get(tier, 0.0), -1))
        hi = bisect_right(keys, (t1, _INF))
        out = []
        for _, i in keys[lo:hi]:
            ev = self._by_id[i]
            if (ev.onset_s if ev.offset_s is None else ev.offset_s) >= t0:
                out.append(i)
        return out

    def covering(self, tier: str, t: float, code: str | None = None) -> list[int]:
        """Ids of the tier's state events covering ``t`` (of ``code``, when given), latest first.

        Events with the same onset: the larger id first.
        """
        keys = self._sorted(tier, code)
        k = bisect_right(keys, (t, _INF))
        since = t - self._longest.get(tier, 0.0)
        out = []
        while k > 0 and keys[k - 1][0] >= since:
            k -= 1
            ev = self._by_id[keys[k][1]]
            if ev.covers(t):
                out.append(keys[k][1])
        return out

    def next_after(self, tier: str, t: float, code: str | None = None) -> Event | None:
        """The tier's first event (of ``code``, when given) starting after ``t``, or None."""
        keys = self._sorted(tier, code)
        k = bisect_right(keys, (t, _INF))
        return self._by_id[keys[k][1]] if k < len(keys) else None

    def _sorted(self, tier: str, code: str | None = None) -> list[tuple[float, int]]:
        found = self._tiers.get(tier) if code is None else self._codes.get((tier, code))
        return found if found is not None else []

    # -- changing ---------------------------------------------------------------------------------
    def apply(self, change: Change) -> None:
        """Apply ``change`` in place (the open session's own; others only read)."""
        for i, _, after in change.rows:
            old = self._by_id.pop(i, None)
            if old is not None:
                self._unlink(i, old)
            if after is not None:
                self._by_id[i] = after
                self._link(i, after)

    @contextmanager
    def applied(self, change: Change) -> Iterator[IndexedEvents]:
        """These events with ``change`` applied for the time of a ``with`` block."""
        self.apply(change)
        try:
            yield self
        finally:
            self.apply(change.inverse())

    def _link(self, i: int, ev: Event) -> None:
        insort(self._rows, (ev.onset_s, ev.tier, i))
        insort(self._tiers.setdefault(ev.tier, []), (ev.onset_s, i))
        insort(self._codes.setdefault((ev.tier, ev.code), []), (ev.onset_s, i))
        self._stretch(ev)
        if self._max_id is not None and i > self._max_id:
            self._max_id = i

    def _unlink(self, i: int, ev: Event) -> None:
        _remove(self._rows, (ev.onset_s, ev.tier, i))
        _remove(self._tiers[ev.tier], (ev.onset_s, i))
        _remove(self._codes[(ev.tier, ev.code)], (ev.onset_s, i))
        if i == self._max_id:
            self._max_id = None  # found again when next asked

    def _stretch(self, ev: Event) -> None:
        if ev.offset_s is not None and ev.offset_s - ev.onset_s > self._longest.get(ev.tier, 0.0):
            self._longest[ev.tier] = ev.offset_s - ev.onset_s


def _remove(keys: list, key: tuple) -> None:
    k = bisect_left(keys, key)
    if k == len(keys) or keys[k] != key:
        raise KeyError(key)
    del keys[k]


def indexed(events: Mapping[int, Event]) -> IndexedEvents:
    """``events`` itself when it is indexed already, else an indexed copy."""
    return events if isinstance(events, IndexedEvents) else IndexedEvents(events)


def check_change(events: IndexedEvents, change: Change, scheme: Scheme) -> list[Problem]:
    """What :func:`~synchrony_coder.events.check_table` of the whole table would report after
    ``change``, given that the table was valid before it (the open session's invariant).

    ``events`` holds the change already (see :meth:`IndexedEvents.applied`). The events the change
    leaves are checked row by row; in an exclusive state tier, the walk in onset order starts at
    the changed events' predecessor and stops at the first event past them that starts after every
    earlier one has ended: from there on the tier is as valid as it was. Lines are those of the
    saved CSV.
    """
    after = [(i, ev) for i, _, ev in change.rows if ev is not None]
    rows = [(events.row(i) + 2, ev) for i, ev in after]
    problems = check_rows(rows, scheme)
    exclusive = {t.name for t in scheme.tiers if t.is_state and t.exclusive}
    for tier in sorted({ev.tier for _, ev in after if ev.tier in exclusive}):
        changed = [(ev.onset_s, i) for i, ev in after if ev.tier == tier]
        problems.extend(_overlaps(events, tier, changed))
    return problems


def _overlaps(events: IndexedEvents, tier: str, changed: list[tuple[float, int]]) -> list[Problem]:
    keys = events._sorted(tier)
    first = min(bisect_left(keys, key) for key in changed)
    last = max(bisect_left(keys, key) for key in changed)
    running, previous = -_INF, None
    out = []
    for k in range(max(first - 1, 0), len(keys)):
        i = keys[k][1]
        span = _interval(events[i])
        if span is None:
            continue
        onset, offset = span
        over = onset < running
        if over:
            line, prev_line = events.row(i) + 2, events.row(previous) + 2
            message = overlap_message(onset, tier, running, prev_line)
            out.append(Problem("<table>", line, "onset_s", message))
        elif k > last:
            break
        running, previous = max(running, offset), i
    return out


def _interval(ev: Event) -> tuple[float, float] | None:
    """``(onset, offset)`` as validation reads them, when the event is a valid state interval."""
    if ev.offset_s is None:
        return None
    onset, offset = float(f"{ev.onset_s:.3f}"), float(f"{ev.offset_s:.3f}")
    ok = all(math.isfinite(v) and v >= 0 for v in (onset, offset)) and offset > onset
    return (onset, offset) if ok else None
