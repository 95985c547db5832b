"""Reliability of a corpus: one row per session × tier, pairwise detail, and disagreement spans.

Follows SCIENCE.md §4 (Bakeman & Quera, 2011; Bakeman, Quera & Gnisci, 2009): state tiers get
time-unit statistics (percent agreement, Cohen's kappa with kappa_max, Krippendorff's alpha) and,
as a second view, event statistics on their onsets; point tiers get event statistics. Kappa is
pairwise: with three or more coders the session × tier row holds the mean over pairs, and
:func:`pairwise_table` lists the pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ..scheme import Scheme, load_scheme
from .agreement import cohen_kappa, kappa_max, nominal_alpha, percent_agreement, table_of_ids
from .alignment import NIL, align_ids
from .units import NONE, label_ids, unit_count

COLUMNS = [
    "session", "tier", "kind", "coders", "n_coders", "n_units", "n_events",
    "percent_agreement", "kappa", "kappa_max", "krippendorff_alpha",
    "event_agreement", "event_kappa",
]  # fmt: skip
PAIR_COLUMNS = [
    "session", "tier", "kind", "coder_a", "coder_b", "n_units", "n_events",
    "percent_agreement", "kappa", "kappa_max", "event_agreement", "event_kappa",
]  # fmt: skip
SPAN_COLUMNS = ["tier", "onset_s", "offset_s", "kind", "code_a", "code_b", "onset_a", "onset_b"]
NAN = float("nan")


@dataclass
class TierData:
    """One tier of one session: each coder's onset-sorted events on it and its time units.

    Codes are numbers into ``names`` (the tier's codes, then ``<none>`` last); ``labels`` hold
    each coder's unit labels as such numbers (state tiers only).
    """

    session: str
    tier: str
    kind: str  # "state" or "point"
    coders: list[str]
    onsets: dict[str, np.ndarray]
    offsets: dict[str, np.ndarray]
    codes: dict[str, np.ndarray]
    names: list[str]
    n_units: int
    labels: dict[str, np.ndarray]

    @property
    def none(self) -> int:
        return len(self.names) - 1

    def n_events(self) -> int:
        return sum(len(v) for v in self.onsets.values())


def _kind(scheme: Scheme, tier: str, has_offsets: bool) -> str:
    if scheme.has_tier(tier):
        return "state" if scheme.tier(tier).is_state else "point"
    return "state" if has_offsets else "point"


def _coders_in_order(events: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(events["coder"].astype(str)))


def iter_tiers(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    unit: float = 0.1,
    sort_coders: bool = True,
    coders: list[str] | None = None,
) -> Iterator[TierData]:
    """Every session × tier that some coder of the session coded, with its units labelled.

    One sort of the whole table, then numpy slices per session × tier × coder: cheap for a
    corpus of thousands of sessions. ``coders`` fixes the coders compared (in that order), even
    one without any event.
    """
    forced = coders
    scheme = scheme or load_scheme()
    if events.empty:
        return
    s_id, s_names = pd.factorize(events["session"].astype(str), sort=True)
    c_id, c_names = pd.factorize(events["coder"].astype(str))  # order of appearance
    t_id, t_names = pd.factorize(events["tier"].astype(str))
    k_id, k_names = pd.factorize(events["code"].astype(str))
    onset = events["onset_s"].to_numpy(np.float64)
    offset = events["offset_s"].to_numpy(np.float64)
    rank = {t: i for i, t in enumerate(scheme.tier_names)}
    t_rank = np.array([rank.get(t, len(rank)) for t in t_names], dtype=np.int64)
    order = np.lexsort((offset, onset, c_id, t_id, t_rank[t_id], s_id))
    s_id, c_id, t_id, k_id = s_id[order], c_id[order], t_id[order], k_id[order]
    onset, offset = onset[order], offset[order]
    tier_maps: dict[int, tuple[list[str], np.ndarray]] = {}
    sess_bounds = np.flatnonzero(np.diff(s_id)) + 1
    for s_lo, s_hi in zip(np.r_[0, sess_bounds], np.r_[sess_bounds, len(s_id)], strict=True):
        present = c_id[s_lo:s_hi]
        coders = [str(c_names[c]) for c in sorted(set(present.tolist()))]
        coders = list(forced) if forced else sorted(coders) if sort_coders else coders
        t_part = t_id[s_lo:s_hi]
        t_bounds = np.flatnonzero(np.diff(t_part)) + 1 + s_lo
        for lo, hi in zip(np.r_[s_lo, t_bounds], np.r_[t_bounds, s_hi], strict=True):
            t = int(t_id[lo])
            tier = str(t_names[t])
            if t not in tier_maps:
                known = list(scheme.tier(tier).code_names) if scheme.has_tier(tier) else []
                found = sorted(set(k_names[np.unique(k_id[t_id == t])]) - set(known))
                names = [*known, *found, NONE]
                lookup = {name: i for i, name in enumerate(names)}
                tier_maps[t] = (names, np.array([lookup.get(k, -1) for k in k_names]))
            names, to_tier = tier_maps[t]
            kind = _kind(scheme, tier, bool(np.isfinite(offset[lo:hi]).any()))
            on, off, ids = {}, {}, {}
            for c in coders:
                sel = slice(lo, hi)
                mine = c_id[sel] == (c_names.get_loc(c) if c in c_names else -1)
                on[c] = onset[sel][mine]
                off[c] = offset[sel][mine]
                ids[c] = to_tier[k_id[sel][mine]]
            n_units, labels = 0, {}
            if kind == "state":
                end = np.nanmax(offset[lo:hi]) if np.isfinite(offset[lo:hi]).any() else 0.0
                n_units = unit_count(float(end), unit)
                none = len(names) - 1
                labels = {c: label_ids(on[c], off[c], ids[c], n_units, unit, none) for c in coders}
            yield TierData(
                str(s_names[s_id[lo]]), tier, kind, coders, on, off, ids, names, n_units, labels
            )


def _align(td: TierData, a: str, b: str, tolerance: float) -> tuple[np.ndarray, ...]:
    """The alignment: event indices ``ia, ib`` (-1: ``<nil>``) and code numbers ``ca, cb``.

    ``<nil>`` gets the number of ``<none>``, which never labels an event.
    """
    ia, ib = align_ids(td.onsets[a], td.codes[a], td.onsets[b], td.codes[b], tolerance)
    ext_a = np.append(td.codes[a], td.none)  # index -1 picks the appended nil
    ext_b = np.append(td.codes[b], td.none)
    return ia, ib, ext_a[ia], ext_b[ib]


def _pair_stats(td: TierData, a: str, b: str, tolerance: float) -> dict:
    k = len(td.names)
    _, _, ca, cb = _align(td, a, b, tolerance)
    n_cols = len(ca)
    events_table = table_of_ids(ca, cb, k)
    out = {
        "session": td.session,
        "tier": td.tier,
        "kind": td.kind,
        "coder_a": a,
        "coder_b": b,
        "n_units": td.n_units if td.kind == "state" else 0,
        "n_events": len(td.onsets[a]) + len(td.onsets[b]),
        "percent_agreement": NAN,
        "kappa": NAN,
        "kappa_max": NAN,
        "event_agreement": float(((ca == cb) & (ca != td.none)).sum() / n_cols) if n_cols else NAN,
        "event_kappa": cohen_kappa(events_table) if n_cols else NAN,
    }
    if td.kind == "state" and td.n_units:
        table = table_of_ids(td.labels[a], td.labels[b], k)
        out.update(
            percent_agreement=percent_agreement(table),
            kappa=cohen_kappa(table),
            kappa_max=kappa_max(table),
        )
    return out


def pairwise_table(
    events: pd.DataFrame, scheme: Scheme | None = None, *, unit: float = 0.1, tolerance: float = 1.0
) -> pd.DataFrame:
    """One row per session × tier × pair of coders (columns ``PAIR_COLUMNS``)."""
    rows = [
        _pair_stats(td, a, b, tolerance)
        for td in iter_tiers(events, scheme, unit)
        for a, b in combinations(td.coders, 2)
    ]
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def reliability_table(
    events: pd.DataFrame, scheme: Scheme | None = None, *, unit: float = 0.1, tolerance: float = 1.0
) -> pd.DataFrame:
    """Inter-rater reliability per session × tier (SCIENCE.md §4).

    Parameters
    ----------
    events : the tidy events of two or more coders (told apart by ``coder``), any sessions.
    scheme : gives each tier's kind and codes (default: the default scheme).
    unit : time-unit length u in seconds (default 0.1).
    tolerance : onset tolerance τ of the event alignment in seconds (default 1).

    Returns
    -------
    DataFrame with columns ``session, tier, kind, coders, n_coders, n_units, n_events,
    percent_agreement, kappa, kappa_max, krippendorff_alpha, event_agreement, event_kappa``.
    ``percent_agreement`` is a fraction 0–1. Kappa-type columns are the mean over coder pairs;
    alpha uses all coders at once. A session only one coder coded is still listed, with
    ``n_coders = 1`` and NaN statistics.

    References
    ----------
    Bakeman, R., & Quera, V. (2011). *Sequential Analysis and Observational Methods for the
    Behavioral Sciences*. Bakeman, R., Quera, V., & Gnisci, A. (2009). Observer agreement for
    timed-event sequential data. *Behavior Research Methods*, 41, 137–147.
    """
    rows = []
    for td in iter_tiers(events, scheme, unit):
        pairs = [_pair_stats(td, a, b, tolerance) for a, b in combinations(td.coders, 2)]
        row = {
            "session": td.session,
            "tier": td.tier,
            "kind": td.kind,
            "coders": ";".join(td.coders),
            "n_coders": len(td.coders),
            "n_units": td.n_units if td.kind == "state" else 0,
            "n_events": td.n_events(),
            "krippendorff_alpha": (
                nominal_alpha(np.stack([td.labels[c] for c in td.coders]), len(td.names))
                if td.kind == "state" and len(td.coders) > 1 and td.n_units
                else NAN
            ),
        }
        for col in ("percent_agreement", "kappa", "kappa_max", "event_agreement", "event_kappa"):
            values = [p[col] for p in pairs if not np.isnan(p[col])]
            row[col] = float(np.mean(values)) if values else NAN
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def coverage(events: pd.DataFrame) -> pd.DataFrame:
    """Which coders coded each session: ``session, coders, n_coders, missing`` (all coders seen)."""
    ev = events.assign(session=events["session"].astype(str), coder=events["coder"].astype(str))
    everyone = sorted(ev["coder"].unique())
    rows = []
    for session, part in ev.groupby("session", sort=True):
        have = sorted(part["coder"].unique())
        rows.append(
            {
                "session": session,
                "coders": ";".join(have),
                "n_coders": len(have),
                "missing": ";".join(c for c in everyone if c not in have),
            }
        )
    return pd.DataFrame(rows, columns=["session", "coders", "n_coders", "missing"])


def pooled_confusion(
    events: pd.DataFrame, scheme: Scheme | None = None, *, unit: float = 0.1
) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Time-unit confusion matrices summed over sessions, per ``(tier, coder_a, coder_b)``."""
    out: dict[tuple[str, str, str], pd.DataFrame] = {}
    for td in iter_tiers(events, scheme, unit):
        if td.kind != "state" or not td.n_units:
            continue
        for a, b in combinations(td.coders, 2):
            counts = table_of_ids(td.labels[a], td.labels[b], len(td.names))
            table = pd.DataFrame(
                counts,
                index=pd.Index(td.names, name="A"),
                columns=pd.Index(td.names, name="B"),
            )
            key = (td.tier, a, b)
            out[key] = out[key] + table if key in out else table
    return out


def _runs(mask: np.ndarray, keys: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of maximal runs where ``mask`` holds and ``keys`` stays the same."""
    if not mask.any():
        return []
    idx = np.flatnonzero(mask)
    breaks = np.flatnonzero((np.diff(idx) != 1) | (keys[idx[1:]] != keys[idx[:-1]])) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [len(idx)]])
    return [(int(idx[s]), int(idx[e - 1]) + 1) for s, e in zip(starts, stops, strict=True)]


def _name(td: TierData, code: int) -> str:
    return NIL if code == td.none else td.names[code]


def disagreement_spans(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    unit: float = 0.1,
    tolerance: float = 1.0,
    coders: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Where two coders of one session disagree, tier by tier (for timelines and the app).

    Parameters
    ----------
    events : exactly two coders' events of one session; coder A is the one that comes first.
    coders : ``(A, B)`` by name instead, when one of them may have no events yet.

    Returns
    -------
    DataFrame ``tier, onset_s, offset_s, kind, code_a, code_b, onset_a, onset_b``: for state
    tiers, maximal runs of time units whose midpoint labels differ (``offset_s`` the run's end);
    for point tiers, events the alignment leaves unpaired or pairs with another code (``offset_s``
    NaN, ``onset_s`` the event's onset, A's when both have one; ``<nil>`` for the missing side;
    ``onset_a``, ``onset_b`` each side's event onset, NaN for ``<nil>`` and for state tiers).
    """
    coders = list(coders) if coders else _coders_in_order(events)
    if len(coders) != 2 or events["session"].astype(str).nunique() > 1:
        raise ValueError("disagreement_spans needs the events of exactly two coders of one session")
    rows = []
    for td in iter_tiers(events, scheme, unit, coders=coders):
        a, b = coders
        if td.kind == "state":
            la, lb = td.labels[a], td.labels[b]
            keys = la * (len(td.names) + 1) + lb
            for start, stop in _runs(la != lb, keys):
                rows.append(
                    (td.tier, round(start * unit, 6), round(stop * unit, 6), "state",
                     td.names[la[start]], td.names[lb[start]], NAN, NAN)
                )  # fmt: skip
        else:
            ia, ib, ca, cb = _align(td, a, b, tolerance)
            for col in np.flatnonzero(ca != cb):
                on_a = float(td.onsets[a][ia[col]]) if ia[col] >= 0 else NAN
                on_b = float(td.onsets[b][ib[col]]) if ib[col] >= 0 else NAN
                on = on_a if ia[col] >= 0 else on_b
                rows.append((td.tier, on, NAN, "point", _name(td, ca[col]), _name(td, cb[col]),
                             on_a, on_b))  # fmt: skip
    return pd.DataFrame(rows, columns=SPAN_COLUMNS).astype(
        {c: float for c in ("onset_s", "offset_s", "onset_a", "onset_b")}
    )
