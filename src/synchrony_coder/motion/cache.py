"""Motion energy of one video, measured with progress and cancellation, cached beside the video.

The app measures each camera's regions in the background and keeps the result in
``NAME.motion.npz`` beside ``NAME.ext`` (:func:`cache_path`), written atomically through
:mod:`synchrony_coder.storage`. The cache holds one column per rectangle, keyed by the rectangle
``x, y, w, h`` (not its name: renaming a region costs nothing), together with the video's size and
modification time, θ and a format version: if any of these differ the column is measured again.
A column measured earlier stays in the cache (up to :data:`KEEP`), so undoing a move is instant.

Measuring runs over keyframe-aligned chunks (:func:`~.energy.chunk_bounds`) stitched exactly
(:func:`~.energy.stitch`), so the values equal one pass of :func:`~.energy.motion_energy`, and
progress is reported and cancellation honoured between chunks.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..storage import WriteError, atomic_write_bytes
from ..video.index import FrameIndex, build_index
from .energy import Roi, chunk_bounds, motion_chunk, stitch

__all__ = ["CACHE_SUFFIX", "VideoMotion", "cache_path", "video_motion"]

CACHE_SUFFIX = ".motion.npz"
VERSION = 2  # bump when what a column means changes (e.g. how luma is taken from a frame)
KEEP = 8  # columns kept in a cache: the current regions and the latest earlier ones
CHUNK_S = 5.0  # progress and cancellation are checked this often (seconds of video)


@dataclass(frozen=True)
class VideoMotion:
    """Motion energy of a video's regions: ``values[i, j]`` at frame ``i`` (time ``times_ms[i]``
    from the video's first frame) of ``rois[j]``; frame 0 is NaN."""

    rois: tuple[Roi, ...]
    threshold: float
    times_ms: np.ndarray
    values: np.ndarray


def cache_path(video: str | Path) -> Path:
    video = Path(video)
    return video.with_name(video.stem + CACHE_SUFFIX)


def _key(video: Path, threshold: float) -> np.ndarray:
    stat = video.stat()
    return np.array([VERSION, stat.st_size, stat.st_mtime_ns, int(round(threshold * 1000))])


def _read(video: Path, threshold: float) -> tuple[np.ndarray, dict[tuple, np.ndarray]] | None:
    """The cache's frame times and columns by box, or None (absent, stale or unreadable)."""
    try:
        with np.load(cache_path(video), allow_pickle=False) as data:
            if not np.array_equal(data["key"], _key(video, threshold)):
                return None
            times_ms, boxes, values = data["times_ms"], data["boxes"], data["values"]
    except (OSError, ValueError, KeyError):  # absent or damaged: measured again
        return None
    if values.shape != (len(times_ms), len(boxes)):
        return None
    return times_ms, {tuple(int(v) for v in b): values[:, j] for j, b in enumerate(boxes)}


def _write(video: Path, threshold: float, times_ms, columns: dict[tuple, np.ndarray]) -> None:
    buf = io.BytesIO()
    boxes = np.array(list(columns), dtype=np.int64).reshape(-1, 4)
    values = np.column_stack(list(columns.values())) if columns else np.empty((len(times_ms), 0))
    np.savez(buf, key=_key(video, threshold), times_ms=times_ms, boxes=boxes, values=values)
    atomic_write_bytes(cache_path(video), buf.getvalue())


def measure(
    video: str | Path,
    rois: Sequence[Roi],
    threshold: float,
    index: FrameIndex | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[FrameIndex, np.ndarray] | None:
    """Motion energy of ``rois`` in every frame, chunk by chunk; None when ``cancelled()``.

    ``progress(frames done, frames)`` is called after each chunk.
    """
    index = build_index(video) if index is None else index
    bounds = chunk_bounds(index, CHUNK_S)
    chunks = []
    for start, stop in bounds:
        if cancelled is not None and cancelled():
            return None
        chunks.append(motion_chunk(video, index, rois, threshold, start, stop))
        if progress is not None:
            progress(stop, index.frame_count)
    return index, stitch(chunks, rois, threshold)


def video_motion(
    video: str | Path,
    rois: Sequence[Roi],
    threshold: float,
    index: FrameIndex | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[VideoMotion, str] | None:
    """The motion energy of ``rois`` from the cache, measuring (and caching) what is missing.

    Returns ``(motion, note)``: ``note`` is ``""`` or the sentence saying why the cache could not
    be written (the values are good all the same); None when cancelled.
    """
    video = Path(video).resolve()
    rois = tuple(rois)
    if not rois:
        raise ValueError("no region to measure")
    found = _read(video, threshold)
    times_ms, columns = found if found is not None else (None, {})
    wanted = list(dict.fromkeys(r.rect for r in rois))
    missing = [b for b in wanted if b not in columns]
    note = ""
    if missing:
        first = {}  # each rectangle measured once, named after (the first) region it is
        for roi in rois:
            first.setdefault(roi.rect, roi)
        done = measure(video, [first[b] for b in missing], threshold, index, progress, cancelled)
        if done is None:
            return None
        index, values = done
        if times_ms is None or not np.array_equal(times_ms, index.times_ms):
            times_ms, columns = index.times_ms, {}
        columns.update({box: values[:, k] for k, box in enumerate(missing)})
        # the current regions first, then the latest earlier ones
        order = wanted + [b for b in columns if b not in wanted]
        columns = {b: columns[b] for b in order[: max(KEEP, len(wanted))]}
        try:
            _write(video, threshold, times_ms, columns)
        except WriteError as exc:
            note = f"motion energy not cached: {exc}"
    values = np.column_stack([columns[r.rect] for r in rois])
    return VideoMotion(rois, float(threshold), np.asarray(times_ms), values), note
