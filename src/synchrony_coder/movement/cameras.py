"""One dyad's motion table from regions drawn on one camera or on two (SCIENCE.md §6).

Still-Face labs often film the infant and the caregiver with a camera each. The infant's and the
caregiver's motion then come from two videos with their own frame clocks (a camera may start late:
``offset_s``). :func:`dyad_motion` lays both on the infant camera's frames: each infant frame is
paired with the caregiver camera's frame showing the nearest moment, within half a frame; where
that camera shows nothing the caregiver's value is missing (pairwise-missing in the
cross-correlation, :func:`~.ccf.lagged_ccf`). Pairing is at most half a frame off (17 ms at
30 fps), far below the lags analysed. Both cameras must run at the same frame rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ccf import MovementError

__all__ = ["dyad_motion"]

FPS_TOLERANCE = 1e-3  # relative difference of frame rates taken as the same rate


def _fps(times_s: np.ndarray) -> float:
    return (len(times_s) - 1) / (times_s[-1] - times_s[0]) if len(times_s) > 1 else 0.0


def dyad_motion(
    session: str,
    infant: tuple[np.ndarray, np.ndarray],
    caregiver: tuple[np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """The motion table ``session, time_s, infant, caregiver`` on the infant series' frames.

    Parameters
    ----------
    session : the session id.
    infant, caregiver : ``(time_s, motion energy)`` of each partner's region, times on one clock
        (the session's). Identical time arrays (one camera) are joined as they are.

    Raises
    ------
    MovementError
        The two cameras run at different frame rates.
    """
    t_inf, v_inf = (np.asarray(a, np.float64) for a in infant)
    t_car, v_car = (np.asarray(a, np.float64) for a in caregiver)
    if len(t_inf) == len(t_car) and np.array_equal(t_inf, t_car):
        paired = v_car
    else:
        f_inf, f_car = _fps(t_inf), _fps(t_car)
        if f_car <= 0 or abs(f_inf - f_car) > FPS_TOLERANCE * max(f_inf, f_car):
            raise MovementError(
                f"session {session}: the infant's camera runs at {f_inf:.3f} frames/s and the "
                f"caregiver's at {f_car:.3f}: draw both regions on one camera, or on cameras "
                "of the same frame rate"
            )
        right = np.clip(np.searchsorted(t_car, t_inf), 0, len(t_car) - 1)
        left = np.clip(right - 1, 0, len(t_car) - 1)
        nearest = np.where(np.abs(t_car[left] - t_inf) <= np.abs(t_car[right] - t_inf), left, right)
        close = np.abs(t_car[nearest] - t_inf) <= 0.5 / f_car + 5e-4  # times are ms-rounded
        paired = np.where(close, v_car[nearest], np.nan)
    return pd.DataFrame(
        {"session": str(session), "time_s": t_inf, "infant": v_inf, "caregiver": paired}
    )
