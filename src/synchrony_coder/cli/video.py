"""``synchrony-coder probe``, ``frame`` and ``proxy``: a video's exact facts, frames, fast copy."""

from __future__ import annotations

import argparse
import json

from . import EXIT_OK, add_command, emit


def register(sub) -> None:
    p = add_command(
        sub,
        "probe",
        "print a video's exact frame count, rate, duration and size as JSON",
        ["probe session01_infant.mp4", "probe cam.mkv -o cam.json"],
        description="Index VIDEO by its packets (no decoding) and print JSON: frame_count, fps, "
        "duration_s, width, height, codec, vfr. Frame 0 is at 0.0 s.",
    )
    p.add_argument("video", metavar="VIDEO")
    p.add_argument("-o", "--output", default=None, help="write the JSON here instead of stdout")
    p.set_defaults(handler=run_probe)

    p = add_command(
        sub,
        "frame",
        "write exactly frame INDEX (0-based) of a video as an image",
        ["frame session01_infant.mp4 1207 -o f1207.png", "frame cam.mkv 0 -o first.jpg"],
        description="Decode exactly the INDEX-th presented frame (0-based) of VIDEO and write it "
        "as PNG (or any image type OpenCV writes, by the file extension).",
    )
    p.add_argument("video", metavar="VIDEO")
    p.add_argument("index", metavar="INDEX", type=int)
    p.add_argument("-o", "--output", required=True, help="image file to write, e.g. frame.png")
    p.set_defaults(handler=run_frame)

    p = add_command(
        sub,
        "proxy",
        "write a short-GOP copy of a video for fast seeking (same frames at the same times)",
        ["proxy session01/video.mp4", "proxy cams/*.mp4 --gop 10", "proxy cam.mov -o cam_edit.mp4"],
        description="Re-encode VIDEO as H.264 with a keyframe every GOP frames and no B-frames, "
        "keeping every frame's time, and check the copy frame by frame (count and times). "
        "Written as NAME.proxy.mp4 beside the video; the app then plays it in the video's place "
        "(seeking a 720p GOP-250 file: ~0.45 s; its GOP-15 proxy: ~0.05 s). Audio is kept.",
    )
    p.add_argument("videos", metavar="VIDEO", nargs="+")
    p.add_argument("--gop", type=int, default=15, help="frames between keyframes (default 15)")
    p.add_argument("--crf", type=int, default=23, help="x264 quality, lower is better (default 23)")
    p.add_argument("-o", "--output", default=None, help="the proxy's path (one VIDEO only)")
    p.set_defaults(handler=run_proxy)


def run_probe(args: argparse.Namespace) -> int:
    from ..video import VideoSource

    with VideoSource(args.video) as src:
        facts = {
            "path": str(src.path),
            "frame_count": src.frame_count,
            "fps": round(src.fps, 6),
            "duration_s": src.duration_s,
            "width": src.width,
            "height": src.height,
            "codec": src.codec,
            "vfr": src.vfr,
        }
    emit(json.dumps(facts, indent=2) + "\n", args.output)
    return EXIT_OK


def run_frame(args: argparse.Namespace) -> int:
    from pathlib import Path

    import cv2

    from ..storage import atomic_write_bytes
    from ..video import VideoError, VideoSource

    out = Path(args.output)
    with VideoSource(args.video, cache_mib=64) as src:
        if not 0 <= args.index < src.frame_count:
            raise VideoError(
                src.path, f"has no frame {args.index} (frames 0..{src.frame_count - 1})"
            )
        rgb = src.frame(args.index)
    ok, encoded = cv2.imencode(out.suffix or ".png", rgb[:, :, ::-1])
    if not ok:
        raise VideoError(out, "cannot write this image type; use .png")
    atomic_write_bytes(out, encoded.tobytes())
    return EXIT_OK


def run_proxy(args: argparse.Namespace) -> int:
    import sys

    from ..video import VideoError
    from ..video.proxy import make_proxy

    if args.output and len(args.videos) > 1:
        raise VideoError(args.output, "-o names one proxy; give one video with it")
    show = sys.stderr.isatty()
    for video in args.videos:

        def progress(done: int, total: int, video=video) -> None:
            if show and (done % 30 == 0 or done == total):
                print(f"\r{video}: {done}/{total} frames", end="", file=sys.stderr, flush=True)

        out = make_proxy(video, args.output, gop=args.gop, crf=args.crf, progress=progress)
        if show:
            print(file=sys.stderr)
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK
