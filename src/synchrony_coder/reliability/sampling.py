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
    return draw_sessions(sessions, reliability_count(len(set(map(str, sessions))), fraction), seed)


def reliability_count(n: int, fraction: float) -> int:
    """How many of ``n`` sessions a fraction asks for: ``ceil(fraction · n)``."""
    return min(n, math.ceil(round(fraction * n, 9)))


def draw_sessions(sessions: Sequence[str], k: int, seed: int | Sequence[int] = 0) -> list[str]:
    """``k`` of the distinct ``sessions`` (sorted first) drawn without replacement with
    ``numpy.random.default_rng(seed)``, returned sorted; all of them when there are fewer."""
    pool = sorted(set(map(str, sessions)))
    k = max(0, min(len(pool), k))
    chosen = np.random.default_rng(seed).choice(len(pool), size=k, replace=False)
    return sorted(pool[i] for i in chosen)
