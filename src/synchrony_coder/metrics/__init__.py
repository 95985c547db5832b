"""Interaction metrics of coded caregiver-infant sessions (SCIENCE.md §3).

:func:`session_metrics` turns the tidy events table of one session or a whole corpus into a tidy
table of matched-state fraction, mismatch repair, contingency, Yule's Q and lagged synchrony, per
session × coder and, optionally, per phase; :func:`lagged_synchrony` gives the whole lagged
cross-correlation behind the synchrony columns. The modules follow the concepts: :mod:`.corpus` (the
events on one integer-millisecond axis), :mod:`.synchrony` (matched states and repair),
:mod:`.contingency` (bids and responses), :mod:`.lagged` (lagged valence correlation),
:mod:`.table` (the table) and :mod:`.plots` (figures; imports matplotlib).
"""

from __future__ import annotations

from .table import METRIC_COLUMNS, lagged_synchrony, repair_column, session_metrics

__all__ = ["METRIC_COLUMNS", "lagged_synchrony", "repair_column", "session_metrics"]
