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
from .agreement import cohen_kappa, confusion, kappa_max, krippendorff_alpha, percent_agreement
from .alignment import NIL, align_events, event_agreement, event_kappa
from .units import NONE, unit_count, unit_labels

COLUMNS = [
    "session", "tier", "kind", "coders", "n_coders", "n_units", "n_events",
    "percent_agreement", "kappa", "kappa_max", "krippendorff_alpha",
    "event_agreement", "event_kappa",
]  # fmt: skip
PAIR_COLUMNS = [
    "session", "tier", "kind", "coder_a", "coder_b", "n_units", "n_events",
    "percent_agreement", "kappa", "kappa_max", "event_agreement", "event_kappa",
]  # fmt: skip
SPAN_COLUMNS = ["tier", "onset_s", "offset_s", "kind", "code_a", "code_b"]
NAN = float("nan")


@dataclass
class TierData:
    """One tier of one session: each coder's events on it and its time units."""

    session: str
    tier: str
    kind: str  # "state" or "point"
    coders: list[str]
    events: dict[str, pd.DataFrame]
    n_units: int
    labels: dict[str, np.ndarray]  # per coder, state tiers only
    codes: list[str]  # the scheme's codes of the tier (or those found)


def _kind(scheme: Scheme, tier: str, rows: pd.DataFrame) -> str:
    if scheme.has_tier(tier):
        return "state" if scheme.tier(tier).is_state else "point"
    return "state" if rows["offset_s"].notna().any() else "point"


def _coders_in_order(events: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(events["coder"].astype(str)))


def iter_tiers(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    unit: float = 0.1,
    sort_coders: bool = True,
) -> Iterator[TierData]:
    """Every session × tier that some coder of the session coded, with its units labelled."""
    scheme = scheme or load_scheme()
    ev = events.assign(session=events["session"].astype(str), coder=events["coder"].astype(str))
    order = {t: i for i, t in enumerate(scheme.tier_names)}
    for session, part in ev.groupby("session", sort=True):
        coders = _coders_in_order(part)
        if sort_coders:
            coders = sorted(coders)
        tiers = sorted(part["tier"].astype(str).unique(), key=lambda t: (order.get(t, 1e9), t))
        for tier in tiers:
            rows = part[part["tier"] == tier]
            kind = _kind(scheme, tier, rows)
            per = {c: rows[rows["coder"] == c] for c in coders}
            codes = (
                list(scheme.tier(tier).code_names)
                if scheme.has_tier(tier)
                else sorted(rows["code"].astype(str).unique())
            )
            n_units, labels = 0, {}
            if kind == "state":
                end = rows["offset_s"].max()
                n_units = unit_count(float(end) if pd.notna(end) else 0.0, unit)
                labels = {c: unit_labels(per[c], n_units, unit) for c in coders}
            yield TierData(str(session), tier, kind, coders, per, n_units, labels, codes)


def _pair_stats(td: TierData, a: str, b: str, tolerance: float) -> dict:
    ea, eb = td.events[a], td.events[b]
    alignment = align_events(ea["onset_s"], ea["code"], eb["onset_s"], eb["code"], tolerance)
    out = {
        "session": td.session,
        "tier": td.tier,
        "kind": td.kind,
        "coder_a": a,
        "coder_b": b,
        "n_units": td.n_units if td.kind == "state" else 0,
        "n_events": len(ea) + len(eb),
        "percent_agreement": NAN,
        "kappa": NAN,
        "kappa_max": NAN,
        "event_agreement": event_agreement(alignment),
        "event_kappa": event_kappa(alignment),
    }
    if td.kind == "state" and td.n_units:
        table = confusion(td.labels[a], td.labels[b], [*td.codes, NONE])
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
            "n_events": sum(len(e) for e in td.events.values()),
            "krippendorff_alpha": (
                krippendorff_alpha([td.labels[c] for c in td.coders])
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
            table = confusion(td.labels[a], td.labels[b], [*td.codes, NONE])
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


def disagreement_spans(
    events: pd.DataFrame, scheme: Scheme | None = None, *, unit: float = 0.1, tolerance: float = 1.0
) -> pd.DataFrame:
    """Where two coders of one session disagree, tier by tier (for timelines and the app).

    Parameters
    ----------
    events : exactly two coders' events of one session; coder A is the one that comes first.

    Returns
    -------
    DataFrame ``tier, onset_s, offset_s, kind, code_a, code_b``: for state tiers, maximal runs of
    time units whose midpoint labels differ (``offset_s`` the run's end); for point tiers, events
    the alignment leaves unpaired or pairs with another code (``offset_s`` NaN, ``onset_s`` the
    event's onset, A's when both have one; ``<nil>`` for the missing side).
    """
    coders = _coders_in_order(events)
    if len(coders) != 2 or events["session"].astype(str).nunique() != 1:
        raise ValueError("disagreement_spans needs the events of exactly two coders of one session")
    rows = []
    for td in iter_tiers(events, scheme, unit, sort_coders=False):
        a, b = coders
        if td.kind == "state":
            la, lb = td.labels[a], td.labels[b]
            keys = np.char.add(la.astype(str), np.char.add("\x00", lb.astype(str)))
            for start, stop in _runs(la != lb, keys):
                rows.append(
                    (td.tier, round(start * unit, 6), round(stop * unit, 6), "state",
                     la[start], lb[start])
                )  # fmt: skip
        else:
            ea, eb = td.events[a], td.events[b]
            al = align_events(ea["onset_s"], ea["code"], eb["onset_s"], eb["code"], tolerance)
            bad = al[al["code_a"] != al["code_b"]]
            for oa, ca, ob, cb in bad.itertuples(index=False):
                rows.append((td.tier, oa if ca != NIL else ob, NAN, "point", ca, cb))
    return pd.DataFrame(rows, columns=SPAN_COLUMNS).astype({"onset_s": float, "offset_s": float})
