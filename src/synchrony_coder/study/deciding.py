"""Consensus decisions as edits of the open consensus session, one :class:`Change` each.

The app makes a consensus the way :func:`~.consensus.apply_decisions` does, one decision at a
time: the consensus starts as a copy of coder A (:func:`copy_of`), and each decision on a
disagreement of :func:`~.consensus.disagreements` is a change of the consensus's events there
(:func:`decide`), built from the same pieces (coder A's, coder B's or the consensus's own events
clipped to the decision's region and joined where a cut split one state in two) and carrying the
decision as a note (:class:`~synchrony_coder.session.Change`), so the journal keeps it with its
events and an undo withdraws both. Deciding every disagreement in any order, changing one's mind
included, gives the events ``apply_decisions`` gives for the last decision on each.

The decisions log beside the consensus file (``consensus_decisions.csv``, the columns of
:func:`~.consensus.apply_decisions`'s log) holds the decisions made so far; :func:`read_log`
matches its rows to the disagreements again, by tier, region and codes, when the consensus is
resumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..events import REQUIRED_COLUMNS
from ..reliability import NIL
from ..scheme import Scheme
from ..session import Change, Event, SessionSpec, events_from_frame
from ..session.edits import checked
from ..session.index import IndexedEvents, indexed
from .consensus import (
    DECISIONS_FILE,
    LOG_COLUMNS,
    _join_cuts,
    _log,
    _pieces,
    fill_frames,
    known_frames,
)

__all__ = [
    "EDITED",
    "copy_of",
    "decide",
    "decision_key",
    "decisions_log",
    "log_path",
    "read_log",
    "region_events",
]

EDITED = "edited"
_FRAME_COLUMNS = ["tier", "code", "onset_s", "offset_s", "onset_frame", "offset_frame", "extras"]


def log_path(spec: SessionSpec) -> Path:
    """Where the session's decisions log is (beside the consensus file)."""
    return spec.folder / f"{spec.prefix}{DECISIONS_FILE}"


def decision_key(row) -> str:
    """The note a decision on disagreement ``row`` sets: its tier, region and both codes (a
    disagreement's number can change when a coder's file does; these cannot match another)."""
    return (
        f"consensus {row.tier} {row.region_onset_s:.3f}-{row.region_offset_s:.3f} "
        f"{row.code_a}|{row.code_b}"
    )


def copy_of(a: pd.DataFrame, coder: str) -> Change:
    """The change that starts an empty consensus as a copy of coder A's events ``a``."""
    rows = tuple((i, None, ev) for i, ev in events_from_frame(a).items())
    return Change(f"start the consensus as a copy of {coder}'s coding", rows)


def _frame(events: list[Event]) -> pd.DataFrame:
    """Events as the pieces' table (their other columns carried along as ``extras``)."""
    rows = [
        (e.tier, e.code, e.onset_s, e.offset_s, e.onset_frame, e.offset_frame, e.extras)
        for e in events
    ]
    df = pd.DataFrame(rows, columns=_FRAME_COLUMNS)
    for col in ("onset_frame", "offset_frame"):
        df[col] = df[col].astype("Int64")
    return df.astype({"onset_s": float, "offset_s": float})


def _events(df: pd.DataFrame) -> list[Event]:
    def frame(v) -> int | None:
        return None if pd.isna(v) else int(v)

    return [
        Event(
            r.tier,
            r.code,
            round(float(r.onset_s), 3),
            round(float(r.offset_s), 3),
            frame(r.onset_frame),
            frame(r.offset_frame),
            r.extras,
        )  # fmt: skip
        for r in df.itertuples(index=False)
    ]


def _near(table: pd.DataFrame, tier: str, lo: float, hi: float) -> pd.DataFrame:
    """The rows of ``tier`` meeting ``[lo, hi]`` (a point: at a time between them)."""
    end = table["offset_s"].fillna(table["onset_s"])
    near = (table["tier"].astype(str) == tier) & (table["onset_s"] <= hi) & (end >= lo)
    return table[near].reset_index(drop=True)


def _tier_events(table: pd.DataFrame, tier: str, lo: float, hi: float) -> list[Event]:
    return list(events_from_frame(_near(table, tier, lo, hi)).values())


def _replace(
    events: IndexedEvents, old: list[int], new: list[Event]
) -> list[tuple[int, Event | None, Event | None]]:
    """Rows turning the events ``old`` into ``new``: those unchanged stay, the others are reused
    in onset order, then removed or added."""
    kept = list(new)
    gone = []
    for i in old:
        if events[i] in kept:
            kept.remove(events[i])
        else:
            gone.append(i)
    kept.sort(key=lambda e: e.onset_s)
    rows = [(i, events[i], ev) for i, ev in zip(gone, kept, strict=False)]
    rows += [(i, events[i], None) for i in gone[len(kept) :]]
    first = events.next_id
    rows += [(first + k, None, ev) for k, ev in enumerate(kept[len(gone) :])]
    return rows


def _state_rows(events: IndexedEvents, row, source: list[Event], known: dict[float, int]):
    """The consensus's tier with ``source`` in the region, as :func:`apply_decisions` joins it
    (a cut edge takes the frame the coders recorded for its time, ``known``)."""
    lo, hi = float(row.region_onset_s), float(row.region_offset_s)
    old = events.meeting(row.tier, lo, hi)  # with the states touching the region's ends
    pieces = _pieces(_frame([events[i] for i in old]), np.array([-np.inf, hi]),
                     np.array([lo, np.inf]))  # fmt: skip
    pieces += _pieces(_frame(source), np.array([lo]), np.array([hi]))
    if not pieces:
        return _replace(events, old, [])
    joined = _join_cuts(pd.concat(pieces, ignore_index=True))
    return _replace(events, old, _events(fill_frames(joined, known)))


def _point_rows(events: IndexedEvents, row, keep: list[Event], drop: list[Event]):
    """Take out the consensus's copies of ``drop`` and put in ``keep`` (where missing)."""
    rows: list = []
    taken: set[int] = set()
    for ev, wanted in [(e, False) for e in drop] + [(e, True) for e in keep]:
        same = [
            i
            for i in events.meeting(row.tier, ev.onset_s, ev.onset_s)
            if events[i].code == ev.code and events[i].onset_s == ev.onset_s and i not in taken
        ]
        if wanted and not same:
            rows.append((events.next_id + len([r for r in rows if r[1] is None]), None, ev))
        elif not wanted and same:
            taken.add(same[0])
            rows.append((same[0], events[same[0]], None))
    return rows


def _candidate(table: pd.DataFrame, row, side: str) -> list[Event]:
    """The point event coder ``side`` coded in the disagreement (none for ``<nil>``)."""
    code, onset = getattr(row, f"code_{side}"), getattr(row, f"onset_{side}")
    if code == NIL:
        return []
    near = _tier_events(table, row.tier, onset, onset)
    return [e for e in near if e.code == code and e.onset_s == onset][:1]


def decide(
    events: Mapping[int, Event],
    scheme: Scheme,
    row,
    choice: str,
    a: pd.DataFrame,
    b: pd.DataFrame,
    previous: str | None = None,
    names: tuple[str, str] = ("A", "B"),
) -> Change:
    """The change deciding disagreement ``row`` (a row of :func:`~.consensus.disagreements`).

    ``"A"``/``"B"``: that coder's coding stands in the region (state tiers: their events clipped
    to it, joined to the consensus's own where a cut split a state; point tiers: their event in,
    the other's out). ``"edited"``: the consensus as it is there now (edited by hand) stands; no
    event changes. ``previous``: the decision it replaces (for undo and the journal).

    Raises
    ------
    EditError
        The result would break the rules of SCIENCE.md §1 (after edits made by hand nearby).
    """
    events = indexed(events)
    rows: list = []
    if choice in ("A", "B"):
        mine, other = (a, b) if choice == "A" else (b, a)
        if row.kind == "state":
            lo, hi = float(row.region_onset_s), float(row.region_offset_s)
            # the frames the coders recorded near the region: those a cut edge there can take
            known = known_frames(*(_near(t, row.tier, lo, hi) for t in (a, b)))
            rows = _state_rows(events, row, _tier_events(mine, row.tier, lo, hi), known)
        else:
            side, other_side = ("a", "b") if choice == "A" else ("b", "a")
            rows = _point_rows(
                events, row, _candidate(mine, row, side), _candidate(other, row, other_side)
            )
    elif choice != EDITED:
        raise ValueError(f"a decision is A, B or {EDITED}, not {choice!r}")
    who = {"A": f"{names[0]}'s coding", "B": f"{names[1]}'s coding", EDITED: "the edited coding"}
    label = (
        f"take {who[choice]} at disagreement {int(row.disagreement) + 1} "
        f"({row.tier.replace('_', ' ')})"
    )
    note = ((decision_key(row), previous, choice),)
    return checked(events, scheme, Change(label, tuple(rows), note))


def region_events(events: Mapping[int, Event], row) -> list[Event]:
    """The consensus's events in disagreement ``row``'s region (state tiers: meeting it; point
    tiers: between the two coders' onsets)."""
    events = indexed(events)
    lo, hi = float(row.region_onset_s), float(row.region_offset_s)
    found = [events[i] for i in events.meeting(row.tier, lo, hi)]
    if row.kind == "state":
        return [e for e in found if e.onset_s < hi and e.offset_s > lo]
    return found


def decisions_log(
    spans: pd.DataFrame,
    decided: Mapping[int, str],
    events: Mapping[int, Event],
    session: str,
    names: tuple[str, str],
) -> pd.DataFrame:
    """The log of the decisions made so far (one row per decided disagreement, in time order):
    the columns of :func:`~.consensus.apply_decisions`'s log."""
    done = spans[spans["disagreement"].isin(list(decided))]
    if done.empty:
        return pd.DataFrame(columns=LOG_COLUMNS)
    chosen: dict = {}
    for row in done.itertuples():
        choice = decided[row.disagreement]
        if choice == EDITED:
            ev = region_events(events, row)
            choice = pd.DataFrame({"code": [e.code for e in ev]}, dtype=object)
        chosen[row.disagreement] = choice
    table = pd.DataFrame(  # in the saved file's order (onset, then tier)
        [(e.tier, e.code, e.onset_s, e.offset_s) for _, e in indexed(events).ordered()],
        columns=REQUIRED_COLUMNS[2:],
    )
    return _log(done, chosen, table, session, names)


def read_log(path: Path, spans: pd.DataFrame) -> tuple[dict[int, str], int]:
    """The decisions of a log file matched to the disagreements ``spans`` (by tier, region and
    codes); also the number of its rows that match none (the coders' files changed since).

    Raises
    ------
    DataError
        The file is not a decisions log (one line naming the file and what is wrong).
    """
    try:
        log = pd.read_csv(path, dtype={"code_a": str, "code_b": str, "choice": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot be read as a decisions log ({exc})") from None
    missing = [c for c in ("tier", "region_onset_s", "region_offset_s", "code_a", "code_b",
                           "choice") if c not in log.columns]  # fmt: skip
    if missing:
        raise DataError(f"{path}: not a decisions log: no column {missing[0]}")
    by_key = {decision_key(r): int(r.disagreement) for r in spans.itertuples()}
    decided: dict[int, str] = {}
    unmatched = 0
    for line, r in enumerate(log.itertuples(), start=2):
        if r.choice not in ("A", "B", EDITED):
            raise DataError(f"{path}:{line}: choice: {r.choice!r} is not A, B or {EDITED}")
        k = by_key.get(decision_key(r))
        if k is None:
            unmatched += 1
        else:
            decided[k] = r.choice
    return decided, unmatched
