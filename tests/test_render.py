"""The synthetic video renderer: frame states, the barcode, what frames show, the encoded file.

Oracles: a per-frame brute-force loop over the events (states), known hand-made events (what a frame
must show), PyAV's decoder (frame count, barcode read-back, GOP structure).
"""

from __future__ import annotations

import av
import numpy as np
import pandas as pd
import pytest

from synchrony_coder.render import (
    RenderError,
    frame_states,
    read_frame_barcode,
    render_frames,
    render_session,
)
from synchrony_coder.render.barcode import barcode_box, draw_frame_barcode
from synchrony_coder.render.cartoon import TEAR
from synchrony_coder.render.scene import Scene
from synchrony_coder.render.states import GESTURE_S
from synchrony_coder.scheme import load_scheme
from synchrony_coder.simulate import SessionParams, simulate_session

FPS = 30
SIZE = (320, 180)


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


def _ev(rows):
    df = pd.DataFrame(rows, columns=["tier", "code", "onset_s", "offset_s"])
    df.insert(0, "coder", "t")
    df.insert(0, "session", "x")
    return df


@pytest.fixture(scope="module")
def events():
    """3 s: infant positive then negative then object, caregiver still-face from 1.0 to 2.5 s."""
    return _ev(
        [
            ("infant_engagement", "positive", 0.0, 1.0),
            ("infant_engagement", "negative", 1.0, 2.0),
            ("infant_engagement", "object", 2.0, 3.0),
            ("caregiver_engagement", "positive", 0.0, 1.0),
            ("caregiver_engagement", "monitor", 1.0, 3.0),
            ("phase", "play", 0.0, 1.0),
            ("phase", "still_face", 1.0, 2.5),
            ("phase", "reunion", 2.5, 3.0),
            ("infant_bid", "reach", 0.5, np.nan),
            ("caregiver_response", "touch", 2.6, np.nan),
        ]
    )


@pytest.fixture(scope="module")
def raw(events, scheme):
    return list(render_frames(events, fps=FPS, size=SIZE, scheme=scheme))


@pytest.fixture(scope="module")
def video(events, scheme, tmp_path_factory):
    path = tmp_path_factory.mktemp("render") / "x.mp4"
    seen = []
    out = render_session(
        events, path, fps=FPS, size=SIZE, scheme=scheme, progress=lambda d, t: seen.append((d, t))
    )
    assert out == path and seen[-1] == (90, 90)
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        meta = (stream.codec_context.name, stream.codec_context.pix_fmt, stream.average_rate)
        keyframes = [p.is_keyframe for p in c.demux(stream) if p.size]
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return frames, meta, keyframes


# -- states --------------------------------------------------------------------------------------
def test_frame_states_match_a_per_frame_brute_force(scheme):
    truth = simulate_session(SessionParams(phases=(("play", 6.0), ("still_face", 4.0))), seed=3)
    for offset in (0.0, 0.5):
        n = int((10.0 - offset) * FPS)
        st = frame_states(truth, scheme, n, FPS, offset)
        for k in range(n):
            t = round(offset * 1000) + round(k * 1000 / FPS)  # the frame's time in ms
            for tier, got in (("infant_engagement", st.infant), ("phase", st.phase)):
                ev = truth[truth["tier"] == tier]
                cover = ev[(np.round(ev.onset_s * 1000) <= t) & (t < np.round(ev.offset_s * 1000))]
                assert got[k] == (cover["code"].iloc[0] if len(cover) else ""), (tier, k)
            bids = truth[truth["tier"] == "infant_bid"]
            ms = np.round(bids.onset_s.to_numpy() * 1000)
            recent = np.flatnonzero((ms <= t) & (t - ms < GESTURE_S * 1000))
            if len(recent):
                j = recent[np.argmax(ms[recent])]
                assert st.bid[k] == bids["code"].iloc[j]
                assert st.bid_stage[k] == int((t - ms[j]) * 3 // (GESTURE_S * 1000))
            else:
                assert st.bid[k] == "" and st.bid_stage[k] == -1


# -- barcode -------------------------------------------------------------------------------------
@pytest.mark.parametrize("height", [90, 180, 360, 720])
def test_barcode_round_trips(height):
    img = np.full((height, height * 16 // 9, 3), 200, np.uint8)
    for index in (0, 1, 59, 60, 3599, 123456, 2**20 - 1):
        draw_frame_barcode(img, index)
        assert read_frame_barcode(img) == index


def test_barcode_rejects_a_frame_without_one():
    with pytest.raises(ValueError):
        read_frame_barcode(np.full((180, 320, 3), 255, np.uint8))


# -- raw frames ----------------------------------------------------------------------------------
def _infant(frame):
    h = frame.shape[0]
    x0, _, x1, y1 = barcode_box(h)
    return frame[y1 : int(h * 0.9), : frame.shape[1] // 2].astype(int)


def _caregiver(frame):
    return frame[: int(frame.shape[0] * 0.9), frame.shape[1] // 2 :].astype(int)


def _caregiver_face(frame):
    fig = Scene(frame.shape[1], frame.shape[0], "dyad", load_scheme()).panels[1].figure
    x0, x1, y0, y1 = (
        int(v) for v in (fig.cx - fig.r, fig.cx + fig.r, fig.cy - fig.r, fig.cy + fig.r)
    )
    return frame[y0:y1, x0:x1].astype(int)


def _near(region, colour, tol=40):
    return int((np.abs(region - np.array(colour)).sum(axis=2) < tol).sum())


def test_frame_count_is_duration_times_fps(raw, video):
    assert len(raw) == 3 * FPS
    assert len(video[0]) == 3 * FPS


def test_tears_only_in_negative_frames(raw):
    # infant negative on [1, 2): frames 30..59; tears are the only TEAR-blue pixels of the scene
    tears = [_near(_infant(f), TEAR) for f in raw]
    assert min(tears[30:60]) > 10
    assert max(tears[:30] + tears[60:]) == 0


def test_smile_differs_from_frown(raw):
    smile, cry = _infant(raw[5]), _infant(raw[40])
    assert np.abs(smile - cry).mean() > 1.0
    # the same state a few frames later (no gesture, maybe a bob) is far closer than another state
    assert np.abs(smile - _infant(raw[8])).mean() < np.abs(smile - cry).mean()


def test_still_face_caregiver_is_frozen(raw):
    still = [_caregiver(f) for f in raw[30:75]]  # still-face on [1.0, 2.5)
    assert all(np.array_equal(still[0], s) for s in still[1:])
    play = [_caregiver(f) for f in raw[:30]]  # the caregiver moves (bob, blink) in play
    assert any(not np.array_equal(play[0], p) for p in play[1:])


def test_gestures_start_at_their_onset_frame(raw):
    # infant reach at 0.5 s = frame 15, visible one second; caregiver touch at 2.6 s = frame 78
    before, at = _infant(raw[14]), _infant(raw[15])
    assert np.abs(at - before).mean() > 0.5
    end = 15 + int(GESTURE_S * FPS)
    assert np.abs(_infant(raw[end - 1]) - _infant(raw[end])).mean() > 0.5
    # the caregiver's touching hand reaches into the infant's half of the frame
    assert np.abs(_infant(raw[78]) - _infant(raw[77])).mean() > 0.5


def test_offset_video_shows_later_session_time(events, scheme, raw):
    late = list(
        render_frames(events, fps=FPS, size=SIZE, scheme=scheme, offset_s=0.5, barcode=False)
    )
    plain = list(render_frames(events, fps=FPS, size=SIZE, scheme=scheme, barcode=False))
    assert len(late) == len(raw) - 15
    for k in (0, 10, 40, len(late) - 1):
        assert np.array_equal(late[k], plain[k + 15])


def test_one_person_views_render(events, scheme):
    for view in ("infant", "caregiver"):
        frames = list(
            render_frames(events, fps=FPS, size=SIZE, scheme=scheme, view=view, duration_s=1.0)
        )
        assert len(frames) == FPS and frames[0].shape == (180, 320, 3)
        assert read_frame_barcode(frames[-1]) == FPS - 1


def test_several_coders_need_a_choice(events, scheme, tmp_path):
    two = pd.concat([events, events.assign(coder="u")])
    with pytest.raises(RenderError, match="several coders"):
        render_session(two, tmp_path / "y.mp4", scheme=scheme, size=SIZE)
    frames = list(render_frames(two, coder="u", fps=FPS, size=SIZE, scheme=scheme, duration_s=0.2))
    assert len(frames) == 6
    assert not (tmp_path / "y.mp4").exists()


# -- encoded file --------------------------------------------------------------------------------
def test_encoded_video_is_h264_yuv420p_with_gop_60(video):
    _, (codec, pix_fmt, rate), keyframes = video
    assert codec == "h264" and pix_fmt == "yuv420p" and rate == FPS
    assert [i for i, k in enumerate(keyframes) if k] == [0, 60]


def test_decoded_frames_carry_their_index_and_state(video, raw):
    frames = video[0]
    assert [read_frame_barcode(f) for f in frames] == list(range(len(frames)))
    for k in (5, 40, 80):  # each decoded frame is closest to its own rendered frame
        errors = [np.abs(frames[k].astype(int) - raw[j]).mean() for j in (5, 40, 80)]
        assert int(np.argmin(errors)) == (5, 40, 80).index(k)
        assert errors[(5, 40, 80).index(k)] < 6  # CRF 30 and 4:2:0 chroma at 320 x 180
    frozen, smiling = _caregiver_face(raw[31]), _caregiver_face(raw[5])
    for f in frames[31:74]:  # every decoded still-face frame shows the frozen neutral caregiver
        face = _caregiver_face(f)
        assert np.abs(face - frozen).mean() < np.abs(face - smiling).mean()


def test_sprites_are_drawn_once_per_state(events, scheme):
    st = frame_states(events, scheme, 90, FPS)
    scene = Scene(*SIZE, "dyad", scheme)
    assert len(list(scene.frames(st))) == 90
    assert scene.drawn < 90  # two panels a frame: 180 drawings without the cache
