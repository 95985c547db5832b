"""Inter-rater reliability (SCIENCE.md §4): time-unit and event-based kappa, alpha, ICC."""

from __future__ import annotations

from .agreement import cohen_kappa, confusion, kappa_max, krippendorff_alpha, percent_agreement
from .alignment import NIL, align_events, alignment_table, event_agreement, event_kappa
from .icc import bland_altman, icc, metric_agreement
from .sampling import sample_for_reliability
from .table import (
    coverage,
    disagreement_spans,
    pairwise_table,
    pooled_confusion,
    reliability_table,
)
from .units import NONE, unit_labels

__all__ = [
    "NIL",
    "NONE",
    "align_events",
    "alignment_table",
    "bland_altman",
    "cohen_kappa",
    "confusion",
    "coverage",
    "disagreement_spans",
    "event_agreement",
    "event_kappa",
    "icc",
    "kappa_max",
    "krippendorff_alpha",
    "metric_agreement",
    "pairwise_table",
    "percent_agreement",
    "pooled_confusion",
    "reliability_table",
    "sample_for_reliability",
    "unit_labels",
]
