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
class PacketMap:
    """Every packet of a video stream in file order, to seek by byte position and name packets.

    MPEG-TS and MPEG-PS have no index: FFmpeg seeks them by bisecting on timestamps read near
    byte positions and lands on whatever picture is near the time, not on a keyframe (FFmpeg,
    2024, ``libavformat/mpegts.c``, ``mpegts_get_dts``). Seeking by byte to a keyframe's packet
    lands on it exactly. But in a program stream a picture that starts inside a PES packet
    takes its timestamp from the parser's state, which after a jump is not what it is when
    reading from the start: pictures come out of a seek with no timestamp or another picture's
    (a DVD-style file showed frame 45 as frame 48). So the decoder recognises the seek point's
    packet by its size (plus the previous picture's tail, which comes with it when the keyframe
    starts inside a pack) and keyframe flag, and gives it, and each packet after it, the
    timestamp it had when the file was read from the start.

    Attributes
    ----------
    pts : int64 array: each packet's timestamp read from the start (-1: none).
    size : int64 array: each packet's size in bytes.
    key : bool array: each packet's keyframe flag.
    seek_packet : int64 array: the packet number of each seek point's keyframe.
    seek_pos : int64 array: byte position to seek to for each seek point (its packet's, or the
        last known before it: a picture that starts inside a PES packet has none of its own).
    """

    pts: np.ndarray
    size: np.ndarray
    key: np.ndarray
    seek_packet: np.ndarray
    seek_pos: np.ndarray


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
        ``(pts[i] - pts[0]) * time_base * 1000`` rounded (halves up, in exact arithmetic):
        frame ``i``'s time in milliseconds. (Frame 15 of a 29.97 fps file is at 500.5 ms: 501.)
    seek_pts : int64 array, ascending
        Presentation timestamp of each seek point (a keyframe). Decoding that starts at seek point
        ``k`` yields correct frames from ``seek_pts[k]`` on.
    seek_ts : int64 array
        The timestamp to hand to the demuxer's seek for each seek point: the keyframe's pts, or
        for a stream whose first packet is not flagged a keyframe, its first timestamp.
    end_pts : int
        Presentation end of the last frame (its pts plus its duration).
    packet_map : PacketMap or None
        For MPEG transport and program streams, every packet in file order: they are sought by
        byte position (see :class:`PacketMap`). None for other containers.
    declared_frames : int
        Number of frames the container header announces (0 when it does not say).
    truncated : bool
        True when the file holds fewer frames than its header announces or ends early.
    missing_frames : int
        How many frames a truncated file lacks: those its header announces beyond the packets
        there are (edit-list-hidden ones count as there), or, without a frame count, what its
        declared duration holds beyond the frames' span at their rate.
    hidden_frames : int
        Pictures decoded only as references and never shown: hidden by an MP4 edit list (a file
        cut without re-encoding), or leading pictures of an open GOP at the start of a file whose
        references were cut away (FFmpeg does not output them either).
    """

    pts: np.ndarray
    time_base: Fraction
    times_ms: np.ndarray
    seek_pts: np.ndarray
    seek_ts: np.ndarray
    end_pts: int
    declared_frames: int = 0
    truncated: bool = False
    packet_map: PacketMap | None = None
    missing_frames: int = 0
    hidden_frames: int = 0

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    @property
    def byte_seek(self) -> bool:
        """Seek by byte position (see :class:`PacketMap`) rather than by timestamp."""
        return self.packet_map is not None

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
    stream = container.streams.video[0]
    if stream.codec_context is None:  # FFmpeg knows no decoder for it
        container.close()
        raise VideoError(p, undecodable(None))
    return container, stream


def undecodable(codec: str | None) -> str:
    """The one-line explanation for a video codec this installation cannot decode."""
    import av

    what = f"video codec '{codec}'" if codec else "video codec (unknown to it)"
    return (
        f"its {what} cannot be decoded by the FFmpeg inside PyAV {av.__version__}; convert it "
        "with a tool that can (e.g. ffmpeg -i IN -c:v libx264 -crf 18 OUT.mp4) or make a proxy "
        "with `synchrony-coder proxy` where PyAV decodes it, and open that"
    )


def build_index(path: str | Path, progress: Progress | None = None) -> FrameIndex:
    """Demultiplex the first video stream of ``path`` and return its :class:`FrameIndex`.

    Frames are the pictures FFmpeg presents (``ffmpeg -i FILE -f framemd5 -`` lists the same
    number): packets an MP4 edit list hides are not frames, and when pictures are presented
    before the first keyframe (a transport stream cut inside an open GOP), the start of the file
    is decoded once to learn which of them can be decoded at all.

    Parameters
    ----------
    path : path of the video file.
    progress : called as ``progress(done, total)`` every few hundred packets and at the end;
        ``total`` is the frame count the header announces or estimates (0 if unknown). It may raise
        to abandon indexing.

    Raises
    ------
    VideoError
        The file is missing, not a video, has no frames or no timestamps, or its codec cannot be
        decoded.
    """
    import av

    container, stream = open_container(path)
    packets: list[tuple] = []  # (pts, dts, keyframe, shown, duration, byte position, size)
    damaged = False
    hidden = 0
    pos = -1
    try:
        total = _expected_frames(container, stream)
        byte_seek = _seeks_by_byte(container)
        try:
            for packet in container.demux(stream):
                if packet.size == 0:  # the empty packet that flushes the decoder at the end
                    continue
                # a packet before an edit list's start is decoded but never shown; a damaged one
                # (a cut-off tail) may not decode: neither is a frame, both may be seek points
                shown = not (packet.is_discard or packet.is_corrupt)
                damaged = damaged or packet.is_corrupt
                hidden += bool(packet.is_discard)
                ts = packet.pts if packet.pts is not None else packet.dts
                # a picture that starts inside a PES packet has no position of its own: the
                # last one known before it is where the demuxer can start to reach it
                if packet.pos is not None and packet.pos >= 0:
                    pos = packet.pos
                packets.append(
                    (
                        ts,
                        packet.dts,
                        packet.is_keyframe,
                        shown,
                        packet.duration or 0,
                        pos,
                        packet.size,
                    )
                )
                if progress is not None and len(packets) % PROGRESS_EVERY == 0:
                    progress(len(packets), max(total, len(packets)))
        except av.FFmpegError:  # an unreadable tail: keep what was read, flag it
            damaged = True
        declared = int(stream.frames or 0)
        declared_s = _declared_seconds(container, stream)
        time_base = Fraction(stream.time_base or Fraction(1, 1))
    finally:
        container.close()
    if any(p[0] is None for p in packets if p[3]):
        raise VideoError(
            path,
            "has video packets without timestamps; remux it first (ffmpeg -i IN -c copy OUT.mkv)",
        )
    lost = _undecodable_leading(path, [p for p in packets if p[0] is not None])
    if lost:
        packets = [(*p[:3], p[3] and p[0] not in lost, *p[4:]) for p in packets]
    index = _assemble(
        path, packets, time_base, declared, declared_s, damaged, byte_seek, hidden + len(lost)
    )
    if progress is not None:
        progress(index.frame_count, index.frame_count)
    return index


def _seeks_by_byte(container) -> bool:
    """Whether to seek ``container`` by byte position: formats with timestamp discontinuities
    (MPEG-TS, MPEG-PS, VOB) are seeked by FFmpeg through timestamps read near a byte position,
    which need not be a keyframe's; their packets' positions are exact."""
    import av

    flags = int(container.format.flags)
    return bool(flags & av.format.Flags.ts_discont.value) and not (
        flags & av.format.Flags.no_byte_seek.value
    )


def _undecodable_leading(path, packets: list[tuple]) -> set[int]:
    """Timestamps of the pictures presented before the first keyframe that the decoder does not
    output when decoding from the start of the file (an open GOP's leading pictures whose
    reference was cut away, or pictures before the first keyframe of a stream cut mid-GOP).

    Decodes only the start of the file, and only when such pictures exist.
    """
    import av

    keys = [p[0] for p in packets if p[2]]
    if not keys:
        return set()
    first_key = min(keys)
    lead = {p[0] for p in packets if p[3] and p[0] < first_key}
    if not lead:
        return set()
    seen: set[int] = set()
    container, stream = open_container(path)
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue
            seen.update(frame.pts for frame in frames if frame.pts is not None)
            if max(seen, default=first_key - 1) >= first_key:  # presented in order: done
                break
    finally:
        container.close()
    return lead - seen


def _assemble(
    path,
    packets,
    time_base: Fraction,
    declared: int,
    declared_s: float,
    damaged: bool,
    byte_seek: bool,
    hidden: int,
):
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
    timed = [(j, p) for j, p in enumerate(packets) if p[0] is not None]
    seek = sorted((p[0], p[0], p[5], j) for j, p in timed if p[2])
    first_ts = min(min(p[0], p[1]) if p[1] is not None else p[0] for _, p in timed)
    if not seek or seek[0][0] > shown[0]:
        # frames before the first flagged keyframe are reached by decoding from the very start
        seek.insert(0, (int(shown[0]), int(first_ts), packets[0][5], 0))
    seek_pts = np.array([s[0] for s in seek], dtype=np.int64)
    seek_ts = np.array([s[1] for s in seek], dtype=np.int64)
    packet_map = None
    if byte_seek and all(s[2] >= 0 for s in seek):
        packet_map = PacketMap(
            pts=np.array([-1 if p[0] is None else p[0] for p in packets], dtype=np.int64),
            size=np.array([p[6] for p in packets], dtype=np.int64),
            key=np.array([p[2] for p in packets], dtype=bool),
            seek_packet=np.array([s[3] for s in seek], dtype=np.int64),
            seek_pos=np.array([s[2] for s in seek], dtype=np.int64),
        )
    packets = [p for _, p in timed]
    durations = {p[0]: p[4] for p in packets if p[3]}
    last = int(durations.get(int(shown[-1]), 0))
    if last <= 0:
        last = int(np.median(np.diff(shown))) if len(shown) > 1 else 1
    end_pts = int(shown[-1]) + last
    span = (end_pts - int(shown[0])) * float(time_base)
    there = len(shown) + hidden  # frames the file holds, shown or hidden (not damaged ones)
    missing = max(declared - there, 0)
    truncated = damaged or missing > 0
    if declared_s and not declared:  # headers count duration from 0 or from the first frame
        end_s = end_pts * float(time_base)
        if max(span, end_s) < 0.9 * declared_s - 0.5:
            truncated = True
            frame_s = float(np.median(np.diff(shown))) * float(time_base) if len(shown) > 1 else 0
            missing = max(round(declared_s / frame_s) - there, 0) if frame_s > 0 else 0
    return FrameIndex(
        pts=shown,
        time_base=time_base,
        times_ms=_milliseconds(shown - shown[0], time_base),
        seek_pts=seek_pts,
        seek_ts=seek_ts,
        end_pts=end_pts,
        declared_frames=declared,
        truncated=bool(truncated),
        packet_map=packet_map,
        missing_frames=int(missing),
        hidden_frames=int(hidden),
    )


def _milliseconds(ticks: np.ndarray, time_base: Fraction) -> np.ndarray:
    """``ticks * time_base`` in milliseconds, rounded half up, in integers (floats put 500.5 ms
    on either side of the half)."""
    num, den = time_base.numerator * 1000, time_base.denominator
    return (2 * ticks * num + den) // (2 * den)


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
    """FFmpeg's words for ``exc`` (its strerror: no errno or repeated path), on one short line."""
    reason = getattr(exc, "strerror", None)
    text = " ".join((reason if isinstance(reason, str) and reason else str(exc)).split())
    text = text[:1].lower() + text[1:]
    return text if len(text) < 160 else text[:157] + "..."
