"""Pure edit operations on one coder's events: each returns a :class:`Change` that knows its inverse.

The events of an open session are a mapping ``event id -> Event`` (ids are stable for the life of
the session; they are row numbers of the CSV when it is loaded). An operation never mutates that
mapping: it computes a :class:`Change` (for each touched id, the event before and after, ``None``
meaning absent), checks the result with the same rules and messages as ``validate``
(:func:`synchrony_coder.events.check_table`, SCIENCE.md §1) and returns it. :func:`apply_change`
applies a change; ``change.inverse()`` undoes it. Given the open session's
:class:`~.index.IndexedEvents`, an operation looks only at the events it can affect (sorted
indexes; :func:`~.index.check_change`), so its cost does not grow with the session; given a plain
dict, it indexes a copy first. Undo stacks, scripts, tests and the crash journal
all use these same objects, as in the command pattern of SLEAP's ``gui/commands.py``.

Continuous coding of state tiers (Bakeman & Quera, 2011, ch. 3: "a state lasts until the next one
starts"): :func:`start_state` at time t ends the state that covers t in an exclusive tier there and
begins the new one, which lasts until the tier's next coded onset (or the end of the video);
:func:`close_state` ends the covering state at t. For the same reason :func:`move_boundary` moves
a boundary two states of an exclusive tier share as one (both sides, as a video editor's *roll
edit*), so that moving it neither leaves an uncoded gap nor overlaps the neighbour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from ..errors import DataError
from ..events import REQUIRED_COLUMNS
from ..scheme import Scheme
from .index import IndexedEvents, check_change, indexed

__all__ = [
    "Change",
    "EditError",
    "Event",
    "add_event",
    "apply_change",
    "close_state",
    "covering_state",
    "delete_event",
    "events_from_frame",
    "events_to_frame",
    "MoveRefused",
    "checked",
    "move_boundary",
    "move_offset",
    "move_onset",
    "moving_edges",
    "shared_boundary",
    "set_code",
    "start_state",
]


class EditError(DataError):
    """An edit that would break the rules of the events table (one line, says why)."""


@dataclass(frozen=True)
class Event:
    """One coded event; ``offset_s`` is ``None`` for a point event."""

    tier: str
    code: str
    onset_s: float
    offset_s: float | None = None
    onset_frame: int | None = None
    offset_frame: int | None = None
    extras: tuple[tuple[str, str], ...] = ()  # modifiers, comment and unknown columns, in order

    @property
    def is_point(self) -> bool:
        return self.offset_s is None

    def covers(self, t: float) -> bool:
        """True when the state interval ``[onset_s, offset_s)`` contains ``t``."""
        return self.offset_s is not None and self.onset_s <= t < self.offset_s


Events = Mapping[int, Event]


@dataclass(frozen=True)
class Change:
    """What an edit does: ``(id, before, after)`` per touched event (``None``: absent).

    ``notes``: ``(key, before, after)`` per note the edit sets besides the events, kept in the
    journal with them (a consensus decision: ``("consensus 4", None, "B")``; ``None``: unset).
    ``frame``: the playhead's frame when the edit was applied (the editor stamps it; recovery
    reopens there). Neither takes part in comparing changes.
    """

    label: str
    rows: tuple[tuple[int, Event | None, Event | None], ...]
    notes: tuple[tuple[str, str | None, str | None], ...] = field(default=(), compare=False)
    frame: int | None = field(default=None, compare=False)

    def inverse(self) -> Change:
        return Change(
            self.label,
            tuple((i, after, before) for i, before, after in self.rows),
            tuple((k, after, before) for k, before, after in self.notes),
        )

    @property
    def focus(self) -> int | None:
        """The id an editor should select after this change (the last one still present)."""
        present = [i for i, _, after in self.rows if after is not None]
        return present[-1] if present else None


def apply_change(events: Events, change: Change) -> dict[int, Event]:
    """A new mapping with ``change`` applied (``events`` is left untouched)."""
    out = dict(events)
    for i, _, after in change.rows:
        if after is None:
            out.pop(i, None)
        else:
            out[i] = after
    return out


def _ms(t: float) -> float:
    return round(float(t), 3)


def checked(events: IndexedEvents, scheme: Scheme, change: Change) -> Change:
    """Return ``change`` if the table stays valid (SCIENCE.md §1), else raise with the first
    problem ``validate`` would report (its line: the saved CSV's)."""
    with events.applied(change) as after:  # undone before this returns
        problems = check_change(after, change, scheme)
    if problems:
        p = problems[0]
        where = f"{p.column}: " if p.column else ""
        raise EditError(f"{change.label}: {where}{p.message}")
    return change


def add_event(
    events: Events,
    scheme: Scheme,
    tier: str,
    code: str,
    onset_s: float,
    onset_frame: int | None = None,
    offset_s: float | None = None,
    offset_frame: int | None = None,
) -> Change:
    """Add one event (a point when ``offset_s`` is None)."""
    events = indexed(events)
    ev = Event(
        tier,
        code,
        _ms(onset_s),
        None if offset_s is None else _ms(offset_s),
        onset_frame,
        offset_frame,
    )
    return checked(events, scheme, Change(f"add {tier}/{code}", ((events.next_id, None, ev),)))


def delete_event(events: Events, event_id: int) -> Change:
    """Remove one event."""
    ev = events[event_id]
    return Change(f"delete {ev.tier}/{ev.code}", ((event_id, ev, None),))


def set_code(events: Events, scheme: Scheme, event_id: int, code: str) -> Change:
    """Give an event another code of its tier."""
    events = indexed(events)
    ev = events[event_id]
    new = replace(ev, code=code)
    return checked(events, scheme, Change(f"recode {ev.tier} to {code}", ((event_id, ev, new),)))


def move_onset(
    events: Events, scheme: Scheme, event_id: int, onset_s: float, onset_frame: int | None = None
) -> Change:
    """Move an event's onset (a point event moves as a whole)."""
    events = indexed(events)
    ev = events[event_id]
    new = replace(ev, onset_s=_ms(onset_s), onset_frame=onset_frame)
    what = "move" if ev.is_point else "move onset of"
    return checked(events, scheme, Change(f"{what} {ev.tier}/{ev.code}", ((event_id, ev, new),)))


def move_offset(
    events: Events, scheme: Scheme, event_id: int, offset_s: float, offset_frame: int | None = None
) -> Change:
    """Move a state event's offset."""
    events = indexed(events)
    ev = events[event_id]
    if ev.is_point:
        raise EditError(f"move offset: {ev.tier} is a point tier; its events have no offset")
    new = replace(ev, offset_s=_ms(offset_s), offset_frame=offset_frame)
    return checked(
        events, scheme, Change(f"move offset of {ev.tier}/{ev.code}", ((event_id, ev, new),))
    )


def _seconds(t: float) -> str:
    return f"{t:.3f} s"


class MoveRefused(EditError):
    """A refused boundary move, in plain words: what could not move where, and why.

    ``what``: ``"the start of 'play'"``, ``"the boundary between 'play' and 'still_face'"``...;
    ``why`` and ``hint`` may name a time as ``{t}``, said by :meth:`words`'s ``clock``.
    """

    def __init__(self, what: str, t: float, why: str, why_t: float, hint: str = "") -> None:
        self.what, self.t, self.why, self.why_t, self.hint = what, t, why, why_t, hint
        super().__init__(self.words())

    def words(self, clock: Callable[[float], str] = _seconds) -> str:
        """The sentence, with times as ``clock`` says them (e.g. the app's ``HH:MM:SS.mmm``)."""
        text = f"Can't move {self.what} to {clock(self.t)}: {self.why.format(t=clock(self.why_t))}."
        return f"{text} {self.hint}" if self.hint else text


def shared_boundary(events: Events, scheme: Scheme, event_id: int, edge: str) -> int | None:
    """The state meeting ``event_id`` at its ``edge`` (``"onset"``/``"offset"``) in an exclusive
    tier: the neighbour sharing that boundary (its offset is our onset, or its onset our offset)."""
    ev = events[event_id]
    tier = scheme.tier(ev.tier) if scheme.has_tier(ev.tier) else None
    if ev.offset_s is None or tier is None or not (tier.is_state and tier.exclusive):
        return None
    events = indexed(events)
    t = ev.offset_s if edge == "offset" else ev.onset_s
    for i in events.meeting(ev.tier, t, t):
        other = events[i]
        meets = other.onset_s if edge == "offset" else other.offset_s
        if i != event_id and other.offset_s is not None and meets == t:
            return i
    return None


def moving_edges(
    events: Events, scheme: Scheme, event_id: int, edge: str, t_s: float, roll: bool = True
) -> list[tuple[int, str]]:
    """The edges ``(id, "onset"|"offset")`` that dragging ``event_id``'s ``edge`` to ``t_s`` moves.

    A point moves whole. At a boundary shared with a neighbour (:func:`shared_boundary`) a roll
    moves both sides; one side only (``roll=False``) moves the side the boundary moves into, which
    shrinks (the other keeps its edge and a gap opens between them). Elsewhere, the edge itself.
    """
    ev = events[event_id]
    if ev.offset_s is None:
        return [(event_id, "onset")]
    other = shared_boundary(events, scheme, event_id, edge)
    if other is None:
        return [(event_id, edge)]
    facing = "onset" if edge == "offset" else "offset"
    if roll:
        return [(event_id, edge), (other, facing)]
    at = ev.offset_s if edge == "offset" else ev.onset_s
    into_other = _ms(t_s) > at if edge == "offset" else _ms(t_s) < at
    return [(other, facing)] if into_other else [(event_id, edge)]


def move_boundary(
    events: Events,
    scheme: Scheme,
    event_id: int,
    edge: str,
    t_s: float,
    frame: int | None = None,
    *,
    roll: bool = True,
) -> Change:
    """Drag ``event_id``'s ``edge`` to ``t_s``: the edges :func:`moving_edges` names, one change.

    Raises
    ------
    MoveRefused
        A state would end before it starts (a roll: one side would vanish) or, one side moved,
        overlap another state of its exclusive tier; said in plain words.
    EditError
        Any other rule of SCIENCE.md §1 the move would break.
    """
    events = indexed(events)
    t = _ms(t_s)
    rows = []
    for i, side in moving_edges(events, scheme, event_id, edge, t, roll):
        old = events[i]
        if side == "onset":
            rows.append((i, old, replace(old, onset_s=t, onset_frame=frame)))
        else:
            rows.append((i, old, replace(old, offset_s=t, offset_frame=frame)))
    _refuse(events, scheme, rows, t)
    ev = rows[0][1]
    if len(rows) == 2:
        (_, a, _), (_, b, _) = sorted(rows, key=lambda r: r[1].onset_s)
        label = f"move the boundary between {ev.tier}/{a.code} and {b.code}"
    else:
        what = "move" if ev.offset_s is None else f"move {_side(rows[0])} of"
        label = f"{what} {ev.tier}/{ev.code}"
    return checked(events, scheme, Change(label, tuple(rows)))


def _side(row) -> str:
    _, before, after = row
    return "onset" if before.onset_s != after.onset_s else "offset"


def _refuse(events: IndexedEvents, scheme: Scheme, rows, t: float) -> None:
    """Raise :class:`MoveRefused` for a state ending before it starts or an overlap, if any."""
    roll = len(rows) == 2
    if roll:
        left, right = sorted((r[1] for r in rows), key=lambda e: e.onset_s)
        what = f"the boundary between '{left.code}' and '{right.code}'"
    for i, before, after in rows:
        if after.offset_s is None:
            return  # a point: the rules of check_rows say the rest
        side = _side((i, before, after))
        if after.offset_s > after.onset_s:
            continue
        if roll:
            ends = "starts at {t}" if side == "offset" else "ends at {t}"
            edge_t = before.onset_s if side == "offset" else before.offset_s
            raise MoveRefused(
                what, t, f"'{before.code}' would vanish (it {ends})", edge_t,
                f"Delete '{before.code}' first to move past it.",
            )  # fmt: skip
        if side == "onset":
            raise MoveRefused(f"the start of '{before.code}'", t, "it ends at {t}", before.offset_s)
        raise MoveRefused(f"the end of '{before.code}'", t, "it starts at {t}", before.onset_s)
    tier = scheme.tier(rows[0][1].tier) if scheme.has_tier(rows[0][1].tier) else None
    if roll or tier is None or not (tier.is_state and tier.exclusive):
        return  # a roll stays inside the two states' span: it cannot overlap a third
    i, before, after = rows[0]
    hits = [
        events[j]
        for j in events.meeting(after.tier, after.onset_s, after.offset_s)
        if j != i
        and events[j].offset_s is not None
        and events[j].onset_s < after.offset_s
        and events[j].offset_s > after.onset_s
    ]
    if not hits:
        return
    if _side(rows[0]) == "onset":
        other = max(hits, key=lambda e: e.onset_s)
        raise MoveRefused(
            f"the start of '{before.code}'", t, f"it would overlap '{other.code}' (ends {{t}})",
            other.offset_s, f"Move the end of '{other.code}' first.",
        )  # fmt: skip
    other = min(hits, key=lambda e: e.onset_s)
    raise MoveRefused(
        f"the end of '{before.code}'", t, f"it would overlap '{other.code}' (starts {{t}})",
        other.onset_s, f"Move the start of '{other.code}' first.",
    )  # fmt: skip


def covering_state(events: Events, tier: str, t: float) -> int | None:
    """The id of the latest-starting state event of ``tier`` covering time ``t``, or None
    (of two starting together, the one with the larger id)."""
    found = indexed(events).covering(tier, t)
    return found[0] if found else None


def start_state(
    events: Events,
    scheme: Scheme,
    tier: str,
    code: str,
    t_s: float,
    frame: int | None,
    end_s: float,
    end_frame: int | None,
) -> Change:
    """Start state ``code`` of ``tier`` at ``t_s`` (continuous coding).

    In an exclusive tier, the state covering ``t_s`` ends there (or is recoded when it starts at
    ``t_s`` exactly) and the new state lasts until that state's old end; with nothing covering
    ``t_s`` it lasts until the tier's next onset, or ``end_s`` (the end of the video). In a
    non-exclusive tier the new state lasts until the next onset of the same code, or ``end_s``.
    """
    t = _ms(t_s)
    if t >= _ms(end_s):
        raise EditError(f"start {tier}/{code}: {t:.3f} s is at or after the end ({end_s:.3f} s)")
    events = indexed(events)
    rows: list[tuple[int, Event | None, Event | None]] = []
    exclusive = scheme.tier(tier).exclusive
    stop, stop_frame = _ms(end_s), end_frame
    cover = covering_state(events, tier, t) if exclusive else None
    if cover is not None:
        old = events[cover]
        assert old.offset_s is not None
        if old.onset_s == t:
            return set_code(events, scheme, cover, code)
        stop, stop_frame = old.offset_s, old.offset_frame
        rows.append((cover, old, replace(old, offset_s=t, offset_frame=frame)))
    else:
        nxt = events.next_after(tier, t, None if exclusive else code)
        if nxt is not None:
            stop, stop_frame = nxt.onset_s, nxt.onset_frame
    new = Event(tier, code, t, stop, frame, stop_frame)
    rows.append((events.next_id, None, new))
    return checked(events, scheme, Change(f"start {tier}/{code}", tuple(rows)))


def close_state(
    events: Events,
    scheme: Scheme,
    tier: str,
    t_s: float,
    frame: int | None,
    code: str | None = None,
) -> Change:
    """End the state of ``tier`` (of ``code``, when given) covering ``t_s`` at ``t_s``.

    A state closed at its own onset would be empty, so it is removed.
    """
    t = _ms(t_s)
    events = indexed(events)
    found = events.covering(tier, t, code)
    if not found:
        raise EditError(f"close {tier}: no state of {tier} runs at {t:.3f} s")
    cover = found[0]
    old = events[cover]
    if old.onset_s == t:
        return Change(f"close {tier}/{old.code}", ((cover, old, None),))
    new = replace(old, offset_s=t, offset_frame=frame)
    return checked(events, scheme, Change(f"close {tier}/{old.code}", ((cover, old, new),)))


def events_to_frame(events: Events, session: str, coder: str) -> pd.DataFrame:
    """The events as a tidy table (SCIENCE.md §1), sorted by onset, then tier (then id)."""
    if isinstance(events, IndexedEvents):
        items = events.ordered()
    else:
        items = sorted(events.items(), key=lambda kv: (kv[1].onset_s, kv[1].tier, kv[0]))
    extra_cols: list[str] = []
    for _, ev in items:
        for k, _v in ev.extras:
            if k not in extra_cols:
                extra_cols.append(k)
    data: dict[str, list] = {c: [] for c in REQUIRED_COLUMNS}
    data.update(onset_frame=[], offset_frame=[], **{c: [] for c in extra_cols})
    for _, ev in items:
        data["session"].append(session)
        data["coder"].append(coder)
        data["tier"].append(ev.tier)
        data["code"].append(ev.code)
        data["onset_s"].append(ev.onset_s)
        data["offset_s"].append(float("nan") if ev.offset_s is None else ev.offset_s)
        data["onset_frame"].append(ev.onset_frame)
        data["offset_frame"].append(ev.offset_frame)
        extras = dict(ev.extras)
        for c in extra_cols:
            data[c].append(extras.get(c, ""))
    df = pd.DataFrame(data)
    for c in ("session", "coder", "tier", "code", *extra_cols):
        df[c] = df[c].astype(object)
    df["onset_s"] = df["onset_s"].astype(float)
    df["offset_s"] = df["offset_s"].astype(float)
    for c in ("onset_frame", "offset_frame"):
        df[c] = pd.array([pd.NA if v is None else v for v in df[c]], dtype="Int64")
    df.index = pd.Index([i for i, _ in items], name="event_id")
    return df


def events_from_frame(df: pd.DataFrame) -> dict[int, Event]:
    """Events keyed by row number, from a table read by :func:`synchrony_coder.read_events`."""
    extra_cols = [
        c
        for c in df.columns
        if c not in REQUIRED_COLUMNS and c not in ("onset_frame", "offset_frame")
    ]
    out: dict[int, Event] = {}
    for k, rec in enumerate(df.to_dict("records")):
        out[k] = Event(
            tier=str(rec["tier"]),
            code=str(rec["code"]),
            onset_s=_ms(rec["onset_s"]),
            offset_s=None if pd.isna(rec["offset_s"]) else _ms(rec["offset_s"]),
            onset_frame=_frame(rec.get("onset_frame")),
            offset_frame=_frame(rec.get("offset_frame")),
            extras=tuple((c, str(rec[c])) for c in extra_cols),
        )
    return out


def _frame(v: object) -> int | None:
    return None if v is None or pd.isna(v) else int(v)  # type: ignore[arg-type]
