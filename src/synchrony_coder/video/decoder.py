"""Exact decoding of frame ranges: seek to the right keyframe, decode forward, name each frame.

A decoded frame is identified by its presentation timestamp looked up in the :class:`FrameIndex`,
never by counting, so B-frame reordering, dropped leading pictures and variable frame rate cannot
shift the numbering. Frames are handed out as PyAV frames: the caller converts only those it keeps
(decoding the frames between a keyframe and the target costs no colour conversion).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from .index import FrameIndex, open_container

log = logging.getLogger(__name__)

# Continue decoding forward instead of seeking when that decodes at most this many extra frames:
# a seek flushes the decoder, whose frame threads then need a few packets to refill.
CONTINUE_SLACK = 8
# decoders that honour ``skip_frame`` picture by picture, so skipping can end at any packet
# (libdav1d, for one, reads it once when it opens and would then never show non-reference
# pictures: AV1 files lost frames that way)
SKIPS_NONREF = {"h264", "hevc", "mpeg1video", "mpeg2video", "mpeg4", "h263", "vp8", "vp9"}


class Decoder:
    """One demuxer + decoder over one file, positioned somewhere in its frame sequence.

    Not thread-safe: each thread that decodes owns its own ``Decoder``.

    Parameters
    ----------
    path : the video file.
    index : its frame index.
    threads : decode with FFmpeg's frame and slice threads (throughput) rather than a single thread
        (lowest latency to the first frame after a seek, used for scrubbing previews).
    """

    def __init__(self, path: str | Path, index: FrameIndex, threads: bool = True) -> None:
        self.index = index
        self.path = Path(path)
        self._container, self._stream = open_container(path)
        self.stream = self._stream  # (PyAV's video stream: codec and display facts)
        self._stream.thread_type = "AUTO" if threads else "SLICE"
        self._frames: Iterator | None = None
        self._next = 0  # index of the frame the decoder would present next
        self._trust_from = 0  # pts of the seek point decoding started at
        self._may_skip = self._stream.codec_context.name in SKIPS_NONREF
        self._from_packet: int | None = None  # after a byte seek: the packet number sought
        self._skip_before: int | None = None  # frames before this index may have been skipped
        self._skip_until: int | None = None  # pts from which packets are decoded in full again
        self.decode_errors = 0

    def close(self) -> None:
        self._frames = None
        self._container.close()

    # -- positioning ---------------------------------------------------------------------------
    def _seek(self, k: int, wanted_from: int | None = None) -> None:
        index = self.index
        if index.packet_map is not None:  # MPEG-TS/PS: by byte position (see PacketMap)
            self._container.seek(int(index.packet_map.seek_pos[k]), unsupported_byte_offset=True)
            self._from_packet = int(index.packet_map.seek_packet[k])
        else:
            self._container.seek(
                int(index.seek_ts[k]), stream=self._stream, backward=True, any_frame=False
            )
        self._frames = self._decode_all()
        self._skip_before = None
        self._skip_to(wanted_from)
        self._trust_from = int(self.index.seek_pts[k])
        self._next = -1  # unknown until the first frame comes out

    def _skip_to(self, wanted_from: int | None) -> None:
        """Skip the pictures no other picture refers to until the first packet presented at or
        after frame ``wanted_from``: they are not wanted and nothing needs them, so reaching a
        frame decodes only the chain of reference frames up to it (a third to a half fewer
        pictures for H.264 with B-frames). Packets come in decoding order, so every packet
        presented at or after ``wanted_from`` is decoded in full.

        Pictures presented before ``wanted_from`` whose packets came earlier may be gone, also
        after skipping ends (with reordering and frame threads they come out later):
        ``_skip_before`` stays until the next seek, so that asking for one of them seeks again.
        """
        if wanted_from is None or not self._may_skip:
            self._skip_until = None
            self._stream.codec_context.skip_frame = "DEFAULT"
            return
        self._skip_until = int(self.index.pts[wanted_from])
        self._skip_before = max(self._skip_before or 0, wanted_from)
        self._stream.codec_context.skip_frame = "NONREF"

    def _decode_all(self) -> Iterator:
        """Decode packets from the demuxer's position on (skipping as :meth:`_skip_to` says)."""
        import av

        ctx = self._stream.codec_context
        for packet in self._packets():
            until = self._skip_until
            if until is not None and (packet.pts is None or packet.pts >= until):
                ctx.skip_frame = "DEFAULT"
                self._skip_until = None
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:  # a damaged packet: its frame is reported missing
                self.decode_errors += 1
                log.debug("decode error in %s: %s", self._container.name, exc)
                continue
            yield from frames

    def _packets(self) -> Iterator:
        """The demuxer's packets from where it stands; after a byte seek, from the seek point's
        packet on, each with the timestamp it has when the file is read from the start."""
        packets = self._container.demux(self._stream)
        j, known = self._from_packet, self.index.packet_map
        if j is None or known is None:
            yield from packets
            return
        found = _seek_packet(packets, known, j)
        if found is None:
            return
        packet, after = found
        if known.pts[j] >= 0:
            packet.pts = int(known.pts[j])
        yield packet
        j += 1
        packet = after
        while packet is not None:
            if j < len(known.size) and packet.size == known.size[j]:
                if known.pts[j] >= 0:
                    packet.pts = int(known.pts[j])
                j += 1
            elif packet.size:  # (not expected) out of step: leave the rest as they come
                j = len(known.size)
            yield packet
            packet = next(packets, None)

    def _must_seek(self, start: int) -> bool:
        if self._frames is None or self._next < 0 or self._next > start:
            return True
        if self._skip_before is not None and start < self._skip_before:
            return True  # interrupted while skipping unreferenced frames: some are not coming
        first = self.index.gop_start(start)
        return (start - self._next) > (start - first) + CONTINUE_SLACK

    @property
    def position(self) -> int:
        """Index of the next frame this decoder presents (−1 after a seek, until it presents one)."""
        return self._next

    def frames_before(self, start: int) -> int:
        """How many frames before ``start`` this decoder must decode to reach it from where it is."""
        if not self._must_seek(start):
            return max(start - self._next, 0)
        return start - self.index.gop_start(start)

    # -- decoding ------------------------------------------------------------------------------
    def frames(self, start: int, stop: int) -> Iterator[tuple[int, object | None]]:
        """Decode through frames ``start .. stop-1`` in presentation order.

        Yields ``(index, frame)`` for every frame decoded on the way, which may begin before
        ``start`` (from the keyframe), ascending, ending with ``stop - 1``. A frame of the range
        the decoder could not produce (damaged data) is yielded as ``(index, None)``.
        """
        stop = min(stop, self.index.frame_count)
        if start >= stop:
            return
        if not self._must_seek(start):
            if start - self._next > CONTINUE_SLACK:  # far ahead: decode only the reference chain
                self._skip_to(start)
            yield from self._run(start, stop)
            return
        k = self.index.seek_point_of(start)
        while True:
            self._seek(k, wanted_from=start)
            first = self._first_trusted()
            if first is None:  # nothing decodable from here to the end
                yield from ((i, None) for i in range(start, stop))
                return
            idx, frame = first
            if idx > start and k > 0:  # the demuxer landed after the keyframe: start earlier
                k -= 1
                continue
            break
        for missing in range(start, min(idx, stop)):
            yield missing, None
        self._next = idx + 1
        yield idx, frame
        if idx < stop - 1:
            yield from self._run(start, stop)

    def _first_trusted(self) -> tuple[int, object] | None:
        for frame in self._frames:
            idx = self._identify(frame)
            if idx >= 0:
                return idx, frame
        self._frames = None
        return None

    def _identify(self, frame) -> int:
        pts = frame.pts
        if pts is None or pts < self._trust_from:  # leading pictures of an open GOP
            return -1
        return self.index.index_of_pts(pts)

    def _run(self, start: int, stop: int) -> Iterator[tuple[int, object | None]]:
        for frame in self._frames:
            idx = self._identify(frame)
            if idx < self._next:
                continue
            for missing in range(max(self._next, start), min(idx, stop)):
                yield missing, None
            self._next = idx + 1
            yield idx, frame
            if idx >= stop - 1:
                return
        # end of stream before ``stop``
        self._frames = None
        for missing in range(max(self._next, start), stop):
            yield missing, None
        self._next = -1

    def keyframe(self, index: int) -> tuple[int, object] | None:
        """Decode the first frame of ``index``'s seek point: the fast approximation of frame ``index``."""
        self._seek(self.index.seek_point_of(index))
        found = self._first_trusted()
        if found is not None:
            self._next = found[0] + 1
        return found


# The most bytes of a picture's tail that can come before the next picture in one PES packet
# (its length field is 16 bits).
PES_TAIL_MAX = 1 << 16


def _seek_packet(packets: Iterator, known, j: int) -> tuple[object, object | None] | None:
    """The seek point's packet ``j`` (see :class:`.PacketMap`) among ``packets`` read after a byte
    seek to it, and the packet after it (None at the end); None if it is not there.

    A picture that starts inside a PES packet (an MPEG-PS/VOB pack holds the end of one picture
    and the start of the next) is reached by seeking to that PES packet, and the parser, which
    has seen no start code yet, hands out the previous picture's tail and the keyframe as one
    packet, up to a PES packet larger than when the file is read from the start (the tail comes
    before the keyframe's first start code, where the decoder skips it). So the seek point's
    packet is a keyframe of its size or up to :data:`PES_TAIL_MAX` bytes more, followed by a
    packet of the next one's size, exactly.
    """
    last = j + 1 >= len(known.size)
    candidate = None
    for packet in packets:
        if candidate is not None and (last or packet.size == known.size[j + 1]):
            return candidate, packet
        extra = packet.size - int(known.size[j])
        fits = packet.is_keyframe == known.key[j] and 0 <= extra <= PES_TAIL_MAX
        candidate = packet if fits else None
    return (candidate, None) if candidate is not None and last else None
