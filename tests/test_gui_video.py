"""The coding window with camera-like videos: NTSC timecode, pixel aspect, rotation, playback that
cannot keep up, and the coding proxy made for videos too heavy to decode here.

Frames shown are identified by the barcode each test frame carries (``videogen``); times by the
rate the test wrote (frame i of a 29.97 fps file is at i × 1001/30000 s).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage

from synchrony_coder.gui.app import make_app
from synchrony_coder.gui.main_window import MainWindow
from videogen import ffmpeg, make_camera_file, read_barcode, write_video


@pytest.fixture(scope="module")
def cameras(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cams")
    return lambda kind: make_camera_file(kind, folder)


def session_of(tmp_path: Path, video: Path) -> Path:
    d = tmp_path / "s01"
    d.mkdir()
    (d / video.name).write_bytes(video.read_bytes())
    (d / "session.toml").write_text(f'session = "s01"\n[[videos]]\npath = "{video.name}"\n')
    return d


@pytest.fixture
def window(qtbot):
    make_app()
    w = MainWindow()
    w.confirm_close = lambda: "discard"
    w.errors = []
    w.report_error = w.errors.append
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def open_in(window, qtbot, folder):
    assert window.open_session([folder], coder="ann")
    qtbot.waitUntil(lambda: window.document is not None, timeout=20000)
    return window.document


def view_rgb(window, view: int = 0) -> np.ndarray:
    img: QImage = window.player.views[view].image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    return np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3)


@pytest.mark.parametrize("kind,frame,clock", [("ntsc_2997_mp4", 15, "00:00:00.501"),
                                              ("ntsc_5994_mp4", 61, "00:00:01.018")])  # fmt: skip
def test_ntsc_timecode_is_each_frame_own_time(window, qtbot, tmp_path, cameras, kind, frame, clock):
    """15 × 1001/30000 s = 500.5 ms and 61 × 1001/60000 s = 1017.68 ms, to the millisecond."""
    doc = open_in(window, qtbot, session_of(tmp_path, cameras(kind).path))
    for _ in range(frame):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    assert doc.frame == frame and read_barcode(view_rgb(window)) == frame
    assert f"{clock}  ·  frame {frame} /" in window.player.transport.frame_label.text()
    window.go_to(clock)  # typing the shown time goes to that frame
    assert doc.frame == frame


def test_view_is_upright_with_the_pixel_aspect(window, qtbot, tmp_path, cameras):
    cam = cameras("non_square_pixels_mp4")
    open_in(window, qtbot, session_of(tmp_path, cam.path))
    view = window.player.views[0]
    assert view.pixel_aspect == pytest.approx(64 / 45)
    grabbed = view.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    ptr = grabbed.constBits()
    ptr.setsize(grabbed.sizeInBytes())
    grey = np.frombuffer(ptr, np.uint8).reshape(grabbed.height(), grabbed.bytesPerLine())
    rows, cols = np.nonzero(grey[:, : grabbed.width()] > 8)  # the picture, not the black bars
    shown = (cols.max() - cols.min() + 1) / (rows.max() - rows.min() + 1)
    assert shown == pytest.approx(320 * 64 / 45 / 240, rel=0.03)


def test_rotated_phone_video_is_shown_upright(window, qtbot, tmp_path, cameras):
    cam = cameras("phone_rotated_mp4")
    open_in(window, qtbot, session_of(tmp_path, cam.path))
    rgb = view_rgb(window)
    assert rgb.shape[:2] == (320, 240)
    assert read_barcode(np.rot90(rgb, -cam.turn // 90)) == 0


def test_a_cut_off_recording_is_said_in_the_banner(window, qtbot, tmp_path):
    """A truncated file opens with the frames it has, and the window says so where it stays in
    view (the banner), not only in a status message that goes after 15 s."""
    whole = write_video(tmp_path / "whole.mp4", "h264_bframes_mp4", 90, width=320, height=240)
    faststart = tmp_path / "faststart.mp4"
    ffmpeg("-i", whole, "-c", "copy", "-movflags", "+faststart", faststart)
    data = faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    doc = open_in(window, qtbot, session_of(tmp_path, cut))
    assert not window.banner.isHidden()
    text = window.banner.text()
    assert "cut.mp4 is truncated" in text and f"{90 - doc.frame_count} frames missing" in text


def test_playback_that_cannot_keep_up_drops_frames_evenly(window, qtbot, tmp_path):
    """Showing a frame takes 3 frame intervals (a decoder too slow for the file): playback shows
    every 3rd or 4th frame, always a multiple of that stride, and says so; pausing ends it."""
    video = write_video(tmp_path / "v.mp4", "h264_bframes_mp4", 150, fps=30, gop=15)
    doc = open_in(window, qtbot, session_of(tmp_path, video))
    frames_at = doc.synced.frames_at

    def slow(t, direction=0):
        time.sleep(0.1)  # (simulates decoding that takes 100 ms per frame)
        return frames_at(t, direction)

    doc.synced.frames_at = slow
    seen = []
    doc.frameChanged.connect(lambda f: seen.append((f, window.clock.stride)))
    window.clock.play()
    qtbot.waitUntil(lambda: window.clock.stride >= 3, timeout=10000)
    qtbot.waitUntil(lambda: len(seen) > 12, timeout=10000)
    assert "every" in window.statusBar().currentMessage()
    strided = [(f, k) for f, k in seen if k > 1]
    assert strided and all(f % k == 0 for f, k in strided)
    window.clock.pause()
    assert window.clock.stride == 1 and window.statusBar().currentMessage() == ""


def test_a_video_too_heavy_here_gets_a_coding_proxy(window, qtbot, tmp_path, monkeypatch):
    """With a threshold that makes a small file 'heavy', the app makes its proxy in the
    background, keeps showing the original meanwhile, then shows the proxy: same frames."""
    import synchrony_coder.video.proxy as proxy

    monkeypatch.setattr(proxy, "HEAVY_PIXELS_PER_CORE_S", 1.0)
    video = write_video(tmp_path / "v.mp4", "h264_bframes_mp4", 60, fps=30, gop=15)
    doc = open_in(window, qtbot, session_of(tmp_path, video))
    assert doc.synced.sources[0].path.name == "v.mp4"
    qtbot.waitUntil(lambda: "proxy" in window.statusBar().currentMessage(), timeout=10000)
    qtbot.waitUntil(lambda: doc.synced.sources[0].path.name == "v.proxy.mp4", timeout=60000)
    assert "Coding on the proxy" in window.statusBar().currentMessage()
    assert "proxy" in window.player.views[0].label
    for _ in range(7):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    assert read_barcode(view_rgb(window)) == 7 and doc.frame == 7
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert read_barcode(view_rgb(window)) == 6
