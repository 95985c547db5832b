"""Inter-rater reliability against independent oracles (SCIENCE.md §4).

Oracles: ``sklearn.metrics.cohen_kappa_score`` and the ``krippendorff`` package on unit labels
built here by a plain loop; Krippendorff's (2011) published nominal example (alpha = 0.743);
Shrout & Fleiss (1979) Table 2 (ICC(2,1) = .29, ICC(3,1) = .71) and ``pingouin.intraclass_corr``;
brute-force enumeration for kappa_max and for the event alignment; hand-worked alignments.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from synchrony_coder import load_scheme
from synchrony_coder.events import read_events
from synchrony_coder.reliability import (
    NIL,
    align_events,
    bland_altman,
    cohen_kappa,
    confusion,
    coverage,
    disagreement_spans,
    event_agreement,
    icc,
    kappa_max,
    krippendorff_alpha,
    metric_agreement,
    pairwise_table,
    reliability_table,
    sample_for_reliability,
)
from synchrony_coder.simulate import CoderNoise, SessionParams, simulate_coder, simulate_session

SCHEME = load_scheme()
COLUMNS = [
    "session", "tier", "kind", "n_units", "percent_agreement", "kappa", "kappa_max",
    "krippendorff_alpha", "event_agreement", "event_kappa",
]  # fmt: skip


def corpus(n_sessions: int = 3, coders=("ann", "ben"), seed: int = 0) -> pd.DataFrame:
    noise = CoderNoise(boundary_sd_s=0.4, substitution=0.12, miss=0.1, extra_per_min=1.0)
    frames = []
    for s in range(n_sessions):
        truth = simulate_session(SessionParams(), session=f"s{s:02d}", seed=seed + s)
        for k, coder in enumerate(coders):
            frames.append(simulate_coder(truth, coder, noise, seed=100 * s + k + seed))
    return pd.concat(frames, ignore_index=True)


def loop_labels(events: pd.DataFrame, tier: str, coder: str, n: int, u: float) -> list[str]:
    """The oracle's unit labels: for each unit, scan every event for the one covering its midpoint."""
    rows = events[(events["tier"] == tier) & (events["coder"] == coder)]
    out = []
    for k in range(n):
        mid = (k + 0.5) * u
        label = "<none>"
        for code, on, off in zip(rows["code"], rows["onset_s"], rows["offset_s"], strict=True):
            if on <= mid < off:
                label = code
        out.append(label)
    return out


# -- time units ----------------------------------------------------------------------------------
@pytest.mark.parametrize("unit", [0.1, 0.25, 1.0])
def test_time_unit_kappa_and_alpha_match_sklearn_and_krippendorff(unit):
    ev = corpus(2)
    # a gap in one coder's engagement: <none> must be a category of its own
    gap = (ev["coder"] == "ben") & (ev["tier"] == "infant_engagement") & (ev["onset_s"] > 50)
    gap &= ev["onset_s"] < 60
    ev = ev[~gap]
    table = reliability_table(ev, SCHEME, unit=unit)
    for session, tier in [("s00", "infant_engagement"), ("s01", "caregiver_engagement")]:
        part = ev[ev["session"] == session]
        end = part.loc[part["tier"] == tier, "offset_s"].max()
        n = math.ceil(round(end / unit, 9))
        a = loop_labels(part, tier, "ann", n, unit)
        b = loop_labels(part, tier, "ben", n, unit)
        row = table[(table["session"] == session) & (table["tier"] == tier)].iloc[0]
        assert row["n_units"] == n
        assert row["kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
        assert row["percent_agreement"] == pytest.approx(np.mean(np.array(a) == np.array(b)))
        codes = {c: i for i, c in enumerate(sorted(set(a) | set(b)))}
        data = np.array([[codes[x] for x in a], [codes[x] for x in b]], dtype=float)
        want = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert row["krippendorff_alpha"] == pytest.approx(want, abs=1e-12)
    assert (table.loc[table["kind"] == "point", "kappa"].isna()).all()


def test_krippendorff_published_example():
    """Krippendorff (2011), nominal data, 4 observers × 12 units with missing values: 0.743."""
    m = None
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, m, m, m],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, m, 3],
        [m, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, m],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, m],
    ]
    as_codes = [[None if x is None else f"code{x}" for x in row] for row in data]
    assert krippendorff_alpha(as_codes) == pytest.approx(0.743, abs=0.0005)


def brute_kappa_max(rows: np.ndarray, cols: np.ndarray) -> float:
    """Max of Cohen's kappa over every integer table with these marginals (small n)."""
    k, best = len(rows), -np.inf
    n = rows.sum()
    cells = list(itertools.product(range(k), repeat=2))

    def fill(i, table, row_left, col_left):
        nonlocal best
        if i == len(cells):
            if not row_left.any() and not col_left.any():
                best = max(best, cohen_kappa(table))
            return
        r, c = cells[i]
        for v in range(min(row_left[r], col_left[c]) + 1):
            table[r, c] = v
            row_left[r] -= v
            col_left[c] -= v
            fill(i + 1, table, row_left, col_left)
            row_left[r] += v
            col_left[c] += v
        table[r, c] = 0

    fill(0, np.zeros((k, k), int), rows.copy(), cols.copy())
    assert n > 0
    return best


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("xxxxyyzz", "xxxyyyyz"),
        ("xxyyyyzz", "zzzxxyyy"),
        ("xxxxxxxy", "xyyyyyyy"),
    ],
)
def test_kappa_max_is_the_best_kappa_the_marginals_allow(a, b):
    table = confusion(list(a), list(b), ["x", "y", "z"])
    want = brute_kappa_max(table.sum(axis=1).to_numpy(), table.sum(axis=0).to_numpy())
    assert kappa_max(table) == pytest.approx(want, abs=1e-12)
    assert cohen_kappa(table) == pytest.approx(cohen_kappa_score(list(a), list(b)), abs=1e-12)
    assert cohen_kappa(table) <= kappa_max(table) + 1e-12


def test_undefined_statistics_are_nan_not_errors():
    one_code = confusion(["x"] * 5, ["x"] * 5)
    assert math.isnan(cohen_kappa(one_code)) and math.isnan(kappa_max(one_code))
    assert math.isnan(cohen_kappa(np.zeros((2, 2))))
    assert math.isnan(krippendorff_alpha([["x", "x"], ["x", "x"]]))


# -- events ---------------------------------------------------------------------------------------
def test_alignment_hand_worked_cases():
    # a substitution within tolerance beats an insertion plus a deletion
    al = align_events([1.0, 5.0], ["smile", "reach"], [1.4, 5.3], ["smile", "gaze"], 1.0)
    assert al[["code_a", "code_b"]].values.tolist() == [["smile", "smile"], ["reach", "gaze"]]
    assert event_agreement(al) == 0.5
    # out of tolerance: two unpaired events, never a pair
    al = align_events([1.0], ["smile"], [2.5], ["smile"], 1.0)
    assert al[["code_a", "code_b"]].values.tolist() == [["smile", NIL], [NIL, "smile"]]
    # order is kept (no crossing pairs): same-code pairs win over crossing ones
    al = align_events([1.0, 1.6], ["x", "y"], [1.2, 1.8], ["y", "x"], 1.0)
    # (two different-code pairs would score lower than one same-code pair plus two unpaired)
    assert sum(a == b for a, b in al[["code_a", "code_b"]].values.tolist()) == 1
    assert len(al) == 3
    # the pair of the same code is found even when a different-code event is closer
    al = align_events([2.0], ["x"], [1.9, 2.6], ["y", "x"], 1.0)
    assert al[["code_a", "code_b"]].values.tolist() == [[NIL, "y"], ["x", "x"]]
    # empty sides
    assert align_events([], [], [], [], 1.0).empty
    al = align_events([], [], [3.0], ["x"], 1.0)
    assert al[["code_a", "code_b"]].values.tolist() == [[NIL, "x"]]


def brute_alignment_score(ao, ac, bo, bc, tol) -> tuple[int, int]:
    """Best (same-code pairs, pairs) over every non-crossing matching within tolerance."""
    a = sorted(zip(ao, ac, strict=True))
    b = sorted(zip(bo, bc, strict=True))
    best = (0, 0)
    allowed = [
        (i, j) for i in range(len(a)) for j in range(len(b)) if abs(a[i][0] - b[j][0]) <= tol
    ]
    for r in range(min(len(a), len(b)) + 1):
        for combo in itertools.combinations(allowed, r):
            is_ = [i for i, _ in combo]
            js = [j for _, j in combo]
            if len(set(is_)) < r or len(set(js)) < r:
                continue
            order = sorted(combo)
            if any(j2 <= j1 for (_, j1), (_, j2) in itertools.pairwise(order)):
                continue
            same = sum(a[i][1] == b[j][1] for i, j in combo)
            best = max(best, (same, r))
    return best


def test_alignment_is_optimal_against_brute_force():
    rng = np.random.default_rng(5)
    for _ in range(60):
        n, m = rng.integers(0, 6, size=2)
        ao = np.round(np.sort(rng.uniform(0, 6, n)), 3)
        bo = np.round(np.sort(rng.uniform(0, 6, m)), 3)
        ac = rng.choice(["p", "q"], n)
        bc = rng.choice(["p", "q"], m)
        al = align_events(ao, ac, bo, bc, 1.0)
        paired = al[(al["code_a"] != NIL) & (al["code_b"] != NIL)]
        got = (int((paired["code_a"] == paired["code_b"]).sum()), len(paired))
        assert got == brute_alignment_score(ao, ac, bo, bc, 1.0)
        assert (abs(paired["onset_a"] - paired["onset_b"]) <= 1.0 + 1e-9).all()
        assert len(al) == n + m - len(paired)


def _alignment_cases(rng, count: int):
    """Random and adversarial onset lists: grids that make ties, onsets exactly a tolerance
    apart (in floating point, e.g. 0.1 + 1.0 vs 1.1), one instant for many events, empty sides."""
    for k in range(count):
        n, m = (int(x) for x in rng.integers(0, 14, 2))
        grid = float(rng.choice([0.5, 0.25, 0.1, 0.001]))
        span = float(rng.choice([2, 5, 12]))
        ao = np.sort(np.round(rng.uniform(0, span, n) / grid) * grid)
        bo = np.sort(np.round(rng.uniform(0, span, m) / grid) * grid)
        if k % 5 == 0:  # B's events exactly a tolerance from A's, as sums of decimals
            bo = np.sort(np.concatenate([ao[: m // 2] + float(rng.choice([1.0, -1.0])), bo]))[:m]
        if k % 7 == 0:  # many events at one instant
            ao[: n // 2] = ao[0] if n else 0
            ao.sort()
        n_codes = int(rng.integers(1, 4))
        tol = float(rng.choice([1.0, 0.5, 0.25, 0.3, 0.0]))
        yield ao, rng.integers(0, n_codes, n), bo, rng.integers(0, n_codes, len(bo)), tol


def test_banded_alignment_equals_the_dense_programme():
    """Oracle: the dense O(n·m) programme ``align_ids`` replaced (tests/alignment_oracle.py):
    the same columns, in the same order, on random and adversarial cases (same optimum and
    same tie-breaking), and on two long tiers with noise."""
    from alignment_oracle import dense_align_ids
    from synchrony_coder.reliability.alignment import align_ids

    rng = np.random.default_rng(11)
    cases = list(_alignment_cases(rng, 1500))
    ao = np.sort(np.round(rng.uniform(0, 300, 700), 2))
    kept = ao[rng.random(700) < 0.9]
    bo = np.sort(np.round(kept + rng.normal(0, 0.4, len(kept)), 2))
    cases.append((ao, rng.integers(0, 4, len(ao)), bo, rng.integers(0, 4, len(bo)), 1.0))
    # a tolerance that pairs almost anything: rows wider than WIDE_BAND, done by numpy
    cases.append((ao[:300], rng.integers(0, 2, 300), bo[:280], rng.integers(0, 2, 280), 40.0))
    for ao, ac, bo, bc, tol in cases:
        want = dense_align_ids(ao, ac, bo, bc, tol)
        got = align_ids(ao, ac, bo, bc, tol)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_alignment_of_blocks_between_gaps_is_the_whole_alignment():
    """Blocks between gaps no pair crosses (every gap, and every few), aligned from the last to
    the first, each entered as the later one left it, give the dense programme's alignment."""
    from alignment_oracle import dense_align_ids
    from synchrony_coder.reliability.alignment import align_path, gap_cuts

    rng = np.random.default_rng(12)
    blocks = 0
    for ao, ac, bo, bc, tol in _alignment_cases(rng, 1500):
        want = dense_align_ids(ao, ac, bo, bc, tol)
        for size in (1, 3):
            cuts = [*gap_cuts(ao, bo, tol, size), (len(ao), len(bo))]
            entry, ia, ib = False, [], []
            for (a0, b0), (a1, b1) in zip(cuts[-2::-1], cuts[:0:-1], strict=True):
                i, j, entry = align_path(
                    ao[a0:a1], ac[a0:a1], bo[b0:b1], bc[b0:b1], tol, row_entry=entry
                )
                ia.insert(0, np.where(i >= 0, i + a0, -1))
                ib.insert(0, np.where(j >= 0, j + b0, -1))
                for x in range(a0, a1):  # no pair crosses a cut
                    for y in [*range(b0), *range(b1, len(bo))]:
                        assert abs(ao[x] - bo[y]) > tol + 1e-9
            blocks += len(cuts) - 1
            np.testing.assert_array_equal(np.concatenate([[], *ia]), want[0])
            np.testing.assert_array_equal(np.concatenate([[], *ib]), want[1])
    assert blocks > 6000  # most cases split


def test_event_kappa_from_the_alignment_table():
    al = align_events(
        [1, 3, 5, 7, 9], ["x", "x", "y", "y", "x"], [1.1, 3.2, 5.1, 11], ["x", "y", "y", "x"], 1.0
    )
    a = al["code_a"].tolist()
    b = al["code_b"].tolist()
    # nil-nil cannot occur, so sklearn's kappa over the alignment columns is the same statistic
    from synchrony_coder.reliability import event_kappa

    assert event_kappa(al) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert event_agreement(al) == pytest.approx(2 / 6)  # x-x, y-y of 3 pairs + 3 unpaired


# -- session metrics: ICC and Bland-Altman ------------------------------------------------------
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def test_icc_matches_shrout_fleiss_table_2():
    got = icc(SHROUT_FLEISS)
    assert round(got["icc2_1"], 2) == 0.29
    assert round(got["icc3_1"], 2) == 0.71


def test_icc_matches_pingouin_and_bland_altman_by_hand():
    import pingouin

    rng = np.random.default_rng(2)
    true = rng.normal(0.3, 0.1, 25)
    y = np.stack([true + rng.normal(0, 0.03, 25), true + 0.02 + rng.normal(0, 0.03, 25)], 1)
    long = pd.DataFrame(
        {"session": np.repeat(np.arange(25), 2), "coder": ["a", "b"] * 25, "v": y.ravel()}
    )
    ref = pingouin.intraclass_corr(long, targets="session", raters="coder", ratings="v")
    ref = ref.set_index("Type")["ICC"]
    got = icc(y)
    assert got["icc2_1"] == pytest.approx(ref["ICC(A,1)"], abs=1e-10)
    assert got["icc3_1"] == pytest.approx(ref["ICC(C,1)"], abs=1e-10)
    ba = bland_altman(y[:, 0], y[:, 1])
    d = y[:, 0] - y[:, 1]
    sd = math.sqrt(sum((x - d.mean()) ** 2 for x in d) / (len(d) - 1))
    assert ba["ba_bias"] == pytest.approx(d.mean())
    assert (ba["ba_lo"], ba["ba_hi"]) == pytest.approx((d.mean() - 1.96 * sd, d.mean() + 1.96 * sd))
    # the same through the tidy metric table, with a session one coder lacks
    metrics = long.rename(columns={"v": "matched_fraction"}).assign(phase="all")
    metrics = pd.concat([metrics, metrics.iloc[[0]].assign(session=99)], ignore_index=True)
    row = metric_agreement(metrics).iloc[0]
    assert row["n_sessions"] == 25 and row["coders"] == "a;b"
    assert row["icc2_1"] == pytest.approx(ref["ICC(A,1)"], abs=1e-10)


# -- the corpus table -------------------------------------------------------------------------------
def test_three_coders_mean_of_pairs_and_alpha_of_all():
    ev = corpus(1, coders=("ann", "ben", "cas"))
    table = reliability_table(ev, SCHEME)
    pairs = pairwise_table(ev, SCHEME)
    tier = "infant_engagement"
    row = table[table["tier"] == tier].iloc[0]
    mine = pairs[pairs["tier"] == tier]
    assert len(mine) == 3 and row["n_coders"] == 3
    assert row["kappa"] == pytest.approx(mine["kappa"].mean())
    n = int(row["n_units"])
    labels = [loop_labels(ev, tier, c, n, 0.1) for c in ("ann", "ben", "cas")]
    codes = {c: i for i, c in enumerate(sorted(set().union(*labels)))}
    data = np.array([[codes[x] for x in lab] for lab in labels], dtype=float)
    want = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert row["krippendorff_alpha"] == pytest.approx(want, abs=1e-12)


def test_sessions_of_one_coder_are_listed_not_dropped():
    ev = corpus(2)
    ev = ev[~((ev["session"] == "s01") & (ev["coder"] == "ben"))]
    table = reliability_table(ev, SCHEME)
    lonely = table[table["session"] == "s01"]
    assert len(lonely) and (lonely["n_coders"] == 1).all() and lonely["kappa"].isna().all()
    cov = coverage(ev).set_index("session")
    assert cov.loc["s01", "missing"] == "ben" and cov.loc["s00", "missing"] == ""


def test_disagreement_spans_cover_exactly_the_disagreeing_units():
    ev = corpus(1)
    spans = disagreement_spans(ev, SCHEME)
    tier = "caregiver_engagement"
    end = ev.loc[ev["tier"] == tier, "offset_s"].max()
    n = math.ceil(round(end / 0.1, 9))
    a = np.array(loop_labels(ev, tier, "ann", n, 0.1))
    b = np.array(loop_labels(ev, tier, "ben", n, 0.1))
    marked = np.zeros(n, bool)
    for on, off in spans.loc[spans["tier"] == tier, ["onset_s", "offset_s"]].values:
        marked[round(on / 0.1) : round(off / 0.1)] = True
    assert np.array_equal(marked, a != b)
    pts = spans[spans["kind"] == "point"]
    assert pts["offset_s"].isna().all() and (pts["code_a"] != pts["code_b"]).all()
    with pytest.raises(ValueError, match="two coders"):
        disagreement_spans(ev[ev["coder"] == "ann"], SCHEME)


def test_sampling_is_reproducible_and_sized():
    ids = [f"s{i:03d}" for i in range(37)]
    one = sample_for_reliability(ids, 0.2, seed=4)
    assert len(one) == 8 and one == sorted(one) and set(one) <= set(ids)
    assert sample_for_reliability(list(reversed(ids)), 0.2, seed=4) == one
    assert sample_for_reliability(ids, 0.2, seed=5) != one
    with pytest.raises(ValueError):
        sample_for_reliability(ids, 0)


# -- the command line -----------------------------------------------------------------------------
def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder", *map(str, args)],
        capture_output=True, text=True, cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sample_dir():
    from synchrony_coder.scheme import bundled_path

    return bundled_path("sample_sessions") / "s01"


def test_cli_reliability_csv_and_report(tmp_path, sample_dir):
    out, report = tmp_path / "rel.csv", tmp_path / "rel.html"
    res = run_cli(
        "reliability", sample_dir / "coder_alice.csv", sample_dir / "coder_bob.csv",
        "-o", out, "--report", report,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(out)
    assert all(c in df.columns for c in COLUMNS)
    assert set(df["tier"]) == set(SCHEME.tier_names)
    stats = df[["percent_agreement", "event_agreement"]].stack().dropna()
    assert ((stats >= 0) & (stats <= 1)).all()
    assert (df.loc[df["kind"] == "state", "kappa"] > 0.5).all()
    text = report.read_text()
    assert text.count("data:image/png;base64,") >= 3 and "kappa_max" in text
    assert "Shrout" in text and "Bakeman" in text
    assert "kappa_defined" in text  # how many sessions each tier's mean kappa rests on


def test_cli_errors_are_one_line(tmp_path, sample_dir):
    bad = tmp_path / "bad.csv"
    bad.write_text("session,coder,tier\nx,y,z\n")
    res = run_cli("reliability", sample_dir / "coder_alice.csv", bad)
    assert res.returncode == 1 and "bad.csv" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    res = run_cli("reliability", sample_dir / "coder_alice.csv")
    assert res.returncode == 1 and "two or more coders" in res.stderr
    res = run_cli("reliability", sample_dir / "coder_alice.csv", "--unit", "-1")
    assert res.returncode == 2


def test_cli_sample_reliability(tmp_path, sample_dir):
    sessions = [f"id{i}" for i in range(10)]
    first = run_cli("sample-reliability", *sessions, "--fraction", "0.3", "--seed", "9")
    again = run_cli("sample-reliability", *reversed(sessions), "--fraction", "0.3", "--seed", "9")
    assert first.returncode == 0 and first.stdout == again.stdout
    assert first.stdout.splitlines()[0] == "session" and len(first.stdout.splitlines()) == 4
    res = run_cli("sample-reliability", sample_dir, "--fraction", "1", "--seed", "1")
    assert res.stdout.splitlines() == ["session", "s01"]


def test_report_timeline_marks_disagreement_apart_from_code_colours_with_a_legend():
    """Disagreement marks must not share a colour with any code (negative and fuss are red), and
    a legend must say which colour is which code, tier by tier."""
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from synchrony_coder.reliability.report import _timeline

    events = pd.DataFrame(
        {
            "session": "s", "coder": ["ann", "ann", "ben", "ann", "ben"],
            "tier": ["infant_engagement"] * 3 + ["infant_bid"] * 2,
            "code": ["negative", "positive", "negative", "fuss", "smile"],
            "onset_s": [0.0, 5.0, 0.0, 2.0, 2.2], "offset_s": [5.0, 10.0, 10.0, np.nan, np.nan],
        }
    )  # fmt: skip
    spans = disagreement_spans(events, SCHEME)
    assert len(spans) == 2  # 5–10 s on the state tier, fuss vs smile on the point tier
    fig = _timeline(events, SCHEME, "s", spans)
    ax = fig.axes[0]
    code_colours = {
        mcolors.to_hex(c.color) for t in SCHEME.tier_names for c in SCHEME.tier(t).codes
    }
    # the disagreement marks: the only bars drawn below a row's centre band (y offset +0.42)
    marks = [
        c for c in ax.collections
        if any(abs(p.vertices[:, 1].min() % 1 - 0.42) < 1e-6 for p in c.get_paths())
    ]  # fmt: skip
    assert len(marks) == 2
    for mark in marks:
        colour = mcolors.to_hex(mark.get_facecolor()[0])
        near = [
            c for c in code_colours
            if np.abs(np.subtract(mcolors.to_rgb(c), mcolors.to_rgb(colour))).sum() < 0.3
        ]  # fmt: skip
        assert not near, f"disagreement drawn in {colour}, like the codes' {near}"
    legend = ax.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    for label in ("infant engagement:", "negative", "positive", "infant bid:", "fuss", "smile"):
        assert label in labels
    assert "disagreement" in labels
    plt.close(fig)


def test_cli_reliability_on_another_tools_file_says_convert_it(tmp_path, sample_dir):
    from synchrony_coder.interop import write_foreign

    events = read_events(sample_dir / "coder_bob.csv")
    write_foreign(events, tmp_path / "bob.eaf")
    res = run_cli("reliability", sample_dir / "coder_alice.csv", tmp_path / "bob.eaf")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "bob.eaf" in res.stderr and "ELAN" in res.stderr and "convert" in res.stderr
    # a Datavyu CSV: the suggested output must not be the input's own name
    dv = tmp_path / "bob.csv"
    dv.write_text('Infant.ordinal,Infant.onset,Infant.offset,Infant.code,\n1,0,4233,"pos",\n')
    res = run_cli("reliability", sample_dir / "coder_alice.csv", dv)
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    assert "Datavyu" in res.stderr and f"convert {dv} {dv}" not in res.stderr


def test_cli_sample_reliability_refuses_a_mistyped_path(tmp_path, sample_dir):
    """A path that does not exist is a typo, not a session id to draw."""
    missing = tmp_path / "sessions" / "s0l"
    res = run_cli("sample-reliability", sample_dir, missing, "--fraction", "1", "--seed", "1")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "s0l" in res.stderr
    assert res.stdout == ""
    res = run_cli("sample-reliability", "dyad07", "dyad08", "--fraction", "1", "--seed", "1")
    assert res.returncode == 0 and res.stdout.splitlines() == ["session", "dyad07", "dyad08"]


def test_cli_reliability_says_which_tier_a_coder_left_empty(tmp_path, sample_dir):
    lines = (sample_dir / "coder_bob.csv").read_text().splitlines(keepends=True)
    bob = tmp_path / "coder_bob.csv"
    bob.write_text("".join(ln for ln in lines if ",caregiver_response," not in ln))
    res = run_cli("reliability", sample_dir / "coder_alice.csv", bob)
    assert res.returncode == 0, res.stderr
    session = lines[1].split(",")[0]
    assert res.stderr == (
        f"session {session}, tier caregiver_response: bob coded nothing (only alice did): "
        "agreement on it is 0 by definition\n"
    )
    res = run_cli("reliability", sample_dir / "coder_alice.csv", sample_dir / "coder_bob.csv")
    assert res.returncode == 0 and res.stderr == ""
