# ruff: noqa: F811 - the test functions take the fixtures imported from test_gui
"""Consensus mode in the real window (pytest-qt, offscreen), driven by its keys.

Oracles: :func:`synchrony_coder.study.apply_decisions` and its log for the same decisions (the
library, tested against brute force in test_consensus.py), written by ``write_consensus`` for
the byte-level check; the events as they were before a decision, for undo.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PyQt6.QtCore import Qt

from synchrony_coder import load_scheme, read_events
from synchrony_coder.events import write_events
from synchrony_coder.gui.consensus_mode import ConsensusMode, open_consensus
from synchrony_coder.gui.consensus_view import DisagreementList
from synchrony_coder.gui.timecode import format_timecode
from synchrony_coder.session import CodingSession, events_to_frame, find_session
from synchrony_coder.simulate import SessionParams, simulate_coder, simulate_session
from synchrony_coder.study import apply_decisions, disagreements
from synchrony_coder.study.consensus import write_consensus
from synchrony_coder.study.deciding import decide, region_events
from test_gui import key, window  # noqa: F401 - fixtures

sys.path.insert(0, str(Path(__file__).parent))
from videogen import write_video  # noqa: E402

SCHEME = load_scheme()
FPS = 10
PARAMS = SessionParams(phases=(("play", 20.0), ("still_face", 20.0), ("reunion", 20.0)))
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
COLUMNS = ["tier", "code", "onset_s", "offset_s", "onset_frame", "offset_frame"]


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """60 s at 10 fps: the simulated sessions' length."""
    path = tmp_path_factory.mktemp("v") / "video.mp4"
    return write_video(path, "mpeg4_bframes_mp4", 60 * FPS, fps=FPS, gop=20)


def session_folder(root: Path, video: Path, a: pd.DataFrame, b: pd.DataFrame) -> Path:
    folder = root / "d01"
    folder.mkdir()
    (folder / "video.mp4").symlink_to(video)
    (folder / "session.toml").write_text('session = "d01"\n[[videos]]\npath = "video.mp4"\n')
    write_events(a, folder / "coder_ann.csv")
    write_events(b, folder / "coder_ben.csv")
    return folder


@pytest.fixture
def pair(tmp_path, video):
    truth = simulate_session(PARAMS, session="d01", seed=3)
    a, b = simulate_coder(truth, "ann", seed=1), simulate_coder(truth, "ben", seed=2)
    folder = session_folder(tmp_path, video, a, b)
    return folder, *(read_events(folder / f"coder_{c}.csv", SCHEME) for c in ("ann", "ben"))


def start(window, qtbot, folder: Path) -> ConsensusMode:
    assert open_consensus(window, folder, ("ann", "ben"))
    qtbot.waitUntil(
        lambda: window.document is not None and bool(window.document.findChild(ConsensusMode)),
        timeout=20000,
    )
    qtbot.waitUntil(window.timeline.canvas.isVisible)
    window.activateWindow()
    return window.document.findChild(ConsensusMode)


def consensus(window) -> pd.DataFrame:
    doc = window.document
    return events_to_frame(doc.session.events, "d01", "consensus")


def rows(df: pd.DataFrame) -> pd.DataFrame:
    out = df.reindex(columns=COLUMNS).sort_values(COLUMNS[:4]).reset_index(drop=True)
    return out.astype({"onset_frame": "Int64", "offset_frame": "Int64"})


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """The same events (tier, code, times, frames), whatever the order and the text dtype."""
    pd.testing.assert_frame_equal(rows(got), rows(want), check_dtype=False)


def test_consensus_of_two_identical_files_is_that_file(window, qtbot, tmp_path, video):
    truth = simulate_session(PARAMS, session="d01", seed=3)
    a = simulate_coder(truth, "ann", seed=1)
    folder = session_folder(tmp_path, video, a, a.assign(coder="ben"))
    mode = start(window, qtbot, folder)
    assert mode.spans.empty and mode.current is None
    assert "No disagreements" in mode.bar.where.text()
    assert "started as a copy of ann's coding" in mode.bar.title.text()  # it says so
    assert mode.choose("A") is False
    key(qtbot, window, Qt.Key.Key_S, CTRL)
    assert not window.isWindowModified()
    # oracle: the library's consensus of the same two files, written by write_consensus
    library = tmp_path / "library" / "d01"
    library.mkdir(parents=True)
    (library / "session.toml").write_text((folder / "session.toml").read_text())
    ann = read_events(folder / "coder_ann.csv", SCHEME)
    ben = read_events(folder / "coder_ben.csv", SCHEME)
    write_consensus(find_session(library, missing_ok=True), apply_decisions(ann, ben, {}))
    ours, theirs = (read_events(f / "coder_consensus.csv", SCHEME) for f in (folder, library))
    # the same events in the same order (the app writes its frame columns, empty here)
    pd.testing.assert_frame_equal(ours[list(theirs.columns)], theirs)
    pd.testing.assert_frame_equal(
        ours[list(ann.columns)].drop(columns="coder"),
        ann.sort_values(["onset_s", "tier"], kind="stable")
        .drop(columns="coder")
        .reset_index(drop=True),
    )
    name = "consensus_decisions.csv"
    assert (folder / name).read_bytes() == (library / name).read_bytes()


def test_decisions_by_key_give_the_librarys_consensus_undo_and_log(window, qtbot, pair):
    folder, a, b = pair
    mode = start(window, qtbot, folder)
    doc = window.document
    spans = disagreements(a, b, SCHEME)
    n = len(spans)
    assert n > 15 and mode.current == 0 and f"0 of {n} decided" in mode.bar.progress_text.text()
    assert f"Disagreement 1 of {n}" in mode.bar.where.text()
    assert mode.list.selectedItems()[0].row() == 0  # the list shows which one is current
    rng = np.random.default_rng(11)
    chosen: dict[int, object] = {}
    # an edit: in a state disagreement, a code key splits the running state inside its region
    edit_k, edit_frame, code_key = _an_edit_that_fits(doc, spans)
    mode.list.cellClicked.emit(edit_k, 0)
    assert mode.current == edit_k
    doc.seek(edit_frame)
    key(qtbot, window, code_key)
    chosen[edit_k] = events_to_frame(
        {i: e for i, e in enumerate(region_events(doc.session.events, mode.current_row))}, "d01",
        "consensus",
    )  # fmt: skip
    key(qtbot, window, Qt.Key.Key_3, CTRL)  # keep my edit
    assert mode.decided[edit_k] == "edited"
    # take A or B in time order (each decision moves on to the next one to decide)
    mode.go(0)
    undone = False
    while mode.current is not None and mode.current not in chosen:
        k = mode.current
        choice = "B" if not undone else "AB"[rng.integers(2)]
        before = consensus(window)
        key(qtbot, window, Qt.Key.Key_1 if choice == "A" else Qt.Key.Key_2, CTRL)
        chosen[k] = choice
        if not undone:  # undo withdraws the decision and its events; redo makes it again
            after = consensus(window)
            assert not rows(after).equals(rows(before)) and mode.current != k
            key(qtbot, window, Qt.Key.Key_Z, CTRL)
            assert (
                k not in mode.decided
                and f"{len(chosen) - 1} of {n}" in mode.bar.progress_text.text()
            )
            same(consensus(window), before)
            key(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)
            assert mode.decided[k] == choice
            same(consensus(window), after)
            undone = True
    assert len(mode.decided) == n and f"{n} of {n} decided" in mode.bar.progress_text.text()
    # changing one's mind: back two with Shift+F3, take the other coder's coding there
    mode.go(n - 1)
    key(qtbot, window, Qt.Key.Key_F3, SHIFT)
    key(qtbot, window, Qt.Key.Key_F3, SHIFT)
    k = n - 3
    assert mode.current == k
    if k != edit_k:
        other = "B" if chosen[k] == "A" else "A"
        key(qtbot, window, Qt.Key.Key_1 if other == "A" else Qt.Key.Key_2, CTRL)
        chosen[k] = other
    oracle = apply_decisions(a, b, chosen, SCHEME)
    same(consensus(window), oracle.events)
    key(qtbot, window, Qt.Key.Key_S, CTRL)
    saved = read_events(folder / "coder_consensus.csv", SCHEME)
    same(saved, oracle.events)
    log = pd.read_csv(folder / "consensus_decisions.csv")
    expected = pd.read_csv(io.StringIO(oracle.log.to_csv(index=False, float_format="%.3f")))
    pd.testing.assert_frame_equal(log, expected)
    # the saved consensus resumes with its log: every decision is there, nothing is copied
    assert window.close_document()
    mode = start(window, qtbot, folder)
    assert mode.decided == {k: c if isinstance(c, str) else "edited" for k, c in chosen.items()}
    assert "resumed coder_consensus.csv" in mode.bar.title.text()
    assert window.document.undo_stack.count() == 0


def _an_edit_that_fits(doc, spans):
    """A state disagreement, a frame inside its region where the running state ends inside it
    too, and the key of another code: pressing it splits that state inside the region."""
    events = doc.session.events
    for row in spans[spans["kind"] == "state"].itertuples():
        for frame in range(int(row.region_onset_s * FPS) + 1, int(row.region_offset_s * FPS)):
            t = doc.time_of(frame)
            cover = events.covering(row.tier, t)
            if not cover or not row.region_onset_s < t < row.region_offset_s:
                continue
            ev = events[cover[0]]
            if ev.offset_s <= row.region_offset_s and ev.onset_s < t:
                code = next(c for c in SCHEME.tier(row.tier).codes if c.name != ev.code)
                return int(row.disagreement), frame, getattr(Qt.Key, f"Key_{code.key}")
    raise AssertionError("no state disagreement fits an edit")


def test_decisions_made_before_a_crash_are_back(window, qtbot, pair):
    """Decisions are journalled with their events: a consensus left unsaved resumes with them."""
    folder, a, b = pair
    spans = disagreements(a, b, SCHEME)
    s = CodingSession.open(find_session(folder), "consensus")
    from synchrony_coder.study.deciding import copy_of

    s.apply(copy_of(a, "ann"))
    for k, choice in ((0, "B"), (2, "A"), (5, "B")):
        s.apply(decide(s.events, SCHEME, next(spans.iloc[[k]].itertuples()), choice, a, b))
    expected = dict(s.events)
    del s  # crashed: nothing saved
    mode = start(window, qtbot, folder)
    assert mode.decided == {0: "B", 2: "A", 5: "B"} and dict(window.document.session.events) == (
        expected
    )
    # it starts where the last decision was (the banner's "where you were"), at the first
    # undecided one from there (see the next test), not back at 1
    assert mode.current > 5 and window.isWindowModified()
    assert "the last run left unsaved (4 edits back)" in mode.bar.title.text()


def test_the_timeline_marks_the_current_disagreement_and_whom_the_consensus_follows(
    window, qtbot, pair
):
    folder, a, b = pair
    mode = start(window, qtbot, folder)
    row = mode.current_row
    assert mode.follows(row) == "A (ann)"  # a copy of A
    key(qtbot, window, Qt.Key.Key_2, CTRL)
    assert mode.follows(row) == "B (ben)"
    assert window.findChild(DisagreementList) is mode.list
    text = " ".join(lbl.text() for lbl in window.help.findChildren(type(window.banner)))
    for k in ("F3", "Shift+F3", "Ctrl+1", "Ctrl+2", "Ctrl+3", "Next disagreement"):
        assert k in text
    tracks = [t.label.strip() for t in window.timeline.canvas.tracks[:3]]
    assert tracks == ["infant engagement", "A · ann", "B · ben"]


def test_a_decisions_log_that_no_longer_fits_is_kept_and_a_bad_one_stops_it(window, qtbot, pair):
    folder, a, b = pair
    spans = disagreements(a, b, SCHEME)
    picks = {k: "A" for k in spans["disagreement"]}
    write_consensus(find_session(folder), apply_decisions(a, b, picks, SCHEME))
    log = folder / "consensus_decisions.csv"
    good = log.read_bytes()
    log.write_text(log.read_text().replace(",A,", ",perhaps,", 1))
    assert not open_consensus(window, folder, ("ann", "ben"))  # refused before anything opens
    assert window.errors == [f"{log}:2: choice: 'perhaps' is not A, B or edited"]
    assert window.document is None and log.read_text().count("perhaps") == 1
    log.write_bytes(good)
    changed = b[b["tier"] != "infant_bid"]
    write_events(changed, folder / "coder_ben.csv")  # ben changed his file since

    def places(table: pd.DataFrame) -> set:
        cols = ["tier", "region_onset_s", "region_offset_s", "code_a", "code_b"]
        return {tuple(r) for r in table[cols].round(3).itertuples(index=False)}

    gone = len(places(spans) - places(disagreements(a, changed, SCHEME)))
    assert gone > 0
    mode = start(window, qtbot, folder)
    assert f"{gone} decision(s) of consensus_decisions.csv match no disagreement" in (
        window.banner.text()
    )
    key(qtbot, window, Qt.Key.Key_2, CTRL)
    key(qtbot, window, Qt.Key.Key_S, CTRL)
    (aside,) = folder.glob("consensus_decisions.before-*.csv")
    assert aside.read_bytes() == good  # the log as it was, kept
    assert len(pd.read_csv(log)) == len(mode.decided)


def test_after_a_crash_it_starts_where_the_banner_says_the_coder_was(window, qtbot, pair):
    """The recovery banner names the playhead's time at the last change; consensus mode starts
    there, at the first undecided disagreement whose region holds that time or comes after it
    (oracle: the spans of ``disagreements`` in time order), not back at the first one."""
    from dataclasses import replace

    folder, a, b = pair
    spans = disagreements(a, b, SCHEME)
    s = CodingSession.open(find_session(folder), "consensus")
    from synchrony_coder.study.deciding import copy_of

    s.apply(copy_of(a, "ann"))
    later = spans.iloc[len(spans) // 2]  # the coder had got half way
    frame = int(later.region_onset_s * FPS) + 1
    for k in (0, 2):
        change = decide(s.events, SCHEME, next(spans.iloc[[k]].itertuples()), "B", a, b)
        s.apply(replace(change, frame=frame))
    del s  # crashed: nothing saved
    mode = start(window, qtbot, folder)
    doc = window.document
    t = doc.time_of(frame)
    want = next(
        k for k, r in enumerate(spans.itertuples()) if k not in (0, 2) and r.region_offset_s >= t
    )
    assert want > 1 and mode.current == want
    assert f"at {format_timecode(t)} where you were" in window.banner.text()
    row = mode.current_row
    inside = row.region_onset_s <= t <= row.region_offset_s
    assert doc.time == (t if inside else doc.time_of(doc.index_at(row.region_onset_s)))


def _shown_width(label) -> int:
    """The width of the text a label draws now (rich text laid out in its font, or the plain
    words it cuts)."""
    from PyQt6.QtGui import QTextDocument

    shown = label.shown_text()
    if shown != label.text():
        return label.fontMetrics().horizontalAdvance(shown)
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(shown)
    return int(doc.idealWidth())


@pytest.mark.parametrize("width", [1600, 1280])
def test_the_bars_texts_fit_their_place_or_are_cut_with_the_whole_as_tooltip(
    window, qtbot, pair, width
):
    """At 1600 and 1280 px, with the docks beside it, no text of the bar is drawn wider than its
    label (nor under the Take A button): a long one is cut with "…" and its tooltip holds all."""
    folder, _a, _b = pair
    window.resize(width, 1000)
    mode = start(window, qtbot, folder)
    bar = mode.bar
    qtbot.waitUntil(lambda: bar.where.width() > 0 and window.width() == width)
    assert bar.where.geometry().right() < bar.buttons["take_a"].geometry().left()
    cut = 0
    for label in (bar.title, bar.where, bar.codes):
        qtbot.waitUntil(lambda label=label: _shown_width(label) <= label.contentsRect().width())
        assert label.toolTip() and label.toolTip() in label.plain_text
        if label.shown_text().endswith("…"):
            cut += 1
            assert label.shown_text()[:-1].rstrip() in label.toolTip()
    assert "Disagreement 1 of" in bar.where.toolTip() and "infant" in bar.where.toolTip()
    if width == 1280:
        assert cut  # the docks leave the bar too little room for all of it


def test_undoing_a_decision_goes_back_to_it(window, qtbot, pair):
    """Ctrl+Z after a decision withdraws it and shows that disagreement again (to be decided
    anew), not the next one the decision had moved on to; the video is at its start."""
    folder, _a, _b = pair
    mode = start(window, qtbot, folder)
    doc = window.document
    assert mode.current == 0
    key(qtbot, window, Qt.Key.Key_2, CTRL)  # take B: decided, on to the next
    key(qtbot, window, Qt.Key.Key_1, CTRL)  # take A for that one too
    assert mode.current == 2 and set(mode.decided) == {0, 1}
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert mode.current == 1 and set(mode.decided) == {0}
    assert "Disagreement 2 of" in mode.bar.where.toolTip()
    assert doc.frame == doc.index_at(mode.current_row.region_onset_s)
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert mode.current == 0 and mode.decided == {}
    assert window.statusBar().currentMessage().startswith("Undid: ")
    key(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)  # redo: decided again, on to the next
    assert mode.current == 1 and set(mode.decided) == {0}
