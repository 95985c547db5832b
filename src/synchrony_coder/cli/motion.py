"""``synchrony-coder motion``: motion energy of named regions of videos, as a tidy CSV."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ..errors import DataError
from . import EXIT_DATA, EXIT_OK, PROG, add_command, emit, number, positive


class MotionInputError(DataError):
    """Videos, ROIs or options that cannot be used together (one line)."""


_threshold = number("a luma difference θ from 0 to 254", lambda v: 0 <= v < 255)


def register(sub) -> None:
    p = add_command(
        sub,
        "motion",
        "motion energy of named regions (ROIs) of videos, one row per frame (MEA)",
        [
            "motion s01/video.mp4 --roi infant=0,0,320,480 --roi caregiver=320,0,320,480 -o s01_motion.csv",
            "motion sessions/*/video.mp4 -o motion.csv   # ROIs stored in each session.toml",
            "motion archive/*.mp4 --roi infant=0,0,640,720 --roi caregiver=640,0,640,720 "
            "--scheduler tcp://10.0.0.5:8786 --chunk-s 300 -o motion.csv",
            "motion --mea dyad07.txt --fps 25 --names infant,caregiver -o dyad07_motion.csv",
        ],
        description="Motion energy analysis (Ramseyer & Tschacher, 2011; SCIENCE.md §6): for each "
        "frame t ≥ 1 and region r, the share of r's pixels whose luma changed by more than θ "
        "since frame t−1. Writes the tidy motion table 'session, time_s, <roi>...' (frame 0's "
        "values are empty). ROIs are NAME=x,y,w,h in pixels of the upright frame; without --roi, "
        "those stored in the video's session.toml are used. Several videos run on Dask: a local "
        "cluster by default, or --scheduler ADDRESS; finished videos are kept in OUTPUT.parts/ so "
        "a stopped run started again resumes. A video that cannot be read is skipped with one line; the "
        "others' table is written and the exit code is 1. With --mea, the inputs are text files of the MEA "
        "program (whitespace-separated columns, optional header), read into the same table.",
    )
    p.add_argument("inputs", nargs="+", metavar="VIDEO", help="video files (or MEA text files)")
    p.add_argument(
        "--roi",
        action="append",
        default=[],
        type=_roi,
        metavar="NAME=x,y,w,h",
        help="a region of interest (repeat for each; e.g. infant=0,0,320,480)",
    )
    p.add_argument(
        "--threshold",
        type=_threshold,
        default=10.0,
        help="θ: a pixel moved when its luma (0–255) changed by more than this (default 10)",
    )
    p.add_argument("--session", default=None, help="session id (one input only)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler to send the videos to (default: a local cluster when several)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="workers of the local cluster (default: one per core; 0: no cluster, one process)",
    )
    p.add_argument(
        "--chunk-s",
        type=positive,
        default=None,
        help="on Dask, cut long videos into keyframe-aligned chunks of about this many seconds",
    )
    p.add_argument("--mea", action="store_true", help="the inputs are MEA program text files")
    p.add_argument("--fps", type=positive, default=None, help="frame rate of the MEA files")
    p.add_argument(
        "--names",
        default=None,
        help="MEA columns' names, comma-separated (a name given twice sums its columns)",
    )
    p.add_argument("-o", "--output", default=None, help="write the CSV here instead of stdout")
    p.set_defaults(handler=run_motion)


def run_motion(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..motion import format_motion, read_mea_text

    if args.session is not None and len(args.inputs) > 1:
        raise MotionInputError("--session names the session of one input; several were given")
    if args.mea:
        if args.fps is None:
            raise MotionInputError("--mea needs --fps (the video's frame rate)")
        names = args.names.split(",") if args.names else None
        tables = [read_mea_text(p, args.fps, names, args.session) for p in args.inputs]
        sources = list(args.inputs)
        failed = []
    else:
        tables, sources, failed = _from_videos(args)
    _check_one_video_per_session(tables, sources)
    for _, exc in failed:  # one line each; the others' table is written all the same
        print(f"{PROG}: error: {exc} (skipped)", file=sys.stderr)
    if not tables:
        raise MotionInputError(f"none of the {len(failed)} video(s) could be measured")
    emit(format_motion(pd.concat(tables, ignore_index=True)), args.output)
    if failed:
        print(
            f"{PROG}: {len(failed)} of {len(failed) + len(tables)} videos skipped; "
            "the table holds the others (run again once they are fixed: only they are measured)",
            file=sys.stderr,
        )
        return EXIT_DATA
    if args.output not in (None, "-"):
        shutil.rmtree(_parts_folder(args.output), ignore_errors=True)
    return EXIT_OK


def _roi(text: str):
    """argparse type of --roi: a malformed region is a usage error (one line, exit 2)."""
    from ..motion import RoiError, parse_roi

    try:
        return parse_roi(text)
    except RoiError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parts_folder(output: str) -> Path:
    return Path(f"{output}.parts")


def _from_videos(args: argparse.Namespace):
    from ..motion.corpus import extract

    given = tuple(args.roi)
    jobs = [_job(Path(v), given, args.threshold, args.session) for v in args.inputs]
    parts = None if args.output in (None, "-") else _parts_folder(args.output)
    tty = sys.stderr.isatty()
    show = tty or len(jobs) > 1
    last = [-1]

    def progress(videos_done: int, videos: int, chunks_done: int, chunks: int) -> None:
        if not show or (not tty and videos_done == last[0]):
            return  # a log file gets one line per finished video
        last[0] = videos_done
        filled = int(24 * videos_done / max(videos, 1))
        extra = f", chunks {chunks_done}/{chunks}" if chunks > videos else ""
        line = f"motion [{'#' * filled}{'-' * (24 - filled)}] {videos_done}/{videos} videos{extra}"
        print(f"\r{line}" if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    client, cluster = _client(args, len(jobs))
    try:
        done = extract(jobs, parts, client, args.chunk_s, progress)
    finally:
        for opened in (client, cluster):
            if opened is not None:
                opened.close()
        if tty:
            print(file=sys.stderr)
    resumed = len(jobs) - len(done.computed) - len(done.failed)
    if show and resumed:
        print(f"resumed {resumed} video(s) from {parts}", file=sys.stderr)
    bad = {id(job) for job, _ in done.failed}
    sources = [str(job.path) for job in jobs if id(job) not in bad]
    return done.tables, sources, done.failed


def _client(args: argparse.Namespace, n_jobs: int):
    """``(client, cluster)``: the given scheduler, a local cluster when it helps, or neither."""
    if args.scheduler is None and (args.workers == 0 or (n_jobs < 2 and not args.chunk_s)):
        return None, None
    from distributed import Client, LocalCluster

    if args.scheduler is not None:
        return Client(args.scheduler), None
    workers = args.workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
    return Client(cluster), cluster


def _job(video: Path, given, threshold: float, session: str | None):
    """The video's session, offset and ROIs (from its folder's session.toml when it has one)."""
    from ..motion.corpus import VideoJob
    from ..motion.energy import check_unique
    from ..session import MANIFEST, find_session
    from ..video import VideoError

    if not video.is_file():
        raise VideoError(video, "no such file")
    name, offset, stored = video.stem, 0.0, ()
    if (video.parent / MANIFEST).exists():
        spec = find_session(video.parent)
        ref = next((v for v in spec.videos if v.path == video.resolve()), None)
        if ref is not None:
            name, offset, stored = spec.session, ref.offset_s, ref.rois
    rois = given or stored
    if not rois:
        raise MotionInputError(
            f"{video}: no ROI: give --roi NAME=x,y,w,h or store rois in {video.parent / MANIFEST}"
        )
    check_unique(rois)
    return VideoJob(video, session or name, tuple(rois), threshold, offset)


def _check_one_video_per_session(tables, inputs) -> None:
    seen: dict[str, str] = {}
    for table, source in zip(tables, inputs, strict=True):
        session = str(table["session"].iloc[0]) if len(table) else ""
        if session in seen:
            raise MotionInputError(
                f"{seen[session]} and {source} are both session {session}: one video per session "
                "(give the other camera its own run, or --session)"
            )
        seen[session] = source
