"""Decoded luma planes of a frame range, without colour conversion (for motion energy).

A frame of an 8-bit planar YUV or grey video already holds its luma as plane 0: it is handed out as
a view of the decoder's buffer, no copy. Deeper sources are scaled to 0–255 by dropping the extra
bits (10-bit: ``Y >> 2``, SCIENCE.md §6); any other pixel format is converted to grey once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .decoder import Decoder
from .index import FrameIndex

__all__ = ["luma", "luma_planes"]

_PLANAR_YUV = re.compile(r"^(yuvj?\d|yuva\d|gray|nv\d)")  # plane 0 is luma, one sample per pixel


def luma(frame) -> np.ndarray:
    """The luma plane of a decoded PyAV frame as a ``(height, width)`` uint8 array (0–255)."""
    fmt = frame.format
    name, bits = fmt.name, fmt.components[0].bits
    if _PLANAR_YUV.match(name) and bits == 8:
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return rows[:, : plane.width]
    if _PLANAR_YUV.match(name) and 8 < bits <= 16 and name.endswith("le"):
        plane = frame.planes[0]
        rows = np.frombuffer(plane, "<u2").reshape(plane.height, plane.line_size // 2)
        return (rows[:, : plane.width] >> (bits - 8)).astype(np.uint8)
    return luma(frame.reformat(format="gray"))


def luma_planes(
    path: str | Path, index: FrameIndex, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, np.ndarray | None]]:
    """Yield ``(i, luma)`` for frames ``start .. stop-1`` in presentation order.

    ``luma`` is None for a frame the decoder could not produce (damaged data). Each array may be a
    view of the decoder's buffer: it stays valid while the caller holds it.
    """
    decoder = Decoder(path, index)
    try:
        for i, frame in decoder.frames(start, index.frame_count if stop is None else stop):
            if i >= start:
                yield i, None if frame is None else luma(frame)
    finally:
        decoder.close()
