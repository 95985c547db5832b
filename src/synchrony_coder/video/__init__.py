"""Frame-exact video access for coding: exact index, fast stepping both ways, synced cameras.

``open_video(path)`` returns a :class:`VideoSource`: ``frame(i)`` is exactly the ``i``-th presented
frame (B-frames, variable frame rate, late-starting files, MP4 edit lists, MPEG transport and
program streams included), upright and deinterlaced as players show it (:mod:`.display`);
``time_of``/``index_at`` convert between frames and seconds from the first frame, and background
threads keep decoded frames around the playhead so stepping forwards and backwards is immediate.
:class:`SyncedVideos` plays several cameras of one session with per-video offsets;
:func:`.archive.probe_files` tabulates what is unusual about a folder of videos; :func:`luma`
gives the shown luma plane of a decoded frame (for motion energy). Plain library: no Qt.
"""

from __future__ import annotations

from pathlib import Path

from .display import Display, luma
from .index import FrameIndex, VideoError, build_index
from .source import DEFAULT_CACHE_MIB, VideoSource
from .sync import SyncedVideos


def open_video(path: str | Path, cache_mib: float = DEFAULT_CACHE_MIB, **kwargs) -> VideoSource:
    """Open ``path`` as a :class:`VideoSource` (see there for the keyword arguments)."""
    return VideoSource(path, cache_mib=cache_mib, **kwargs)


__all__ = [
    "Display",
    "FrameIndex",
    "SyncedVideos",
    "VideoError",
    "VideoSource",
    "build_index",
    "luma",
    "open_video",
]
