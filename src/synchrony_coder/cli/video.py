"""``synchrony-coder probe`` and ``synchrony-coder frame``: a video's exact facts and frames."""

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
    import os
    import tempfile
    from pathlib import Path

    import cv2

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
    fd, tmp = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", suffix=out.suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(encoded.tobytes())
    os.replace(tmp, out)
    return EXIT_OK
