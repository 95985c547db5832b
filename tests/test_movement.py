"""Movement synchrony (SCIENCE.md §6) against a loop-by-loop implementation of the definition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synchrony_coder.movement import CcfSettings, MovementError, lagged_ccf


def oracle_ccf(x, y, f, lag_s, window_s, inc_s, fisher=True, absolute=True):
    """SCIENCE.md §6 written out cell by cell, as rMEA's MEAccf loops (Kleinbub & Ramseyer, 2020)."""
    w, l, i = round(window_s * f), round(lag_s * f), round(inc_s * f)
    n_samples = min(len(x), len(y))
    n = math.ceil((n_samples - w - l + 1) / i)
    table = []
    for k in range(n):
        a = k * i
        xs, ys = x[a : a + w + l], y[a : a + w + l]
        sparse = max(np.isnan(xs).sum(), np.isnan(ys).sum()) > len(xs) / 2
        row = []
        for d in range(-l, l + 1):
            if sparse:
                row.append(math.nan)
                continue
            if d >= 0:
                u, v = x[a : a + w], y[a + d : a + d + w]
            else:
                u, v = x[a - d : a - d + w], y[a : a + w]
            keep = ~np.isnan(u) & ~np.isnan(v)
            u, v = u[keep], v[keep]
            if (u != v).sum() < 2 or len(set(u)) < 2 or len(set(v)) < 2:
                row.append(math.nan)
                continue
            r = float(np.corrcoef(u, v)[0, 1])
            if fisher:
                r = 10.0 if r >= 1 else -10.0 if r <= -1 else max(-10.0, min(10.0, math.atanh(r)))
            row.append(abs(r) if absolute else r)
        table.append(row)
    return np.array(table)
