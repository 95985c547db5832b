"""Windowed lagged cross-correlation of two motion series, as rMEA's ``MEAccf`` (SCIENCE.md §6).

Conventions (Ramseyer & Tschacher, 2011; Kleinbub & Ramseyer, 2020): at sample rate f, window
w = W·f, lag l = L·f and increment i = I·f samples; windows k = 0 … n−1, n = ⌈(N − w − l + 1)/i⌉;
window k starts at a = k·i and reads samples [a, a + w + l). At lag d ≥ 0 the infant's
[a, a + w) meets the caregiver's [a + d, a + d + w); at d < 0 the infant's [a + |d|, a + |d| + w)
meets the caregiver's [a, a + w): a high value at a positive lag means the caregiver follows.
Pearson's r over the positions where both are present; missing when fewer than 2 of them differ
between the two series, when a series is constant there, or (for the whole window) when more than
half of either series' samples in [a, a + w + l) are missing. Then Fisher's z = atanh(r) clipped to
±10 and the absolute value, unless asked otherwise.

How it is computed (the numbers are those of the definition, the work is not): per window, the
six pairwise sums (count, Σx, Σy, Σx², Σy², Σxy) at every lag come from FFT cross-correlations of
the window's samples, centred on the window's mean, batched over windows; a window without
missing values needs only Σxy. Cells where those sums cannot be trusted to ~1e-11 (a series
(nearly) constant, |r| near 1, or the two series possibly equal at all but one position) are
recomputed exactly from the samples, so the result equals a per-window loop.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import DataError

__all__ = ["DEFAULTS", "CcfSettings", "MovementError", "lagged_ccf", "window_samples"]

FISHER_Z_LIMIT = 10.0  # rMEA's fisher.r2z bound
_VAR_RATIO = 1e-3  # var_x·var_y below this share of the windows' energy: recompute exactly
_NEAR_ONE = 0.95  # |r| above this: recompute exactly (atanh magnifies rounding there)
_EQUAL_TOL = 1e-9  # Σe² vs (Σe)² closer than this (relative): maybe equal at all but one position


class MovementError(DataError):
    """Motion series that cannot be analysed as asked (too short, uneven sampling, ...)."""


@dataclass(frozen=True)
class CcfSettings:
    """Window W, lag L and increment I in seconds; Fisher's z and absolute values (rMEA defaults)."""

    lag_s: float = 5.0
    window_s: float = 60.0
    increment_s: float = 30.0
    fisher_z: bool = True
    absolute: bool = True

    def describe(self) -> str:
        what = (
            ("|z|" if self.absolute else "z")
            if self.fisher_z
            else ("|r|" if self.absolute else "r")
        )
        return f"{what}, window {self.window_s:g} s, step {self.increment_s:g} s, lags ±{self.lag_s:g} s"


DEFAULTS = CcfSettings()


def window_samples(settings: CcfSettings, fps: float) -> tuple[int, int, int]:
    """``(w, l, i)``: window, maximum lag and increment in samples (W·f, L·f, I·f rounded).

    At a whole number of samples per second (rMEA's use) these are exact; at 29.97 fps a 60 s
    window is 1798 samples.
    """
    w = int(round(settings.window_s * fps))
    lag = int(round(settings.lag_s * fps))
    inc = int(round(settings.increment_s * fps))
    if w < 2 or inc < 1 or lag < 0:
        raise MovementError(
            f"at {fps:g} samples/s the window ({settings.window_s:g} s = {w} samples), increment "
            f"({settings.increment_s:g} s = {inc}) and lag ({settings.lag_s:g} s = {lag}) need "
            "w ≥ 2, i ≥ 1, l ≥ 0 samples"
        )
    return w, lag, inc


def lagged_ccf(
    infant: np.ndarray, caregiver: np.ndarray, fps: float, settings: CcfSettings = DEFAULTS
) -> np.ndarray:
    """The window × lag table of one dyad: shape ``(n_windows, 2l + 1)``, lags −l … l.

    Parameters
    ----------
    infant, caregiver
        Motion series sampled at ``fps`` (NaN = missing); the longer is cut to the shorter.
    fps
        Samples per second.
    settings
        Window, lag, increment and the transformations.

    Raises
    ------
    MovementError
        The series are too short for a single window.
    """
    x = np.asarray(infant, np.float64)
    y = np.asarray(caregiver, np.float64)
    n_samples = min(len(x), len(y))
    x, y = x[:n_samples], y[:n_samples]
    w, lag, inc = window_samples(settings, fps)
    n_win = count_windows(n_samples, w, lag, inc)
    if n_win <= 0:
        raise MovementError(
            f"{n_samples} samples ({n_samples / fps:.1f} s) are too few for one window: it needs "
            f"window + lag = {settings.window_s:g} + {settings.lag_s:g} s = {w + lag} samples"
        )
    span = w + lag
    rows = np.arange(n_win)[:, None] * inc + np.arange(span)
    xs, ys = x[rows], y[rows]
    r = np.full((n_win, 2 * lag + 1), np.nan)
    present_x, present_y = np.isfinite(xs), np.isfinite(ys)
    too_sparse = ((~present_x).sum(1) > span / 2) | ((~present_y).sum(1) > span / 2)
    whole = present_x.all(1) & present_y.all(1)
    if whole.any():
        r[whole] = _windows_r(xs[whole], ys[whole], w, lag, complete=True)
    gappy = ~whole & ~too_sparse
    if gappy.any():
        r[gappy] = _windows_r(xs[gappy], ys[gappy], w, lag, complete=False)
    if settings.fisher_z:
        with np.errstate(divide="ignore"):
            r = np.clip(np.arctanh(r), -FISHER_Z_LIMIT, FISHER_Z_LIMIT)
    return np.abs(r) if settings.absolute else r


def count_windows(n_samples: int, w: int, lag: int, inc: int) -> int:
    """n = ⌈(N − w − l + 1)/i⌉ (≤ 0: no window fits)."""
    return -(-(n_samples - w - lag + 1) // inc)


def _windows_r(xs: np.ndarray, ys: np.ndarray, w: int, lag: int, complete: bool) -> np.ndarray:
    """Pearson r of windows (rows of ``xs``/``ys``, each ``w + lag`` samples) at lags −l … l."""
    nfft = 1 << int(np.ceil(np.log2(xs.shape[1])))
    out = np.empty((xs.shape[0], 2 * lag + 1))
    out[:, lag:] = _side_r(xs, ys, w, lag, nfft, complete)  # d ≥ 0: the caregiver shifted
    if lag:  # d < 0: the infant shifted; shifts l … 1 are lags −l … −1
        out[:, :lag] = _side_r(ys, xs, w, lag, nfft, complete)[:, :0:-1]
    return out


def _side_r(head_src, full_src, w: int, lag: int, nfft: int, complete: bool) -> np.ndarray:
    """r between ``head_src[:, :w]`` and ``full_src[:, s:s+w]`` for shifts s = 0 … l."""
    with np.errstate(invalid="ignore"):
        mean_h = np.nanmean(head_src, axis=1, keepdims=True)
        mean_f = np.nanmean(full_src, axis=1, keepdims=True)
    h_all = np.nan_to_num(head_src - mean_h)  # centred, missing = 0
    f_all = np.nan_to_num(full_src - mean_f)
    h = h_all[:, :w]
    spec_f = np.fft.rfft(f_all, nfft)

    def corr(a_head, spec_b):  # Σ_j a[j]·b[j + s] for s = 0 … l, every row
        return np.fft.irfft(np.conj(np.fft.rfft(a_head, nfft)) * spec_b, nfft)[:, : lag + 1]

    s_hf = corr(h, spec_f)
    if complete:
        n = np.full_like(s_hf, float(w))
        s_h = np.broadcast_to(h.sum(1, keepdims=True), s_hf.shape)
        s_hh = np.broadcast_to((h * h).sum(1, keepdims=True), s_hf.shape)
        s_f, s_ff = _sliding(f_all, w, lag), _sliding(f_all * f_all, w, lag)
    else:
        m_h = np.isfinite(head_src[:, :w]).astype(np.float64)
        m_f = np.isfinite(full_src)
        spec_mf = np.fft.rfft(m_f.astype(np.float64), nfft)
        spec_ff = np.fft.rfft(f_all * f_all, nfft)
        n = np.round(corr(m_h, spec_mf))
        s_h, s_hh = corr(h, spec_mf), corr(h * h, spec_mf)
        s_f, s_ff = corr(m_h, spec_f), corr(m_h, spec_ff)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_h = s_hh - s_h * s_h / n
        var_f = s_ff - s_f * s_f / n
        r = (s_hf - s_h * s_f / n) / np.sqrt(var_h * var_f)
        # both series equal at all but ≤ 1 position: Σe² = (Σe)² for e = raw difference
        delta = (mean_h - mean_f)[:, :1]
        sum_e = s_h - s_f + n * delta
        sum_e2 = s_hh + s_ff - 2 * s_hf + 2 * delta * (s_h - s_f) + n * delta * delta
    energy = (h_all * h_all).sum(1, keepdims=True) * (f_all * f_all).sum(1, keepdims=True)
    scale = s_hh + s_ff + n * delta * delta + sum_e * sum_e
    doubt = (
        ~(var_h * var_f > _VAR_RATIO * energy)
        | ~(np.abs(r) <= _NEAR_ONE)
        | (np.abs(sum_e2 - sum_e * sum_e) <= _EQUAL_TOL * scale)
    ) & (n >= 2)
    r[n < 2] = np.nan
    rows, shifts = np.nonzero(doubt)
    if len(rows):
        r[rows, shifts] = _exact_r(head_src, full_src, rows, shifts, w)
    return r


def _sliding(a: np.ndarray, w: int, lag: int) -> np.ndarray:
    """Σ a[:, s:s+w] for s = 0 … l."""
    c = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    return c[:, w : w + lag + 1] - c[:, : lag + 1]


def _exact_r(head_src, full_src, rows, shifts, w: int) -> np.ndarray:
    """The definition, cell by cell (vectorised): pairwise-present, differ ≥ 2, not constant."""
    r = np.empty(len(rows))
    for part in np.array_split(np.arange(len(rows)), max(1, len(rows) // 256)):
        k, s = rows[part], shifts[part]
        a = head_src[k, :w]
        b = full_src[k[:, None], s[:, None] + np.arange(w)]
        both = np.isfinite(a) & np.isfinite(b)
        n = both.sum(1)
        differ = (both & (a != b)).sum(1)
        a0, b0 = np.where(both, a, np.nan), np.where(both, b, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing cell is NaN
            constant = (np.nanmax(a0, 1) == np.nanmin(a0, 1)) | (
                np.nanmax(b0, 1) == np.nanmin(b0, 1)
            )
            da = np.where(both, a - (np.nansum(a0, 1) / n)[:, None], 0.0)
            db = np.where(both, b - (np.nansum(b0, 1) / n)[:, None], 0.0)
            value = (da * db).sum(1) / np.sqrt((da * da).sum(1) * (db * db).sum(1))
        r[part] = np.where((differ < 2) | constant | (n < 2), np.nan, np.clip(value, -1, 1))
    return r
