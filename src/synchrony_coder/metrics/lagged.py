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
from concurrent.futures import Executor

import numpy as np

from .corpus import Elementary, Windows, ceil_div

__all__ = ["lagged_correlations", "sync_summary"]


def _steps(k0, k1, segment, value, squares: bool = False):
    """The jumps of ``value`` (and ``value²`` if ``squares``), a series given on runs ``[k0, k1)``.

    Runs are sorted and disjoint, the series is 0 outside them; a run that starts where the
    previous one of the same segment ends continues it. Returns ``(positions, source runs,
    [jumps of value, of value²])`` at the positions where ``value`` jumps, in position order (a
    segment's steps before the next segment's): run i may jump at its start (slot 2i) and, when
    the next run does not continue it, back to 0 at its end (slot 2i + 1).
    """
    n = len(k0)
    joined = np.zeros(n, dtype=bool)
    joined[1:] = (k0[1:] == k1[:-1]) & (segment[1:] == segment[:-1])
    before = np.zeros(n)
    before[1:] = value[:-1]
    before[~joined] = 0.0
    slots = np.empty((n, 2), dtype=bool)
    slots[:, 0] = value != before
    slots[:-1, 1] = ~joined[1:]
    slots[-1:, 1] = True
    slots[:, 1] &= value != 0
    slot = np.flatnonzero(slots.ravel())
    src = slot >> 1
    at_end = (slot & 1).astype(bool)
    pos = np.where(at_end, k1[src], k0[src])
    up = value[src]
    down = np.where(at_end, 0.0, before[src])
    jumps = [np.where(at_end, -up, up - down)]
    if squares:
        jumps.append(np.where(at_end, -up * up, up * up - down * down))
    return pos, src, jumps


class _Train:
    """A step train on the corpus: positions (units from the group's 0), group, jumps, a key on
    one axis for every train (``group · span + position``), and, per window set, the window of
    each step (−1: outside the set's windows); as a second series of a product, the index past
    each window's last step and the prefix sums of each jump series ε and of ε · position (for
    far step pairs), computed when first asked for."""

    def __init__(self, steps, group, window_of: list[np.ndarray], n_windows: list[int], span):
        self.pos, src, self.jumps = steps
        self.group = group[src]
        self.key = self.group * span + self.pos
        self.window = [w[src] for w in window_of]
        self._n_windows = n_windows
        self._ends: dict[int, np.ndarray] = {}
        self._cums: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def window_end(self, k: int) -> np.ndarray:
        if k not in self._ends:
            w = self.window[k]  # a window's steps are contiguous
            last = np.flatnonzero((w >= 0) & np.append(w[1:] != w[:-1], True))
            end = np.zeros(self._n_windows[k], dtype=np.int64)
            end[w[last]] = last + 1
            self._ends[k] = end
        return self._ends[k]

    def cums(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if i not in self._cums:
            e = self.jumps[i]
            cum_e, cum_eq = np.zeros(len(e) + 1), np.zeros(len(e) + 1)
            np.cumsum(e, out=cum_e[1:])
            np.multiply(e, self.pos, out=cum_eq[1:])
            np.cumsum(cum_eq[1:], out=cum_eq[1:])
            self._cums[i] = (cum_e, cum_eq)
        return self._cums[i]


def _cross(a: _Train, b: _Train, pairs, sets, L: int) -> list[np.ndarray]:
    """The ramp weights of ``S(l) = Σ_k A_k B_{k+l}`` per window set, output row and lag ``−L … L``.

    ``pairs`` lists ``(index of A's jumps, index of B's jumps)``, one per sum wanted; ``sets``
    the :class:`.Windows` of each window set. Step pairs closer than L are found once; each set
    keeps those inside one of its windows. A near pair at distance ``d = q − p + L`` adds the ramp
    ``w · max(d − m, 0)`` over lag indices ``m = l + L``, w = −δε: its weight is binned per row at
    d. The far steps of a row add ``c + s·m``, which is the ramp pair ``(c + s(2L+1))`` at
    ``d = 2L+2`` and ``−(c + s(2L+2))`` at ``d = 2L+1``. Returns per set an array
    ``sums × (2L+3) × rows`` of weights for :func:`_ramps`.
    """
    n_d = 2 * L + 3
    near_lo = np.searchsorted(b.key, a.key - L, side="right")  # first q_j > p_i − L
    far_lo = np.searchsorted(b.key, a.key + L, side="left")  # first q_j ≥ p_i + L
    counts = far_lo - near_lo
    # near pairs (i, j), grouped by i: per-i values are repeated, not gathered (32-bit indices:
    # half the memory traffic, which bounds this loop-free code)
    n_near = int(counts.sum())
    j = np.arange(n_near, dtype=np.int32) + np.repeat(
        (near_lo - (np.cumsum(counts) - counts)).astype(np.int32), counts
    )
    weights = [-np.repeat(a.jumps[ai], counts) * b.jumps[bi][j] for ai, bi in pairs]
    p = a.pos
    d = b.pos[j].astype(np.int32) - np.repeat((p - L).astype(np.int32), counts)  # 1 … 2L − 1
    out = []
    for k, windows in enumerate(sets):
        n_rows = windows.n_rows
        aw, bw = a.window[k], b.window[k]
        ok_a = aw >= 0
        far_hi = np.where(ok_a, b.window_end(k)[np.clip(aw, 0, None)], 0)
        far_from = np.minimum(far_lo, far_hi)  # A's steps outside the set: far_hi = 0, no sum
        row_a = windows.row[np.clip(aw, 0, None)]
        slot = d * np.int32(n_rows) + np.repeat(row_a.astype(np.int32), counts)  # d · rows + row
        near = weights
        if not (np.array_equal(aw, a.group) and np.array_equal(bw, b.group)):
            # pairs are within one group; keep those within one window
            mine = np.repeat(np.where(ok_a, aw, -2), counts) == bw[j]
            slot, near = slot[mine], [w[mine] for w in weights]
        bins = np.empty((len(pairs), n_d, n_rows))
        for i, (ai, bi) in enumerate(pairs):
            delta = a.jumps[ai]
            cum_e, cum_eq = b.cums(bi)
            e0 = cum_e[far_hi] - cum_e[far_from]
            e1 = cum_eq[far_hi] - cum_eq[far_from]
            # far steps: −δ Σ ε (q − p − l) = c + s·m, c = −δ (E1 − p E0) − L δ E0, s = δ E0
            c = -delta * (e1 - p * e0) - L * delta * e0
            s = delta * e0
            bins[i] = np.bincount(slot, near[i], minlength=n_d * n_rows).reshape(n_d, n_rows)
            bins[i, 2 * L + 1] -= np.bincount(row_a, c + s * (2 * L + 2), minlength=n_rows)
            bins[i, 2 * L + 2] += np.bincount(row_a, c + s * (2 * L + 1), minlength=n_rows)
        out.append(bins)
    return out


def _ramps(bins: np.ndarray) -> np.ndarray:
    """``S[m] = Σ_d w_d · max(d − m, 0)`` for ``m = 0 … D − 3`` of weights ``sums × D × rows``
    (which it overwrites).

    ``S[m] − S[m+1] = Σ_{d > m} w_d``: two cumulative sums from the largest d down.
    """
    acc = bins  # summed in place
    n_d = acc.shape[1]
    for _ in range(2):
        for d in range(n_d - 2, -1, -1):
            acc[:, d] += acc[:, d + 1]
    return acc[:, 1 : n_d - 1]


def lagged_correlations(
    elem: Elementary,
    sets: Sequence[tuple[Windows, np.ndarray]],
    infant_valence: np.ndarray,
    caregiver_valence: np.ndarray,
    *,
    unit_ms: int,
    max_lag_units: int,
    pool: Executor | None = None,
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
    pool
        Where to turn the sums of every set but the first into correlations (:func:`.helper`).

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
    k0 = ceil_div(2 * elem.start - u, 2 * u)  # first unit whose midpoint is inside
    k1 = ceil_div(2 * elem.stop - u, 2 * u)
    # sampled: in a window, both partners coded with a valence, at least one unit midpoint
    x = np.append(infant_valence, np.nan)[elem.infant]  # −1 (uncoded) picks the NaN
    y = np.append(caregiver_valence, np.nan)[elem.caregiver]
    idx = np.flatnonzero(inside & np.isfinite(x) & np.isfinite(y) & (k1 > k0))
    k0, k1, x, y, group = k0[idx], k1[idx], x[idx], y[idx], elem.group[idx]
    windows_of = [window_of[idx] for _, window_of in sets]
    origin_unit = group * (elem.stride // u)
    k0, k1 = k0 - origin_unit, k1 - origin_unit  # units from the group's 0
    change = np.ones(len(k0), dtype=bool)
    change[1:] = group[1:] != group[:-1]
    for w in windows_of:
        change[1:] |= w[1:] != w[:-1]
    segment = np.cumsum(change)

    win = [windows for windows, _ in sets]
    n_windows = [len(windows.start) for windows in win]
    span = int(k1.max(initial=0)) + 2 * L + 2  # past any position ± L

    def train(value, squares=False):
        steps = _steps(k0, k1, segment, value, squares)
        return _Train(steps, group, windows_of, n_windows, span)

    v, xs, ys = train(np.ones(len(k0))), train(x, True), train(y, True)
    # (A⋆B)(l) = (B⋆A)(−l): walk the train with fewer steps (V has one per coded stretch)
    swap = len(ys.pos) < len(xs.pos)

    parts = [
        _cross(ys, xs, [(0, 0)], win, L) if swap else _cross(xs, ys, [(0, 0)], win, L),  # Σxy
        _cross(v, v, [(0, 0)], win, L),  # n
        _cross(v, ys, [(0, 0), (0, 1)], win, L),  # Σy, Σy²
        _cross(v, xs, [(0, 0), (0, 1)], win, L),  # Σx, Σx² at −l
    ]
    lags_s = np.arange(-L, L + 1) * unit_ms / 1000.0

    def correlations(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sxy, cnt, sy, syy, sx, sxx = _ramps(np.concatenate([part[k] for part in parts]))
        sx, sxx = sx[::-1], sxx[::-1]
        if swap:
            sxy = sxy[::-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            var_x = cnt * sxx - sx * sx
            var_y = cnt * syy - sy * sy
            cov = cnt * sxy - sx * sy
            tol = 1e-9 * np.maximum(cnt * sxx, cnt * syy)
            ok = (cnt >= 3) & (var_x > tol) & (var_y > tol)
            r = np.where(ok, cov / np.sqrt(np.where(ok, var_x * var_y, 1.0)), np.nan)
        np.clip(r, -1.0, 1.0, out=r)
        return lags_s, np.ascontiguousarray(r.T), np.rint(cnt).astype(np.int64).T.copy()

    if pool is None or not sets:
        return [correlations(k) for k in range(len(sets))]
    later = [pool.submit(correlations, k) for k in range(1, len(sets))]
    return [correlations(0), *(f.result() for f in later)]


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
