"""Movement synchrony (SCIENCE.md §6) against a loop-by-loop implementation of the definition."""

from __future__ import annotations

import io
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from synchrony_coder.movement import (
    SUMMARY_COLUMNS,
    TABLE_COLUMNS,
    CcfSettings,
    MovementError,
    ccf_table,
    dyads,
    lagged_ccf,
    pseudosynchrony,
    segment_shuffle,
    session_ccf,
    summarise,
)
from synchrony_coder.movement.surrogates import SURROGATE_COLUMNS


def oracle_ccf(x, y, f, lag_s, window_s, inc_s, fisher=True, absolute=True):
    """SCIENCE.md §6 written out cell by cell, as rMEA's MEAccf loops (Kleinbub & Ramseyer, 2020)."""
    w, lag, i = round(window_s * f), round(lag_s * f), round(inc_s * f)
    n_samples = min(len(x), len(y))
    n = math.ceil((n_samples - w - lag + 1) / i)
    table = []
    for k in range(n):
        a = k * i
        xs, ys = x[a : a + w + lag], y[a : a + w + lag]
        sparse = max(np.isnan(xs).sum(), np.isnan(ys).sum()) > len(xs) / 2
        row = []
        for d in range(-lag, lag + 1):
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


def noisy_pair(rng, n, lag=0):
    """Motion-like series: smoothed gamma bursts; the caregiver repeats the infant ``lag`` later."""
    x = np.convolve(rng.gamma(0.3, 0.05, n + 9), np.ones(10) / 10, "valid")[:n]
    y = (
        0.6 * np.roll(x, lag)
        + 0.4 * np.convolve(rng.gamma(0.3, 0.05, n + 9), np.ones(10) / 10, "valid")[:n]
    )
    return x, y


def damaged(rng, x, y):
    """Missing values (frame 0, scattered, a long gap), constant stretches and equal stretches."""
    x, y = x.copy(), y.copy()
    n = len(x)
    x[0] = np.nan
    x[rng.random(n) < 0.05] = np.nan
    y[40:75] = np.nan
    y[450:520] = np.nan
    x[100:400] = 0.0  # a still infant: constant over whole windows
    y[150:170] = 0.0
    y[520:560] = x[520:560]  # both series equal over a stretch
    return x, y


SETTINGS = [  # (f, L, W, I)
    (10, 2.0, 8.0, 4.0),
    (10, 0.0, 5.0, 5.0),
    (5, 3.0, 4.0, 1.0),
    (25, 1.0, 6.0, 7.0),
]


@pytest.mark.parametrize("f, lag, window, inc", SETTINGS)
def test_ccf_equals_loop_by_loop_definition(f, lag, window, inc):
    rng = np.random.default_rng(f + int(10 * lag))
    x, y = damaged(rng, *noisy_pair(rng, 640, lag=3))
    r = lagged_ccf(x, y, f, CcfSettings(lag, window, inc, fisher_z=False, absolute=False))
    expected = oracle_ccf(x, y, f, lag, window, inc, fisher=False, absolute=False)
    assert r.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(r), np.isnan(expected))
    np.testing.assert_allclose(r, expected, rtol=0, atol=1e-12)
    assert np.isnan(r).any() and np.isfinite(r).sum() >= 4  # both kinds of cell occur
    z = lagged_ccf(x, y, f, CcfSettings(lag, window, inc))  # defaults: Fisher's z, absolute
    np.testing.assert_allclose(z, oracle_ccf(x, y, f, lag, window, inc), rtol=1e-9, atol=1e-12)
    signed = lagged_ccf(x, y, f, CcfSettings(lag, window, inc, absolute=False))
    np.testing.assert_allclose(
        signed, oracle_ccf(x, y, f, lag, window, inc, absolute=False), rtol=1e-9, atol=1e-12
    )


def test_window_count_formula_at_its_edges():
    f, lag, window, inc = 10, 1.0, 3.0, 2.0  # w = 30, l = 10, i = 20
    rng = np.random.default_rng(3)
    for n_windows in (1, 2, 5):
        exact = 30 + 10 + (n_windows - 1) * 20  # the last window ends on the last sample
        for n_samples, expected in (
            (exact, n_windows),
            (exact + 19, n_windows),
            (exact + 20, n_windows + 1),
        ):
            x, y = noisy_pair(rng, n_samples)
            r = lagged_ccf(x, y, f, CcfSettings(lag, window, inc))
            assert r.shape == (expected, 21)
            np.testing.assert_allclose(r, oracle_ccf(x, y, f, lag, window, inc), rtol=1e-9)
    x, y = noisy_pair(rng, 39)
    with pytest.raises(MovementError, match="39 samples .* too few for one window"):
        lagged_ccf(x, y, f, CcfSettings(lag, window, inc))


def test_lag_sign_caregiver_following_is_a_positive_lag():
    rng = np.random.default_rng(11)
    f = 10
    x = rng.gamma(0.4, 0.05, 900)
    copy = np.concatenate([rng.gamma(0.4, 0.05, 7), x[:-7]])  # repeated 0.7 s later
    y = copy + rng.normal(0, 0.002, len(x))
    r = lagged_ccf(x, y, f, CcfSettings(2.0, 20.0, 10.0, fisher_z=False))
    lags = np.arange(-20, 21) / f
    assert np.all(lags[np.nanargmax(r, axis=1)] == 0.7) and np.all(r[:, 20 + 7] > 0.99)
    r = lagged_ccf(y, x, f, CcfSettings(2.0, 20.0, 10.0, fisher_z=False))  # roles swapped
    assert np.all(lags[np.nanargmax(r, axis=1)] == -0.7)
    # an exact copy differs nowhere at its lag: rMEA leaves that cell missing
    r = lagged_ccf(x, copy, f, CcfSettings(2.0, 20.0, 10.0, fisher_z=False))
    assert np.isnan(r[:, 20 + 7]).all() and np.isfinite(r[:, 20 + 6]).all()


def test_missing_and_equality_rules():
    f, s = 10, CcfSettings(0.0, 2.0, 2.0, fisher_z=False, absolute=False)  # w = 20, no lag
    rng = np.random.default_rng(5)
    x = rng.random(40)
    y = x.copy()
    y[20:] = rng.random(20)
    y[3] += 1  # window 0: only one position differs -> missing (rMEA's rule)
    assert np.isnan(lagged_ccf(x, y, f, s)[0, 0])
    y[4] += 1  # two differ -> a value
    assert np.isfinite(lagged_ccf(x, y, f, s)[0, 0])
    line = 2 * x + 1  # a perfect line: r = 1, z clipped to 10
    assert lagged_ccf(x, line, f, CcfSettings(0.0, 2.0, 2.0))[0, 0] == 10.0
    gaps = x.copy()
    gaps[:10] = np.nan  # exactly half of window 0 missing: still a value
    assert lagged_ccf(gaps, line, f, s)[0, 0] == pytest.approx(1.0)
    gaps[10] = np.nan  # more than half: the window is missing
    assert np.isnan(lagged_ccf(gaps, line, f, s)[0]).all()


def motion_corpus(n_sessions=4, seconds=60, f=10, seed=0):
    """A motion table of ``n_sessions`` dyads (the caregiver follows 0.3 s later), 10 samples/s."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_sessions):
        n = seconds * f - 5 * k  # sessions of different lengths
        x, y = noisy_pair(rng, n, lag=3)
        x[0] = np.nan
        rows.append(
            pd.DataFrame(
                {
                    "session": f"d{k}",
                    "time_s": 2.0 * k + np.arange(n) / f,
                    "infant": x,
                    "caregiver": y,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


SMALL = CcfSettings(lag_s=1.0, window_s=10.0, increment_s=5.0)


def oracle_summary(values, lags_s):
    """SCIENCE.md §6 summaries written out window by window."""
    zero = (values.shape[1] - 1) // 2
    cells = values[~np.isnan(values)]
    per_window = [(row[zero + 1 :], row[:zero], row) for row in values]
    mean = lambda v: float(np.mean(v)) if len(v) else math.nan  # noqa: E731
    best = [lags_s[int(np.nanargmax(row))] for _, _, row in per_window if np.isfinite(row).any()]
    return {
        "grand_average": mean(cells),
        "lag_zero": mean([row[zero] for _, _, row in per_window if not np.isnan(row[zero])]),
        "infant_leads": mean(
            [mean(p[~np.isnan(p)]) for p, _, _ in per_window if np.isfinite(p).any()]
        ),
        "caregiver_leads": mean(
            [mean(c[~np.isnan(c)]) for _, c, _ in per_window if np.isfinite(c).any()]
        ),
        "best_lag_s": float(np.median(best)) if best else math.nan,
    }


def test_summaries_and_phases_equal_their_definitions():
    motion = motion_corpus()
    pairs = dyads(motion)
    assert [d.fps for d in pairs] == pytest.approx([10.0] * 4)
    ccfs = [session_ccf(d, SMALL) for d in pairs]
    phases = pd.DataFrame(
        {
            "session": ["d1", "d1", "d1"],
            "phase": ["play", "still_face", "play"],
            "onset_s": [2.0, 22.0, 42.0],
            "offset_s": [22.0, 42.0, 61.5],
        }
    )
    summary = summarise(ccfs, phases)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary[["session", "phase"]].values.tolist() == [
        ["d0", "all"],
        ["d1", "all"],
        ["d1", "play"],
        ["d1", "still_face"],
        ["d2", "all"],
        ["d3", "all"],
    ]
    for c, d in zip(ccfs, pairs, strict=True):
        expected = oracle_ccf(d.infant, d.caregiver, 10, 1.0, 10.0, 5.0)
        np.testing.assert_allclose(c.values, expected, rtol=1e-9)
        row = summary[(summary["session"] == d.session) & (summary["phase"] == "all")].iloc[0]
        assert row["n_windows"] == len(expected)
        for key, value in oracle_summary(expected, np.arange(-10, 11) / 10).items():
            assert row[key] == pytest.approx(value, rel=1e-9), key
    # d1 starts at 2.0 s; windows read 11 s ([a, a + w + l)) every 5 s: 2-13, 7-18, 12-23, ...
    d1 = ccfs[1]
    assert d1.start_s[:3].tolist() == [2.0, 7.0, 12.0] and d1.end_s[:3].tolist() == [
        13.0,
        18.0,
        23.0,
    ]
    inside = {"play": [0, 1, 8, 9], "still_face": [4, 5]}  # wholly inside; the play phase pools two
    for phase, windows in inside.items():
        row = summary[(summary["session"] == "d1") & (summary["phase"] == phase)].iloc[0]
        assert row["n_windows"] == len(windows)
        expected = oracle_summary(d1.values[windows], d1.lags_s)
        assert row["grand_average"] == pytest.approx(expected["grand_average"], rel=1e-12)
    table = ccf_table(ccfs)
    assert list(table.columns) == TABLE_COLUMNS
    assert len(table) == sum(c.values.size for c in ccfs)
    first = table[(table["session"] == "d1") & (table["window"] == 2)]
    assert first["start_s"].unique().tolist() == [12.0] and first["lag_s"].tolist()[:2] == [
        -1.0,
        -0.9,
    ]


def test_uneven_sampling_and_missing_partner_are_errors():
    motion = motion_corpus(1)
    with pytest.raises(MovementError, match="no 'caregiver' column"):
        dyads(motion.drop(columns="caregiver"))
    gap = motion.drop(index=[100, 101])
    with pytest.raises(MovementError, match="session d0: time_s goes from 9.9 to 10.2 s"):
        dyads(gap)


def test_dyad_surrogates_use_other_sessions_and_are_seeded():
    motion = motion_corpus(4)
    pairs = dyads(motion)
    summary = summarise([session_ccf(d, SMALL) for d in pairs])
    every = pseudosynchrony(pairs, summary, SMALL, n=100, seed=1)  # all 2·(4 − 1) pairings
    assert list(every.columns) == SUMMARY_COLUMNS + SURROGATE_COLUMNS
    for k, d in enumerate(pairs):
        values = []
        for j, other in enumerate(pairs):
            if j == k:
                continue
            for a, b in ((d.infant, other.caregiver), (other.infant, d.caregiver)):
                n = min(len(a), len(b))
                values.append(np.nanmean(oracle_ccf(a[:n], b[:n], 10, 1.0, 10.0, 5.0)))
        row = every.iloc[k]
        real = summary.iloc[k]["grand_average"]
        assert row["surrogate_mean"] == pytest.approx(np.mean(values), rel=1e-9)
        assert row["surrogate_sd"] == pytest.approx(np.std(values, ddof=1), rel=1e-9)
        assert row["effect_size_d"] == pytest.approx(
            (real - np.mean(values)) / np.std(values, ddof=1)
        )
        assert row["p_surrogate"] == pytest.approx(np.mean(np.array(values) >= real))
    # the caregiver really follows: the real dyads beat their surrogates
    assert (every["effect_size_d"] > 2).all() and (every["p_surrogate"] == 0).all()
    a = pseudosynchrony(pairs, summary, SMALL, n=3, seed=7)
    b = pseudosynchrony(pairs, summary, SMALL, n=3, seed=7)
    c = pseudosynchrony(pairs, summary, SMALL, n=3, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["surrogate_mean"], c["surrogate_mean"])


def test_segment_shuffling_permutes_whole_segments_and_is_seeded():
    series = np.arange(23.0)
    shuffled = segment_shuffle(series, 5, np.random.default_rng(3))
    assert sorted(shuffled) == list(series) and not np.array_equal(shuffled, series)
    pieces = {tuple(shuffled[a : a + 5]) for a in range(0, 23, 5)}
    assert {tuple(series[a : a + 5]) for a in range(0, 20, 5)} <= pieces | {
        tuple(p) for p in np.split(shuffled, np.flatnonzero(np.diff(shuffled) != 1) + 1)
    }
    np.testing.assert_array_equal(shuffled, segment_shuffle(series, 5, np.random.default_rng(3)))
    motion = motion_corpus(1, seconds=120)
    pairs = dyads(motion)
    summary = summarise([session_ccf(d, SMALL) for d in pairs])
    out = pseudosynchrony(pairs, summary, SMALL, n=20, seed=2, kind="segments", segment_s=10)
    assert out.iloc[0]["effect_size_d"] > 2  # shuffling breaks the 0.3 s following


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", *args], capture_output=True, text=True
    )


def test_cli_movement_sync_summary_table_phases_and_surrogates(tmp_path):
    motion = motion_corpus(3)
    path = tmp_path / "motion.csv"
    motion.to_csv(path, index=False)
    events = tmp_path / "coded.csv"
    events.write_text(
        "session,coder,tier,code,onset_s,offset_s\n"
        "d1,alice,phase,play,2.000,30.000\nd1,alice,phase,still_face,30.000,61.400\n"
    )
    out, table_path = tmp_path / "summary.csv", tmp_path / "table.csv"
    done = run_cli(
        "movement-sync",
        str(path),
        "--lag",
        "1",
        "--window",
        "10",
        "--increment",
        "5",
        "--phases",
        str(events),
        "--surrogates",
        "4",
        "--seed",
        "3",
        "--table",
        str(table_path),
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(out)
    assert list(summary.columns) == SUMMARY_COLUMNS + SURROGATE_COLUMNS
    assert summary[["session", "phase"]].values.tolist() == [
        ["d0", "all"],
        ["d1", "all"],
        ["d1", "play"],
        ["d1", "still_face"],
        ["d2", "all"],
    ]
    ccfs = [session_ccf(d, SMALL) for d in dyads(motion)]
    expected = summarise(ccfs)
    np.testing.assert_allclose(
        summary.loc[summary["phase"] == "all", "grand_average"],
        expected["grand_average"],
        rtol=1e-9,
    )
    table = pd.read_csv(table_path)
    assert list(table.columns) == TABLE_COLUMNS
    np.testing.assert_allclose(table["value"], ccf_table(ccfs)["value"], rtol=1e-9)
    # --signed --no-fisher-z: r itself; stdout by default
    done = run_cli(
        "movement-sync",
        str(path),
        "--lag",
        "1",
        "--window",
        "10",
        "--increment",
        "5",
        "--signed",
        "--no-fisher-z",
    )
    assert done.returncode == 0, done.stderr
    signed = pd.read_csv(io.StringIO(done.stdout))
    assert signed["grand_average"].abs().max() < 1 and list(signed.columns) == SUMMARY_COLUMNS


def test_cli_movement_sync_errors_are_one_line(tmp_path):
    path = tmp_path / "motion.csv"
    motion_corpus(1, seconds=8).to_csv(path, index=False)
    done = run_cli("movement-sync", str(path))
    assert (
        done.returncode == 1
        and "session d0:" in done.stderr
        and "too few for one window" in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1
    done = run_cli("movement-sync", str(path), "--surrogates", "-2")
    assert done.returncode == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("session,time_s,infant\nd,0,1\n")
    done = run_cli("movement-sync", str(bad))
    assert done.returncode == 1 and "no 'caregiver' column" in done.stderr


def test_cli_movement_sync_says_why_rows_are_empty(tmp_path):
    path = tmp_path / "motion.csv"
    motion_corpus(1, seconds=200).to_csv(path, index=False)
    events = tmp_path / "coded.csv"
    events.write_text(
        "session,coder,tier,code,onset_s,offset_s\n"
        "d0,alice,phase,play,0.000,40.000\nd0,alice,phase,still_face,40.000,200.000\n"
    )
    done = run_cli("movement-sync", str(path), "--phases", str(events), "--surrogates", "3",
                   "--seed", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(io.StringIO(done.stdout))
    windows = summary.set_index("phase")["n_windows"]
    assert windows["play"] == 0 and windows["still_face"] > 0 and windows["all"] > 0
    assert summary["surrogate_mean"].isna().all()
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "1 of 3 rows have no window (d0 play): a window reads 65 s of motion (--window 60 plus "
        "--lag 5) inside the session or phase; a shorter --window gives some",
        "surrogate dyads pair one session's infant with another's caregiver: 1 session given, "
        "so the surrogate columns are empty; give more sessions, or use --surrogate-kind segments",
    ]


def test_cli_plot_movement(tmp_path):
    path = tmp_path / "motion.csv"
    motion_corpus(2).to_csv(path, index=False)
    events = tmp_path / "coded.csv"
    events.write_text(
        "session,coder,tier,code,onset_s,offset_s\n"
        "d1,alice,phase,play,2.000,30.000\nd1,alice,phase,still_face,30.000,61.400\n"
    )
    png = tmp_path / "movement.png"
    args = ["plot", str(path), "--kind", "movement", "--window", "10", "--increment", "5"]
    done = run_cli(*args, "--session", "d1", "--phases", str(events), "--lag", "1", "-o", str(png))
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "movement.svg"
    done = run_cli(*args, "--session", "d0", "--signed", "--no-fisher-z", "-o", str(svg))
    assert done.returncode == 2  # plot has no --signed: a usage error, one line
    done = run_cli(*args, "--session", "d0", "-o", str(svg))
    assert done.returncode == 0, done.stderr
    assert "lag profile" in svg.read_text()
    done = run_cli(*args, "-o", str(svg))
    assert done.returncode == 1 and "2 sessions" in done.stderr and "d0, d1" in done.stderr


def test_preprocessing_equals_its_definition_and_is_named(tmp_path):
    from synchrony_coder.movement.preprocess import Preprocessing, moving_average, preprocess

    rng = np.random.default_rng(9)
    x = rng.gamma(0.4, 0.05, 50)
    x[[3, 4, 20]] = np.nan
    for n in (1, 4, 5):
        loop = [
            np.nanmean(x[max(0, t - n // 2) : t - n // 2 + n])
            if np.isfinite(x[max(0, t - n // 2) : t - n // 2 + n]).any()
            else np.nan
            for t in range(50)
        ]  # noqa: E501
        np.testing.assert_allclose(moving_average(x, n), loop, rtol=1e-12, atol=1e-14)
    motion = motion_corpus(2)
    motion.loc[30, "infant"] = 50.0  # an artefact: far above 10 SD
    steps = Preprocessing(artefact_sd=10, smooth_s=0.5, scale=True)
    raw = dyads(motion)[0]
    d = preprocess(raw, steps)
    cleaned = preprocess(raw, Preprocessing(artefact_sd=10)).infant
    assert np.isnan(cleaned[30]) and np.isfinite(cleaned[31])
    assert np.array_equal(np.isnan(cleaned), np.isnan(raw.infant) | (np.arange(len(cleaned)) == 30))
    assert np.nanmean(d.caregiver) == pytest.approx(0, abs=1e-12)
    assert np.nanstd(d.caregiver, ddof=1) == pytest.approx(1)
    expected = moving_average(raw.caregiver, 5)
    np.testing.assert_allclose(
        d.caregiver, (expected - np.nanmean(expected)) / np.nanstd(expected, ddof=1)
    )
    path = tmp_path / "motion.csv"
    motion.to_csv(path, index=False)
    done = run_cli(
        "movement-sync",
        str(path),
        "--lag",
        "1",
        "--window",
        "10",
        "--increment",
        "5",
        "--artefact-sd",
        "10",
        "--smooth",
        "0.5",
        "--scale",
    )
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(io.StringIO(done.stdout))
    assert summary["preprocessing"].unique().tolist() == [steps.describe()]
    assert summary["grand_average"][0] == pytest.approx(
        np.nanmean(oracle_ccf(d.infant, d.caregiver, 10, 1.0, 10.0, 5.0)), rel=1e-9
    )
