"""The sound track's Qt objects against a deadlock with Qt's media thread (gui/audio.py).

The oracle is the deadlock itself: a separate process plays and stops a file with sound over and
over while its GUI thread keeps connecting objects, as a window does when it lays itself out, and
holds the GIL longer than Python's default. With
:func:`~synchrony_coder.gui.audio.settle_signal_hooks` made to do nothing, that process hung in 3
runs of 3 (found when a window's close froze the test run); with it, the 120 rounds take some
12 s. The test allows 60 s.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("PyQt6.QtMultimedia")

from test_gui import talk_video  # noqa: E402

STRESS = r"""
import sys, time
from PyQt6.QtCore import QObject, QPropertyAnimation, QUrl
from PyQt6.QtMultimedia import QAudioOutput, QMediaPlayer
from PyQt6.QtWidgets import QApplication, QWidget
from synchrony_coder.gui.audio import settle_signal_hooks

sys.setswitchinterval(0.05)  # the GUI thread keeps the GIL longer: a waiting thread waits longer
app = QApplication([])
for _ in range(int(sys.argv[2])):
    holder = QObject()
    output, player = QAudioOutput(holder), QMediaPlayer(holder)
    settle_signal_hooks(output)
    settle_signal_hooks(player)
    player.setAudioOutput(output)
    player.setSource(QUrl.fromLocalFile(sys.argv[1]))
    player.play()
    widget, stopped, end = QWidget(), False, time.monotonic() + 0.08
    while time.monotonic() < end:
        if not stopped and time.monotonic() > end - 0.05:  # the media thread drops its renderer
            player.stop()
            player.setSource(QUrl())
            stopped = True
        app.processEvents()
        for _ in range(200):  # connections on many objects, each guarded by one of Qt's locks
            QPropertyAnimation(widget, b"pos").deleteLater()
    holder.deleteLater()
    widget.deleteLater()
    app.processEvents()
print("done")
"""


def test_playing_and_stopping_sound_never_deadlocks_the_gui_thread(tmp_path):
    path = talk_video(tmp_path / "talk.mp4")
    try:
        done = subprocess.run(
            [sys.executable, "-c", STRESS, str(path), "120"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the GUI thread and Qt's media thread deadlocked")
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]
