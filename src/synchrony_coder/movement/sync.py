"""Movement synchrony of a corpus of motion tables: the window × lag table and its summaries.

From the tidy motion table (``session, time_s, <roi>...``; SCIENCE.md §6) each session's infant and
caregiver series go through :func:`~.ccf.lagged_ccf`. :func:`ccf_table` lays the result out one row
per window × lag; :func:`summarise` gives per session (and per phase, for the windows wholly inside
it) the summaries of rMEA's ``MEAccf`` (Kleinbub & Ramseyer, 2020): ``grand_average`` (the mean of
every non-missing cell), ``lag_zero``, ``infant_leads`` (d > 0: the caregiver follows),
``caregiver_leads`` (d < 0), each averaged over windows, and ``best_lag_s``, the median over windows
of the lag of the window's highest value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .ccf import DEFAULTS, CcfSettings, MovementError, lagged_ccf, window_samples

__all__ = [
    "SUMMARY_COLUMNS",
    "TABLE_COLUMNS",
    "Dyad",
    "SessionCcf",
    "ccf_table",
    "dyads",
    "phase_intervals",
    "session_ccf",
    "summarise",
]

TABLE_COLUMNS = ["session", "window", "start_s", "end_s", "lag_s", "value"]
SUMMARY_COLUMNS = [
    "session",
    "phase",
    "n_windows",
    "grand_average",
    "lag_zero",
    "infant_leads",
    "caregiver_leads",
    "best_lag_s",
]
_STEP_TOLERANCE_S = 0.0015  # times are rounded to the millisecond


@dataclass(frozen=True)
class Dyad:
    """One session's two motion series at ``fps`` samples per second, from ``start_s`` on."""

    session: str
    fps: float
    start_s: float
    infant: np.ndarray
    caregiver: np.ndarray


@dataclass(frozen=True)
class SessionCcf:
    """A session's window × lag table: ``values[k, j]`` at window ``k`` and lag ``lags_s[j]``."""

    session: str
    start_s: np.ndarray  # session time of each window's first sample
    end_s: np.ndarray  # ... and the end of the last sample it reads (a + w + l)
    lags_s: np.ndarray
    values: np.ndarray


def dyads(motion: pd.DataFrame, infant: str = "infant", caregiver: str = "caregiver") -> list[Dyad]:
    """Split a motion table into sessions (in order of appearance), checking even sampling.

    Raises
    ------
    MovementError
        A partner's column is missing, or a session's ``time_s`` is not evenly spaced.
    """
    for name in (infant, caregiver):
        if name not in motion.columns:
            have = [c for c in motion.columns if c not in ("session", "time_s")]
            raise MovementError(
                f"the motion table has no {name!r} column (its ROIs: {', '.join(have) or 'none'}); "
                "name the regions infant and caregiver"
            )
    out = []
    for session, rows in motion.groupby("session", sort=False):
        t = rows["time_s"].to_numpy(np.float64)
        if len(t) < 2:
            raise MovementError(f"session {session}: {len(t)} motion row(s), too few to analyse")
        fps = (len(t) - 1) / (t[-1] - t[0])
        steps = np.diff(t)
        bad = np.flatnonzero(np.abs(steps - 1 / fps) > _STEP_TOLERANCE_S)
        if len(bad):
            k = int(bad[0])
            raise MovementError(
                f"session {session}: time_s goes from {t[k]:g} to {t[k + 1]:g} s, not one "
                f"frame ({1 / fps:.4f} s) later: motion rows must be evenly spaced, one per frame"
            )
        out.append(
            Dyad(
                str(session),
                float(fps),
                float(t[0]),
                rows[infant].to_numpy(np.float64),
                rows[caregiver].to_numpy(np.float64),
            )
        )
    return out


def session_ccf(
    dyad: Dyad, settings: CcfSettings = DEFAULTS, values: np.ndarray | None = None
) -> SessionCcf:
    """The lagged cross-correlation of one dyad (errors name the session).

    ``values``: the dyad's window × lag table if already computed (only the clock is added).
    """
    if values is None:
        try:
            values = lagged_ccf(dyad.infant, dyad.caregiver, dyad.fps, settings)
        except MovementError as exc:
            raise MovementError(f"session {dyad.session}: {exc}") from None
    w, lag, inc = window_samples(settings, dyad.fps)
    first = np.arange(len(values)) * inc
    start = np.round((dyad.start_s + first / dyad.fps) * 1000) / 1000
    end = np.round((dyad.start_s + (first + w + lag) / dyad.fps) * 1000) / 1000
    lags = np.round(np.arange(-lag, lag + 1) / dyad.fps * 1000) / 1000
    return SessionCcf(dyad.session, start, end, lags, values)


def ccf_table(ccfs: list[SessionCcf]) -> pd.DataFrame:
    """One row per session × window × lag: ``session, window, start_s, end_s, lag_s, value``."""
    parts = []
    for c in ccfs:
        n_win, n_lag = c.values.shape
        parts.append(
            pd.DataFrame(
                {
                    "session": c.session,
                    "window": np.repeat(np.arange(n_win), n_lag),
                    "start_s": np.repeat(c.start_s, n_lag),
                    "end_s": np.repeat(c.end_s, n_lag),
                    "lag_s": np.tile(c.lags_s, n_win),
                    "value": c.values.ravel(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TABLE_COLUMNS)


def phase_intervals(events: pd.DataFrame, phase_tier: str) -> pd.DataFrame:
    """The phase events of coded sessions: ``session, phase, onset_s, offset_s``, in time order.

    Phases are the same for every coder of a session in a Still-Face design; where several coders
    coded them, the first coder's (by name) are used.
    """
    ev = events[events["tier"] == phase_tier]
    if ev.empty:
        return pd.DataFrame(columns=["session", "phase", "onset_s", "offset_s"])
    first = ev.groupby("session")["coder"].transform("min")
    ev = ev[ev["coder"] == first].sort_values(["session", "onset_s"])
    return pd.DataFrame(
        {
            "session": ev["session"].astype(str).to_numpy(),
            "phase": ev["code"].astype(str).to_numpy(),
            "onset_s": ev["onset_s"].to_numpy(np.float64),
            "offset_s": ev["offset_s"].to_numpy(np.float64),
        }
    )


def window_groups(ccf: SessionCcf, phases: pd.DataFrame | None) -> list[tuple[str, np.ndarray]]:
    """``("all", every window)`` then, per phase in time order, the windows wholly inside it.

    A window is inside a phase when ``[start_s, end_s)`` lies within one of its intervals
    ``[onset_s, offset_s)``; a phase coded twice pools its intervals.
    """
    groups = [("all", np.ones(len(ccf.start_s), bool))]
    if phases is None:
        return groups
    mine = phases[phases["session"] == ccf.session]
    for phase in dict.fromkeys(mine["phase"]):
        inside = np.zeros(len(ccf.start_s), bool)
        for onset, offset in mine.loc[mine["phase"] == phase, ["onset_s", "offset_s"]].to_numpy():
            inside |= (ccf.start_s >= onset - 5e-4) & (ccf.end_s <= offset + 5e-4)
        groups.append((phase, inside))
    return groups


def summary_values(values: np.ndarray, lags_s: np.ndarray) -> dict[str, float]:
    """The summaries of a window × lag table (rows: windows), NaN where undefined."""
    lag = (values.shape[1] - 1) // 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing windows are NaN
        grand = np.nanmean(values) if values.size else np.nan
        zero = np.nanmean(values[:, lag]) if len(values) else np.nan
        infant = np.nanmean(np.nanmean(values[:, lag + 1 :], axis=1)) if lag else np.nan
        carer = np.nanmean(np.nanmean(values[:, :lag], axis=1)) if lag else np.nan
    defined = ~np.isnan(values).all(axis=1)
    best = (
        float(np.median(lags_s[np.nanargmax(values[defined], axis=1)])) if defined.any() else np.nan
    )
    return {
        "grand_average": float(grand),
        "lag_zero": float(zero),
        "infant_leads": float(infant),
        "caregiver_leads": float(carer),
        "best_lag_s": best,
    }


def summarise(ccfs: list[SessionCcf], phases: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per session (phase ``all``) and, with ``phases``, per phase: see the module doc."""
    rows = []
    for c in ccfs:
        for phase, use in window_groups(c, phases):
            rows.append(
                {"session": c.session, "phase": phase, "n_windows": int(use.sum())}
                | summary_values(c.values[use], c.lags_s)
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
