"""The video player: synchronised camera views, transport controls and a wall-clock playback clock.

Playback follows the wall clock: each tick shows the frame due at ``t0 + elapsed × speed``, so a slow
decode drops frames instead of drifting. When showing a frame takes longer than the frames come
(a 4K file on a laptop, or 4× speed), the clock shows every 2nd (3rd, ...) frame, evenly, and says
so (``strideChanged``), rather than whichever frames happen to be ready. The views show exact
frames (``VideoSource.frame``) except while the scrub slider is dragged (``preview``), upright and
with the video's pixel aspect.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PyQt6.QtCore import QObject, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QPainter
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..video.proxy import is_proxy
from . import theme
from .document import Document
from .icons import transport_icon
from .roi_overlay import picture_rect
from .timecode import format_timecode

SPEEDS = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 4.0)


class FrameView(QWidget):
    """One camera: the frame scaled to fit, letterboxed, with the camera's name in a corner."""

    def __init__(self, label: str, pixel_aspect: float = 1.0, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = label
        self.pixel_aspect = float(pixel_aspect)  # shown width of a pixel over its height
        self.image: QImage | None = None
        self.shown_index: int | None = None
        self.setMinimumSize(240, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, rgb: np.ndarray | None, index: int | None) -> None:
        if rgb is None:
            self.image = None
        else:
            rgb = np.ascontiguousarray(rgb)
            h, w = rgb.shape[:2]
            self.image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.shown_index = index
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#000000"))
        if self.image is not None:
            # the one placement regions of interest are mapped with too (roi_overlay.FrameMap)
            target = picture_rect(
                self.width(),
                self.height(),
                self.image.width(),
                self.image.height(),
                self.pixel_aspect,
            )
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, self.image)
        else:
            p.setPen(QColor(theme.MUTED))
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "this camera has no picture at this time"
            )
        if self.label:  # top right: the sample videos carry their frame barcode top left
            width = p.fontMetrics().horizontalAdvance(self.label) + 12
            box = QRectF(self.width() - width - 6, 6, width, 20)
            p.fillRect(box, QColor(0, 0, 0, 160))
            p.setPen(QColor(theme.TEXT))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)
        p.end()


class PlaybackClock(QObject):
    """Plays the document from the wall clock at ``speed``; drops frames rather than drift."""

    playingChanged = pyqtSignal(bool)
    speedChanged = pyqtSignal(float)
    strideChanged = pyqtSignal(int)  # 1: every frame shown; k: every k-th (cannot keep up)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.speed = 1.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(4, int(500 / max(float(document.primary.fps), 1.0))))
        self._timer.timeout.connect(self._tick)
        self._anchor = (0.0, 0.0)
        self._ticking = False
        self.stride = 1
        self._cost = 0.0  # seconds it takes to show a frame (moving average while playing)
        self._warmup = 0  # ticks not judged: the first after a start or seek may wait for a seek
        document.frameChanged.connect(self._on_seek)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self.playing:
            return
        if self.document.frame >= self.document.frame_count - 1:
            self.document.seek(0)
        self._reanchor()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self._cost = 0.0
            self._set_stride(1)
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        speed = float(min(max(speed, SPEEDS[0]), SPEEDS[-1]))
        if speed != self.speed:
            self.speed = speed
            self._reanchor()
            self.speedChanged.emit(speed)

    def faster(self, step: int = 1) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        self.set_speed(SPEEDS[min(max(i + step, 0), len(SPEEDS) - 1)])

    def _reanchor(self) -> None:
        self._anchor = (time.monotonic(), self.document.time)
        self._warmup = 3

    def _on_seek(self, _frame: int) -> None:
        if not self._ticking:  # the coder moved the playhead: play on from there
            self._reanchor()

    def _tick(self) -> None:
        w0, t0 = self._anchor
        t = t0 + (time.monotonic() - w0) * self.speed
        doc = self.document
        if t >= doc.duration_s:
            self._ticking = True
            doc.seek(doc.frame_count - 1)
            self._ticking = False
            self.pause()
            return
        frame = doc.index_at(t)
        frame -= frame % self.stride  # every stride-th frame: even drops, not a ragged cadence
        if frame == doc.frame:
            return
        self._ticking = True
        started = time.monotonic()
        doc.seek(frame)
        self._ticking = False
        self._judge(time.monotonic() - started)

    def _judge(self, cost: float) -> None:
        """Show every k-th frame when showing one costs more than the interval between frames
        (moving average; fewer drops again only with a clear margin, so it does not flicker)."""
        if self._warmup:
            self._warmup -= 1
            return
        self._cost = cost if not self._cost else 0.8 * self._cost + 0.2 * cost
        interval = 1.0 / max(float(self.document.primary.fps) * self.speed, 1e-6)
        need = max(1, math.ceil(self._cost / interval - 0.1))
        if need > self.stride or self._cost < 0.7 * (self.stride - 1) * interval:
            self._set_stride(need)

    def _set_stride(self, stride: int) -> None:
        if stride != self.stride:
            self.stride = stride
            self.strideChanged.emit(stride)


def stride_note(stride: int) -> str:
    """What the status bar says when playback shows every ``stride``-th frame."""
    if stride <= 1:
        return ""
    nth = {2: "2nd", 3: "3rd"}.get(stride, f"{stride}th")
    return (
        f"Playing every {nth} frame: this machine cannot show every frame at this speed "
        "(stepping and pausing show every frame)"
    )


class Transport(QWidget):
    """Play/pause, steps and jumps, the scrub slider, frame number, timecode and speed."""

    def __init__(self, document: Document, clock: PlaybackClock, actions: dict, parent=None):
        super().__init__(parent)
        self.document, self.clock = document, clock
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        for name in ("back_5s", "back_1s", "step_back", "play", "step_forward", "fwd_1s", "fwd_5s"):
            b = QToolButton(self)
            b.setDefaultAction(actions[name])
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            b.setAutoRaise(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if name == "play":
                self.play_button = b
            row.addWidget(b)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, max(document.frame_count - 1, 0))
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.sliderMoved.connect(self._scrub)
        self.slider.sliderReleased.connect(lambda: document.frameChanged.emit(document.frame))
        row.addWidget(self.slider, 1)
        self.frame_label = QLabel(self)
        self.frame_label.setObjectName("timecode")
        self.frame_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.frame_label)
        self.speed = QComboBox(self)
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip("Playback speed ([ slower, ] faster)")
        self.speed.activated.connect(lambda i: clock.set_speed(SPEEDS[i]))
        row.addWidget(self.speed)
        self.audio = QLabel(self)
        self.audio.setToolTip("Sound: plays at 1× only")
        row.addWidget(self.audio)
        self.has_audio = False
        document.frameChanged.connect(self._show)
        clock.speedChanged.connect(self._speed)
        clock.playingChanged.connect(self._playing)
        self._show(document.frame)
        self._speed(clock.speed)

    def set_audio(self, available: bool) -> None:
        self.has_audio = available
        self._speed(self.clock.speed)

    def _scrub(self, value: int) -> None:
        self.document.scrubbing = True
        self.document.seek(value)
        self.document.scrubbing = False

    def _show(self, frame: int) -> None:
        doc = self.document
        self.slider.blockSignals(True)
        self.slider.setValue(frame)
        self.slider.blockSignals(False)
        self.frame_label.setText(
            f"{format_timecode(doc.time_of(frame))}  ·  frame {frame} / {doc.frame_count - 1}"
        )

    def _playing(self, playing: bool) -> None:
        self.play_button.defaultAction().setIcon(transport_icon("pause" if playing else "play"))

    def _speed(self, speed: float) -> None:
        self.speed.setCurrentIndex(SPEEDS.index(speed) if speed in SPEEDS else 3)
        if not self.has_audio:
            self.audio.setText("no sound")
        else:
            self.audio.setText("sound" if speed == 1.0 else "muted")


class PlayerWidget(QWidget):
    """The camera views side by side, above the transport bar."""

    def __init__(self, document: Document, clock: PlaybackClock, actions: dict, parent=None):
        super().__init__(parent)
        self.document = document
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        views = QHBoxLayout()
        views.setSpacing(2)
        self.views = []
        for k, (src, _offset) in enumerate(document.videos):
            view = FrameView(self._label(k, src), float(src.display.pixel_aspect), self)
            views.addWidget(view)
            self.views.append(view)
        col.addLayout(views, 1)
        self.transport = Transport(document, clock, actions, self)
        col.addWidget(self.transport)
        document.frameChanged.connect(self.render)
        self.render(document.frame)

    def _label(self, k: int, src) -> str:
        doc = self.document
        multi = len(doc.videos) > 1
        refs = doc.session.spec.videos
        view_name = refs[k].view if k < len(refs) and refs[k].view else src.path.name
        if is_proxy(src.path) and view_name != src.path.name:
            view_name += " · proxy"
        offset = doc.videos[k][1]
        label = f"{view_name}  (starts at {offset:+.3f} s)" if multi and k else view_name
        return label if multi or is_proxy(src.path) else ""  # say when a proxy plays

    def use_proxy(self, k: int, proxy) -> None:
        """Show camera ``k`` from ``proxy`` (a :class:`VideoSource` of its proxy: the same frames
        at the same times) from now on, and close the original's source."""
        doc = self.document
        old, offset = doc.videos[k]
        doc.videos[k] = (proxy, offset)
        doc.synced.sources[k] = proxy
        if doc.primary is old:
            doc.primary = proxy
        self.views[k].label = self._label(k, proxy)
        self.views[k].pixel_aspect = float(proxy.display.pixel_aspect)
        old.close()
        self.views[k].shown_index = None
        self.render(doc.frame)

    def render(self, frame: int) -> None:
        doc = self.document
        direction = 1 if frame >= (self.views[0].shown_index or 0) else -1
        # the events' clock is the primary video's own; the session clock adds its offset
        t = doc.time_of(frame) + doc.videos[0][1]
        synced = doc.synced
        indices = synced.indices_at(t)
        frames = synced.previews_at(t) if doc.scrubbing else synced.frames_at(t, direction)
        for view, rgb, i in zip(self.views, frames, indices, strict=True):
            view.show_frame(rgb, i)
