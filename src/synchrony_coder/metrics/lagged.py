"""Lagged synchrony of the partners' engagement valence (Boker, Xu, Rotondo & King, 2002).

The valence series are sampled every u seconds at unit midpoints ``(k + ½)·u`` where both partners
are coded (codes without a valence count as not coded). For a lag of l units, the infant's sample at
unit k is paired with the caregiver's at unit k + l when both exist and both units lie in the
window; Pearson's r over those pairs is computed for every lag in ``−L … +L``. A positive lag means
the caregiver follows the infant. This is Boker et al.'s lagged cross-correlation without their
moving window: one r per lag and window.

No unit-by-unit array is built. Every sum Pearson's r needs is a cross-correlation
``S(l) = Σ_k A_k B_{k+l}`` of two piecewise-constant series that are 0 outside the window's
sampled units. Writing them as steps, ``A_k = Σ_i δ_i·[k ≥ p_i]`` and ``B_k = Σ_j ε_j·[k ≥ q_j]``
(δ, ε the jumps, summing to 0 in each window), gives

    S(l) = − Σ_i Σ_j δ_i ε_j · max(q_j − p_i − l, 0).

Step pairs with ``q_j − p_i ≤ −L`` add nothing over ``|l| ≤ L``; pairs with ``q_j − p_i ≥ L`` add a
linear function of l, summed for each i from cumulative sums of ε and ε·q; only pairs closer than L
are visited one by one. Each visit adds a ramp to a second-difference array per output row, and two
cumulative sums over the lags give S for every row and lag at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .corpus import Elementary, Windows, ceil_div

__all__ = ["lagged_correlations", "sync_summary"]


def _steps(k0, k1, segment, value, powers: tuple[int, ...] = (1,)):
    """The jumps of ``value**p`` for each p in ``powers``, a series given on runs ``[k0, k1)``.

    Runs are sorted and disjoint, the series is 0 outside them; a run that starts where the
    previous one of the same segment ends continues it. Returns ``(positions, source runs,
    [jumps per power])`` at the positions where ``value`` jumps, in position order (a segment's
    steps before the next segment's).
    """
    n = len(k0)
    joined = np.zeros(n, dtype=bool)
    joined[1:] = (k0[1:] == k1[:-1]) & (segment[1:] == segment[:-1])
    before = np.zeros(n)
    before[1:] = np.where(joined[1:], value[:-1], 0.0)
    at_start = np.flatnonzero(value != before)
    ends = np.ones(n, dtype=bool)
    ends[:-1] = ~joined[1:]
    at_end = np.flatnonzero(ends & (value != 0))
    # two sorted sequences; run i's start comes before its end, which comes before run i+1
    order = np.argsort(np.concatenate((2 * at_start, 2 * at_end + 1)), kind="stable")
    pos = np.concatenate((k0[at_start], k1[at_end]))[order]
    src = np.concatenate((at_start, at_end))[order]
    jumps = [
        np.concatenate((value[at_start] ** p - before[at_start] ** p, -(value[at_end] ** p)))[order]
        for p in powers
    ]
    return pos, src, jumps


class _Train:
    """A step train on the corpus: positions (units from the group's 0), group, jumps, and the
    window of each step in every window set (−1: outside the set's windows)."""

    def __init__(self, steps, group: np.ndarray, window_of: list[np.ndarray]) -> None:
        self.pos, src, self.jumps = steps
        self.group = group[src]
        self.window = [w[src] for w in window_of]


def _cross(a: _Train, b: _Train, pairs, sets, L: int) -> list[list[np.ndarray]]:
    """``S(l) = Σ_k A_k B_{k+l}`` per window set, output row and lag ``−L … L``.

    ``pairs`` lists ``(index of A's jumps, index of B's jumps)``, one per sum wanted; ``sets``
    the :class:`.Windows` of each window set. Step pairs are found once per group; each set then
    keeps the pairs inside one of its windows. Returns ``[set][sum]`` arrays ``rows × lags``.
    """
    p, q = a.pos, b.pos
    n_lags = 2 * L + 1
    span = int(max(p.max(initial=0), q.max(initial=0))) + 2 * L + 2
    akey, bkey = a.group * span + p, b.group * span + q
    near_lo = np.searchsorted(bkey, akey - L, side="right")  # first q_j > p_i − L
    far_lo = np.searchsorted(bkey, akey + L, side="left")  # first q_j ≥ p_i + L
    counts = far_lo - near_lo
    i = np.repeat(np.arange(len(p)), counts)
    j = np.arange(len(i)) - np.repeat(np.cumsum(counts) - counts, counts) + near_lo[i]
    d = q[j] - p[i] + L  # in (0, 2L): a ramp max(d − lag index, 0)
    cums = {}
    for _, bi in pairs:
        eps = b.jumps[bi]
        cums[bi] = (
            np.concatenate(([0.0], np.cumsum(eps))),
            np.concatenate(([0.0], np.cumsum(eps * q))),
        )
    out = []
    for k, windows in enumerate(sets):
        n_rows = windows.n_rows
        aw, bw = a.window[k], b.window[k]
        # the steps of a window are contiguous in B: where do they end?
        inside = np.flatnonzero(bw >= 0)
        window_end = np.zeros(len(windows.row), dtype=np.int64)
        np.maximum.at(window_end, bw[inside], inside + 1)
        ok_a = aw >= 0
        far_hi = np.where(ok_a, window_end[np.clip(aw, 0, None)], 0)
        far_from = np.minimum(far_lo, far_hi)
        row_a = windows.row[np.clip(aw, 0, None)]
        same = ok_a[i] & (aw[i] == bw[j])
        ii, jj, dd = i[same], j[same], d[same]
        row_pair = row_a[ii]
        slot = row_pair * (n_lags + 1) + dd + 1
        size = n_rows * (n_lags + 1)
        sums = []
        for ai, bi in pairs:
            delta, eps = np.where(ok_a, a.jumps[ai], 0.0), b.jumps[bi]
            cum_e, cum_eq = cums[bi]
            e0 = cum_e[far_hi] - cum_e[far_from]
            e1 = cum_eq[far_hi] - cum_eq[far_from]
            # far steps: −δ Σ ε (q − p − l) = (−δ (E1 − p E0) − L δ E0) + δ E0 · (l + L)
            w = -delta[ii] * eps[jj]
            level = np.bincount(row_a, -delta * (e1 - p * e0) - L * delta * e0, minlength=n_rows)
            level += np.bincount(row_pair, w * dd, minlength=n_rows)
            slope1 = np.bincount(row_a, delta * e0, minlength=n_rows)
            slope1 -= np.bincount(row_pair, w, minlength=n_rows)
            d2 = np.bincount(slot, w, minlength=size).reshape(n_rows, n_lags + 1)
            d2[:, 1] += slope1
            d1 = np.cumsum(d2, axis=1)
            d1[:, 0] += level
            sums.append(np.cumsum(d1, axis=1)[:, :n_lags])
        out.append(sums)
    return out


def lagged_correlations(
    elem: Elementary,
    sets: Sequence[tuple[Windows, np.ndarray]],
    infant_valence: np.ndarray,
    caregiver_valence: np.ndarray,
    *,
    unit_ms: int,
    max_lag_units: int,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Pearson r between infant valence at t and caregiver valence at t + lag, per row and lag.

    Parameters
    ----------
    elem
        The elementary intervals (see :mod:`.corpus`).
    sets
        Window sets, each ``(windows, window of each elementary interval)``; a window lies inside
        one session × coder. All sets are computed in one pass over the corpus.
    infant_valence, caregiver_valence
        Valence of each code of the partner's engagement tier (NaN: no valence).
    unit_ms
        The sampling unit u.
    max_lag_units
        L: lags run over ``−L … +L`` units.

    Returns
    -------
    list of (lags_s, r, n_pairs)
        Per set: the lags in seconds, an array ``rows × lags`` of r (NaN where fewer than 3 pairs
        or a series has no variance) and one of the number of sample pairs behind each r.

    Notes
    -----
    With V the indicator of sampled units and X, Y the valences (0 outside V), Pearson's r needs
    n = V⋆V, Σx = X⋆V, Σx² = X²⋆V, Σy = V⋆Y, Σy² = V⋆Y² and Σxy = X⋆Y, where
    ``(A⋆B)(l) = Σ_k A_k B_{k+l}``. The series are cut into *segments* (maximal stretches in the
    same window of every set); a window's series is the sum of its segments', so by bilinearity
    its sums add the step pairs of its segments, and every set uses one enumeration of pairs.
    """
    L = max_lag_units
    u = unit_ms
    inside = np.zeros(len(elem.start), dtype=bool)
    for _, window_of in sets:
        inside |= window_of >= 0
    sel = inside & (elem.infant >= 0) & (elem.caregiver >= 0)
    x = infant_valence[elem.infant[sel]]
    y = caregiver_valence[elem.caregiver[sel]]
    group = elem.group[sel]
    k0 = ceil_div(2 * elem.start[sel] - u, 2 * u)  # first unit whose midpoint is inside
    k1 = ceil_div(2 * elem.stop[sel] - u, 2 * u)
    keep = (k1 > k0) & np.isfinite(x) & np.isfinite(y)
    idx = np.flatnonzero(sel)[keep]
    k0, k1, x, y, group = k0[keep], k1[keep], x[keep], y[keep], group[keep]
    windows_of = [window_of[idx] for _, window_of in sets]
    origin_unit = group * (elem.stride // u)
    k0, k1 = k0 - origin_unit, k1 - origin_unit  # units from the group's 0
    change = np.ones(len(k0), dtype=bool)
    change[1:] = group[1:] != group[:-1]
    for w in windows_of:
        change[1:] |= w[1:] != w[:-1]
    segment = np.cumsum(change)

    def train(value, powers=(1,)):
        return _Train(_steps(k0, k1, segment, value, powers), group, windows_of)

    v, xs, ys = train(np.ones(len(k0))), train(x, (1, 2)), train(y, (1, 2))
    win = [windows for windows, _ in sets]
    # (A⋆B)(l) = (B⋆A)(−l): walk the train with fewer steps (V has one per coded stretch)
    vv = _cross(v, v, [(0, 0)], win, L)
    vy = _cross(v, ys, [(0, 0), (0, 1)], win, L)
    vx = _cross(v, xs, [(0, 0), (0, 1)], win, L)
    if len(ys.pos) < len(xs.pos):
        xy = [[s[0][:, ::-1]] for s in _cross(ys, xs, [(0, 0)], win, L)]
    else:
        xy = _cross(xs, ys, [(0, 0)], win, L)
    lags_s = np.arange(-L, L + 1) * unit_ms / 1000.0
    out = []
    for k in range(len(sets)):
        (cnt,), (sy, syy), (sx, sxx), (sxy,) = vv[k], vy[k], vx[k], xy[k]
        sx, sxx = sx[:, ::-1], sxx[:, ::-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            var_x = cnt * sxx - sx * sx
            var_y = cnt * syy - sy * sy
            cov = cnt * sxy - sx * sy
            tol = 1e-9 * np.maximum(cnt * sxx, cnt * syy)
            ok = (cnt >= 3) & (var_x > tol) & (var_y > tol)
            r = np.where(ok, cov / np.sqrt(np.where(ok, var_x * var_y, 1.0)), np.nan)
        out.append((lags_s, np.clip(r, -1.0, 1.0), np.rint(cnt).astype(np.int64)))
    return out


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
