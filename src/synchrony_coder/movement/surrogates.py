"""Pseudosynchrony: is a dyad's movement synchrony more than chance? (SCIENCE.md §6)

The same analysis is run on surrogate dyads whose partners never met, and the real value is set
against their distribution:

- ``dyads`` (Ramseyer & Tschacher, 2010; rMEA's ``shuffle``): one session's infant with another
  session's caregiver, and the other way round; for session s the candidates are
  (infant_s, caregiver_j) and (infant_j, caregiver_s) for every other session j at the same frame
  rate, both cut to the shorter series. ``n`` of them are drawn (all if there are fewer).
- ``segments`` (Moulder, Boker, Ramseyer & Tschacher, 2018; rMEA's ``shuffle_segments``): the
  session's caregiver series cut into segments of ``segment_s`` seconds (the last may be shorter),
  put in a random order; the infant's series is kept. ``n`` shuffles per session.

Per session (and phase: surrogate windows are assigned by the real session's phase times) the
result has ``surrogate_mean``, ``surrogate_sd`` (n − 1), ``effect_size_d`` = (real − mean) / sd and
``p_surrogate`` = the share of surrogates whose ``grand_average`` is ≥ the real one. Draws come
from ``numpy.random.default_rng([seed, k])`` for the k-th session, so a seed fixes every draw.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .ccf import CcfSettings, MovementError
from .sync import Dyad, SessionCcf, session_ccf, summary_values, window_groups

__all__ = ["KINDS", "SURROGATE_COLUMNS", "pseudosynchrony", "segment_shuffle"]

KINDS = ("dyads", "segments")
SURROGATE_COLUMNS = ["surrogate_mean", "surrogate_sd", "effect_size_d", "p_surrogate"]


def segment_shuffle(series: np.ndarray, segment: int, rng: np.random.Generator) -> np.ndarray:
    """``series`` cut into pieces of ``segment`` samples, concatenated in a random order."""
    pieces = [series[a : a + segment] for a in range(0, len(series), segment)]
    return np.concatenate([pieces[k] for k in rng.permutation(len(pieces))])


def _same_rate(a: Dyad, b: Dyad) -> bool:
    return abs(a.fps - b.fps) <= 1e-3 * a.fps


def pseudosynchrony(
    dyads: list[Dyad],
    summary: pd.DataFrame,
    settings: CcfSettings,
    n: int,
    seed: int,
    kind: str = "dyads",
    segment_s: float = 30.0,
    phases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``summary`` (from :func:`~.sync.summarise`) with the surrogate columns added.

    A surrogate dyad too short for one window is left out; a session with no usable surrogate
    gets NaN.
    """
    if kind not in KINDS:
        raise ValueError(f"surrogate kind {kind!r}: one of {', '.join(KINDS)}")
    cache: dict[tuple[int, int], np.ndarray | None] = {}

    def crossed(i: int, j: int, clock: Dyad) -> SessionCcf | None:
        """Dyad i's infant with dyad j's caregiver, its windows on ``clock``'s session times."""
        if (i, j) not in cache:
            a, b = dyads[i].infant, dyads[j].caregiver
            length = min(len(a), len(b))
            found = _ccf_or_none(replace(clock, infant=a[:length], caregiver=b[:length]), settings)
            cache[(i, j)] = None if found is None else found.values
        values = cache[(i, j)]
        return None if values is None else session_ccf(clock, settings, values)

    rows = []
    for k, dyad in enumerate(dyads):
        rng = np.random.default_rng([seed, k])
        if kind == "dyads":
            pairs = [
                p
                for j, other in enumerate(dyads)
                if j != k and _same_rate(dyad, other)
                for p in ((k, j), (j, k))
            ]
            chosen = sorted(rng.choice(len(pairs), size=min(n, len(pairs)), replace=False))
            surrogates = [crossed(*pairs[c], dyad) for c in chosen]
        else:
            segment = max(1, int(round(segment_s * dyad.fps)))
            surrogates = [
                _ccf_or_none(
                    replace(dyad, caregiver=segment_shuffle(dyad.caregiver, segment, rng)),
                    settings,
                )
                for _ in range(n)
            ]
        surrogates = [s for s in surrogates if s is not None]
        real = summary[summary["session"] == dyad.session].set_index("phase")["grand_average"]
        values: dict[str, list[float]] = {phase: [] for phase in real.index}
        for s in surrogates:
            for phase, use in window_groups(s, phases):
                if phase in values and use.any():
                    values[phase].append(summary_values(s.values[use], s.lags_s)["grand_average"])
        for phase, found in values.items():
            rows.append({"session": dyad.session, "phase": phase} | _compare(real[phase], found))
    extra = pd.DataFrame(rows, columns=["session", "phase", *SURROGATE_COLUMNS])
    return summary.merge(extra, on=["session", "phase"], how="left")


def _ccf_or_none(dyad: Dyad, settings: CcfSettings) -> SessionCcf | None:
    try:
        return session_ccf(dyad, settings)
    except MovementError:
        return None


def _compare(real: float, surrogate: list[float]) -> dict[str, float]:
    values = np.array([v for v in surrogate if np.isfinite(v)])
    if len(values) == 0:
        return dict.fromkeys(SURROGATE_COLUMNS, np.nan)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if len(values) > 1 else np.nan
    return {
        "surrogate_mean": mean,
        "surrogate_sd": sd,
        "effect_size_d": (real - mean) / sd if sd and np.isfinite(real) else np.nan,
        "p_surrogate": float((values >= real).mean()) if np.isfinite(real) else np.nan,
    }
