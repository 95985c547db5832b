"""Regions of interest without Qt: the pure edits, the motion cache beside a video, two cameras.

Oracles: the manifest read back by ``find_session`` (the validating reader); the motion library's
own one-pass :func:`motion_energy` (itself tested against a brute force in test_motion); loops
written from the definitions (nearest frame within half a frame; per pixel column max/mean).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from faultfs import faults
from synchrony_coder.motion import Roi, RoiError, motion_energy
from synchrony_coder.motion import cache as motion_cache
from synchrony_coder.motion.cache import cache_path, video_motion
from synchrony_coder.movement import MovementError
from synchrony_coder.movement.cameras import dyad_motion
from synchrony_coder.session import find_session
from synchrony_coder.session.rois import (
    add_roi,
    apply_roi_change,
    move_roi,
    remove_roi,
    rename_roi,
)
from synchrony_coder.storage import WriteError

sys.path.insert(0, str(Path(__file__).parent))
from videogen import write_luma_video  # noqa: E402

FPS = 25


def moving_frames(n: int = 60, seed: int = 3) -> list[np.ndarray]:
    """320x240 luma frames with random blocks changing here and there (known only by decoding)."""
    rng = np.random.default_rng(seed)
    frame = np.full((240, 320), 120, np.uint8)
    frames = []
    for _ in range(n):
        frame = frame.copy()
        for _ in range(3):
            x, y = rng.integers(0, 300), rng.integers(0, 220)
            frame[y : y + 20, x : x + 20] = rng.integers(0, 255)
        frames.append(frame)
    return frames


@pytest.fixture(scope="module")
def luma_video(tmp_path_factory) -> Path:
    return write_luma_video(tmp_path_factory.mktemp("lv") / "cam.mp4", moving_frames(), fps=FPS)


@pytest.fixture
def folder(tmp_path, luma_video) -> Path:
    d = tmp_path / "s09"
    d.mkdir()
    (d / "cam.mp4").write_bytes(luma_video.read_bytes())
    (d / "session.toml").write_text(
        '# a comment kept\nsession = "s09"\n[[videos]]\npath = "cam.mp4"\nview = "dyad"\n'
    )
    return d


def test_region_edits_are_pure_undoable_and_land_in_the_manifest(folder):
    spec = find_session(folder)
    video = folder / "cam.mp4"
    change = add_roi(spec, video, Roi("infant", 10, 20, 100, 80), (320, 240))
    assert find_session(folder).videos[0].rois == ()  # nothing written by the operation
    spec = apply_roi_change(spec, change)
    assert find_session(folder).videos[0].rois == (Roi("infant", 10, 20, 100, 80),)
    assert "# a comment kept" in (folder / "session.toml").read_text()
    spec = apply_roi_change(spec, add_roi(spec, video, Roi("caregiver", 150, 20, 100, 80)))
    moved = move_roi(spec, video, "infant", (12, 22, 90, 70), (320, 240))
    spec = apply_roi_change(spec, moved)
    spec = apply_roi_change(spec, rename_roi(spec, video, "caregiver", "mother"))
    want = (Roi("infant", 12, 22, 90, 70), Roi("mother", 150, 20, 100, 80))
    assert find_session(folder).videos[0].rois == want == spec.videos[0].rois
    spec = apply_roi_change(spec, remove_roi(spec, video, "infant"))
    assert find_session(folder).videos[0].rois == (Roi("mother", 150, 20, 100, 80),)
    spec = apply_roi_change(spec, moved.inverse())  # undo writes the regions as they were
    assert find_session(folder).videos[0].rois == (
        Roi("infant", 10, 20, 100, 80),
        Roi("caregiver", 150, 20, 100, 80),
    )


def test_region_edits_refuse_what_would_be_wrong(folder):
    spec = find_session(folder)
    video = folder / "cam.mp4"
    spec = apply_roi_change(spec, add_roi(spec, video, Roi("infant", 0, 0, 10, 10)))
    with pytest.raises(RoiError, match="has a region named infant already"):
        add_roi(spec, video, Roi("infant", 5, 5, 10, 10))
    with pytest.raises(RoiError, match="reaches outside the 320x240 frame"):
        add_roi(spec, video, Roi("caregiver", 300, 0, 30, 10), (320, 240))
    with pytest.raises(RoiError, match="no region named caregiver"):
        move_roi(spec, video, "caregiver", (0, 0, 5, 5))
    with pytest.raises(RoiError, match="use letters"):
        rename_roi(spec, video, "infant", "2 infants")
    with pytest.raises(Exception, match="not a video of session s09"):
        add_roi(spec, folder / "other.mp4", Roi("infant", 0, 0, 5, 5))


def test_the_manifest_is_written_through_the_storage_seam(folder):
    spec = find_session(folder)
    before = (folder / "session.toml").read_bytes()
    change = add_roi(spec, folder / "cam.mp4", Roi("infant", 0, 0, 10, 10))
    with faults(under=folder, at=0, fault="ENOSPC") as ops, pytest.raises(WriteError):
        apply_roi_change(spec, change)
    assert ops.calls and (folder / "session.toml").read_bytes() == before
    assert [p for p in os.listdir(folder) if p.endswith(".tmp")] == []


def test_cached_motion_equals_the_library_and_reuses_what_it_can(folder, monkeypatch):
    video = folder / "cam.mp4"
    rois = (Roi("infant", 0, 0, 160, 240), Roi("caregiver", 160, 0, 160, 240))
    progress = []
    monkeypatch.setattr(motion_cache, "CHUNK_S", 0.5)  # several chunks: seams are stitched
    motion, note = video_motion(video, rois, 10.0, progress=lambda d, t: progress.append((d, t)))
    index, want = motion_energy(video, rois, 10.0)  # the oracle: one pass of the library
    np.testing.assert_array_equal(motion.values, want)
    np.testing.assert_array_equal(motion.times_ms, index.times_ms)
    assert note == "" and cache_path(video).exists()
    assert len(progress) > 2 and progress[-1] == (index.frame_count, index.frame_count)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)

    measured = []
    real = motion_cache.motion_chunk

    def spy(path, index, rois, *args):
        measured.append(tuple((r.x, r.y, r.w, r.h) for r in rois))
        return real(path, index, rois, *args)

    monkeypatch.setattr(motion_cache, "motion_chunk", spy)
    renamed = (Roi("baby", 0, 0, 160, 240), rois[1])
    again, _ = video_motion(video, renamed, 10.0)
    assert measured == [] and np.array_equal(again.values, want, equal_nan=True)
    moved = (Roi("infant", 8, 8, 100, 100), rois[1])
    third, _ = video_motion(video, moved, 10.0)
    assert set(measured) == {((8, 8, 100, 100),)}  # only the moved region is measured
    np.testing.assert_array_equal(third.values[:, 0], motion_energy(video, moved[:1])[1][:, 0])
    measured.clear()
    video_motion(video, rois, 10.0)  # undoing the move: the old rectangle is still cached
    assert measured == []
    video_motion(video, rois, 12.0)  # another threshold is measured again
    assert measured
    measured.clear()
    os.utime(video, ns=(1, 1))  # the video changed on disk
    video_motion(video, rois, 12.0)
    assert measured


def test_cancelled_measuring_returns_nothing_and_caches_nothing(folder, monkeypatch):
    monkeypatch.setattr(motion_cache, "CHUNK_S", 0.3)
    calls = []
    result = video_motion(
        folder / "cam.mp4",
        (Roi("infant", 0, 0, 50, 50),),
        10.0,
        progress=lambda d, t: calls.append(d),
        cancelled=lambda: len(calls) >= 1,
    )
    assert result is None and len(calls) == 1 and not cache_path(folder / "cam.mp4").exists()


def test_a_cache_that_cannot_be_written_says_so_and_keeps_the_values(folder):
    rois = (Roi("infant", 0, 0, 50, 50),)
    with faults(under=folder, at=0, fault="EACCES", sticky=True):
        motion, note = video_motion(folder / "cam.mp4", rois, 10.0)
    assert "not cached" in note and "cam.motion.npz" in note
    np.testing.assert_array_equal(motion.values, motion_energy(folder / "cam.mp4", rois)[1])


def test_two_cameras_are_paired_by_the_nearest_frame_within_half_a_frame():
    rng = np.random.default_rng(5)
    t_inf = np.round(np.arange(100) / 25, 3)
    t_car = np.round(0.512 + np.arange(90) / 25, 3)  # started 0.512 s late, stops earlier
    v_inf, v_car = rng.random(100), rng.random(90)
    table = dyad_motion("s1", (t_inf, v_inf), (t_car, v_car))
    want = []
    for t in t_inf:  # the definition, frame by frame
        k = int(np.argmin(np.abs(t_car - t)))
        want.append(v_car[k] if abs(t_car[k] - t) <= 0.02 + 5e-4 else np.nan)
    np.testing.assert_array_equal(table["caregiver"].to_numpy(), np.array(want))
    np.testing.assert_array_equal(table["infant"].to_numpy(), v_inf)
    assert np.isnan(want[:12]).all() and not np.isnan(want[13:90]).any()
    same = dyad_motion("s1", (t_inf, v_inf), (t_inf, v_inf[::-1]))
    np.testing.assert_array_equal(same["caregiver"].to_numpy(), v_inf[::-1])
    with pytest.raises(MovementError, match="same frame rate"):
        dyad_motion("s1", (t_inf, v_inf), (np.arange(90) / 30, v_car))


def test_motion_track_column_summary_is_the_max_and_mean_of_each_pixel_column():
    from synchrony_coder.gui.tracks import column_summary

    rng = np.random.default_rng(2)
    x = np.sort(rng.random(500) * 40 + 100)
    values = rng.random(500)
    values[rng.random(500) < 0.2] = np.nan
    values[(x >= 120) & (x < 121)] = np.nan  # a column with no value
    cols, top, mean = column_summary(x, values)
    want = sorted(set(np.floor(x).astype(int)))
    assert cols.tolist() == want
    for c, t, m in zip(cols, top, mean, strict=True):
        here = values[np.floor(x) == c]
        here = here[~np.isnan(here)]
        if len(here):
            assert t == here.max() and m == pytest.approx(here.mean(), rel=1e-12)
        else:
            assert np.isnan(t) and np.isnan(m)
