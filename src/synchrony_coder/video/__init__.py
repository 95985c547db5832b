"""Frame-exact video access for coding: exact index, fast stepping both ways, synced cameras.

``open_video(path)`` returns a :class:`VideoSource`: ``frame(i)`` is exactly the ``i``-th presented
frame (B-frames, variable frame rate and late-starting files included), ``time_of``/``index_at``
convert between frames and seconds from the first frame, and a background thread keeps decoded
frames around the playhead so stepping forwards and backwards is immediate. :class:`SyncedVideos`
plays several cameras of one session with per-video offsets. Plain library: no Qt.
"""

from __future__ import annotations

from pathlib import Path

from .index import FrameIndex, VideoError, build_index
from .source import DEFAULT_CACHE_MIB, VideoSource
from .sync import SyncedVideos


def open_video(path: str | Path, cache_mib: float = DEFAULT_CACHE_MIB, **kwargs) -> VideoSource:
    """Open ``path`` as a :class:`VideoSource` (see there for the keyword arguments)."""
    return VideoSource(path, cache_mib=cache_mib, **kwargs)


__all__ = [
    "FrameIndex",
    "SyncedVideos",
    "VideoError",
    "VideoSource",
    "build_index",
    "open_video",
]
