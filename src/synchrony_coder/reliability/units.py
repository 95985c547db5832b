"""Time-unit labels: what each coder coded at the midpoint of every unit of a state tier.

Bakeman & Quera (2011, ch. 5) compare state codes by cutting time into units of ``u`` seconds and
tallying, unit by unit, the code each observer had active. Per SCIENCE.md §4 a unit's label is the
code active at the unit's **midpoint**, or ``<none>`` where nothing is coded; the units span
``[0, ceil(T/u)·u)`` where ``T`` is the latest offset on the tier across the coders compared.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

NONE = "<none>"


def unit_count(end_s: float, unit: float) -> int:
    """``ceil(end_s / unit)``, robust to float noise (10.0 / 0.1 is 100 units, not 101)."""
    if not end_s > 0:
        return 0
    return int(math.ceil(round(end_s / unit, 9)))


def midpoints(n_units: int, unit: float) -> np.ndarray:
    """Midpoint of each unit in seconds: ``(k + 0.5) · unit``."""
    return (np.arange(n_units, dtype=np.float64) + 0.5) * unit


def label_ids(
    onset: np.ndarray, offset: np.ndarray, ids: np.ndarray, n_units: int, unit: float, none: int
) -> np.ndarray:
    """Integer version of :func:`unit_labels`: ``ids`` are the events' code numbers.

    Events must be sorted by onset. Returns an int64 array of length ``n_units`` holding the id
    of the code active at each unit's midpoint, or ``none``.
    """
    out = np.full(n_units, none, dtype=np.int64)
    if n_units == 0 or len(onset) == 0:
        return out
    mid = midpoints(n_units, unit)
    # the last event starting at or before the midpoint; it covers it when it ends after it
    k = np.searchsorted(onset, mid, side="right") - 1
    hit = k >= 0
    covered = np.zeros(n_units, dtype=bool)
    covered[hit] = offset[k[hit]] > mid[hit]
    out[covered] = ids[k[covered]]
    if not covered.all() and len(onset) > 1:
        # overlapping events (non-exclusive tier): an earlier, longer one may still cover it
        run_end = np.maximum.accumulate(offset)
        gap = hit & ~covered & (run_end[np.maximum(k, 0)] > mid)
        for i in np.flatnonzero(gap):
            live = np.flatnonzero((onset <= mid[i]) & (offset > mid[i]))
            out[i] = ids[live[-1]]
    return out


def unit_labels(events: pd.DataFrame, n_units: int, unit: float) -> np.ndarray:
    """The code active at each unit's midpoint in one coder's events of one state tier.

    Parameters
    ----------
    events : that coder's state events on the tier (columns ``code, onset_s, offset_s``).
    n_units, unit : the units ``[k·u, (k+1)·u)``, ``k = 0 .. n_units-1``.

    Returns
    -------
    numpy array of str, length ``n_units``: a code, or ``"<none>"`` (SCIENCE.md §4). In a
    non-exclusive tier, where events overlap, the one that started last wins.
    """
    ev = events.sort_values(["onset_s", "offset_s"], kind="stable")
    names, ids = np.unique(ev["code"].astype(str).to_numpy(), return_inverse=True)
    found = label_ids(
        ev["onset_s"].to_numpy(np.float64),
        ev["offset_s"].to_numpy(np.float64),
        ids.astype(np.int64),
        n_units,
        unit,
        len(names),
    )
    return np.append(names.astype(object), NONE)[found]
