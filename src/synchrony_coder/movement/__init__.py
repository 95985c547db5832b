"""Movement synchrony of motion tables (SCIENCE.md §6), as rMEA computes it, vectorised.

- :mod:`.ccf`: :func:`lagged_ccf`, the windowed lagged cross-correlation of one dyad.
- :mod:`.sync`: a corpus of motion tables → :class:`Dyad` series, the window × lag table
  (:func:`ccf_table`) and the per-session/per-phase summaries (:func:`summarise`).
- :mod:`.surrogates`: pseudosynchrony from surrogate dyads or segment shuffling.
"""

from __future__ import annotations

from .ccf import DEFAULTS, CcfSettings, MovementError, lagged_ccf, window_samples
from .surrogates import pseudosynchrony, segment_shuffle
from .sync import (
    SUMMARY_COLUMNS,
    TABLE_COLUMNS,
    Dyad,
    SessionCcf,
    ccf_table,
    dyads,
    phase_intervals,
    session_ccf,
    summarise,
)

__all__ = [
    "DEFAULTS",
    "SUMMARY_COLUMNS",
    "TABLE_COLUMNS",
    "CcfSettings",
    "Dyad",
    "MovementError",
    "SessionCcf",
    "ccf_table",
    "dyads",
    "lagged_ccf",
    "phase_intervals",
    "pseudosynchrony",
    "segment_shuffle",
    "session_ccf",
    "summarise",
    "window_samples",
]
