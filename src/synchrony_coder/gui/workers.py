"""Long work off the GUI thread: opening and indexing videos, with progress."""

from __future__ import annotations

from PyQt6.QtCore import QObject, QThread, pyqtSignal

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


class CodingProxies(QObject):
    """Make a coding proxy of each open video too heavy to decode smoothly here, in the
    background, and have the player show it once made (:func:`~synchrony_coder.video.proxy.
    too_heavy`: 4K at 30 fps on two cores). Coding goes on on the original meanwhile;
    ``message(text)`` says what is happening. ``frame -o`` and the events keep the original's
    frames: the proxy has the same frames at the same times.
    """

    message = pyqtSignal(str)

    def __init__(self, player, parent=None) -> None:
        from ..video.proxy import proxy_advice

        super().__init__(parent)
        self.player = player
        videos = player.document.videos
        self.todo = [
            (k, src)
            for k, (src, _) in enumerate(videos)
            if proxy_advice(src.path, src.index, src.display) == "heavy"
        ]
        self.maker: ProxyMaker | None = None
        self._cancelled = False
        if not self.todo:
            return
        self.maker = ProxyMaker([src.path for _, src in self.todo], parent=self)
        self.maker.progress.connect(self._progress)
        self.maker.made.connect(self._made)
        self.maker.failed.connect(lambda msg: self.message.emit(f"No coding proxy: {msg}"))
        self.maker.start()

    def _progress(self, name: str, done: int, total: int) -> None:
        src = next(s for _, s in self.todo if s.path.name == name)
        self.message.emit(
            f"{name} ({src.width}×{src.height} at {src.fps:.3g} fps) is more than this machine "
            f"decodes smoothly: making a 1080-line coding proxy, {100 * done // max(total, 1)} % "
            "done; stepping on the original meanwhile"
        )

    def _made(self, paths: list) -> None:
        from ..errors import DataError
        from ..video import VideoSource

        if self._cancelled:  # (the session closed while the proxy was being finished)
            return
        for (k, src), proxy in zip(self.todo, paths, strict=True):
            try:
                copy = VideoSource(proxy, cache_mib=src.cache_mib)
            except DataError as exc:
                self.message.emit(f"No coding proxy: {exc}")
                continue
            self.player.use_proxy(k, copy)
            self.message.emit(
                f"Coding on the proxy of {src.path.name} now ({copy.width}×{copy.height}, the "
                "same frames at the same times)"
            )

    def cancel(self) -> None:
        """Stop making proxies (nothing is left behind) and wait for the thread to end."""
        self._cancelled = True
        if self.maker is not None and self.maker.isRunning():
            self.maker.cancel()
            self.maker.wait()
