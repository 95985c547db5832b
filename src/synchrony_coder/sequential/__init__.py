"""Sequential analysis of any pair of codes (SCIENCE.md §7; Bakeman & Quera, 2011).

What GSEQ and INTERACT's lag-sequential module compute, as plain functions over the tidy events
table, per session × coder and pooled over sessions (tables summed first):

- :func:`lag_table`: event lag tables of chosen tiers (counts, expected counts, transitional
  probabilities, adjusted residuals, Yule's Q, odds ratios; lags 1 … k; codes that cannot repeat);
- :func:`window_table`: time-window analysis of a given and a target code over time units;
- :func:`permutation_test`: a seeded permutation test of one lag-table cell.

Modules: :mod:`.coded` (events as arrays, ``tier:code`` names), :mod:`.stats` (cell statistics,
iterative proportional fitting), :mod:`.lag`, :mod:`.window`, :mod:`.permutation` and
:mod:`.plots` (heat maps; imports matplotlib). The time units of the windows are the metrics'
(:class:`synchrony_coder.metrics.contingency.TimeUnits`), of which §3's ``yules_q`` is a special
case.
"""

from __future__ import annotations

from .coded import POOLED, CodeSpec, SequentialError, code_spec
from .lag import LAG_COLUMNS, lag_table
from .permutation import PERMUTATION_COLUMNS, permutation_test
from .window import WINDOW_COLUMNS, window_table

__all__ = [
    "LAG_COLUMNS",
    "PERMUTATION_COLUMNS",
    "POOLED",
    "WINDOW_COLUMNS",
    "CodeSpec",
    "SequentialError",
    "code_spec",
    "lag_table",
    "permutation_test",
    "window_table",
]
