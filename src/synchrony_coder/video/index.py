"""The exact frame index of a video: every presented frame's timestamp and the seek points.

Built by demultiplexing packets, never by decoding: a packet carries its presentation timestamp
(pts) and a keyframe flag, so sorting the pts of one stream's packets gives the frames in
presentation order whatever the decode order (B-frames) and whatever the spacing (variable frame
rate). Frame *i* is the *i*-th presented frame and time 0 is the first frame's presentation, so a
file whose first pts is not zero (edit lists, MPEG-TS, cut recordings) still starts at 0.0 s.
This is how ``ffprobe -show_packets`` and FFmpeg's own seeking see a file (FFmpeg, 2024,
*libavformat* documentation: ``av_read_frame`` returns packets with pts/dts in stream time base).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import DataError

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 512  # packets between progress reports


class VideoError(DataError):
    """A video file that cannot be opened, indexed or decoded; ``str()`` is one line naming it."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        self.message = " ".join(str(message).split())
        super().__init__(f"{self.path}: {self.message}")


@dataclass(frozen=True)
class FrameIndex:
    """Presentation timestamps of every frame and where decoding can start.

    Attributes
    ----------
    pts : int64 array, ascending
        Presentation timestamp of frame ``i`` in ``time_base`` units.
    time_base : Fraction
        Seconds per timestamp unit.
    times_ms : int64 array
        ``round((pts[i] - pts[0]) * time_base * 1000)``: frame ``i``'s time in milliseconds.
    seek_pts : int64 array, ascending
        Presentation timestamp of each seek point (a keyframe). Decoding that starts at seek point
        ``k`` yields correct frames from ``seek_pts[k]`` on.
    seek_ts : int64 array
        The timestamp to hand to the demuxer's seek for each seek point: the keyframe's pts, or
        for a stream whose first packet is not flagged a keyframe, its first timestamp.
    end_pts : int
        Presentation end of the last frame (its pts plus its duration).
    declared_frames : int
        Number of frames the container header announces (0 when it does not say).
    truncated : bool
        True when the file holds fewer frames than its header announces or ends early.
    """

    pts: np.ndarray
    time_base: Fraction
    times_ms: np.ndarray
    seek_pts: np.ndarray
    seek_ts: np.ndarray
    end_pts: int
    declared_frames: int = 0
    truncated: bool = False

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    @property
    def duration_s(self) -> float:
        return round(float((self.end_pts - self.pts[0]) * self.time_base), 3)

    @property
    def fps(self) -> float:
        """Average frames per second: ``frame_count / duration_s`` (exact for constant rate)."""
        span = float((self.end_pts - self.pts[0]) * self.time_base)
        return self.frame_count / span if span > 0 else 0.0

    @property
    def keyframe_interval_s(self) -> float:
        """Mean seconds from one seek point (keyframe) to the next: what a random seek decodes."""
        return self.duration_s / max(len(self.seek_pts), 1)

    @property
    def vfr(self) -> bool:
        """True when frame durations differ by more than 2 ms and more than two timestamp ticks.

        A constant-rate file in a millisecond time base alternates 33/34 ms at 30 fps; that is
        rounding, not variable rate, so a tolerance is needed.
        """
        if self.frame_count < 3:
            return False
        durations = np.diff(self.pts) * float(self.time_base)
        return bool(np.ptp(durations) > max(0.002, 2 * float(self.time_base)))

    def time_of(self, index):
        """Frame ``index``'s presentation time in seconds (first frame 0.0), to the millisecond."""
        return self.times_ms[index] / 1000.0

    def index_at(self, seconds):
        """The frame shown at ``seconds``: the last frame whose time is <= it, clipped to range."""
        ms = np.round(np.asarray(seconds, dtype=np.float64) * 1000.0)
        found = np.searchsorted(self.times_ms, ms, side="right") - 1
        return np.clip(found, 0, self.frame_count - 1)

    def seek_point_of(self, index: int) -> int:
        """The last seek point at or before frame ``index`` in presentation order."""
        return max(int(np.searchsorted(self.seek_pts, self.pts[index], side="right")) - 1, 0)

    def first_frame_of_seek_point(self, k: int) -> int:
        """Index of the first frame presented at or after seek point ``k``."""
        return int(np.searchsorted(self.pts, self.seek_pts[k], side="left"))

    @property
    def seek_frames(self) -> np.ndarray:
        """Index of the first frame of each seek point (ascending; the first is 0)."""
        return np.searchsorted(self.pts, self.seek_pts, side="left")

    def gop_start(self, index: int) -> int:
        """Index of the first frame of frame ``index``'s seek point: where a seek to it decodes from."""
        return self.first_frame_of_seek_point(self.seek_point_of(index))

    def index_of_pts(self, pts: int) -> int:
        """The frame whose pts is exactly ``pts``, or -1 if none is."""
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and self.pts[i] == pts else -1


def open_container(path: str | Path):
    """Open ``path`` with PyAV and return ``(container, video_stream)``; VideoError if impossible."""
    import av

    p = Path(path)
    if not p.exists():
        raise VideoError(p, "no such file")
    if p.is_dir():
        raise VideoError(p, "is a folder, not a video file")
    try:
        container = av.open(str(p))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(p, f"not a readable video file ({_short(exc)})") from None
    if not container.streams.video:
        container.close()
        raise VideoError(p, "has no video stream")
    return container, container.streams.video[0]


def build_index(path: str | Path, progress: Progress | None = None) -> FrameIndex:
    """Demultiplex the first video stream of ``path`` and return its :class:`FrameIndex`.

    Parameters
    ----------
    path : path of the video file.
    progress : called as ``progress(done, total)`` every few hundred packets and at the end;
        ``total`` is the frame count the header announces or estimates (0 if unknown). It may raise
        to abandon indexing.

    Raises
    ------
    VideoError
        The file is missing, not a video, has no frames or no timestamps.
    """
    import av

    container, stream = open_container(path)
    packets: list[tuple[int | None, int | None, bool, bool, int]] = []  # pts, dts, key, shown, dur
    damaged = False
    try:
        total = _expected_frames(container, stream)
        try:
            for packet in container.demux(stream):
                if packet.size == 0:  # the empty packet that flushes the decoder at the end
                    continue
                # a packet before an edit list's start is decoded but never shown; a damaged one
                # (a cut-off tail) may not decode: neither is a frame, both may be seek points
                shown = not (packet.is_discard or packet.is_corrupt)
                damaged = damaged or packet.is_corrupt
                ts = packet.pts if packet.pts is not None else packet.dts
                packets.append((ts, packet.dts, packet.is_keyframe, shown, packet.duration or 0))
                if progress is not None and len(packets) % PROGRESS_EVERY == 0:
                    progress(len(packets), max(total, len(packets)))
        except av.FFmpegError:  # an unreadable tail: keep what was read, flag it
            damaged = True
        declared = int(stream.frames or 0)
        declared_s = _declared_seconds(container, stream)
        time_base = Fraction(stream.time_base or Fraction(1, 1))
    finally:
        container.close()
    index = _assemble(path, packets, time_base, declared, declared_s, damaged)
    if progress is not None:
        progress(index.frame_count, index.frame_count)
    return index


def _assemble(path, packets, time_base: Fraction, declared: int, declared_s: float, damaged: bool):
    if any(p[0] is None for p in packets if p[3]):
        raise VideoError(
            path,
            "has video packets without timestamps; remux it first (ffmpeg -i IN -c copy OUT.mkv)",
        )
    packets = [p for p in packets if p[0] is not None]
    shown = np.array([p[0] for p in packets if p[3]], dtype=np.int64)
    if len(shown) == 0:
        raise VideoError(path, "contains no video frames")
    shown.sort()
    if np.any(np.diff(shown) == 0):
        raise VideoError(
            path,
            "has frames with duplicate timestamps; remux it first (ffmpeg -i IN -c copy OUT.mkv)",
        )
    # seek by the keyframe's pts: MP4 and Matroska both seek on presentation time (seeking by dts
    # lands a whole GOP early in MP4 with B-frames); landing late is detected by the decoder
    seek = sorted((pts, pts) for pts, _, key, _, _ in packets if key)
    first_ts = min(min(p[0], p[1]) if p[1] is not None else p[0] for p in packets)
    if not seek or seek[0][0] > shown[0]:
        # frames before the first flagged keyframe are reached by decoding from the very start
        seek.insert(0, (int(shown[0]), int(first_ts)))
    seek_pts = np.array([s[0] for s in seek], dtype=np.int64)
    seek_ts = np.array([s[1] for s in seek], dtype=np.int64)
    durations = {p[0]: p[4] for p in packets if p[3]}
    last = int(durations.get(int(shown[-1]), 0))
    if last <= 0:
        last = int(np.median(np.diff(shown))) if len(shown) > 1 else 1
    end_pts = int(shown[-1]) + last
    seconds = (shown - shown[0]).astype(np.float64) * float(time_base)
    span = (end_pts - int(shown[0])) * float(time_base)
    truncated = damaged or len(shown) < declared
    if declared_s and not declared:  # headers count duration from 0 or from the first frame
        end_s = end_pts * float(time_base)
        truncated = truncated or max(span, end_s) < 0.9 * declared_s - 0.5
    return FrameIndex(
        pts=shown,
        time_base=time_base,
        times_ms=np.round(seconds * 1000.0).astype(np.int64),
        seek_pts=seek_pts,
        seek_ts=seek_ts,
        end_pts=end_pts,
        declared_frames=declared,
        truncated=bool(truncated),
    )


def _expected_frames(container, stream) -> int:
    if stream.frames:
        return int(stream.frames)
    seconds = _declared_seconds(container, stream)
    rate = float(stream.average_rate or stream.guessed_rate or 0)
    return int(seconds * rate) if seconds and rate else 0


def _declared_seconds(container, stream) -> float:
    """Duration the header announces for the video: the stream's, else the file's if video-only."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    only_video = all(s.type == "video" for s in container.streams)
    if container.duration and only_video:
        return container.duration / 1_000_000
    return 0.0


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 160 else text[:157] + "..."
