"""Decoded luma planes of a frame range, without colour conversion (for motion energy).

Each plane is the Y plane as the frame is shown (:func:`.display.luma`): upright (a phone's
rotation applied), deinterlaced, 10-bit samples scaled to 0–255 (``Y >> 2``, SCIENCE.md §6), so
regions of interest are in the pixels of the displayed frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .decoder import Decoder
from .display import luma
from .index import FrameIndex

__all__ = ["luma", "luma_planes"]


def luma_planes(
    path: str | Path, index: FrameIndex, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, np.ndarray | None]]:
    """Yield ``(i, luma)`` for frames ``start .. stop-1`` in presentation order.

    ``luma`` is None for a frame the decoder could not produce (damaged data).
    """
    decoder = Decoder(path, index)
    try:
        for i, frame in decoder.frames(start, index.frame_count if stop is None else stop):
            if i >= start:
                yield i, None if frame is None else luma(frame)
    finally:
        decoder.close()
