"""Optional pre-processing of motion series before the cross-correlation (SCIENCE.md §6).

Off by default; when on, it is named in the summary's ``preprocessing`` column. Applied per
session and per partner's series, in this order (as rMEA's ``MEAoutlier``, ``MEAsmooth`` and
``MEAscale`` are usually chained; Kleinbub & Ramseyer, 2020):

1. artefacts: samples greater than k standard deviations (of that series) become missing;
2. smoothing: a centred moving average of S seconds (n = S·f samples; for even n the window reaches
   one sample further back), over the samples present in the window;
3. z-scaling: (x − mean) / SD (SD with n − 1), missing values ignored.

Pearson r is unchanged by z-scaling itself; it matters for the figures and for artefacts.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np

from .sync import Dyad

__all__ = ["Preprocessing", "preprocess"]


@dataclass(frozen=True)
class Preprocessing:
    """Which pre-processing to apply (None / False: not)."""

    artefact_sd: float | None = None
    smooth_s: float | None = None
    scale: bool = False

    def describe(self) -> str:
        """``""`` when nothing is applied, else e.g. ``"artefacts > 10 SD; smoothed 0.5 s; z"``."""
        steps = []
        if self.artefact_sd:
            steps.append(f"artefacts > {self.artefact_sd:g} SD missing")
        if self.smooth_s:
            steps.append(f"moving average {self.smooth_s:g} s")
        if self.scale:
            steps.append("z-scaled")
        return "; ".join(steps)


def preprocess(dyad: Dyad, steps: Preprocessing) -> Dyad:
    """The dyad with both series pre-processed as ``steps`` says."""
    if not steps.describe():
        return dyad
    return replace(
        dyad,
        infant=_series(dyad.infant, dyad.fps, steps),
        caregiver=_series(dyad.caregiver, dyad.fps, steps),
    )


def _series(x: np.ndarray, fps: float, steps: Preprocessing) -> np.ndarray:
    x = np.array(x, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing series stays missing
        if steps.artefact_sd:
            x[x > steps.artefact_sd * np.nanstd(x, ddof=1)] = np.nan
        if steps.smooth_s:
            x = moving_average(x, max(1, int(round(steps.smooth_s * fps))))
        if steps.scale:
            x = (x - np.nanmean(x)) / np.nanstd(x, ddof=1)
    return x


def moving_average(x: np.ndarray, n: int) -> np.ndarray:
    """Centred mean of ``n`` samples at each sample, over those present (NaN where none is)."""
    present = np.isfinite(x)
    total = np.concatenate([[0.0], np.cumsum(np.where(present, x, 0.0))])
    count = np.concatenate([[0], np.cumsum(present)])
    idx = np.arange(len(x))
    lo = np.clip(idx - n // 2, 0, len(x))
    hi = np.clip(idx - n // 2 + n, 0, len(x))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            count[hi] > count[lo], (total[hi] - total[lo]) / (count[hi] - count[lo]), np.nan
        )
