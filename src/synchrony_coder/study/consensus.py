"""Consensus of two coders: their disagreements in time order, and the consensus from decisions.

When two coders coded a session, a third person (or the two together) goes through the places
where they disagree and decides, each time, whose coding stands: coder A's, coder B's, or an
edited version. The result is saved as the coder ``consensus`` (``coder_consensus.csv``) with a
decisions log saying what was chosen where (``consensus_decisions.csv``), the usual practice for
observational data (Bakeman & Quera, 2011, ch. 6; Yoder & Symons, 2010).

The disagreements are those of :func:`synchrony_coder.reliability.disagreement_spans` (time units
whose midpoint labels differ, for state tiers; events the onset alignment leaves unpaired or pairs
with another code, for point tiers), so the consensus is resolved exactly where reliability counts
a disagreement. A state disagreement's **region** widens its unit-grid span to the coders' own
boundaries: time around the span where the two still differ by less than one unit (a boundary
placed a few frames apart) belongs to it, so taking B's coding takes B's exact boundary rather
than a cut on the 0.1-s grid. Outside every region the consensus keeps coder A's events as they
are (they agree with B to the time unit); two identical files give that file back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..events import REQUIRED_COLUMNS, atomic_write_text, check_table, write_events
from ..reliability import NIL, disagreement_spans
from ..scheme import Scheme, load_scheme
from ..session import SessionSpec

__all__ = [
    "CONSENSUS",
    "DECISIONS_FILE",
    "Consensus",
    "ConsensusError",
    "apply_decisions",
    "disagreements",
    "write_consensus",
]

CONSENSUS = "consensus"
DECISIONS_FILE = "consensus_decisions.csv"
CHOICES = ("A", "B", "edited")
DISAGREEMENT_COLUMNS = [
    "disagreement", "tier", "kind", "onset_s", "offset_s", "code_a", "code_b",
    "onset_a", "onset_b", "region_onset_s", "region_offset_s",
]  # fmt: skip
LOG_COLUMNS = [
    "session", "disagreement", "tier", "kind", "region_onset_s", "region_offset_s",
    "code_a", "code_b", "choice", "consensus_codes", "coder_a", "coder_b",
]  # fmt: skip
_EPS = 1e-9

Decision = str | pd.DataFrame  # "A", "B", or the edited events (tier, code, onset_s, offset_s)


class ConsensusError(DataError):
    """Decisions that cannot make a consensus (one line naming the disagreement)."""


@dataclass(frozen=True)
class Consensus:
    """The consensus coder's events and the decisions log (one row per disagreement)."""

    events: pd.DataFrame
    log: pd.DataFrame


def _pair(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Both coders' events as one table of one session, coders named ``A`` and ``B``."""
    cols = list(REQUIRED_COLUMNS)
    return pd.concat(
        [a[cols].assign(session="s", coder="A"), b[cols].assign(session="s", coder="B")],
        ignore_index=True,
    )


def _free_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of the maximal runs where ``mask`` holds."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _active(bounds: np.ndarray, ev: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Which codes each coder has active on each elementary segment (segments × codes, bool)."""
    n_seg = len(bounds) - 1
    diff = np.zeros((len(codes), n_seg + 1), dtype=np.int64)
    ids = pd.Index(codes).get_indexer(ev["code"].astype(str))
    np.add.at(diff, (ids, np.searchsorted(bounds, ev["onset_s"].to_numpy(float))), 1)
    np.add.at(diff, (ids, np.searchsorted(bounds, ev["offset_s"].to_numpy(float))), -1)
    return (np.cumsum(diff, axis=1)[:, :n_seg] > 0).T


def _regions(
    a: pd.DataFrame, b: pd.DataFrame, on: np.ndarray, off: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each state span widened by the sub-unit differences that touch it (see the module notes).

    ``a``, ``b``: the two coders' events on one state tier; ``on``, ``off``: its spans, sorted.
    """
    bounds = np.unique(
        np.concatenate([a["onset_s"], a["offset_s"], b["onset_s"], b["offset_s"], on, off])
    )
    codes = sorted(set(a["code"].astype(str)) | set(b["code"].astype(str)))
    differ = (_active(bounds, a, codes) != _active(bounds, b, codes)).any(axis=1)
    mid = (bounds[:-1] + bounds[1:]) / 2
    owner = np.searchsorted(on, mid, side="right") - 1
    owner[(owner < 0) | (mid >= off[np.maximum(owner, 0)])] = -1
    r_on, r_off = on.astype(float).copy(), off.astype(float).copy()
    for start, stop in _free_runs(differ & (owner < 0)):
        if start > 0 and owner[start - 1] >= 0:
            r_off[owner[start - 1]] = bounds[stop]
        elif stop < len(owner) and owner[stop] >= 0:
            r_on[owner[stop]] = bounds[start]
    return r_on, r_off


def disagreements(
    a: pd.DataFrame,
    b: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    unit: float = 0.1,
    tolerance: float = 1.0,
) -> pd.DataFrame:
    """Where coder A and coder B of one session disagree, in time order.

    Parameters
    ----------
    a, b : the two coders' events of one session (SCIENCE.md §1; sessions and coder names are
        not compared, so two files of the same coder can be compared too).
    scheme : tiers' kinds and codes (default: the default scheme).
    unit, tolerance : the time unit and onset tolerance of SCIENCE.md §4.

    Returns
    -------
    DataFrame ``disagreement`` (0, 1, … in time order), ``tier, kind, onset_s, offset_s, code_a,
    code_b, onset_a, onset_b`` as in :func:`~synchrony_coder.reliability.disagreement_spans`, and
    ``region_onset_s, region_offset_s``: the time a decision settles (state tiers: the span
    widened to the coders' own nearby boundaries; point tiers: the two events' onsets).
    """
    scheme = scheme or load_scheme()
    spans = disagreement_spans(
        _pair(a, b), scheme, unit=unit, tolerance=tolerance, coders=("A", "B")
    )
    spans["region_onset_s"] = spans[["onset_a", "onset_b"]].min(axis=1)
    spans["region_offset_s"] = spans[["onset_a", "onset_b"]].max(axis=1)
    for tier, part in spans[spans["kind"] == "state"].groupby("tier", sort=False):
        part = part.sort_values("onset_s")
        r_on, r_off = _regions(
            a[a["tier"] == tier],
            b[b["tier"] == tier],
            part["onset_s"].to_numpy(float),
            part["offset_s"].to_numpy(float),
        )
        spans.loc[part.index, "region_onset_s"] = r_on
        spans.loc[part.index, "region_offset_s"] = r_off
    rank = {t: i for i, t in enumerate(scheme.tier_names)}
    spans = (
        spans.assign(_rank=spans["tier"].map(rank).fillna(len(rank)))
        .sort_values(["onset_s", "_rank"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
    spans.insert(0, "disagreement", np.arange(len(spans)))
    return spans[DISAGREEMENT_COLUMNS]


def _pieces(ev: pd.DataFrame, lo: np.ndarray, hi: np.ndarray) -> list[pd.DataFrame]:
    """The state events clipped to each window ``[lo_k, hi_k)``, marking where they were cut."""
    out = []
    on, off = ev["onset_s"].to_numpy(float), ev["offset_s"].to_numpy(float)
    for lo_k, hi_k in zip(lo, hi, strict=True):
        if hi_k - lo_k < _EPS:  # adjacent regions leave no room between them
            continue
        sel = (on < hi_k - _EPS) & (off > lo_k + _EPS)
        if not sel.any():
            continue
        part = ev[sel].copy()
        part["_cut_on"] = part["onset_s"] < lo_k - _EPS
        part["_cut_off"] = part["offset_s"] > hi_k + _EPS
        part["onset_s"] = part["onset_s"].clip(lower=lo_k)
        part["offset_s"] = part["offset_s"].clip(upper=hi_k)
        out.append(part)
    return out


def _join_cuts(pieces: pd.DataFrame) -> pd.DataFrame:
    """Join same-code pieces that touch where one of them was cut (one state, not two)."""
    keep, rows = [], pieces.sort_values("onset_s", kind="stable").to_dict("records")
    open_by_code: dict[str, dict] = {}
    for row in rows:
        prev = open_by_code.get(row["code"])
        if (
            prev is not None
            and abs(prev["offset_s"] - row["onset_s"]) < _EPS
            and (prev["_cut_off"] or row["_cut_on"])
        ):
            prev["offset_s"], prev["_cut_off"] = row["offset_s"], row["_cut_off"]
            if "offset_frame" in row:
                prev["offset_frame"] = row["offset_frame"]
            continue
        keep.append(row)
        open_by_code[row["code"]] = row
    out = pd.DataFrame(keep, columns=pieces.columns)
    for col, cut in (("onset_frame", "_cut_on"), ("offset_frame", "_cut_off")):
        if col in out.columns:
            out[col] = out[col].astype("Int64").mask(out[cut].astype(bool))
    return out.drop(columns=["_cut_on", "_cut_off"])


def known_frames(*tables: pd.DataFrame) -> dict[float, int]:
    """The frame number the coders' files record for each time (an event's onset or offset),
    the first table's where two differ: one video's index, so one frame per time."""
    known: dict[float, int] = {}
    for table in reversed(tables):
        for t_col, f_col in (("onset_s", "onset_frame"), ("offset_s", "offset_frame")):
            if f_col in table.columns:
                ok = table[f_col].notna() & table[t_col].notna()
                times = table.loc[ok, t_col].astype(float).round(3).tolist()
                frames = table.loc[ok, f_col].astype(int).tolist()
                known.update(zip(times, frames, strict=True))
    return known


def fill_frames(events: pd.DataFrame, known: Mapping[float, int]) -> pd.DataFrame:
    """``events`` with empty frame numbers filled from ``known`` where it has their time."""
    for t_col, f_col in (("onset_s", "onset_frame"), ("offset_s", "offset_frame")):
        if f_col in events.columns:
            found = events[t_col].astype(float).round(3).map(known).astype("Int64")
            events[f_col] = events[f_col].astype("Int64").fillna(found)
    return events


def _edited(decision: pd.DataFrame, tier: str, k: int) -> pd.DataFrame:
    ev = decision.copy()
    if "tier" not in ev.columns:
        ev["tier"] = tier
    if "offset_s" not in ev.columns:
        ev["offset_s"] = np.nan
    wrong = ev["tier"].astype(str) != tier
    if wrong.any():
        raise ConsensusError(
            f"disagreement {k} is on tier {tier}; its edited events name tier "
            f"{ev.loc[wrong, 'tier'].iloc[0]!r}"
        )
    return ev


def _source(choice: Decision, a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """The events a decision takes: A's, B's or the edited ones."""
    if isinstance(choice, str):
        return a if choice == "A" else b
    return choice


def _state_tier(a, b, spans: pd.DataFrame, decisions) -> pd.DataFrame:
    """The consensus on one state tier: A outside the regions, each region as decided."""
    r_on = spans["region_onset_s"].to_numpy(float)
    r_off = spans["region_offset_s"].to_numpy(float)
    order = np.argsort(r_on)
    gaps_lo = np.r_[-np.inf, r_off[order]]
    gaps_hi = np.r_[r_on[order], np.inf]
    pieces = _pieces(a, gaps_lo, gaps_hi)
    for row, lo, hi in zip(spans.itertuples(), r_on, r_off, strict=True):
        source = _source(decisions[row.disagreement], a, b)
        pieces += _pieces(source, np.array([lo]), np.array([hi]))
    if not pieces:
        return a.iloc[:0]
    return _join_cuts(pd.concat(pieces, ignore_index=True))


def _point_tier(a, b, spans: pd.DataFrame, decisions) -> pd.DataFrame:
    """The consensus on one point tier: A's events but where a decision takes B's or an edit."""
    drop: set[int] = set()
    extra = []
    for row in spans.itertuples():
        choice = decisions[row.disagreement]
        if isinstance(choice, str) and choice == "A":
            continue
        if row.code_a != NIL:  # the event A coded there goes
            hit = a.index[
                (a["onset_s"] == row.onset_a) & (a["code"].astype(str) == row.code_a)
            ].difference(list(drop))
            drop.add(hit[0])
        if isinstance(choice, str):  # B
            if row.code_b != NIL:
                hit = b.index[(b["onset_s"] == row.onset_b) & (b["code"].astype(str) == row.code_b)]
                extra.append(b.loc[hit[:1]])
        else:
            extra.append(choice)
    return pd.concat([a.drop(index=list(drop)), *extra], ignore_index=True)


def apply_decisions(
    a: pd.DataFrame,
    b: pd.DataFrame,
    decisions: Mapping[int, Decision],
    scheme: Scheme | None = None,
    *,
    unit: float = 0.1,
    tolerance: float = 1.0,
    coders: tuple[str, str] | None = None,
) -> Consensus:
    """The consensus of coders A and B once every disagreement is decided.

    Parameters
    ----------
    a, b : the two coders' events of one session.
    decisions : for each ``disagreement`` number of :func:`disagreements`, ``"A"`` (A's coding
        stands), ``"B"`` (B's coding stands) or a DataFrame of edited events (``code, onset_s,
        offset_s``, optionally ``tier`` and other columns) that replace both coders' coding in
        the disagreement's region (clipped to it, on state tiers).
    scheme, unit, tolerance : as for :func:`disagreements`.
    coders : the two coders' names for the log (default: each table's ``coder``).

    Returns
    -------
    :class:`Consensus`: ``events`` (coder ``consensus``, the session of A, sorted by onset then
    tier; where a cut moved an event's edge, its frame number is the one either coder's file
    records for that time, else left empty) and ``log`` (columns
    ``session, disagreement, tier, kind, region_onset_s, region_offset_s, code_a, code_b, choice,
    consensus_codes, coder_a, coder_b``).

    Raises
    ------
    ConsensusError
        A disagreement without a decision, an unknown choice, or a result that breaks the
        scheme's rules (e.g. edited events that overlap on an exclusive tier).
    """
    scheme = scheme or load_scheme()
    spans = disagreements(a, b, scheme, unit=unit, tolerance=tolerance)
    session = str((a if len(a) else b)["session"].iloc[0]) if len(a) or len(b) else ""
    names = coders or tuple(
        str(t["coder"].iloc[0]) if len(t) else side for t, side in ((a, "A"), (b, "B"))
    )
    missing = sorted(set(spans["disagreement"]) - set(decisions))
    if missing:
        raise ConsensusError(
            f"{len(missing)} of {len(spans)} disagreements are not decided yet "
            f"(first: number {missing[0]})"
        )
    chosen: dict[int, Decision] = {}
    for row in spans.itertuples():
        d = decisions[row.disagreement]
        if isinstance(d, pd.DataFrame):
            chosen[row.disagreement] = _edited(d, row.tier, row.disagreement)
        elif d in ("A", "B"):
            chosen[row.disagreement] = d
        else:
            raise ConsensusError(
                f"disagreement {row.disagreement}: choice {d!r} is not A, B or edited events"
            )
    a = a.reset_index(drop=True)
    b = b.reset_index(drop=True)
    parts = []
    for tier in dict.fromkeys([*a["tier"].astype(str), *b["tier"].astype(str)]):
        mine = spans[spans["tier"] == tier]
        a_t, b_t = a[a["tier"] == tier], b[b["tier"] == tier]
        if mine.empty:
            parts.append(a_t)
        elif (mine["kind"] == "state").all():
            parts.append(_state_tier(a_t, b_t, mine, chosen))
        else:
            parts.append(_point_tier(a_t, b_t, mine, chosen))
    events = pd.concat(parts, ignore_index=True) if parts else a.iloc[:0].copy()
    events = fill_frames(events.assign(session=session, coder=CONSENSUS), known_frames(a, b))
    events = events.sort_values(["onset_s", "tier"], kind="stable").reset_index(drop=True)
    for col in events.columns:
        if events[col].dtype == object and col not in REQUIRED_COLUMNS:
            events[col] = events[col].fillna("")
    problems = check_table(events, scheme, name=f"consensus of session {session}")
    if problems:
        raise ConsensusError(f"the decisions give an invalid consensus: {problems[0]}")
    log = _log(spans, chosen, events, session, names)
    return Consensus(events, log)


def _log(spans, chosen, events: pd.DataFrame, session: str, names) -> pd.DataFrame:
    rows = []
    for row in spans.itertuples():
        choice = chosen[row.disagreement]
        if row.kind == "state":
            on = events[events["tier"] == row.tier]
            hit = (on["onset_s"] < row.region_offset_s) & (on["offset_s"] > row.region_onset_s)
            codes = list(on.loc[hit, "code"].astype(str))
        elif isinstance(choice, str):
            codes = [row.code_a if choice == "A" else row.code_b]
        else:
            codes = list(choice["code"].astype(str))
        rows.append(
            {
                "session": session,
                "disagreement": row.disagreement + 1,  # numbered from 1, as the app shows them
                "tier": row.tier,
                "kind": row.kind,
                "region_onset_s": row.region_onset_s,
                "region_offset_s": row.region_offset_s,
                "code_a": row.code_a,
                "code_b": row.code_b,
                "choice": choice if isinstance(choice, str) else "edited",
                "consensus_codes": ";".join(c for c in codes if c != NIL) or NIL,
                "coder_a": names[0],
                "coder_b": names[1],
            }
        )
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def write_consensus(spec: SessionSpec, result: Consensus) -> tuple[Path, Path]:
    """Save the consensus as the session's coder ``consensus`` and its decisions log beside it.

    Both files are written atomically; returns their paths (events, log).
    """
    events_path = spec.events_path(CONSENSUS)
    log_path = spec.folder / f"{spec.prefix}{DECISIONS_FILE}"
    write_events(result.events.assign(session=spec.session), events_path)
    atomic_write_text(
        log_path, result.log.to_csv(index=False, float_format="%.3f", lineterminator="\n")
    )
    return events_path, log_path
