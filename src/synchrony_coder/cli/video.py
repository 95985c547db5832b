"""``synchrony-coder probe``, ``frame`` and ``proxy``: a video's exact facts, frames, fast copy."""

from __future__ import annotations

import argparse
import json

from . import EXIT_DATA, EXIT_OK, PROG, add_command, emit


def register(sub) -> None:
    p = add_command(
        sub,
        "probe",
        "a video's exact frame count, rate, size and what is unusual; or a table of an archive",
        [
            "probe session01_infant.mp4",
            "probe cam.mkv -o cam.json",
            "probe --all videos/ -o archive.csv",
            "probe day1/*.MTS day2/*.MTS",
        ],
        description="Index VIDEO by its packets and decode its first picture; print JSON: "
        "frame_count (the frames players show: an edit list's hidden frames are not counted), "
        "fps, duration_s, width and height (upright), codec, rotation, interlaced, field_order, "
        "pixel_aspect, vfr, keyframe_interval_s, hidden_frames, missing_frames (of a truncated "
        "file), unusual (in words) and proxy_advised. Frame 0 is at 0.0 s. With several files, "
        "a folder or --all: the same facts as a CSV table, one row per file (folders searched "
        "recursively), with an error column for files that cannot be opened (exit 1 if any).",
    )
    p.add_argument("videos", metavar="VIDEO", nargs="+", help="video files or folders")
    p.add_argument(
        "--all", action="store_true", help="a table of every video in the folders and files"
    )
    p.add_argument("-o", "--output", default=None, help="write the JSON/CSV here, not stdout")
    p.set_defaults(handler=run_probe)

    p = add_command(
        sub,
        "frame",
        "write exactly frame INDEX (0-based) of a video as an image",
        ["frame session01_infant.mp4 1207 -o f1207.png", "frame cam.mkv 0 -o first.jpg"],
        description="Decode exactly the INDEX-th presented frame (0-based) of VIDEO and write it "
        "as PNG (or any image type OpenCV writes, by the file extension): upright and "
        "deinterlaced as the app shows it, at the original's pixels (never a proxy's; non-square "
        "pixels are not stretched).",
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
        "The copy is what the app shows: upright, deinterlaced, at most --max-height lines. "
        "Written as NAME.proxy.mp4 beside the video; the app then plays it in the video's place "
        "(seeking a 720p GOP-250 file: ~0.45 s; its GOP-15 proxy: ~0.05 s). Audio is kept.",
    )
    p.add_argument("videos", metavar="VIDEO", nargs="+")
    p.add_argument("--gop", type=int, default=15, help="frames between keyframes (default 15)")
    p.add_argument("--crf", type=int, default=23, help="x264 quality, lower is better (default 23)")
    p.add_argument(
        "--max-height",
        type=int,
        default=1080,
        help="scale taller videos down to this many lines (default 1080; 0 keeps the size)",
    )
    p.add_argument("-o", "--output", default=None, help="the proxy's path (one VIDEO only)")
    p.set_defaults(handler=run_proxy)


def run_probe(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from ..video.archive import describe, probe_files

    if not args.all and len(args.videos) == 1 and not Path(args.videos[0]).is_dir():
        facts = describe(args.videos[0])
        if facts["missing_frames"] or "truncated" in facts["unusual"]:
            print(f"{PROG}: warning: {facts['path']}: {facts['unusual']}", file=sys.stderr)
        emit(json.dumps(facts, indent=2) + "\n", args.output)
        return EXIT_OK
    table = probe_files(args.videos)
    emit(table.to_csv(index=False), args.output)
    bad = int((table["error"] != "").sum())
    if bad:
        print(
            f"{PROG}: {bad} of {len(table)} files cannot be opened (see the error column)",
            file=sys.stderr,
        )
    return EXIT_DATA if bad else EXIT_OK


def run_frame(args: argparse.Namespace) -> int:
    from pathlib import Path

    import cv2

    from ..storage import atomic_write_bytes
    from ..video import VideoError, VideoSource

    out = Path(args.output)
    with VideoSource(args.video, cache_mib=64) as src:
        if not 0 <= args.index < src.frame_count:
            cut = f"; {src.problems()[0]}" if src.problems() else ""
            raise VideoError(
                src.path, f"has no frame {args.index} (frames 0..{src.frame_count - 1}){cut}"
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

        out = make_proxy(
            video,
            args.output,
            gop=args.gop,
            crf=args.crf,
            max_height=args.max_height,
            progress=progress,
        )
        if show:
            print(file=sys.stderr)
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK
