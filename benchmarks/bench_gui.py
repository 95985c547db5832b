"""Benchmark of the coding window (offscreen, the real window): keys, undo, redo at any session size.

Usage::

    python benchmarks/bench_gui.py [--sizes 100,2500,12700,30000] [--samples 60] [--pause-ms 350]
        [--memory] [--playback-s 60] [--regions]

For each size N it writes a 10-minute session (a 320x240 25-fps video made by FFmpeg; a coder's
file of exactly N events drawn from a densely simulated session, :func:`simulate_session`), opens
it in a :class:`MainWindow` each, and then, the sizes taking turns in blocks of 10 samples:

- seeks to a random frame (not timed; the video is left to go idle), then times one **coding key**
  (a random code key of the scheme, pressed on the window), its **undo** (Ctrl+Z) and its **redo**
  (Ctrl+Shift+Z), each from the key press until every view has processed the change (the Qt
  events it posted, the repaints included, are handled); then lets the event loop run for
  ``--pause-ms`` (a coder's pace: the metrics panel's debounced refresh runs in these pauses, as it
  would between keys, and may still be running when the next key comes);
- ``open_s``: from ``open_session`` until the window shows the session (video indexing included;
  ``session_open_s`` and ``video_index_s`` time those two parts alone);
- ``scroll``: the events table jumped to random positions and paged down (each until painted);
- ``zoom``: the timeline zoomed from the whole 10 minutes in to 2 s and out again, 1.25x a step
  (each until painted), and ``paint_all_ms``, one paint of the whole session zoomed out.

Each figure has ``median_ms`` and ``p95_ms``. ``ratio_vs_smallest`` divides each size's median by
the smallest size's (measured in the same run, taking turns): 1.0 means the cost does not grow with
the number of events. The video cache is limited to 16 MiB here so that background decoding after
each seek stays short and alike in every run.

With ``--regions`` every session has infant and caregiver regions, so each window also shows two
motion-energy tracks and its metrics worker computes movement synchrony per phase (measured once,
cached beside the video, before any timing).

With ``--memory`` it also runs the app in a child process with 4 cameras of 720p (30 fps, 75 s
each), plays for ``--playback-s`` seconds at 1x, steps 100 frames forward and 100 back, and
reports the child's resident memory (``rss_mib``, peak ``hwm_mib``) and the bytes its frame caches
hold together (``frame_caches_mib``).

Prints one JSON object. The machine is shared: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DURATION_S, FPS = 600, 25
BLOCK = 10  # samples per size before the next size takes its turn
BENCH_CACHE_MIB = 16


def make_video(path: Path, size: str, fps: int, seconds: int, gop: int) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-pix_fmt", "yuv420p",
         str(path)],
        check=True,
    )  # fmt: skip
    return path


def dense_events(n: int, seed: int = 0) -> pd.DataFrame:
    """Exactly ``n`` valid events of one 10-minute session, spread over all of it."""
    from synchrony_coder.simulate import SessionParams, simulate_session

    phases = (("play", 240.0), ("still_face", 120.0), ("reunion", 240.0))
    scale = max(n / 500.0, 1.0)
    while True:
        params = SessionParams(
            phases=phases,
            mean_span_s=2.5 / scale,
            bid_rate_per_min=8.0 * scale,
            spontaneous_response_rate_per_min=3.0 * scale,
            fps=FPS,
        )
        df = simulate_session(params, session="s", coder="bench", seed=seed)
        if len(df) >= n:
            break
        scale *= 1.3
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(df), size=n, replace=False))  # dropping events keeps it valid
    return df.iloc[keep].reset_index(drop=True)


def write_session(folder: Path, video: Path, n: int, regions: bool = False) -> Path:
    from synchrony_coder import write_events

    folder.mkdir(parents=True)
    (folder / "video.mp4").symlink_to(video)
    name = folder.name
    rois = "rois = { infant = [0, 0, 160, 240], caregiver = [160, 0, 160, 240] }\n"
    (folder / "session.toml").write_text(
        f'session = "{name}"\n[[videos]]\npath = "video.mp4"\n{rois if regions else ""}'
    )
    events = dense_events(n).assign(session=name, coder="bench")
    write_events(events, folder / "coder_bench.csv")
    return folder


def drain(app) -> None:
    """Handle every event posted so far (signals queued, repaints requested) and what they post."""
    for _ in range(3):
        app.sendPostedEvents()
        app.processEvents()


def run_loop(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def timed(app, action) -> float:
    t0 = time.perf_counter()
    action()
    drain(app)
    return (time.perf_counter() - t0) * 1000.0


def summary(ms: list[float]) -> dict:
    if not ms:
        return {"n": 0}
    a = np.asarray(ms)
    return {
        "n": len(ms),
        "median_ms": round(float(np.median(a)), 2),
        "p95_ms": round(float(np.percentile(a, 95)), 2),
    }


def video_idle(doc) -> None:
    for src, _ in doc.videos:
        src.wait_idle(10.0)


def open_window(app, folder: Path):
    from synchrony_coder.gui.main_window import MainWindow

    w = MainWindow()
    w.confirm_close = lambda: "discard"
    w.show()
    drain(app)
    t0 = time.perf_counter()
    if not w.open_session([folder], coder="bench"):
        raise RuntimeError(f"cannot open {folder}")
    while w.document is None:
        app.processEvents()
        time.sleep(0.001)
    drain(app)
    opened = time.perf_counter() - t0
    motion = getattr(w, "motion", None)  # regions: wait for their motion tracks and metrics
    while (
        motion is not None and motion.regions.rois(0) and (motion.meter.running or not motion.dyad)
    ):
        app.processEvents()
        time.sleep(0.01)
    drain(app)
    video_idle(w.document)
    return w, opened


def activate(app, window) -> None:
    window.raise_()
    window.activateWindow()
    drain(app)


class Sizes:
    """One open window per size and the figures gathered so far."""

    def __init__(self, app, folders: dict[int, Path], seed: int) -> None:
        self.app = app
        self.rng = np.random.default_rng(seed)
        self.windows = {}
        self.figures: dict[int, dict] = {}
        for n, folder in folders.items():
            w, opened = open_window(app, folder)
            self.windows[n] = w
            self.figures[n] = {"open_s": round(opened, 3), "key": [], "undo": [], "redo": []}
            self.figures[n]["refused"] = 0

    def codes(self, window):
        scheme = window.document.session.scheme
        return [(t.name, c.key) for t in scheme.tiers for c in t.codes if c.key]

    def sample(self, n: int, pause_s: float) -> None:
        from PyQt6.QtCore import Qt
        from PyQt6.QtTest import QTest

        app, w = self.app, self.windows[n]
        doc = w.document
        fig = self.figures[n]
        doc.seek(int(self.rng.integers(0, doc.frame_count - 1)))
        drain(app)
        video_idle(doc)
        drain(app)
        _tier, key = self.codes(w)[int(self.rng.integers(0, len(self.codes(w))))]
        stack = doc.undo_stack
        before = stack.index()
        ctrl = Qt.KeyboardModifier.ControlModifier
        key_ms = timed(app, lambda: QTest.keyClick(w, key))
        if stack.index() == before:  # refused (the status bar says why): nothing to undo
            fig["refused"] += 1
        else:
            fig["key"].append(key_ms)
            fig["undo"].append(timed(app, lambda: QTest.keyClick(w, Qt.Key.Key_Z, ctrl)))
            assert stack.index() == before
            shift = Qt.KeyboardModifier.ShiftModifier
            fig["redo"].append(timed(app, lambda: QTest.keyClick(w, Qt.Key.Key_Z, ctrl | shift)))
            assert stack.index() == before + 1
        run_loop(app, pause_s)

    def scroll(self, n: int, steps: int = 40) -> dict:
        from PyQt6.QtWidgets import QAbstractSlider

        app = self.app
        table = self.windows[n].events_table
        bar = table.verticalScrollBar()
        jumps, pages = [], []
        for _ in range(steps):
            value = int(self.rng.integers(0, max(bar.maximum(), 1)))
            jumps.append(timed(app, lambda v=value: bar.setValue(v)))
        bar.setValue(0)
        drain(app)
        for _ in range(steps):
            action = QAbstractSlider.SliderAction.SliderPageStepAdd
            pages.append(timed(app, lambda a=action: bar.triggerAction(a)))
        return {"jump": summary(jumps), "page_down": summary(pages)}

    def zoom(self, n: int) -> dict:
        app = self.app
        canvas = self.windows[n].timeline.canvas
        doc = self.windows[n].document
        middle = doc.duration_s / 2
        canvas.set_view(0.0, doc.duration_s)
        drain(app)
        paint_all = [timed(app, canvas.update) for _ in range(10)]
        steps = []
        while canvas.span_s > 2.0:
            steps.append(timed(app, lambda: canvas.zoom(1.25, middle)))
        while canvas.span_s < doc.duration_s:
            steps.append(timed(app, lambda: canvas.zoom(1 / 1.25, middle)))
        return {"steps": summary(steps), "paint_all": summary(paint_all)}


def memory_child(folder: Path, playback_s: float) -> dict:
    """Run in a child process: 4 cameras of 720p played, then stepped; the app's memory."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest

    from synchrony_coder.gui.app import make_app

    app = make_app()
    w, opened = open_window(app, folder)
    activate(app, w)
    w.clock.play()
    run_loop(app, playback_s)
    w.clock.pause()
    for k in (Qt.Key.Key_Right,) * 100 + (Qt.Key.Key_Left,) * 100:
        QTest.keyClick(w, k)
        drain(app)
    video_idle(w.document)
    status = Path("/proc/self/status").read_text()
    mib = {
        k: int(line.split()[1]) / 1024
        for line in status.splitlines()
        for k in ("VmRSS", "VmHWM")
        if line.startswith(k + ":")
    }
    caches = 0
    for src, _ in w.document.videos:
        cache = getattr(src, "_cache", None)
        caches += getattr(cache, "nbytes", 0)
    return {
        "cameras": len(w.document.videos),
        "open_s": round(opened, 3),
        "frame_shown": w.document.frame,
        "rss_mib": round(mib["VmRSS"], 1),
        "hwm_mib": round(mib["VmHWM"], 1),
        "frame_caches_mib": round(caches / 2**20, 1),
    }


def memory(tmp: Path, playback_s: float) -> dict:
    folder = tmp / "four"
    folder.mkdir()
    make_video(folder / "cam1.mp4", "1280x720", 30, 75, 60)
    toml = 'session = "four"\n'
    for k in range(1, 5):
        if k > 1:
            shutil.copy(folder / "cam1.mp4", folder / f"cam{k}.mp4")
        toml += f'[[videos]]\npath = "cam{k}.mp4"\n'
    (folder / "session.toml").write_text(toml)
    env = {**os.environ, "SYNCHRONY_CODER_SETTINGS": str(tmp / "memory.ini")}
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(folder), "--playback-s", str(playback_s)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,2500,12700,30000")
    ap.add_argument("--samples", type=int, default=60, help="key presses per size")
    ap.add_argument("--pause-ms", type=float, default=350.0)
    ap.add_argument("--memory", action="store_true", help="also the 4-camera memory run")
    ap.add_argument("--playback-s", type=float, default=60.0)
    ap.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--regions",
        action="store_true",
        help="infant and caregiver regions in each session: motion tracks and movement synchrony",
    )
    args = ap.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.playback_s)))
        return

    from synchrony_coder.gui import workers
    from synchrony_coder.gui.app import make_app

    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict = {"samples": args.samples, "pause_ms": args.pause_ms, "regions": args.regions}
    with tempfile.TemporaryDirectory(prefix="bench_gui_") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["SYNCHRONY_CODER_SETTINGS"] = str(tmp / "settings.ini")
        _limit_frame_cache(workers, tmp / "settings.ini")
        video = make_video(tmp / "ten.mp4", "320x240", FPS, DURATION_S, 2 * FPS)
        folders = {n: write_session(tmp / f"n{n}", video, n, args.regions) for n in sizes}
        result["session_open_s"], result["video_index_s"] = _open_parts(folders, video)
        app = make_app()
        bench = Sizes(app, folders, args.seed)
        done = 0
        while done < args.samples:
            for n in sizes:
                activate(app, bench.windows[n])
                for _ in range(min(BLOCK, args.samples - done)):
                    bench.sample(n, args.pause_ms / 1000.0)
            done += BLOCK
        per_size = {}
        for n in sizes:
            fig = bench.figures[n]
            activate(app, bench.windows[n])
            per_size[str(n)] = {
                "open_s": fig["open_s"],
                "key": summary(fig["key"]),
                "undo": summary(fig["undo"]),
                "redo": summary(fig["redo"]),
                "refused_keys": fig["refused"],
                "scroll": bench.scroll(n),
                "zoom": bench.zoom(n),
            }
        ref = per_size[str(sizes[0])]
        for n in sizes:
            fig = per_size[str(n)]
            fig["ratio_vs_smallest"] = {
                op: round(fig[op]["median_ms"] / ref[op]["median_ms"], 2)
                for op in ("key", "undo", "redo")
                if fig[op]["n"] and ref[op]["n"]
            }
        result["sizes"] = per_size
        for w in bench.windows.values():
            w.close()
        if args.memory:
            result["memory"] = memory(tmp, args.playback_s)
    print(json.dumps(result, indent=1))


def _limit_frame_cache(workers, settings_ini: Path) -> None:
    """16 MiB of decoded frames per session, with the code of any version of the app."""
    defaults = workers.VideoOpener.__init__.__defaults__
    if defaults and 512 in defaults:  # before the budget was a setting
        workers.VideoOpener.__init__.__defaults__ = tuple(
            BENCH_CACHE_MIB if d == 512 else d for d in defaults
        )
    from synchrony_coder.gui import settings

    if hasattr(settings, "set_frame_cache_mib"):
        settings.set_frame_cache_mib(BENCH_CACHE_MIB)


def _open_parts(folders: dict[int, Path], video: Path) -> tuple[dict, float]:
    """Opening the coder's events alone (CSV, journal), per size; indexing the video alone."""
    from synchrony_coder.session import CodingSession, find_session
    from synchrony_coder.video import build_index

    parts = {}
    for n, folder in folders.items():
        t0 = time.perf_counter()
        session = CodingSession.open(find_session(folder), "bench")
        parts[str(n)] = round(time.perf_counter() - t0, 3)
        session.close()
    t0 = time.perf_counter()
    build_index(video)
    return parts, round(time.perf_counter() - t0, 3)


if __name__ == "__main__":
    main()
