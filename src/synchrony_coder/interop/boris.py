"""BORIS projects (``.boris``, JSON) in, and the pairing of BORIS START/STOP events shared with the
tabular export (:mod:`.boris_tabular`).

BORIS (Friard & Gamba, 2016) records *events*: a time, a subject, a behaviour code, modifiers and a
comment. The project's ethogram says whether a behaviour is a point or a state event; a state event's
occurrences alternate START, STOP for each (subject, behaviour, modifiers) — the rule BORIS itself
checks. Mapping to our table:

* observation → ``session``; subject → ``tier`` (``No focal subject`` when none, as BORIS calls it);
  behaviour → ``code``; modifiers and comments kept in ``modifiers``/``comment``; a behavioural
  category, when the ethogram has one, in an extra ``behavioral_category`` column.
* START/STOP pairs → state events; POINT → point events. A START without its STOP, a zero-length pair,
  a behaviour missing from the ethogram, an event without a time: skipped and reported.
* The observation's ``time offset`` is subtracted (times count from the video's first frame); media
  offsets of other players, several media files in sequence and live observations are reported.

BORIS keeps no coder: pass ``coder`` (the CLI's ``--coder``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..events import REQUIRED_COLUMNS
from .report import ConversionReport, InteropError

__all__ = ["NO_FOCAL_SUBJECT", "pair_events", "read_boris_project"]

NO_FOCAL_SUBJECT = "No focal subject"
_RAW = [
    "session",
    "coder",
    "subject",
    "behavior",
    "modifiers",
    "comment",
    "time",
    "status",
    "category",
]


def read_boris_project(
    path: str | Path, *, coder: str = "unknown"
) -> tuple[pd.DataFrame, ConversionReport]:
    """Read every observation of a BORIS project into one events table.

    Parameters
    ----------
    path
        The ``.boris`` project file.
    coder
        Coder written into every row (BORIS keeps none).

    Returns
    -------
    (events, report)
        One row per point event and per START/STOP pair; the report accounts for every BORIS event
        not imported (with the reason) and notes offsets and media layout per observation.
    """
    path = Path(path)
    report = ConversionReport(str(path), "boris")
    project = _load(path)
    ethogram = {
        str(b.get("code")): b for b in (project.get("behaviors_conf") or {}).values() if "code" in b
    }
    raw_parts = []
    for obs_id, obs in (project.get("observations") or {}).items():
        events = obs.get("events") or []
        _note_observation(str(obs_id), obs, report)
        if not events:
            report.note("info", "observation has no events", where=str(obs_id))
            continue
        raw = pd.DataFrame(
            {
                "session": str(obs_id),
                "coder": coder,
                "time": [e[0] if len(e) > 0 else None for e in events],
                "subject": [str(e[1]) if len(e) > 1 else "" for e in events],
                "behavior": [str(e[2]) if len(e) > 2 else "" for e in events],
                "modifiers": [str(e[3]) if len(e) > 3 else "" for e in events],
                "comment": [str(e[4]) if len(e) > 4 else "" for e in events],
            }
        )
        raw["time"] = pd.to_numeric(raw["time"], errors="coerce") - float(
            obs.get("time offset") or 0.0
        )
        kind = raw["behavior"].map(lambda b: _kind(ethogram.get(b)))
        raw["status"] = np.where(kind == "point", "POINT", np.where(kind == "state", "", "?"))
        raw["category"] = raw["behavior"].map(
            lambda b: str((ethogram.get(b) or {}).get("category") or "")
        )
        raw_parts.append(raw)
    if not raw_parts:
        report.note("info", "the project has no coded events")
        return pd.DataFrame(columns=list(REQUIRED_COLUMNS)), report
    raw = pd.concat(raw_parts, ignore_index=True)
    unknown = raw["status"] == "?"
    for (obs_id, behavior), n in raw[unknown].groupby(["session", "behavior"]).size().items():
        report.note(
            "skipped",
            f"event(s) of behaviour {behavior!r}, which the ethogram does not define (point or state unknown)",
            int(n),
            obs_id,
        )
    out = pair_events(raw[~unknown].reset_index(drop=True), report, explicit_status=False)
    report.n_events = len(out)
    return out, report


def _load(path: Path) -> dict:
    try:
        project = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InteropError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InteropError(path, f"not a readable BORIS project (JSON): {exc}") from None
    if not isinstance(project, dict) or "observations" not in project:
        raise InteropError(path, "not a BORIS project (no 'observations')")
    return project


def _kind(behavior: dict | None) -> str:
    kind = str((behavior or {}).get("type", "")).lower()
    return "state" if "state" in kind else "point" if "point" in kind else "?"


def _note_observation(obs_id: str, obs: dict, report: ConversionReport) -> None:
    """Report what BORIS knows about an observation's timeline that our table cannot show."""
    offset = float(obs.get("time offset") or 0.0)
    if offset:
        report.note(
            "offset",
            f"observation time offset {offset:g} s subtracted from every time",
            where=obs_id,
        )
    if str(obs.get("type", "")).upper() == "LIVE":
        report.note(
            "info", "live observation: times count from the start of the live session", where=obs_id
        )
        return
    files = obs.get("file") or {}
    info = obs.get("media_info") or {}
    media_offsets = info.get("offset") or {}
    players = files.items() if isinstance(files, dict) else []
    for player, media in players:
        media = media or []
        off = float(media_offsets.get(str(player), 0.0) or 0.0)
        if str(player) != "1" and media and off:
            report.note(
                "offset",
                f"player {player} ({', '.join(map(str, media))}) has media offset {off:g} s; "
                "times are in player 1's timeline",
                where=obs_id,
            )
        if str(player) == "1" and len(media) > 1:
            lengths = info.get("length") or {}
            detail = ", ".join(f"{m} ({float(lengths.get(m, np.nan)):g} s)" for m in media)
            report.note(
                "offset",
                f"player 1 plays {len(media)} media files in sequence: {detail}; times run on "
                "across them (a time past the first file's length is in a later file)",
                where=obs_id,
            )


def pair_events(
    raw: pd.DataFrame, report: ConversionReport, *, explicit_status: bool
) -> pd.DataFrame:
    """Turn BORIS events into rows of ours: POINT → point event, START + STOP → state event.

    Parameters
    ----------
    raw
        Columns ``session, coder, subject, behavior, modifiers, comment, time, status, category``;
        ``status`` is ``POINT``, ``START``, ``STOP`` or ``""`` (a state event whose role follows from
        alternation, as in project files).
    report
        Receives a ``skipped`` note for every event not used, with the reason.
    explicit_status
        True when START/STOP are given (tabular export); False to alternate by time order.
    """
    raw = raw.copy()
    raw["_order"] = np.arange(len(raw))
    no_time = raw["time"].isna()
    _skip(raw[no_time], report, "event(s) without a usable time")
    neg = ~no_time & (raw["time"] < 0)
    _skip(raw[neg], report, "event(s) before the video's first frame (negative time)")
    raw = raw[~no_time & ~neg]
    raw["time"] = np.round(raw["time"].to_numpy(float), 3)

    point = raw[raw["status"] == "POINT"]
    state = raw[raw["status"] != "POINT"].copy()
    keys = ["session", "coder", "subject", "behavior", "modifiers"]
    if explicit_status:
        bad = ~state["status"].isin(["START", "STOP"])
        _skip(state[bad], report, "event(s) with a status other than START, STOP or POINT")
        state = state[~bad]
        state["_rank"] = (state["status"] == "START").astype(int)  # a STOP closes before a START
        state = state.sort_values([*keys, "time", "_rank", "_order"], kind="stable")
    else:
        state = state.sort_values([*keys, "time", "_order"], kind="stable")
        k = state.groupby(keys, sort=False).cumcount().to_numpy()
        state["status"] = np.where(k % 2 == 0, "START", "STOP")
    same = (state[keys].shift(-1) == state[keys]).all(axis=1).to_numpy()
    nxt = state["status"].shift(-1).to_numpy()
    starts = (state["status"].to_numpy() == "START") & same & (nxt == "STOP")
    stops = np.zeros(len(state), dtype=bool)
    stops[1:] = starts[:-1]
    unpaired = ~starts & ~stops
    lone = state[unpaired]
    _skip(lone[lone["status"] == "START"], report, "state event START(s) without a STOP")
    _skip(lone[lone["status"] == "STOP"], report, "state event STOP(s) without a START")
    begin = state[starts]
    end = state.iloc[np.flatnonzero(starts) + 1]
    onset = begin["time"].to_numpy(float)
    offset = end["time"].to_numpy(float)
    first = begin["comment"].fillna("").astype(str).to_numpy(object)
    last = end["comment"].fillna("").astype(str).to_numpy(object)
    comment = np.where(last == "", first, first + " | " + last) if len(first) else first
    pairs = begin.assign(onset_s=onset, offset_s=offset, comment=comment)
    zero = offset <= onset
    if zero.any():
        _skip(
            pd.concat([begin[zero], end[zero]]),
            report,
            "event(s) of zero-length state occurrences (START and STOP at the same time)",
        )
    rows = pd.concat(
        [pairs[~zero], point.assign(onset_s=point["time"], offset_s=np.nan)], ignore_index=True
    )
    rows = rows.sort_values(["_order"], kind="stable")
    out = pd.DataFrame(
        {
            "session": rows["session"].to_numpy(),
            "coder": rows["coder"].to_numpy(),
            "tier": np.where(rows["subject"] == "", NO_FOCAL_SUBJECT, rows["subject"]),
            "code": rows["behavior"].to_numpy(),
            "onset_s": rows["onset_s"].to_numpy(float),
            "offset_s": rows["offset_s"].to_numpy(float),
        }
    )
    for col, name in (
        ("modifiers", "modifiers"),
        ("comment", "comment"),
        ("category", "behavioral_category"),
    ):
        values = rows[col].fillna("").astype(str).to_numpy()
        if (values != "").any():
            out[name] = values
    return out.sort_values(["session", "tier", "onset_s"], kind="stable").reset_index(drop=True)


def _skip(rows: pd.DataFrame, report: ConversionReport, why: str) -> None:
    """One ``skipped`` note per session for these BORIS events, with the first few times."""
    for session, part in rows.groupby("session", sort=False):
        times = ", ".join(f"{t:.3f}" for t in part["time"].dropna().head(3))
        more = f" at {times}{' ...' if len(part) > 3 else ''} s" if times else ""
        report.note("skipped", why + more, len(part), str(session))
