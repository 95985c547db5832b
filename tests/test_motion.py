"""Motion energy (SCIENCE.md §6) against known changed-pixel counts and a frame-by-frame brute force.

The videos are lossless H.264 (qp=0): every decoded luma plane equals the plane encoded, so the
number of pixels that changed by more than θ is known from the construction. The brute force
decodes with plain PyAV (``container.decode``), independently of the project's decoder.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

from synchrony_coder.motion import (
    Roi,
    RoiError,
    chunk_bounds,
    motion_chunk,
    motion_energy,
    parse_roi,
    read_mea_text,
    read_motion,
    stitch,
)
from synchrony_coder.motion.table import MotionFileError
from synchrony_coder.session import find_session
from synchrony_coder.session.manifest import save_rois
from synchrony_coder.video import build_index
from videogen import ffmpeg_frames, write_luma_video

W, H, FRAMES, FPS = 320, 240, 30, 25
ROIS = (
    Roi("toggle", 30, 30, 60, 60),  # holds the 40×40 square that brightens on odd frames
    Roi("mover", 0, 140, 200, 40),  # holds the 20×20 square moving 4 px right each frame
    Roi("still", 250, 0, 70, 100),  # static texture
    Roi("edge", 200, 200, 100, 20),  # strips changing by exactly 10 and by 11 levels
)
# changed pixels per frame t ≥ 1 at θ = 10 (and θ = 9), from the construction
KNOWN = {10: [1600, 2 * 4 * 20, 0, 1000], 9: [1600, 2 * 4 * 20, 0, 2000]}


def scene(frames: int = FRAMES, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    background = rng.integers(40, 201, (H, W)).astype(np.uint8)  # static texture, 40..200
    lumas = []
    for t in range(frames):
        y = background.copy()
        if t % 2:
            y[40:80, 40:80] += 30  # toggling square
        x0 = 10 + 4 * t
        y[150:170, x0 : x0 + 20] = 250  # moving square, ≥ 50 levels above the texture
        step = 10 * (t % 2)
        y[200:210, 200:300] = 100 + step  # changes by exactly θ: never counted at θ = 10
        y[210:220, 200:300] = 100 + step * 11 // 10  # changes by 11
        lumas.append(y)
    return lumas


def brute_force(path: Path, rois, threshold: float) -> np.ndarray:
    """Frame by frame from an independent PyAV decode: share of pixels with |ΔY| > θ."""
    with av.open(str(path)) as container:
        planes = [
            f.to_ndarray(format="yuv420p")[:H].astype(np.int16) for f in container.decode(video=0)
        ]
    out = np.full((len(planes), len(rois)), np.nan)
    for t in range(1, len(planes)):
        for j, r in enumerate(rois):
            a = planes[t][r.y : r.y + r.h, r.x : r.x + r.w]
            b = planes[t - 1][r.y : r.y + r.h, r.x : r.x + r.w]
            out[t, j] = np.count_nonzero(np.abs(a - b) > threshold) / (r.w * r.h)
    return out


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return write_luma_video(
        tmp_path_factory.mktemp("motion") / "scene.mp4", scene(), fps=FPS, gop=8
    )


@pytest.mark.parametrize("threshold", [10, 9])
def test_motion_energy_equals_known_counts_and_brute_force(video, threshold):
    index, values = motion_energy(video, ROIS, threshold)
    assert values.shape == (FRAMES, len(ROIS))
    assert np.isnan(values[0]).all()  # frame 0 has no previous frame
    areas = np.array([r.w * r.h for r in ROIS])
    expected = np.tile(np.array(KNOWN[threshold]) / areas, (FRAMES - 1, 1))
    np.testing.assert_array_equal(values[1:], expected)
    np.testing.assert_array_equal(values, brute_force(video, ROIS, threshold))
    assert index.frame_count == FRAMES


def test_rois_are_in_the_upright_frame_of_a_rotated_video(tmp_path):
    """A phone's display matrix: ROIs name pixels of the frame as shown. Oracle: the known planes
    turned the way the ``ffmpeg`` command shows the file (its own autorotation)."""
    lumas = scene(frames=6)
    path = write_luma_video(tmp_path / "phone.mp4", lumas, fps=FPS, gop=4, rotation=-90)
    shown = ffmpeg_frames(path)[0].mean(axis=2)  # grey chroma: R = G = B ≈ Y
    turns = [k for k in (1, 3) if np.rot90(lumas[0], k).shape == shown.shape]
    k = min(turns, key=lambda k: np.abs(np.rot90(lumas[0], k) - shown).mean())
    upright = [np.rot90(y, k).astype(np.int16) for y in lumas]
    rois = (Roi("a", 10, 20, 100, 150), Roi("b", 140, 250, 60, 60))
    _, values = motion_energy(path, rois, 10)
    for t in range(1, len(lumas)):
        for j, r in enumerate(rois):
            diff = upright[t] - upright[t - 1]
            box = diff[r.y : r.y + r.h, r.x : r.x + r.w]
            assert values[t, j] == np.count_nonzero(np.abs(box) > 10) / (r.w * r.h)


def test_chunks_from_keyframes_stitch_exactly(video):
    index = build_index(video)
    bounds = chunk_bounds(index, 0.3)
    assert len(bounds) >= 3 and bounds[0][0] == 0 and bounds[-1][1] == FRAMES
    assert all(a == index.gop_start(a) for a, _ in bounds)  # each starts on a keyframe
    chunks = [motion_chunk(video, index, ROIS, 10, a, b) for a, b in bounds]
    assert all(np.isnan(c.values[0]).all() for c in chunks)  # a seam: not known inside a chunk
    whole = motion_chunk(video, index, ROIS, 10).values
    np.testing.assert_array_equal(stitch(chunks, ROIS, 10), whole)
    # a chunk that is not keyframe-aligned is exact too
    odd = [motion_chunk(video, index, ROIS, 10, a, b) for a, b in ((0, 5), (5, 17), (17, FRAMES))]
    np.testing.assert_array_equal(stitch(odd, ROIS, 10), whole)


def test_a_frame_the_decoder_cannot_produce_leaves_two_values_missing(video, monkeypatch):
    import synchrony_coder.motion.energy as energy

    decoded = energy.luma_planes

    def damaged(*args):
        for i, plane in decoded(*args):
            yield i, None if i == 5 else plane

    whole = motion_energy(video, ROIS)[1]
    monkeypatch.setattr(energy, "luma_planes", damaged)
    hurt = motion_energy(video, ROIS)[1]
    assert np.isnan(hurt[[0, 5, 6]]).all()  # frame 5 has no value, nor has frame 6 (its pair)
    keep = np.setdiff1d(np.arange(FRAMES), [5, 6])
    np.testing.assert_array_equal(hurt[keep], whole[keep])


def test_rois_are_checked(video):
    assert parse_roi("infant = 1,2,3,4") == Roi("infant", 1, 2, 3, 4)
    for bad in ("infant", "infant=1,2,3", "infant=1,2,3,x", "time_s=0,0,1,1", "a=0,0,0,5"):
        with pytest.raises(RoiError):
            parse_roi(bad)
    with pytest.raises(
        RoiError, match=r"scene.mp4: ROI wide = 300,0,40,10 reaches outside the 320x240"
    ):
        motion_energy(video, [Roi("wide", 300, 0, 40, 10)])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", *args], capture_output=True, text=True
    )


def test_cli_motion_table_and_rois_from_session_toml(video, tmp_path):
    folder = tmp_path / "s07"
    folder.mkdir()
    (folder / "video.mp4").write_bytes(video.read_bytes())
    manifest = folder / "session.toml"
    manifest.write_text(
        '# dyad 7, visit 1\nsession = "d07"\n\n[[videos]]\npath = "video.mp4"  # front camera\n'
        "offset_s = 1.5\n"
    )
    done = run_cli("motion", str(folder / "video.mp4"))
    assert done.returncode == 1 and "no ROI" in done.stderr and len(done.stderr.splitlines()) == 1
    spec = find_session(folder)
    save_rois(spec, folder / "video.mp4", ROIS[:2])
    text = manifest.read_text()
    assert "# dyad 7, visit 1" in text and "# front camera" in text  # the file's own text is kept
    assert find_session(folder).videos[0].rois == ROIS[:2]
    out = tmp_path / "motion.csv"
    done = run_cli("motion", str(folder / "video.mp4"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["session", "time_s", "toggle", "mover"]
    assert (table["session"] == "d07").all() and len(table) == FRAMES
    np.testing.assert_allclose(table["time_s"], 1.5 + np.arange(FRAMES) / FPS)
    assert table.iloc[0, 2:].isna().all()
    np.testing.assert_array_equal(
        read_motion(out)[["toggle", "mover"]].to_numpy()[1:], brute_force(video, ROIS[:2], 10)[1:]
    )
    # --roi overrides what is stored; --threshold applies
    done = run_cli("motion", str(video), "--roi", "edge=200,200,100,20", "--threshold", "9")
    assert done.returncode == 0, done.stderr
    assert set(pd.read_csv(io.StringIO(done.stdout))["edge"].dropna()) == {1.0}
    done = run_cli("motion", str(video), "--roi", "edge=200,200,100")  # a usage error
    assert done.returncode == 2 and "write NAME=x,y,w,h" in done.stderr


def test_save_rois_without_manifest_and_removal(video, tmp_path):
    (tmp_path / "b.mp4").write_bytes(video.read_bytes())
    (tmp_path / "a.mp4").write_bytes(video.read_bytes())
    spec = find_session(tmp_path)
    save_rois(spec, tmp_path / "b.mp4", [Roi("infant", 0, 0, 10, 10)])
    again = find_session(tmp_path)
    assert [v.path.name for v in again.videos] == ["a.mp4", "b.mp4"]
    assert again.videos[0].rois == () and again.videos[1].rois == (Roi("infant", 0, 0, 10, 10),)
    save_rois(again, tmp_path / "b.mp4", [])
    assert find_session(tmp_path).videos[1].rois == ()


def test_mea_text_output(tmp_path):
    with_header = tmp_path / "200_01.txt"
    with_header.write_text('"pat" "th"\n1550 6948\n1317 NA\n\n1291   4115\n')
    table = read_mea_text(with_header, fps=25)
    assert list(table.columns) == ["session", "time_s", "pat", "th"]
    assert table["session"].iloc[0] == "200_01"
    assert table["time_s"].tolist() == [0.0, 0.04, 0.08]
    assert table["pat"].tolist() == [1550, 1317, 1291] and np.isnan(table["th"][1])
    plain = tmp_path / "d.txt"
    plain.write_text("1 2 3\n4 5 6\n")
    with pytest.raises(MotionFileError, match="no header line"):
        read_mea_text(plain, fps=25)
    # a name given twice sums its columns (rMEA's readMEA with s1Col = c(1, 3))
    summed = read_mea_text(plain, 30, ["infant", "caregiver", "infant"], session="d")
    assert summed["infant"].tolist() == [4, 10] and summed["caregiver"].tolist() == [2, 5]
    broken = tmp_path / "broken.txt"
    broken.write_text("1 2\n3 x\n")
    with pytest.raises(MotionFileError, match=r"broken.txt:2: caregiver: 'x' is not a number"):
        read_mea_text(broken, 25, ["infant", "caregiver"])


def test_read_motion_names_file_row_and_column(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("session,time_s,infant\ns,0.0,\ns,0.04,0.1\ns,0.04,0.2\n")
    with pytest.raises(MotionFileError, match=r"m.csv:4: time_s: does not increase"):
        read_motion(bad)
    bad.write_text("session,time_s,infant\ns,0.0,\ns,0.04,lots\n")
    with pytest.raises(MotionFileError, match=r"m.csv:3: infant: 'lots' is not a number"):
        read_motion(bad)
    bad.write_text("session,infant\ns,0.1\n")
    with pytest.raises(MotionFileError, match="no 'time_s' column"):
        read_motion(bad)


def test_dask_two_workers_equal_one_process_and_a_stopped_run_resumes(video, tmp_path):
    from distributed import Client, LocalCluster

    from synchrony_coder.motion.corpus import VideoJob, extract

    paths = [video] + [
        write_luma_video(tmp_path / f"v{seed}.mp4", scene(18, seed), fps=FPS, gop=6)
        for seed in (1, 2)
    ]
    jobs = [VideoJob(p, f"s{k}", ROIS, 10.0, offset_s=0.25 * k) for k, p in enumerate(paths)]
    alone, computed, _ = astuple(extract(jobs))
    assert computed == jobs
    parts = tmp_path / "parts"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        seen = []
        shared, computed, _ = astuple(
            extract(jobs, parts, client, chunk_s=0.3, progress=lambda *a: seen.append(a))
        )
        assert computed == jobs
        assert seen[-1][:2] == (3, 3) and seen[-1][3] > 3  # chunked: more chunks than videos
        for a, b in zip(alone, shared, strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        # a run stopped after two videos: the third is computed again, the others are read back
        (parts / jobs[1].part_name()).unlink()
        again, computed, _ = astuple(extract(jobs, parts, client, chunk_s=0.3))
        assert computed == [jobs[1]]
    resumed, computed, _ = astuple(extract(jobs, parts))
    assert computed == []
    for a, b, c in zip(alone, again, resumed, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        pd.testing.assert_frame_equal(a, c, check_exact=True)
    # another θ is another result: nothing is reused
    assert extract([VideoJob(video, "s0", ROIS, 9.0)], parts).computed != []


def astuple(done) -> tuple:
    return done.tables, done.computed, done.failed


@pytest.fixture()
def in_process_client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_a_bad_video_of_an_archive_is_skipped_and_the_others_are_measured(
    video, tmp_path, in_process_client
):
    from synchrony_coder.motion.corpus import VideoJob, extract

    archive = tmp_path / "visit 1"
    archive.mkdir()
    (archive / "empty.mp4").write_bytes(b"")
    (archive / "cut.mp4").write_bytes(video.read_bytes()[:3000])  # a copy that was stopped
    good = [video, archive / "empty.mp4", archive / "cut.mp4"]
    jobs = [VideoJob(p, f"s{k}", ROIS, 10.0) for k, p in enumerate(good)]
    for client in (None, in_process_client):
        done = extract(jobs, tmp_path / f"parts{client is None}", client, chunk_s=0.3)
        assert [j.session for j, _ in done.failed] == ["s1", "s2"]
        assert done.computed == jobs[:1] and len(done.tables) == 1
        np.testing.assert_array_equal(
            done.tables[0][[r.name for r in ROIS]].to_numpy()[1:], brute_force(video, ROIS, 10)[1:]
        )
    # the CLI: one line per bad video, the others' table written, exit 1; a rerun measures only them
    out = tmp_path / "motion.csv"
    args = [str(p) for p in good] + [
        "--roi",
        "toggle=30,30,60,60",
        "--workers",
        "0",
        "-o",
        str(out),
    ]
    done = run_cli("motion", *args)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 2 and "empty.mp4" in errors[0] and "cut.mp4" in errors[1], done.stderr
    assert "2 of 3 videos skipped" in done.stderr
    assert list(pd.read_csv(out)["session"].unique()) == ["scene"]
    done = run_cli("motion", *args)
    assert "resumed 1 video(s)" in done.stderr


def test_relative_paths_reach_workers_started_in_another_folder(
    video, tmp_path, monkeypatch, in_process_client
):
    from synchrony_coder.motion.corpus import VideoJob, extract

    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "v.mp4").write_bytes(video.read_bytes())
    monkeypatch.chdir(tmp_path)
    job = VideoJob(Path("archive/v.mp4"), "s0", ROIS, 10.0)
    monkeypatch.chdir(tmp_path / "archive")  # the workers' folder is not the client's
    done = extract([job], None, in_process_client, chunk_s=0.3)
    assert done.failed == [] and len(done.tables) == 1
    np.testing.assert_array_equal(
        done.tables[0][[r.name for r in ROIS]].to_numpy()[1:], brute_force(video, ROIS, 10)[1:]
    )
