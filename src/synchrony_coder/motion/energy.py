"""Motion energy of named regions of a video, frame by frame, from the decoded luma plane.

Motion energy (Ramseyer & Tschacher, 2011; SCIENCE.md §6) of region r at frame t ≥ 1 is the share
of its pixels whose luma changed by more than θ since frame t−1::

    ME_r(t) = #{p ∈ r : |Y_t(p) − Y_{t−1}(p)| > θ} / (w·h)

Frame 0, and a frame next to one the decoder could not produce, has no value (NaN). Decoding runs
in one thread and differencing in the caller's (both release the GIL), through a short queue, so
memory stays bounded whatever the length of the video. A video can be cut into keyframe-aligned
chunks computed anywhere and stitched exactly (:func:`motion_chunk`, :func:`stitch`): each chunk
keeps its first and last frame's regions, from which the value at every seam is computed.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..video.index import FrameIndex, build_index
from ..video.planes import luma_planes

__all__ = [
    "DEFAULT_THRESHOLD",
    "MotionChunk",
    "Roi",
    "RoiError",
    "chunk_bounds",
    "motion_chunk",
    "motion_energy",
    "parse_roi",
    "stitch",
]

DEFAULT_THRESHOLD = 10.0
QUEUE_FRAMES = 6  # decoded frames waiting to be differenced: bounds memory, keeps both cores busy
_NAME = re.compile(r"^[A-Za-z_][\w-]*$")
_RESERVED = ("session", "time_s", "frame")  # columns of the motion table


class RoiError(DataError):
    """A region of interest that is malformed or does not fit the video (one line)."""


@dataclass(frozen=True)
class Roi:
    """A named rectangle in pixels of the video's displayed frame: ``x, y`` its top-left corner."""

    name: str
    x: int
    y: int
    w: int
    h: int

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or self.name in _RESERVED:
            raise RoiError(
                f"ROI name {self.name!r}: use letters, digits, '_' or '-', starting with a letter "
                f"(not {', '.join(_RESERVED)}); it names a column"
            )
        for field in ("x", "y", "w", "h"):
            value = getattr(self, field)
            if not isinstance(value, int | np.integer) or isinstance(value, bool):
                raise RoiError(f"ROI {self.name}: {field} = {value!r} is not a whole number")
        if self.x < 0 or self.y < 0 or self.w <= 0 or self.h <= 0:
            raise RoiError(
                f"ROI {self.name}: x,y,w,h = {self.box}: x and y must be ≥ 0, w and h > 0"
            )

    @property
    def rect(self) -> tuple[int, int, int, int]:
        """``(x, y, w, h)``: what a region's motion depends on (its name does not)."""
        return (self.x, self.y, self.w, self.h)

    @property
    def box(self) -> str:
        return ",".join(map(str, self.rect))

    def check_fits(self, width: int, height: int, where: str) -> None:
        """Raise :class:`RoiError` unless the rectangle lies inside a ``width × height`` frame."""
        if self.x + self.w > width or self.y + self.h > height:
            raise RoiError(
                f"{where}: ROI {self.name} = {self.box} reaches outside the {width}x{height} frame"
            )


def parse_roi(text: str) -> Roi:
    """``"infant=10,20,300,200"`` → ``Roi("infant", 10, 20, 300, 200)``."""
    name, sep, box = text.partition("=")
    parts = box.split(",")
    if not sep or len(parts) != 4:
        raise RoiError(f"ROI {text!r}: write NAME=x,y,w,h (pixels), e.g. infant=0,0,320,480")
    try:
        values = [int(p.strip()) for p in parts]
    except ValueError:
        raise RoiError(f"ROI {text!r}: x,y,w,h must be whole numbers of pixels") from None
    return Roi(name.strip(), *values)


def check_unique(rois: Sequence[Roi]) -> None:
    names = [r.name for r in rois]
    if not rois:
        raise RoiError("no ROI given (--roi NAME=x,y,w,h, or ROIs stored in session.toml)")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise RoiError(f"ROI {dup[0]} is given twice")


@dataclass(frozen=True)
class MotionChunk:
    """Motion energy of frames ``start .. stop-1`` and the regions at both ends, for stitching.

    ``values[k, j]`` is ROI ``j``'s motion energy at frame ``start + k``; ``values[0]`` is NaN (its
    previous frame belongs to the chunk before). ``first``/``last`` hold each ROI's pixels at
    frames ``start`` and ``stop - 1`` (None where the decoder could not produce the frame).
    """

    start: int
    stop: int
    values: np.ndarray
    first: tuple[np.ndarray, ...] | None
    last: tuple[np.ndarray, ...] | None


class _Changed:
    """Counts, per ROI, the pixels whose luma changed by more than θ between two frames."""

    def __init__(self, rois: Sequence[Roi], threshold: float) -> None:
        import cv2  # here: the session manifest imports this module for Roi

        self.cv2 = cv2
        self.slices = [(slice(r.y, r.y + r.h), slice(r.x, r.x + r.w)) for r in rois]
        self.area = np.array([r.w * r.h for r in rois], dtype=np.float64)
        # |ΔY| > θ on whole numbers is |ΔY| > floor(θ): OpenCV's 8-bit threshold compares so too
        self.threshold = float(np.floor(threshold))
        self.buffers = [np.empty((r.h, r.w), np.uint8) for r in rois]

    def crops(self, plane: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(plane[s] for s in self.slices)

    def shares(self, now: Sequence[np.ndarray], before: Sequence[np.ndarray], out: np.ndarray):
        cv2 = self.cv2
        for j, (a, b, buf) in enumerate(zip(now, before, self.buffers, strict=True)):
            cv2.absdiff(a, b, dst=buf)
            cv2.threshold(buf, self.threshold, 255, cv2.THRESH_BINARY, dst=buf)
            out[j] = cv2.countNonZero(buf)
        out /= self.area


def motion_chunk(
    path: str | Path,
    index: FrameIndex,
    rois: Sequence[Roi],
    threshold: float = DEFAULT_THRESHOLD,
    start: int = 0,
    stop: int | None = None,
) -> MotionChunk:
    """Motion energy of frames ``start .. stop-1`` of one video (see the module docstring).

    Raises
    ------
    RoiError
        A region reaches outside the frame.
    VideoError
        The file cannot be decoded.
    """
    stop = index.frame_count if stop is None else min(stop, index.frame_count)
    if not 0 <= start < stop:
        raise ValueError(f"empty frame range {start}..{stop}")
    check_unique(rois)
    changed = _Changed(rois, threshold)
    values = np.full((stop - start, len(rois)), np.nan)
    first = last = None
    prev = None  # frames come in order, every one (None where damaged)
    for i, plane in _decoded(path, index, start, stop):
        if plane is None:
            prev = None
            continue
        if i == start or prev is None:
            height, width = plane.shape
            for roi in rois:
                roi.check_fits(width, height, str(path))
        now = changed.crops(plane)
        if prev is not None:
            changed.shares(now, prev, values[i - start])
        if i == start:
            first = now
        if i == stop - 1:
            last = now
        prev = now
    return MotionChunk(start, stop, values, _own(first), _own(last))


def _own(crops: tuple[np.ndarray, ...] | None) -> tuple[np.ndarray, ...] | None:
    """Compact copies (a crop is a view of a whole decoded frame; a chunk travels between hosts)."""
    return None if crops is None else tuple(np.ascontiguousarray(c) for c in crops)


def _decoded(path, index: FrameIndex, start: int, stop: int):
    """:func:`luma_planes` decoded in a thread of its own, handed over through a short queue."""
    handoff: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
    stopping = threading.Event()
    end = object()

    def put(item) -> None:
        while not stopping.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for item in luma_planes(path, index, start, stop):
                if stopping.is_set():
                    return
                put(item)
            put(end)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)

    worker = threading.Thread(target=produce, name="motion-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stopping.set()
        worker.join()


def stitch(chunks: Sequence[MotionChunk], rois: Sequence[Roi], threshold: float) -> np.ndarray:
    """The motion energy of a whole video from its chunks (in order, covering frames 0..n−1).

    The value at each seam frame ``s`` (NaN inside its chunk) is computed from the previous chunk's
    last regions and this chunk's first ones, so the result equals one pass over the video.
    """
    changed = _Changed(rois, threshold)
    parts = []
    for k, chunk in enumerate(chunks):
        values = chunk.values
        if k:
            before = chunks[k - 1]
            if before.stop != chunk.start:
                raise ValueError(f"chunks do not meet: {before.stop} != {chunk.start}")
            if before.last is not None and chunk.first is not None:
                values = values.copy()
                changed.shares(chunk.first, before.last, values[0])
        parts.append(values)
    return np.concatenate(parts) if parts else np.empty((0, len(rois)))


def chunk_bounds(index: FrameIndex, chunk_s: float | None) -> list[tuple[int, int]]:
    """Cut a video into ranges of about ``chunk_s`` seconds starting at seek points (keyframes).

    Each chunk then decodes from its own keyframe and nothing twice; ``None``: one chunk.
    """
    n = index.frame_count
    if not chunk_s or n < 2:
        return [(0, n)]
    starts = [0]
    for f in index.seek_frames[1:]:
        f = int(f)
        if index.time_of(f) - index.time_of(starts[-1]) >= chunk_s and f < n:
            starts.append(f)
    return list(zip(starts, starts[1:] + [n], strict=True))


def motion_energy(
    path: str | Path,
    rois: Sequence[Roi],
    threshold: float = DEFAULT_THRESHOLD,
    index: FrameIndex | None = None,
) -> tuple[FrameIndex, np.ndarray]:
    """Motion energy of every frame of a video: ``(index, values)``, values ``(frames, rois)``.

    Parameters
    ----------
    path : the video.
    rois : the named regions (pixels of the displayed frame).
    threshold : θ, luma levels on the 0–255 scale (default 10).
    index : the video's frame index, if already built.
    """
    index = build_index(path) if index is None else index
    return index, motion_chunk(path, index, rois, threshold).values
