"""Short-GOP proxies: the same frames at the same times, with a keyframe every few frames.

Camera files often carry a keyframe every few seconds (GOP 250 at 30 fps is common). Reaching a
frame in the middle of such a GOP means decoding the chain of reference frames from the keyframe
before it — a third of a second or more for 720p on two cores, whatever the player does. Video
annotation tools therefore suggest re-encoding such files into an editing-friendly copy (a
*proxy*) before coding. :func:`make_proxy` writes an H.264 proxy with a keyframe every ``gop``
frames and no B-frames, keeping every frame's presentation time, and checks it: frame i of the
proxy is frame i of the original at the same time, so codes made on either are interchangeable.

The app opens ``NAME.proxy.mp4`` beside ``NAME.ext`` in its place when the proxy is there, not
older than the video and made from it (:func:`playable`); a session folder's video list ignores
proxies. Two videos of one name in one folder (``clip.MTS`` from a camcorder, ``clip.MP4`` from a
phone) would share that name: each proxy says in its ``comment`` tag which file it was made from,
so one video is never played in the other's place.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..storage import WriteError, new_temp, publish
from .decoder import Decoder
from .display import read_display, shown
from .index import Progress, VideoError, build_index

__all__ = [
    "PROXY_SUFFIX",
    "is_proxy",
    "made_from",
    "make_proxy",
    "playable",
    "proxy_advice",
    "proxy_path",
    "too_heavy",
    "worth_a_proxy",
]

PROXY_SUFFIX = ".proxy.mp4"
# keyframes further apart than this make a random seek take a noticeable moment (720p H.264 on
# two cores decodes its reference chain at ~100 frames/s: 2 s at 30 fps is ~0.3 s)
SLOW_KEYFRAME_INTERVAL_S = 2.0
# H.264 pixels per second per core beyond which a file is too heavy to step through (ffmpeg
# -threads 2 decodes 4K H.264 at ~32 fps, ~130 Mpx/s per core, on the 2-core benchmark machine;
# stepping back needs about twice real time)
HEAVY_PIXELS_PER_CORE_S = 75e6
# audio codecs an MP4 file holds as they are; others are re-encoded to AAC
_MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"}
# the start of the container comment naming the file a proxy was made from
_MADE_FROM = "synchrony-coder proxy of "


def proxy_path(video: str | Path) -> Path:
    """Where the proxy of ``video`` lives: ``NAME.proxy.mp4`` beside it."""
    video = Path(video)
    return video.with_name(video.stem + PROXY_SUFFIX)


def is_proxy(path: str | Path) -> bool:
    return Path(path).name.lower().endswith(PROXY_SUFFIX)


def worth_a_proxy(path: str | Path, index) -> bool:
    """Whether seeking in ``path`` (with its :class:`.FrameIndex`) is slow enough for a proxy."""
    return not is_proxy(path) and index.keyframe_interval_s > SLOW_KEYFRAME_INTERVAL_S


def too_heavy(width: int, height: int, fps: float, cores: int | None = None) -> bool:
    """Whether decoding ``width`` x ``height`` pictures at ``fps`` takes more than the machine's
    ``cores`` can spare while a coder steps and plays: then the app codes on a proxy.

    Stepping backwards re-decodes the GOP behind the playhead while frames are shown, so the
    decoder needs headroom over real time: more than :data:`HEAVY_PIXELS_PER_CORE_S` pixels per
    second per core is too much (4K at 30 fps on two cores is; 1080p at 60 fps is not).
    """
    cores = cores or os.cpu_count() or 1
    return width * height * fps > HEAVY_PIXELS_PER_CORE_S * cores


def proxy_advice(path: str | Path, index, display) -> str:
    """Why ``path`` should be coded on a proxy (``""``: it need not): ``"heavy"`` (see
    :func:`too_heavy`; the app then makes one itself) or ``"long GOP"`` (slow jumps)."""
    if is_proxy(path):
        return ""
    if too_heavy(display.width, display.height, index.fps):
        return "heavy"
    return "long GOP" if worth_a_proxy(path, index) else ""


def playable(video: str | Path) -> Path:
    """The file to play for ``video``: its proxy if present, not older and made from it (see
    :func:`made_from`), else the video."""
    video = Path(video)
    proxy = proxy_path(video)
    try:
        if not is_proxy(video) and proxy.stat().st_mtime >= video.stat().st_mtime:
            source = made_from(proxy)
            if source is None or source == video.name:
                return proxy
    except OSError:
        pass
    return video


def made_from(proxy: str | Path) -> str | None:
    """The name of the file ``proxy`` was made from, as it records it; None when it does not say
    (made by an earlier version, or not readable)."""
    import av

    try:
        with av.open(str(proxy)) as container:
            comment = container.metadata.get("comment", "")
    except (av.FFmpegError, OSError, UnicodeDecodeError):
        return None
    return comment[len(_MADE_FROM) :] if comment.startswith(_MADE_FROM) else None


def make_proxy(
    video: str | Path,
    out: str | Path | None = None,
    *,
    gop: int = 15,
    crf: int = 23,
    preset: str = "veryfast",
    max_height: int = 1080,
    progress: Progress | None = None,
) -> Path:
    """Write a short-GOP H.264 proxy of ``video`` and check it frame by frame against the original.

    Parameters
    ----------
    video
        Any file the video engine reads.
    out
        The proxy's path (default :func:`proxy_path`); written atomically (a temporary file in
        the same folder, renamed once checked).
    gop
        Frames from one keyframe to the next: a seek decodes at most ``gop − 1`` frames.
    crf, preset
        x264 quality (lower is better; 23, the x264 default, keeps a camera file's size) and speed.
    max_height
        Taller videos are scaled down to this many lines (0: never): a 4K file decodes too slowly
        on a laptop to step through backwards, its 1080-line proxy does not.
    progress
        Called with ``(frames written, frame count)``.

    Returns
    -------
    Path
        The proxy. Each frame keeps its presentation timestamp (late starts and variable frame
        rate included) and is as the app shows it: upright, deinterlaced, with the original's
        pixel aspect; a frame the original cannot decode (damaged data) is filled with the
        frame before it so that the numbering stays the same. The first audio stream is copied
        (or re-encoded to AAC when MP4 cannot hold its codec).

    Raises
    ------
    VideoError
        The video cannot be read, ``gop`` is not positive, or the written proxy does not have
        the original's frames at the original's times (it is then deleted).
    """
    import av

    video = Path(video)
    out = proxy_path(video) if out is None else Path(out)
    if gop < 1:
        raise VideoError(video, f"proxy keyframe interval must be ≥ 1 frame, not {gop}")
    if out.resolve() == video.resolve():
        raise VideoError(video, "the proxy would overwrite the video; choose another output")
    other = made_from(out) if out.exists() else None
    if other is not None and other != video.name:
        raise VideoError(
            video,
            f"{out.name} is the proxy of {other}, another video of the same name; "
            "rename one of them or give the proxy another name (-o)",
        )
    index = build_index(video)
    n = index.frame_count
    try:
        tmp = new_temp(out)
    except WriteError as exc:
        raise VideoError(out, f"cannot write here ({exc.reason})") from None
    try:
        _encode(
            video,
            index,
            tmp,
            gop=gop,
            crf=crf,
            preset=preset,
            max_height=max_height,
            progress=progress,
        )
        check = build_index(tmp)
        if check.frame_count != n or not np.array_equal(check.times_ms, index.times_ms):
            raise VideoError(
                out,
                f"proxy check failed: {check.frame_count} frames (original {n}) or different "
                "frame times; the proxy was not kept",
            )
        publish(tmp, out)  # readable by all, as a video is meant to be
    except av.FFmpegError as exc:
        raise VideoError(out, f"cannot write the proxy ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _encode(
    video: Path, index, tmp: Path, *, gop: int, crf: int, preset: str, max_height: int, progress
) -> None:
    import av

    decoder = Decoder(video, index, threads=True)
    display = read_display(decoder)
    width, height = proxy_size(display, max_height)
    resize = (width, height) != (display.width, display.height)
    with av.open(str(video)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        dst.metadata["comment"] = _MADE_FROM + video.name
        source = src.streams.video[0]
        enc = dst.add_stream("libx264", rate=source.average_rate or round(index.fps))
        enc.width, enc.height, enc.pix_fmt = width, height, "yuv420p"
        if display.pixel_aspect != 1:
            enc.codec_context.sample_aspect_ratio = display.pixel_aspect
        enc.codec_context.gop_size = gop
        enc.codec_context.max_b_frames = 0
        enc.time_base = enc.codec_context.time_base = index.time_base
        enc.options = {"crf": str(crf), "preset": preset, "keyint_min": str(gop), "bf": "0"}
        audio = _audio(src, dst)
        previous = None
        for i, frame in decoder.frames(0, index.frame_count):
            frame = frame if frame is not None else previous
            if frame is None:  # nothing decodable before it either
                continue
            previous = frame
            # upright, deinterlaced, at most max_height lines: the proxy is what the app shows
            picture = shown(frame, width, height) if resize else shown(frame)
            picture = picture.reformat(width=width, height=height, format="yuv420p")
            picture.pts, picture.time_base = int(index.pts[i]), index.time_base
            picture.pict_type = av.video.frame.PictureType.NONE
            dst.mux(enc.encode(picture))
            if progress is not None:
                progress(i + 1, index.frame_count)
        dst.mux(enc.encode(None))
        if audio is not None:
            audio(dst)
    decoder.close()


def proxy_size(display, max_height: int = 0) -> tuple[int, int]:
    """Width and height of the proxy of a video shown as ``display``: the upright picture, scaled
    down to ``max_height`` lines if taller (0: never), both even (4:2:0 H.264 needs them so)."""
    width, height = display.width, display.height
    if max_height and height > max_height:
        width, height = width * max_height / height, max_height
    return max(2, int(round(width / 2)) * 2), max(2, int(height) // 2 * 2)


def _audio(src, dst):
    """Add the first audio stream of ``src`` to ``dst``; returns the function that writes it."""
    import av

    if not src.streams.audio:
        return None
    stream = src.streams.audio[0]
    if stream.codec_context.name in _MP4_AUDIO:
        copy = dst.add_stream_from_template(stream)

        def write(dst) -> None:
            for packet in src.demux(stream):
                if packet.dts is None:
                    continue
                packet.stream = copy
                dst.mux(packet)

        return write
    enc = dst.add_stream("aac", rate=stream.rate)
    resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)

    def transcode(dst) -> None:
        for frame in src.decode(stream):
            for part in resampler.resample(frame):
                part.pts = None
                dst.mux(enc.encode(part))
        dst.mux(enc.encode(None))

    return transcode
