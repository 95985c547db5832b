"""The events reader/writer and `validate` against hand-made bad files and hypothesis-made tables."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synchrony_coder import EventsFileError, load_scheme, read_events, write_events
from synchrony_coder.events import check_events, check_table
from synchrony_coder.simulate import simulate_coder, simulate_session

HEADER = "session,coder,tier,code,onset_s,offset_s\n"


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", *args], capture_output=True, text=True
    )


def write(tmp_path, name: str, content: str | bytes):
    p = tmp_path / name
    (p.write_bytes if isinstance(content, bytes) else p.write_text)(content)
    return p


BAD_FILES = {
    "empty": ("", None, None, "empty"),
    "blank_lines": ("\n\n  \n", None, None, "empty"),
    "binary": (bytes(range(256)) * 4, None, None, "not a UTF-8"),
    "nul": ("session,coder\x00,tier\n", None, None, "NUL"),
    "semicolons": (
        "session;coder;tier;code;onset_s;offset_s\ns;a;infant_bid;reach;1;\n",
        1,
        "header",
        "semicolon",
    ),
    "tabs": ("session\tcoder\ttier\tcode\tonset_s\toffset_s\n", 1, "header", "tab"),
    "missing_col": (
        "session,coder,tier,code,onset_s\ns,a,infant_bid,reach,1\n",
        1,
        "header",
        "offset_s",
    ),
    "non_numeric": (
        HEADER + "s,a,infant_bid,reach,1.0,\ns,a,infant_bid,reach,abc,\n",
        3,
        "onset_s",
        "'abc'",
    ),
    "negative": (HEADER + "s,a,infant_bid,reach,-2,\n", 2, "onset_s", "negative"),
    "infinite": (HEADER + "s,a,infant_bid,reach,inf,\n", 2, "onset_s", "finite"),
    "offset_before": (
        HEADER + "s,a,infant_engagement,positive,5.0,4.0\n",
        2,
        "offset_s",
        "not after",
    ),
    "offset_equal": (
        HEADER + "s,a,infant_engagement,positive,5.0,5.0\n",
        2,
        "offset_s",
        "not after",
    ),
    "state_no_offset": (
        HEADER + "s,a,infant_engagement,positive,5.0,\n",
        2,
        "offset_s",
        "state tier",
    ),
    "point_offset": (HEADER + "s,a,infant_bid,reach,5.0,6.0\n", 2, "offset_s", "point tier"),
    "unknown_tier": (HEADER + "s,a,mood,happy,1,2\n", 2, "tier", "unknown tier 'mood'"),
    "unknown_code": (HEADER + "s,a,infant_bid,shout,1,\n", 2, "code", "unknown code 'shout'"),
    "overlap": (
        HEADER + "s,a,infant_engagement,positive,0,5\ns,a,infant_engagement,object,4,6\n",
        3,
        "onset_s",
        "overlaps",
    ),
    "ragged": (HEADER + "s,a,infant_bid,reach,1\n", 2, None, "fields"),
    "empty_session": (HEADER + ",a,infant_bid,reach,1,\n", 2, "session", "empty"),
    "bad_frame": (
        "session,coder,tier,code,onset_s,offset_s,onset_frame\ns,a,infant_bid,reach,1,,1.5\n",
        2,
        "onset_frame",
        "frame index",
    ),
    "bad_quote": (HEADER + 's,a,infant_bid,"reach,1,\n', None, None, ""),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_one_clear_line(tmp_path, scheme, case):
    content, row, column, needle = BAD_FILES[case]
    path = write(tmp_path, f"{case}.csv", content)
    _, problems = check_events(path, scheme)
    assert problems, case
    first = problems[0]
    assert first.path == str(path)
    if row is not None:
        assert first.row == row
    assert first.column == column
    assert needle in first.message
    with pytest.raises(EventsFileError) as info:
        read_events(path, scheme)
    assert str(path) in str(info.value)
    res = run_cli("validate", str(path))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr + res.stdout
    line = res.stdout.splitlines()[0]
    assert line.startswith(f"{path}:" + (f"{row}:" if row else ""))


def test_touching_states_are_fine_and_good_file_exits_zero(tmp_path):
    path = write(
        tmp_path,
        "ok.csv",
        HEADER
        + "s,a,infant_engagement,positive,0,5\ns,a,infant_engagement,object,5,6\ns,a,infant_bid,reach,1.5,\n",
    )
    res = run_cli("validate", str(path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == ""


def test_validate_reports_every_problem_and_usage_errors_exit_2(tmp_path):
    path = write(tmp_path, "two.csv", HEADER + "s,a,infant_bid,reach,x,\ns,a,infant_bid,shout,1,\n")
    res = run_cli("validate", str(path))
    assert res.returncode == 1
    assert [ln.split(":")[1] for ln in res.stdout.splitlines()] == ["2", "3"]
    assert run_cli("validate").returncode == 2
    assert run_cli("validate", str(path), "--scheme", str(tmp_path / "nope.toml")).returncode == 1


def test_missing_file_is_a_data_error(tmp_path):
    res = run_cli("validate", str(tmp_path / "absent.csv"))
    assert res.returncode == 1 and "absent.csv" in res.stdout and "Traceback" not in res.stderr


def test_simulated_sessions_round_trip_exactly(tmp_path, scheme):
    truth = simulate_session(seed=3)
    coder = simulate_coder(truth, "alice", seed=4)
    for df in (truth, coder):
        path = tmp_path / "s.csv"
        write_events(df, path)
        back = read_events(path, scheme)
        pd.testing.assert_frame_equal(back, df.reset_index(drop=True), check_dtype=False)
        text = path.read_text()
        write_events(back, path)
        assert path.read_text() == text


def test_extra_and_optional_columns_survive(tmp_path, scheme):
    content = (
        "session,coder,tier,code,onset_s,offset_s,onset_frame,offset_frame,modifiers,comment,rater_note\n"
        's1,bo,infant_engagement,positive,0.033,1.5,1,45,,"laughs, loudly",x\n'
        "s1,bo,infant_bid,smile,0.9,,27,,big,,\n"
    )
    path = write(tmp_path, "opt.csv", content)
    df = read_events(path, scheme)
    assert df["onset_frame"].tolist() == [1, 27]
    assert pd.isna(df["offset_s"].iloc[1])
    out = tmp_path / "out.csv"
    write_events(df, out)
    assert out.read_text() == content.replace(",0.9,", ",0.900,").replace(",1.5,", ",1.500,")


def test_several_files_and_folders(tmp_path, scheme):
    a = simulate_session(session="a", seed=1)
    b = simulate_session(session="b", seed=2)
    write_events(a, tmp_path / "a.csv")
    write_events(b, tmp_path / "b.csv")
    both = read_events(tmp_path, scheme)
    assert sorted(both["session"].unique()) == ["a", "b"]
    assert len(both) == len(a) + len(b)


def test_check_table_uses_the_same_rules(scheme):
    df = pd.DataFrame(
        [
            ["s", "a", "infant_engagement", "positive", 0.0, 5.0],
            ["s", "a", "infant_engagement", "object", 4.0, 6.0],
        ],
        columns=["session", "coder", "tier", "code", "onset_s", "offset_s"],
    )
    problems = check_table(df, scheme)
    assert [(p.row, p.column) for p in problems] == [(3, "onset_s")]


def test_write_is_atomic_leaves_no_temp_files(tmp_path):
    df = simulate_session(seed=5)
    write_events(df, tmp_path / "x.csv")
    write_events(df, tmp_path / "x.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


# --- property tests -------------------------------------------------------------------------

_ms = st.integers(min_value=0, max_value=10_000_000).map(lambda v: v / 1000)
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s)


@st.composite
def tables(draw):
    sch = load_scheme()
    n = draw(st.integers(0, 25))
    rows = []
    for _ in range(n):
        tier = draw(
            st.sampled_from(
                [t for t in sch.tiers if not (t.is_state and t.exclusive)] or list(sch.tiers)
            )
        )
        code = draw(st.sampled_from(tier.code_names))
        onset = draw(_ms)
        offset = (
            round(onset + draw(st.integers(1, 100_000)) / 1000, 3) if tier.is_state else math.nan
        )
        rows.append(
            [
                draw(_text),
                draw(_text),
                tier.name,
                code,
                onset,
                offset,
                draw(
                    st.text(
                        alphabet=st.characters(
                            blacklist_categories=("Cs",), blacklist_characters="\x00"
                        ),
                        max_size=20,
                    )
                ),
            ]
        )
    return pd.DataFrame(
        rows, columns=["session", "coder", "tier", "code", "onset_s", "offset_s", "comment"]
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(df=tables())
def test_property_round_trip(tmp_path, df):
    path = tmp_path / "prop.csv"
    write_events(df, path)
    back = read_events(path, load_scheme())
    assert len(back) == len(df)
    for col in ("session", "coder", "tier", "code", "comment"):
        assert back[col].tolist() == [("" if v is None else str(v)) for v in df[col]]
    np.testing.assert_array_equal(back["onset_s"].to_numpy(), df["onset_s"].to_numpy(float))
    np.testing.assert_array_equal(back["offset_s"].to_numpy(), df["offset_s"].to_numpy(float))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400) | st.text(max_size=400))
def test_property_reader_never_crashes(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    df, problems = check_events(path, load_scheme())
    assert df is not None or problems
    for p in problems:
        assert str(p).startswith(str(path))


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        write_events(simulate_session(seed=6), tmp_path / "p.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "p.csv").stat().st_mode) == 0o644


@st.composite
def csv_texts(draw):
    """Comma-only CSV texts, mostly well-formed, with the mistakes coders make: stray blanks,
    unknown or empty values, bad numbers, ragged and blank lines, overlaps."""
    sch = load_scheme()
    tiers = [t.name for t in sch.tiers] + ["mood"]
    codes = sorted({c for t in sch.tiers for c in t.code_names}) + ["shout"]
    header = list(REQUIRED) + draw(st.sampled_from([[], ["comment"], ["onset_frame", "comment"]]))
    lines = [",".join(draw(st.sampled_from([h, f" {h}", h])) for h in header)]
    for _ in range(draw(st.integers(0, 12))):
        pick = lambda *xs: draw(st.sampled_from(xs))  # noqa: E731
        fields = [
            pick("s1", "s2", " s1", "s1 ", ""),
            pick("a", "b", "a\t"),
            draw(st.sampled_from(tiers)),
            draw(st.sampled_from(codes)),
            pick("1", "2.5", " 3", "0", "-1", "abc", "", "inf", "1.0004", "1e1", "+2", ".5"),
            pick("", "4", "2", "10.25", "x", " 5 ", "1_0", "nan", "\u0661", "5.", "0x1"),
        ]
        if "onset_frame" in header:
            fields.append(pick("", "3", "1.5", "-2"))
        if "comment" in header:
            fields.append(pick("", "hi", "a b", " lead", "ça"))
        shape = draw(st.integers(0, 9))
        if shape == 0:
            fields = fields[:-1]
        elif shape == 1:
            fields = [*fields, "extra"]
        elif shape == 2:
            lines.append(draw(st.sampled_from(["", "", " "])))
        lines.append(",".join(fields))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


REQUIRED = ("session", "coder", "tier", "code", "onset_s", "offset_s")


@settings(max_examples=300, deadline=None)
@given(text=csv_texts() | st.text(alphabet=',ab1.\n "', max_size=60))
def test_property_fast_reader_agrees_with_csv_module(text):
    """The fast paths (Arrow's CSV reader and number cast, pandas' C parser, on comma-only text)
    must read exactly what the csv module and ``float()`` read: the same table and the same
    problems, line numbers included."""
    from synchrony_coder.events import _check_text

    sch = load_scheme()
    for arrow_text in (True, False):  # pandas ≥ 3 with pyarrow, and text as Python strings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pd.option_context("future.infer_string", arrow_text):
                fast_df, fast_problems = _check_text(text, "f.csv", sch, fast=True)
                slow_df, slow_problems = _check_text(text, "f.csv", sch, fast=False)
        assert fast_problems == slow_problems
        assert (fast_df is None) == (slow_df is None)
        if fast_df is not None:
            pd.testing.assert_frame_equal(fast_df, slow_df)
