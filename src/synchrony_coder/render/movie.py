"""Encode a coded session as a small synthetic H.264 video (PyAV, libx264, yuv420p)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..scheme import Scheme, load_scheme
from ..storage import new_temp, publish
from .scene import Scene
from .states import FrameStates, frame_states, session_duration_s

__all__ = ["RenderError", "render_frames", "render_session"]

Progress = Callable[[int, int], None]
GOP = 60
CRF = 30


class RenderError(DataError):
    """Events that cannot be rendered (no or several sessions or coders); one line."""


def _one_session(events: pd.DataFrame, session: str | None, coder: str | None) -> pd.DataFrame:
    ev = events
    if session is not None:
        ev = ev[ev["session"].astype(str) == str(session)]
        if ev.empty:
            found = ", ".join(sorted(events["session"].astype(str).unique())) or "none"
            raise RenderError(f"no events of session {session!r} (sessions: {found})")
    elif ev["session"].nunique() > 1:
        found = ", ".join(sorted(ev["session"].astype(str).unique()))
        raise RenderError(
            f"events hold several sessions ({found}): choose one (session=; CLI --session)"
        )
    if coder is not None:
        ev = ev[ev["coder"].astype(str) == str(coder)]
        if ev.empty:
            raise RenderError(f"no events of coder {coder!r}")
    elif ev["coder"].nunique() > 1:
        found = ", ".join(sorted(ev["coder"].astype(str).unique()))
        raise RenderError(f"events hold several coders ({found}): choose one (coder=; CLI --coder)")
    return ev


def _states(events, session, coder, scheme, fps, offset_s, duration_s) -> FrameStates:
    ev = _one_session(events, session, coder)
    total = session_duration_s(ev) if duration_s is None else float(duration_s)
    n = int(math.floor((total - offset_s) * fps + 1e-6))
    if n <= 0:
        raise RenderError(
            f"nothing to render: session length {total:g} s, video offset {offset_s:g} s"
        )
    return frame_states(ev, scheme, n, fps, offset_s)


def render_frames(
    events: pd.DataFrame,
    *,
    session: str | None = None,
    coder: str | None = None,
    fps: float = 30,
    size: tuple[int, int] = (640, 360),
    scheme: Scheme | None = None,
    view: str = "dyad",
    offset_s: float = 0.0,
    duration_s: float | None = None,
    barcode: bool = True,
) -> Iterator[np.ndarray]:
    """The RGB frames (height x width x 3, uint8) :func:`render_session` encodes, in order."""
    sch = scheme or load_scheme()
    st = _states(events, session, coder, sch, fps, offset_s, duration_s)
    yield from Scene(size[0], size[1], view, sch, barcode=barcode).frames(st)


def render_session(
    events: pd.DataFrame,
    out_path: str | Path,
    *,
    session: str | None = None,
    coder: str | None = None,
    fps: float = 30,
    size: tuple[int, int] = (640, 360),
    scheme: Scheme | None = None,
    view: str = "dyad",
    offset_s: float = 0.0,
    duration_s: float | None = None,
    barcode: bool = True,
    crf: int = CRF,
    progress: Progress | None = None,
) -> Path:
    """Render one session's coded events as a cartoon video.

    Two cartoon faces, the infant's and the caregiver's, show the engagement codes (Tronick & Cohn,
    1989: negative, withdrawn, object, monitor, positive); bids and responses appear as gestures for
    one second from their onset; in the still-face episode (Tronick et al., 1978) the caregiver's
    face freezes. A caption strip gives the phase and the session clock; a barcode in the top-left
    corner gives the frame index (:func:`read_frame_barcode`).

    Parameters
    ----------
    events
        Coded events (SCIENCE.md §1) of one session and one coder (else pass ``session`` and
        ``coder``).
    out_path
        The ``.mp4`` to write (atomically: a temporary file is renamed at the end).
    fps, size
        Frame rate and (width, height); both dimensions must be even (yuv420p).
    scheme
        The scheme whose roles name the tiers (default scheme).
    view
        ``"dyad"`` (both partners), ``"infant"`` or ``"caregiver"`` (one camera each).
    offset_s
        Session time of the video's first frame: a camera that started ``offset_s`` seconds late
        (the ``offset_s`` of its entry in ``session.toml``).
    duration_s
        Session length; default the latest state offset (SCIENCE.md §3). The video has
        ``floor((duration_s - offset_s) * fps)`` frames.
    barcode
        Draw the frame-number barcode.
    crf
        x264 constant rate factor (higher is smaller; 30 keeps a 2-minute 640 x 360 video under
        1 MB).
    progress
        Called as ``progress(frames_done, frames_total)`` every 64 frames and at the end.

    Returns
    -------
    pathlib.Path
        ``out_path``. H.264 (libx264, yuv420p) in MP4, keyframe every 60 frames, 2 B-frames.
    """
    import av
    import cv2

    width, height = size
    if width % 2 or height % 2:
        raise ValueError(f"size must be even for yuv420p, not {width}x{height}")
    sch = scheme or load_scheme()
    st = _states(events, session, coder, sch, fps, offset_s, duration_s)
    total = len(st)
    scene = Scene(width, height, view, sch, barcode=barcode)
    out_path = Path(out_path)
    tmp = new_temp(out_path)
    try:
        with av.open(str(tmp), "w", format="mp4") as container:
            rate = Fraction(fps).limit_denominator(1001)
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.gop_size = GOP
            stream.codec_context.max_b_frames = 2
            stream.options = {
                "crf": str(crf),
                "preset": "veryfast",  # as small as medium here (flat cartoon), twice as fast
                "tune": "animation",
                "x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes=2",
            }
            stream.thread_count = 2
            for k, rgb in enumerate(scene.frames(st)):
                # BT.601 limited range, as swscale's default, at a third of its cost
                yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
                frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                frame.pts = k
                container.mux(stream.encode(frame))
                if progress is not None and ((k + 1) % 64 == 0 or k + 1 == total):
                    progress(k + 1, total)
            container.mux(stream.encode(None))
        publish(tmp, out_path)  # readable by all, as a video is meant to be
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out_path
