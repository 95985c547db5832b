"""The Qt-free session model: pure edits and their inverses, continuous coding, journal, recovery.

Oracles: continuous coding is checked against a per-frame brute-force replay of the key presses
(the code shown at a frame is the last key pressed at or before it, a repeated key ends the state);
validity against ``check_table`` (the rules of ``validate``); files against ``read_events``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synchrony_coder import load_scheme, read_events
from synchrony_coder.events import check_table, write_events
from synchrony_coder.session import (
    Change,
    CodingSession,
    EditError,
    Event,
    SessionError,
    add_event,
    apply_change,
    close_state,
    covering_state,
    delete_event,
    find_session,
    move_offset,
    move_onset,
    set_code,
    start_state,
)
from synchrony_coder.session.edits import events_to_frame
from synchrony_coder.session.journal import journal_path, replay_journal
from synchrony_coder.simulate import SessionParams, simulate_session

FPS = 25.0
N_FRAMES = 500
END = N_FRAMES / FPS
SCHEME = load_scheme()


def t(frame: int) -> float:
    return round(frame / FPS, 3)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "video.mp4").write_bytes(b"not decoded here")
    (tmp_path / "session.toml").write_text(
        'session = "s09"\nscheme = "default"\n[[videos]]\npath = "video.mp4"\noffset_s = 0.0\n'
    )
    return tmp_path


def press(events, code_tier: str, code: str, frame: int):
    """What a coder's key press does (the GUI's rule): the running code's key closes it."""
    cover = covering_state(events, code_tier, t(frame))
    if cover is not None and events[cover].code == code:
        return close_state(events, SCHEME, code_tier, t(frame), frame)
    return start_state(events, SCHEME, code_tier, code, t(frame), frame, END, N_FRAMES)


# -- pure operations --------------------------------------------------------------------------
def test_add_point_and_undo():
    ch = add_event({}, SCHEME, "infant_bid", "reach", 1.2345, 31)
    ev = apply_change({}, ch)
    assert list(ev.values()) == [Event("infant_bid", "reach", 1.234, None, 31, None)]
    assert apply_change(ev, ch.inverse()) == {}
    assert ch.focus == 0


@pytest.mark.parametrize(
    ("tier", "code", "offset", "msg"),
    [
        ("infant_bid", "nope", None, "unknown code"),
        ("infant_bid", "reach", 3.0, "must be empty"),
        ("infant_engagement", "positive", None, "needs an offset"),
        ("infant_engagement", "positive", 0.5, "not after onset"),
    ],
)
def test_add_rejects_what_validate_rejects(tier, code, offset, msg):
    with pytest.raises(EditError, match=msg):
        add_event({}, SCHEME, tier, code, 1.0, None, offset)


def test_exclusive_overlap_rejected_and_touching_allowed():
    ev = apply_change({}, add_event({}, SCHEME, "phase", "play", 0.0, 0, 10.0, 250))
    with pytest.raises(EditError, match="overlaps"):
        add_event(ev, SCHEME, "phase", "reunion", 9.0, None, 12.0)
    ok = add_event(ev, SCHEME, "phase", "reunion", 10.0, 250, 12.0, 300)
    ev = apply_change(ev, ok)
    with pytest.raises(EditError, match="overlaps"):
        move_onset(ev, SCHEME, 1, 9.96)
    with pytest.raises(EditError, match="not after onset"):
        move_offset(ev, SCHEME, 1, 10.0)
    with pytest.raises(EditError, match="unknown code"):
        set_code(ev, SCHEME, 1, "positive")


def test_edits_and_their_inverses():
    ev = apply_change({}, add_event({}, SCHEME, "phase", "play", 0.0, 0, 10.0, 250))
    ev = apply_change(ev, add_event(ev, SCHEME, "infant_bid", "smile", 2.0, 50))
    for ch in (
        set_code(ev, SCHEME, 0, "reunion"),
        move_onset(ev, SCHEME, 0, 1.0, 25),
        move_offset(ev, SCHEME, 0, 12.0, 300),
        move_onset(ev, SCHEME, 1, 3.0, 75),
        delete_event(ev, 1),
    ):
        after = apply_change(ev, ch)
        assert after != ev
        assert apply_change(after, ch.inverse()) == ev
    with pytest.raises(EditError, match="point tier"):
        move_offset(ev, SCHEME, 1, 4.0)


def test_start_state_splits_the_running_state_and_recodes_at_its_onset():
    ev = apply_change({}, start_state({}, SCHEME, "phase", "play", 0.0, 0, END, N_FRAMES))
    assert ev[0] == Event("phase", "play", 0.0, END, 0, N_FRAMES)
    ch = start_state(ev, SCHEME, "phase", "still_face", 4.0, 100, END, N_FRAMES)
    ev2 = apply_change(ev, ch)
    assert ev2[0].offset_s == 4.0 and ev2[0].offset_frame == 100
    assert ev2[1] == Event("phase", "still_face", 4.0, END, 100, N_FRAMES)
    assert apply_change(ev2, ch.inverse()) == ev
    # pressing another code at the same frame recodes instead of making an empty event
    ev3 = apply_change(ev2, start_state(ev2, SCHEME, "phase", "reunion", 4.0, 100, END, N_FRAMES))
    assert sorted(e.code for e in ev3.values()) == ["play", "reunion"]
    # before a later event, a new state fills the gap up to it
    gap = apply_change(ev3, close_state(ev3, SCHEME, "phase", 2.0, 50))
    filled = apply_change(gap, start_state(gap, SCHEME, "phase", "reunion", 3.0, 75, END, 500))
    new = [e for e in filled.values() if e.onset_s == 3.0][0]
    assert (new.offset_s, new.offset_frame) == (4.0, 100)
    with pytest.raises(EditError, match="no state"):
        close_state(gap, SCHEME, "phase", 2.5, 62)


def test_close_at_onset_removes_the_empty_state():
    ev = apply_change({}, start_state({}, SCHEME, "phase", "play", 1.0, 25, END, N_FRAMES))
    assert apply_change(ev, close_state(ev, SCHEME, "phase", 1.0, 25)) == {}


presses = st.lists(
    st.tuples(st.integers(0, N_FRAMES - 1), st.sampled_from(["negative", "object", "positive"])),
    min_size=1,
    max_size=25,
)


@settings(max_examples=30, deadline=None)
@given(presses)
def test_live_coding_matches_per_frame_replay(keys):
    """Keys pressed while playing forward: the frame's code is the last key pressed (oracle)."""
    keys = sorted(keys, key=lambda k: k[0])
    ev: dict = {}
    changes = []
    oracle = np.full(N_FRAMES, "", dtype=object)
    running = ""
    last = 0
    for frame, code in keys:
        oracle[last:frame] = running
        running = "" if code == running else code
        last = frame
        ch = press(ev, "infant_engagement", code, frame)
        changes.append(ch)
        ev = apply_change(ev, ch)
    oracle[last:] = running
    got = np.full(N_FRAMES, "", dtype=object)
    for e in ev.values():
        got[e.onset_frame : e.offset_frame] = e.code
        assert e.onset_s == t(e.onset_frame)
    assert (got == oracle).all()
    assert check_table(events_to_frame(ev, "s", "c"), SCHEME) == []
    for ch in reversed(changes):
        ev = apply_change(ev, ch.inverse())
    assert ev == {}


@settings(max_examples=20, deadline=None)
@given(presses)
def test_coding_in_any_order_stays_valid(keys):
    """Keys pressed after seeking back and forth never produce an invalid table."""
    ev: dict = {}
    for frame, code in keys:
        ev = apply_change(ev, press(ev, "infant_engagement", code, frame))
        assert check_table(events_to_frame(ev, "s", "c"), SCHEME) == []


# -- manifest ---------------------------------------------------------------------------------
def test_manifest_folder_and_bare_videos(folder, tmp_path_factory):
    spec = find_session(folder)
    assert spec.session == "s09" and spec.scheme == "default"
    assert [v.path.name for v in spec.videos] == ["video.mp4"]
    assert spec.events_path("ann") == folder / "coder_ann.csv"
    assert spec.videos[0].offset_s == 0.0 and spec.videos[0].view == ""
    (folder / "session.toml").unlink()
    assert find_session(folder).session == folder.name
    (folder / "video.proxy.mp4").write_bytes(b"")  # a proxy is not a camera of its own
    assert [v.path.name for v in find_session(folder).videos] == ["video.mp4"]
    (folder / "video.proxy.mp4").unlink()
    bare = find_session([folder / "video.mp4"])
    assert bare.session == "video" and bare.events_path("ann").name == "video.coder_ann.csv"
    with pytest.raises(SessionError, match="no video"):
        find_session(tmp_path_factory.mktemp("empty"))
    with pytest.raises(SessionError, match="coder name"):
        spec.events_path("../evil")


def test_manifest_errors_name_the_field(folder):
    (folder / "session.toml").write_text('[[videos]]\npath = "missing.mp4"\n')
    with pytest.raises(SessionError, match=r"videos\[0\]: missing.mp4 not found"):
        find_session(folder)
    (folder / "session.toml").write_text("videos = [")
    with pytest.raises(SessionError, match="cannot read the manifest"):
        find_session(folder)


# -- session, journal, recovery ---------------------------------------------------------------
def test_save_writes_the_csv_and_clean_reopen(folder):
    s = CodingSession.open(find_session(folder), "ann")
    assert not s.dirty and s.recovered == 0
    seen = []
    s.subscribe(seen.append)
    s.apply(add_event(s.events, s.scheme, "infant_bid", "reach", 1.0, 25))
    s.apply(start_state(s.events, s.scheme, "phase", "play", 0.0, 0, 20.0, 500))
    assert s.dirty and len(seen) == 2
    s.save()
    assert not s.dirty
    df = read_events(folder / "coder_ann.csv", SCHEME)
    assert df[["session", "coder", "tier", "code"]].values.tolist() == [
        ["s09", "ann", "phase", "play"],
        ["s09", "ann", "infant_bid", "reach"],
    ]
    assert df["onset_frame"].tolist() == [0, 25] and df["offset_s"].iloc[0] == 20.0
    s.close()
    assert not journal_path(folder / "coder_ann.csv").exists()
    again = CodingSession.open(find_session(folder), "ann")
    assert again.recovered == 0 and len(again.events) == 2 and not again.dirty
    assert find_session(folder).coders() == ["ann"]


def test_crash_recovers_every_change(folder):
    s = CodingSession.open(find_session(folder), "ann")
    s.apply(add_event(s.events, s.scheme, "infant_bid", "reach", 1.0, 25))
    s.save()
    s.apply(add_event(s.events, s.scheme, "caregiver_response", "touch", 1.5, 37))
    ch = set_code(s.events, s.scheme, 0, "smile")
    s.apply(ch)
    s.apply(ch.inverse())  # an undo is a change too
    s.apply(delete_event(s.events, 0))
    expected = dict(s.events)
    del s  # crash: no save, no close
    r = CodingSession.open(find_session(folder), "ann")
    assert r.recovered == 4 and r.dirty and dict(r.events) == expected
    # a torn last line (killed mid-write) is ignored; later appends still recover
    with open(journal_path(folder / "coder_ann.csv"), "a") as fh:
        fh.write('{"label":"add","rows":[[7,{"tier"')
    r2 = CodingSession.open(find_session(folder), "ann")
    assert dict(r2.events) == expected
    r2.apply(add_event(r2.events, r2.scheme, "infant_bid", "gaze", 3.0, 75))
    r3 = CodingSession.open(find_session(folder), "ann")
    assert len(r3.events) == len(expected) + 1


def test_stale_journal_is_not_applied_twice(folder):
    """A crash between the atomic CSV write and the journal reset must not duplicate events."""
    s = CodingSession.open(find_session(folder), "ann")
    s.apply(add_event(s.events, s.scheme, "infant_bid", "reach", 1.0, 25))
    write_events(s.frame().reset_index(drop=True), s.path)  # the CSV is saved, journal not reset
    r = CodingSession.open(find_session(folder), "ann")
    assert r.recovered == 0 and len(r.events) == 1


def test_discard_and_export(folder, tmp_path_factory):
    s = CodingSession.open(find_session(folder), "ann")
    s.apply(add_event(s.events, s.scheme, "infant_bid", "reach", 1.0, 25))
    out = tmp_path_factory.mktemp("x") / "export.csv"
    s.save(out)
    assert s.dirty and len(read_events(out, SCHEME)) == 1
    s.close(discard=True)
    r = CodingSession.open(find_session(folder), "ann")
    assert len(r.events) == 0 and r.recovered == 0


def test_round_trip_keeps_extra_columns_and_simulated_session(folder):
    truth = simulate_session(session="s09", seed=3)
    truth["comment"] = "c"
    truth.loc[truth.index[0], "comment"] = 'has, "quotes"'
    path = folder / "coder_truth.csv"
    write_events(truth.assign(coder="truth"), path)
    s = CodingSession.open(find_session(folder), "truth")
    assert len(s.events) == len(truth)
    s.apply(delete_event(s.events, 0))
    s.save()
    back = read_events(path, SCHEME)
    assert len(back) == len(truth) - 1 and "comment" in back.columns
    header = replay_journal(journal_path(path).read_bytes(), "").header
    assert header["base"] != "none"


def test_non_exclusive_state_tier_overlaps_per_code(tmp_path):
    scheme_file = tmp_path / "gestures.toml"
    scheme_file.write_text(
        'name = "gestures"\n[[tiers]]\nname = "gesture"\nkind = "state"\nexclusive = false\n'
        'codes = [{ name = "point", key = "P" }, { name = "clap", key = "C" }]\n'
    )
    sch = load_scheme(scheme_file)
    ev = apply_change({}, start_state({}, sch, "gesture", "point", 1.0, 25, END, N_FRAMES))
    ev = apply_change(ev, start_state(ev, sch, "gesture", "clap", 2.0, 50, END, N_FRAMES))
    assert sorted((e.code, e.onset_s, e.offset_s) for e in ev.values()) == [
        ("clap", 2.0, END),
        ("point", 1.0, END),
    ]  # both run at once: the tier is not exclusive
    ev = apply_change(ev, close_state(ev, sch, "gesture", 3.0, 75, code="point"))
    assert sorted((e.code, e.offset_s) for e in ev.values()) == [("clap", END), ("point", 3.0)]
    # a new 'point' before a later 'point' lasts until that one starts
    ev = apply_change(ev, start_state(ev, sch, "gesture", "point", 0.2, 5, END, N_FRAMES))
    early = [e for e in ev.values() if e.onset_s == 0.2][0]
    assert (early.offset_s, early.offset_frame) == (1.0, 25)


# -- incremental validation and the sorted index ------------------------------------------------
def _random_edit(rng, events, scheme):
    """One random operation with random arguments, many of them invalid: (operation, args)."""
    ids = sorted(events)
    tier = scheme.tiers[int(rng.integers(len(scheme.tiers)))]
    codes = [*tier.code_names, "positive", "reach"]  # sometimes a code of another tier
    code = codes[int(rng.integers(len(codes)))]
    when = round(float(rng.integers(-2, 40 * 25)) / 25, 3)  # a 40-s session on a 25-fps grid
    later = round(when + float(rng.integers(-5, 100)) / 25, 3)
    pick = ids[int(rng.integers(len(ids)))] if ids else None
    kind = int(rng.integers(8)) if pick is not None else int(rng.integers(3))
    if kind == 0:
        offset = later if tier.is_state or rng.random() < 0.1 else None
        return add_event, (scheme, tier.name, code, when, None, offset)
    if kind == 1:
        return start_state, (scheme, tier.name, code, when, None, 40.0, 1000)
    if kind == 2:
        return close_state, (scheme, tier.name, when, None, code if rng.random() < 0.3 else None)
    if kind == 3:
        return set_code, (scheme, pick, code)
    if kind in (4, 5):
        ev = events[pick]
        near = round(ev.onset_s + float(rng.integers(-30, 30)) / 25, 3)  # across neighbours
        return move_onset, (scheme, pick, near if rng.random() < 0.8 else when)
    if kind == 6:
        ev = events[pick]
        return move_offset, (scheme, pick, round(ev.onset_s + float(rng.integers(-5, 60)) / 25, 3))
    return delete_event, (pick,)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_incremental_validation_says_what_validate_says(seed):
    """Oracle: ``check_table`` of the whole table after the unchecked change (``validate``'s rules
    and messages, lines of the saved CSV); the indexed events against brute-force queries."""
    import synchrony_coder.session.edits as edits
    from synchrony_coder.session.index import IndexedEvents

    rng = np.random.default_rng(seed)
    params = SessionParams(phases=(("play", 20.0), ("reunion", 20.0)), fps=FPS)
    truth = simulate_session(params, seed=seed % 1000)
    plain = edits.events_from_frame(truth)
    live = IndexedEvents(plain)
    refused = 0
    for _ in range(40):
        operation, args = _random_edit(rng, plain, SCHEME)
        unchecked = edits.checked
        edits.checked = lambda _events, _scheme, change: change
        try:
            raw = operation(dict(plain), *args)
        except EditError:
            raw = None  # refused before any table check (no state to close, point offset...)
        finally:
            edits.checked = unchecked
        if raw is not None and raw.rows:
            problems = check_table(events_to_frame(apply_change(plain, raw), "s", "c"), SCHEME)
        else:
            problems = []
        try:
            change = operation(live, *args)
        except EditError as exc:
            if raw is not None:
                p = problems[0]
                assert str(exc) == f"{raw.label}: {p.column + ': ' if p.column else ''}{p.message}"
            refused += 1
            continue
        assert problems == [] and change == raw
        live.apply(change)
        plain = apply_change(plain, change)
        assert dict(live) == plain
    assert refused  # the random edits do try invalid things
    # the indexes against brute force
    order = sorted(plain, key=lambda i: (plain[i].onset_s, plain[i].tier, i))
    assert [live.row(i) for i in order] == list(range(len(order)))
    assert [i for i, _ in live.ordered()] == order
    for tier in SCHEME.tier_names:
        for t in np.round(rng.uniform(-1, 41, 20), 3):
            covering = [i for i in order if plain[i].tier == tier and plain[i].covers(t)]
            assert sorted(live.covering(tier, t)) == sorted(covering)
            after = [plain[i] for i in order if plain[i].tier == tier and plain[i].onset_s > t]
            assert live.next_after(tier, t) == (after[0] if after else None)
            end = t + 2.5
            meeting = [
                i
                for i in order
                if plain[i].tier == tier
                and plain[i].onset_s <= end
                and (plain[i].offset_s if plain[i].offset_s is not None else plain[i].onset_s) >= t
            ]
            assert live.meeting(tier, t, end) == meeting
    assert live.next_id == max(plain, default=-1) + 1


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_comparison_follows_edits_as_disagreement_spans_would(seed):
    """Oracle: ``reliability.disagreement_spans`` of both coders' whole tables after each edit."""
    import pandas as pd

    from synchrony_coder.reliability import disagreement_spans
    from synchrony_coder.session.comparison import Comparison
    from synchrony_coder.session.edits import events_from_frame
    from synchrony_coder.session.index import IndexedEvents
    from synchrony_coder.simulate import simulate_coder

    rng = np.random.default_rng(seed)
    truth = simulate_session(SessionParams(phases=(("play", 20.0), ("reunion", 20.0)), fps=FPS))
    ours = IndexedEvents(events_from_frame(simulate_coder(truth, "ann", seed=seed % 97, fps=FPS)))
    theirs = simulate_coder(truth, "bob", seed=seed % 89 + 1, fps=FPS)
    comparison = Comparison(ours, theirs, SCHEME)
    spans = 0
    for _ in range(25):
        want = disagreement_spans(
            pd.concat([events_to_frame(ours, "s01", "ann"), theirs], ignore_index=True),
            SCHEME,
            coders=("ann", "bob"),
        )
        pd.testing.assert_frame_equal(comparison.table(), want)
        spans += len(want)
        while True:
            operation, args = _random_edit(rng, ours, SCHEME)
            try:
                change = operation(ours, *args)
                break
            except EditError:
                continue
        ours.apply(change)
        comparison.update(change)
    assert spans  # there were disagreements to follow


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_comparison_realigns_only_blocks_near_an_edit_as_a_whole_alignment_would(seed):
    """Oracle: the point tiers aligned whole (``reliability.disagreement_spans``) after each of many
    edits of point events (moves across neighbours, recodes, additions, deletions), with blocks
    of 2 events so that most edits meet a few blocks and some change how the traceback leaves
    them."""
    import synchrony_coder.session.comparison as comparison_module
    from synchrony_coder.session.comparison import Comparison
    from synchrony_coder.session.edits import events_from_frame
    from synchrony_coder.session.index import IndexedEvents
    from synchrony_coder.simulate import CoderNoise, simulate_coder

    rng = np.random.default_rng(seed)
    params = SessionParams(
        phases=(("play", 30.0), ("reunion", 30.0)), bid_rate_per_min=20.0, fps=FPS
    )
    truth = simulate_session(params, seed=seed % 1000)
    noise = CoderNoise(boundary_sd_s=0.4, substitution=0.2)
    ours = IndexedEvents(events_from_frame(simulate_coder(truth, "ann", noise, seed=seed % 97)))
    theirs = simulate_coder(truth, "bob", noise, seed=seed % 89 + 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(comparison_module, "BLOCK_EVENTS", 2)
        comparison = Comparison(ours, theirs, SCHEME)
        _edit_points(rng, ours, theirs, comparison)
    assert max(len(b) for b in comparison._blocks.values()) > 5  # blocks, not one whole tier


def _edit_points(rng, ours, theirs, comparison) -> None:
    import pandas as pd

    from synchrony_coder.reliability import disagreement_spans

    points = [t for t in SCHEME.tiers if not t.is_state]
    for step in range(40):
        tier = points[int(rng.integers(len(points)))]
        ids = ours.tier_ids(tier.name)
        when = round(float(rng.integers(0, 60 * 25)) / 25, 3)
        code = tier.code_names[int(rng.integers(len(tier.code_names)))]
        kind = int(rng.integers(4)) if ids else 0
        pick = ids[int(rng.integers(len(ids)))] if ids else None
        if kind == 0:
            try:
                change = add_event(ours, SCHEME, tier.name, code, when)
            except EditError:
                continue
        elif kind == 1:
            change = set_code(ours, SCHEME, pick, code)
        elif kind == 2:
            near = max(round(ours[pick].onset_s + float(rng.integers(-40, 40)) / 25, 3), 0.0)
            change = move_onset(ours, SCHEME, pick, near)
        else:
            change = delete_event(ours, pick)
        ours.apply(change)
        comparison.update(change)
        if step % 4 == 3:
            want = disagreement_spans(
                pd.concat([events_to_frame(ours, "s01", "ann"), theirs], ignore_index=True),
                SCHEME,
                coders=("ann", "bob"),
            )
            pd.testing.assert_frame_equal(comparison.table(), want)


def test_comparison_realigns_earlier_blocks_when_the_traceback_leaves_an_edit_another_way():
    """Ours: smile 0.0, smile 0.3, reach 2.5, gaze 5.0; theirs: smile 0.2, gaze 5.0 (blocks of
    one event: {0.0, 0.3 | 0.2}, {2.5}, {5.0 | 5.0}). With both gazes paired, the traceback enters
    the first block at its corner and pairs smile 0.3; once our gaze is deleted it arrives on that
    block's last row with their gaze to pass, leaves smile 0.3 unpaired and pairs smile 0.0,
    though the edit is more than a tolerance from that block. Oracle: the whole alignment."""
    import pandas as pd

    import synchrony_coder.session.comparison as comparison_module
    from synchrony_coder.reliability import disagreement_spans
    from synchrony_coder.session.comparison import Comparison
    from synchrony_coder.session.index import IndexedEvents

    def frame(coder, rows):
        return pd.DataFrame(
            [("s01", coder, "infant_bid", c, t, np.nan) for c, t in rows],
            columns=["session", "coder", "tier", "code", "onset_s", "offset_s"],
        )

    theirs = frame("bob", [("smile", 0.2), ("gaze", 5.0)])
    plain = {
        k: Event("infant_bid", c, t)
        for k, (c, t) in enumerate([("smile", 0.0), ("smile", 0.3), ("reach", 2.5), ("gaze", 5.0)])
    }
    ours = IndexedEvents(plain)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(comparison_module, "BLOCK_EVENTS", 1)
        comparison = Comparison(ours, theirs, SCHEME)
        before = comparison.table()
        change = delete_event(ours, 3)
        ours.apply(change)
        comparison.update(change)
    whole = disagreement_spans(
        pd.concat([events_to_frame(ours, "s01", "ann"), theirs], ignore_index=True),
        SCHEME,
        coders=("ann", "bob"),
    )
    pd.testing.assert_frame_equal(comparison.table(), whole)
    unpaired = whole[whole["code_b"] == "<nil>"]["onset_a"].tolist()
    assert 0.0 in before[before["code_b"] == "<nil>"]["onset_a"].tolist()
    assert unpaired == [0.3, 2.5]


# -- boundaries: roll edits and plain words -----------------------------------------------------
def _phase_tier(rng) -> dict[int, Event]:
    """Random phase states in 0.1-s steps, most sharing a boundary with the next, some not."""
    events, t_ = {}, round(float(rng.integers(0, 5)) / 10, 3)
    for i in range(int(rng.integers(2, 7))):
        end = round(t_ + float(rng.integers(1, 40)) / 10, 3)
        events[i] = Event("phase", str(rng.choice(["play", "still_face", "reunion"])), t_, end)
        t_ = end if rng.random() < 0.7 else round(end + float(rng.integers(1, 10)) / 10, 3)
    return events


def _expected_drag(events, i, edge, t_, roll) -> dict[int, Event]:
    """The events after the drag, from the definition: at a boundary shared with a neighbour a
    roll moves both sides; one side only moves the side the pointer moves into; else the edge."""
    ev = events[i]
    at = ev.onset_s if edge == "onset" else ev.offset_s
    meets = [
        j
        for j, other in events.items()
        if j != i and (other.offset_s == at if edge == "onset" else other.onset_s == at)
    ]
    moves = [(i, edge)]
    if meets:
        facing = (meets[0], "offset" if edge == "onset" else "onset")
        into_other = t_ < at if edge == "onset" else t_ > at
        moves = [(i, edge), facing] if roll else [facing] if into_other else [(i, edge)]
    out = dict(events)
    for j, side in moves:
        key = "onset_s" if side == "onset" else "offset_s"
        out[j] = Event(**{**out[j].__dict__, key: t_})
    return out


@pytest.mark.parametrize("seed", range(4))
def test_dragging_a_boundary_moves_what_the_definition_says_or_refuses_in_plain_words(seed):
    """Oracle: the moved events built from the definition; valid exactly when ``check_table``
    (the rules of ``validate``) finds nothing wrong with them; undo restores the events."""
    from synchrony_coder.session import MoveRefused, move_boundary

    rng = np.random.default_rng(seed)
    for _ in range(60):
        events = _phase_tier(rng)
        i = int(rng.integers(len(events)))
        edge = str(rng.choice(["onset", "offset"]))
        at = events[i].onset_s if edge == "onset" else events[i].offset_s
        t_ = round(max(at + float(rng.integers(-30, 31)) / 10, 0.0), 3)  # a drag near the edge
        roll = bool(rng.random() < 0.6)
        if t_ == at:
            continue
        want = _expected_drag(events, i, edge, t_, roll)
        valid = not check_table(events_to_frame(want, "s", "c"), SCHEME)
        if not valid:
            with pytest.raises(MoveRefused, match=r"^Can't move (the (start|end) of|the boundary)"):
                move_boundary(events, SCHEME, i, edge, t_, roll=roll)
            continue
        change = move_boundary(events, SCHEME, i, edge, t_, roll=roll)
        assert apply_change(events, change) == want
        assert apply_change(want, change.inverse()) == events
        assert len(change.rows) == sum(want[j] != events[j] for j in events)  # one change


def test_a_refused_move_says_what_overlaps_in_plain_words():
    from synchrony_coder.gui.timecode import format_timecode
    from synchrony_coder.session import MoveRefused, move_boundary

    events = {
        0: Event("phase", "play", 0.0, 20.0),
        1: Event("phase", "still_face", 20.0, 45.033),
        2: Event("phase", "reunion", 50.0, 60.0),
    }
    with pytest.raises(MoveRefused) as refused:
        move_boundary(events, SCHEME, 2, "onset", 40.0)  # not shared: the gap before reunion
    assert refused.value.words(format_timecode) == (
        "Can't move the start of 'reunion' to 00:00:40.000: it would overlap 'still_face' "
        "(ends 00:00:45.033). Move the end of 'still_face' first."
    )
    assert str(refused.value).startswith("Can't move the start of 'reunion' to 40.000 s")
    with pytest.raises(MoveRefused, match="'play' would vanish \\(it starts at 0.000 s\\)"):
        move_boundary(events, SCHEME, 0, "offset", 0.0)
    rolled = move_boundary(events, SCHEME, 1, "onset", 30.0)  # the boundary play | still_face
    assert [(i, a.onset_s, a.offset_s) for i, _, a in rolled.rows] == [
        (1, 30.0, 45.033),
        (0, 0.0, 30.0),
    ]


# -- notes and the playhead in the journal ------------------------------------------------------
def test_notes_and_the_playhead_are_journaled_undone_and_recovered(folder):
    from dataclasses import replace

    s = CodingSession.open(find_session(folder), "ann")
    s.apply(replace(add_event(s.events, s.scheme, "infant_bid", "reach", 1.0, 25), frame=25))
    s.save()
    assert not s.dirty
    decide = Change("take B", (), (("consensus 0", None, "B"),))
    s.apply(replace(decide, frame=40))
    assert s.dirty and s.notes == {"consensus 0": "B"}  # a note alone is unsaved work
    s.apply(decide.inverse())
    assert not s.dirty and s.notes == {"consensus 0": None}
    s.apply(replace(decide, frame=61))
    s.apply(replace(add_event(s.events, s.scheme, "infant_bid", "gaze", 2.0, 50), frame=50))
    del s  # crash
    r = CodingSession.open(find_session(folder), "ann")
    assert r.recovered == 4 and r.dirty and r.notes == {"consensus 0": "B"}
    assert r.recovered_frame == 50 and r.recovered_time == 2.0
    changes = replay_journal(journal_path(folder / "coder_ann.csv").read_bytes(), "x").changes
    assert changes == ()  # written against the saved CSV only
    raw = journal_path(folder / "coder_ann.csv").read_text().splitlines()
    import json

    records = [json.loads(line.split(" ", 1)[1]) for line in raw[1:]]
    # the new keys are additions: label, rows and base are as version 2 always wrote them
    assert [sorted(r) for r in records] == [
        ["base", "frame", "label", "notes", "rows"],
        ["base", "label", "notes", "rows"],
        ["base", "frame", "label", "notes", "rows"],
        ["base", "frame", "label", "rows"],
    ]
    r.close()
