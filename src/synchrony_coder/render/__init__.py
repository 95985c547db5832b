"""Synthetic cartoon videos of coded sessions, for demos, tests and teaching.

:func:`render_session` turns one session's events (typically the ground truth of
:func:`synchrony_coder.simulate.simulate_session`) into an H.264 MP4 in which two cartoon faces show
the engagement codes, bids and responses appear as gestures and the caregiver freezes during the
still-face episode; :func:`read_frame_barcode` reads back the frame index drawn in each frame's
corner, so a player can be checked for frame exactness. Drawing is numpy + OpenCV only (no Qt).

- :mod:`.states`: what each frame shows (vectorised lookups in integer milliseconds).
- :mod:`.cartoon`, :mod:`.gestures`, :mod:`.draw`: the faces, gestures and drawing primitives.
- :mod:`.scene`: layout, cached sprites, caption strip; :mod:`.barcode`: the frame barcode.
- :mod:`.movie`: encoding with PyAV.
"""

from __future__ import annotations

from .barcode import read_frame_barcode
from .movie import RenderError, render_frames, render_session
from .states import FrameStates, frame_states, session_duration_s

__all__ = [
    "FrameStates",
    "RenderError",
    "frame_states",
    "read_frame_barcode",
    "render_frames",
    "render_session",
    "session_duration_s",
]
