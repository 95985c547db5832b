"""The real coding window, driven offscreen with pytest-qt.

Frames shown are identified by the barcode each test-video frame carries (``videogen``), so
stepping is checked against the picture on screen, not against the player's own counter. Saved
files are checked with ``read_events`` (the validating reader), recovery against what a killed
coding process reported as applied.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QImage

from synchrony_coder import load_scheme, read_events
from synchrony_coder.gui.app import make_app
from synchrony_coder.gui.main_window import MainWindow
from synchrony_coder.gui.timecode import format_timecode
from synchrony_coder.gui.timeline import RULER_H, TRACK_H
from synchrony_coder.session import CodingSession, apply_change, find_session
from synchrony_coder.session.journal import read_journal

sys.path.insert(0, str(Path(__file__).parent))
from videogen import read_barcode, write_video  # noqa: E402

FPS = 25
N_FRAMES = 75
SCHEME = load_scheme()


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return write_video(
        tmp_path_factory.mktemp("v") / "video.mp4", "h264_bframes_mp4", N_FRAMES, fps=FPS, gop=12
    )


@pytest.fixture
def folder(tmp_path, video) -> Path:
    d = tmp_path / "s07"
    d.mkdir()
    (d / "video.mp4").write_bytes(video.read_bytes())
    (d / "session.toml").write_text('session = "s07"\n[[videos]]\npath = "video.mp4"\n')
    return d


@pytest.fixture
def window(qtbot):
    make_app()
    w = MainWindow()
    w.confirm_close = lambda: "discard"  # no modal question when pytest-qt closes the window
    w.errors = []
    w.report_error = w.errors.append
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def open_in(window, qtbot, folder, coder="ann"):
    assert window.open_session([folder], coder=coder)
    assert window.document is None  # videos open in a worker thread: the window stays live
    # the new central widget is shown by a queued call once the session is installed
    qtbot.waitUntil(
        lambda: window.document is not None and window.timeline.canvas.isVisible(), timeout=20000
    )
    window.activateWindow()
    window.setFocus()
    return window.document


def shown(window, view: int = 0) -> int | None:
    """The frame number drawn on the screen's video view (read from its barcode)."""
    image = window.player.views[view].image
    if image is None:
        return None
    img: QImage = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    arr = np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, : 3 * w]
    return read_barcode(arr.reshape(h, w, 3))


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window, k, mod)


def test_step_both_ways_shows_the_right_frame(window, qtbot, folder):
    doc = open_in(window, qtbot, folder)
    assert shown(window) == 0 and "00:00:00.000" in window.player.transport.frame_label.text()
    for _ in range(5):
        key(qtbot, window, Qt.Key.Key_Right)
    assert doc.frame == 5 and shown(window) == 5
    key(qtbot, window, Qt.Key.Key_Left)
    key(qtbot, window, Qt.Key.Key_Left)
    assert shown(window) == 3
    key(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # +1 s
    assert doc.frame == 3 + FPS and shown(window) == 3 + FPS
    assert "00:00:01.120" in window.player.transport.frame_label.text()
    key(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)  # -5 s: clipped
    assert shown(window) == 0
    window.go_to("2s")
    assert shown(window) == 2 * FPS
    window.go_to("f70")
    assert shown(window) == 70


def test_a_proxy_is_played_in_the_videos_place(window, qtbot, folder):
    from synchrony_coder.video.proxy import make_proxy

    make_proxy(folder / "video.mp4", gop=5)
    doc = open_in(window, qtbot, folder)
    assert "video.proxy.mp4" in window.player.views[0].label
    window.go_to("f61")
    assert doc.frame == 61 and shown(window) == 61
    key(qtbot, window, Qt.Key.Key_Left)
    assert shown(window) == 60


def test_make_proxies_from_the_menu(window, qtbot, folder):
    from types import SimpleNamespace

    from synchrony_coder.gui.main_window import _slow_seek_hint

    open_in(window, qtbot, folder)
    window.actions["proxy"].trigger()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=30000)
    assert "video.proxy.mp4" in window.banner.text() and not window.errors
    maker = window._proxy_maker  # its last progress, then done: the progress is not left shown
    maker.progress.emit("video.mp4", 9, 9)
    assert window.statusBar().currentMessage() == "Making a proxy of video.mp4: 9/9 frames"
    maker.made.emit([folder / "video.proxy.mp4"])
    assert window.statusBar().currentMessage() == ""
    assert (folder / "video.proxy.mp4").exists()
    assert window.close_document()
    open_in(window, qtbot, folder)
    assert "video.proxy.mp4" in window.player.views[0].label
    window.go_to("f33")
    assert shown(window) == 33
    # a camera file with a keyframe every 8.6 s gets a hint on opening; its proxy does not
    slow = SimpleNamespace(index=SimpleNamespace(keyframe_interval_s=60.0 / 7))
    assert "every 8.6 s" in _slow_seek_hint(
        [(SimpleNamespace(**vars(slow), path=Path("a.mp4")), 0)]
    )
    assert _slow_seek_hint([(SimpleNamespace(**vars(slow), path=Path("a.proxy.mp4")), 0)]) == ""
    both = _slow_seek_hint(  # every slow camera is named, not only the first
        [(SimpleNamespace(**vars(slow), path=Path(n)), 0) for n in ("face.mp4", "room.mts")]
    )
    assert "face.mp4 (a keyframe every 8.6 s), room.mts (a keyframe every 8.6 s) have" in both


def test_two_cameras_play_in_sync(window, qtbot, folder, video):
    (folder / "cam2.mp4").write_bytes(video.read_bytes())
    (folder / "session.toml").write_text(
        'session = "s07"\n[[videos]]\npath = "video.mp4"\n'
        '[[videos]]\npath = "cam2.mp4"\noffset_s = 0.5\nview = "caregiver"\n'
    )
    doc = open_in(window, qtbot, folder)
    assert len(window.player.views) == 2 and "caregiver" in window.player.views[1].label
    # the second camera started 0.5 s late: at 1.6 s (frame 40) it shows its own 1.1 s, frame 27
    window.go_to("f40")
    assert (shown(window, 0), shown(window, 1)) == (40, 27)
    key(qtbot, window, Qt.Key.Key_Right)
    assert (shown(window, 0), shown(window, 1)) == (41, 28)
    window.go_to("f5")  # 0.2 s: before the second camera's first frame, no picture there
    assert shown(window, 0) == 5 and window.player.views[1].image is None
    assert doc.frame == 5


def test_the_cameras_share_one_frame_memory_budget(window, qtbot, folder, video):
    """The setting is the app's budget: each of the session's cameras gets its share (oracle: the
    video library's own capacity for that share)."""
    from synchrony_coder.gui import settings
    from synchrony_coder.video import open_video

    for k in (2, 3):
        (folder / f"cam{k}.mp4").write_bytes(video.read_bytes())
    (folder / "session.toml").write_text(
        'session = "s07"\n'
        + "".join(
            f'[[videos]]\npath = "{name}"\n' for name in ("video.mp4", "cam2.mp4", "cam3.mp4")
        )
    )
    assert settings.frame_cache_mib() == settings.DEFAULT_FRAME_CACHE_MIB
    settings.set_frame_cache_mib(96)
    doc = open_in(window, qtbot, folder)
    alone, whole = open_video(video, cache_mib=32), open_video(video, cache_mib=96)
    try:
        assert [src.cache_capacity for src, _ in doc.videos] == [alone.cache_capacity] * 3
        assert whole.cache_capacity > alone.cache_capacity  # (a share, not the whole budget)
    finally:
        alone.close()
        whole.close()


def talk_video(path: Path) -> Path:
    """One second of black 64×48 picture at FPS with one second of silent AAC sound."""
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=16000)
        for _ in range(FPS):
            f = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            out.mux(v.encode(f))
        out.mux(v.encode(None))
        sound = av.AudioFrame.from_ndarray(np.zeros((1, 16000), np.float32), "fltp", "mono")
        sound.sample_rate, sound.pts = 16000, 0
        out.mux(a.encode(sound))
        out.mux(a.encode(None))
    return path


def test_sound_plays_only_at_normal_speed(window, qtbot, tmp_path):
    path = talk_video(tmp_path / "talk.mp4")
    open_in(window, qtbot, path)
    label = window.player.transport.audio
    assert window.audio is not None and label.text() == "sound"
    window.clock.set_speed(2.0)
    assert label.text() == "muted" and not window.audio.audible


def test_playing_moves_forward_and_a_step_pauses(window, qtbot, folder):
    doc = open_in(window, qtbot, folder)
    window.clock.set_speed(4.0)
    key(qtbot, window, Qt.Key.Key_Space)
    assert window.clock.playing
    qtbot.waitUntil(lambda: doc.frame > 10, timeout=10000)
    key(qtbot, window, Qt.Key.Key_R)  # coding while playing: the bid lands on the shown frame
    (bid,) = doc.session.events.values()
    assert bid.onset_s == doc.time_of(bid.onset_frame) and bid.onset_frame > 10
    key(qtbot, window, Qt.Key.Key_Right)
    assert not window.clock.playing
    here = doc.frame
    assert shown(window) == here


def test_code_by_keys_edit_undo_redo_and_save(window, qtbot, folder):
    doc = open_in(window, qtbot, folder)
    assert not window.isWindowModified()
    window.go_to("f10")
    key(qtbot, window, Qt.Key.Key_5)  # infant_engagement positive starts at frame 10
    key(qtbot, window, Qt.Key.Key_Q)  # infant_bid vocalize (point)
    window.go_to("f30")
    key(qtbot, window, Qt.Key.Key_3)  # object: positive ends at 30, object starts
    window.go_to("f50")
    key(qtbot, window, Qt.Key.Key_3, Qt.KeyboardModifier.KeypadModifier)  # keypad 3 = 3 again:
    # the running code's key ends it at 50
    assert window.isWindowModified()
    df = doc.session.frame()
    got = df[["tier", "code"]].values.tolist()
    frames = df[["onset_frame", "offset_frame"]].fillna(-1).astype(int).values.tolist()
    assert got == [
        ["infant_bid", "vocalize"],
        ["infant_engagement", "positive"],
        ["infant_engagement", "object"],
    ]
    assert frames == [[10, -1], [10, 30], [30, 50]]
    assert df["onset_s"].tolist() == [0.4, 0.4, 1.2]
    # the table: edit the bid's onset to 1.0 s (snaps to frame 25), refuse a bad offset
    table = window.events_table
    model = table.model()
    bid_row = table.row_of(df.index[df["tier"] == "infant_bid"][0])
    assert model.setData(model.index(bid_row, 2), "1.01")
    bid = [e for e in doc.session.events.values() if e.tier == "infant_bid"][0]
    assert (bid.onset_s, bid.onset_frame) == (1.0, 25)
    obj_id = [i for i, e in doc.session.events.items() if e.code == "object"][0]
    assert not model.setData(model.index(table.row_of(obj_id), 3), "0.5")
    assert "not after onset" in window.statusBar().currentMessage()
    assert model.setData(model.index(table.row_of(obj_id), 1), "monitor")
    assert doc.session.events[obj_id].code == "monitor"
    # undo the recode and the move, redo the move
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.session.events[obj_id].code == "object"
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [e.onset_frame for e in doc.session.events.values() if e.tier == "infant_bid"] == [10]
    key(
        qtbot,
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert [e.onset_frame for e in doc.session.events.values() if e.tier == "infant_bid"] == [25]
    # selecting a row selects the event; Delete removes it, Ctrl+Z brings it back
    table.selectRow(table.row_of(obj_id))
    assert doc.selected == obj_id
    key(qtbot, window, Qt.Key.Key_Delete)
    assert obj_id not in doc.session.events and doc.selected is None
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.session.events[obj_id].code == "object"
    # double-click in the table seeks to the event
    table.doubleClicked.emit(model.index(table.row_of(obj_id), 0))
    assert doc.frame == 30 and shown(window) == 30
    key(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.isWindowModified()
    saved = read_events(folder / "coder_ann.csv", SCHEME)
    assert saved[["session", "coder"]].drop_duplicates().values.tolist() == [["s07", "ann"]]
    rows = saved[["tier", "code", "onset_s", "offset_s"]].fillna(-1).values.tolist()
    assert rows == [
        ["infant_engagement", "positive", 0.4, 1.2],
        ["infant_bid", "vocalize", 1.0, -1],
        ["infant_engagement", "object", 1.2, 2.0],
    ]


def test_timeline_click_seeks_and_drag_moves_an_edge(window, qtbot, folder):
    doc = open_in(window, qtbot, folder)
    canvas = window.timeline.canvas
    window.go_to("f20")
    key(qtbot, window, Qt.Key.Key_Z)  # phase play from frame 20 to the end
    play_id = next(iter(doc.session.events))
    y = RULER_H + SCHEME.tier_names.index("phase") * TRACK_H + TRACK_H // 2
    x_onset = int(round(canvas.x_of(doc.session.events[play_id].onset_s)))
    x_target = int(round(canvas.x_of(doc.time_of(40))))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x_onset, y))
    assert doc.selected == play_id
    rows = window.events_table.selectionModel().selectedRows()  # the table follows
    assert [window.events_table.event_at(r.row()) for r in rows] == [play_id]
    qtbot.mouseMove(canvas, QPoint(x_target, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x_target, y))
    ev = doc.session.events[play_id]
    assert ev.onset_frame == 40 and ev.onset_s == doc.time_of(40)
    # click an empty stretch of the infant track: seek there, deselect
    y_bid = RULER_H + SCHEME.tier_names.index("infant_bid") * TRACK_H + TRACK_H // 2
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x_onset, y_bid))
    assert doc.selected is None and doc.frame == 20 and shown(window) == 20


def _drag(qtbot, canvas, x0: int, x1: int, y: int, mod=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, mod, QPoint(x0, y))
    qtbot.mouseMove(canvas, QPoint((x0 + x1) // 2, y))
    qtbot.mouseMove(canvas, QPoint(x1, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, mod, QPoint(x1, y))


def test_dragging_a_shared_boundary_rolls_both_sides_and_shift_moves_one(window, qtbot, folder):
    from PyQt6.QtWidgets import QToolTip

    doc = open_in(window, qtbot, folder)
    canvas = window.timeline.canvas
    window.go_to("f20")
    key(qtbot, window, Qt.Key.Key_Z)  # play from frame 20 to the end
    window.go_to("f45")
    key(qtbot, window, Qt.Key.Key_X)  # still face from 45: play ends there
    play, still = sorted(doc.session.events, key=lambda i: doc.session.events[i].onset_s)
    y = RULER_H + SCHEME.tier_names.index("phase") * TRACK_H + TRACK_H // 2

    def x(frame: int) -> int:
        return int(round(canvas.x_of(doc.time_of(frame))))

    def spans():
        evs = doc.session.events
        return [(evs[i].onset_frame, evs[i].offset_frame) for i in (play, still)]

    qtbot.mouseMove(canvas, QPoint(x(45), y))  # hovering says what a drag does, and the key
    assert "'play' and 'still_face' (both sides)" in canvas.toolTip()
    assert "Shift+drag: move one side only" in canvas.toolTip()
    n = doc.undo_stack.count()
    _drag(qtbot, canvas, x(45), x(30), y)
    assert spans() == [(20, 30), (30, N_FRAMES)] and doc.undo_stack.count() == n + 1
    doc.undo_stack.undo()  # one undo puts both sides back
    assert spans() == [(20, 45), (45, N_FRAMES)]
    doc.undo_stack.redo()
    _drag(qtbot, canvas, x(30), x(38), y, Qt.KeyboardModifier.ShiftModifier)  # into still face
    assert spans() == [(20, 30), (38, N_FRAMES)]  # it shrinks; play keeps its end: a gap
    # not shared any more: a start dragged over play is refused, in plain words at the pointer
    _drag(qtbot, canvas, x(38), x(25), y)
    said = (
        "Can't move the start of 'still_face' to 00:00:01.000: it would overlap 'play' "
        "(ends 00:00:01.200). Move the end of 'play' first."
    )
    assert spans() == [(20, 30), (38, N_FRAMES)]
    assert window.statusBar().currentMessage() == said
    qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text() == said)
    key(qtbot, window, Qt.Key.Key_F1)  # the modifier is in the shortcut sheet too
    text = " ".join(lbl.text() for lbl in window.help.findChildren(type(window.banner)))
    assert "Shift+drag" in text and "roll edit" in text


def test_close_asks_only_when_unsaved(window, qtbot, folder):
    asked = []
    window.confirm_close = lambda: asked.append(1) or "cancel"
    open_in(window, qtbot, folder)
    assert window.close_document() and asked == []
    doc = open_in(window, qtbot, folder)
    key(qtbot, window, Qt.Key.Key_W)
    assert not window.close_document() and asked == [1] and window.document is doc
    window.confirm_close = lambda: "save"
    assert window.close_document()
    assert len(read_events(folder / "coder_ann.csv", SCHEME)) == 1


def test_recovery_is_announced(window, qtbot, folder):
    s = CodingSession.open(find_session(folder), "ann")
    from synchrony_coder.session import add_event

    s.apply(add_event(s.events, s.scheme, "infant_bid", "reach", 0.4, 10))
    added = add_event(s.events, s.scheme, "infant_bid", "gaze", 0.8, 20)
    s.apply(added)
    s.apply(added.inverse())  # undone: an edit that leaves one event changed in all
    del s  # crashed without saving
    doc = open_in(window, qtbot, folder)
    assert len(doc.session.events) == 1
    qtbot.waitUntil(window.banner.isVisible)  # a new central widget is shown by a queued event
    text = window.banner.text()
    assert "Recovered 3 unsaved edits (undos included)" in text
    assert "1 event now differs from coder_ann.csv" in text
    assert window.isWindowModified()


def test_recovered_edits_that_cancel_out_are_said_to(window, qtbot, folder):
    s = CodingSession.open(find_session(folder), "ann")
    from synchrony_coder.session import add_event

    added = add_event(s.events, s.scheme, "infant_bid", "reach", 0.4, 10)
    s.apply(added)
    s.apply(added.inverse())
    del s
    open_in(window, qtbot, folder)
    qtbot.waitUntil(window.banner.isVisible)
    assert "Recovered 2 unsaved edits" in window.banner.text()
    assert "together they leave the events as coder_ann.csv has them" in window.banner.text()
    assert not window.isWindowModified()


def test_help_overlay_lists_every_key(window, qtbot, folder):
    open_in(window, qtbot, folder)
    key(qtbot, window, Qt.Key.Key_F1)
    assert window.help.isVisible()
    text = " ".join(lbl.text() for lbl in window.help.findChildren(type(window.banner)))
    for code_key in SCHEME.key_map():
        assert f"<b>{code_key}</b>" in text
    for k in ("Space", "Ctrl+Z", "Ctrl+Shift+Z", "Left", "F1", "running code"):
        assert k in text
    key(qtbot, window.help, Qt.Key.Key_5)  # a key closes the sheet and codes nothing
    assert not window.help.isVisible() and not window.document.session.events


def test_compare_with_a_second_coder(window, qtbot, folder):
    other = folder / "coder_bob.csv"
    other.write_text(
        "session,coder,tier,code,onset_s,offset_s\n"
        "s07,bob,infant_engagement,positive,0.4,2.0\ns07,bob,infant_bid,reach,1.0,\n"
    )
    doc = open_in(window, qtbot, folder)
    assert window.compare_with("bob")
    assert doc.comparison_coder == "bob" and len(doc.comparison) == 2
    assert window.timeline.canvas.minimumHeight() > 22 + 5 * 26


KILLED = textwrap.dedent(
    """
    import hashlib, os, sys
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QTimer, Qt
    from PyQt6.QtTest import QTest
    from synchrony_coder.gui.app import make_app
    from synchrony_coder.gui.main_window import MainWindow

    app = make_app()
    w = MainWindow()
    w.show()
    w.open_session([sys.argv[1]], coder="ann")
    keys = [Qt.Key.Key_Q, Qt.Key.Key_5, Qt.Key.Key_A, Qt.Key.Key_3, Qt.Key.Key_W] * 100
    state = {"n": 0}

    def step():
        if w.document is None or not w.isActiveWindow():  # shortcuts need the active window
            w.activateWindow()
            return
        doc = w.document
        doc.seek(state["n"] % doc.frame_count)
        before = doc.undo_stack.count()
        QTest.keyClick(w, keys[state["n"]])
        if doc.undo_stack.count() > before:
            state_hash = hashlib.sha1(repr(sorted(doc.session.events.items())).encode())
            print("applied", len(doc.session.events), doc.undo_stack.count(),
                  state_hash.hexdigest(), doc.frame, flush=True)
        state["n"] += 1

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(20)
    app.exec()
    """
)


def test_a_killed_coding_process_loses_nothing_it_showed(window, qtbot, folder, tmp_path):
    """SIGKILL mid-session; reopening recovers every change the process reported as applied,
    and the window opens at the frame where the coder made the last of them."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(folder)], stdout=subprocess.PIPE, text=True, env=env
    )
    reported = []
    try:
        for line in proc.stdout:
            reported.append(line.split())
            if len(reported) >= 12:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
    assert len(reported) >= 12
    last_changes = int(reported[-1][2])
    # the journal's first changes rebuild exactly the events the process showed at each report
    changes = read_journal(folder / "coder_ann.csv")
    assert len(changes) >= last_changes >= 12
    for line in reported:
        n, digest = int(line[2]), line[3]
        events = {}
        for change in changes[:n]:
            events = apply_change(events, change)
        assert hashlib.sha1(repr(sorted(events.items())).encode()).hexdigest() == digest
    for line in reported:  # each change carries the playhead's frame when it was made
        assert changes[int(line[2]) - 1].frame == int(line[4])
    session = CodingSession.open(find_session(folder), "ann")
    assert session.recovered == len(changes)
    assert session.recovered_frame == changes[-1].frame is not None
    assert not (folder / "coder_ann.csv").exists()  # nothing was saved: all came from the journal
    session.close()
    doc = open_in(window, qtbot, folder)
    assert doc.frame == changes[-1].frame > 0
    qtbot.waitUntil(lambda: shown(window) == doc.frame)  # the picture too, not only the counter
    assert format_timecode(doc.time) in window.banner.text()


def test_settings_remember_coder_and_recent_sessions(window, qtbot, folder):
    from synchrony_coder.gui import settings

    open_in(window, qtbot, folder, coder="zoe")
    assert settings.coder_name() == "zoe" and settings.recent_sessions()[0] == str(folder)
    assert Path(os.environ["SYNCHRONY_CODER_SETTINGS"]).exists()  # the test's own file
    assert window.close_document()
    assert settings.app_settings().value("windowState") is not None  # the layout is kept
    assert str(folder) in window.welcome.text()  # the start page links the recent session
    window.welcome.linkActivated.emit(str(folder))  # no coder given: the remembered one
    qtbot.waitUntil(lambda: window.document is not None, timeout=20000)
    assert window.document.session.coder == "zoe"


def test_demo_copy_is_a_working_session(tmp_path):
    from synchrony_coder.cli.gui import demo_copy

    folder = demo_copy(tmp_path)
    spec = find_session(folder)
    assert spec.session == "s01" and len(spec.videos) >= 1
    assert {"alice", "bob"} <= set(spec.coders())
    session = CodingSession.open(spec, "alice")
    assert len(session.events) > 0 and session.recovered == 0


def test_cli_lists_gui_and_demo():
    out = subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", "gui", "--help"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "--coder" in out.stdout and "SESSION_DIR" in out.stdout


def test_bad_files_are_reported_not_crashed(window, qtbot, folder):
    (folder / "coder_ann.csv").write_text(
        "session,coder,tier,code,onset_s,offset_s\ns07,ann,x,y,1,\n"
    )
    assert not window.open_session([folder], coder="ann")
    assert "unknown tier 'x'" in window.errors[-1] and window.document is None
    (folder / "video.mp4").write_bytes(b"\x00garbage" * 100)
    assert window.open_session([folder], coder="bob")  # the video opens in the worker...
    qtbot.waitUntil(lambda: len(window.errors) == 2, timeout=20000)
    assert "video.mp4" in window.errors[-1] and window.document is None  # ...and fails there


def test_metrics_panel_shows_the_sessions_metrics_per_phase(window, qtbot, folder):
    """The panel shows what ``session_metrics`` computes for the events being coded, per phase."""
    from synchrony_coder.metrics import session_metrics

    doc = open_in(window, qtbot, folder)
    window.go_to("f0")
    key(qtbot, window, Qt.Key.Key_Z)  # phase: play
    key(qtbot, window, Qt.Key.Key_5)  # infant positive
    key(qtbot, window, Qt.Key.Key_0)  # caregiver positive: matched
    window.go_to("f25")
    key(qtbot, window, Qt.Key.Key_6)  # caregiver negative: mismatched from 1 s
    window.go_to("f50")
    key(qtbot, window, Qt.Key.Key_Z)  # close the phase
    key(qtbot, window, Qt.Key.Key_5)
    key(qtbot, window, Qt.Key.Key_6)  # close both states at 2 s
    want = session_metrics(doc.session.frame(), doc.session.scheme, by_phase=True)
    table = window.metrics.table

    def shown():
        if table.isHidden() or table.columnCount() != 2:
            return None
        rows = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
        return table.item(rows.index("matched fraction"), 1).text()

    qtbot.waitUntil(lambda: shown() is not None, timeout=5000)
    assert [table.horizontalHeaderItem(c).text() for c in range(2)] == ["all", "play"]
    assert want["matched_fraction"].tolist() == [0.5, 0.5]
    assert shown() == "0.50"
    assert doc.session.events  # the panel never edits


def test_disagreements_are_recomputed_after_each_edit(window, qtbot, folder):
    """Red marks come from ``reliability.disagreement_spans`` and follow every edit."""
    (folder / "coder_bob.csv").write_text(
        "session,coder,tier,code,onset_s,offset_s\ns07,bob,infant_bid,reach,1.0,\n"
    )
    doc = open_in(window, qtbot, folder)
    assert window.compare_with("bob")
    spans = doc.disagreements
    assert spans[["tier", "onset_s", "code_a", "code_b"]].values.tolist() == [
        ["infant_bid", 1.0, "<nil>", "reach"]
    ]
    told = []
    doc.disagreementsChanged.connect(told.append)
    window.go_to("f10")
    key(qtbot, window, Qt.Key.Key_Q)  # vocalize at 0.4 s: within 1 s of bob's reach, other code
    assert doc.disagreements[["onset_s", "code_a", "code_b"]].values.tolist() == [
        [0.4, "vocalize", "reach"]
    ]
    assert [set(t) for t in told] == [{"infant_bid"}]  # only the tier the edit touched
    window.go_to("f30")
    key(qtbot, window, Qt.Key.Key_5)  # a state: its units relabelled, its tier's spans updated
    assert set(told[-1]) == {"infant_engagement"} and told[-1]["infant_engagement"][0] <= 1.2
    assert doc.disagreements["tier"].tolist() == ["infant_engagement", "infant_bid"]
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.disagreements["code_a"].tolist() == ["<nil>"]
    window.timeline.canvas.grab()  # paints the marks without error


# -- edits are incremental: row-level model signals, partial repaints ----------------------------
def _coded(folder: Path) -> None:
    """A coder's file: 18 bids every 4 frames, engagement states, one phase."""
    rows = ["session,coder,tier,code,onset_s,offset_s,onset_frame,offset_frame"]
    bids = ["vocalize", "reach", "gaze", "smile", "fuss"]
    for k, frame in enumerate(range(2, 72, 4)):
        rows.append(f"s07,ann,infant_bid,{bids[k % 5]},{frame / FPS:.3f},,{frame},")
    for code, f0, f1 in (("positive", 0, 10), ("object", 10, 25), ("monitor", 30, 50)):
        rows.append(f"s07,ann,infant_engagement,{code},{f0 / FPS:.3f},{f1 / FPS:.3f},{f0},{f1}")
    rows.append(f"s07,ann,phase,play,0.000,{N_FRAMES / FPS:.3f},0,{N_FRAMES}")
    (folder / "coder_ann.csv").write_text("\n".join(rows) + "\n")


def test_an_edit_changes_its_rows_and_keeps_sort_selection_and_scroll(window, qtbot, folder):
    """``QAbstractItemModelTester`` watches every change; a spy sees no reset, only row signals."""
    from PyQt6.QtCore import QtMsgType, qInstallMessageHandler
    from PyQt6.QtTest import QAbstractItemModelTester

    _coded(folder)
    doc = open_in(window, qtbot, folder)
    table = window.events_table
    model = table.model()
    failures = []
    previous = qInstallMessageHandler(
        lambda kind, _ctx, msg: failures.append(msg) if kind != QtMsgType.QtDebugMsg else None
    )
    tester = QAbstractItemModelTester(  # noqa: F841 (it watches while it lives)
        model, QAbstractItemModelTester.FailureReportingMode.Warning
    )
    seen = []
    for name in ("modelReset", "rowsInserted", "rowsRemoved", "rowsMoved", "dataChanged",
                 "layoutChanged"):  # fmt: skip
        getattr(model, name).connect(lambda *_a, n=name: seen.append(n))

    def rows_in_order(key, reverse=False):
        events = doc.session.events
        want = sorted(events, key=lambda i: (key(events[i]), events[i].onset_s, events[i].tier, i))
        return want[::-1] if reverse else want

    def step(action, *expected):
        seen.clear()
        action()
        assert "modelReset" not in seen and set(expected) <= set(seen), seen
        got = [model.id_at(r) for r in range(model.rowCount())]
        assert got == rows_in_order(lambda e: e.onset_s)
        selected = [r.row() for r in table.selectionModel().selectedRows()]
        assert selected == ([table.row_of(doc.selected)] if doc.selected is not None else [])

    try:
        bar = table.verticalScrollBar()
        assert bar.maximum() > 0
        bar.setValue(bar.maximum() // 2)
        shown = range(table.rowAt(0), table.rowAt(table.viewport().height() - 1) + 1)
        bids = [r for r in shown if doc.session.events[model.id_at(r)].tier == "infant_bid"]
        middle = bids[len(bids) // 2]
        event_id = model.id_at(middle)
        other = "fuss" if doc.session.events[event_id].code != "fuss" else "gaze"
        table.selectRow(middle)
        value = bar.value()
        step(lambda: model.setData(model.index(middle, 1), other), "dataChanged")
        assert bar.value() == value and doc.selected == event_id  # recoded in place: no jump
        window.go_to("f0")
        step(lambda: key(qtbot, window, Qt.Key.Key_E), "rowsInserted")  # a gaze at frame 0
        step(lambda: doc.undo_stack.undo(), "rowsRemoved")
        bid = model.id_at(model.rowCount() - 1)
        step(lambda: model.setData(model.index(model.rowCount() - 1, 2), "0.2"), "rowsMoved")
        step(lambda: doc.undo_stack.undo(), "rowsMoved")
        step(lambda: doc.undo_stack.redo(), "rowsMoved")
        table.selectRow(table.row_of(bid))
        step(lambda: key(qtbot, window, Qt.Key.Key_Delete), "rowsRemoved")
        step(lambda: doc.undo_stack.undo(), "rowsInserted")
        # a header click re-sorts (the one full sort) and edits keep that order
        table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        by_code = rows_in_order(lambda e: e.code, reverse=True)
        assert [model.id_at(r) for r in range(model.rowCount())] == by_code
        seen.clear()
        window.go_to("f40")
        key(qtbot, window, Qt.Key.Key_T)  # a fuss
        assert "modelReset" not in seen and "rowsInserted" in seen
        by_code = rows_in_order(lambda e: e.code, reverse=True)
        assert [model.id_at(r) for r in range(model.rowCount())] == by_code
        assert [r.row() for r in table.selectionModel().selectedRows()] == [
            table.row_of(doc.selected)
        ]
    finally:
        qInstallMessageHandler(previous)
    assert not [m for m in failures if "FAIL" in m], failures


def _painted(widget):
    """Record the regions Qt asks ``widget`` to repaint (and whether it was moved or resized,
    which repaints all of it)."""
    from PyQt6.QtCore import QEvent, QObject

    class Spy(QObject):
        def __init__(self):
            super().__init__(widget)
            self.regions = []
            self.moved = False

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                self.regions.append(event.region().boundingRect())
            self.moved |= event.type() in (QEvent.Type.Move, QEvent.Type.Resize)
            return False

    spy = Spy()
    widget.installEventFilter(spy)
    return spy


def test_an_edit_repaints_only_the_span_it_changed(window, qtbot, folder):
    """The timeline repaints the changed event's span in its tier's track, and what it shows then
    is what a full repaint shows (read back from the window's backing store)."""
    from PyQt6.QtWidgets import QApplication

    _coded(folder)
    doc = open_in(window, qtbot, folder)
    canvas = window.timeline.canvas
    window.go_to("f40")
    spy = _painted(canvas)
    for _ in range(3):  # (again when a late layout of the window moved the canvas meanwhile)
        doc.select(None)
        QApplication.processEvents()
        spy.regions.clear()
        spy.moved = False
        key(qtbot, window, Qt.Key.Key_W)  # a reach at frame 40
        qtbot.waitUntil(lambda: bool(spy.regions))
        QApplication.processEvents()
        if not spy.moved:
            break
        doc.undo_stack.undo()
    top = RULER_H + SCHEME.tier_names.index("infant_bid") * TRACK_H
    x = canvas.x_of(doc.time_of(40))
    for region in spy.regions:
        assert region.top() >= top and region.bottom() < top + TRACK_H, region
        assert x - 12 <= region.left() and region.right() <= x + 12, region
    # moving a state's offset repaints from its old end to its new one, in its track only
    doc.select(None)  # (repaints the reach's outline)
    QApplication.processEvents()
    spy.regions.clear()
    spy.moved = False
    state = next(i for i, e in doc.session.events.items() if e.code == "monitor")
    assert canvas.move_edge(state, "offset", 60)
    QApplication.processEvents()
    assert not spy.moved
    top = RULER_H + SCHEME.tier_names.index("infant_engagement") * TRACK_H
    assert spy.regions and all(r.top() >= top and r.bottom() < top + TRACK_H for r in spy.regions)
    assert min(r.left() for r in spy.regions) >= canvas.x_of(doc.time_of(30)) - 12
    assert max(r.right() for r in spy.regions) <= canvas.x_of(doc.time_of(60)) + 12
    at = canvas.mapTo(window, QPoint(0, 0))
    shown = canvas.screen().grabWindow(
        window.winId(), at.x(), at.y(), canvas.width(), canvas.height()
    )
    full = canvas.grab()
    assert shown.toImage() == full.toImage().convertToFormat(shown.toImage().format())


def test_opening_another_session_keeps_the_videos_share_of_the_window(window, qtbot, folder):
    """The study list opens one session after another in the same window: each time the docks
    are rebuilt and the saved layout restored over them; the video and timeline keep at least
    ``CENTRAL_SHARE`` of the window's height, and a squeezed layout is never saved."""
    import shutil

    from synchrony_coder.gui import settings
    from synchrony_coder.gui.main_window import CENTRAL_SHARE

    window.resize(1600, 1000)
    other = folder.parent / "s08"
    shutil.copytree(folder, other)
    (other / "session.toml").write_text('session = "s08"\n[[videos]]\npath = "video.mp4"\n')

    def share() -> float:
        room = window.height() - window.menuBar().height() - window.statusBar().height()
        return window.centralWidget().height() / room

    open_in(window, qtbot, folder)
    qtbot.waitUntil(lambda: share() >= CENTRAL_SHARE)
    first = window.centralWidget().height()
    for session in (other, folder, other):
        open_in(window, qtbot, session)
        qtbot.waitUntil(lambda: window.centralWidget().height() >= first - 10)
        assert window.centralWidget().height() <= first + 10
    # a layout squeezed by hand is not saved
    saved = settings.app_settings().value("windowState")
    window.resizeDocks([window._docks[2]], [700], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: share() < CENTRAL_SHARE)
    window._remember_layout()
    assert settings.app_settings().value("windowState") == saved


def test_the_status_bar_says_what_undo_and_redo_did(window, qtbot, folder):
    """Edit ▸ Undo and Redo say "Undid: …" / "Redid: …" with the edit's label, tiers by the
    name the table shows them by (spaces, not underscores)."""
    open_in(window, qtbot, folder)
    bar = window.statusBar()
    window.go_to("f10")
    key(qtbot, window, Qt.Key.Key_5)  # infant_engagement positive starts at frame 10
    assert bar.currentMessage() == "start infant engagement/positive"
    window.actions["undo"].trigger()
    assert bar.currentMessage() == "Undid: start infant engagement/positive"
    window.actions["redo"].trigger()
    assert bar.currentMessage() == "Redid: start infant engagement/positive"
    assert window.document.undo_stack.undoText() == "start infant engagement/positive"


def test_a_selected_state_keeps_its_code_written_inside(window, qtbot, folder):
    """The selected event is painted again on top, outlined; a state wide enough for its code
    shows it there as the unselected ones do (oracle: the box's dark text pixels, selected and
    not)."""
    _coded(folder)
    doc = open_in(window, qtbot, folder)
    canvas = window.timeline.canvas
    state = next(i for i, ev in doc.session.events.items() if ev.code == "monitor")
    ev = doc.session.events[state]
    track, top = next((t, y) for t, y in canvas._tops() if t.tier == "infant_engagement")
    x0, x1 = int(canvas.x_of(ev.onset_s)) + 4, int(canvas.x_of(ev.offset_s)) - 4
    assert x1 - x0 > 60

    def text_pixels() -> int:
        img = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        rgb = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
        rgb = rgb[:, : 3 * img.width()].reshape(img.height(), img.width(), 3)
        box = rgb[top + 6 : top + track.height - 6, x0:x1].astype(int)
        return int((box.max(axis=2) < 80).sum())  # the code's dark letters on its colour

    plain = text_pixels()
    assert plain > 10
    doc.select(state)
    qtbot.waitUntil(lambda: text_pixels() >= plain * 0.8)
