"""The primary video's sound, played only at 1× and kept on the playback clock.

Sound is started at the playhead's time when playback runs at normal speed and stops on pause, on
a seek and at any other speed (the coder sees "muted"); videos without an audio stream say "no
sound". Re-seeking the sound on every coder seek keeps it within a frame or two of the picture.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QObject, QUrl

from .document import Document
from .player import PlaybackClock


def has_audio(path: Path) -> bool:
    import av

    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (OSError, av.FFmpegError):
        return False


def settle_signal_hooks(obj: QObject) -> None:
    """Let PyQt find out, here on the GUI thread, that ``obj`` (made from Python) reimplements
    neither ``connectNotify`` nor ``disconnectNotify``.

    Qt's media thread connects to and disconnects from the player and its audio output (a
    renderer comes and goes with each play and stop). The first such call on an object made from
    Python asks Python whether it reimplements the hook, which needs the GIL, while that thread
    holds one of Qt's signal-slot locks; the GUI thread, which holds the GIL, may be waiting for
    that very lock (any connection of an object the lock is shared with). That deadlock once froze
    a test's window as it closed. Once asked, sip keeps the answer for the object, and the media
    thread's later calls need no GIL.
    """
    obj.destroyed.connect(_nothing)
    obj.destroyed.disconnect(_nothing)


def _nothing(*_args) -> None:
    return None


class AudioTrack(QObject):
    """Follows a :class:`PlaybackClock`; exists only for videos with sound."""

    def __init__(self, document: Document, clock: PlaybackClock, path: Path, parent=None):
        super().__init__(parent)
        from PyQt6.QtMultimedia import QAudioOutput, QMediaPlayer

        self.document, self.clock = document, clock
        self.output = QAudioOutput(self)
        self.player = QMediaPlayer(self)
        for made_here in (self.output, self.player):
            settle_signal_hooks(made_here)
        self.player.setAudioOutput(self.output)
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        clock.playingChanged.connect(lambda _p: self.sync())
        clock.speedChanged.connect(lambda _s: self.sync())
        document.frameChanged.connect(self._seeked)
        self._last_frame = document.frame

    @property
    def audible(self) -> bool:
        return self.clock.playing and self.clock.speed == 1.0

    def sync(self) -> None:
        if self.audible:
            self.player.setPosition(int(self.document.time * 1000))
            self.player.play()
        else:
            self.player.pause()

    def _seeked(self, frame: int) -> None:
        jumped = abs(frame - self._last_frame) > 2  # not the clock's own small advance
        self._last_frame = frame
        if jumped and self.audible:
            self.player.setPosition(int(self.document.time * 1000))

    def close(self) -> None:
        self.player.stop()
