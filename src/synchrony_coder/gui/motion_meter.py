"""Motion energy measured in the background, one camera at a time, cancellable.

A worker thread runs :func:`synchrony_coder.motion.cache.video_motion` (cached beside the video)
for each job, at a lower scheduling priority where the system allows it, so playing and coding
keep the processor first. A new job for a camera cancels the one running or waiting for it (its
regions changed); :meth:`MotionMeter.close` cancels everything and waits for the chunk being
decoded (a few seconds of video at most).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from ..errors import DataError
from ..motion.cache import video_motion
from ..motion.energy import Roi

NICE = 10  # the worker thread's (and its decoder's) niceness on Linux


@dataclass
class _Job:
    k: int
    path: Path
    rois: tuple[Roi, ...]
    threshold: float
    index: object = None  # the video's FrameIndex when already built
    cancel: threading.Event = field(default_factory=threading.Event)


class MotionMeter(QObject):
    """Runs measuring jobs; reports ``progress``, ``measured`` or ``failed`` per camera ``k``."""

    progress = pyqtSignal(int, str, int, int)  # k, video name, frames done, frames
    measured = pyqtSignal(int, object, str)  # k, VideoMotion, note ("" or why not cached)
    failed = pyqtSignal(int, str)  # k, what went wrong
    busy = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: deque[_Job] = deque()
        self._running: _Job | None = None
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closing = False
        self._thread: threading.Thread | None = None

    def measure(self, k: int, path: Path, rois, threshold: float, index=None) -> None:
        """Measure camera ``k``'s ``rois`` (replacing any job of that camera)."""
        with self._lock:
            self._drop(k)
            self._jobs.append(_Job(k, Path(path), tuple(rois), float(threshold), index))
            self._wake.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="motion", daemon=True)
            self._thread.start()

    def forget(self, k: int) -> None:
        """Stop measuring camera ``k`` (its regions are gone)."""
        with self._lock:
            self._drop(k)

    def _drop(self, k: int) -> None:
        self._jobs = deque(j for j in self._jobs if j.k != k)
        if self._running is not None and self._running.k == k:
            self._running.cancel.set()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._running is not None or bool(self._jobs)

    def close(self, timeout: float = 30.0) -> None:
        """Cancel every job and wait for the worker to stop."""
        with self._lock:
            self._closing = True
            self._jobs.clear()
            if self._running is not None:
                self._running.cancel.set()
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: threads have their own nice
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        while True:
            with self._lock:
                while not self._jobs and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                job = self._running = self._jobs.popleft()
            self._emit(self.busy, True)
            self._run(job)
            with self._lock:
                self._running = None
                idle = not self._jobs
            if idle:
                self._emit(self.busy, False)

    def _run(self, job: _Job) -> None:
        name = job.path.name
        try:
            result = video_motion(
                job.path,
                job.rois,
                job.threshold,
                job.index,
                progress=lambda done, total: self._emit(self.progress, job.k, name, done, total),
                cancelled=job.cancel.is_set,
            )
        except DataError as exc:
            self._emit(self.failed, job.k, str(exc))
            return
        except Exception as exc:  # a decoder failure is said, never a crash
            self._emit(self.failed, job.k, f"{type(exc).__name__}: {exc}")
            return
        if result is not None and not job.cancel.is_set():
            self._emit(self.measured, job.k, *result)

    def _emit(self, signal, *args) -> None:
        with contextlib.suppress(RuntimeError):  # the window was closed meanwhile
            signal.emit(*args)
