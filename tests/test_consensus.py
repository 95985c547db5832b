"""Consensus of two coders: disagreements in time order, decisions applied.

Oracles: the coders' own files (two identical files give that file back, byte for byte); unit
labels found by scanning every event for the one covering the unit's midpoint (the reliability
tests' brute force, ``loop_labels``) for what the consensus must hold where A, B or neither was
chosen.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from synchrony_coder.events import format_events, read_events, write_events
from synchrony_coder.scheme import load_scheme
from synchrony_coder.session import find_session
from synchrony_coder.simulate import SessionParams, simulate_coder, simulate_session
from synchrony_coder.study import ConsensusError, apply_decisions, disagreements
from synchrony_coder.study.consensus import write_consensus
from test_reliability import loop_labels

SCHEME = load_scheme()
PARAMS = SessionParams(phases=(("play", 20.0), ("still_face", 20.0), ("reunion", 20.0)))


@pytest.fixture(scope="module")
def pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = simulate_session(PARAMS, session="d01", seed=3)
    return simulate_coder(truth, "ann", seed=1), simulate_coder(truth, "ben", seed=2)


def test_consensus_of_two_identical_files_is_that_file(tmp_path, pair):
    a, _ = pair
    folder = tmp_path / "d01"
    folder.mkdir()
    write_events(a, folder / "coder_ann.csv")
    ann = read_events(folder / "coder_ann.csv", SCHEME)
    assert disagreements(ann, ann.assign(coder="ben")).empty
    result = apply_decisions(ann, ann.assign(coder="ben"), {}, SCHEME)
    events_path, log_path = write_consensus(find_session(folder, missing_ok=True), result)
    expected = format_events(
        ann.sort_values(["onset_s", "tier"], kind="stable").assign(coder="consensus")
    )
    assert events_path.read_text() == expected
    assert (folder / "coder_ann.csv").read_text() == format_events(ann)  # in the app's order
    assert pd.read_csv(log_path).empty


def test_disagreements_come_in_time_order_with_their_regions(pair):
    a, b = pair
    d = disagreements(a, b, SCHEME)
    assert len(d) > 20 and d["disagreement"].tolist() == list(range(len(d)))
    assert d["onset_s"].is_monotonic_increasing
    state = d[d["kind"] == "state"]
    # a region holds its span and reaches at most one unit beyond it, to the coders' own times
    assert (state["region_onset_s"] <= state["onset_s"] + 1e-9).all()
    assert (state["region_offset_s"] >= state["offset_s"] - 1e-9).all()
    assert ((state["onset_s"] - state["region_onset_s"]) < 0.1).all()
    assert ((state["region_offset_s"] - state["offset_s"]) < 0.1).all()
    times = set(a["onset_s"]) | set(a["offset_s"]) | set(b["onset_s"]) | set(b["offset_s"])
    widened = state[state["region_onset_s"] < state["onset_s"] - 1e-9]
    assert len(widened) and widened["region_onset_s"].isin(times).all()


def test_taking_a_or_b_everywhere(pair):
    a, b = pair
    d = disagreements(a, b, SCHEME)
    all_a = apply_decisions(a, b, {k: "A" for k in d["disagreement"]}, SCHEME)
    cols = ["tier", "code", "onset_s", "offset_s"]

    def rows(df: pd.DataFrame) -> pd.DataFrame:
        return df[cols].sort_values(cols).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(all_a.events), rows(a))
    all_b = apply_decisions(a, b, {k: "B" for k in d["disagreement"]}, SCHEME)
    assert disagreements(all_b.events, b, SCHEME).empty  # B's coding everywhere it differed
    assert (all_b.log["choice"] == "B").all() and len(all_b.log) == len(d)
    assert set(all_b.events["coder"]) == {"consensus"} and set(all_b.events["session"]) == {"d01"}


def test_mixed_decisions_hold_the_chosen_coding_unit_by_unit(pair):
    a, b = pair
    d = disagreements(a, b, SCHEME)
    rng = np.random.default_rng(5)
    picks = {k: "AB"[rng.integers(2)] for k in d["disagreement"]}
    result = apply_decisions(a, b, picks, SCHEME)
    c = result.events
    for tier in ("infant_engagement", "caregiver_engagement"):
        end = max(
            a.loc[a["tier"] == tier, "offset_s"].max(), b.loc[b["tier"] == tier, "offset_s"].max()
        )
        n = math.ceil(round(end / 0.1, 9))
        la, lb, lc = (loop_labels(x, tier, x["coder"].iloc[0], n, 0.1) for x in (a, b, c))
        chosen = ["A"] * n
        for row in d[d["tier"] == tier].itertuples():
            for k in range(round(row.onset_s / 0.1), round(row.offset_s / 0.1)):
                chosen[k] = picks[row.disagreement]
        for k in range(n):
            assert lc[k] == (la[k] if chosen[k] == "A" else lb[k]), (tier, k)
    # point tiers: an event B alone coded is in only where B was taken, and vice versa
    for row in d[d["kind"] == "point"].itertuples():
        on = c[(c["tier"] == row.tier)]
        has_a = ((on["onset_s"] == row.onset_a) & (on["code"] == row.code_a)).any()
        has_b = ((on["onset_s"] == row.onset_b) & (on["code"] == row.code_b)).any()
        if picks[row.disagreement] == "A":
            assert has_a or row.code_a == "<nil>"
        else:
            assert has_b or row.code_b == "<nil>"
            assert not has_a or row.code_a == "<nil>" or row.onset_a == row.onset_b


def test_an_edited_decision_replaces_both_codings_in_its_region(pair):
    a, b = pair
    d = disagreements(a, b, SCHEME)
    target = d[(d["kind"] == "state") & (d["offset_s"] - d["onset_s"] >= 0.3)].iloc[0]
    cut = round(target.onset_s + 0.1, 3)
    edited = pd.DataFrame(
        {
            "code": [target.code_b, target.code_a],
            "onset_s": [target.region_onset_s - 5.0, cut],  # clipped to the region
            "offset_s": [cut, target.region_offset_s + 5.0],
        }
    )
    picks = {k: "A" for k in d["disagreement"]} | {target.disagreement: edited}
    result = apply_decisions(a, b, picks, SCHEME)
    on = result.events[result.events["tier"] == target.tier]
    inside = on[(on["onset_s"] < target.region_offset_s) & (on["offset_s"] > target.region_onset_s)]
    assert inside["code"].tolist()[-2:] == [target.code_b, target.code_a]
    assert cut in set(inside["offset_s"])
    assert result.log["disagreement"].tolist() == list(range(1, len(d) + 1))  # as the app counts
    log = result.log.set_index("disagreement").loc[target.disagreement + 1]
    assert log["choice"] == "edited" and target.code_b in log["consensus_codes"]


def test_undecided_or_bad_decisions_are_refused(pair):
    a, b = pair
    d = disagreements(a, b, SCHEME)
    with pytest.raises(ConsensusError, match=f"{len(d) - 1} of {len(d)} disagreements"):
        apply_decisions(a, b, {0: "A"}, SCHEME)
    picks = {k: "A" for k in d["disagreement"]}
    with pytest.raises(ConsensusError, match="choice 'C'"):
        apply_decisions(a, b, picks | {0: "C"}, SCHEME)
    state = d[d["kind"] == "state"].iloc[0]
    overlap = pd.DataFrame({"code": [state.code_a, state.code_b],
                            "onset_s": [state.region_onset_s] * 2,
                            "offset_s": [state.region_offset_s] * 2})  # fmt: skip
    with pytest.raises(ConsensusError, match="invalid consensus"):
        apply_decisions(a, b, picks | {state.disagreement: overlap}, SCHEME)


# -- the app's way: one decision at a time, as session edits -----------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_deciding_one_at_a_time_in_any_order_gives_apply_decisions(tmp_path, pair, seed):
    """Oracle: ``apply_decisions`` with the last decision on each disagreement. The app's way
    starts from a copy of A and applies one change per decision, in a random order, changing its
    mind on a third of them; every change undoes exactly (its inverse restores the events)."""
    from synchrony_coder.session import IndexedEvents, apply_change, events_to_frame
    from synchrony_coder.study.deciding import copy_of, decide

    def framed(t: pd.DataFrame) -> pd.DataFrame:  # frames, so that cut edges are checked too
        return t.assign(
            onset_frame=(t["onset_s"] * 25).round().astype("Int64"),
            offset_frame=(t["offset_s"] * 25).round().astype("Int64"),
        )

    for name, table in zip(("a", "b"), pair, strict=True):
        write_events(framed(table), tmp_path / f"{name}.csv")
    a, b = (read_events(tmp_path / f"{n}.csv", SCHEME) for n in ("a", "b"))
    spans = disagreements(a, b, SCHEME)
    rng = np.random.default_rng(seed)
    events = IndexedEvents()
    events.apply(copy_of(a, "ann"))
    decided: dict[int, str] = {}
    order = [*rng.permutation(len(spans)).tolist(), *rng.choice(len(spans), len(spans) // 3)]
    for k in order:
        row = next(spans.iloc[[int(k)]].itertuples())
        choice = "AB"[rng.integers(2)]
        before = events.snapshot()
        change = decide(events, SCHEME, row, choice, a, b, decided.get(int(k)))
        assert change.notes == ((change.notes[0][0], decided.get(int(k)), choice),)
        events.apply(change)
        assert apply_change(events.snapshot(), change.inverse()) == before
        decided[int(k)] = choice
    cols = ["tier", "code", "onset_s", "offset_s", "onset_frame", "offset_frame"]
    got = events_to_frame(events, "d01", "consensus")[cols].sort_values(cols[:4])
    want = apply_decisions(a, b, decided, SCHEME).events[cols].sort_values(cols[:4])
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )


def test_a_decisions_log_is_read_back_onto_the_disagreements(tmp_path, pair):
    from synchrony_coder.errors import DataError
    from synchrony_coder.study.deciding import read_log

    a, b = pair
    spans = disagreements(a, b, SCHEME)
    picks = {k: "AB"[k % 2] for k in spans["disagreement"]}
    folder = tmp_path / "d01"
    folder.mkdir()
    _, log = write_consensus(
        find_session(folder, missing_ok=True), apply_decisions(a, b, picks, SCHEME)
    )
    assert read_log(log, spans) == (picks, 0)
    assert (
        read_log(log, spans[spans["tier"] != "infant_bid"])[1]
        == (spans["tier"] == "infant_bid").sum()
    )  # rows of a changed file match nothing: counted, not guessed
    log.write_text(log.read_text().replace(",B,", ",maybe,", 1))
    with pytest.raises(DataError, match=r"consensus_decisions.csv:3: choice: 'maybe' is not A"):
        read_log(log, spans)
