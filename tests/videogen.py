"""Small test videos whose every frame carries its own number as a binary barcode.

The barcode is a 4 x 4 grid of black/white cells filling the picture: 12 bits of the frame number
and a 4-bit check (the number modulo 13), so a frame read back from any decoder names itself, and a
block-compression artefact cannot turn one valid number into another. Used by the video tests and
the video benchmark; made with PyAV encoders only (no ffmpeg command needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROWS, COLS, NUMBER_BITS = 4, 4, 12


def _bits(number: int) -> list[int]:
    word = (number % (1 << NUMBER_BITS)) | ((number % 13) << NUMBER_BITS)
    return [(word >> b) & 1 for b in range(ROWS * COLS)]


def draw_barcode(
    img: np.ndarray, number: int, box: tuple[int, int, int, int] | None = None
) -> None:
    """Draw ``number`` as the barcode into ``img`` (RGB or a luma plane) inside ``box``.

    ``box`` is ``(top, left, height, width)``; by default the whole image.
    """
    top, left, height, width = box or (0, 0, *img.shape[:2])
    ch, cw = height // ROWS, width // COLS
    for b, bit in enumerate(_bits(number)):
        r, c = divmod(b, COLS)
        y, x = top + r * ch, left + c * cw
        img[y : y + ch, x : x + cw] = 235 if bit else 20


def barcode_image(number: int, width: int = 160, height: int = 96) -> np.ndarray:
    """An RGB image (height, width, 3) that is the barcode of ``number``."""
    img = np.zeros((height, width, 3), np.uint8)
    draw_barcode(img, number)
    return img


def read_barcode(rgb: np.ndarray, box: tuple[int, int, int, int] | None = None) -> int | None:
    """The frame number drawn by :func:`draw_barcode`, or None if the check bits disagree."""
    top, left, height, width = box or (0, 0, *rgb.shape[:2])
    ch, cw = height // ROWS, width // COLS
    luma = rgb[top : top + height, left : left + width].astype(np.float32)
    if luma.ndim == 3:
        luma = luma.mean(axis=2)
    word = 0
    for b in range(ROWS * COLS):
        r, c = divmod(b, COLS)
        y, x = r * ch, c * cw
        cell = luma[y + ch // 4 : y + ch - ch // 4, x + cw // 4 : x + cw - cw // 4]
        word |= int(cell.mean() > 128) << b
    number, check = word & ((1 << NUMBER_BITS) - 1), word >> NUMBER_BITS
    return number if number % 13 == check else None


# name -> (container format, suffix, codec, pix_fmt, codec options, max_b_frames)
FORMATS: dict[str, tuple[str, str, str, str, dict[str, str], int]] = {
    "h264_bframes_mp4": (
        "mp4",
        ".mp4",
        "libx264",
        "yuv420p",
        {"preset": "ultrafast", "bf": "3"},
        3,
    ),
    "h264_bframes_mkv": ("matroska", ".mkv", "libx264", "yuv420p", {"bf": "2"}, 2),
    "hevc_mp4": ("mp4", ".mp4", "libx265", "yuv420p", {"x265-params": "log-level=error"}, 3),
    "mpeg4_bframes_mp4": ("mp4", ".mp4", "mpeg4", "yuv420p", {"qscale": "3"}, 2),
    "mpeg4_avi": ("avi", ".avi", "mpeg4", "yuv420p", {"qscale": "3"}, 0),
    "vp9_webm": (
        "webm",
        ".webm",
        "libvpx-vp9",
        "yuv420p",
        {"deadline": "realtime", "cpu-used": "8"},
        0,
    ),
    "mjpeg_avi": ("avi", ".avi", "mjpeg", "yuvj420p", {}, 0),
}


def encoder_available(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except Exception:  # PyAV raises UnknownCodecError / ValueError depending on version
        return False
    return True


def write_video(
    path: Path,
    fmt: str,
    n_frames: int = 90,
    *,
    fps: int = 30,
    gop: int = 24,
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    width: int = 160,
    height: int = 96,
) -> Path:
    """Encode ``n_frames`` barcode frames numbered 0.. in presentation order.

    ``pts`` (in ``time_base`` units) gives each frame's timestamp for variable-frame-rate or
    late-starting files; by default frames are 1/fps apart from 0.
    """
    container_fmt, _, codec, pix_fmt, options, bframes = FORMATS[fmt]
    with av.open(str(path), "w", format=container_fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.gop_size = gop
        if bframes:
            stream.codec_context.max_b_frames = bframes
        stream.options = dict(options)
        if time_base is not None:
            stream.codec_context.time_base = time_base
            stream.time_base = time_base
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(barcode_image(i, width, height), format="rgb24")
            frame = frame.reformat(format=pix_fmt)
            if pts is not None:
                frame.pts = int(pts[i])
                frame.time_base = time_base
            else:
                frame.pts = i
                frame.time_base = Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_luma_video(
    path: Path, lumas: Sequence[np.ndarray], *, fps: int = 25, gop: int = 12, bframes: int = 2
) -> Path:
    """Encode luma planes (uint8, equal even sizes) losslessly: H.264 ``qp=0``, grey chroma.

    Every decoded frame's luma equals the plane given, so changed-pixel counts are known exactly.
    """
    height, width = lumas[0].shape
    chroma = np.full((height // 2) * (width // 2), 128, np.uint8).tobytes()
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.max_b_frames = bframes
        stream.options = {"qp": "0", "preset": "ultrafast", "bf": str(bframes)}
        for i, y in enumerate(lumas):
            frame = av.VideoFrame(width, height, "yuv420p")
            rows = np.zeros((height, frame.planes[0].line_size), np.uint8)
            rows[:, :width] = y
            frame.planes[0].update(rows.tobytes())
            frame.planes[1].update(_padded(chroma, frame.planes[1], width // 2))
            frame.planes[2].update(_padded(chroma, frame.planes[2], width // 2))
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _padded(data: bytes, plane, width: int) -> bytes:
    rows = np.frombuffer(data, np.uint8).reshape(-1, width)
    full = np.zeros((rows.shape[0], plane.line_size), np.uint8)
    full[:, :width] = rows
    return full.tobytes()
