"""Long work off the GUI thread: opening and indexing videos, with progress."""

from __future__ import annotations

from PyQt6.QtCore import QThread, pyqtSignal

from ..session import SessionSpec


class VideoOpener(QThread):
    """Open every video of a session (indexing can take a while for long files).

    Emits ``progress(done, total)`` while indexing, then ``opened(list[(source, offset_s)])`` or
    ``failed(message)``.
    """

    progress = pyqtSignal(int, int)
    opened = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, spec: SessionSpec, cache_mib: int = 512, parent=None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.cache_mib = cache_mib

    def run(self) -> None:
        from ..errors import DataError
        from ..video import VideoSource
        from ..video.proxy import playable

        sources = []
        try:
            for ref in self.spec.videos:
                sources.append(
                    (
                        VideoSource(
                            playable(ref.path), cache_mib=self.cache_mib, progress=self._progress
                        ),
                        ref.offset_s,
                    )
                )
        except DataError as exc:
            for src, _ in sources:
                src.close()
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # an unexpected decoder failure is shown, never a crash
            for src, _ in sources:
                src.close()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.opened.emit(sources)

    def _progress(self, done: int, total: int) -> None:
        self.progress.emit(int(done), int(total))


class ProxyMaker(QThread):
    """Write a short-GOP proxy of each video (:func:`~synchrony_coder.video.proxy.make_proxy`).

    Emits ``progress(video name, frames done, frames)``, then ``made(list of proxy paths)`` or
    ``failed(message)``.
    """

    progress = pyqtSignal(str, int, int)
    made = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, videos: list, parent=None) -> None:
        super().__init__(parent)
        self.videos = list(videos)
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    def run(self) -> None:
        from ..errors import DataError
        from ..video.proxy import make_proxy

        made = []
        try:
            for video in self.videos:
                name = video.name

                def progress(done: int, total: int, name=name) -> None:
                    if self._cancelled:
                        raise _Cancelled
                    self.progress.emit(name, int(done), int(total))

                made.append(make_proxy(video, progress=progress))
        except _Cancelled:
            return
        except DataError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # an encoder failure is shown, never a crash
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.made.emit(made)


class _Cancelled(Exception):
    """Raised from the progress callback to stop :func:`make_proxy` (which then deletes its file)."""
