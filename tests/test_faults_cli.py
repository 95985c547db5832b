"""Every command that writes, failed at each step of its writing (through the storage seam).

For each command, a clean run gives the files it writes and the file operations it makes. Then
every one of those operations fails in turn with EIO, a short write and a crash (the process
killed there); ENOSPC and EACCES fail its first operation (they differ from EIO only in the
words of the message, which are checked). After each fault:

- every file the command writes is either as it was before (a previous result, or absent) or,
  byte for byte, what the clean run wrote: never part of a file;
- no temporary file is left, except after a crash, and the next run removes it;
- an error is one line on stderr naming the file that could not be written, exit status 1;
  a short write is finished and the command succeeds.

Oracle: the clean run's output (the command's own, without faults), and the bytes that were on
disk before.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from faultfs import Crash, faults, temp_files
from matrix import record
from synchrony_coder.cli import main
from synchrony_coder.cli.gui import demo_copy

sys.path.insert(0, str(Path(__file__).parent))
from videogen import write_video  # noqa: E402

TINY = (
    "session,coder,tier,code,onset_s,offset_s\n"
    "s01,ann,phase,play,0.0,1.5\n"
    "s01,ann,infant_engagement,positive,0.2,1.0\n"
    "s01,ann,infant_engagement,object,1.0,1.4\n"
    "s01,ann,infant_bid,reach,0.5,\n"
)  # two coders' small files keep the slow commands (report, plot) quick


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    (d / "coder_alice.csv").write_text(TINY.replace(",ann,", ",alice,"))
    (d / "coder_bob.csv").write_text(TINY.replace(",ann,", ",bob,").replace("1.0,1.4", "1.1,1.4"))
    (d / "tiny.csv").write_text(TINY)
    video = write_video(d / "clip.mp4", "h264_bframes_mp4", 20, fps=10, gop=10, width=64, height=48)
    assert main(["motion", str(video), "--roi", "infant=0,0,32,48", "--roi", "caregiver=32,0,32,48",
                 "--session", "s01", "-o", str(d / "motion.csv")]) == 0  # fmt: skip
    cameras = d / "cameras"
    cameras.mkdir()
    for dyad in ("d01", "d02"):
        shutil.copy(video, cameras / f"{dyad}_face.mp4")
    lab = d / "lab"
    assert main(["study", "init", str(lab), "--videos", str(cameras), "--pattern",
                 "{dyad}_{camera}.mp4", "--coders", "ann", "--seed", "1"]) == 0  # fmt: skip
    for dyad in ("d01", "d02"):
        (lab / dyad / "coder_ann.csv").write_text(TINY.replace("s01,", f"{dyad},"))
    return {
        "alice": d / "coder_alice.csv",
        "bob": d / "coder_bob.csv",
        "tiny": d / "tiny.csv",
        "video": video,
        "motion": d / "motion.csv",
        "cameras": cameras,
        "lab": lab,
    }


def _argv(command: str, i: dict[str, Path], out: Path) -> list[str] | None:
    a, b = str(i["alice"]), str(i["bob"])
    return {
        "metrics": ["metrics", a, "-o", f"{out}/metrics.csv"],
        "plot": ["plot", a, "-o", f"{out}/timeline.png"],
        "reliability": ["reliability", a, b, "-o", f"{out}/rel.csv"],
        "reliability --report": ["reliability", a, b, "--report", f"{out}/rel.html"],
        "sample-reliability": [
            "sample-reliability",
            "s01",
            "s02",
            "--seed",
            "1",
            "-o",
            f"{out}/pick.csv",
        ],
        "validate": ["validate", a, "-o", f"{out}/problems.txt"],
        "convert to csv": ["convert", a, f"{out}/copy.csv"],
        "convert to eaf": ["convert", a, f"{out}/s01.eaf"],
        "convert to eaf folder": ["convert", a, f"{out}/elan", "--to", "eaf"],
        "convert to tsv": ["convert", a, f"{out}/s01.tsv"],
        "convert to sds": ["convert", a, f"{out}/s01.sds"],
        "probe": ["probe", str(i["video"]), "-o", f"{out}/probe.json"],
        "frame": ["frame", str(i["video"]), "3", "-o", f"{out}/f3.png"],
        "proxy": ["proxy", str(i["video"]), "-o", f"{out}/clip.proxy.mp4"],
        "render": [
            "render",
            str(i["tiny"]),
            "-o",
            f"{out}/tiny.mp4",
            "--size",
            "64x36",
            "--fps",
            "10",
        ],
        "make-samples": ["make-samples", f"{out}/samples", "--only", "s01", "--no-video"],
        "sequential": [
            "sequential",
            a,
            "--tiers",
            "infant_bid,infant_engagement",
            "-o",
            f"{out}/lags.csv",
        ],
        "plot sequential": ["plot", a, "--kind", "sequential", "-o", f"{out}/lags.png"],
        "motion": ["motion", str(i["video"]), "--roi", "all=0,0,64,48", "-o", f"{out}/motion.csv"],
        "movement-sync": [
            "movement-sync",
            str(i["motion"]),
            "--window",
            "0.6",
            "--lag",
            "0.2",
            "--increment",
            "0.3",
            "--table",
            f"{out}/ccf.csv",
            "-o",
            f"{out}/movement.csv",
        ],
        "study init": [
            "study",
            "init",
            f"{out}/lab",
            "--videos",
            str(i["cameras"]),
            "--pattern",
            "{dyad}_{camera}.mp4",
            "--coders",
            "ann",
            "--seed",
            "1",
        ],
        "study status": ["study", "status", str(i["lab"]), "-o", f"{out}/status.csv"],
        "study export csv": ["study", "export", str(i["lab"]), "-o", f"{out}/all.csv"],
        "study export parquet": ["study", "export", str(i["lab"]), "-o", f"{out}/all.parquet"],
        "study metrics": ["study", "metrics", str(i["lab"]), "-o", f"{out}/study_metrics.csv"],
        "study report": ["study", "report", str(i["lab"]), "-o", f"{out}/report.html"],
        "demo": None,  # copies the sample session, then opens the app: the copy is tested
    }[command]


COMMANDS = (
    "metrics", "plot", "reliability", "reliability --report", "sample-reliability", "validate",
    "convert to csv", "convert to eaf", "convert to eaf folder", "convert to tsv",
    "convert to sds", "probe", "frame", "proxy", "render", "make-samples", "demo",
    "sequential", "plot sequential", "motion", "movement-sync", "study init", "study status",
    "study export csv", "study export parquet", "study metrics", "study report",
)  # fmt: skip


def run(command: str, i, out: Path) -> tuple[int, str]:
    """Run the command in this process; (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        argv = _argv(command, i, out)
        if argv is None:
            try:
                demo_copy(out)
                code = 0
            except Exception as exc:  # the CLI's one-line error
                print(f"synchrony-coder: error: {exc}", file=sys.stderr)
                code = 1
        else:
            code = main(argv)
    return code, err.getvalue()


def files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.endswith(".tmp")
    }


def same_output(name: str, a: bytes, b: bytes) -> bool:
    """Two runs' outputs: equal but for an ELAN document's date, or an encoder's header."""
    if name.endswith(".eaf"):
        a, b = (re.sub(rb'DATE="[^"]*"', b"", x) for x in (a, b))
    if name.endswith(".mp4"):
        return len(a) > 1000 and abs(len(a) - len(b)) < 0.05 * len(b)
    return a == b


def prepare(out: Path, previous: dict[str, bytes] | None) -> dict[str, bytes]:
    """A fresh output folder, holding a previous result of every output file if given."""
    out.mkdir()
    for name in previous or ():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(b"previous result\n")
    return files(out)


def plan(calls: list[tuple[str, str]], full: bool) -> list[tuple[int, str]]:
    """Where to fail. ``full``: every step with EIO and a crash, the first write short, the first
    open with each errno. Else where it matters most for the files: the first open (EIO), the
    first rename and the step after it (a crash: the old file, or the new one whole)."""
    ops = [op for op, _ in calls]
    k = ops.index("replace")
    if not full:
        return [(0, "EIO"), (k, "crash"), (k + 1, "crash")]
    steps = [(k, f) for k in range(len(ops)) for f in ("EIO", "crash")]
    steps += [(ops.index("write"), "short")] if "write" in ops else []
    return steps + [(0, "ENOSPC"), (0, "EACCES")]


# every step of these (the writers of -o, the events CSV, foreign formats, videos); the others
# share their writers, so their key steps suffice (and the session's matrix sweeps every step)
EVERY_STEP = {"metrics", "convert to csv", "convert to eaf folder", "proxy"}
SLOW = {"plot", "plot sequential", "reliability --report", "render", "study report"}
FRESH = {
    "study init"
}  # reads what it wrote before: a "previous result" placeholder is not one  # a second or more per run on a busy machine


@pytest.mark.parametrize("command", COMMANDS)
def test_every_writing_command_leaves_no_partial_file(command, inputs, tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    with faults(under=clean) as o:
        code, err = run(command, inputs, clean)
    assert code == 0, err
    new = files(clean)
    runs = [(None, step) for step in plan(o.calls, full=False)]
    if command in EVERY_STEP:  # also over a previous result, at every step
        dry = tmp_path / "dry"
        prepare(dry, new)
        with faults(under=dry) as o:
            assert run(command, inputs, dry)[0] == 0
        runs = [(new, step) for step in plan(o.calls, full=True)] + runs[:1]
    elif command in FRESH:
        pass
    elif command not in SLOW:
        runs += [(new, step) for step in plan(o.calls, full=False)]
    else:  # the old file (or none) when killed at the rename, and the error line
        runs = runs[:2]
    for n, (previous, (at, fault)) in enumerate(runs):
        out = tmp_path / f"run{n}"
        before = prepare(out, previous)
        check(command, inputs, out, at, fault, before, new)
        shutil.rmtree(out)


def check(command, inputs, out: Path, at: int, fault: str, before, new) -> None:
    with faults(under=out, at=at, fault=fault) as o:
        try:
            code, err = run(command, inputs, out)
        except Crash:
            code, err = None, ""
    where = f"{command}: {fault} at step {at} {o.fired}"
    assert o.fired, (where, o.calls)
    op = o.fired[0]
    after = files(out)
    for name, data in after.items():
        if ".parts/" in name:  # motion's per-video results, kept for a resumed run: whole files
            np.load(io.BytesIO(data))
            continue
        assert data == before.get(name) or same_output(name, data, new[name]), (where, name)
    if fault == "crash":
        code, err = run(command, inputs, out)  # the next run: complete, nothing left over
        assert code == 0 and temp_files(out) == [], (where, err)
        outcome = "killed here: old file or none; the next run cleans up"
    elif fault == "short":
        assert code == 0 and set(after) == set(new) and temp_files(out) == [], (where, err)
        outcome = "completed: the rest of the write was written"
    else:
        assert temp_files(out) == [], where
        lines = err.strip().splitlines()
        if code == 0:  # a step that may fail without harm (syncing a folder it cannot open)
            assert op in ("open", "fsync", "close") and set(after) == set(new), (where, err)
            outcome = "done anyway (a folder that cannot be synced is skipped)"
        else:
            assert code == 1 and len(lines) == 1, (where, err)
            assert "cannot write" in lines[0], (where, err)
            assert str(out) in lines[0] and "Errno" not in lines[0], (where, err)
            word = {"ENOSPC": "full", "EACCES": "not writable", "EIO": "error"}[fault]
            assert word in lines[0], (where, err)
            outcome = "exit 1, one line naming the file; nothing partial"
    record(op, fault, f"command: {outcome}")
