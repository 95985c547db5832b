"""What each rendered frame shows: the partners' engagement codes, the phase and the gestures.

Everything works in integer milliseconds, like the video index (``video.index``): frame ``k`` of a
video whose first frame sits at ``offset_s`` on the session clock shows session time
``offset_ms + round(k * 1000 / fps)``; a state event ``[onset, offset)`` is shown on the frames
whose time falls inside it, and a point event (a bid or a response) starts a gesture on the first
frame at or after its onset that lasts ``gesture_s`` seconds. Lookups are vectorised with
:func:`numpy.searchsorted` over the sorted events of one tier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scheme import Scheme

__all__ = ["FrameStates", "frame_states", "frame_times_ms", "session_duration_s"]

GESTURE_S = 1.0  # how long a bid or response stays visible after its onset
GESTURE_STAGES = 3  # rising, full, fading


@dataclass(frozen=True)
class FrameStates:
    """Per-frame codes (``""`` where uncoded) and gestures of one rendered video.

    ``bid_stage`` / ``response_stage`` is -1 without a gesture, else 0 (rising), 1 (full) or
    2 (fading) of the most recent bid / response.
    """

    times_ms: np.ndarray
    infant: np.ndarray
    caregiver: np.ndarray
    phase: np.ndarray
    bid: np.ndarray
    bid_stage: np.ndarray
    response: np.ndarray
    response_stage: np.ndarray

    def __len__(self) -> int:
        return len(self.times_ms)


def session_duration_s(events: pd.DataFrame) -> float:
    """Length of a session: the latest state offset (SCIENCE.md §3); without states, one gesture
    past the last point onset."""
    if events["offset_s"].notna().any():
        return float(events["offset_s"].max())
    if len(events):
        return float(events["onset_s"].max()) + GESTURE_S
    return 0.0


def frame_times_ms(n_frames: int, fps: float, offset_s: float = 0.0) -> np.ndarray:
    """Session time of each frame in integer milliseconds (the video index's convention)."""
    k = np.arange(n_frames, dtype=np.float64)
    return round(offset_s * 1000) + np.round(k * 1000.0 / fps).astype(np.int64)


def _ms(values: pd.Series) -> np.ndarray:
    return np.round(values.to_numpy(np.float64) * 1000.0).astype(np.int64)


def _state_codes(events: pd.DataFrame, tier: str | None, times: np.ndarray) -> np.ndarray:
    """Code covering each time (the latest-starting bout wins), ``""`` where none does."""
    out = np.full(len(times), "", dtype=object)
    if tier is None:
        return out
    ev = events[events["tier"] == tier].sort_values("onset_s", kind="stable")
    if ev.empty:
        return out
    on, off = _ms(ev["onset_s"]), _ms(ev["offset_s"])
    codes = ev["code"].to_numpy(object)
    i = np.searchsorted(on, times, side="right") - 1
    ok = i >= 0
    ok[ok] = times[ok] < off[i[ok]]
    out[ok] = codes[i[ok]]
    return out


def _gestures(
    events: pd.DataFrame, tier: str | None, times: np.ndarray, gesture_ms: int
) -> tuple[np.ndarray, np.ndarray]:
    """Most recent point event's code and gesture stage at each time (``""``, -1 when none)."""
    codes_out = np.full(len(times), "", dtype=object)
    stage = np.full(len(times), -1, dtype=np.int64)
    if tier is None:
        return codes_out, stage
    ev = events[events["tier"] == tier].sort_values("onset_s", kind="stable")
    if ev.empty:
        return codes_out, stage
    on = _ms(ev["onset_s"])
    codes = ev["code"].to_numpy(object)
    i = np.searchsorted(on, times, side="right") - 1
    ok = i >= 0
    age = np.where(ok, times - on[np.maximum(i, 0)], gesture_ms)
    ok &= age < gesture_ms
    codes_out[ok] = codes[i[ok]]
    stage[ok] = np.minimum(age[ok] * GESTURE_STAGES // gesture_ms, GESTURE_STAGES - 1)
    return codes_out, stage


def frame_states(
    events: pd.DataFrame,
    scheme: Scheme,
    n_frames: int,
    fps: float,
    offset_s: float = 0.0,
    gesture_s: float = GESTURE_S,
) -> FrameStates:
    """What every frame of a video of one session shows.

    Parameters
    ----------
    events
        One session and one coder's events (SCIENCE.md §1).
    scheme
        Gives the roles: the partners' engagement tiers, the bid, response and phase tiers.
    n_frames, fps
        Frames of the video and its rate.
    offset_s
        Session time of the video's first frame (a camera that started late has offset > 0).
    gesture_s
        How long a bid or response stays visible.
    """
    r = scheme.roles
    times = frame_times_ms(n_frames, fps, offset_s)
    g_ms = max(int(round(gesture_s * 1000)), 1)
    bid, bid_stage = _gestures(events, r.bid, times, g_ms)
    resp, resp_stage = _gestures(events, r.response, times, g_ms)
    return FrameStates(
        times_ms=times,
        infant=_state_codes(events, r.infant_engagement, times),
        caregiver=_state_codes(events, r.caregiver_engagement, times),
        phase=_state_codes(events, r.phase, times),
        bid=bid,
        bid_stage=bid_stage,
        response=resp,
        response_stage=resp_stage,
    )
