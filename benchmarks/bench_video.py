"""Benchmark of ``synchrony_coder.video`` against FFmpeg and OpenCV measured in the same run.

Usage::

    python benchmarks/bench_video.py [VIDEO] [--seeks 200] [--steps 300] [--cache-mib 512]
        [--proxy 15] [--camera 720p30|1080p60|4k30] [--size WxH --rate FPS --gop N --seconds S]
        [--keep DIR]

Without VIDEO it writes a reference file into a temporary folder, by default 720p, 30 fps, 60 s,
H.264 with GOP 250 and 3 B-frames (``--camera 1080p60``: 1920x1080, 60 fps, GOP 120, 30 s;
``--camera 4k30``: 3840x2160, 30 fps, GOP 60, 20 s; ``--size/--rate/--gop/--seconds`` override),
a textured panning background with noise (about 7 Mbit/s at 720p, like a camera file) and each
frame's number drawn as a barcode, so exactness is read from the pixels. With VIDEO,
exactness is judged against an independent sequential PyAV decode (the target frame must be the
closest of its +-2 neighbours in a 32x18 grey thumbnail).

Prints one JSON object:

- ``seek``: ``n`` random seeks (each to a frame outside the previous seek's cache window, so never a
  cache hit), ``exact`` hits, latency ``median_ms``/``p95_ms``/``p99_ms``;
  ``opencv_seek``: the same for plain ``cv2.VideoCapture`` + ``CAP_PROP_POS_FRAMES`` on the first
  ``--opencv-seeks`` targets (each takes about half a second), in blocks of 10 taking turns with
  ours on the same targets (one source; before each OpenCV block it is left idle, so it parks its
  seekers at checkpoints as it would while a coder looks at a frame, and its background work does
  not slow OpenCV down); ``seek_ratio`` = our median over those paired seeks / OpenCV's (target
  <= 0.6). The back-to-back ``seek`` figure has no idle time: only the decoders left where the
  previous seeks took them help.
- ``step_forward`` / ``step_backward``: 300 consecutive one-frame steps from a random start, as the
  app does them: the start frame is sought first and given ``settle_s`` to be looked at, then one
  step every ``step_interval_s`` (a keypress auto-repeat of 30/s); latency of each ``frame(i)``;
  ``frame_interval_ms`` is the target for their p99.
- ``sequential_fps``: RGB frames delivered by ``frame(0), frame(1), ...``; ``ffmpeg_fps``: the
  same file through ``ffmpeg -threads 2 -i FILE -f null -``; ``decode_ratio`` = ours / FFmpeg's
  (``--rounds`` alternating runs of each, the best of each kept).
- ``proxy_seek`` (with ``--proxy GOP``): the same seeks on a short-GOP proxy of the file
  (:func:`synchrony_coder.video.proxy.make_proxy`, at most 1080 lines: the app's coding proxy of a
  4K file), with the time to make it, its size against the original's, and its paired median
  against OpenCV's seeks on the original; ``proxy_step_forward`` / ``proxy_step_backward``: the
  steps on it.
- ``peak_rss_mib``: the benchmark process's peak resident memory (cache budget ``cache_mib``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from synchrony_coder.video import open_video  # noqa: E402
from synchrony_coder.video.proxy import make_proxy  # noqa: E402
from videogen import draw_barcode, read_barcode  # noqa: E402

# size, frames per second, GOP, seconds of the generated reference files
CAMERAS = {
    "720p30": ((1280, 720), 30, 250, 60),
    "1080p60": ((1920, 1080), 60, 120, 30),
    "4k30": ((3840, 2160), 30, 60, 20),
}
BOX = (48, 48, 240, 320)  # where the reference file's barcode is: top, left, height, width


def generate_reference(
    path: Path, size=(1280, 720), fps: int = 30, gop: int = 250, seconds: int = 60
) -> None:
    """Write a reference H.264 file (3 B-frames) with barcoded frame numbers."""
    import av
    import cv2

    (width, height) = size
    rng = np.random.default_rng(7)
    field = cv2.GaussianBlur(rng.integers(0, 256, (height + 64, width * 2), np.uint8), (0, 0), 3)
    field = cv2.normalize(field, None, 30, 220, cv2.NORM_MINMAX)
    grain = rng.normal(0, 7, (8, height, width)).astype(np.int8)
    chroma = np.full((height // 2, width), 128, np.uint8)
    chroma[:, : width // 2] = 118 + (np.arange(height // 2)[:, None] // 36)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {
            "preset": "veryfast",
            "crf": "23",
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
            "bf": "3",
        }
        for i in range(seconds * fps):
            x = (3 * i * 1280 // width) % width  # (pans at the same speed in picture widths)
            row = (i // 7) % 64
            luma = field[row : row + height, x : x + width].astype(np.int16)
            luma = np.clip(luma + grain[i % 8], 0, 255).astype(np.uint8)
            draw_barcode(luma, i, BOX)
            frame = av.VideoFrame.from_ndarray(np.vstack([luma, chroma]), format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    import cv2

    # green channel of every 4th pixel: ~1 ms, so the judge does not weigh on delivery timing
    green = np.ascontiguousarray(rgb[::4, ::4, 1])
    return cv2.resize(green, (32, 18), interpolation=cv2.INTER_AREA).astype(np.float32)


def oracle_thumbnails(path: Path) -> np.ndarray:
    """Thumbnails of every frame from a plain sequential PyAV decode: the independent reference."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return np.stack([thumbnail(f.to_ndarray(format="rgb24")) for f in container.decode(stream)])


class Judge:
    """Says whether an RGB frame is frame ``i``: by barcode, or by the nearest oracle thumbnail."""

    def __init__(self, path: Path, barcode: bool, width: int = 0) -> None:
        self.thumbs = None if barcode else oracle_thumbnails(path)
        self.width = width  # of the generated file: a scaled-down proxy has its box scaled too

    def box(self, rgb: np.ndarray) -> tuple[int, int, int, int]:
        scale = rgb.shape[1] / self.width if self.width else 1.0
        return tuple(int(v * scale) for v in BOX)

    def crop(self, rgb: np.ndarray) -> np.ndarray:
        """What ``__call__`` needs of a frame, cheap to keep: the barcode box or the thumbnail."""
        if self.thumbs is None:  # the barcode's box, every other pixel of the green channel
            top, left, height, width = self.box(rgb)
            return rgb[top : top + height : 2, left : left + width : 2, 1].copy()
        return thumbnail(rgb)

    def __call__(self, rgb: np.ndarray, i: int) -> bool:
        """``rgb``: a frame or its :meth:`crop`."""
        if self.thumbs is None:
            if rgb.ndim == 2:  # a crop
                return read_barcode(rgb, (0, 0, *rgb.shape)) == i
            return read_barcode(rgb, self.box(rgb)) == i
        lo, hi = max(i - 2, 0), min(i + 3, len(self.thumbs))
        thumb = rgb if rgb.ndim == 2 else thumbnail(rgb)
        dist = np.abs(self.thumbs[lo:hi] - thumb).mean(axis=(1, 2))
        return bool(dist[i - lo] <= dist.min())


def stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {
        "median_ms": round(float(np.median(a)), 2),
        "p95_ms": round(float(np.percentile(a, 95)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
        "max_ms": round(float(a.max()), 2),
    }


def ffmpeg_fps(path: Path, frames: int) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-threads",
            "2",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-f",
            "null",
            "-",
        ],
        check=True,
    )
    return frames / (time.perf_counter() - t0)


def opencv_seeks(path: Path, targets: list[int], judge: Judge) -> tuple[list, int]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    ms, exact = [], 0
    for i in targets:
        t0 = time.perf_counter()
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, bgr = cap.read()
        ms.append(1000 * (time.perf_counter() - t0))
        exact += bool(ok) and judge(bgr[:, :, ::-1], i)
    cap.release()
    return ms, int(exact)


def seeks(src, targets: list[int], judge: Judge) -> tuple[list, int]:
    """Latency (ms) of ``src.frame(i)`` for each target in turn, and the exact count."""
    ms, exact = [], 0
    for i in targets:
        t0 = time.perf_counter()
        rgb = src.frame(i)
        ms.append(1000 * (time.perf_counter() - t0))
        exact += judge(rgb, i)
    return ms, int(exact)


def seek_targets(rng, n_frames: int, count: int, min_gap: int) -> list[int]:
    out, last = [], -(10**9)
    while len(out) < count:
        i = int(rng.integers(0, n_frames))
        if abs(i - last) > min_gap:
            out.append(i)
            last = i
    return out


def steps(
    path: Path,
    cache_mib: float,
    start: int,
    n: int,
    direction: int,
    interval: float,
    settle: float,
    judge: Judge,
) -> dict:
    with open_video(path, cache_mib=cache_mib) as src:
        src.frame(start)
        src.wait_idle(timeout=settle)
        ms, exact = [], 0
        i = start
        next_at = time.perf_counter()
        for _ in range(n):
            i += direction
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter()
            rgb = src.frame(i)
            t1 = time.perf_counter()
            ms.append(1000 * (t1 - t0))
            exact += judge(rgb, i)
            next_at = t0 + interval
    return {"start": start, "n": n, "exact": int(exact), **stats(ms)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video", nargs="?", help="video file (default: generate the reference file)")
    ap.add_argument("--seeks", type=int, default=200)
    ap.add_argument("--opencv-seeks", type=int, default=60)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--step-interval", type=float, default=1 / 30)
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--cache-mib", type=float, default=512)
    ap.add_argument("--rounds", type=int, default=2, help="sequential runs (best kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--proxy", type=int, metavar="GOP", default=0,
        help="also make a proxy with this GOP and time the same seeks on it",
    )  # fmt: skip
    ap.add_argument("--camera", choices=sorted(CAMERAS), default="720p30",
                    help="the generated reference file's kind (default 720p30)")  # fmt: skip
    ap.add_argument("--size", help="generated file's WIDTHxHEIGHT (overrides --camera)")
    ap.add_argument("--rate", type=int, help="generated file's frames per second")
    ap.add_argument("--gop", type=int, help="generated file's keyframe interval in frames")
    ap.add_argument("--seconds", type=int, help="generated file's length")
    ap.add_argument("--keep", metavar="DIR", help="keep the generated file here (reused if there)")
    ap.add_argument("--generate", metavar="OUT", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    size, rate, gop, seconds = CAMERAS[args.camera]
    size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else size
    rate, gop, seconds = args.rate or rate, args.gop or gop, args.seconds or seconds
    if args.generate:
        generate_reference(Path(args.generate), size, rate, gop, seconds)
        return 0
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        if args.video:
            path, barcode = Path(args.video), False
        else:  # a separate process, so the encoder's memory is not counted as ours
            name = f"reference_{size[0]}x{size[1]}p{rate}_gop{gop}_{seconds}s_bframes.mp4"
            path, barcode = Path(args.keep or tmp) / name, True
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                t0 = time.perf_counter()
                spec = ["--size", f"{size[0]}x{size[1]}", "--rate", str(rate), "--gop", str(gop)]
                spec += ["--seconds", str(seconds), "--generate", str(path)]
                subprocess.run([sys.executable, __file__, *spec], check=True)
                print(f"generated {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        judge = Judge(path, barcode, size[0] if barcode else 0)
        result: dict = {
            "video": str(path) if args.video else f"generated {path.name}",
            "cores": os.cpu_count(),
        }
        t0 = time.perf_counter()
        with open_video(path, cache_mib=args.cache_mib) as src:
            result["index_s"] = round(time.perf_counter() - t0, 3)
            n = src.frame_count
            result.update(
                frame_count=n, fps=round(src.fps, 3), width=src.width, height=src.height,
                codec=src.codec, keyframes=len(src.index.seek_pts), cache_frames=src.cache_capacity,
            )  # fmt: skip
            capacity = src.cache_capacity
        # this machine's speed drifts by 10-20 % between runs: alternate FFmpeg and ours and keep
        # the best of each, so the ratio compares the two at their best
        ffmpeg_runs, ours_runs = [], []
        for _ in range(args.rounds):
            ffmpeg_runs.append(ffmpeg_fps(path, n))
            with open_video(path, cache_mib=args.cache_mib) as src:
                # time the delivery alone: keep a crop of each frame, judge the crops afterwards
                # (reading a barcode takes ~3 ms, as long as decoding a frame)
                t0 = time.perf_counter()
                crops = [judge.crop(src.frame(i)) for i in range(n)]
                ours_runs.append(n / (time.perf_counter() - t0))
                exact = int(sum(judge(c, i) for i, c in enumerate(crops)))
                del crops
        result["ffmpeg_fps"] = round(max(ffmpeg_runs), 1)
        result["sequential_fps"] = round(max(ours_runs), 1)
        result["sequential_exact"] = exact
        result["decode_ratio"] = round(result["sequential_fps"] / result["ffmpeg_fps"], 3)

        targets = seek_targets(rng, n, args.seeks, capacity)
        with open_video(path, cache_mib=args.cache_mib) as src:
            ms, exact = seeks(src, targets, judge)
        result["seek"] = {"n": len(targets), "exact": int(exact), **stats(ms)}
        # paired with OpenCV on the first targets, in blocks of 10 that take turns (ours, then
        # OpenCV's once our prefetching has stopped): the machine's speed drifts over minutes,
        # and both must meet the same speed
        paired, ours, theirs, their_exact = targets[: args.opencv_seeks], [], [], 0
        with open_video(path, cache_mib=args.cache_mib) as src:
            for b in range(0, len(paired), 10):
                ours += seeks(src, paired[b : b + 10], judge)[0]
                src.wait_idle(timeout=30)
                block_ms, block_exact = opencv_seeks(path, paired[b : b + 10], judge)
                theirs += block_ms
                their_exact += block_exact
        result["opencv_seek"] = {"n": len(paired), "exact": their_exact, **stats(theirs)}
        same = stats(ours)["median_ms"]
        result["seek_same_targets_median_ms"] = same
        result["seek_ratio"] = round(same / result["opencv_seek"]["median_ms"], 3)

        if args.proxy:  # the same seeks on a short-GOP proxy (``synchrony-coder proxy``)
            t0 = time.perf_counter()
            proxy = make_proxy(path, Path(tmp) / "bench.proxy.mp4", gop=args.proxy)
            made_s = time.perf_counter() - t0
            with open_video(proxy, cache_mib=args.cache_mib) as src:
                ms, exact = seeks(src, targets, judge)
            k = args.steps
            for name, way, begin in (("forward", +1, 0), ("backward", -1, k)):
                result[f"proxy_step_{name}"] = steps(
                    proxy, args.cache_mib, int(rng.integers(begin, n - k + begin)), k, way,
                    args.step_interval, args.settle, judge,
                )  # fmt: skip
            result["proxy_seek"] = {
                "gop": args.proxy, "made_s": round(made_s, 1),
                "bytes_vs_original": round(proxy.stat().st_size / path.stat().st_size, 2),
                "n": len(targets), "exact": int(exact), **stats(ms),
                "ratio_vs_opencv_on_original": round(
                    stats(ms[: args.opencv_seeks])["median_ms"]
                    / result["opencv_seek"]["median_ms"], 3
                ),
            }  # fmt: skip

        k = args.steps
        result["step_interval_s"] = round(args.step_interval, 4)
        result["frame_interval_ms"] = round(1000 / result["fps"], 2)
        result["settle_s"] = args.settle
        result["step_forward"] = steps(
            path, args.cache_mib, int(rng.integers(0, n - k)), k, +1,
            args.step_interval, args.settle, judge,
        )  # fmt: skip
        result["step_backward"] = steps(
            path, args.cache_mib, int(rng.integers(k, n)), k, -1,
            args.step_interval, args.settle, judge,
        )  # fmt: skip
        result["cache_mib"] = args.cache_mib
        result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
