"""A generated study for the tests: 10 simulated Still-Face sessions (5 dyads × 2 visits), two
cameras each, 3 coders, 30 % double-coded, two consensus files, one session in progress and one
not coded at all."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from synchrony_coder.cli import main
from synchrony_coder.events import write_events
from synchrony_coder.simulate import SessionParams, simulate_coder, simulate_session
from synchrony_coder.study import apply_decisions, disagreements, load_study, mark_done
from synchrony_coder.study.consensus import write_consensus
from videogen import write_video

CODERS = ("ann", "ben", "cat")
PATTERN = "{dyad}_{visit}_{camera}.mp4"
PARAMS = SessionParams(phases=(("play", 20.0), ("still_face", 20.0), ("reunion", 20.0)))
IN_PROGRESS, NOT_CODED = "d05_1", "d05_2"


def camera_files(folder: Path, dyads: range, visits=(1, 2)) -> Path:
    """Two camera files per dyad × visit (copies of one 60-s, 2-fps clip of 160×96)."""
    folder.mkdir(parents=True, exist_ok=True)
    clip = write_video(folder.parent / "clip.mp4", "mpeg4_bframes_mp4", n_frames=120, fps=2)
    for d in dyads:
        for v in visits:
            for cam in ("face", "room"):
                shutil.copy(clip, folder / f"d{d:02d}_{v}_{cam}.mp4")
    return folder


def make_study(root: Path) -> Path:
    """Camera files → ``study init`` → each coder's files; returns the study folder."""
    videos = camera_files(root / "videos", range(1, 6))
    lab = root / "lab"
    status = main(["study", "init", str(lab), "--videos", str(videos), "--pattern", PATTERN,
                   "--coders", ",".join(CODERS), "--fraction", "0.3", "--seed", "7",
                   "-o", str(root / "sessions.csv")])  # fmt: skip
    assert status == 0
    study = load_study(lab)
    sample = study.reliability_sample()
    for i, s in enumerate(study.sessions):
        if s.session == NOT_CODED:
            continue
        truth = simulate_session(PARAMS, session=s.session, seed=100 + i)
        first = CODERS[i % 3]
        events = simulate_coder(truth, first, seed=200 + i)
        if s.session == IN_PROGRESS:  # coded up to 40 s, not marked done
            events = events[events["onset_s"] < 40]
            events = events.assign(offset_s=events["offset_s"].clip(upper=40.0))
        write_events(events, s.spec.events_path(first))
        if s.session != IN_PROGRESS:
            mark_done(s.spec, first)
        if s.session in sample:
            second = CODERS[(i + 1) % 3]
            other = simulate_coder(truth, second, seed=300 + i)
            write_events(other, s.spec.events_path(second))
            mark_done(s.spec, second)
            if s.session != sample[-1]:  # the last one still waits for its consensus
                spans = disagreements(events, other)
                rng = np.random.default_rng(i)
                picks = {k: "AB"[rng.integers(2)] for k in spans["disagreement"]}
                write_consensus(s.spec, apply_decisions(events, other, picks))
                mark_done(s.spec, "consensus")
    return lab
