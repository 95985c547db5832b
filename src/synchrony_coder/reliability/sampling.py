"""Choosing which sessions a second coder codes, reproducibly."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def sample_for_reliability(
    sessions: Sequence[str], fraction: float = 0.2, seed: int = 0
) -> list[str]:
    """Pick ``ceil(fraction · n)`` of the distinct ``sessions`` at random, reproducibly.

    The same sessions (in any order) and seed always give the same choice: the candidates are
    sorted first, then drawn without replacement with ``numpy.random.default_rng(seed)``.
    Returns the chosen sessions sorted. Bakeman & Quera (2011) suggest double-coding at least
    15–20% of sessions, spread over the study.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], not {fraction}")
    pool = sorted(set(map(str, sessions)))
    k = min(len(pool), math.ceil(round(fraction * len(pool), 9)))
    chosen = np.random.default_rng(seed).choice(len(pool), size=k, replace=False)
    return sorted(pool[i] for i in chosen)
