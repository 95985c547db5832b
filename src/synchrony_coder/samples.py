"""The bundled sample sessions: simulated dyads with known truth, two coders and rendered video.

Each sample is a session folder (``session.toml``, ``video.mp4`` and possibly more cameras,
``truth.csv``, ``coder_alice.csv``, ``coder_bob.csv``) built by :mod:`.simulate` from a fixed seed,
so ``synchrony-coder make-samples OUTDIR`` rebuilds byte-identical event files (the videos depend on
the x264 build). The true matched fraction (Tronick & Gianino, 1986) comes from
:func:`.simulate.true_matched_fraction`; the true contingency is computed here by
:func:`true_contingency`, independently of the metrics package, for the README and its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .events import write_events
from .scheme import Scheme, load_scheme
from .simulate import (
    CoderNoise,
    SessionParams,
    simulate_coder,
    simulate_session,
    true_matched_fraction,
)
from .storage import atomic_write_text, make_dirs

__all__ = [
    "CODERS",
    "SAMPLES",
    "Camera",
    "Sample",
    "make_sample",
    "make_samples",
    "readme_text",
    "true_contingency",
    "true_values",
]

WINDOW_S = 2.0
FPS = 30.0
SIZE = (640, 360)


@dataclass(frozen=True)
class Camera:
    """One video of a sample: file name, what it shows, its offset on the session clock."""

    path: str
    view: str = "dyad"
    offset_s: float = 0.0


@dataclass(frozen=True)
class Sample:
    """A bundled sample session: how it is simulated and filmed."""

    name: str
    seed: int
    params: SessionParams
    description: str
    cameras: tuple[Camera, ...] = (Camera("video.mp4"),)
    coder_seeds: dict[str, int] = field(default_factory=dict)


# Two coders who disagree a realistic amount: alice is careful, bob a little looser.
CODERS: dict[str, CoderNoise] = {
    "alice": CoderNoise(),
    "bob": CoderNoise(
        boundary_sd_s=0.35, substitution=0.1, point_onset_sd_s=0.2, miss=0.12, extra_per_min=0.8
    ),
}

SAMPLES: tuple[Sample, ...] = (
    Sample(
        "s01",
        seed=116,
        params=SessionParams(
            phases=(("play", 40.0), ("still_face", 40.0), ("reunion", 40.0)),
            attunement={"play": 0.30, "still_face": 0.05, "reunion": 0.20},
            contingency=0.6,
        ),
        description="Still-Face session (play, still-face, reunion; 40 s each), two cameras",
        cameras=(Camera("video.mp4", "dyad", 0.0), Camera("caregiver_cam.mp4", "caregiver", 0.5)),
        coder_seeds={"alice": 1011, "bob": 1012},
    ),
    Sample(
        "s02",
        seed=21,
        params=SessionParams(
            phases=(("play", 120.0),),
            attunement={"play": 0.45},
            contingency=0.85,
            bid_rate_per_min=9.0,
        ),
        description="Highly attuned, contingent dyad: 2 minutes of face-to-face play",
        coder_seeds={"alice": 2021, "bob": 2022},
    ),
    Sample(
        "s03",
        seed=15,
        params=SessionParams(
            phases=(("play", 120.0),),
            attunement={"play": 0.15},
            contingency=0.2,
            spontaneous_response_rate_per_min=2.0,
        ),
        description="Low-contingency, poorly attuned dyad: 2 minutes of face-to-face play",
        coder_seeds={"alice": 3031, "bob": 3032},
    ),
)


def true_contingency(
    events: pd.DataFrame, scheme: Scheme | None = None, window: float = WINDOW_S
) -> tuple[int, int]:
    """Bids and answered bids: bid b is answered when a response onset r has b < r <= b + window.

    Counted in integer milliseconds over the whole session (Watson, 1985; Van Egeren, Barratt &
    Roach, 2001). Returns ``(n_bids, n_answered)``; contingency is their ratio.
    """
    r = (scheme or load_scheme()).roles
    bids = np.sort(np.round(events.loc[events["tier"] == r.bid, "onset_s"].to_numpy(float) * 1000))
    resp = np.sort(
        np.round(events.loc[events["tier"] == r.response, "onset_s"].to_numpy(float) * 1000)
    )
    first_after = np.searchsorted(resp, bids, side="right")
    has = first_after < len(resp)
    answered = np.zeros(len(bids), bool)
    answered[has] = resp[first_after[has]] <= bids[has] + round(window * 1000)
    return len(bids), int(answered.sum())


def _clip(events: pd.DataFrame, t0: float, t1: float) -> pd.DataFrame:
    ev = events[(events["offset_s"] > t0) & (events["onset_s"] < t1)].copy()
    ev["onset_s"] = ev["onset_s"].clip(lower=t0)
    ev["offset_s"] = ev["offset_s"].clip(upper=t1)
    return ev


def true_values(
    truth: pd.DataFrame, scheme: Scheme | None = None, window: float = WINDOW_S
) -> pd.DataFrame:
    """Per phase (and ``all``): true matched fraction, bids, answered bids and contingency."""
    sch = scheme or load_scheme()
    phases = truth[truth["tier"] == sch.roles.phase].sort_values("onset_s")
    spans = [("all", 0.0, float(truth["offset_s"].max()))]
    if len(phases) > 1:
        spans += list(zip(phases["code"], phases["onset_s"], phases["offset_s"], strict=True))
    rows = []
    for name, t0, t1 in spans:
        states = _clip(truth[truth["offset_s"].notna()], t0, t1)
        bids = truth[
            (truth["tier"] == sch.roles.bid) & (truth["onset_s"] >= t0) & (truth["onset_s"] < t1)
        ]
        n, k = true_contingency(
            pd.concat([bids, truth[truth["tier"] == sch.roles.response]]), sch, window
        )
        rows.append(
            {
                "phase": name,
                "matched_fraction": round(true_matched_fraction(states, sch), 3),
                "n_bids": n,
                "answered": k,
                "contingency": round(k / n, 3) if n else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def _manifest(sample: Sample) -> str:
    lines = [
        f"# {sample.description}.",
        "# Made by `synchrony-coder make-samples` (synchrony_coder.samples); see ../README.md.",
        f'session = "{sample.name}"',
        'scheme = "default"',
    ]
    for cam in sample.cameras:
        lines += [
            "",
            "[[videos]]",
            f'path = "{cam.path}"',
            f"offset_s = {cam.offset_s}",
            f'view = "{cam.view}"',
        ]
    return "\n".join(lines) + "\n"


def make_sample(
    sample: Sample,
    folder: str | Path,
    *,
    video: bool = True,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Write one sample session folder; returns its :func:`true_values`."""
    folder = Path(folder)
    make_dirs(folder)
    sch = load_scheme()
    truth = simulate_session(
        sample.params, session=sample.name, coder="truth", seed=sample.seed, scheme=sch
    )
    write_events(truth, folder / "truth.csv")
    for coder, noise in CODERS.items():
        coded = simulate_coder(
            truth,
            coder,
            noise,
            seed=sample.coder_seeds.get(coder, 0),
            scheme=sch,
            fps=sample.params.fps,
        )
        write_events(coded, folder / f"coder_{coder}.csv")
    atomic_write_text(folder / "session.toml", _manifest(sample))
    written = [
        folder / "truth.csv",
        folder / "session.toml",
        *(folder / f"coder_{c}.csv" for c in CODERS),
    ]
    if video:
        from .render import render_session

        for cam in sample.cameras:
            if progress is not None:
                progress(f"{sample.name}/{cam.path}")
            render_session(
                truth,
                folder / cam.path,
                fps=sample.params.fps,
                size=SIZE,
                scheme=sch,
                view=cam.view,
                offset_s=cam.offset_s,
            )
            written.append(folder / cam.path)
    for path in written:  # temporary files are created private; samples are for everyone to read
        path.chmod(0o644)
    return true_values(truth, sch)


_README_HEAD = """\
# Sample sessions

Simulated caregiver-infant sessions with known ground truth, for the demo (`synchrony-coder demo`),
the tests and for learning the tool. Each folder holds `session.toml` (videos, offsets, scheme),
`video.mp4` (a cartoon rendering of `truth.csv`, 640x360, 30 fps, H.264), `truth.csv` (the
simulated truth) and two coders' files `coder_alice.csv` and `coder_bob.csv` that disagree with
the truth (and each other) a realistic amount. s01 has a second camera, `caregiver_cam.mp4`, that
started 0.5 s late (`offset_s = 0.5`) to exercise multi-video synchronisation.

Regenerate (same seeds give the same CSVs; videos depend on the x264 build):

```
synchrony-coder make-samples sample_sessions
```

Made by `synchrony_coder.samples` with `simulate_session(SAMPLE.params, seed=SAMPLE.seed)`,
`simulate_coder(truth, coder, CODERS[coder], seed=SAMPLE.coder_seeds[coder])` and
`render.render_session`.

| session | what | seed | coder seeds (alice, bob) | simulation parameters |
|---|---|---|---|---|
"""

_README_MIDDLE = """
Other `SessionParams` fields keep their defaults (mean span 2.5 s, 30 fps). The seeds were
picked among the first few hundred so that the realised values sit near the targets (matched
fraction within 0.03 of the attunement asked for, enough bids): a 2-minute simulation is noisy.
Coders: alice `CoderNoise()`; bob `CoderNoise(boundary_sd_s=0.35, substitution=0.1,
point_onset_sd_s=0.2, miss=0.12, extra_per_min=0.8)`.

Videos: 640x360, 30 fps, H.264 yuv420p in MP4, keyframe every 60 frames, CRF 30. `video.mp4`
shows both partners (`view = "dyad"`, 3600 frames); s01's `caregiver_cam.mp4` is a close camera
on the caregiver whose frame k shows session time 0.5 + k/30 s (3585 frames). Every frame
carries its own index in a 3 x 8-cell barcode in the top-left corner (encoding in
`synchrony_coder/render/barcode.py`, read back by `synchrony_coder.render.read_frame_barcode`),
and the caption strip shows the phase and the session clock.

## True values (from truth.csv)

Matched fraction: `simulate.true_matched_fraction` (time in matched pairs object/object,
monitor/monitor, positive/positive over both-coded time). Contingency: answered bids / bids,
a bid at b answered when a response onset r has b < r <= b + {window:g} s (window {window:g} s;
responses after a phase's end count for its last bids), `samples.true_contingency`.

| session | phase | matched fraction | bids | answered | contingency |
|---|---|---|---|---|---|
"""


def _parameters(s: Sample) -> str:
    p = s.params
    phases = ", ".join(
        f"{n} {d:g} s (attunement {p.attunement.get(n, p.attunement.get('play', 0.3)):g})"
        for n, d in p.phases
    )
    coders = f"{s.coder_seeds.get('alice')}, {s.coder_seeds.get('bob')}"
    return (
        f"| {s.name} | {s.description} | {s.seed} | {coders} | {phases}; "
        f"bids {p.bid_rate_per_min:g}/min answered with probability {p.contingency:g} after "
        f"{p.latency_min_s:g}-{p.latency_max_s:g} s; "
        f"spontaneous responses {p.spontaneous_response_rate_per_min:g}/min |\n"
    )


def readme_text(values: dict[str, pd.DataFrame], samples: Sequence[Sample] = SAMPLES) -> str:
    """The sample folder's README: how the samples were made and their true values."""
    out = _README_HEAD + "".join(_parameters(s) for s in samples)
    out += _README_MIDDLE.format(window=WINDOW_S)
    for s in samples:
        for row in values.get(s.name, pd.DataFrame()).itertuples(index=False):
            out += (
                f"| {s.name} | {row.phase} | {row.matched_fraction:.3f} | {row.n_bids} | "
                f"{row.answered} | {row.contingency:.3f} |\n"
            )
    return out


def make_samples(
    outdir: str | Path,
    names: Sequence[str] | None = None,
    *,
    video: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Write the sample sessions (all, or those named) under ``outdir`` and its README.md."""
    outdir = Path(outdir)
    chosen = [s for s in SAMPLES if names is None or s.name in names]
    unknown = set(names or ()) - {s.name for s in SAMPLES}
    if unknown:
        raise ValueError(f"unknown sample(s): {', '.join(sorted(unknown))}")
    values = {
        s.name: make_sample(s, outdir / s.name, video=video, progress=progress) for s in chosen
    }
    # the README lists every sample: recompute the ones not rebuilt from their truth.csv
    from .events import read_events

    for s in SAMPLES:
        if s.name not in values and (outdir / s.name / "truth.csv").exists():
            values[s.name] = true_values(read_events(outdir / s.name / "truth.csv"))
    atomic_write_text(outdir / "README.md", readme_text(values))
    (outdir / "README.md").chmod(0o644)
    return values
