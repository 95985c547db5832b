"""The same table with its text columns as Python strings, Arrow-backed strings or categories
gives identical metrics, sequential tables and reliability.

pandas ≥ 3 with pyarrow reads text as Arrow-backed ``str``; older pandas, or
``future.infer_string = False``, gives Python string objects; a reader that deduplicates strings
gives categories. The analyses code text columns differently for each (Arrow hashing, object
identity, category codes): the oracle here is the table of Python strings, each value a distinct
object (as a CSV reader makes them), analysed by the same functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow  # noqa: F401  (Arrow-backed strings need it)
import pytest

from synchrony_coder import load_scheme
from synchrony_coder.metrics import lagged_synchrony, session_metrics
from synchrony_coder.reliability import disagreement_spans, reliability_table
from synchrony_coder.sequential import lag_table, window_table
from synchrony_coder.simulate import CoderNoise, SessionParams, simulate_coder, simulate_session

TEXT = ("session", "coder", "tier", "code")
SCHEME = load_scheme()


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Two coders of five sessions, rows shuffled within each file-like block of a few sessions
    (runs of one session, coder and tier, as files have, and rows out of order)."""
    params = SessionParams(phases=(("play", 40.0), ("still_face", 20.0), ("reunion", 40.0)))
    noise = CoderNoise(boundary_sd_s=0.3, substitution=0.1)
    frames = []
    for s in range(5):
        truth = simulate_session(params, session=f"s{s}", seed=s)
        frames += [simulate_coder(truth, c, noise, seed=10 * s + k) for k, c in enumerate("ab")]
    events = pd.concat(frames, ignore_index=True)
    mixed = events.iloc[len(events) // 2 :].sample(frac=1.0, random_state=3)
    return pd.concat([events.iloc[: len(events) // 2], mixed], ignore_index=True)


def as_objects(events: pd.DataFrame) -> pd.DataFrame:
    out = events.copy()
    for c in TEXT:  # a new string object per cell, in object columns
        out[c] = pd.Series(
            np.array([str(v).encode().decode() for v in events[c]], dtype=object),
            index=events.index,
            dtype=object,
        )
    return out


def kinds(events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    arrow = events.astype({c: pd.StringDtype("pyarrow", na_value=np.nan) for c in TEXT})
    assert all(
        str(arrow[c].array.__arrow_array__().type) in ("string", "large_string") for c in TEXT
    )
    return {
        "arrow": arrow,
        "categorical": events.astype({c: "category" for c in TEXT}),
        "categorical, unused and reordered categories": events.astype(
            {
                c: pd.CategoricalDtype([*sorted(set(events[c]), reverse=True), "zz_unused"])
                for c in TEXT
            }
        ),
    }


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal tables, the text columns compared as their values."""
    text = [c for c in got.columns if not pd.api.types.is_numeric_dtype(got[c].dtype)]
    pd.testing.assert_frame_equal(
        got.astype({c: object for c in text}).reset_index(drop=True),
        want.astype({c: object for c in text}).reset_index(drop=True),
        check_dtype=False,
        check_categorical=False,
    )


ANALYSES = {
    "metrics": lambda ev: session_metrics(ev, SCHEME, by_phase=True),
    "lagged": lambda ev: lagged_synchrony(ev, SCHEME, by_phase=True),
    "lag": lambda ev: lag_table(
        ev, SCHEME, tiers=["infant_bid", "caregiver_response", "infant_engagement"], max_lag=2
    ),
    "window": lambda ev: window_table(
        ev,
        SCHEME,
        pairs=[
            ("infant_bid:*", "caregiver_response:*"),
            ("caregiver_response:soothe", "infant_engagement:positive"),
        ],
        window=(0.0, 2.0),
    ),
    "reliability": lambda ev: reliability_table(ev, SCHEME),
    "disagreements": lambda ev: disagreement_spans(
        ev[(ev["session"] == "s1").to_numpy()], SCHEME, coders=("a", "b")
    ),
}


@pytest.mark.parametrize("analysis", sorted(ANALYSES))
def test_python_arrow_and_categorical_text_give_identical_results(table, analysis):
    run = ANALYSES[analysis]
    want = run(as_objects(table))
    assert len(want)
    for kind, events in kinds(table).items():
        try:
            same(run(events), want)
        except AssertionError as exc:
            raise AssertionError(f"{analysis} of {kind} text differs") from exc


def test_large_tables_share_the_work_and_give_the_same_results(table, monkeypatch):
    """From ``PARALLEL_EVENTS`` events a second thread takes part of the work: the same tables."""
    import synchrony_coder.metrics.corpus as corpus

    small = {name: ANALYSES[name](table) for name in ("metrics", "lag", "window")}
    monkeypatch.setattr(corpus, "PARALLEL_EVENTS", 1)
    for name, want in small.items():
        same(ANALYSES[name](table), want)


def test_remembered_codes_follow_every_edit_of_an_arrow_table(table):
    """The codes of Arrow-backed text are remembered by the identity of the Arrow array: after a
    cell, a column or the row order changes, the analyses see the new table. Oracle: the same
    edited table as Python strings (never remembered)."""
    events = kinds(table)["arrow"]
    lag, window = ANALYSES["lag"], ANALYSES["window"]
    lag(events), window(events)  # remembered now
    bid = np.flatnonzero((events["tier"] == "infant_bid").to_numpy())
    events.loc[bid[0], "code"] = "fuss" if events.loc[bid[0], "code"] != "fuss" else "smile"
    events.loc[bid[1], "tier"] = "caregiver_response"
    events.loc[bid[1], "code"] = "soothe"
    events["session"] = events["session"].where(events["session"] != "s3", "s9")
    events.loc[events.index[-5:], "coder"] = "c"
    for run in (lag, window, ANALYSES["metrics"]):
        same(run(events), run(as_objects(events)))
    reordered = events.iloc[::-1].reset_index(drop=True)
    same(lag(reordered), lag(as_objects(reordered)))


def test_remembered_codes_are_shared_read_only_and_bounded(table):
    from synchrony_coder.metrics.text import _MEMO, group_ids, text_codes

    events = kinds(table)["arrow"]
    codes, names = text_codes(events["code"])
    again, _ = text_codes(events["code"])
    assert again is codes  # remembered, not coded again
    with pytest.raises(ValueError):
        codes[0] = 1
    g, groups, _ = group_ids(events)
    groups.loc[0, "session"] = "edited"  # a caller's own copy
    assert group_ids(events)[1].loc[0, "session"] == table.loc[0, "session"]
    for _ in range(3 * _MEMO._size):  # tables come and go: no more than `size` entries stay
        copy = events.astype({"code": object}).astype({"code": events["code"].dtype})
        text_codes(copy["code"])
    assert len(_MEMO._entries) <= _MEMO._size


@pytest.mark.parametrize(("n_tiers", "n_codes"), [(3, 5), (20, 30), (5, 300)])
def test_code_rows_finds_each_codes_rows_in_table_order(n_tiers, n_codes):
    """Missing tiers and codes, and pair numbers that fit 8 and 16 bits, against a mask per
    (tier, code)."""
    from synchrony_coder.metrics.text import code_rows

    rng = np.random.default_rng(n_codes)
    t, c = rng.integers(-1, n_tiers, 3000), rng.integers(-1, n_codes, 3000)
    tiers = np.array([f"t{i}" for i in range(n_tiers)], dtype=object)
    codes = np.array([f"c{i}" for i in range(n_codes)], dtype=object)
    events = pd.DataFrame(
        {"tier": np.where(t < 0, None, tiers[t]), "code": np.where(c < 0, None, codes[c])},
        dtype=object,
    )
    order, spans = code_rows(events)
    for i in range(n_tiers):
        for j in range(n_codes):
            want = np.flatnonzero((t == i) & (c == j))
            a, b = spans.get((tiers[i], codes[j]), (0, 0))
            np.testing.assert_array_equal(order[a:b], want)
    assert sum(b - a for a, b in spans.values()) == ((t >= 0) & (c >= 0)).sum()
