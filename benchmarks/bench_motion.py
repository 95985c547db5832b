"""Benchmark of motion energy and movement synchrony against references measured in the same run.

Usage::

    python benchmarks/bench_motion.py [VIDEO] [--seconds 60] [--rounds 3] [--sessions 100]
        [--loop-sessions 100] [--dask-videos 8] [--skip motion,sync,dask]

Prints one JSON object:

- ``motion``: motion energy of two ROIs covering the whole frame (``infant`` and ``caregiver``
  halves) of VIDEO, by default the 720p30 H.264 reference of ``bench_video.py`` (GOP 250, 3
  B-frames); ``fps`` = frames per second of :func:`synchrony_coder.motion.motion_chunk`;
  ``ffmpeg_fps`` = the same file through ``ffmpeg -threads 2 -i FILE -f null -`` (decoding only);
  ``ratio`` = ours / FFmpeg's (target >= 0.8); ``--rounds`` runs of each taking turns, best kept.
- ``movement_sync``: ``--sessions`` dyads of 10 min at 25 Hz (synthetic motion, the caregiver
  following the infant), lags ±5 s, window 60 s, increment 30 s: ``seconds`` of the window × lag
  table and summaries (:mod:`synchrony_coder.movement`) against ``loop_seconds``, a plain loop of
  ``numpy.corrcoef`` per window and lag over ``--loop-sessions`` of them (scaled to all);
  ``speedup`` (target >= 20) and ``max_abs_diff`` of the values the two share.
- ``dask``: ``--dask-videos`` short videos (10 s, 640x360): wall time in one process against a
  2-worker ``LocalCluster`` (process workers; ``startup_s`` apart), results equal.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_video import ffmpeg_fps  # noqa: E402

from synchrony_coder.motion import Roi, motion_chunk  # noqa: E402
from synchrony_coder.video import build_index  # noqa: E402


def bench_motion(path: Path, rounds: int) -> dict:
    index = build_index(path)
    import av

    with av.open(str(path)) as c:
        width, height = c.streams.video[0].width, c.streams.video[0].height
    half = width // 2
    rois = [Roi("infant", 0, 0, half, height), Roi("caregiver", half, 0, width - half, height)]
    n = index.frame_count
    ours, theirs = [], []
    for _ in range(rounds):
        theirs.append(ffmpeg_fps(path, n))
        t0 = time.perf_counter()
        values = motion_chunk(path, index, rois).values
        ours.append(n / (time.perf_counter() - t0))
    assert np.isfinite(values[1:]).all()
    return {
        "frames": n,
        "size": f"{width}x{height}",
        "fps": round(max(ours), 1),
        "ffmpeg_fps": round(max(theirs), 1),
        "ratio": round(max(ours) / max(theirs), 3),
    }


def synthetic_motion(n_sessions: int, minutes: float, fps: int, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * fps)
    kernel = np.ones(fps // 2) / (fps // 2)
    rows = []
    for k in range(n_sessions):
        x = np.convolve(rng.gamma(0.3, 0.05, n + len(kernel) - 1), kernel, "valid")
        y = 0.5 * np.roll(x, fps // 2) + 0.5 * np.convolve(
            rng.gamma(0.3, 0.05, n + len(kernel) - 1), kernel, "valid"
        )
        x[0] = np.nan  # frame 0 has no motion energy
        rows.append(
            pd.DataFrame(
                {"session": f"d{k:03d}", "time_s": np.arange(n) / fps, "infant": x, "caregiver": y}
            )
        )
    return pd.concat(rows, ignore_index=True)


def corrcoef_loop(x: np.ndarray, y: np.ndarray, fps: int, lag_s=5, window_s=60, inc_s=30):
    """The plain reference: one numpy.corrcoef per window and lag (pairwise-complete)."""
    w, lag, inc = window_s * fps, lag_s * fps, inc_s * fps
    n = -(-(len(x) - w - lag + 1) // inc)
    out = np.full((n, 2 * lag + 1), np.nan)
    for k in range(n):
        a = k * inc
        for j, d in enumerate(range(-lag, lag + 1)):
            u = x[a : a + w] if d >= 0 else x[a - d : a - d + w]
            v = y[a + d : a + d + w] if d >= 0 else y[a : a + w]
            keep = np.isfinite(u) & np.isfinite(v)
            out[k, j] = np.corrcoef(u[keep], v[keep])[0, 1]
    return np.clip(np.abs(np.arctanh(out)), 0, 10)


def bench_sync(n_sessions: int, loop_sessions: int) -> dict:
    from synchrony_coder.movement import ccf_table, dyads, session_ccf, summarise

    motion = synthetic_motion(n_sessions, 10, 25)
    t0 = time.perf_counter()
    pairs = dyads(motion)
    ccfs = [session_ccf(d) for d in pairs]
    table, summary = ccf_table(ccfs), summarise(ccfs)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    loops = [corrcoef_loop(d.infant, d.caregiver, 25) for d in pairs[:loop_sessions]]
    loop = (time.perf_counter() - t0) * n_sessions / max(loop_sessions, 1)
    diff = max(float(np.nanmax(np.abs(c.values - r))) for c, r in zip(ccfs, loops, strict=False))
    return {
        "sessions": n_sessions,
        "rows": len(table),
        "summary_rows": len(summary),
        "seconds": round(ours, 3),
        "loop_seconds": round(loop, 2),
        "loop_sessions_timed": loop_sessions,
        "speedup": round(loop / ours, 1),
        "max_abs_diff": diff,
    }


def write_short_video(path: Path, seconds: int, seed: int) -> None:
    import av

    rng = np.random.default_rng(seed)
    width, height, fps = 640, 360, 30
    field = rng.integers(0, 256, (height, width * 2), np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23", "g": "60"}
        chroma = np.full((height // 2, width), 128, np.uint8)
        for i in range(seconds * fps):
            luma = np.ascontiguousarray(field[:, (2 * i) % width : (2 * i) % width + width])
            frame = av.VideoFrame.from_ndarray(np.vstack([luma, chroma]), format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def bench_dask(n_videos: int, folder: Path) -> dict:
    from distributed import Client, LocalCluster

    from synchrony_coder.motion.corpus import VideoJob, extract

    paths = []
    for k in range(n_videos):
        paths.append(folder / f"short{k}.mp4")
        write_short_video(paths[-1], 10, k)
    rois = (Roi("infant", 0, 0, 320, 360), Roi("caregiver", 320, 0, 320, 360))
    jobs = [VideoJob(p, p.stem, rois, 10.0) for p in paths]
    t0 = time.perf_counter()
    alone, _ = extract(jobs)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        shared, _ = extract(jobs, client=client)
        two = time.perf_counter() - t0
    equal = all(a.equals(b) for a, b in zip(alone, shared, strict=True))
    return {
        "videos": n_videos,
        "frames_each": 300,
        "one_process_s": round(one, 2),
        "two_workers_s": round(two, 2),
        "startup_s": round(startup, 2),
        "speedup": round(one / two, 2),
        "equal": equal,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video", nargs="?", help="video file (default: generate the 720p30 reference)")
    ap.add_argument("--seconds", type=int, default=60, help="length of the generated reference")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--loop-sessions", type=int, default=100)
    ap.add_argument("--dask-videos", type=int, default=8)
    ap.add_argument("--skip", default="", help="comma-separated: motion, sync, dask")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "motion" not in skip:
            path = Path(args.video) if args.video else Path(tmp) / "reference_720p30.mp4"
            if not args.video:  # encoded in another process, like bench_video.py
                subprocess.run(
                    [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                     "from bench_video import generate_reference; from pathlib import Path; "
                     "generate_reference(Path(sys.argv[2]), seconds=int(sys.argv[3]))",
                     str(Path(__file__).resolve().parent), str(path), str(args.seconds)],
                    check=True,
                )  # fmt: skip
            result["motion"] = bench_motion(path, args.rounds)
        if "sync" not in skip:
            result["movement_sync"] = bench_sync(args.sessions, args.loop_sessions)
        if "dask" not in skip:
            result["dask"] = bench_dask(args.dask_videos, Path(tmp))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
