"""Sequential analysis (SCIENCE.md §7) against oracles that share no code with the package.

- Lag tables and time windows: loop-by-loop brute forces written from §7 alone (Python sorting of
  each session's events, a tally per position, a loop over every time unit with integer
  half-millisecond midpoints), on simulated sessions and hand-built ones with ties in onset, a
  code that never occurs (an empty row and column), a coder without events of the chosen tiers,
  and zero cells (Yule's Q and the odds ratio empty, never inf).
- Structural zeros (codes that cannot repeat): the quasi-independence log-linear model fitted by
  statsmodels (a Poisson GLM on the allowed cells: fitted values and hat-matrix standardized
  residuals, Haberman, 1979; Christensen, 1997, p. 357), and statsmodels' contingency table for
  the case without zeros (Allison & Liker's adjusted residuals). The published data: the 75-event
  sequence of Bakeman & Quera (2011, p. 159) as the LagSequential R package documents it; the
  book's printed table values were not available to us, so statsmodels is the oracle there.
- The permutation test: exact enumeration of every ordering of tiny sessions.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from synchrony_coder import load_scheme
from synchrony_coder.metrics import contingency, session_metrics
from synchrony_coder.metrics.contingency import time_window_table
from synchrony_coder.metrics.corpus import Windows
from synchrony_coder.sequential import (
    LAG_COLUMNS,
    WINDOW_COLUMNS,
    SequentialError,
    lag_table,
    permutation_test,
    window_table,
)
from synchrony_coder.sequential.stats import cell_statistics, fit_quasi_independence
from synchrony_coder.simulate import simulate_session

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SCHEME = load_scheme()
POINT_TIERS = ["infant_bid", "caregiver_response"]
NAN = float("nan")


def _ms(x: float) -> int:
    return int(round(x * 1000))


def _ev(rows, session="h1", coder="a") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "session": session,
                "coder": coder,
                "tier": t,
                "code": c,
                "onset_s": on,
                "offset_s": off,
            }
            for t, c, on, off in rows
        ]
    )


def ties_session() -> pd.DataFrame:
    """Ties in onset across and within tiers; 'reach' and 'offer' never occur."""
    b, r = "infant_bid", "caregiver_response"
    return _ev(
        [
            ("infant_engagement", "monitor", 0.0, 4.0),
            ("infant_engagement", "positive", 4.0, 9.5),
            (r, "verbal", 1.0, NAN),
            (b, "smile", 1.0, NAN),
            (b, "gaze", 1.0, NAN),
            (b, "fuss", 2.0, NAN),
            (r, "soothe", 2.0, NAN),
            (r, "soothe", 2.5, NAN),
            (b, "fuss", 3.05, NAN),
            (r, "touch", 3.1, NAN),
            (b, "vocalize", 3.1, NAN),
            (b, "smile", 6.0, NAN),
            (r, "imitate", 6.4, NAN),
            (b, "smile", 6.4, NAN),
            (b, "smile", 8.0, NAN),  # a tie where code-name order is not the scheme's
            (b, "fuss", 8.0, NAN),
            (r, "verbal", 9.72, NAN),  # after the last state offset: T = 9.72 s, mid-unit
        ]
    )


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    parts = [ties_session()]
    parts += [simulate_session(session=f"sim{i}", coder="a", seed=i) for i in range(3)]
    parts.append(simulate_session(session="sim0", coder="b", seed=7))
    # a coder without any bid or response: every row of its tables is empty
    parts.append(_ev([("infant_engagement", "object", 0.0, 3.0)], session="sim1", coder="c"))
    return pd.concat(parts, ignore_index=True)


# ----------------------------------------------------------------------------- lag oracle


def _codes(tiers):
    return [(t.name, c) for t in SCHEME.tiers if t.name in tiers for c in t.code_names]


def brute_lag_tables(ev: pd.DataFrame, tiers, max_lag: int) -> dict:
    """{(session, coder, lag): K × K list of tallies}, plus pooled per coder as session 'all'."""
    codes = _codes(tiers)
    tier_rank = {t.name: i for i, t in enumerate(SCHEME.tiers)}
    out: dict = {}
    groups = list(dict.fromkeys(zip(ev["session"], ev["coder"], strict=True)))
    for s, c in groups:
        rows = [
            r
            for r in ev.itertuples(index=False)
            if r.session == s and r.coder == c and r.tier in tiers
        ]
        rows.sort(key=lambda r: (_ms(r.onset_s), tier_rank[r.tier], r.code))
        seq = [codes.index((r.tier, r.code)) for r in rows]
        for lag in range(1, max_lag + 1):
            x = [[0] * len(codes) for _ in codes]
            for i in range(len(seq) - lag):
                x[seq[i]][seq[i + lag]] += 1
            out[(s, c, lag)] = x
            key = ("all", c, lag)
            if key not in out:
                out[key] = [[0] * len(codes) for _ in codes]
            for g in range(len(codes)):
                for t in range(len(codes)):
                    out[key][g][t] += x[g][t]
    return out


def brute_cell(x, g: int, t: int) -> dict:
    """§7's statistics of one cell, scalar by scalar."""
    k = len(x)
    n = sum(map(sum, x))
    row = sum(x[g])
    col = sum(x[i][t] for i in range(k))
    a = x[g][t]
    b, c = row - a, col - a
    d = n - a - b - c
    e = row * col / n if n else NAN
    var = e * (1 - row / n) * (1 - col / n) if n else 0.0
    return {
        "count": a,
        "expected": e,
        "transitional_prob": a / row if row else NAN,
        "adjusted_residual": (a - e) / math.sqrt(var) if var > 0 else NAN,
        "yules_q": (a * d - b * c) / (a * d + b * c) if a * d + b * c else NAN,
        "odds_ratio": a * d / (b * c) if b * c else NAN,
    }


def _close(got, want, what):
    if isinstance(want, float) and math.isnan(want):
        assert math.isnan(got), what
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), what


def test_lag_table_matches_brute_force_for_every_column(corpus):
    table = lag_table(corpus, SCHEME, tiers=POINT_TIERS, max_lag=3)
    assert list(table.columns) == list(LAG_COLUMNS)
    tables = brute_lag_tables(corpus, POINT_TIERS, 3)
    names = [f"{t}:{c}" for t, c in _codes(POINT_TIERS)]
    k = len(names)
    assert len(table) == len(tables) * k * k
    keys = list(zip(table["session"], table["coder"], table["lag"], strict=True))
    assert set(keys) == set(tables)
    for row in table.itertuples(index=False):
        x = tables[(row.session, row.coder, row.lag)]
        want = brute_cell(x, names.index(row.given), names.index(row.target))
        for col, value in want.items():
            _close(
                getattr(row, col),
                value,
                (row.session, row.coder, row.lag, row.given, row.target, col),
            )
    # what the brute force promises about the hand-built session
    h = table[(table["session"] == "h1") & (table["lag"] == 1)].set_index(["given", "target"])
    assert (h.loc["infant_bid:reach", "count"] == 0).all()  # never occurs: an empty row
    assert h.loc["infant_bid:reach", "transitional_prob"].isna().all()
    assert h.loc[("infant_bid:reach", "infant_bid:smile"), ["yules_q", "odds_ratio"]].isna().all()
    empty = table[table["coder"] == "c"]
    assert (empty["count"] == 0).all() and empty[["expected", "yules_q"]].isna().all().all()
    numbers = table.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any()


def test_ties_follow_tier_order_then_code_name():
    """At 1.0 s: infant_bid (gaze, smile by name) before caregiver_response (verbal)."""
    table = lag_table(ties_session(), SCHEME, tiers=POINT_TIERS, pooled=False)
    hit = table[table["count"] > 0].set_index(["given", "target"])["count"]
    assert hit[("infant_bid:gaze", "infant_bid:smile")] == 1
    assert hit[("infant_bid:smile", "caregiver_response:verbal")] == 2  # 1.0 s, 8.0 → 9.72 s
    assert ("infant_bid:smile", "infant_bid:gaze") not in hit.index
    assert hit[("infant_bid:fuss", "infant_bid:smile")] == 1  # at 8.0 s: fuss before smile
    assert ("infant_bid:smile", "infant_bid:fuss") not in hit.index


def test_state_events_count_at_their_onset(corpus):
    tiers = ["infant_engagement", "infant_bid"]
    table = lag_table(corpus, SCHEME, tiers=tiers, max_lag=2)
    tables = brute_lag_tables(corpus, tiers, 2)
    names = [f"{t}:{c}" for t, c in _codes(tiers)]
    got = table.set_index(["session", "coder", "lag", "given", "target"])["count"]
    for (s, c, lag), x in tables.items():
        for g, gn in enumerate(names):
            for t, tn in enumerate(names):
                assert got[(s, c, lag, gn, tn)] == x[g][t]


def test_pooled_rows_sum_tables_before_the_statistics(corpus):
    table = lag_table(corpus, SCHEME, tiers=POINT_TIERS)
    per_session = table[(table["session"] != "all") & (table["coder"] == "a")]
    pooled = table[(table["session"] == "all") & (table["coder"] == "a")].set_index(
        ["given", "target"]
    )
    summed = per_session.groupby(["given", "target"])["count"].sum()
    assert (pooled["count"] == summed.reindex(pooled.index)).all()
    assert set(table.loc[table["session"] == "all", "coder"]) == {"a", "b", "c"}


# ----------------------------------------------------------------------------- structural zeros

# Bakeman & Quera (2011, p. 159): 75 events, codes 1..5 = Chat, Write, Read, Ask, Attentive
BQ2011_P159 = [
    2, 1, 4, 3, 3, 4, 3, 4, 2, 1, 4, 4, 5, 4, 1, 3, 4, 5, 3, 2, 2, 1, 4, 1, 2,
    5, 2, 1, 2, 3, 3, 1, 4, 4, 1, 4, 1, 3, 3, 3, 1, 5, 2, 1, 1, 3, 1, 4, 1, 2,
    3, 3, 4, 5, 5, 2, 3, 3, 5, 2, 5, 4, 4, 2, 3, 1, 5, 5, 2, 2, 1, 3, 3, 3, 3,
]  # fmt: skip


def _lag1(seq, k):
    x = np.zeros((k, k))
    for a, b in itertools.pairwise(seq):
        x[a - 1, b - 1] += 1
    return x


def _no_repeats(seq):
    return [c for i, c in enumerate(seq) if i == 0 or c != seq[i - 1]]


def test_without_structural_zeros_statsmodels_agrees():
    from statsmodels.stats.contingency_tables import Table

    x = _lag1(BQ2011_P159, 5)
    s = cell_statistics(x)
    oracle = Table(x, shift_zeros=False)
    np.testing.assert_allclose(s["expected"], oracle.fittedvalues, rtol=1e-12)
    np.testing.assert_allclose(s["adjusted_residual"], oracle.standardized_resids, rtol=1e-10)


def _glm_quasi_independence(x: np.ndarray, allowed: np.ndarray):
    import statsmodels.api as sm

    k = len(x)
    cells = [(g, t) for g in range(k) for t in range(k) if allowed[g, t]]
    design = np.zeros((len(cells), 2 * k - 1))
    design[:, 0] = 1
    for i, (g, t) in enumerate(cells):
        if g:
            design[i, g] = 1
        if t:
            design[i, k - 1 + t] = 1
    y = np.array([x[g, t] for g, t in cells])
    fit = sm.GLM(y, design, family=sm.families.Poisson()).fit(tol=1e-13)
    hat = fit.get_influence().hat_matrix_diag
    mu = fit.fittedvalues
    e, z = np.zeros_like(x), np.full(x.shape, np.nan)
    for i, (g, t) in enumerate(cells):
        e[g, t] = mu[i]
        z[g, t] = (y[i] - mu[i]) / math.sqrt(mu[i] * (1 - hat[i]))
    return e, z


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_no_repeats_matches_the_quasi_independence_model_of_statsmodels(seed):
    if seed is None:  # the book's sequence with consecutive repeats merged
        seq = _no_repeats(BQ2011_P159)
    else:
        rng = np.random.default_rng(seed)
        seq = _no_repeats(
            list(rng.choice([1, 2, 3, 4, 5], size=300, p=[0.4, 0.3, 0.15, 0.1, 0.05]))
        )
    x = _lag1(seq, 5)
    assert not np.diag(x).any()
    structural = np.eye(5, dtype=bool)
    s = cell_statistics(x, structural)
    e, z = _glm_quasi_independence(x, ~structural)
    np.testing.assert_allclose(s["expected"], e, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s["adjusted_residual"], z, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s["expected"].sum(1), x.sum(1), rtol=1e-9)
    assert np.isnan(np.diag(s["adjusted_residual"])).all()
    assert np.isnan(np.diag(s["yules_q"])).all() and (np.diag(s["expected"]) == 0).all()


def test_hat_matrix_residuals_reduce_to_allison_and_liker_without_zeros():
    """The log-linear residual with no structural zero is the closed form (an identity)."""
    from synchrony_coder.sequential.stats import _hat_diagonal

    x = _lag1(BQ2011_P159, 5)
    s = cell_statistics(x)
    h = _hat_diagonal(s["expected"])
    z = (x - s["expected"]) / np.sqrt(s["expected"] * (1 - h))
    np.testing.assert_allclose(z, s["adjusted_residual"], rtol=1e-9)
    np.testing.assert_allclose(
        fit_quasi_independence(x, np.ones((5, 5), bool)), s["expected"], rtol=1e-9
    )


def test_no_repeats_through_lag_table_and_refusal_of_repeats():
    seq = _no_repeats(BQ2011_P159)
    names = ["negative", "withdrawn", "object", "monitor", "positive"]
    rows, t = [], 0.0
    for c in seq:
        rows.append(("infant_engagement", names[c - 1], t, t + 1.0))
        t += 1.0
    ev = _ev(rows, session="bq")
    table = lag_table(ev, SCHEME, tiers=["infant_engagement"], max_lag=2, no_repeats=True)
    lag1 = table[(table["lag"] == 1) & (table["session"] == "bq")]
    e, z = _glm_quasi_independence(_lag1(seq, 5), ~np.eye(5, dtype=bool))
    np.testing.assert_allclose(lag1["expected"].to_numpy().reshape(5, 5), e, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(lag1["adjusted_residual"].to_numpy().reshape(5, 5), z, rtol=1e-6)
    # lag 2 has no structural zero: a code may recur two events later
    lag2 = table[(table["lag"] == 2) & (table["session"] == "bq")]
    assert lag2["adjusted_residual"].notna().sum() > 20
    repeated = pd.concat(
        [ev, _ev([("infant_engagement", names[seq[-1] - 1], t, t + 1)], session="bq")]
    )
    with pytest.raises(SequentialError, match=r"session bq, coder a: .* follows itself"):
        lag_table(repeated, SCHEME, tiers=["infant_engagement"], no_repeats=True)


# ----------------------------------------------------------------------------- time windows


def brute_window(ev: pd.DataFrame, given: str, target: str, lo: float, hi: float, u: float):
    """{(session, coder): (a, b, c, d)} unit by unit, midpoints in half-milliseconds."""
    u_ms, lo_ms, hi_ms = _ms(u), _ms(lo), _ms(hi)

    def matches(r, spec):
        tier, code = spec.split(":")
        return r.tier == tier and (code == "*" or r.code == code)

    out = {}
    for (s, c), grp in ev.groupby(["session", "coder"], sort=False):
        rows = list(grp.itertuples(index=False))
        end = max(
            max(_ms(r.onset_s), _ms(r.offset_s) if r.offset_s == r.offset_s else 0) for r in rows
        )
        onsets = [_ms(r.onset_s) for r in rows if matches(r, given)]
        state = SCHEME.tier(target.split(":")[0]).is_state
        tgt = [
            (_ms(r.onset_s), _ms(r.offset_s) if state else None) for r in rows if matches(r, target)
        ]
        a = b = cc = d = 0
        for k in range(-(-end // u_ms)):
            m2 = (2 * k + 1) * u_ms
            g = any(2 * (o + lo_ms) < m2 <= 2 * (o + hi_ms) for o in onsets)
            if state:
                t = any(2 * on <= m2 < 2 * off for on, off in tgt)
            else:
                t = any(k * u_ms <= on < (k + 1) * u_ms for on, _ in tgt)
            a += g and t
            b += g and not t
            cc += t and not g
            d += not g and not t
        out[(s, c)] = (a, b, cc, d)
    return out


PAIRS = [
    ("infant_bid:*", "caregiver_response:*"),
    ("infant_bid:fuss", "caregiver_response:soothe"),
    ("infant_bid:reach", "caregiver_response:touch"),  # 'reach' never occurs in h1
    ("caregiver_response:imitate", "infant_engagement:positive"),  # a state target
    ("infant_engagement:negative", "caregiver_response:soothe"),  # a state given
]


@pytest.mark.parametrize(
    ("lo", "hi", "unit", "shuffled", "part_words"),
    [
        (0.0, 2.0, 0.1, False, 1 << 20),
        (0.5, 1.25, 0.25, False, 1 << 20),
        (0.0, 2.0, 0.1, True, 1 << 20),
        (0.0, 2.0, 0.1, False, 1),  # the bits of each session made apart
    ],
)
def test_window_table_matches_brute_force_for_every_column(
    monkeypatch, corpus, lo, hi, unit, shuffled, part_words
):
    monkeypatch.setattr(contingency, "PART_WORDS", part_words)
    ev = corpus[corpus["session"].isin(["h1", "sim0", "sim1"])]
    if shuffled:  # rows in no order (the analysis sorts them itself)
        ev = ev.sample(frac=1.0, random_state=5)
    table = window_table(ev, SCHEME, pairs=PAIRS, window=(lo, hi), unit=unit)
    assert list(table.columns) == list(WINDOW_COLUMNS)
    for given, target in PAIRS:
        cells = brute_window(ev, given, target, lo, hi, unit)
        pooled: dict = {}
        for (_session, c), abcd in cells.items():
            pooled[c] = tuple(map(sum, zip(pooled.get(c, (0, 0, 0, 0)), abcd, strict=True)))
        expected = {**cells, **{("all", c): v for c, v in pooled.items()}}
        rows = table[(table["given"] == given) & (table["target"] == target)]
        assert len(rows) == len(expected)
        for row in rows.itertuples(index=False):
            a, b, c, d = expected[(row.session, row.coder)]
            assert (row.n_units, row.joint_units, row.given_units, row.target_units) == (
                a + b + c + d,
                a,
                a + b,
                a + c,
            ), (given, target, row.session, row.coder)
            assert (row.window_lo_s, row.window_hi_s) == (lo, hi)
            x = [[a, b], [c, d]]
            want = brute_cell(x, 0, 0)
            for col in ("yules_q", "odds_ratio", "adjusted_residual"):
                _close(getattr(row, col), want[col], (given, target, row.session, col))
    zero = table[(table["session"] == "h1") & (table["given"] == "infant_bid:reach")]
    assert zero[["yules_q", "odds_ratio", "adjusted_residual"]].isna().all().all()
    assert not np.isinf(table.select_dtypes("number").to_numpy(dtype=float)).any()


@pytest.mark.parametrize("part_words", [1, 3, 1 << 20])
def test_time_window_table_of_many_windows_against_units_one_by_one(monkeypatch, part_words):
    """Windows that touch, gaps, empty windows, several windows to a row, given onsets near window
    ends, point targets and state bouts that span several windows; the bits of a code made a few
    words at a time (``part_words``) or at once."""
    monkeypatch.setattr(contingency, "PART_WORDS", part_words)
    rng = np.random.default_rng(3)
    u, lo_ms, hi_ms = 100, 150, 1_250
    edges = np.sort(rng.choice(np.arange(0, 60_000, 10), size=40, replace=False))
    start, stop = edges[0::2], edges[1::2]
    stop[::5] = np.minimum(stop[::5], start[::5] + 40)  # windows shorter than a unit
    start[1::4] = stop[:-1:4]  # windows that touch the one before
    windows = Windows(start, stop, rng.integers(0, 6, len(start)), 7)  # row 6 has no window
    given = np.sort(rng.integers(0, 60_000, 300))
    points = np.sort(rng.integers(0, 60_000, 200))
    on = np.sort(rng.integers(0, 60_000, 40))
    bouts = (on, on + rng.integers(1, 9_000, len(on)))

    a, b, c, d = time_window_table(
        given, points, bouts, windows, lo_ms=lo_ms, hi_ms=hi_ms, unit_ms=u
    )
    want = np.zeros((7, 4), dtype=np.int64)
    for w0, w1, row in zip(start, stop, windows.row, strict=True):
        inside = [o for o in given if w0 <= o < w1]
        for k in range(0, 60_100 // u + 1):
            m2 = (2 * k + 1) * u  # the midpoint, in half-milliseconds
            if not 2 * w0 <= m2 < 2 * w1:
                continue
            g = any(2 * (o + lo_ms) < m2 <= 2 * (o + hi_ms) for o in inside)
            t = any(k * u <= p < (k + 1) * u for p in points) or any(
                2 * x <= m2 < 2 * y for x, y in zip(*bouts, strict=True)
            )
            want[row, (not g) * 2 + (not t)] += 1  # a, b, c, d
    np.testing.assert_array_equal(np.stack([a, b, c, d], axis=1), want)


def test_metrics_yules_q_is_the_time_window_analysis_of_any_bid_and_response():
    """Simulated sessions end on a unit boundary with their last state, so §3's and §7's units agree."""
    ev = pd.concat([simulate_session(session=f"q{i}", seed=10 + i) for i in range(3)])
    q = session_metrics(ev, SCHEME, window=1.5)["yules_q"].to_numpy()
    w = window_table(
        ev, SCHEME, pairs=[("infant_bid:*", "caregiver_response:*")], window=(0, 1.5), pooled=False
    )
    np.testing.assert_allclose(w["yules_q"].to_numpy(), q, rtol=1e-12)


def test_bad_requests_are_one_line_errors():
    ev = ties_session()
    with pytest.raises(SequentialError, match="no code 'cry'.*codes: vocalize"):
        window_table(ev, SCHEME, pairs=[("infant_bid:cry", "caregiver_response:*")])
    with pytest.raises(SequentialError, match="no tier 'bids'"):
        lag_table(ev, SCHEME, tiers=["bids"])
    with pytest.raises(SequentialError, match="0 ≤ lo < hi"):
        window_table(ev, SCHEME, pairs=[("infant_bid:*", "caregiver_response:*")], window=(2, 1))
    with pytest.raises(SequentialError, match="TIER:CODE"):
        window_table(ev, SCHEME, pairs=[("fuss", "caregiver_response:*")])


# ----------------------------------------------------------------------------- permutation test


def _exact_p(sessions: list[list[str]], given: str, target: str, lag: int):
    """Every ordering of every session, equally likely: the exact distribution of the pooled
    count, and its p in the direction of the observed deviation from the exact mean."""

    def count(seq):
        return sum(1 for i in range(len(seq) - lag) if seq[i] == given and seq[i + lag] == target)

    observed = sum(count(s) for s in sessions)
    totals = [0]
    for s in sessions:
        counts = [count(p) for p in itertools.permutations(s)]
        totals = [a + b for a in totals for b in counts]
    totals = np.array(totals)
    if observed >= totals.mean():
        return observed, float((totals >= observed).mean())
    return observed, float((totals <= observed).mean())


CODES = {
    "v": ("infant_bid", "vocalize"),
    "f": ("infant_bid", "fuss"),
    "g": ("infant_bid", "gaze"),
    "s": ("caregiver_response", "soothe"),
    "t": ("caregiver_response", "touch"),
}


def _points(seq, session):
    return _ev([(*CODES[c], i * 1.0, NAN) for i, c in enumerate(seq)], session=session)


def test_permutation_p_agrees_with_exact_enumeration():
    seqs = ["fsfstfs", "gfsvfts"]
    ev = pd.concat([_points(s, f"p{i}") for i, s in enumerate(seqs)])
    n = 20_000
    got = permutation_test(
        ev,
        SCHEME,
        tiers=POINT_TIERS,
        given="infant_bid:fuss",
        target="caregiver_response:soothe",
        n_permutations=n,
        seed=3,
    ).set_index("session")
    full = {"f": "infant_bid:fuss", "s": "caregiver_response:soothe"}
    for name, sessions in (("p0", [seqs[0]]), ("p1", [seqs[1]]), ("all", seqs)):
        observed, p = _exact_p([list(s) for s in sessions], "f", "s", 1)
        assert got.loc[name, "count"] == observed
        assert abs(got.loc[name, "p_value"] - p) < 4.5 * math.sqrt(p * (1 - p) / n) + 1e-12, name
    assert got.loc["all", "given"] == full["f"] and (got["n_permutations"] == n).all()


def test_permutation_test_is_reproducible_with_its_seed():
    ev = pd.concat([simulate_session(session=f"r{i}", seed=i) for i in range(2)])
    kw = dict(
        tiers=POINT_TIERS,
        given="infant_bid:smile",
        target="caregiver_response:imitate",
        lag=2,
        n_permutations=300,
    )
    one = permutation_test(ev, SCHEME, seed=11, **kw)
    pd.testing.assert_frame_equal(one, permutation_test(ev, SCHEME, seed=11, **kw))
    other = permutation_test(ev, SCHEME, seed=12, **kw)
    assert not np.array_equal(one["permutation_mean"], other["permutation_mean"])
    with pytest.raises(SequentialError, match="one code of the tiers"):
        permutation_test(
            ev,
            SCHEME,
            tiers=["infant_bid"],
            given="infant_bid:smile",
            target="caregiver_response:imitate",
        )


# ----------------------------------------------------------------------------- CLI and figures


def run_cli(*args: str, cwd=None):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=120,
    )


@pytest.fixture(scope="module")
def events_file(tmp_path_factory, corpus):
    from synchrony_coder import write_events

    path = tmp_path_factory.mktemp("seq") / "events.csv"
    write_events(corpus[corpus["session"].isin(["h1", "sim0"])], path)
    return path


def test_cli_lag_and_window_modes(tmp_path, events_file, corpus):
    from synchrony_coder import read_events

    ev = read_events(events_file, SCHEME)
    out = tmp_path / "lags.csv"
    r = run_cli(
        "sequential",
        str(events_file),
        "--tiers",
        "infant_bid,caregiver_response",
        "--lag",
        "2",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(out, keep_default_na=False)
    assert list(got.columns) == list(LAG_COLUMNS)
    want = lag_table(ev, SCHEME, tiers=POINT_TIERS, max_lag=2)
    assert len(got) == len(want) and set(got["session"]) == {"h1", "sim0", "all"}
    assert got["given"].str.contains(r"^\w+:\w+$").all()
    undefined = want["odds_ratio"].isna().to_numpy()
    assert undefined.any() and (got.loc[undefined, "odds_ratio"] == "").all()  # empty, not inf
    np.testing.assert_allclose(
        got["adjusted_residual"].replace("", "nan").astype(float),
        want["adjusted_residual"],
        rtol=1e-9,
    )

    r = run_cli(
        "sequential",
        str(events_file),
        "--given",
        "infant_bid:*",
        "infant_bid:fuss",
        "--target",
        "caregiver_response:soothe",
        "--window",
        "0,3",
        "--unit",
        "0.2",
    )
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(__import__("io").StringIO(r.stdout))
    assert list(got.columns) == list(WINDOW_COLUMNS)
    want = window_table(
        ev,
        SCHEME,
        pairs=[
            ("infant_bid:*", "caregiver_response:soothe"),
            ("infant_bid:fuss", "caregiver_response:soothe"),
        ],
        window=(0, 3),
        unit=0.2,
    )
    assert len(got) == len(want) == 2 * 5  # h1/a, sim0/a, sim0/b, all/a, all/b
    assert got["joint_units"].tolist() == want["joint_units"].tolist()
    assert set(got["window_hi_s"]) == {3.0}

    r = run_cli(
        "sequential",
        str(events_file),
        "--tiers",
        "infant_bid,caregiver_response",
        "--given",
        "infant_bid:fuss",
        "--target",
        "caregiver_response:soothe",
        "--permutations",
        "200",
        "--seed",
        "5",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == (
        "session,coder,given,target,lag,count,permutation_mean,p_value,n_permutations"
    )


def test_cli_errors_are_one_line(events_file):
    r = run_cli(
        "sequential",
        str(events_file),
        "--given",
        "infant_bid:cry",
        "--target",
        "caregiver_response:*",
        "--window",
        "0,2",
    )
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "no code 'cry'" in r.stderr
    r = run_cli(
        "sequential",
        str(events_file),
        "--given",
        "infant_bid:fuss",
        "--target",
        "caregiver_response:*",
    )
    assert r.returncode == 2 and "--window" in r.stderr
    r = run_cli(
        "sequential",
        str(events_file),
        "--tiers",
        "infant_bid",
        "--window",
        "2,1",
        "--given",
        "a:b",
        "--target",
        "c:d",
    )
    assert r.returncode == 2 and "0 ≤ LO < HI" in r.stderr
    r = run_cli("sequential", str(events_file))
    assert r.returncode == 2 and "choose --tiers" in r.stderr


def test_plot_sequential_heat_map_and_html(tmp_path, events_file, corpus):
    from synchrony_coder.sequential.plots import heatmap_html, lag_heatmap

    out = tmp_path / "heat.png"
    r = run_cli("plot", str(events_file), "--kind", "sequential", "--coder", "a", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = lag_table(corpus, SCHEME, tiers=POINT_TIERS)
    fig = lag_heatmap(table, session="sim0", coder="a")
    ax = fig.axes[0]
    z = table[(table["session"] == "sim0") & (table["coder"] == "a") & (table["lag"] == 1)]
    texts = [t.get_text() for t in ax.texts]
    strong = z[z["adjusted_residual"].abs() >= 1.96]
    assert len(strong) and all(f"{v:.1f}*" in texts for v in strong["adjusted_residual"])
    assert sum(t.endswith("*") for t in texts) == len(strong)
    assert texts.count("–") == z["adjusted_residual"].isna().sum()
    with pytest.raises(ValueError, match="choose a coder"):
        lag_heatmap(table)
    html = heatmap_html(table, coder="a", caption="Lag 1 <pooled>")
    assert html.startswith('<figure class="sequential"><img src="data:image/png;base64,')
    assert "Lag 1 &lt;pooled&gt;" in html
    r = run_cli("plot", str(events_file), "--kind", "sequential", "-o", str(out), "--coder", "zz")
    assert r.returncode == 1 and "no events match" in r.stderr


def test_empty_table_gives_empty_results_with_the_columns():
    from synchrony_coder.events import empty_events

    e = empty_events()
    assert list(lag_table(e, SCHEME, tiers=POINT_TIERS).columns) == list(LAG_COLUMNS)
    assert list(window_table(e, SCHEME, pairs=PAIRS).columns) == list(WINDOW_COLUMNS)
    assert not len(
        permutation_test(
            e, SCHEME, tiers=POINT_TIERS, given="infant_bid:fuss", target="infant_bid:gaze"
        )
    )
