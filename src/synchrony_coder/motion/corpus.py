"""Motion energy of many videos: in this process, or mapped over a Dask cluster, resumable.

Each video is one :class:`VideoJob`; its result (frame times and motion energy) is written to a
part file as soon as it is complete, atomically, named by everything that determines it (the file's
path, size and modification time, the ROIs, θ, the session and offset), so a stopped run started
again computes only what is missing. On a Dask client (``dask.distributed``; Rocklin, 2015) a
video is indexed by one task, then decoded by one task per keyframe-aligned chunk of about
``chunk_s`` seconds; the chunks are stitched exactly (:func:`~.energy.stitch`). The per-video
functions are plain: the same code runs in a test, a notebook and on a cluster.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..storage import atomic_write_bytes
from ..video.index import build_index
from .energy import Roi, chunk_bounds, motion_chunk, stitch
from .table import motion_table

__all__ = ["Extraction", "Progress", "VideoJob", "extract"]

Progress = Callable[[int, int, int, int], None]  # (videos done, videos, chunks done, chunks)


@dataclass(frozen=True)
class VideoJob:
    """One video to measure: its ROIs, θ, and where its rows go in the motion table."""

    path: Path
    session: str
    rois: tuple[Roi, ...]
    threshold: float
    offset_s: float = 0.0

    def __post_init__(self) -> None:
        # a worker may run in another folder (a `dask worker` started by hand): absolute paths
        object.__setattr__(self, "path", Path(self.path).absolute())

    def part_name(self) -> str:
        """A file name that changes whenever the video or the settings change."""
        stat = self.path.stat()
        facts = [
            str(self.path.resolve()),
            str(stat.st_size),
            str(stat.st_mtime_ns),
            repr(self.threshold),
            repr(self.offset_s),
            self.session,
            *(f"{r.name}={r.box}" for r in self.rois),
        ]
        digest = hashlib.sha256("\n".join(facts).encode()).hexdigest()[:16]
        return f"{self.path.stem}-{digest}.npz"

    def table(self, times_ms: np.ndarray, values: np.ndarray) -> pd.DataFrame:
        names = [r.name for r in self.rois]
        return motion_table(self.session, times_ms, values, names, self.offset_s)


@dataclass(frozen=True)
class Extraction:
    """What :func:`extract` made: the motion table of each video measured (in the jobs' order),
    the jobs computed in this run (not resumed), and the videos that could not be measured with
    why (one line each), so one bad file of an archive does not cost the others."""

    tables: list[pd.DataFrame]
    computed: list[VideoJob]
    failed: list[tuple[VideoJob, DataError]]


def measure(job: VideoJob) -> tuple[np.ndarray, np.ndarray]:
    """``(times_ms, values)`` of one whole video in this process (decode and differencing threads)."""
    index = build_index(job.path)
    chunk = motion_chunk(job.path, index, job.rois, job.threshold)
    return index.times_ms, chunk.values


def extract(
    jobs: Sequence[VideoJob],
    parts: Path | None = None,
    client=None,
    chunk_s: float | None = None,
    progress: Progress | None = None,
) -> Extraction:
    """The motion table of every job that could be measured, the jobs computed, those that failed.

    A video that cannot be read, or whose ROIs do not fit it (a :class:`~..errors.DataError`), is
    reported in ``failed`` and the others are measured all the same; any other error stops the run.

    Parameters
    ----------
    jobs : the videos.
    parts : folder for the per-video results; those already there are used, not recomputed.
    client : a ``distributed.Client``; None computes here, one video after another.
    chunk_s : on a client, cut videos into keyframe-aligned chunks of about this many seconds.
    progress : called after each video and chunk.
    """
    results: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k, job in enumerate(jobs):
        found = _load(parts, job)
        if found is not None:
            results[k] = found
    todo = [k for k in range(len(jobs)) if k not in results]
    report = progress or (lambda *a: None)
    report(len(results), len(jobs), 0, 0)

    failed: dict[int, DataError] = {}

    def finished(k: int, times_ms: np.ndarray, values: np.ndarray) -> None:
        results[k] = (times_ms, values)
        _save(parts, jobs[k], times_ms, values)

    if client is None:
        for done, k in enumerate(todo, 1):
            try:
                measured = measure(jobs[k])
            except DataError as exc:
                failed[k] = exc
            else:
                finished(k, *measured)  # a part that cannot be written stops the run
            report(len(jobs) - len(todo) + done, len(jobs), done, len(todo))
    else:
        _on_client(client, jobs, todo, chunk_s, finished, failed, report)
    return Extraction(
        [jobs[k].table(*results[k]) for k in range(len(jobs)) if k in results],
        [jobs[k] for k in todo if k not in failed],
        [(jobs[k], failed[k]) for k in sorted(failed)],
    )


def _on_client(client, jobs, todo, chunk_s, finished, failed, report) -> None:
    from distributed import as_completed

    what: dict[str, tuple[int, str]] = {}  # future key -> (job, "index" or "chunk")
    pending: dict[int, tuple] = {}  # job -> (its index, its chunks by start frame, how many)
    tasks = as_completed()

    def submit(k: int, kind: str, fn, *args) -> None:
        future = client.submit(fn, *args, pure=False)
        what[future.key] = (k, kind)
        tasks.add(future)

    for k in todo:
        submit(k, "index", build_index, jobs[k].path)
    n_chunks = chunks_done = videos_done = 0
    resumed = len(jobs) - len(todo)
    for future in tasks:
        k, kind = what.pop(future.key)
        job = jobs[k]
        try:
            result = future.result()  # a task's error is raised here
        except DataError as exc:
            if k not in failed:  # the video's first error; its other chunks are dropped
                failed[k] = exc
                pending.pop(k, None)
                videos_done += 1
            report(resumed + videos_done, len(jobs), chunks_done, n_chunks)
            continue
        if k in failed:
            continue
        if kind == "index":
            bounds = chunk_bounds(result, chunk_s)
            pending[k] = (result, {}, len(bounds))
            n_chunks += len(bounds)
            for start, stop in bounds:
                submit(
                    k, "chunk", motion_chunk, job.path, result, job.rois, job.threshold, start, stop
                )
        else:
            chunks_done += 1
            index, chunks, n = pending[k]
            chunks[result.start] = result
            if len(chunks) == n:
                ordered = [chunks[s] for s in sorted(chunks)]
                finished(k, index.times_ms, stitch(ordered, job.rois, job.threshold))
                del pending[k]
                videos_done += 1
        report(resumed + videos_done, len(jobs), chunks_done, n_chunks)


def _load(parts: Path | None, job: VideoJob):
    if parts is None:
        return None
    path = parts / job.part_name()
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            return data["times_ms"], data["values"]
    except (OSError, ValueError, KeyError):  # a damaged part is computed again
        return None


def _save(parts: Path | None, job: VideoJob, times_ms: np.ndarray, values: np.ndarray) -> None:
    if parts is None:
        return
    buf = io.BytesIO()
    np.savez(buf, times_ms=times_ms, values=values)
    atomic_write_bytes(parts / job.part_name(), buf.getvalue())
