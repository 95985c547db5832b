"""The video engine against videos made here whose frames carry their own number as a barcode.

Oracle: the number read back from the decoded pixels (``videogen.read_barcode``) and the
timestamps the test itself wrote into the file; never the engine's own index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from fractions import Fraction

import cv2
import numpy as np
import pytest

from synchrony_coder.video import SyncedVideos, VideoError, VideoSource, open_video
from synchrony_coder.video.proxy import make_proxy, playable, proxy_path
from synchrony_coder.video.source import checkpoint_losses, checkpoint_plan
from videogen import FORMATS, encoder_available, read_barcode, write_video

N = 90
TINY_CACHE_MIB = 0.3  # about 11 frames of 160x96: forces eviction and re-seeking


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    out = {}
    for name, (_, suffix, codec, *_rest) in FORMATS.items():
        if encoder_available(codec):
            out[name] = write_video(folder / f"{name}{suffix}", name, N)
    return out


@pytest.fixture(scope="module")
def vfr_pts():
    rng = np.random.default_rng(3)
    steps = rng.integers(15, 70, size=N)
    return np.concatenate([[0], np.cumsum(steps)[:-1]]) + 2500  # ms, starting late at 2.5 s


@pytest.fixture(scope="module")
def vfr_videos(tmp_path_factory, vfr_pts):
    folder = tmp_path_factory.mktemp("vfr")
    tb = Fraction(1, 1000)
    return {
        "vfr_mp4": write_video(
            folder / "vfr.mp4", "h264_bframes_mp4", N, pts=vfr_pts, time_base=tb
        ),
        "vfr_mkv": write_video(
            folder / "vfr.mkv", "h264_bframes_mkv", N, pts=vfr_pts, time_base=tb
        ),
    }


def need(videos: dict, name: str) -> None:
    """Skip a format whose encoder this PyAV build lacks (FFmpeg builds differ in HEVC, VP9...);
    H.264 is what the engine is built for, and its absence is a failure, not a skip."""
    if name not in videos:
        codec = FORMATS[name][2]
        assert codec != "libx264", "this PyAV build cannot encode H.264: the tests need it"
        pytest.skip(f"this PyAV build has no {codec} encoder to make the test video")


def check_all_orders(src: VideoSource) -> list[tuple[int, int | None]]:
    """Every frame in random order, then stepping back and forth; the mismatches found."""
    n = src.frame_count
    rng = np.random.default_rng(0)
    order = [*rng.permutation(n), *range(n - 1, -1, -1), *range(n)]
    return [(i, got) for i in order if (got := read_barcode(src.frame(int(i)))) != i]


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_frame_exact(videos, name):
    need(videos, name)
    with open_video(videos[name], cache_mib=TINY_CACHE_MIB) as src:
        assert src.frame_count == N
        assert src.fps == pytest.approx(30.0, abs=1e-6)
        assert src.duration_s == pytest.approx(3.0, abs=0.002)
        assert not src.vfr
        assert (src.width, src.height) == (160, 96)
        assert check_all_orders(src) == []
        rgb = src.frame(5)
        assert rgb.shape == (96, 160, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
        # bounded: the budget (7/8 of it for the frame cache), or the 8-frame minimum
        frame_bytes = src._store.frame_bytes
        assert src._cache.nbytes <= max(TINY_CACHE_MIB * 2**20, 8 * frame_bytes)


@pytest.mark.parametrize("name", ["h264_bframes_mp4", "hevc_mp4", "mpeg4_bframes_mp4", "vp9_webm"])
def test_random_access_gives_the_pixels_of_a_sequential_decode(videos, name):
    """Seeks skip pictures nothing refers to; what they do show must be bit-identical."""
    need(videos, name)
    with open_video(videos[name], cache_mib=64) as src:
        sequential = [src.frame(i) for i in range(N)]
    with open_video(videos[name], cache_mib=TINY_CACHE_MIB) as src:
        for i in np.random.default_rng(1).permutation(N)[:40]:
            assert np.array_equal(src.frame(int(i)), sequential[i]), i


@pytest.mark.parametrize("name", ["h264_bframes_mp4", "hevc_mp4", "mpeg4_bframes_mp4"])
def test_decoder_interrupted_while_skipping_does_not_lose_frames(videos, name):
    """A seek skips unreferenced pictures until its target; a decoder stopped on the way there
    (a newer demand) and then asked for a frame before that target must not report it missing."""
    from synchrony_coder.video.decoder import Decoder
    from synchrony_coder.video.index import build_index

    need(videos, name)
    index = build_index(videos[name])
    # seeks for `targets` in turn, each stopped at the first frame out (the keyframe at 0, GOP
    # 24); with frame threads the packet ending the skipping is fed before that frame comes out,
    # and pictures before the target skipped earlier are gone all the same (HEVC: frame 1 or 2)
    cases = [(False, (20,)), (True, (20,)), (True, (4, 1)), (True, (7, 4)), (True, (10, 5))]
    for threads, targets in cases:
        dec = Decoder(videos[name], index, threads=threads)
        try:
            for target in targets:
                first = next(iter(dec.frames(target, target + 1)))
                assert first[0] < target and first[1] is not None  # stopped after the keyframe
            got = list(dec.frames(first[0] + 1, first[0] + 6))
            assert [i for i, f in got if f is None] == [], (threads, targets)
            for i, f in got:
                if i > first[0]:
                    assert read_barcode(f.to_ndarray(format="rgb24")) == i
        finally:
            dec.close()


@pytest.mark.parametrize("name", ["vfr_mp4", "vfr_mkv"])
def test_variable_frame_rate_and_late_start(vfr_videos, vfr_pts, name):
    with open_video(vfr_videos[name], cache_mib=TINY_CACHE_MIB) as src:
        assert src.vfr
        written = (vfr_pts - vfr_pts[0]) / 1000.0
        times = np.array([src.time_of(i) for i in range(N)])
        np.testing.assert_allclose(times, written, atol=1e-9)
        # the last frame lasts as long as the file says; the encoder chose that, not the test
        assert written[-1] < src.duration_s <= written[-1] + 0.1
        assert src.fps == pytest.approx(N / src.duration_s, rel=1e-3)
        assert check_all_orders(src) == []
        # index_at against brute force on a 1 ms grid: the last frame whose time is <= t
        grid = np.arange(-50, int(written[-1] * 1000) + 200) / 1000.0
        brute = [
            max(0, max((i for i in range(N) if written[i] <= t + 1e-9), default=0)) for t in grid
        ]
        assert list(src.index_at(grid)) == brute
        assert all(src.index_at(src.time_of(i)) == i for i in range(N))


def test_prefetch_fills_both_directions_and_cache_stays_bounded(videos):
    with open_video(videos["h264_bframes_mp4"], cache_mib=0.5) as src:
        budget = 0.5 * 2**20
        src.frame(60)
        src.prefetch(60, -1)
        assert src.wait_idle(timeout=30)
        lo, hi = src._cache.window()
        # moving back: everything ahead in the window, and at least the nearer half behind, cached
        assert lo < 60 < hi
        assert all(i in src._cache for i in range(60 - (60 - lo) // 2, hi))
        assert src._cache.nbytes <= budget
        for i in range(60, 20, -1):  # stepping back is served from the cache the thread filled
            assert read_barcode(src.frame(i)) == i
        assert src._cache.nbytes <= budget


def test_preview_is_near_and_exact_frame_follows(videos):
    with open_video(videos["h264_bframes_mp4"]) as src:
        approx = read_barcode(src.preview(50))
        key = src.index.first_frame_of_seek_point(src.index.seek_point_of(50))
        assert approx is not None and key <= approx <= 50
        assert read_barcode(src.frame(50)) == 50
        assert read_barcode(src.preview(50)) == 50  # now cached


def test_concurrent_callers_get_exact_frames(videos):
    errors = []
    with open_video(
        videos["hevc_mp4"] if "hevc_mp4" in videos else videos["h264_bframes_mp4"],
        cache_mib=TINY_CACHE_MIB,
    ) as src:

        def worker(seed):
            rng = np.random.default_rng(seed)
            for i in rng.integers(0, N, 40):
                try:
                    got = read_barcode(src.frame(int(i)))
                except VideoError as exc:  # a frame said undecodable is as wrong as a wrong one
                    got = str(exc)
                if got != i:
                    errors.append((int(i), got))
            src.prefetch(int(rng.integers(0, N)), int(rng.choice([-1, 1])))

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory):
    """300 frames in one GOP: seeks deep into it are long unless a parked decoder is near."""
    return write_video(
        tmp_path_factory.mktemp("long") / "long.mp4", "h264_bframes_mp4", 300, gop=300
    )


def brute_seek_cost(starts, n: int, parked) -> int:
    """Frames decoded by seeks to every frame, each from the last checkpoint at or before it."""
    points = {int(s) for s in starts} | {q for q in parked if 0 < q < n}
    return sum(t - max(p for p in points if p <= t) for t in range(n))


def test_checkpoint_plan_against_brute_force():
    """Oracle: the seek cost summed frame by frame over every target, every place to park."""
    rng = np.random.default_rng(11)
    for _ in range(150):
        n = int(rng.integers(20, 90))
        starts = np.unique(np.concatenate([[0], rng.integers(1, n, rng.integers(0, 4))]))
        parked = [int(q) for q in rng.integers(0, n, rng.integers(0, 4))]
        playhead, min_gap = int(rng.integers(0, n)), int(rng.integers(1, 12))
        now = brute_seek_cost(starts, n, parked)
        losses = checkpoint_losses(starts, n, parked)
        assert losses == [
            brute_seek_cost(starts, n, parked[:i] + parked[i + 1 :]) - now
            for i in range(len(parked))
        ]
        for room in (True, False):
            # every option: a new decoder (room) or moving parked[i], to every frame
            options = [None] if room else list(range(len(parked)))
            best = {}
            for i in options:
                rest = parked if i is None else parked[:i] + parked[i + 1 :]
                without = brute_seek_cost(starts, n, rest)
                costs = [brute_seek_cost(starts, n, [*rest, f]) for f in range(n)]
                saving = without - min(costs)
                loss = without - now
                points = sorted({int(s) for s in starts} | {q for q in rest if 0 < q < n})
                longest = max(np.diff([*points, n]))
                if longest >= min_gap and 2 * loss < saving:
                    best[i] = (now - min(costs), costs)
            plan = checkpoint_plan(starts, n, parked, room, playhead, min_gap)
            if not best:
                assert plan is None
                continue
            frame, i = plan
            gain, costs = best[i]
            assert gain == max(g for g, _ in best.values())  # the most useful option
            assert costs[frame] == min(costs)  # parked where it saves the most


def test_seeks_continue_exactly_from_decoders_parked_while_idle(long_gop):
    with open_video(long_gop, cache_mib=2) as src:
        assert src._max_seekers >= 2 and src.cache_capacity < 100
        src.frame(0)
        assert src.wait_idle(timeout=30)
        parked = sorted(dec.position for dec in src._seekers)
        assert len(parked) == src._max_seekers and all(0 < q < 300 for q in parked), parked
        # at, just before and after each parked decoder, and at random, idle or not in between
        rng = np.random.default_rng(2)
        targets = [t for q in parked for t in (q - 1, q, q + 1, q + 7, q - 20)]
        targets += [int(i) for i in rng.integers(0, 300, 20)]
        for k, i in enumerate(targets):
            if k % 3 == 0:
                assert src.wait_idle(timeout=30)
            assert read_barcode(src.frame(i)) == i, (i, parked)


def test_decoder_continuing_far_ahead_skips_but_stays_exact(long_gop):
    """Reaching a frame far ahead without a seek skips the unreferenced pictures on the way;
    what comes after, and a later seek back before it, are still exact."""
    from synchrony_coder.video.decoder import Decoder
    from synchrony_coder.video.index import build_index

    index = build_index(long_gop)
    for threads in (False, True):
        dec = Decoder(long_gop, index, threads=threads)
        try:
            for start, stop in [(10, 11), (120, 126), (200, 201), (150, 152), (201, 215)]:
                got = list(dec.frames(start, stop))
                shown = [(i, read_barcode(f.to_ndarray(format="rgb24"))) for i, f in got
                         if start <= i < stop]  # fmt: skip
                assert shown == [(i, i) for i in range(start, stop)], (threads, start)
        finally:
            dec.close()


@pytest.fixture
def two_workers(monkeypatch):
    """A helper worker whatever the machine (it is made only with two cores or more)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def test_wait_idle_returns_while_the_helper_holds_a_frame(tmp_path, two_workers):
    """The helper waits at the window's end with its next frame in hand: that is idle."""
    path = write_video(tmp_path / "gop60.mp4", "h264_bframes_mp4", 300, gop=60)
    with open_video(path, cache_mib=2) as src:
        assert src._n_workers == 2
        for start in (40, 100, 160):  # the window ends inside the next GOP, the helper's
            assert read_barcode(src.frame(start)) == start
            assert src.wait_idle(timeout=10)


def test_an_idle_source_does_not_spin(videos, two_workers):
    """Two idle workers must not wake each other up over and over (a paused app used a core)."""
    with open_video(videos["h264_bframes_mp4"]) as src:  # the whole file fits in the cache
        assert src._n_workers == 2
        src.frame(45)
        assert src.wait_idle(timeout=30)
        plans, plan = [], src._plan
        src._plan = lambda worker=0: plans.append(worker) or plan(worker)
        time.sleep(1.0)
        # each idle worker looks again every 0.5 s (~4 in all); spinning, they did thousands
        assert len(plans) < 20, len(plans)


def test_synced_videos_follow_offsets(videos):
    a = open_video(videos["h264_bframes_mp4"])
    b = open_video(videos["vp9_webm"] if "vp9_webm" in videos else videos["mjpeg_avi"])
    with SyncedVideos([(a, 0.0), (b, 0.5)]) as synced:
        # the second video's first frame is at session time 0.5 s
        assert synced.start_s == 0.0 and synced.end_s == pytest.approx(3.5)
        for t in [-0.1, 0.0, 0.2, 0.5, 0.51, 1.234, 2.4, 2.99, 3.0, 3.4, 3.6]:
            # oracle: 30 fps from 0, so the frame shown at local time u is floor(u * 30)
            want = [int(np.floor(round(u * 30, 6))) if 0 <= u < 3.0 else None for u in (t, t - 0.5)]
            got = [None if f is None else read_barcode(f) for f in synced.frames_at(t)]
            assert got == want, t
            assert synced.indices_at(t) == want


def test_bad_inputs_raise_one_line_video_errors(tmp_path, videos):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    with pytest.raises(VideoError) as err:
        open_video(text)
    # FFmpeg's reason in its words, without its errno and a second copy of the path
    assert str(err.value) == (
        f"{text}: not a readable video file (invalid data found when processing input)"
    )
    with pytest.raises(VideoError, match="no such file"):
        open_video(tmp_path / "missing.mp4")
    with pytest.raises(VideoError, match="folder"):
        open_video(tmp_path)
    data = videos["h264_bframes_mkv"].read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 6 // 10])
    with open_video(cut) as src:  # opens with what is there, and says what is not
        assert src.index.truncated and 0 < src.frame_count < N
        # Matroska has no frame count: estimated from the duration its header declares
        assert abs(src.missing_frames - (N - src.frame_count)) <= 1
        (problem,) = src.problems()
        assert "truncated" in problem and "\n" not in problem
        assert read_barcode(src.frame(src.frame_count // 2)) == src.frame_count // 2
    with open_video(videos["mjpeg_avi"]) as src, pytest.raises(IndexError):
        src.frame(N)


def test_progress_reports_completion(videos):
    calls = []
    with VideoSource(videos["h264_bframes_mp4"], progress=lambda d, t: calls.append((d, t))):
        pass
    assert calls and calls[-1] == (N, N)


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", *args], capture_output=True, text=True
    )


def test_cli_probe_and_frame(tmp_path, vfr_videos, vfr_pts):
    path = vfr_videos["vfr_mp4"]
    done = run_cli("probe", str(path))
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert facts["frame_count"] == N and facts["vfr"] is True and facts["codec"] == "h264"
    assert (facts["width"], facts["height"]) == (160, 96)
    last = (vfr_pts[-1] - vfr_pts[0]) / 1000
    assert last < facts["duration_s"] <= last + 0.1
    out = tmp_path / "f.png"
    done = run_cli("frame", str(path), "41", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert read_barcode(cv2.imread(str(out))[:, :, ::-1]) == 41


@pytest.mark.parametrize("kind", ["text", "truncated", "missing", "out_of_range"])
def test_cli_errors_are_one_line_exit_1(tmp_path, videos, kind):
    path = tmp_path / "in.mkv"
    index = "0"
    if kind == "text":
        path.write_text("hello\n")
    elif kind == "truncated":  # opens with what is there; asking beyond it is the error
        data = videos["h264_bframes_mkv"].read_bytes()
        path.write_bytes(data[: len(data) // 2])
        index = str(N - 1)
    elif kind == "out_of_range":
        path.write_bytes(videos["h264_bframes_mkv"].read_bytes())
        index = str(N)
    for args in (["probe", str(path)], ["frame", str(path), index, "-o", str(tmp_path / "o.png")]):
        if kind in ("out_of_range", "truncated") and args[0] == "probe":
            continue
        done = run_cli(*args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in done.stderr
    if kind == "truncated":  # probe reports it, with one warning line
        done = run_cli("probe", str(path))
        assert done.returncode == 0 and json.loads(done.stdout)["missing_frames"] > 0
        assert done.stderr.count("\n") == 1 and "truncated" in done.stderr


def test_proxy_has_every_frame_at_its_time_and_short_gops(tmp_path, videos, vfr_videos, vfr_pts):
    """Oracles: the barcode in each frame's pixels and the timestamps the test wrote."""
    cases = [
        (videos["h264_bframes_mp4"], np.arange(N) * 1000 // 30),
        (vfr_videos["vfr_mkv"], vfr_pts - vfr_pts[0]),
    ]
    for k, (path, times_ms) in enumerate(cases):
        done: list[int] = []
        out = make_proxy(
            path, tmp_path / f"p{k}.mp4", gop=5, progress=lambda d, _, seen=done: seen.append(d)
        )
        assert done[-1] == N
        with VideoSource(out) as proxy:
            assert proxy.frame_count == N
            np.testing.assert_allclose(proxy.index.times_ms, times_ms, atol=1)
            assert all(read_barcode(proxy.frame(i)) == i for i in rng_order(N))
            starts = [
                proxy.index.first_frame_of_seek_point(j) for j in range(len(proxy.index.seek_pts))
            ]
            assert starts[0] == 0 and max(np.diff(starts + [N])) <= 5
            assert proxy.index.keyframe_interval_s <= 5 * proxy.duration_s / N + 1e-9


def rng_order(n: int) -> list[int]:
    return list(np.random.default_rng(1).permutation(n))


def test_proxy_is_played_in_place_of_an_older_video(tmp_path, videos):
    import os

    video = tmp_path / "cam.mp4"
    video.write_bytes(videos["h264_bframes_mp4"].read_bytes())
    assert playable(video) == video
    proxy = make_proxy(video, gop=10)
    assert proxy == proxy_path(video) == tmp_path / "cam.proxy.mp4"
    assert playable(video) == proxy and playable(proxy) == proxy
    later = proxy.stat().st_mtime + 10
    os.utime(video, (later, later))  # the video was replaced after the proxy was made
    assert playable(video) == video


def test_a_proxy_is_never_played_for_another_video_of_the_same_name(tmp_path, videos):
    """A camcorder's clip.mts and a phone's clip.mp4 share the proxy name clip.proxy.mp4: the
    proxy made from one is not played in the other's place, nor overwritten by the other's."""
    mts, mp4 = tmp_path / "clip.mts", tmp_path / "clip.mp4"
    mts.write_bytes(videos["h264_bframes_mkv"].read_bytes())
    mp4.write_bytes(videos["h264_bframes_mp4"].read_bytes())
    proxy = make_proxy(mts, gop=10)
    assert playable(mts) == proxy and playable(mp4) == mp4
    with pytest.raises(VideoError, match="is the proxy of clip.mts"):
        make_proxy(mp4, gop=10)
    assert playable(mts) == proxy  # (still the camcorder's)
    assert make_proxy(mts, gop=10) == proxy  # made again from the same video: replaced


@pytest.mark.parametrize("container,audio_codec", [("mp4", "aac"), ("matroska", "pcm_s16le")])
def test_proxy_keeps_the_audio(tmp_path, container, audio_codec):
    import av

    path = tmp_path / ("a.mp4" if container == "mp4" else "a.mkv")
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = 160, 96, "yuv420p"
        audio = out.add_stream(audio_codec, rate=48000)
        audio.layout = "mono"
        tone = (np.sin(np.arange(48000 * 2) * 2 * np.pi * 440 / 48000) * 8000).astype(np.int16)
        for i in range(60):
            frame = av.VideoFrame.from_ndarray(barcode_rgb(i), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for start in range(0, len(tone), 1024):
            chunk = av.AudioFrame.from_ndarray(
                tone[None, start : start + 1024], format="s16", layout="mono"
            )
            chunk.sample_rate, chunk.pts = 48000, start
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))
    proxy = make_proxy(path, gop=10)
    with av.open(str(proxy)) as c:
        (stream,) = c.streams.audio
        seconds = sum(f.samples for f in c.decode(stream)) / stream.rate
    assert abs(seconds - 2.0) < 0.1
    with VideoSource(proxy) as src:
        assert src.frame_count == 60 and read_barcode(src.frame(37)) == 37


def barcode_rgb(i: int) -> np.ndarray:
    from videogen import barcode_image

    return barcode_image(i)


def test_cli_proxy(tmp_path, videos):
    out = tmp_path / "edit.mp4"
    done = run_cli("proxy", str(videos["h264_bframes_mkv"]), "-o", str(out), "--gop", "6")
    assert done.returncode == 0, done.stderr
    with VideoSource(out) as src:
        assert src.frame_count == N and read_barcode(src.frame(N - 1)) == N - 1
    bad = tmp_path / "x.mp4"
    bad.write_text("not a video\n")
    done = run_cli("proxy", str(bad))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and str(bad) in lines[0]
    assert not proxy_path(bad).exists()
