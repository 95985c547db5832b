"""Small test videos whose every frame carries its own number as a binary barcode.

The barcode is a 4 x 4 grid of black/white cells filling the picture: 12 bits of the frame number
and a 4-bit check (the number modulo 13), so a frame read back from any decoder names itself, and a
block-compression artefact cannot turn one valid number into another. Used by the video tests and
the video benchmark. :func:`write_video` uses PyAV encoders only; the camera-like files of
:func:`make_camera_file` (edit lists, transport and program streams, interlacing) are made with the
``ffmpeg`` command, as editors and cameras make them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
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
    rotation: int = 0,
) -> Path:
    """Encode ``n_frames`` barcode frames numbered 0.. in presentation order.

    ``pts`` (in ``time_base`` units) gives each frame's timestamp for variable-frame-rate or
    late-starting files; by default frames are 1/fps apart from 0. ``rotation`` (degrees
    counter-clockwise) is written as the display matrix, as phones do.
    """
    container_fmt, _, codec, pix_fmt, options, bframes = FORMATS[fmt]
    with av.open(str(path), "w", format=container_fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.gop_size = gop
        if rotation:
            stream.set_display_rotation(rotation)
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
    path: Path,
    lumas: Sequence[np.ndarray],
    *,
    fps: int = 25,
    gop: int = 12,
    bframes: int = 2,
    rotation: int = 0,
) -> Path:
    """Encode luma planes (uint8, equal even sizes) losslessly: H.264 ``qp=0``, grey chroma.

    Every decoded frame's luma equals the plane given, so changed-pixel counts are known exactly.
    ``rotation`` (degrees) goes into the display matrix, as a phone writes it.
    """
    height, width = lumas[0].shape
    chroma = np.full((height // 2) * (width // 2), 128, np.uint8).tobytes()
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.max_b_frames = bframes
        stream.options = {"qp": "0", "preset": "ultrafast", "bf": str(bframes)}
        if rotation:
            stream.set_display_rotation(rotation)
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


# -- camera-like files: made from a lossless master with the ffmpeg command, as editors do --------

FIELD_SHIFT = 2048  # an interlaced test frame's second field shows its number plus this


def ffmpeg(*args) -> None:
    """Run the ``ffmpeg`` command (Debian's package; see ``.ci/run``), quietly, failing loudly."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"ffmpeg {' '.join(map(str, args))}: {done.stderr.strip()}")


def write_master(
    path: Path,
    n_frames: int = 90,
    *,
    fps: Fraction | int = 30,
    width: int = 320,
    height: int = 240,
    fields: str | None = None,
    grain: int = 0,
) -> Path:
    """A lossless FFV1 Matroska file of barcode frames 0..n-1 (the source the other kinds are
    encoded from). ``fields="tff"`` or ``"bff"`` weaves two pictures into each frame, as an
    interlaced camera records them: the field shown first (top for tff) carries the frame's
    number, the other the number plus :data:`FIELD_SHIFT` (so a woven, combed frame reads as
    neither, and a deinterlacer that keeps the first field reads the frame's number).
    ``grain`` adds moving noise of up to that many grey levels, as a camera's sensor does: coded
    pictures then take tens of kilobytes, as a camera's do, instead of a few hundred bytes."""
    texture = np.random.default_rng(0).integers(-grain, grain + 1, (height, width, 3))
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(n_frames):
            img = barcode_image(i, width, height)
            if fields:
                other = barcode_image(i + FIELD_SHIFT, width, height)
                first = 0 if fields == "tff" else 1
                img[1 - first :: 2] = other[1 - first :: 2]
            if grain:
                img = np.clip(img + np.roll(texture, 7 * i, axis=1), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def ffmpeg_frames(path: Path) -> np.ndarray:
    """Every frame the ``ffmpeg`` command presents (its own rotation applied, no frame dropped or
    repeated) as RGB: the independent reference. Shape (n, height, width, 3)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height:stream_side_data=rotation", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    import json

    stream = json.loads(probe.stdout)["streams"][0]
    width, height = stream["width"], stream["height"]
    turns = [s.get("rotation", 0) for s in stream.get("side_data_list", [])]
    if turns and int(turns[0]) % 180:
        width, height = height, width
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0",
         "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def ffmpeg_frame_count(path: Path) -> int:
    """How many frames ``ffmpeg -i FILE -f framemd5 -`` lists."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5",
         "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sum(1 for line in out.splitlines() if line and not line.startswith("#"))


@dataclass(frozen=True)
class CameraFile:
    """A test file made the way a camera or editor makes it, and what the test knows of it."""

    path: Path
    turn: int = 0  # degrees counter-clockwise the display matrix turns the coded picture
    fields: str | None = None  # "tff"/"bff": interlaced, first field carrying the frame number
    sample_aspect: Fraction = Fraction(1)
    fps: Fraction = Fraction(30)
    frames: int = 90  # frames in the master it was made from


_X264 = ["-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "24"]


def _from_master(
    folder: Path, name: str, out: str, *args, fields=None, fps=30, n=90, size=(320, 240), grain=0
):
    key = f"master_{fields}_{fps}_{n}_{size[0]}x{size[1]}_{grain}".replace("/", "_")
    master = folder / f"{key}.mkv"
    if not master.exists():
        write_master(
            master, n, fps=Fraction(fps), width=size[0], height=size[1], fields=fields, grain=grain
        )
    path = folder / f"{name}{out}"
    ffmpeg("-i", master, *args, path)
    return path


def make_camera_file(kind: str, folder: Path) -> CameraFile:
    """Write the test file of ``kind`` (see :data:`CAMERA_KINDS`) into ``folder``."""
    m = lambda out, *a, **k: _from_master(folder, kind, out, *a, **k)  # noqa: E731
    if kind == "edit_list_mp4":  # cut without re-encoding: the edit list hides 9 frames
        whole = m(".whole.mp4", *_X264)
        path = folder / "edit_list.mp4"
        ffmpeg("-ss", "1.1", "-i", whole, "-c", "copy", path)
        return CameraFile(path)
    if kind == "edit_list_both_ends_mp4":
        whole = m(".whole.mp4", *_X264)
        path = folder / "edit_list_both.mp4"
        ffmpeg("-ss", "1.1", "-i", whole, "-t", "1.0", "-c", "copy", path)
        return CameraFile(path)
    if kind == "avchd_interlaced_m2ts":  # 1080i camcorder style, with AC-3 audio
        path = folder / "avchd.m2ts"
        master = folder / "interlaced_tff.mkv"
        write_master(master, 90, fields="tff")
        ffmpeg("-i", master, "-f", "lavfi", "-i", "sine=duration=3", "-vf", "setfield=tff",
               "-c:v", "libx264",
               "-flags", "+ildct+ilme", "-x264-params", "interlaced=1:tff=1:keyint=12:bframes=2",
               "-c:a", "ac3", "-f", "mpegts", "-mpegts_m2ts_mode", "1", path)  # fmt: skip
        return CameraFile(path, fields="tff")
    if kind == "ts_open_gop_cut":  # a transport stream cut inside an open GOP
        whole = m(".whole.ts", *_X264, "-x264-params", "open-gop=1:scenecut=0", "-f", "mpegts")
        path = folder / "open_gop_cut.ts"
        ffmpeg("-ss", "1.1", "-i", whole, "-c", "copy", "-f", "mpegts", path)
        return CameraFile(path)
    if kind == "ts_timestamps_wrap":  # the 33-bit clock wraps 1.3 s into the file
        return CameraFile(m(".ts", *_X264, "-output_ts_offset", "95441", "-f", "mpegts"))
    if kind == "mpeg2_ps_cut":  # older archives: MPEG-2 in a program stream, cut
        whole = m(".whole.mpg", "-c:v", "mpeg2video", "-q:v", "3", "-g", "15", "-bf", "2",
                  "-f", "mpeg")  # fmt: skip
        path = folder / "mpeg2_cut.mpg"
        ffmpeg("-ss", "1.1", "-i", whole, "-c", "copy", "-f", "mpeg", path)
        return CameraFile(path)
    if kind == "dvd_interlaced_vob":  # DVD style: interlaced MPEG-2, bottom field first
        path = folder / "dvd.vob"
        master = folder / "interlaced_bff.mkv"
        write_master(master, 90, fields="bff")
        ffmpeg("-i", master, "-vf", "setfield=bff", "-c:v", "mpeg2video", "-q:v", "3",
               "-g", "15", "-bf", "2", "-flags", "+ildct+ilme", "-top", "0", "-f", "vob",
               path)  # fmt: skip
        return CameraFile(path, fields="bff")
    if kind == "grainy_vob":  # camera-sized pictures: a keyframe starts inside a 2 KiB pack
        path = m(".vob", "-f", "lavfi", "-i", "sine=duration=2", "-c:v", "mpeg2video", "-q:v", "3",
                 "-g", "15", "-bf", "2", "-c:a", "mp2", "-f", "vob", n=60, grain=20)  # fmt: skip
        return CameraFile(path, frames=60)
    if kind == "av1_mkv":
        return CameraFile(m(".mkv", "-c:v", "libsvtav1", "-preset", "12", "-g", "30"))
    if kind in ("phone_rotated_mp4", "upside_down_mp4"):
        turn = -90 if kind == "phone_rotated_mp4" else 180
        path = write_video(folder / f"{kind}.mp4", "h264_bframes_mp4", 90, width=320,
                           height=240, rotation=turn)  # fmt: skip
        return CameraFile(path, turn=turn % 360)
    if kind == "non_square_pixels_mp4":  # PAL DV widescreen's 64:45
        return CameraFile(m(".mp4", *_X264, "-vf", "setsar=64/45"), sample_aspect=Fraction(64, 45))
    if kind == "odd_size_webm":
        return CameraFile(m(".webm", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                            "-cpu-used", "8", size=(321, 241)))  # fmt: skip
    if kind == "ntsc_2997_mp4":
        fps = Fraction(30000, 1001)
        return CameraFile(m(".mp4", *_X264, "-r", "30000/1001", fps=fps), fps=fps)
    if kind == "ntsc_5994_mp4":
        fps = Fraction(60000, 1001)
        path = m(".mp4", *_X264[:-1], "60", "-r", "60000/1001", fps=fps, n=150)
        return CameraFile(path, fps=fps, frames=150)
    if kind == "hevc10_mov_audio_first":
        path = folder / "hevc10.mov"
        master = folder / "master_10bit.mkv"
        write_master(master, 90)
        ffmpeg("-f", "lavfi", "-i", "sine=duration=3", "-i", master, "-map", "0:a", "-map", "1:v",
               "-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-x265-params", "log-level=error",
               "-c:a", "aac", path)  # fmt: skip
        return CameraFile(path)
    if kind == "prores_mov":  # editors' intermediate: 10-bit 4:2:2, every frame a keyframe
        return CameraFile(m(".mov", "-c:v", "prores_ks", "-profile:v", "2"))
    if kind == "vp8_webm":
        return CameraFile(m(".webm", "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "1M"))
    raise ValueError(kind)


CAMERA_KINDS = [
    "edit_list_mp4",
    "edit_list_both_ends_mp4",
    "avchd_interlaced_m2ts",
    "ts_open_gop_cut",
    "ts_timestamps_wrap",
    "mpeg2_ps_cut",
    "dvd_interlaced_vob",
    "grainy_vob",
    "av1_mkv",
    "phone_rotated_mp4",
    "upside_down_mp4",
    "non_square_pixels_mp4",
    "odd_size_webm",
    "ntsc_2997_mp4",
    "ntsc_5994_mp4",
    "hevc10_mov_audio_first",
    "prores_mov",
    "vp8_webm",
]
