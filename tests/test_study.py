"""The study: init from camera files, status, export, metrics and the report (no display).

Oracles: the files themselves (rows counted with the ``csv`` module, done marks, videos on disk),
``reliability.sample_for_reliability`` for the draw, ``session_metrics`` on the files each session
should contribute, and pingouin / scipy called here on the exported metrics table.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from studygen import CODERS, IN_PROGRESS, NOT_CODED, PATTERN, camera_files, make_study
from synchrony_coder.cli import main
from synchrony_coder.events import read_events
from synchrony_coder.metrics import session_metrics
from synchrony_coder.reliability import sample_for_reliability
from synchrony_coder.session import find_session
from synchrony_coder.study import STATUS_COLUMNS, load_study


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("study"))


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


# -- init --------------------------------------------------------------------------------------
def test_init_groups_camera_files_into_sessions_without_copying(lab):
    study = load_study(lab)
    ids = [s.session for s in study.sessions]
    assert ids == [f"d{d:02d}_{v}" for d in range(1, 6) for v in (1, 2)]
    assert study.attributes == ("dyad", "visit") and study.coders == CODERS
    for s in study.sessions:
        dyad, visit = s.session.split("_")
        assert dict(s.attributes) == {"dyad": dyad, "visit": visit}
        assert [v.view for v in s.spec.videos] == ["face", "room"]
        for v in s.spec.videos:  # referred to where they are: the camera folder
            assert v.path == (lab.parent / "videos" / f"{s.session}_{v.view}.mp4").resolve()
        assert not list(s.folder.glob("*.mp4"))
    assert study.reliability_sample() == sample_for_reliability(ids, 0.3, seed=7)
    assert len(study.reliability_sample()) == 3
    archive = pd.read_csv(lab / "archive_check.csv")  # probe --all over every camera file
    assert sorted(Path(p).name for p in archive["path"]) == sorted(
        f"{s}_{cam}.mp4" for s in ids for cam in ("face", "room")
    )
    assert archive["error"].isna().all() and (archive["frame_count"] == 120).all()


def test_init_again_adds_new_sessions_and_keeps_the_draw(tmp_path):
    videos = camera_files(tmp_path / "videos", range(1, 4))
    lab = tmp_path / "lab"
    args = ["study", "init", str(lab), "--videos", str(videos), "--pattern", PATTERN]
    assert (
        main([*args, "--fraction", "0.5", "--seed", "3", "--link", "--scheme", "contingency"]) == 0
    )
    first = load_study(lab)
    assert (lab / "d01_1" / "d01_1_face.mp4").is_symlink()
    assert find_session(lab / "d01_1").scheme == "contingency" == first.scheme  # opened alone too
    camera_files(videos, range(4, 7))
    (videos / "notes.mp4").write_bytes(b"")  # does not match the pattern: skipped, said so
    assert main(args) == 0
    again = load_study(lab)
    assert len(again.sessions) == 12 and again.seed == 3 and again.fraction == 0.5
    old = set(first.reliability_sample())
    assert first.reliability_sample() == sample_for_reliability(
        [f"d{d:02d}_{v}" for d in range(1, 4) for v in (1, 2)], 0.5, 3
    )
    assert old <= set(again.reliability_sample()) and len(again.reliability_sample()) == 6


def _session_folder(root: Path, name: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "coder_zoe.csv").write_text("session,coder,tier,code,onset_s,offset_s\n")


@pytest.mark.parametrize("batch", [1, 3, 10])
def test_the_draw_keeps_its_share_however_sessions_arrive(tmp_path, batch):
    """ceil(fraction · n) drawn after every init, earlier draws kept, whether sessions come one
    at a time, in threes or all at once, and also folders copied in by hand (not yet listed)."""
    ids = [f"p{k:02d}" for k in range(20)]
    drawn: set[str] = set()
    for start in range(0, len(ids), batch):
        for name in ids[start : start + batch]:
            _session_folder(tmp_path, name)  # copied in by hand, then init
        assert main(["study", "init", str(tmp_path), "--fraction", "0.2", "--seed", "5"]) == 0
        study = load_study(tmp_path)
        n = min(len(ids), start + batch)
        assert len(study.sessions) == n
        now = set(study.reliability_sample())
        assert drawn <= now and len(now) == math.ceil(0.2 * n)
        drawn = now
    if batch == 10:  # the first batch is sample-reliability's draw
        first = sample_for_reliability(ids[:10], 0.2, 5)
        assert set(first) <= drawn


def test_init_says_what_the_archive_check_found(tmp_path, capsys):
    videos = camera_files(tmp_path / "videos", range(1, 3))
    (videos / "d03_1_face.mp4").write_bytes(b"not a video at all" * 50)
    lab = tmp_path / "lab"
    status, _, err = _cli(capsys, "study", "init", str(lab), "--videos", str(videos),
                          "--pattern", PATTERN)  # fmt: skip
    assert status == 0
    archive = pd.read_csv(lab / "archive_check.csv")
    assert archive["error"].notna().sum() == 1
    assert (
        f"archive check of 9 videos ({lab.resolve() / 'archive_check.csv'}): 8 unusual, "
        "8 would code faster from a proxy (synchrony-coder proxy), 1 cannot be opened" in err
    )


def test_init_from_session_folders_takes_attributes_from_their_ids(tmp_path, capsys):
    for name in ("p07_t1", "p09_t2", "odd"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "coder_zoe.csv").write_text("session,coder,tier,code,onset_s,offset_s\n")
    status, out, err = _cli(capsys, "study", "init", str(tmp_path), "--pattern", "{child}_{time}")
    assert status == 0 and "odd does not match {child}_{time}" in err
    table = pd.read_csv(pd.io.common.StringIO(out), dtype=str, keep_default_na=False)
    assert list(table.columns) == ["session", "folder", "child", "time", "reliability_sample"]
    assert table.set_index("session").loc["p09_t2", ["child", "time"]].tolist() == ["p09", "t2"]
    assert load_study(tmp_path).coders == ("zoe",)  # found in the folders


# -- status --------------------------------------------------------------------------------------
def test_status_counts_equal_the_files_rows(lab, capsys, tmp_path):
    status, out, _ = _cli(capsys, "study", "status", str(lab), "-o", str(tmp_path / "s.csv"))
    assert status == 0 and out == ""
    table = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    assert list(table.columns) == STATUS_COLUMNS
    assert len(table) == 10 * len(CODERS)
    sample = set(load_study(lab).reliability_sample())
    for row in table.itertuples():
        folder = lab / row.session
        path = folder / f"coder_{row.coder}.csv"
        assert row.n_events == (_rows(path) if path.exists() else 0)
        if (folder / f"coder_{row.coder}.done").exists():
            assert row.status == "done"
        elif path.exists():
            assert row.status == "in progress"
        else:
            assert row.status == "not started" and row.coded_until_s == ""
        assert row.duration_s == 60.0  # the primary camera: 120 frames at 2 fps
        assert row.reliability_sample == (row.session in sample)
        consensus = folder / "coder_consensus.done"
        if row.session in sample:
            assert row.consensus == ("done" if consensus.exists() else "not started")
        else:
            assert row.consensus == ""
    progress = table[table["status"] == "in progress"]
    assert (
        progress["session"].tolist() == [IN_PROGRESS]
        and float(progress["coded_until_s"].iloc[0]) == 40
    )
    assert (table.loc[table["session"] == NOT_CODED, "status"] == "not started").all()


def test_status_names_an_unreadable_file_and_fails(tmp_path, capsys):
    shutil.copytree(Path(__file__).parents[1] / "sample_sessions" / "s01", tmp_path / "s01",
                    ignore=shutil.ignore_patterns("*.mp4"))  # fmt: skip
    assert main(["study", "init", str(tmp_path)]) == 0
    capsys.readouterr()
    bad = tmp_path / "s01" / "coder_bob.csv"
    bad.write_text(bad.read_text().replace(",positive,", ",joyful,", 1))
    status, out, err = _cli(capsys, "study", "status", str(tmp_path))
    assert status == 1 and "coder_bob.csv:" in err and "joyful" in err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert table.set_index("coder").loc["bob", "status"] == "unreadable"


def test_study_errors_are_one_line(tmp_path, capsys):
    status, _, err = _cli(capsys, "study", "status", str(tmp_path))
    assert status == 1 and "no study.toml here" in err and err.count("\n") == 1
    (tmp_path / "study.toml").write_text('coders = "ann"\n')
    status, _, err = _cli(capsys, "study", "export", str(tmp_path))
    assert status == 1 and "study.toml: coders: expected a list" in err and err.count("\n") == 1


# -- export and metrics ----------------------------------------------------------------------------
def test_export_is_every_file_with_the_session_attributes(lab, tmp_path, capsys):
    files = sorted(lab.glob("*/coder_*.csv"))
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"all{suffix}"
        assert _cli(capsys, "study", "export", str(lab), "-o", str(out))[0] == 0
        table = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
        assert len(table) == sum(_rows(f) for f in files)
        parts = table["session"].str.split("_", expand=True)
        dyad, visit = parts[0], parts[1]
        assert (table["dyad"] == dyad).all() and (table["visit"].astype(str) == visit).all()
        counts = table.groupby(["session", "coder"]).size()
        for f in files:
            assert counts[(f.parent.name, f.stem.removeprefix("coder_"))] == _rows(f)
    csv_table = pd.read_csv(tmp_path / "all.csv", dtype={"visit": str})
    pq = pd.read_parquet(tmp_path / "all.parquet")
    pd.testing.assert_frame_equal(
        csv_table[pq.columns].reset_index(drop=True), pq, check_dtype=False, check_exact=False
    )


def _expected_sources(lab: Path) -> dict[str, str]:
    """Consensus where there is one, else the first of the study's coders with a file."""
    out = {}
    for folder in sorted(p for p in lab.iterdir() if p.is_dir()):
        for coder in ("consensus", *CODERS):
            if (folder / f"coder_{coder}.csv").exists():
                out[folder.name] = coder
                break
    return out


@pytest.fixture(scope="module")
def outputs(lab, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    assert main(["study", "metrics", str(lab), "-o", str(out / "metrics.csv")]) == 0
    assert main(["study", "report", str(lab), "-o", str(out / "report.html"),
                 "--stats", str(out / "effects.csv")]) == 0  # fmt: skip
    return out


def test_metrics_use_the_consensus_else_the_primary_coder(lab, outputs):
    table = pd.read_csv(outputs / "metrics.csv", dtype={"visit": str})
    sources = _expected_sources(lab)
    assert dict(zip(table["session"], table["coder"], strict=True)) == sources
    events = read_events([lab / s / f"coder_{c}.csv" for s, c in sources.items()])
    expected = session_metrics(events, by_phase=True)
    got = table.drop(columns=["dyad", "visit"])
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-5)


METRICS = ("matched_fraction", "contingency", "infant_negative", "caregiver_object", "yules_q")


def test_report_statistics_equal_pingouins_on_the_same_table(outputs):
    """The report's numbers, recomputed here from the exported metrics with pingouin and scipy."""
    metrics = pd.read_csv(outputs / "metrics.csv")
    effects = pd.read_csv(outputs / "effects.csv").set_index(["metric", "test"])
    _check_effects(metrics, effects)


def test_report_by_visit_tests_each_visit_apart(lab, outputs, tmp_path):
    out = tmp_path / "by.csv"
    assert main(["study", "report", str(lab), "-o", str(tmp_path / "r.html"), "--by", "visit",
                 "--stats", str(out)]) == 0  # fmt: skip
    metrics = pd.read_csv(outputs / "metrics.csv", dtype={"visit": str})
    effects = pd.read_csv(out, dtype={"visit": str})
    assert sorted(set(effects["visit"])) == ["1", "2"]
    for visit in ("1", "2"):
        part = effects[effects["visit"] == visit].drop(columns="visit")
        assert part["statistic"].notna().sum() >= 20  # most tests run on 4-5 sessions a visit
        _check_effects(metrics[metrics["visit"] == visit], part.set_index(["metric", "test"]))
    text = (tmp_path / "r.html").read_text()
    assert "Still-Face effects, each visit apart" in text
    assert (
        text.count("<h2 class='group'>visit 1 · ")
        == text.count("<h2 class='group'>visit 2 · ")
        == 1
    )
    status, _, err = _cli_plain("study", "report", str(lab), "-o", str(tmp_path / "x.html"),
                                "--by", "wave")  # fmt: skip
    assert (
        status == 1 and "no session attribute 'wave' to report by (attributes: dyad, visit)" in err
    )
    assert not (tmp_path / "x.html").exists()


def _cli_plain(*args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def _check_effects(metrics: pd.DataFrame, effects: pd.DataFrame) -> None:
    from scipy import stats

    phases = ["play", "still_face", "reunion"]
    for metric in METRICS:
        wide = metrics.pivot(index="session", columns="phase", values=metric)[phases]
        complete = wide.dropna()
        row = effects.loc[(metric, "rm_anova")]
        assert row["n"] == len(complete)
        if len(complete) < 3:  # too few sessions: no test (as documented)
            assert math.isnan(row["statistic"]) and math.isnan(row["p_unc"])
            continue
        long = complete.stack().rename("y").reset_index()
        aov = pg.rm_anova(long, dv="y", within="phase", subject="session", correction=True)
        assert row["statistic"] == pytest.approx(aov["F"].iloc[0], rel=1e-5)
        assert (row["df1"], row["df2"]) == (2, 2 * (len(complete) - 1))
        assert row["p_unc"] == pytest.approx(aov["p_unc"].iloc[0], rel=1e-5)
        assert row["p_gg"] == pytest.approx(aov["p_GG_corr"].iloc[0], rel=1e-5)
        assert row["effect_size"] == pytest.approx(aov["ng2"].iloc[0], rel=1e-5)
        ps = []
        for before, after in (("play", "still_face"), ("still_face", "reunion")):
            pair = wide[[before, after]].dropna()
            x, y = pair[after].to_numpy(), pair[before].to_numpy()
            tt = pg.ttest(x, y, paired=True)
            row = effects.loc[(metric, f"{after} − {before}")]
            assert row["n"] == len(pair)
            assert row["statistic"] == pytest.approx(tt["T"].iloc[0], rel=1e-5)
            assert row["p_unc"] == pytest.approx(tt["p_val"].iloc[0], rel=1e-5)
            assert row["mean_diff"] == pytest.approx((x - y).mean(), rel=1e-5)
            lo, hi = tt["CI95"].iloc[0]  # pingouin rounds this CI to 2 decimals
            assert row["diff_ci_lo"] == pytest.approx(lo, abs=0.0051)
            assert row["diff_ci_hi"] == pytest.approx(hi, abs=0.0051)
            half = stats.t.ppf(0.975, len(x) - 1) * (x - y).std(ddof=1) / math.sqrt(len(x))
            assert row["diff_ci_hi"] - row["diff_ci_lo"] == pytest.approx(2 * half, rel=1e-5)
            d_av = (x.mean() - y.mean()) / math.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
            assert row["effect_size"] == pytest.approx(d_av, rel=1e-5)
            assert abs(d_av) == pytest.approx(tt["cohen_d"].iloc[0], rel=1e-5)
            n = len(x)  # the d CI pingouin documents: d ± t(.975, n-1) sqrt(1/n + d²/2n)
            half_d = stats.t.ppf(0.975, n - 1) * math.sqrt(1 / n + d_av**2 / (2 * n))
            assert row["effect_ci_lo"] == pytest.approx(d_av - half_d, rel=1e-5)
            assert row["effect_ci_hi"] == pytest.approx(d_av + half_d, rel=1e-5)
            ps.append(row["p_unc"])
        holm = pg.multicomp(np.array(ps), method="holm")[1]
        for (before, after), p in zip((("play", "still_face"), ("still_face", "reunion")), holm,
                                      strict=True):  # fmt: skip
            got = effects.loc[(metric, f"{after} − {before}"), "p_holm"]
            assert got == pytest.approx(p, rel=1e-5)


def test_report_shows_the_effects_reliability_and_what_is_missing(lab, outputs):
    text = (outputs / "report.html").read_text()
    effects = pd.read_csv(outputs / "effects.csv").set_index(["metric", "test"])
    aov = effects.loc[("matched_fraction", "rm_anova")]
    assert f"{aov['statistic']:.2f} ({aov['df1']:.0f}, {aov['df2']:.0f})" in text
    assert text.count("<img") >= 2  # engagement shares and the metric grid
    assert "Reliability over the double-coded sessions" in text and "ICC(2,1)" in text
    assert f'{NOT_CODED}</td><td class="l">not coded yet' in text
    assert f'{IN_PROGRESS}</td><td class="l">cat: in progress, coded to 67% of the video' in text
    waiting = load_study(lab).reliability_sample()[-1]
    assert f'{waiting}</td><td class="l">double-coded; consensus not started' in text


def test_report_pools_the_lag_table_over_every_analysed_session(lab, tmp_path):
    """Counts and statistics of the report's lag-1 table against the brute force of
    test_sequential over the files each session contributes, one pooled table for all of them."""
    from synchrony_coder.study.report import write_study_report
    from test_sequential import SCHEME, _close, _codes, brute_cell, brute_lag_tables

    tables = write_study_report(load_study(lab), tmp_path / "report.html")
    sources = _expected_sources(lab)
    events = read_events([lab / s / f"coder_{c}.csv" for s, c in sources.items()])
    tiers = [t.name for t in SCHEME.tiers if not t.is_state]
    x = brute_lag_tables(events.assign(coder="analysed"), tiers, 1)[("all", "analysed", 1)]
    names = [f"{t}:{c}" for t, c in _codes(tiers)]
    got = tables.sequential
    assert set(got["session"]) == {"all"} and set(got["lag"]) == {1}
    assert len(got) == len(names) ** 2 and got["count"].sum() > 100
    for row in got.itertuples(index=False):
        g, t = names.index(row.given), names.index(row.target)
        want = brute_cell(x, g, t)
        for col in ("count", "expected", "adjusted_residual", "yules_q"):
            _close(getattr(row, col), want[col], (row.given, row.target, col))
    text = (tmp_path / "report.html").read_text()
    assert "What follows what" in text and f"{sum(map(sum, x))} transitions" in text


def test_report_of_a_study_nobody_has_coded_yet_lists_what_is_missing(tmp_path, capsys):
    for name in ("p01", "p02"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "session.toml").write_text(f'session = "{name}"\n')
    assert main(["study", "init", str(tmp_path), "--coders", "ann"]) == 0
    status, _, err = _cli(capsys, "study", "report", str(tmp_path), "-o", str(tmp_path / "r.html"))
    assert status == 0, err
    text = (tmp_path / "r.html").read_text()
    assert "Fewer than two phases are coded" in text
    assert text.count('</td><td class="l">not coded yet') == 2


def test_a_file_whose_rows_name_another_session_or_coder_is_refused(lab, tmp_path, capsys):
    study = tmp_path / "lab"
    shutil.copytree(lab, study, symlinks=True)
    sessions = sorted(p for p in study.iterdir() if (p / "coder_ann.csv").exists())
    wrong = sessions[1] / "coder_ann.csv"
    shutil.copy(sessions[0] / "coder_ann.csv", wrong)  # another session's rows
    for action in (["export", "-o", str(tmp_path / "all.csv")], ["metrics"]):
        status, _, err = _cli(capsys, "study", action[0], str(study), *action[1:])
        assert status == 1
        assert err.startswith(f"synchrony-coder: error: {wrong}:2: session: '{sessions[0].name}', ")
        assert f"but the file is in session {sessions[1].name}'s folder" in err
    text = wrong.read_text().replace(",ann,", ",zed,")  # back in place, but another coder's rows
    wrong.write_text(text.replace(f"{sessions[0].name},", f"{sessions[1].name},"))
    status, _, err = _cli(capsys, "study", "export", str(study), "-o", str(tmp_path / "all.csv"))
    assert status == 1 and f"{wrong}:2: coder: 'zed', but the file is coder_ann.csv" in err


def test_init_of_a_missing_folder_is_refused_and_an_empty_one_said(tmp_path, capsys):
    status, _, err = _cli(capsys, "study", "init", str(tmp_path / "typo"))
    assert status == 1 and f"{tmp_path / 'typo'}: no such folder" in err
    assert not (tmp_path / "typo").exists()
    status, _, err = _cli(capsys, "study", "init", str(tmp_path))
    assert status == 0 and f"{tmp_path}: no session folders found" in err


def test_export_to_a_suffix_it_cannot_write_is_refused(lab, tmp_path, capsys):
    status, _, err = _cli(capsys, "study", "export", str(lab), "-o", str(tmp_path / "all.xlsx"))
    assert status == 1 and "all.xlsx: write a .csv or a .parquet file" in err
    assert not (tmp_path / "all.xlsx").exists()
