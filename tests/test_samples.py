"""The bundled sample sessions: present and small, valid, reproducible, true values right.

Oracles: the simulator re-run with the stated seeds (files reproduce byte for byte), a brute-force
matched fraction on a 1 ms grid and a per-bid loop for contingency (the README's numbers), PyAV's
demuxer and decoder (frame counts, barcodes).
"""

from __future__ import annotations

import re
import subprocess
import sys

import av
import numpy as np
import pandas as pd
import pytest

from synchrony_coder.events import format_events, read_events
from synchrony_coder.render import read_frame_barcode
from synchrony_coder.samples import CODERS, SAMPLES, make_samples, true_values
from synchrony_coder.scheme import bundled_path, load_scheme
from synchrony_coder.session import find_session
from synchrony_coder.simulate import simulate_coder, simulate_session

ROOT = bundled_path("sample_sessions")
NAMES = [s.name for s in SAMPLES]
MB = 1024 * 1024


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


def _readme_rows() -> dict[tuple[str, str], tuple[float, int, int, float]]:
    rows = {}
    for m in re.finditer(
        r"^\| (s\d\d) \| (\w+) \| ([\d.]+) \| (\d+) \| (\d+) \| ([\d.]+) \|$",
        (ROOT / "README.md").read_text(encoding="utf-8"),
        re.M,
    ):
        rows[m[1], m[2]] = (float(m[3]), int(m[4]), int(m[5]), float(m[6]))
    return rows


def test_the_samples_exist_and_stay_small():
    total = 0
    for s in SAMPLES:
        folder = ROOT / s.name
        for name in ("session.toml", "truth.csv", *(f"coder_{c}.csv" for c in CODERS)):
            assert (folder / name).is_file(), folder / name
        for cam in s.cameras:
            size = (folder / cam.path).stat().st_size
            assert 0 < size < 2 * MB, (cam.path, size)
        total += sum(p.stat().st_size for p in folder.iterdir())
    assert total < 8 * MB


@pytest.mark.parametrize("name", NAMES)
def test_events_validate_and_round_trip_exactly(name, scheme):
    for path in sorted((ROOT / name).glob("*.csv")):
        df = read_events(path, scheme)
        assert set(df["session"]) == {name}
        assert format_events(df) == path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("sample", SAMPLES, ids=NAMES)
def test_event_files_reproduce_from_the_stated_seeds(sample, scheme):
    truth = simulate_session(sample.params, session=sample.name, coder="truth", seed=sample.seed)
    folder = ROOT / sample.name
    assert format_events(truth) == (folder / "truth.csv").read_text(encoding="utf-8")
    for coder, noise in CODERS.items():
        coded = simulate_coder(
            truth, coder, noise, seed=sample.coder_seeds[coder], fps=sample.params.fps
        )
        assert format_events(coded) == (folder / f"coder_{coder}.csv").read_text(encoding="utf-8")


def test_coders_disagree_a_realistic_amount(scheme):
    """Time-unit agreement with the truth on infant engagement (0.1 s units) between .6 and .97."""
    for s in SAMPLES:
        truth = read_events(ROOT / s.name / "truth.csv")
        t = np.arange(0.05, truth["offset_s"].max(), 0.1)
        ref = _labels(truth, "infant_engagement", t)
        for coder in CODERS:
            got = _labels(read_events(ROOT / s.name / f"coder_{coder}.csv"), "infant_engagement", t)
            assert 0.6 < (ref == got).mean() < 0.97, (s.name, coder)


def _labels(ev: pd.DataFrame, tier: str, t: np.ndarray) -> np.ndarray:
    out = np.full(len(t), "", dtype=object)
    for row in ev[ev["tier"] == tier].itertuples():
        out[(t >= row.onset_s) & (t < row.offset_s)] = row.code
    return out


def _oracle(truth: pd.DataFrame, scheme, t0: float, t1: float) -> tuple[float, int, int, float]:
    """Matched fraction on a 1 ms grid over [t0, t1); bids in it answered within (b, b + 2 s]."""
    ms = np.arange(round(t0 * 1000), round(t1 * 1000))
    grid = {}
    for tier in ("infant_engagement", "caregiver_engagement"):
        codes = np.full(len(ms), "", dtype=object)
        for row in truth[truth["tier"] == tier].itertuples():
            codes[(ms >= round(row.onset_s * 1000)) & (ms < round(row.offset_s * 1000))] = row.code
        grid[tier] = codes
    both = (grid["infant_engagement"] != "") & (grid["caregiver_engagement"] != "")
    pairs = set(scheme.matched_pairs)
    matched = np.array(
        [
            (a, b) in pairs
            for a, b in zip(grid["infant_engagement"], grid["caregiver_engagement"], strict=True)
        ]
    )
    bids = [
        round(b * 1000) for b in truth.loc[truth["tier"] == "infant_bid", "onset_s"] if t0 <= b < t1
    ]
    resp = [round(r * 1000) for r in truth.loc[truth["tier"] == "caregiver_response", "onset_s"]]
    answered = sum(any(b < r <= b + 2000 for r in resp) for b in bids)
    mf = (matched & both).sum() / both.sum()
    return round(float(mf), 3), len(bids), answered, round(answered / len(bids), 3)


@pytest.mark.parametrize("name", NAMES)
def test_readme_true_values_match_a_brute_force_recomputation(name, scheme):
    truth = read_events(ROOT / name / "truth.csv", scheme)
    rows = {phase: v for (s, phase), v in _readme_rows().items() if s == name}
    phases = truth[truth["tier"] == "phase"].sort_values("onset_s")
    spans = [("all", 0.0, truth["offset_s"].max())]
    if len(phases) > 1:
        spans += list(zip(phases["code"], phases["onset_s"], phases["offset_s"], strict=True))
    assert set(rows) == {s[0] for s in spans}
    for phase, t0, t1 in spans:
        mf, n, k, c = _oracle(truth, scheme, t0, t1)
        assert rows[phase][1:3] == (n, k), phase
        assert rows[phase][0] == pytest.approx(mf, abs=0.0015), phase
        assert rows[phase][3] == pytest.approx(c, abs=0.0015), phase
    table = true_values(truth, scheme).set_index("phase")
    for phase, (mf, n, k, _) in rows.items():
        assert (table.loc[phase, "n_bids"], table.loc[phase, "answered"]) == (n, k)
        assert table.loc[phase, "matched_fraction"] == pytest.approx(mf, abs=1e-9)


def test_samples_differ_as_described():
    rows = _readme_rows()
    assert rows["s01", "still_face"][0] < rows["s01", "play"][0]
    assert rows["s01", "still_face"][3] == 0.0
    assert rows["s02", "all"][0] > 0.4 and rows["s02", "all"][3] > 0.8
    assert rows["s03", "all"][0] < 0.2 and rows["s03", "all"][3] < 0.3


@pytest.mark.parametrize("sample", SAMPLES, ids=NAMES)
def test_manifest_and_videos(sample):
    spec = find_session(ROOT / sample.name)
    assert spec.session == sample.name and spec.scheme == "default"
    assert [v.path.name for v in spec.videos] == [c.path for c in sample.cameras]
    assert spec.videos[0].path.name == "video.mp4"
    assert [v.offset_s for v in spec.videos] == [c.offset_s for c in sample.cameras]
    duration = sum(d for _, d in sample.params.phases)
    for cam in sample.cameras:
        path = ROOT / sample.name / cam.path
        expected = round((duration - cam.offset_s) * sample.params.fps)
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            assert (stream.width, stream.height, stream.codec_context.name) == (640, 360, "h264")
            assert sum(1 for p in c.demux(stream) if p.size) == expected
        with av.open(str(path)) as c:
            first = next(c.decode(video=0)).to_ndarray(format="rgb24")
            assert read_frame_barcode(first) == 0
            stream = c.streams.video[0]
            c.seek(int((duration - cam.offset_s - 2.5) / stream.time_base), stream=stream)
            *_, last = c.decode(stream)
            assert read_frame_barcode(last.to_ndarray(format="rgb24")) == expected - 1


def test_make_samples_cli_writes_events_and_readme(tmp_path):
    out = tmp_path / "samples"
    cmd = [
        sys.executable,
        "-m",
        "synchrony_coder",
        "make-samples",
        str(out),
        "--only",
        "s03",
        "--no-video",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "s03" / "truth.csv").read_text() == (ROOT / "s03" / "truth.csv").read_text()
    assert "| s03 | all |" in (out / "README.md").read_text()
    bad = subprocess.run(
        [*cmd[:4], str(out), "--only", "s99"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "s99" in bad.stderr


def test_make_samples_rejects_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="s99"):
        make_samples(tmp_path, ["s99"], video=False)
