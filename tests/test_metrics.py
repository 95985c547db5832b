"""Interaction metrics (SCIENCE.md §3) against a brute-force oracle on a 1 ms grid.

The oracle below is written from SCIENCE.md alone and shares no code with ``synchrony_coder.metrics``:
it labels every millisecond of a session with the infant code, the caregiver code and the phase,
finds runs with ``np.diff``, loops over bids for contingency, counts grid points for the base rate,
loops over time units for Yule's Q and over lags (with ``np.corrcoef``) for lagged synchrony. Times
are millisecond-exact (SCIENCE.md §1) and every boundary in the definitions is an integer number of
milliseconds, so the grid counts are exact measures (the base-rate set ``⋃ [r − W, r)`` has integer
endpoints: its length equals the number of grid points it holds); we still allow 1e-9 for float
rounding. Sessions: simulated ones (``synchrony_coder.simulate``) and hand-built ones with uncoded
gaps, phase boundaries cutting episodes, bids near the end, a single-partner session, a session
without bids, a phase coded twice, and events after the last state offset.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from synchrony_coder import load_scheme, read_events, write_events
from synchrony_coder.metrics import session_metrics
from synchrony_coder.scheme import bundled_path
from synchrony_coder.simulate import (
    SessionParams,
    simulate_coder,
    simulate_session,
    true_matched_fraction,
)

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SCHEME = load_scheme()
SAMPLES = bundled_path("sample_sessions")


# ----------------------------------------------------------------------------- the oracle


def _ms(x: float) -> int:
    return int(round(x * 1000))


def brute_force(
    ev: pd.DataFrame,
    scheme=SCHEME,
    *,
    window: float = 2.0,
    repair_within: float = 2.0,
    unit: float = 0.1,
    max_lag: float = 3.0,
    by_phase: bool = True,
) -> list[dict]:
    """Metrics of ONE session × coder, millisecond by millisecond."""
    r = scheme.roles
    W, R, u = _ms(window), _ms(repair_within), _ms(unit)
    L = int(math.floor(max_lag / unit + 1e-9))
    states = ev[ev["offset_s"].notna()]
    if len(states):
        T = max(_ms(x) for x in states["offset_s"])
    else:
        T = max(_ms(x) for x in ev["onset_s"]) + 1

    def labels(tier):
        lab = np.full(T, -1)
        if tier is None:
            return lab
        names = scheme.tier(tier).code_names
        for _, e in ev[ev["tier"] == tier].iterrows():
            lab[_ms(e.onset_s) : _ms(e.offset_s)] = names.index(e.code)
        return lab

    has_eng = r.infant_engagement is not None and r.caregiver_engagement is not None
    infant, caregiver = labels(r.infant_engagement), labels(r.caregiver_engagement)
    both = (infant >= 0) & (caregiver >= 0)
    matched = np.zeros(T, dtype=bool)
    for a, c in scheme.matched_pairs:
        ia = scheme.tier(r.infant_engagement).code_names.index(a)
        ic = scheme.tier(r.caregiver_engagement).code_names.index(c)
        matched |= (infant == ia) & (caregiver == ic)
    bids = sorted(_ms(x) for x in ev.loc[ev["tier"] == r.bid, "onset_s"])
    resp = sorted(_ms(x) for x in ev.loc[ev["tier"] == r.response, "onset_s"])

    windows = [("all", [(0, T)])]
    if by_phase and r.phase is not None:
        ph = ev[ev["tier"] == r.phase].sort_values("onset_s")
        for code in dict.fromkeys(ph["code"]):
            sel = ph[ph["code"] == code]
            windows.append(
                (code, [(_ms(a), _ms(b)) for a, b in zip(sel.onset_s, sel.offset_s, strict=True)])
            )

    def valence(tier, lab):
        v = np.array([np.nan if c.valence is None else c.valence for c in scheme.tier(tier).codes])
        return np.where(lab >= 0, v[np.clip(lab, 0, None)], np.nan)

    if has_eng:
        vI, vC = valence(r.infant_engagement, infant), valence(r.caregiver_engagement, caregiver)

    rows = []
    for name, spans in windows:
        inw = np.zeros(T, dtype=bool)
        for a, b in spans:
            inw[a:b] = True
        row: dict = {"session": ev["session"].iloc[0], "coder": ev["coder"].iloc[0], "phase": name}
        coded = int((both & inw).sum())
        row["coded_s"] = coded / 1000
        row["matched_fraction"] = (matched & inw).sum() / coded if coded else np.nan
        lengths, repaired = [], []
        for a, b in spans:
            mm = (both & ~matched)[a:b].astype(int)
            d = np.diff(np.concatenate(([0], mm, [0])))
            for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
                lengths.append(e - s)
                repaired.append(a + e < b and bool(matched[a + e]))
        lengths, repaired = np.array(lengths), np.array(repaired, dtype=bool)
        row["mismatch_episodes"] = len(lengths)
        row["repairs"] = int(repaired.sum())
        row["repairs_per_min"] = repaired.sum() / (coded / 60000) if coded else np.nan
        row["median_time_to_repair_s"] = (
            np.median(lengths[repaired]) / 1000 if repaired.any() else np.nan
        )
        row[f"prop_repaired_within_{repair_within:g}s"] = (
            (repaired & (lengths <= R)).sum() / len(lengths) if len(lengths) else np.nan
        )
        if not has_eng:
            for k in list(row)[3:]:
                row[k] = np.nan

        my_bids = [b for b in bids if any(a <= b < e for a, e in spans)]
        row["n_bids"] = len(my_bids) if r.bid else np.nan
        latencies = []
        for b in my_bids:
            after = [x for x in resp if b < x <= b + W]
            if after:
                latencies.append(after[0] - b)
        row["contingency"] = len(latencies) / len(my_bids) if my_bids else np.nan
        row["median_latency_s"] = np.median(latencies) / 1000 if latencies else np.nan
        hit = total = 0
        for a, b in spans:
            if b - W <= a:
                continue
            covered = np.zeros(T + W + 1, dtype=bool)
            for x in resp:  # t has a response in (t, t + W]  <=>  x - W <= t < x
                covered[max(x - W, 0) : x] = True
            hit += int(covered[a : b - W].sum())
            total += b - W - a
        row["base_rate"] = hit / total if total else np.nan
        row["delta_p"] = row["contingency"] - row["base_rate"]

        # Yule's Q over units [k·u, (k+1)·u) whose midpoint lies in the window
        tab = np.zeros((2, 2))
        for k in range(T // u + 2):
            mid2 = (2 * k + 1) * u  # twice the midpoint, in ms
            if not any(2 * a <= mid2 < 2 * b for a, b in spans):
                continue
            given = any(2 * b < mid2 <= 2 * (b + W) for b in my_bids)
            target = any(k * u <= x < (k + 1) * u for x in resp)
            tab[int(not given), int(not target)] += 1
        (qa, qb), (qc, qd) = tab
        q_den = qa * qd + qb * qc
        row["yules_q"] = (qa * qd - qb * qc) / q_den if q_den else np.nan

        # lagged synchrony: Pearson r of I(k) and C(k + l) over both-coded unit midpoints
        lags = np.arange(-L, L + 1)
        rs = np.full(len(lags), np.nan)
        counts = np.zeros(len(lags), dtype=int)
        if has_eng:
            per_span = []
            for a, b in spans:
                samples = {}
                for k in range(T // u + 2):
                    if 2 * a <= (2 * k + 1) * u < 2 * b:
                        m = (2 * k + 1) * u // 2  # floor of the midpoint in ms
                        if np.isfinite(vI[m]) and np.isfinite(vC[m]):
                            samples[k] = (vI[m], vC[m])
                per_span.append(samples)
            for li, lag in enumerate(lags):
                xs, ys = [], []
                for samples in per_span:
                    for k, (xi, _) in samples.items():
                        if k + lag in samples:
                            xs.append(xi)
                            ys.append(samples[k + lag][1])
                counts[li] = len(xs)
                if len(xs) >= 3 and np.std(xs) > 0 and np.std(ys) > 0:
                    rs[li] = np.corrcoef(xs, ys)[0, 1]
        row["sync_r0"] = rs[L] if len(rs) else np.nan
        row["_sync_r"] = rs
        row["_n_pairs"] = counts
        row["_lags"] = lags * u / 1000
        if np.isfinite(rs).any():
            best = np.nanmax(np.abs(rs))
            near = np.flatnonzero(np.abs(np.abs(rs) - best) < 1e-9)
            pick = near[np.lexsort((lags[near], np.abs(lags[near])))[0]]
            row["sync_peak_r"] = rs[pick]
            row["sync_peak_lag_s"] = lags[pick] * u / 1000
            row["_peak_lags"] = set(np.round(lags[near] * u / 1000, 6))
        else:
            row["sync_peak_r"] = row["sync_peak_lag_s"] = np.nan

        for partner, tier, lab in (
            ("infant", r.infant_engagement, infant),
            ("caregiver", r.caregiver_engagement, caregiver),
        ):
            if tier is None:
                continue
            mine = int(((lab >= 0) & inw).sum())
            for i, code in enumerate(scheme.tier(tier).code_names):
                row[f"{partner}_{code}"] = ((lab == i) & inw).sum() / mine if mine else np.nan
        rows.append(row)
    return rows


def assert_matches(table: pd.DataFrame, reference: list[dict], tol: float = 1e-9) -> None:
    """Every column of every reference row equals the implementation's row (same order)."""
    assert len(table) == len(reference)
    for (_, got), want in zip(table.iterrows(), reference, strict=True):
        where = f"{want['session']}/{want['coder']}/{want['phase']}"
        for col, value in want.items():
            if col.startswith("_"):
                continue
            assert col in table.columns, col
            if col == "sync_peak_lag_s" and "_peak_lags" in want:
                assert round(got[col], 6) in want["_peak_lags"], (where, col, got[col])
                continue
            if isinstance(value, str):
                assert got[col] == value, (where, col)
            elif value is None or (isinstance(value, float) and np.isnan(value)):
                assert pd.isna(got[col]), (where, col, got[col])
            else:
                assert got[col] == pytest.approx(value, abs=tol), (where, col, got[col], value)


# ----------------------------------------------------------------------------- sessions


def events(session: str, rows: list[tuple], coder: str = "a") -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["tier", "code", "onset_s", "offset_s"])
    df.insert(0, "coder", coder)
    df.insert(0, "session", session)
    return df


IE, CE, BID, RSP = "infant_engagement", "caregiver_engagement", "infant_bid", "caregiver_response"
PH = "phase"
NA = np.nan


def gaps_session() -> pd.DataFrame:
    """Uncoded gaps in both partners, phase boundaries cutting episodes, bids near the end."""
    return events(
        "gaps",
        [
            (IE, "positive", 0.0, 5.0),
            (IE, "object", 5.0, 9.0),
            (IE, "monitor", 10.0, 14.0),
            (IE, "negative", 14.0, 20.0),
            (IE, "positive", 20.0, 30.0),
            (CE, "positive", 0.0, 3.0),
            (CE, "monitor", 3.0, 6.0),
            (CE, "object", 6.0, 12.0),
            (CE, "monitor", 12.0, 16.0),
            (CE, "positive", 17.0, 25.0),
            (CE, "disengaged", 25.0, 30.0),
            (PH, "play", 0.0, 12.5),
            (PH, "still_face", 12.5, 22.3),
            (PH, "reunion", 22.3, 30.0),
            (BID, "reach", 1.0, NA),
            (BID, "gaze", 4.0, NA),
            (BID, "smile", 11.9, NA),
            (BID, "fuss", 12.4, NA),
            (BID, "smile", 21.0, NA),
            (BID, "vocalize", 29.5, NA),
            (BID, "vocalize", 29.999, NA),
            (RSP, "verbal", 2.0, NA),
            (RSP, "touch", 4.0, NA),  # same time as a bid: not after it
            (RSP, "touch", 6.0, NA),  # exactly b + W
            (RSP, "soothe", 13.0, NA),
            (RSP, "verbal", 13.04, NA),
            (RSP, "verbal", 29.9, NA),
        ],
    )


def single_partner_session() -> pd.DataFrame:
    return events(
        "infant_only",
        [
            (IE, "positive", 0.0, 4.0),
            (IE, "withdrawn", 4.0, 12.0),
            (IE, "object", 12.0, 20.0),
            (PH, "play", 0.0, 10.0),
            (PH, "still_face", 10.0, 20.0),
            (BID, "reach", 3.0, NA),
            (RSP, "verbal", 4.5, NA),
        ],
    )


def no_bids_session() -> pd.DataFrame:
    return events(
        "no_bids",
        [
            (IE, "monitor", 0.0, 7.3),
            (IE, "positive", 7.3, 15.0),
            (CE, "monitor", 0.0, 3.3),
            (CE, "positive", 3.3, 15.0),
            (RSP, "verbal", 1.0, NA),
            (RSP, "verbal", 9.0, NA),
        ],
    )


def twice_session() -> pd.DataFrame:
    """A phase coded twice, a gap between phases, state time after the last phase."""
    return events(
        "twice",
        [
            (IE, "object", 0.0, 6.0),
            (IE, "positive", 6.0, 18.0),
            (IE, "negative", 18.0, 32.0),
            (CE, "object", 0.0, 2.0),
            (CE, "positive", 2.0, 11.0),
            (CE, "monitor", 11.0, 21.0),
            (CE, "negative", 21.0, 32.0),
            (PH, "play", 0.0, 10.0),
            (PH, "still_face", 12.0, 20.0),
            (PH, "play", 20.0, 30.0),
            (BID, "reach", 9.5, NA),
            (BID, "reach", 19.0, NA),
            (BID, "reach", 25.0, NA),
            (RSP, "offer", 10.5, NA),
            (RSP, "offer", 26.0, NA),
        ],
    )


def beyond_session() -> pd.DataFrame:
    """Point events after the last state offset: a response there still answers a bid."""
    return events(
        "beyond",
        [
            (IE, "positive", 0.0, 10.0),
            (CE, "positive", 0.0, 4.0),
            (CE, "object", 4.0, 10.0),
            (BID, "reach", 9.5, NA),
            (BID, "reach", 10.5, NA),  # at/after T: outside the `all` window
            (RSP, "verbal", 11.0, NA),
        ],
    )


def empty_tiers_session() -> pd.DataFrame:
    """Only phases coded: no engagement, no bids, no responses."""
    return events("phases_only", [(PH, "play", 0.0, 10.0), (PH, "still_face", 10.0, 20.0)])


HAND_BUILT = [
    gaps_session,
    single_partner_session,
    no_bids_session,
    twice_session,
    beyond_session,
    empty_tiers_session,
]


@pytest.fixture(scope="module")
def simulated() -> list[pd.DataFrame]:
    short = SessionParams(
        phases=(("play", 20.0), ("still_face", 20.0), ("reunion", 20.0)), bid_rate_per_min=20.0
    )
    out = []
    for seed in (3, 4):
        truth = simulate_session(short, session=f"sim{seed}", seed=seed)
        out.append(truth)
        out.append(simulate_coder(truth, "noisy", seed=seed))
    return out


def corpus(sessions: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(sessions, ignore_index=True)


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("make", HAND_BUILT, ids=lambda f: f.__name__)
def test_hand_built_session_matches_brute_force(make):
    ev = make()
    assert_matches(session_metrics(ev, by_phase=True), brute_force(ev))


def test_corpus_of_all_sessions_matches_brute_force_per_session(simulated):
    """One call over a mixed corpus gives each session exactly its own values (no leaking)."""
    sessions = [f() for f in HAND_BUILT] + simulated
    table = session_metrics(corpus(sessions), by_phase=True)
    reference = [row for ev in sessions for row in brute_force(ev)]
    assert_matches(table, reference)


def test_row_order_of_the_events_does_not_matter(simulated):
    """Shuffled rows (sessions interleaved, tiers mixed) give the same numbers, groups in order of
    first appearance."""
    sessions = [gaps_session(), twice_session(), *simulated]
    ordered = session_metrics(corpus(sessions), by_phase=True)
    shuffled = corpus(sessions).sample(frac=1.0, random_state=7).reset_index(drop=True)
    first_seen = list(dict.fromkeys(zip(shuffled["session"], shuffled["coder"], strict=True)))
    table = session_metrics(shuffled, by_phase=True)
    assert list(dict.fromkeys(zip(table["session"], table["coder"], strict=True))) == first_seen
    key = ["session", "coder", "phase"]
    pd.testing.assert_frame_equal(
        table.sort_values(key).reset_index(drop=True),
        ordered.sort_values(key).reset_index(drop=True),
        check_exact=False,
        rtol=1e-9,
    )


def test_text_as_distinct_string_objects_gives_the_same_table(simulated):
    """Rows are grouped by string identity first (fast), then by value: a table whose equal texts
    are different objects (as from a csv reader), in str or object columns, gives the same table."""
    ev = corpus([gaps_session(), *simulated])
    text = ("session", "coder", "tier", "code")
    fresh = ev.copy()
    for c in text:
        copies = np.array([v.encode().decode() for v in ev[c]], dtype=object)
        fresh[c] = pd.Series(copies, index=ev.index, dtype=object)  # not pandas' inferred str
    assert len({id(v) for v in fresh["code"]}) > fresh["code"].nunique()  # copies, not shared
    expected = session_metrics(ev, by_phase=True)
    for table in (fresh, fresh.astype({c: str for c in text})):
        pd.testing.assert_frame_equal(
            session_metrics(table, by_phase=True).astype({"session": str, "coder": str}),
            expected.astype({"session": str, "coder": str}),
        )


def test_factorize_by_identity_equals_pandas():
    from synchrony_coder.metrics.text import _factorize

    rng = np.random.default_rng(3)
    words = ["a", "bb", "a", None, "c", float("nan"), "bb"]
    values = np.array(
        [
            words[k].encode().decode()
            if isinstance(words[k], str) and rng.random() < 0.5
            else words[k]
            for k in rng.integers(0, len(words), 500)
        ],
        dtype=object,
    )
    codes, uniques = _factorize(values)
    expected_codes, expected_uniques = pd.factorize(values, sort=False)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(uniques) == list(expected_uniques)
    assert _factorize(values[:0])[0].shape == (0,)


def test_categorical_columns_give_the_same_table(simulated):
    ev = corpus([gaps_session(), *simulated])
    cat = ev.astype({c: "category" for c in ("session", "coder", "tier", "code")})
    ids = {"session": str, "coder": str}
    pd.testing.assert_frame_equal(
        session_metrics(cat, by_phase=True).astype(ids),
        session_metrics(ev, by_phase=True).astype(ids),
    )


def test_matched_spans_match_the_grid(simulated):
    from synchrony_coder.metrics.synchrony import matched_spans

    sessions = [gaps_session(), twice_session(), simulated[1]]
    spans = matched_spans(corpus(sessions), SCHEME)
    for ev in sessions:
        T = _ms(ev["offset_s"].max())
        grid = {}
        for tier in (IE, CE):
            lab = np.full(T, "", dtype=object)
            for _, e in ev[ev["tier"] == tier].iterrows():
                lab[_ms(e.onset_s) : _ms(e.offset_s)] = e.code
            grid[tier] = lab
        matched = np.zeros(T, dtype=bool)
        for a, c in SCHEME.matched_pairs:
            matched |= (grid[IE] == a) & (grid[CE] == c)
        d = np.diff(np.concatenate(([0], matched.astype(int), [0])))
        mine = spans[spans["session"] == ev["session"].iloc[0]]
        assert list(np.round(mine["onset_s"] * 1000).astype(int)) == list(np.flatnonzero(d == 1))
        assert list(np.round(mine["offset_s"] * 1000).astype(int)) == list(np.flatnonzero(d == -1))


def test_other_window_repair_and_unit(simulated):
    sessions = [gaps_session(), twice_session(), simulated[1]]
    kw = dict(window=1.5, repair_within=1.5, unit=0.25, max_lag=1.0)
    table = session_metrics(corpus(sessions), by_phase=True, **kw)
    assert "prop_repaired_within_1.5s" in table.columns
    assert "prop_repaired_within_2s" not in table.columns
    assert_matches(table, [row for ev in sessions for row in brute_force(ev, **kw)])


def test_lagged_synchrony_curve_matches_brute_force(simulated):
    from synchrony_coder.metrics import lagged_synchrony

    sessions = [gaps_session(), twice_session(), simulated[0]]
    curve = lagged_synchrony(corpus(sessions), by_phase=True)
    reference = [row for ev in sessions for row in brute_force(ev)]
    assert len(curve) == 61 * len(reference)
    for (_, got), want in zip(
        curve.groupby(["session", "phase"], sort=False), reference, strict=True
    ):
        assert (got["session"].iloc[0], got["phase"].iloc[0]) == (want["session"], want["phase"])
        assert np.allclose(got["lag_s"], want["_lags"])
        assert np.allclose(got["r"], want["_sync_r"], equal_nan=True, atol=1e-9)
        assert list(got["n_pairs"]) == list(want["_n_pairs"])


def test_contingency_scheme_gives_nan_synchrony_and_real_contingency():
    scheme = load_scheme("contingency")
    ev = gaps_session()
    ev = ev[ev["tier"].isin([BID, RSP])].reset_index(drop=True)
    table = session_metrics(ev, scheme, by_phase=True)
    assert list(table["phase"]) == ["all"]
    for col in ("coded_s", "matched_fraction", "repairs", "sync_r0", "sync_peak_r"):
        assert table[col].isna().all(), col
    assert not any(c.startswith(("infant_", "caregiver_")) for c in table.columns)
    assert_matches(table, brute_force(ev, scheme, by_phase=False))
    assert table["n_bids"].iloc[0] == 7
    # answered: 1.0 (by 2.0), 4.0 (by 6.0 = b + W), 11.9 and 12.4 (by 13.0), 29.5 (by 29.9);
    # not: 21.0, 29.999 (T is 1 ms after the last event, so 29.999 is inside the window)
    assert table["contingency"].iloc[0] == pytest.approx(5 / 7)


def test_by_phase_rows_and_columns():
    ev = corpus([gaps_session(), no_bids_session()])
    plain = session_metrics(ev)
    assert list(plain["phase"]) == ["all", "all"]
    table = session_metrics(ev, by_phase=True)
    assert list(zip(table["session"], table["phase"], strict=True)) == [
        ("gaps", "all"),
        ("gaps", "play"),
        ("gaps", "still_face"),
        ("gaps", "reunion"),
        ("no_bids", "all"),
    ]
    assert list(table.columns[:19]) == [
        "session",
        "coder",
        "phase",
        "coded_s",
        "matched_fraction",
        "mismatch_episodes",
        "repairs",
        "repairs_per_min",
        "median_time_to_repair_s",
        "prop_repaired_within_2s",
        "n_bids",
        "contingency",
        "base_rate",
        "delta_p",
        "median_latency_s",
        "yules_q",
        "sync_r0",
        "sync_peak_r",
        "sync_peak_lag_s",
    ]
    shares = [c for c in table.columns if c.startswith("infant_")]
    assert shares == [f"infant_{c}" for c in SCHEME.tier(IE).code_names]
    assert np.allclose(table[shares].sum(axis=1), 1.0)


def test_event_without_onset_is_ignored():
    """The app may hand over an event being created (no onset yet): it must not count."""
    ev = gaps_session()
    half = pd.concat([ev, events("gaps", [(IE, "positive", NA, 40.0)])], ignore_index=True)
    pd.testing.assert_frame_equal(session_metrics(half), session_metrics(ev))


def test_empty_table_and_bad_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = session_metrics(gaps_session().iloc[:0])
    assert len(empty) == 0 and "matched_fraction" in empty.columns
    with pytest.raises(ValueError, match="window"):
        session_metrics(gaps_session(), window=0)
    with pytest.raises(ValueError, match="unit"):
        session_metrics(gaps_session(), unit=-0.1)


def test_simulator_attunement_and_contingency_are_recovered():
    """Long simulated sessions: the metrics find the levels the simulator was asked for."""
    params = SessionParams(
        phases=(("play", 600.0), ("still_face", 300.0), ("reunion", 600.0)),
        attunement={"play": 0.35, "still_face": 0.05, "reunion": 0.2},
        contingency=0.7,
    )
    truth = corpus([simulate_session(params, session=f"long{s}", seed=s) for s in range(3)])
    table = session_metrics(truth, by_phase=True)
    for seed in (5, 6):  # simulate.true_matched_fraction: direct overlap of every bout pair
        short = simulate_session(session="short", seed=seed)
        got = session_metrics(short)["matched_fraction"].iloc[0]
        assert got == pytest.approx(true_matched_fraction(short), abs=1e-9)
    phase = table.groupby("phase").mean(numeric_only=True)
    for name, target in params.attunement.items():
        assert phase.loc[name, "matched_fraction"] == pytest.approx(target, abs=0.05), name
    # answered with p = 0.7 plus spontaneous responses; never in the still-face
    assert 0.65 <= phase.loc["play", "contingency"] <= 0.85
    assert phase.loc["still_face", "contingency"] < 0.1
    assert phase.loc["still_face", "base_rate"] == pytest.approx(0.0, abs=0.01)
    assert phase.loc["play", "delta_p"] > 0.4
    assert params.latency_min_s <= phase.loc["play", "median_latency_s"] <= params.latency_max_s
    assert phase.loc["play", "yules_q"] > 0.7
    # the still-face makes the infant more negative (Tronick et al., 1978)
    assert phase.loc["still_face", "infant_negative"] > phase.loc["play", "infant_negative"]
    assert (table.loc[table["phase"] == "still_face", "caregiver_monitor"] == 1.0).all()


def test_sample_truth_reproduces_readme_values():
    """sample_sessions/README.md's true values (computed by samples.true_values, independently)."""
    table = session_metrics(read_events(SAMPLES / "s01" / "truth.csv"), by_phase=True)
    readme = {
        "all": (0.198, 19, 0.579),
        "play": (0.328, 8, 0.750),
        "still_face": (0.038, 5, 0.000),
        "reunion": (0.228, 6, 0.833),
    }
    for _, row in table.iterrows():
        matched, bids, contingency = readme[row["phase"]]
        assert round(row["matched_fraction"], 3) == matched
        assert row["n_bids"] == bids
        assert round(row["contingency"], 3) == contingency


# ----------------------------------------------------------------------------- CLI


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="error::RuntimeWarning")
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )


def test_cli_metrics_on_sample_session(tmp_path):
    out = tmp_path / "m.csv"
    done = run_cli(
        "metrics", str(SAMPLES / "s01" / "coder_alice.csv"), "--by-phase", "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table["phase"]) == ["all", "play", "still_face", "reunion"]
    truth = session_metrics(read_events(SAMPLES / "s01" / "truth.csv"), by_phase=True)
    # alice codes the truth with realistic noise: close to it, not equal
    diff = (table["matched_fraction"] - truth["matched_fraction"]).abs()
    assert diff.max() < 0.1
    assert table.loc[0, "n_bids"] == pytest.approx(truth.loc[0, "n_bids"], abs=4)
    # stdout by default, README truth numbers through the CLI
    done = run_cli("metrics", str(SAMPLES / "s01" / "truth.csv"), "--by-phase")
    assert done.returncode == 0, done.stderr
    from io import StringIO

    table = pd.read_csv(StringIO(done.stdout))
    assert table["matched_fraction"].round(3).tolist() == [0.198, 0.328, 0.038, 0.228]
    assert table["contingency"].round(3).tolist() == [0.579, 0.75, 0.0, 0.833]


def test_cli_metrics_folder_is_recursive_and_options_apply(tmp_path):
    for i, seed in enumerate((1, 2, 3)):
        sub = tmp_path / "coded" / f"dyad{i}"
        sub.mkdir(parents=True)
        write_events(simulate_session(session=f"d{i}", seed=seed), sub / "truth.csv")
    done = run_cli(
        "metrics",
        str(tmp_path / "coded"),
        "--window",
        "1.5",
        "--repair-within",
        "1",
        "--unit",
        "0.2",
    )
    assert done.returncode == 0, done.stderr
    from io import StringIO

    table = pd.read_csv(StringIO(done.stdout))
    assert sorted(table["session"]) == ["d0", "d1", "d2"]
    assert "prop_repaired_within_1s" in table.columns
    expected = session_metrics(
        read_events(sorted((tmp_path / "coded").rglob("*.csv"))),
        window=1.5,
        repair_within=1,
        unit=0.2,
    )
    assert np.allclose(
        table.sort_values("session")["contingency"], expected["contingency"], equal_nan=True
    )


def test_cli_lagged_curve(tmp_path):
    from io import StringIO

    path = SAMPLES / "s01" / "truth.csv"
    done = run_cli("metrics", str(path), "--lagged", "--by-phase")
    assert done.returncode == 0, done.stderr
    curve = pd.read_csv(StringIO(done.stdout))
    assert list(curve.columns) == ["session", "coder", "phase", "lag_s", "r", "n_pairs"]
    assert len(curve) == 4 * 61
    # its lag-0 row is the table's sync_r0
    table = session_metrics(read_events(path), by_phase=True)
    at0 = curve[curve["lag_s"].abs() < 1e-9]
    assert np.allclose(at0["r"], table["sync_r0"], equal_nan=True)


def test_cli_metrics_bad_file_is_one_line_error(tmp_path):
    good = tmp_path / "good.csv"
    write_events(simulate_session(seed=1), good)
    bad = tmp_path / "bad.csv"
    bad.write_text("session,coder,tier,code,onset_s,offset_s\ns,a,infant_bid,reach,abc,\n")
    done = run_cli("metrics", str(good), str(bad))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.csv" in lines[0] and "Traceback" not in done.stderr
    assert done.stdout == ""
    done = run_cli("metrics", str(tmp_path / "missing.csv"))
    assert done.returncode == 1 and "missing.csv" in done.stderr
    done = run_cli("metrics", str(good), "--window", "0")
    assert done.returncode == 2
    done = run_cli("plot", str(good), "-o", str(tmp_path / "figure.jpg"))
    assert done.returncode == 2 and ".png" in done.stderr


def test_cli_plot_writes_png_and_svg(tmp_path):
    png = tmp_path / "timeline.png"
    done = run_cli("plot", str(SAMPLES / "s01" / "coder_alice.csv"), "-o", str(png))
    assert done.returncode == 0, done.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    svg = tmp_path / "phases.svg"
    done = run_cli("plot", str(SAMPLES / "s01" / "truth.csv"), "--kind", "phases", "-o", str(svg))
    assert done.returncode == 0, done.stderr
    assert "<svg" in svg.read_text()[:1000]


def test_cli_plot_bad_session_is_one_line_error(tmp_path):
    done = run_cli(
        "plot",
        str(SAMPLES / "s01" / "coder_alice.csv"),
        "--session",
        "nope",
        "-o",
        str(tmp_path / "x.png"),
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "nope" in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_cli_says_when_the_files_hold_no_events(tmp_path):
    empty = tmp_path / "coder_ann.csv"
    empty.write_text("session,coder,tier,code,onset_s,offset_s\n")
    for args in (["metrics", str(empty)], ["sequential", str(empty), "--tiers", "infant_bid"]):
        done = run_cli(*args)
        assert done.returncode == 0
        assert done.stderr == f"no events in {empty}: the table has only its header\n"
    done = run_cli("plot", str(empty), "-o", str(tmp_path / "t.png"))
    assert done.returncode == 1 and "the files hold no events: nothing to plot" in done.stderr
