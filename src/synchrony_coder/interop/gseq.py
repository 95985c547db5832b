"""GSEQ timed-event data (SDIS, ``.sds``) out, for sequential analysis in GSEQ.

SDIS (the Sequential Data Interchange Standard; Bakeman & Quera, 2011, ch. 4; Bakeman & Quera,
1995) timed-event files start with a declaration — the data type and the codes, grouped in named
sets — ended by ``;``, then one block per session: an optional ``<label>``, events written
``code,onset-offset`` (offset exclusive, as ours), and ``,end/`` closing the session at its end time.
``%`` starts a comment. What we write::

    % ... legend of renamed codes ...
    Timed ($infant_engagement = infant_engagement_negative ... ) ($infant_bid = vocalize ...) ;
    <s01 alice>
    infant_engagement_monitor,0.000-2.467
    vocalize,3.100-3.101
    ,120.000/

* one set per tier (``$`` + the tier's name), listing the scheme's codes when a scheme is given,
  else the codes found;
* SDIS codes must be unique across sets, so a code name used by several tiers is written
  ``<tier>_<code>``; names are reduced to letters, digits and ``_`` (each renaming is reported);
* a point event is written as lasting 1 ms (GSEQ needs a duration), the way BORIS exports SDIS;
* one SDIS session per (session, coder), labelled ``<session coder>``, ended at the latest offset;
* times in seconds with 3 decimals.

Modifiers, comments, frame columns and extra columns cannot be held and are reported as lost.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..events import REQUIRED_COLUMNS, atomic_write_text
from ..scheme import Scheme
from .report import ConversionReport

__all__ = ["POINT_DURATION_S", "sdis_names", "write_sdis"]

POINT_DURATION_S = 0.001


def _identifier(name: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]", "_", str(name))
    return ident if ident[:1].isalpha() else f"c_{ident}"


def sdis_names(events: pd.DataFrame, scheme: Scheme | None = None) -> dict[str, dict[str, str]]:
    """SDIS code names: ``{tier: {code: sdis_code}}``, unique across tiers.

    Tiers and codes come from ``scheme`` (all of them, scheme order) when given, then from the
    events (order of first appearance).
    """
    codes: dict[str, list[str]] = {}
    if scheme is not None:
        for tier in scheme.tiers:
            codes[tier.name] = list(tier.code_names)
    for tier, code in (
        events[["tier", "code"]].astype(str).drop_duplicates().itertuples(index=False)
    ):
        codes.setdefault(tier, [])
        if code not in codes[tier]:
            codes[tier].append(code)
    plain = [_identifier(c) for cs in codes.values() for c in cs]
    shared = {c for c in plain if plain.count(c) > 1}
    names: dict[str, dict[str, str]] = {}
    used: set[str] = set()
    for tier, cs in codes.items():
        names[tier] = {}
        for code in cs:
            base = _identifier(code)
            name = _identifier(f"{tier}_{code}") if base in shared else base
            unique, k = name, 1
            while unique in used:
                k += 1
                unique = f"{name}_{k}"
            used.add(unique)
            names[tier][code] = unique
    return names


def write_sdis(
    events: pd.DataFrame, path: str | Path, scheme: Scheme | None = None
) -> ConversionReport:
    """Write events as an SDIS timed-event file for GSEQ (see the module docstring).

    Parameters
    ----------
    events
        An events table (SCIENCE.md §1).
    path
        The ``.sds`` file.
    scheme
        When given, every tier and code of the scheme is declared (also those not coded).

    Returns
    -------
    ConversionReport
        Renamed codes and the fields SDIS cannot hold.
    """
    path = Path(path)
    report = ConversionReport(str(path), "sdis", n_events=len(events))
    names = sdis_names(events, scheme)
    renamed = [f"{t}/{c} -> {n}" for t, m in names.items() for c, n in m.items() if n != c]
    if renamed:
        report.note(
            "renamed",
            "code(s) renamed to be unique SDIS names: " + "; ".join(renamed),
            len(renamed),
        )
    for col in events.columns:
        if col in REQUIRED_COLUMNS or str(col).startswith("_"):
            continue
        s = events[col]
        filled = int((s.notna() & (s.astype(str).str.strip() != "")).sum())
        if filled:
            report.note(
                "lost", f"column {col!r}: SDIS timed-event data has no place for it", filled
            )
    n_point = int(events["offset_s"].isna().sum())
    if n_point:
        report.note(
            "info", f"point event(s) written as {POINT_DURATION_S * 1000:g} ms events", n_point
        )

    lines = [
        f"% SDIS timed-event data written by synchrony-coder on {dt.date.today().isoformat()}",
        "% times in seconds; offsets exclusive; point events last 0.001 s; sessions are <session coder>",
    ]
    lines += [f"% {n} = {t}/{c}" for t, m in names.items() for c, n in m.items() if n != c]
    sets = " ".join(f"(${_identifier(t)} = {' '.join(m.values())})" for t, m in names.items() if m)
    lines.append(f"Timed {sets} ;")

    ev = events.reset_index(drop=True)
    tier_order = {t: i for i, t in enumerate(names)}
    on = ev["onset_s"].to_numpy(float)
    off = ev["offset_s"].to_numpy(float)
    off = np.where(np.isnan(off), on + POINT_DURATION_S, off)
    code = [names[str(t)][str(c)] for t, c in zip(ev["tier"], ev["code"], strict=True)]
    body = pd.DataFrame(
        {
            "session": ev["session"].astype(str),
            "coder": ev["coder"].astype(str),
            "on": on,
            "off": off,
            "_t": ev["tier"].astype(str).map(tier_order),
            "text": [f"{c},{a:.3f}-{b:.3f}" for c, a, b in zip(code, on, off, strict=True)],
        }
    ).sort_values(["session", "coder", "on", "_t"], kind="stable")
    for (session, coder), part in body.groupby(["session", "coder"], sort=False):
        label = re.sub(r"[<>/;]", "_", f"{session} {coder}")
        lines.append(f"<{label}>")
        lines.extend(part["text"].tolist())
        lines.append(f",{part['off'].max():.3f}/")
    atomic_write_text(path, "\n".join(lines) + "\n")
    return report
