"""Motion energy of named regions of a video (SCIENCE.md §6), from the decoded luma plane.

- :mod:`.energy`: :class:`Roi` and the per-video computation (:func:`motion_energy`; keyframe-
  aligned chunks with :func:`motion_chunk` and :func:`stitch`). Plain numpy/OpenCV per frame.
- :mod:`.table`: the tidy motion table ``session, time_s, <roi>...``, read from CSV or from the MEA
  program's text output.
- :mod:`.corpus`: many videos at once, in one process or on a Dask cluster, resumable.
- :mod:`.cache`: one video's regions measured with progress and cancellation, cached beside it
  (what the app uses).
"""

from __future__ import annotations

from .energy import (
    DEFAULT_THRESHOLD,
    MotionChunk,
    Roi,
    RoiError,
    chunk_bounds,
    motion_chunk,
    motion_energy,
    parse_roi,
    stitch,
)
from .table import MotionFileError, format_motion, motion_table, read_mea_text, read_motion

__all__ = [
    "DEFAULT_THRESHOLD",
    "MotionChunk",
    "MotionFileError",
    "Roi",
    "RoiError",
    "chunk_bounds",
    "format_motion",
    "motion_chunk",
    "motion_energy",
    "motion_table",
    "parse_roi",
    "read_mea_text",
    "read_motion",
    "stitch",
]
