# ruff: noqa: F811 - the test functions take the fixtures imported from test_gui
"""Regions of interest in the real window (pytest-qt, offscreen): drawn with the mouse, saved in
``session.toml``, undone; their motion tracks; movement synchrony in the metrics panel.

Oracles: where the picture is painted, read back from the view's pixels (not the app's mapping);
the manifest read by ``find_session``; :func:`motion_energy` for the tracks; the movement
library (``dyads``, ``session_ccf``, ``summarise``, ``phase_intervals``) on the motion table made
by the motion library for the metrics panel.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QApplication, QMenu

from synchrony_coder.gui import settings
from synchrony_coder.motion import Roi, motion_energy, motion_table
from synchrony_coder.motion import cache as motion_cache
from synchrony_coder.movement import CcfSettings, dyads, phase_intervals, session_ccf, summarise
from synchrony_coder.session import find_session
from test_gui import key, open_in, window  # noqa: F401 - fixtures

sys.path.insert(0, str(Path(__file__).parent))
from videogen import write_luma_video  # noqa: E402

FPS = 25


def frames(width: int, height: int, n: int, seed: int = 1) -> list[np.ndarray]:
    """Grey frames (never black: the letterbox is) where blocks change at random."""
    rng = np.random.default_rng(seed)
    frame = np.full((height, width), 150, np.uint8)
    out = []
    for _ in range(n):
        frame = frame.copy()
        for _ in range(4):
            x, y = rng.integers(0, width - 12), rng.integers(0, height - 12)
            frame[y : y + 12, x : x + 12] = rng.integers(60, 255)
        out.append(frame)
    return out


def session_folder(
    tmp_path: Path, width: int, height: int, n: int = 50, rois: str = "", rotation: int = 0
) -> Path:
    d = tmp_path / "s05"
    d.mkdir()
    write_luma_video(d / "cam.mp4", frames(width, height, n), fps=FPS, rotation=rotation)
    (d / "session.toml").write_text(
        f'session = "s05"\n[[videos]]\npath = "cam.mp4"\nview = "dyad"\n{rois}'
    )
    return d


def picture(view) -> tuple[float, float, float, float]:
    """Where the view painted the frame (left, top, width, height), read from its pixels: the
    pixels at least half covered by the picture (the letterbox is black)."""
    img = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    rgb = np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, : 3 * w]
    lit = rgb.reshape(h, w, 3)[..., 0] > 75  # the frames' grey is 150: half of it
    cols, rows = np.flatnonzero(lit.any(0)), np.flatnonzero(lit.any(1))
    return cols[0], rows[0], cols[-1] + 1 - cols[0], rows[-1] + 1 - rows[0]


def drag(qtbot, widget, a: QPoint, b: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=a)
    for k in range(1, 5):
        qtbot.mouseMove(widget, a + (b - a) * (k / 4))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=b)


def choose(qtbot, text: str) -> None:
    """Pick ``text`` in the popup menu that is open."""
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    menu = QApplication.activePopupWidget()
    action = next(a for a in menu.actions() if a.text() == text)
    assert action.isEnabled()
    action.trigger()
    menu.hide()


def draw_region(qtbot, window, frame_box, name: str, width: int, height: int) -> None:
    """Drag from one frame-pixel corner to another on the first camera, through the screen, in
    drawing mode (Ctrl+R)."""
    overlay = window.motion.overlays[0]
    assert not overlay.drawing
    left, top, w, h = picture(window.player.views[0])  # before the hint is drawn over it
    key(qtbot, window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.actions["draw_regions"].isChecked() and overlay.drawing
    sx, sy = w / width, h / height
    assert min(sx, sy) > 2.4  # 1 widget pixel off (estimate, rounding) < half a frame pixel
    x0, y0, x1, y1 = frame_box
    a = QPoint(round(left + x0 * sx), round(top + y0 * sy))
    b = QPoint(round(left + x1 * sx), round(top + y1 * sy))
    drag(qtbot, overlay, a, b)
    choose(qtbot, name)


@pytest.mark.parametrize(
    "size, rotation",
    [((96, 72), 0), ((48, 80), 0), ((80, 48), -90)],
    ids=["landscape", "portrait", "phone-rotated"],
)
def test_draw_a_region_with_the_mouse_then_undo_and_redo(window, qtbot, tmp_path, size, rotation):
    """The rectangle dragged on the picture lands in session.toml in frame pixels (the picture
    fills the width, or the height with black bars beside it); undo removes it, redo puts it
    back, and the Delete key in drawing mode deletes it. A phone's video coded landscape with a
    display rotation is shown and measured upright: its regions are in the upright frame."""
    folder = session_folder(tmp_path, *size, rotation=rotation)
    width, height = size[::-1] if rotation % 180 else size
    open_in(window, qtbot, folder)
    box = (10, 20, 70, 60) if width > height else (6, 16, 40, 70)
    draw_region(qtbot, window, box, "infant", width, height)
    want = Roi("infant", box[0], box[1], box[2] - box[0], box[3] - box[1])
    assert find_session(folder).videos[0].rois == (want,)
    assert "infant = [" in (folder / "session.toml").read_text()
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert find_session(folder).videos[0].rois == ()
    assert window.motion.regions.rois(0) == ()
    key(
        qtbot,
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert find_session(folder).videos[0].rois == (want,)
    window.motion.overlays[0].select("infant")
    key(qtbot, window, Qt.Key.Key_Delete)
    assert find_session(folder).videos[0].rois == ()
    key(qtbot, window, Qt.Key.Key_F1)  # the shortcut sheet lists the mode
    text = " ".join(lbl.text() for lbl in window.help.findChildren(type(window.banner)))
    assert "<b>Ctrl+R</b>" in text and "Draw regions of interest" in text


def test_move_resize_and_rename_a_region(window, qtbot, tmp_path):
    folder = session_folder(tmp_path, 160, 120, rois="rois = { infant = [20, 20, 40, 40] }\n")
    open_in(window, qtbot, folder)
    window.actions["draw_regions"].trigger()
    overlay = window.motion.overlays[0]
    m = overlay.mapping()
    inside = m.to_widget(40, 40).topLeft().toPoint()
    drag(qtbot, overlay, inside, inside + QPoint(round(10 * m.rect.width() / 160), 0))
    assert find_session(folder).videos[0].rois == (Roi("infant", 30, 20, 40, 40),)
    corner = m.to_widget(70, 60).topLeft().toPoint()  # the bottom-right corner: a resize
    drag(qtbot, overlay, corner, m.to_widget(80, 65).topLeft().toPoint())
    assert find_session(folder).videos[0].rois == (Roi("infant", 30, 20, 50, 45),)
    qtbot.mouseDClick(
        overlay, Qt.MouseButton.LeftButton, pos=m.to_widget(50, 40).topLeft().toPoint()
    )
    choose(qtbot, "caregiver")
    assert find_session(folder).videos[0].rois == (Roi("caregiver", 30, 20, 50, 45),)
    for _ in range(3):
        key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert find_session(folder).videos[0].rois == (Roi("infant", 20, 20, 40, 40),)
    key(qtbot, window, Qt.Key.Key_Escape)
    assert not overlay.drawing and not window.actions["draw_regions"].isChecked()


def test_the_motion_track_shows_the_regions_motion_energy(window, qtbot, tmp_path):
    folder = session_folder(tmp_path, 96, 72)
    open_in(window, qtbot, folder)
    draw_region(qtbot, window, (8, 8, 56, 64), "caregiver", 96, 72)
    canvas = window.timeline.canvas

    def track():
        tracks = [t for t in canvas.tracks if t.label.startswith("caregiver motion")]
        return tracks[0] if tracks and tracks[0].values is not None else None

    qtbot.waitUntil(lambda: track() is not None, timeout=20000)
    roi = Roi("caregiver", 8, 8, 48, 56)
    assert find_session(folder).videos[0].rois == (roi,)
    index, want = motion_energy(folder / "cam.mp4", [roi])  # the library, directly
    np.testing.assert_array_equal(track().values, want[:, 0])
    np.testing.assert_array_equal(track().times, np.round(index.times_ms) / 1000)
    assert (folder / "cam.motion.npz").exists()
    canvas.set_view(0, window.document.duration_s)  # painted at any zoom without error
    canvas.repaint()


def test_measuring_shows_progress_and_stops_when_the_session_closes(
    window, qtbot, tmp_path, monkeypatch
):
    monkeypatch.setattr(motion_cache, "CHUNK_S", 0.05)  # a chunk per keyframe: 7 chunks
    folder = session_folder(tmp_path, 96, 72, n=75, rois="rois = { infant = [0, 0, 48, 36] }\n")
    chunks = []
    real = motion_cache.motion_chunk

    def held(*args):
        chunks.append(args[4])
        if len(chunks) == 2:  # the second chunk is decoded until closing cancels the job
            window.motion.meter._running.cancel.wait(20)
        return real(*args)

    monkeypatch.setattr(motion_cache, "motion_chunk", held)
    open_in(window, qtbot, folder)
    meter = window.motion.meter
    qtbot.waitUntil(lambda: window.motion.bar.isVisible() and len(chunks) == 2, timeout=20000)
    assert "cam.mp4" in window.motion.label.text()
    assert window.close_document()
    assert not meter._thread.is_alive()  # cancelled after the chunk decoding, and waited for
    assert len(chunks) == 2 and not (folder / "cam.motion.npz").exists()


def test_the_metrics_panel_shows_movement_synchrony_per_phase(window, qtbot, tmp_path):
    """The movement rows equal the movement library on the motion table of the same regions and
    the phases coded; a phase too short for a window says so."""
    values = {"window_s": 1.0, "increment_s": 0.4, "lag_s": 0.2, "threshold": 10.0}
    settings.set_movement_settings(values)
    rois = "rois = { infant = [0, 0, 80, 120], caregiver = [80, 0, 80, 120] }\n"
    folder = session_folder(tmp_path, 160, 120, n=75, rois=rois)
    doc = open_in(window, qtbot, folder)
    for frame, k in ((0, Qt.Key.Key_Z), (40, Qt.Key.Key_X), (70, Qt.Key.Key_C)):
        window.go_to(f"f{frame}")
        key(qtbot, window, k)  # play 0-1.6 s, still face 1.6-2.8 s, reunion 2.8 s-end
    window.go_to("f0")
    key(qtbot, window, Qt.Key.Key_5)  # both partners positive: the coded metrics too
    key(qtbot, window, Qt.Key.Key_0)
    table = window.metrics.table

    def cells():
        if table.isHidden() or table.rowCount() < 10:
            return None
        rows = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
        if "movement synchrony" not in rows:
            return None
        head = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        return {
            (rows[r], head[c]): table.item(r, c).text()
            for r in range(len(rows))
            for c in range(len(head))
        }

    qtbot.waitUntil(lambda: cells() is not None, timeout=20000)
    # the oracle: the motion and movement libraries, called directly
    regions = [Roi("infant", 0, 0, 80, 120), Roi("caregiver", 80, 0, 80, 120)]
    index, energy = motion_energy(folder / "cam.mp4", regions)
    motion = motion_table("s05", index.times_ms, energy, ["infant", "caregiver"])
    ccf = session_ccf(dyads(motion)[0], CcfSettings(lag_s=0.2, window_s=1.0, increment_s=0.4))
    events = doc.session.frame()
    want = summarise([ccf], phase_intervals(events, "phase")).set_index("phase")
    assert want.loc["play", "n_windows"] == 2 and want.loc["still_face", "n_windows"] == 1
    got = window.motion.rows.compute(events, doc.session.scheme).set_index("phase")
    for phase in ("all", "play", "still_face"):
        for column in ("grand_average", "lag_zero", "infant_leads", "caregiver_leads"):
            assert got.loc[phase, column] == want.loc[phase, column]
    shown = cells()
    for phase in ("all", "play", "still_face"):
        assert shown[("movement synchrony", phase)] == f"{want.loc[phase, 'grand_average']:.2f}"
        assert shown[("· at lag 0", phase)] == f"{want.loc[phase, 'lag_zero']:.2f}"
        assert shown[("· infant leads", phase)] == f"{want.loc[phase, 'infant_leads']:.2f}"
    assert shown[("· windows", "play")] == "2 × 1 s"
    assert shown[("movement synchrony", "reunion")] == "too short"  # 0.2 s of reunion
    assert shown[("matched fraction", "all")]  # the coded metrics are still there
    note = window.metrics.note.text()
    assert "Too short for 1-s windows (1.2 s with the lags): reunion" in note


def test_bare_video_files_say_where_regions_can_be_kept(window, qtbot, tmp_path):
    video = write_luma_video(tmp_path / "clip.mp4", frames(96, 72, 25), fps=FPS)
    open_in(window, qtbot, video)
    key(qtbot, window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert not window.motion.overlays[0].drawing
    assert not window.actions["draw_regions"].isChecked()
    assert "session folder's session.toml" in window.statusBar().currentMessage()


def test_a_region_that_cannot_be_saved_is_not_shown_nor_undoable(window, qtbot, tmp_path):
    from faultfs import faults

    folder = session_folder(tmp_path, 96, 72)
    open_in(window, qtbot, folder)
    before = (folder / "session.toml").read_bytes()
    with faults(under=folder, at=0, fault="ENOSPC", sticky=True):
        draw_region(qtbot, window, (10, 10, 40, 40), "infant", 96, 72)
    assert (folder / "session.toml").read_bytes() == before
    assert window.motion.regions.rois(0) == () and window.document.undo_stack.count() == 0
    assert "Draw region infant: not saved" in window.statusBar().currentMessage()


@pytest.mark.parametrize("span", [120.0, 8.0], ids=["zoomed-out", "zoomed-in"])
def test_a_motion_track_paints_the_same_in_parts_as_whole(qapp, span):
    """The canvas repaints a few columns at a time (the playhead, an edit's span): those parts
    must draw what a whole paint draws (each column is computed from the frames in it alone)."""
    from PyQt6.QtCore import QRect
    from PyQt6.QtGui import QColor, QPainter

    from synchrony_coder.gui.timeline import PAD
    from synchrony_coder.gui.tracks import MotionTrack, View

    rng = np.random.default_rng(4)
    values = rng.random(3000) ** 3 * 0.2
    values[[0, 700, 701, 702]] = np.nan
    track = MotionTrack("infant motion", QColor("#5ab4ff"), np.arange(3000) / 25, values)
    view = View(3.3, span, 100.0, 700.0)

    def painted(rects) -> bytes:
        img = QImage(800, track.height, QImage.Format.Format_RGB32)
        img.fill(0)
        p = QPainter(img)
        for r in rects:
            p.save()
            p.setClipRect(r)
            track.paint(p, view, 0, view.t_of(r.left() - PAD), view.t_of(r.right() + PAD))
            p.restore()
        p.end()
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        return bytes(ptr)

    whole = painted([QRect(100, 0, 700, track.height)])
    parts = painted([QRect(x, 0, 23, track.height) for x in range(100, 800, 23)])
    assert whole == parts and len(set(whole)) > 2  # the same pixels, and something drawn


def test_a_region_outside_the_frame_is_said_not_measured(window, qtbot, tmp_path):
    rois = "rois = { infant = [0, 0, 40, 40], caregiver = [60, 0, 80, 40] }\n"  # 96 wide
    folder = session_folder(tmp_path, 96, 72, rois=rois)
    open_in(window, qtbot, folder)
    canvas = window.timeline.canvas

    def notes():
        return [t.note for t in canvas.tracks if getattr(t, "note", "").startswith("not measured")]

    qtbot.waitUntil(lambda: len(notes()) == 2, timeout=20000)
    assert "caregiver = 60,0,80,40 reaches outside the 96x72 frame" in notes()[0]
    assert window.motion.dyad is None and not (folder / "cam.motion.npz").exists()


def test_movement_settings_change_the_windows_and_theta_remeasures(window, qtbot, tmp_path):
    from PyQt6.QtCore import QTimer

    from synchrony_coder.gui.movement_settings import MovementSettings

    rois = "rois = { infant = [0, 0, 48, 72], caregiver = [48, 0, 48, 72] }\n"
    folder = session_folder(tmp_path, 96, 72, n=75, rois=rois)
    open_in(window, qtbot, folder)
    qtbot.waitUntil(lambda: window.motion.dyad is not None, timeout=20000)

    def answer():
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MovementSettings))
        for name, value in (("window_s", 2.0), ("increment_s", 0.5), ("threshold", 20.0)):
            dialog.boxes[name].setValue(value)
        dialog.accept()

    QTimer.singleShot(0, answer)
    window.actions["movement_settings"].trigger()  # a modal dialog, answered above
    assert settings.movement_settings()["window_s"] == 2.0
    qtbot.waitUntil(lambda: "window 2 s, step 0.5 s" in window.metrics.note.text(), timeout=20000)
    qtbot.waitUntil(lambda: window.motion.motion.get(0) is not None, timeout=20000)
    track = next(t for t in window.timeline.canvas.tracks if t.label == "infant motion")
    want = motion_energy(folder / "cam.mp4", [Roi("infant", 0, 0, 48, 72)], threshold=20.0)[1]
    np.testing.assert_array_equal(track.values, want[:, 0])


def test_regions_on_two_cameras_are_paired_frame_by_frame(window, qtbot, tmp_path):
    """Infant on the first camera, caregiver on a second one started 0.2 s (5 frames) late: the
    caregiver's value at the infant camera's frame i is that of the second camera's frame i − 5."""
    folder = session_folder(tmp_path, 96, 72, n=60)
    (folder / "close.mp4").write_bytes((folder / "cam.mp4").read_bytes())
    (folder / "session.toml").write_text(
        'session = "s05"\n[[videos]]\npath = "cam.mp4"\nrois = { infant = [0, 0, 48, 72] }\n'
        '[[videos]]\npath = "close.mp4"\noffset_s = 0.2\nview = "close"\n'
        "rois = { caregiver = [40, 8, 56, 60] }\n"
    )
    open_in(window, qtbot, folder)
    qtbot.waitUntil(lambda: window.motion.dyad is not None, timeout=20000)
    index, infant = motion_energy(folder / "cam.mp4", [Roi("infant", 0, 0, 48, 72)])
    _, carer = motion_energy(folder / "close.mp4", [Roi("caregiver", 40, 8, 56, 60)])
    want = np.r_[np.full(5, np.nan), carer[:-5, 0]]
    dyad = window.motion.dyad
    np.testing.assert_array_equal(dyad.infant, infant[:, 0])
    np.testing.assert_array_equal(dyad.caregiver, want)
    track = next(t for t in window.timeline.canvas.tracks if t.label == "caregiver motion")
    assert track.camera == "close"
    np.testing.assert_array_equal(track.times, np.round(index.times_ms + 200) / 1000)
    note = "Movement synchrony of infant (cam.mp4) × caregiver (close)"
    qtbot.waitUntil(lambda: note in window.metrics.note.text(), timeout=20000)


def _rows_of(view) -> np.ndarray:
    img = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    return np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, : 3 * w].copy()


def test_the_drawing_hint_leaves_the_bottom_of_the_picture_clear(window, qtbot, tmp_path):
    """The bottom of the picture shows its timecode (burned in, or the player's): in drawing
    mode the hint darkens only rows of the picture's top half (oracle: the view's pixels before
    and after Ctrl+R)."""
    folder = session_folder(tmp_path, 160, 120)
    open_in(window, qtbot, folder)
    view = window.player.views[0]
    _left, top, _w, h = picture(view)
    before = _rows_of(view)
    key(qtbot, window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    overlay = window.motion.overlays[0]
    qtbot.waitUntil(lambda: overlay.drawing and (_rows_of(view) != before).any())
    changed = np.flatnonzero((_rows_of(view) != before).any(1))
    assert changed.min() >= top and changed.max() < top + h / 2, (changed, top, h)
