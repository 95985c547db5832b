"""Every kind of file a lab's cameras and editors make, opened exactly (issue 19).

Each file is made from a lossless master of barcode frames with the ``ffmpeg`` command, the way
an editor or a camera makes it (cut without re-encoding, transport and program streams,
interlaced, rotated, AV1, odd sizes, NTSC rates). Oracles, none of them the engine itself:

- the ``ffmpeg`` command: how many frames ``ffmpeg -i FILE -f framemd5 -`` lists (the frame
  count players agree on), and its own decode of every frame, upright (its autorotation): the
  frame number read from each of its frames, and its pixels;
- the test's construction: the rotation it wrote, the sample aspect ratio it set, and for
  interlaced files the number carried by the field shown first (the other field carries another
  number, so a frame that is not deinterlaced reads as neither).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction

import cv2
import numpy as np
import pytest

from synchrony_coder.video import VideoError, open_video
from synchrony_coder.video.archive import probe_files
from synchrony_coder.video.decoder import Decoder
from synchrony_coder.video.display import luma
from videogen import (
    CAMERA_KINDS,
    ffmpeg,
    ffmpeg_frame_count,
    ffmpeg_frames,
    make_camera_file,
    read_barcode,
    write_video,
)

TINY_CACHE_MIB = 1.0  # about 9 frames of 320x240: every order below seeks again and again


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("cameras")


@pytest.fixture(scope="module")
def made(folder):
    """The camera files, each made once when a test first asks for it."""
    cache = {}

    def get(kind):
        if kind not in cache:
            cache[kind] = make_camera_file(kind, folder)
        return cache[kind]

    return get


def number(rgb: np.ndarray, turn: int) -> int | None:
    """The barcode of an upright frame, read after turning it back as it was coded."""
    return read_barcode(np.rot90(rgb, -turn // 90))


def combing(rgb: np.ndarray) -> float:
    """Mean grey difference between neighbouring lines: large for woven fields of two pictures."""
    return float(np.abs(np.diff(rgb.mean(axis=2), axis=0)).mean())


def orders(n: int) -> list[int]:
    """Every frame in random order, then backwards, then forwards: first and last included."""
    return [*np.random.default_rng(0).permutation(n).tolist(), *range(n - 1, -1, -1), *range(n)]


@pytest.mark.parametrize("kind", CAMERA_KINDS)
def test_every_frame_of_every_kind_is_exact_and_upright(made, kind):
    cam = made(kind)
    reference = ffmpeg_frames(cam.path)
    n = ffmpeg_frame_count(cam.path)
    assert len(reference) == n
    if cam.fields:  # ffmpeg shows the woven fields (combs); the first field's number is i
        want = list(range(n))
        assert min(combing(f) for f in reference) > 20
    else:
        want = [number(f, cam.turn) for f in reference]
        assert None not in want
    with open_video(cam.path, cache_mib=TINY_CACHE_MIB) as src:
        assert src.frame_count == n
        assert (src.height, src.width) == reference.shape[1:3]
        wrong = []
        for i in orders(n):
            rgb = src.frame(i)
            if number(rgb, cam.turn) != want[i]:
                wrong.append((i, want[i], number(rgb, cam.turn)))
            elif cam.fields:  # deinterlaced: no combs
                assert combing(rgb) < 4, i
            else:  # the same picture as ffmpeg's (colour conversion rounding)
                assert np.abs(rgb.astype(np.int16) - reference[i]).mean() < 1.5, i
        assert wrong == []


def test_frames_hidden_by_an_edit_list_are_not_counted(made):
    """Cut at 1.1 s without re-encoding: the file keeps frames 24..32 to decode from its
    keyframe at 0.8 s, and the edit list hides them; frame 0 is the master's frame 33."""
    for kind in ("edit_list_mp4", "edit_list_both_ends_mp4"):
        cam = made(kind)
        with open_video(cam.path) as src:
            assert src.index.hidden_frames == 9 and not src.index.truncated
            assert read_barcode(src.frame(0)) == 33 and src.time_of(0) == 0.0


@pytest.mark.parametrize("kind", ["avchd_interlaced_m2ts", "dvd_interlaced_vob"])
def test_interlaced_frames_are_deinterlaced_one_per_coded_frame(made, kind):
    cam = made(kind)
    with open_video(cam.path) as src:
        assert src.display.interlaced
        assert src.display.field_order == ("top first" if cam.fields == "tff" else "bottom first")
        rgb = src.frame(45)
        assert combing(rgb) < 4 and read_barcode(rgb) == 45
        # the same pixels whichever way the frame is reached (deinterlaced on its own)
        first_look = rgb
    with open_video(cam.path, cache_mib=TINY_CACHE_MIB) as src:
        for i in (44, 46, 80, 10):
            src.frame(i)
        assert np.array_equal(src.frame(45), first_look)


@pytest.mark.parametrize("kind", ["phone_rotated_mp4", "upside_down_mp4", "avchd_interlaced_m2ts"])
def test_luma_is_the_shown_picture_of_each_decoded_frame(made, kind):
    """``display.luma`` of frames from ``Decoder.frames`` (as motion energy reads them):
    upright, deinterlaced; oracle: the number, and the grey of the shown RGB frame."""
    cam = made(kind)
    with open_video(cam.path) as src:
        shown = [src.frame(i) for i in (0, 31, src.frame_count - 1)]
        index = src.index
    got = {}
    dec = Decoder(cam.path, index)
    try:
        for i, frame in dec.frames(0, index.frame_count):
            got[i] = luma(frame)
    finally:
        dec.close()
    assert sorted(got) == list(range(index.frame_count))
    for i, rgb in zip((0, 31, index.frame_count - 1), shown, strict=True):
        y = got[i]
        assert y.dtype == np.uint8 and y.shape == rgb.shape[:2] and y.flags.c_contiguous
        assert number(np.dstack([y] * 3), cam.turn) == i
        # BT.601 limited range: Y = 16 + 219 * grey / 255 (within colour rounding)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float64)
        assert np.abs(y - (16 + grey * 219 / 255)).mean() < 2.0


def test_luma_of_10_bit_video_is_scaled_to_8_bits(made):
    """Oracle: the Y plane of ffmpeg's own decode of the first frame, divided by 4."""
    cam = made("hevc10_mov_audio_first")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(cam.path), "-map", "0:v:0", "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    want = (np.frombuffer(raw, np.uint16)[: 240 * 320].reshape(240, 320) >> 2).astype(np.uint8)
    with open_video(cam.path) as src:
        dec = Decoder(cam.path, src.index)
        try:
            _, frame = next(iter(dec.frames(0, 1)))
            assert frame.format.name == "yuv420p10le"
            assert np.array_equal(luma(frame), want)
        finally:
            dec.close()


def test_probe_reports_what_a_player_shows(made):
    """Displayed size and rotation, interlacing and field order, pixel aspect, hidden frames;
    oracle: what the test wrote (and ffmpeg's frame count)."""
    cams = {k: made(k) for k in ("phone_rotated_mp4", "dvd_interlaced_vob",
                                 "non_square_pixels_mp4", "edit_list_mp4", "ntsc_2997_mp4")}  # fmt: skip
    table = probe_files([c.path for c in cams.values()]).set_index("path")
    row = table.loc[str(cams["phone_rotated_mp4"].path)]
    assert (row.width, row.height, row.rotation) == (240, 320, 270)
    assert "rotated 270°" in row.unusual
    row = table.loc[str(cams["dvd_interlaced_vob"].path)]
    assert row.interlaced and row.field_order == "bottom first" and "interlaced" in row.unusual
    row = table.loc[str(cams["non_square_pixels_mp4"].path)]
    assert row.pixel_aspect == "64:45" and "non-square" in row.unusual
    row = table.loc[str(cams["edit_list_mp4"].path)]
    assert row.hidden_frames == 9 and row.frame_count == ffmpeg_frame_count(
        cams["edit_list_mp4"].path
    )
    row = table.loc[str(cams["ntsc_2997_mp4"].path)]
    assert row.fps == pytest.approx(30000 / 1001, abs=1e-6) and row.unusual == ""
    assert (table.error == "").all() and not table.proxy_advised.any()


def test_ntsc_rates_keep_every_frame_time(made):
    """Frame i of a 29.97 or 59.94 fps file is at i * 1001 / 30000 (or 60000) s, to the ms."""
    for kind in ("ntsc_2997_mp4", "ntsc_5994_mp4"):
        cam = made(kind)
        with open_video(cam.path) as src:
            i = np.arange(src.frame_count)
            # (to the millisecond, halves up: frame 15 at 29.97 fps is 500.5 ms, shown 0.501)
            want = np.array([math.floor(k * 1000 / cam.fps + Fraction(1, 2)) / 1000 for k in i])
            np.testing.assert_allclose([src.time_of(k) for k in i], want.astype(float), atol=1e-9)
            assert all(src.index_at(src.time_of(k)) == k for k in i)


def test_proxy_of_a_rotated_interlaced_or_trimmed_file_is_what_the_app_shows(made, tmp_path):
    from synchrony_coder.video.proxy import make_proxy

    for kind in ("phone_rotated_mp4", "avchd_interlaced_m2ts", "edit_list_mp4"):
        cam = made(kind)
        proxy = make_proxy(cam.path, tmp_path / f"{kind}.proxy.mp4", gop=6)
        with open_video(cam.path) as src, open_video(proxy) as copy:
            assert copy.display.rotation == 0 and not copy.display.interlaced
            assert (copy.width, copy.height) == (src.width, src.height)
            assert copy.frame_count == src.frame_count
            for i in (0, 17, src.frame_count - 1):
                assert number(copy.frame(i), cam.turn) == number(src.frame(i), cam.turn)


def test_coding_proxy_of_a_tall_video_is_scaled_down(tmp_path):
    from synchrony_coder.video.proxy import make_proxy

    path = write_video(tmp_path / "tall.mp4", "h264_bframes_mp4", 20, width=320, height=240)
    proxy = make_proxy(path, tmp_path / "small.mp4", gop=5, max_height=120)
    with open_video(proxy) as copy:
        assert (copy.width, copy.height) == (160, 120)
        assert [read_barcode(copy.frame(i)) for i in range(20)] == list(range(20))


def test_a_truncated_file_opens_with_the_frames_it_has(tmp_path):
    """A recording cut off: the header announces 90 frames; oracle for what is there: the
    frames ffmpeg decodes from the cut file."""
    whole = write_video(tmp_path / "whole.mp4", "h264_bframes_mp4", 90, width=320, height=240)
    faststart = tmp_path / "faststart.mp4"
    ffmpeg("-i", whole, "-c", "copy", "-movflags", "+faststart", faststart)
    data = faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    there = ffmpeg_frame_count(cut)
    assert 0 < there < 90
    with open_video(cut, cache_mib=TINY_CACHE_MIB) as src:
        assert src.index.truncated and src.missing_frames == 90 - src.frame_count
        assert abs(src.frame_count - there) <= 1  # (ffmpeg may still decode a damaged tail)
        assert "missing" in src.problems()[0]
        for i in (0, src.frame_count // 2, src.frame_count - 2):
            assert read_barcode(src.frame(i)) == i


def test_undecodable_codec_is_one_line_naming_it(tmp_path):
    path = tmp_path / "c64.mkv"
    whole = write_video(tmp_path / "w.mp4", "h264_bframes_mp4", 10, width=320, height=200)
    ffmpeg("-i", whole, "-c:v", "a64multi", path)
    with pytest.raises(VideoError) as info:
        open_video(path)
    text = str(info.value)
    assert "\n" not in text and str(path) in text
    assert "cannot be decoded" in text and "synchrony-coder proxy" in text
    table = probe_files([path])
    assert table.error[0] == info.value.message and pd_isna(table.frame_count[0])


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", *args], capture_output=True, text=True
    )


def test_cli_probe_all_is_one_row_per_file_and_frame_is_upright(made, folder, tmp_path):
    import io

    import pandas as pd

    cam = made("phone_rotated_mp4")
    made("edit_list_mp4")
    (folder / "notes.txt").write_text("not a video\n")
    done = run_cli("probe", "--all", str(folder))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(io.StringIO(done.stdout))
    assert str(cam.path) in set(table.path) and not table.path.str.endswith(".txt").any()
    assert table.path.is_unique and (table.error.isna() | (table.error == "")).all()
    out = tmp_path / "f.png"
    done = run_cli("frame", str(cam.path), "41", "-o", str(out))
    assert done.returncode == 0, done.stderr
    rgb = cv2.imread(str(out))[:, :, ::-1]
    assert rgb.shape[:2] == (320, 240) and number(rgb, cam.turn) == 41
    done = run_cli("probe", str(cam.path))
    facts = json.loads(done.stdout)
    assert (facts["width"], facts["height"], facts["rotation"]) == (240, 320, 270)
    assert Fraction(facts["pixel_aspect"].replace(":", "/")) == 1
