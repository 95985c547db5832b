"""Lagged synchrony of the partners' engagement valence (Boker, Xu, Rotondo & King, 2002).

The valence series are sampled every u seconds at unit midpoints ``(k + ½)·u`` where both partners
are coded (codes without a valence count as not coded). For a lag of l units, the infant's sample at
unit k is paired with the caregiver's at unit k + l when both exist and both units lie in the
window; Pearson's r over those pairs is computed for every lag in ``−L … +L``. A positive lag means
the caregiver follows the infant. This is Boker et al.'s lagged cross-correlation without their
moving window: one r per lag and window.

The series are piecewise constant, so no unit-by-unit array is built. The samples form *runs* of
constant (infant, caregiver) valence; for two runs ``a = [a0, a1)`` and ``b = [b0, b1)`` (unit
indices) the number of pairs at lag l is the overlap ``|[a0, a1) ∩ [b0 − l, b1 − l)|``, a trapezoid
in l equal to ``ramp(l − (b0 − a1)) − ramp(l − (b0 − a0)) − ramp(l − (b1 − a1)) + ramp(l − (b1 −
a0))`` with ``ramp(x) = max(x, 0)``. Each ramp is one entry in a second-difference array per
window and statistic; two cumulative sums over the lags give, for every window and lag at once,
the pair count and the sums of x, y, x², y² and xy that Pearson's r needs. Only run pairs closer
than L units are visited, so the cost grows with the number of runs, not of units or lags.
"""

from __future__ import annotations

import numpy as np

from .corpus import Elementary, Windows, ceil_div

__all__ = ["lagged_correlations", "sync_summary"]


def _runs(
    elem: Elementary,
    window_of: np.ndarray,
    infant_valence: np.ndarray,
    caregiver_valence: np.ndarray,
    unit_ms: int,
):
    """Runs of sampled units with constant valences: (k0, k1, x, y, window), in key order."""
    sel = (window_of >= 0) & (elem.infant >= 0) & (elem.caregiver >= 0)
    x = np.full(len(sel), np.nan)
    y = np.full(len(sel), np.nan)
    x[sel] = infant_valence[elem.infant[sel]]
    y[sel] = caregiver_valence[elem.caregiver[sel]]
    sel &= np.isfinite(x) & np.isfinite(y)
    u = unit_ms
    k0 = ceil_div(2 * elem.start[sel] - u, 2 * u)  # first unit whose midpoint is inside
    k1 = ceil_div(2 * elem.stop[sel] - u, 2 * u)
    x, y, w = x[sel], y[sel], window_of[sel]
    nonempty = k1 > k0
    k0, k1, x, y, w = k0[nonempty], k1[nonempty], x[nonempty], y[nonempty], w[nonempty]
    # merge neighbours that continue the same valences (e.g. object -> monitor, both valence 1)
    cont = np.zeros(len(k0), dtype=bool)
    cont[1:] = (k0[1:] == k1[:-1]) & (w[1:] == w[:-1]) & (x[1:] == x[:-1]) & (y[1:] == y[:-1])
    first = ~cont
    last = np.ones(len(k0), dtype=bool)
    last[:-1] = first[1:]
    return k0[first], k1[last], x[first], y[first], w[first]


def lagged_correlations(
    elem: Elementary,
    window_of: np.ndarray,
    windows: Windows,
    infant_valence: np.ndarray,
    caregiver_valence: np.ndarray,
    *,
    unit_ms: int,
    max_lag_units: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r between infant valence at t and caregiver valence at t + lag, per row and lag.

    Parameters
    ----------
    elem, window_of, windows
        Elementary intervals, the window of each, and the windows (see :mod:`.corpus`).
    infant_valence, caregiver_valence
        Valence of each code of the partner's engagement tier (NaN: no valence).
    unit_ms
        The sampling unit u.
    max_lag_units
        L: lags run over ``−L … +L`` units.

    Returns
    -------
    (lags_s, r)
        The lags in seconds and an array ``rows × lags`` of r; NaN where fewer than 3 pairs or a
        series has no variance.
    """
    L = max_lag_units
    n_lags = 2 * L + 1
    n = windows.n_rows
    k0, k1, x, y, w = _runs(elem, window_of, infant_valence, caregiver_valence, unit_ms)
    row = windows.row[w]
    # partners b of each run a: same window, and an overlap for some |lag| <= L
    w_lo = np.searchsorted(w, w, side="left")
    w_hi = np.searchsorted(w, w, side="right")
    b_lo = np.maximum(np.searchsorted(k1, k0 - L, side="right"), w_lo)
    b_hi = np.minimum(np.searchsorted(k0, k1 + L, side="left"), w_hi)
    counts = np.maximum(b_hi - b_lo, 0)
    a = np.repeat(np.arange(len(k0)), counts)
    b = b_lo[a] + (np.arange(len(a)) - np.repeat(np.cumsum(counts) - counts, counts))

    weights = (
        np.ones(len(a)),
        x[a],
        x[a] ** 2,
        y[b],
        y[b] ** 2,
        x[a] * y[b],
    )
    base = row[a] * (n_lags + 1)
    idx_parts, sign_parts, level_idx_parts, level_parts = [], [], [], []
    for q, sign in (
        (k0[b] - k1[a], 1.0),
        (k0[b] - k0[a], -1.0),
        (k1[b] - k1[a], -1.0),
        (k1[b] - k0[a], 1.0),
    ):
        q = q + L  # lag index where the ramp starts
        start = np.maximum(q, 0)
        on = start < 2 * L
        idx_parts.append(np.where(on, base + start + 1, base + n_lags))  # slot n_lags: discarded
        sign_parts.append(sign * on)
        below = q < 0
        level_idx_parts.append(base[below])
        level_parts.append((sign * -q[below], below))
    idx = np.concatenate(idx_parts)
    sign = np.concatenate(sign_parts)
    size = n * (n_lags + 1)
    sums = []
    for wt in weights:
        slope = np.bincount(idx, sign * np.tile(wt, 4), minlength=size)
        level = np.zeros(size)
        for li, (lv, below) in zip(level_idx_parts, level_parts, strict=True):
            level += np.bincount(li, lv * wt[below], minlength=size)
        d = (level + np.cumsum(slope.reshape(n, n_lags + 1), axis=1).ravel()).reshape(n, n_lags + 1)
        sums.append(np.cumsum(d, axis=1)[:, :n_lags])
    cnt, sx, sxx, sy, syy, sxy = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        vx = cnt * sxx - sx * sx
        vy = cnt * syy - sy * sy
        cov = cnt * sxy - sx * sy
        tol = 1e-9 * np.maximum(cnt * sxx, cnt * syy)
        ok = (cnt >= 3) & (vx > tol) & (vy > tol)
        r = np.where(ok, cov / np.sqrt(np.where(ok, vx * vy, 1.0)), np.nan)
    lags_s = np.arange(-L, L + 1) * unit_ms / 1000.0
    return lags_s, np.clip(r, -1.0, 1.0)


def sync_summary(lags_s: np.ndarray, r: np.ndarray) -> dict[str, np.ndarray]:
    """``sync_r0`` (r at lag 0), ``sync_peak_r`` (the r of largest absolute value over the lags;
    ties go to the lag nearest 0, then to the negative one) and ``sync_peak_lag_s`` (its lag)."""
    zero = int(np.argmin(np.abs(lags_s)))
    order = np.lexsort((lags_s, np.abs(lags_s)))
    strength = np.where(np.isnan(r), -1.0, np.abs(r))[:, order]
    best = order[np.argmax(strength, axis=1)] if r.shape[1] else np.zeros(len(r), dtype=int)
    found = strength.max(axis=1, initial=-1.0) >= 0
    rows = np.arange(len(r))
    return {
        "sync_r0": r[:, zero] if r.shape[1] else np.full(len(r), np.nan),
        "sync_peak_r": np.where(found, r[rows, best], np.nan),
        "sync_peak_lag_s": np.where(found, lags_s[best], np.nan),
    }
