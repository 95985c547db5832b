"""ELAN, BORIS, Datavyu and GSEQ in and out (issue 7).

Oracles: the real ELAN and BORIS files of /work/shared/interop are re-read here with our own small
``xml.etree``/``json`` code (counting annotations and events, pairing START/STOP by a plain loop), and
simulated sessions must survive ours → format → ours unchanged to the millisecond. GSEQ output is
parsed back with a tiny SDIS parser written in this file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synchrony_coder import load_scheme
from synchrony_coder.events import check_table, read_events, write_events
from synchrony_coder.interop import (
    InteropError,
    MappingError,
    apply_mapping,
    detect_format,
    load_mapping,
    read_foreign,
    write_foreign,
)
from synchrony_coder.interop.boris import NO_FOCAL_SUBJECT, read_boris_project
from synchrony_coder.interop.boris_tabular import read_boris_tabular, write_boris_tabular
from synchrony_coder.interop.datavyu import read_datavyu
from synchrony_coder.interop.elan import read_eaf, write_eaf
from synchrony_coder.interop.gseq import write_sdis
from synchrony_coder.simulate import SessionParams, simulate_coder, simulate_session

SHARED = Path(__file__).resolve().parents[2] / "shared" / "interop"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(),
    reason=f"real interop files not found at {SHARED} (shared/ beside the clone)",
)
KEY = ["session", "coder", "tier", "code"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synchrony_coder.cli", *args], capture_output=True, text=True
    )


def ms(x) -> np.ndarray:
    """Times as integer milliseconds (-1 for an empty offset), for exact comparisons."""
    a = np.asarray(x, dtype=float)
    return np.where(np.isnan(a), -1, np.rint(a * 1000)).astype(np.int64)


def canonical(df: pd.DataFrame, extra: tuple[str, ...] = ()) -> list[tuple]:
    """Rows as sorted tuples with millisecond times: order-free exact comparison."""
    cols = [df[c].astype(str).to_numpy() for c in (*KEY, *extra)]
    rows = zip(*cols, ms(df["onset_s"]), ms(df["offset_s"]), strict=True)
    return sorted(tuple(r) for r in rows)


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


@pytest.fixture(scope="module")
def simulated(scheme) -> pd.DataFrame:
    """Two sessions × two coders of simulated Still-Face interaction, with modifiers and comments."""
    params = SessionParams(phases=(("play", 30.0), ("still_face", 20.0), ("reunion", 30.0)))
    parts = []
    for k, session in enumerate(("s01", "s02")):
        truth = simulate_session(params, session=session, coder="truth", seed=10 + k)
        parts += [
            simulate_coder(truth, "alice", seed=20 + k, scheme=scheme),
            simulate_coder(truth, "bob", seed=30 + k, scheme=scheme),
        ]
    df = pd.concat(parts, ignore_index=True)
    rng = np.random.default_rng(7)
    df["modifiers"] = np.where(rng.random(len(df)) < 0.2, "loud", "")
    df["comment"] = np.where(rng.random(len(df)) < 0.1, 'unsure, "maybe" later', "")
    assert check_table(df, scheme) == []
    return df


# --------------------------------------------------------------------------------------------
# ELAN


def _independent_eaf(path: Path):
    """Our own reading of an EAF: per tier, every annotation and its slots' values (ms or None)."""
    root = ET.parse(path).getroot()
    slot = {t.get("TIME_SLOT_ID"): t.get("TIME_VALUE") for t in root.iter("TIME_SLOT")}
    tiers = {}
    for tier in root.iter("TIER"):
        al = [
            (
                a.get("ANNOTATION_ID"),
                (a.findtext("ANNOTATION_VALUE") or "").strip(),
                slot[a.get("TIME_SLOT_REF1")],
                slot[a.get("TIME_SLOT_REF2")],
            )
            for a in tier.iter("ALIGNABLE_ANNOTATION")
        ]
        refs = [
            (a.get("ANNOTATION_ID"), a.get("ANNOTATION_REF"), a.findtext("ANNOTATION_VALUE") or "")
            for a in tier.iter("REF_ANNOTATION")
        ]
        tiers[tier.get("TIER_ID")] = (al, refs)
    return tiers


@needs_shared
def test_elan_real_file_accounts_for_every_annotation():
    path = SHARED / "elan_sample_3.0.eaf"
    tiers = _independent_eaf(path)
    df, report = read_eaf(path, coder="ra1")
    assert set(df["tier"]) <= set(tiers)
    assert (df["coder"] == "ra1").all() and (df["session"] == "elan_sample_3.0").all()
    for tier, (al, refs) in tiers.items():
        rows = df[df["tier"] == tier]
        # every time-aligned annotation (both slots with a TIME_VALUE) is a row with its exact times
        both = [(v, int(a), int(b)) for _, v, a, b in al if a is not None and b is not None]
        aligned = rows[rows["time_source"] == "aligned"]
        got = sorted(
            zip(aligned["code"], ms(aligned["onset_s"]), ms(aligned["offset_s"]), strict=True)
        )
        assert got == sorted(both), tier
        # and every annotation of the tier is a row or counted in a skipped note for this tier
        assert len(rows) + report.count("skipped", where=tier) == len(al) + len(refs), tier
        n_unaligned = sum(a is None or b is None for _, _, a, b in al)
        assert (rows["time_source"] == "interpolated").sum() == n_unaligned
        assert report.count("interpolated", where=tier) == n_unaligned
        assert (rows["time_source"] == "inherited").sum() == report.count("inherited", where=tier)
    # the file's stress cases are really there and really explained
    assert report.count("interpolated") > 1000 and report.count("inherited") > 1000
    empty_refs = sum(v.strip() == "" for _, refs in tiers.values() for _, _, v in refs)
    assert report.count("skipped") == empty_refs > 0


@needs_shared
def test_elan_interpolation_and_inheritance_follow_the_parents():
    """Time subdivisions tile their parent evenly (as ELAN shows them); symbolic children inherit."""
    path = SHARED / "elan_sample_3.0.eaf"
    tiers = _independent_eaf(path)
    df, _ = read_eaf(path)
    parents = {aid: (int(a), int(b)) for aid, _, a, b in tiers["text"][0]}
    words = df[df["tier"] == "words-timesub"].sort_values("onset_s")
    for p0, p1 in list(parents.values())[:50]:
        inside = words[(ms(words["onset_s"]) >= p0) & (ms(words["offset_s"]) <= p1)]
        if (inside["time_source"] == "interpolated").all() and len(inside):
            assert ms(inside["onset_s"])[0] == p0 and ms(inside["offset_s"])[-1] == p1
            assert np.array_equal(ms(inside["onset_s"])[1:], ms(inside["offset_s"])[:-1])
            d = np.diff(np.r_[ms(inside["onset_s"]), p1])
            assert d.max() - d.min() <= 1  # evenly spread, to the millisecond
    expected = Counter(parents[ref] for _, ref, v in tiers["words-symsub"][1] if v.strip())
    sym = df[df["tier"] == "words-symsub"]
    assert Counter(zip(ms(sym["onset_s"]), ms(sym["offset_s"]), strict=True)) == expected


def test_elan_edge_cases_are_reported(tmp_path):
    eaf = tmp_path / "edge.eaf"
    eaf.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT FORMAT="3.0" VERSION="3.0">
  <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
    <MEDIA_DESCRIPTOR MEDIA_URL="file:///v.mp4" MIME_TYPE="video/mp4" TIME_ORIGIN="500"/>
  </HEADER>
  <TIME_ORDER>
    <TIME_SLOT TIME_SLOT_ID="t1" TIME_VALUE="1000"/>
    <TIME_SLOT TIME_SLOT_ID="t2" TIME_VALUE="1000"/>
    <TIME_SLOT TIME_SLOT_ID="t3" TIME_VALUE="2000"/>
    <TIME_SLOT TIME_SLOT_ID="t4"/>
    <TIME_SLOT TIME_SLOT_ID="t5"/>
  </TIME_ORDER>
  <TIER TIER_ID="Mother gaze (RA2)" ANNOTATOR="RA2" LINGUISTIC_TYPE_REF="lt">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="t1" TIME_SLOT_REF2="t2">
      <ANNOTATION_VALUE>smile</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a2" TIME_SLOT_REF1="t2" TIME_SLOT_REF2="t3">
      <ANNOTATION_VALUE>looking</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a3" TIME_SLOT_REF1="t3" TIME_SLOT_REF2="t4">
      <ANNOTATION_VALUE>away</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a4" TIME_SLOT_REF1="t4" TIME_SLOT_REF2="t5">
      <ANNOTATION_VALUE>looking</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER TIER_ID="notes" LINGUISTIC_TYPE_REF="ref" PARENT_REF="Mother gaze (RA2)">
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="r1" ANNOTATION_REF="a2">
      <ANNOTATION_VALUE>clear</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="r2" ANNOTATION_REF="a4">
      <ANNOTATION_VALUE>late</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
  </TIER>
</ANNOTATION_DOCUMENT>
""",
        encoding="utf-8",
    )
    df, report = read_eaf(eaf)
    # ANNOTATOR is the coder and the " (RA2)" suffix leaves the tier name; TIME_ORIGIN shifts times
    gaze = df[df["tier"] == "Mother gaze"]
    assert set(gaze["coder"]) == {"RA2"}
    assert canonical(gaze) == [
        ("edge", "RA2", "Mother gaze", "looking", 1500, 2500),
        ("edge", "RA2", "Mother gaze", "smile", 1500, -1),  # zero-length: a point event
    ]
    # a3/a4 end in slots with no aligned slot after them: skipped with that reason, not dropped
    assert report.count("skipped", where="Mother gaze (RA2)") == 2
    assert report.count("skipped", where="notes") == 1  # r2's parent has no usable times
    assert canonical(df[df["tier"] == "notes"]) == [
        ("edge", "unknown", "notes", "clear", 1500, 2500)
    ]
    assert report.count("offset") == 1 and report.count("info") == 1
    assert any("no aligned slot" in line for line in report.lines())


def test_elan_empty_annotations_are_counted_and_said_even_when_quiet(tmp_path, capsys):
    """ELAN keeps annotations with no value (an emptied cell, a referring tier left blank); each
    one skipped is counted, out of the tier's annotations, with the reason, also with --quiet."""
    from synchrony_coder.cli import main

    cells = "".join(
        f'<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a{i}" TIME_SLOT_REF1="t{i}" '
        f'TIME_SLOT_REF2="t{i + 1}"><ANNOTATION_VALUE>{v}</ANNOTATION_VALUE>'
        "</ALIGNABLE_ANNOTATION></ANNOTATION>"
        for i, v in enumerate(["smile", "", "  ", "gaze"], 1)
    )
    refs = "".join(
        f'<ANNOTATION><REF_ANNOTATION ANNOTATION_ID="r{i}" ANNOTATION_REF="a{i}">'
        f"<ANNOTATION_VALUE>{v}</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>"
        for i, v in ((1, ""), (4, "clear"))
    )
    slots = "".join(
        f'<TIME_SLOT TIME_SLOT_ID="t{i}" TIME_VALUE="{i * 1000}"/>' for i in range(1, 6)
    )
    eaf = tmp_path / "empty.eaf"
    eaf.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><ANNOTATION_DOCUMENT FORMAT="3.0" VERSION="3.0">'
        '<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/>'
        f"<TIME_ORDER>{slots}</TIME_ORDER>"
        f'<TIER TIER_ID="face" LINGUISTIC_TYPE_REF="lt">{cells}</TIER>'
        f'<TIER TIER_ID="note" LINGUISTIC_TYPE_REF="ref" PARENT_REF="face">{refs}</TIER>'
        "</ANNOTATION_DOCUMENT>",
        encoding="utf-8",
    )
    assert main(["convert", str(eaf), str(tmp_path / "out.csv"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "skipped [face]: 2 of 4 annotation(s) on this tier have an empty value" in err
    assert "skipped [note]: 1 of 2 referring annotation(s) on this tier have an empty value" in err
    assert "an event needs a code" in err
    assert len(read_events(tmp_path / "out.csv")) == 3


def test_elan_rejects_what_is_not_elan(tmp_path):
    bad = tmp_path / "bad.eaf"
    bad.write_text("<html></html>")
    with pytest.raises(InteropError, match="not an ELAN document"):
        read_eaf(bad)
    bad.write_text("not xml at all <")
    with pytest.raises(InteropError, match="not a readable ELAN"):
        read_eaf(bad)


def test_simulated_sessions_round_trip_through_eaf(simulated, tmp_path):
    out = tmp_path / "elan"
    report = write_eaf(simulated, out)
    assert sorted(p.name for p in out.iterdir()) == ["s01.eaf", "s02.eaf"]
    lost = {n.message.split("'")[1]: n.count for n in report.notes if n.kind == "lost"}
    assert lost == {
        "modifiers": int((simulated["modifiers"] != "").sum()),
        "comment": int((simulated["comment"] != "").sum()),
    }
    back, read_report = read_foreign(out, "eaf")
    assert "time_source" not in back.columns and read_report.count("skipped") == 0
    assert canonical(back) == canonical(simulated)
    # the files are ELAN documents an independent reader understands: ANNOTATOR holds the coder
    tiers = _independent_eaf(out / "s01.eaf")
    assert "infant_engagement (alice)" in tiers and "phase (bob)" in tiers
    # one session to one named file
    one = simulated[(simulated["session"] == "s02") & (simulated["coder"] == "bob")]
    write_eaf(one, tmp_path / "one.eaf")
    back1, _ = read_eaf(tmp_path / "one.eaf")
    assert canonical(back1) == canonical(one)
    assert "infant_engagement" in _independent_eaf(tmp_path / "one.eaf")
    with pytest.raises(InteropError, match="one session per document"):
        write_eaf(simulated, tmp_path / "two.eaf")


# --------------------------------------------------------------------------------------------
# BORIS


def _pair_by_loop(events, kinds):
    """Independent BORIS pairing: walk the events in time order, open/close per (subject,
    behaviour, modifier); returns (points, states, unpaired_count)."""
    points, states, open_ = [], [], {}
    for _i, (t, subject, code, modifier, *_rest) in sorted(
        enumerate(events), key=lambda x: (x[1][0], x[0])
    ):
        if kinds[code] == "point":
            points.append((subject or NO_FOCAL_SUBJECT, code, round(t * 1000)))
            continue
        key = (subject, code, modifier)
        if key in open_:
            t0 = open_.pop(key)
            states.append((subject or NO_FOCAL_SUBJECT, code, round(t0 * 1000), round(t * 1000)))
        else:
            open_[key] = t
    return points, states, len(open_)


@needs_shared
def test_boris_project_accounts_for_every_event():
    path = SHARED / "boris_test.boris"
    project = json.loads(path.read_text())
    kinds = {
        b["code"]: ("state" if "state" in b["type"].lower() else "point")
        for b in project["behaviors_conf"].values()
    }
    df, report = read_boris_project(path, coder="obs1")
    assert set(df["session"]) <= set(project["observations"])
    total = 0
    for obs_id, obs in project["observations"].items():
        events = obs["events"]
        total += len(events)
        rows = df[df["session"] == obs_id]
        points, states, unpaired = _pair_by_loop(events, kinds)
        n_state = int(rows["offset_s"].notna().sum())
        n_point = int(rows["offset_s"].isna().sum())
        # every BORIS event is half a state row, a point row, or in a skipped note for its observation
        assert 2 * n_state + n_point + report.count("skipped", where=obs_id) == len(events), obs_id
        assert report.count("skipped", where=obs_id) == unpaired
        pr, sr = rows[rows["offset_s"].isna()], rows[rows["offset_s"].notna()]
        assert sorted(zip(pr["tier"], pr["code"], ms(pr["onset_s"]), strict=True)) == sorted(points)
        assert sorted(
            zip(sr["tier"], sr["code"], ms(sr["onset_s"]), ms(sr["offset_s"]), strict=True)
        ) == sorted(states)
        if not events:
            assert any(n.where == obs_id and "no events" in n.message for n in report.notes)
    assert total > 100 and len(df) > 50 and (df["coder"] == "obs1").all()
    # modifiers kept; media offsets, files in sequence and the unpaired START are explained
    mods = df[df["session"] == "modifiers"]
    assert sorted(mods["modifiers"]) == ["None", "m1", "m1", "m2", "m3"]
    text = "\n".join(report.lines())
    assert "media offset 20 s" in text and "media offset -20 s" in text
    assert "2 media files in sequence" in text
    assert "START(s) without a STOP at 26.862" in text


@needs_shared
def test_boris_tabular_real_file():
    path = SHARED / "boris_events_tabular.tsv"
    lines = [ln.split("\t") for ln in path.read_text().splitlines()]
    head = next(i for i, ln in enumerate(lines) if ln[0] == "Time")
    body = [ln for ln in lines[head + 1 :] if ln[0].strip()]
    status = Counter(ln[8] for ln in body)
    df, report = read_boris_tabular(path, coder="x")
    assert len(df) == status["START"] == status["STOP"] and status["POINT"] == 0
    assert set(df["session"]) == {"observation #1"}
    starts = sorted((ln[4], round(float(ln[0]) * 1000)) for ln in body if ln[8] == "START")
    assert sorted(zip(df["tier"], ms(df["onset_s"]), strict=True)) == starts
    assert report.count("skipped") == 0
    assert detect_format(path) == "boris-tabular"


def test_boris_project_edge_cases(tmp_path):
    project = {
        "behaviors_conf": {
            "0": {"type": "State event", "code": "look", "category": "gaze"},
            "1": {"type": "Point event", "code": "smile", "category": ""},
        },
        "observations": {
            "obs A": {
                "type": "MEDIA",
                "time offset": 2.0,
                "file": {"1": ["a.mp4"], "2": []},
                "media_info": {"offset": {"1": 0.0, "2": 0.0}},
                "events": [
                    [3.0, "", "look", "", "start"],
                    [4.0, "mom", "smile", "", ""],
                    [5.5, "", "look", "", "end"],
                    [6.0, "", "wave", "", ""],
                    [7.0, "", "look", "", ""],
                    [7.0, "", "look", "", ""],
                    [1.0, "", "smile", "", ""],
                ],
            }
        },
    }
    path = tmp_path / "p.boris"
    path.write_text(json.dumps(project))
    df, report = read_boris_project(path)
    assert canonical(df, ("comment", "behavioral_category")) == sorted(
        [
            ("obs A", "unknown", "No focal subject", "look", "start | end", "gaze", 1000, 3500),
            ("obs A", "unknown", "mom", "smile", "", "", 2000, -1),
        ]
    )
    text = "\n".join(report.lines())
    assert report.count("skipped") == 4  # wave (unknown), the zero-length pair, the negative smile
    assert "'wave', which the ethogram does not define" in text
    assert "zero-length" in text and "negative time" in text and "time offset 2 s" in text
    path.write_text("{}")
    with pytest.raises(InteropError, match="not a BORIS project"):
        read_boris_project(path)


@pytest.mark.parametrize("suffix", [".tsv", ".csv"])
def test_simulated_sessions_round_trip_through_boris_tabular(simulated, tmp_path, suffix):
    out = tmp_path / f"events{suffix}"
    report = write_boris_tabular(simulated, out)
    assert not [n for n in report.notes if n.kind == "lost"]
    back, read_report = read_foreign(out, "boris-tabular" if suffix == ".csv" else None)
    assert read_report.count("skipped") == 0
    assert canonical(back, ("modifiers", "comment")) == canonical(
        simulated, ("modifiers", "comment")
    )
    if suffix == ".csv":
        assert detect_format(out) == "boris-tabular"
    # independent look at the file: one row per point, two per state event
    table = pd.read_csv(
        out, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
    )
    n_state = int(simulated["offset_s"].notna().sum())
    assert Counter(table["Behavior type"]) == {
        "START": n_state,
        "STOP": n_state,
        "POINT": len(simulated) - n_state,
    }


def test_boris_tabular_reports_overlaps_and_lost_columns(tmp_path):
    df = pd.DataFrame(
        {
            "session": "s",
            "coder": "c",
            "tier": "t",
            "code": "x",
            "onset_s": [1.0, 2.0],
            "offset_s": [3.0, 4.0],
            "onset_frame": pd.array([30, 60], dtype="Int64"),
        }
    )
    report = write_boris_tabular(df, tmp_path / "o.tsv")
    kinds = Counter(n.kind for n in report.notes)
    assert kinds == {"lost": 2}
    assert any("onset_frame" in line for line in report.lines())


# --------------------------------------------------------------------------------------------
# Datavyu

# Datavyu "Export File" layout (per column: <column>.ordinal, .onset, .offset, then one field per
# code argument; columns side by side; unquoted header, quoted text, a trailing comma per line).
DATAVYU = """\
infant.ordinal,infant.onset,infant.offset,infant.look,infant.affect,mother.ordinal,mother.onset,mother.offset,mother.code01,
1,0,2350,"face","pos",1,00:00:01:200,00:00:01:200,"touch",
2,2350,5000,"toy","",2,00:00:03:050,00:01:04:500,"talk",
3,5000,5000,"<look>","neu",3,00:00:05:000,00:00:04:000,"soothe",
4,6000,7250,"face","neg",,,,,
"""


def test_datavyu_export(tmp_path):
    path = tmp_path / "dyad07.csv"
    path.write_text(DATAVYU)
    assert detect_format(path) == "datavyu"
    df, report = read_datavyu(path, coder="ra")
    assert canonical(df, ("modifiers",)) == sorted(
        [
            ("dyad07", "ra", "infant", "face", "affect=pos", 0, 2350),
            ("dyad07", "ra", "infant", "toy", "", 2350, 5000),
            ("dyad07", "ra", "infant", "face", "affect=neg", 6000, 7250),
            ("dyad07", "ra", "mother", "touch", "", 1200, -1),  # offset = onset: a point cell
            ("dyad07", "ra", "mother", "talk", "", 3050, 64500),
        ]
    )
    assert report.count("skipped", where="infant") == 1  # <look>: the code was never filled in
    assert report.count("skipped", where="mother") == 1  # ends before it starts
    write_events(df, tmp_path / "ours.csv")
    assert canonical(read_events(tmp_path / "ours.csv"), ("modifiers",)) == canonical(
        df, ("modifiers",)
    )


# --------------------------------------------------------------------------------------------
# GSEQ


def _parse_sdis(text: str):
    """A tiny independent SDIS timed-event parser: declaration sets, then sessions of
    ``code,on-off`` tokens closed by ``,end/``."""
    text = "\n".join(line.split("%")[0] for line in text.splitlines())
    declaration, _, data = text.partition(";")
    assert declaration.split()[0] == "Timed"
    set_of = {}
    for name, codes in re.findall(r"\(\$(\w+)\s*=\s*([^)]*)\)", declaration):
        for code in codes.split():
            assert code not in set_of, f"SDIS code {code} declared twice"
            set_of[code] = name
    sessions = []
    for block in data.split("/")[:-1]:
        label = re.search(r"<([^>]*)>", block).group(1)
        events, end = [], None
        for token in re.sub(r"<[^>]*>", " ", block).split():
            code, _, times = token.partition(",")
            if not code:
                end = float(times)
                continue
            on, off = times.split("-")
            events.append((code, float(on), float(off)))
        sessions.append((label, events, end))
    return set_of, sessions


def test_gseq_sdis_parses_back_to_the_same_events(simulated, scheme, tmp_path):
    out = tmp_path / "study.sds"
    report = write_foreign(simulated, out, scheme=scheme)  # .sds: the registry picks SDIS
    assert report.format == "sdis"
    set_of, sessions = _parse_sdis(out.read_text())
    # every tier and code of the scheme is declared, each code in its tier's set
    assert {set_of[c] for c in set_of} == set(scheme.tier_names)
    assert len(set_of) == sum(len(t.codes) for t in scheme.tiers)
    rows = []
    for label, events, end in sessions:
        session, coder = label.split()
        for code, on, off in events:
            tier = set_of[code]
            ours = code[len(tier) + 1 :] if code.startswith(tier + "_") else code
            is_point = not scheme.tier(tier).is_state
            if is_point:
                assert round((off - on) * 1000) == 1
            rows.append((session, coder, tier, ours, on, np.nan if is_point else off))
        assert end == max(off for _, _, off in events)
    parsed = pd.DataFrame(rows, columns=[*KEY, "onset_s", "offset_s"])
    assert canonical(parsed) == canonical(simulated)
    assert {label.split()[0] for label, _, _ in sessions} == {"s01", "s02"}
    text = "\n".join(report.lines())
    assert "lost" in text and "'modifiers'" in text and "'comment'" in text
    assert "infant_engagement/positive -> infant_engagement_positive" in text


# --------------------------------------------------------------------------------------------
# Mapping and the command


MAPPING = """\
[tiers]
"Mother gaze" = "caregiver_engagement"

[codes."Mother gaze"]
"looking" = "monitor"
"smile" = { tier = "caregiver_response", code = "imitate" }
"""


def test_mapping_renames_and_reports_unmapped(tmp_path, scheme):
    (tmp_path / "m.toml").write_text(MAPPING)
    mapping = load_mapping(tmp_path / "m.toml")
    foreign = pd.DataFrame(
        {
            "session": "s",
            "coder": "c",
            "tier": ["Mother gaze", "Mother gaze", "Mother gaze", "Baby", "Mother gaze"],
            "code": ["looking", "smile", "frown", "cry", "frown"],
            "onset_s": [0.0, 1.0, 2.0, 3.0, 4.0],
            "offset_s": [1.0, np.nan, 3.0, 4.0, 5.0],
        }
    )
    mapped, report = apply_mapping(foreign, mapping, scheme)
    assert mapped[["tier", "code"]].values.tolist() == [
        ["caregiver_engagement", "monitor"],
        ["caregiver_response", "imitate"],
        ["caregiver_engagement", "frown"],
        ["Baby", "cry"],
        ["caregiver_engagement", "frown"],
    ]
    assert sorted(report.unmapped) == [("Baby", "cry", 1), ("Mother gaze", "frown", 2)]
    assert len([n for n in report.notes if n.kind == "unmapped"]) == 2
    for bad, match in (
        ("[tiers]\nx = 3\n", "not a tier name"),
        ("[codes.x]\ny = { tier = 'a' }\n", "is not a code"),
        ("[other]\n", "unknown section"),
        ("= broken", "not valid TOML"),
    ):
        (tmp_path / "bad.toml").write_text(bad)
        with pytest.raises(MappingError, match=match):
            load_mapping(tmp_path / "bad.toml")


def test_convert_command(simulated, tmp_path):
    ours = tmp_path / "ours.csv"
    write_events(simulated, ours)
    r = run_cli("convert", str(ours), str(tmp_path / "elan"), "--to", "eaf")
    assert r.returncode == 0, r.stderr
    assert "lost: " in r.stderr and "'modifiers'" in r.stderr
    r = run_cli(
        "convert", str(tmp_path / "elan"), str(tmp_path / "back.csv"), "--scheme", "default"
    )
    assert r.returncode == 0, r.stderr
    assert canonical(read_events(tmp_path / "back.csv")) == canonical(simulated)

    # a foreign file with a mapping: unmapped codes one line each on stderr, problems, exit 1
    eaf = tmp_path / "foreign.eaf"
    foreign = pd.DataFrame(
        {
            "session": "f1",
            "coder": "ra",
            "tier": ["Mother gaze", "Mother gaze", "Mother gaze"],
            "code": ["looking", "frown", "yawn"],
            "onset_s": [0.0, 1.0, 2.0],
            "offset_s": [1.0, 2.0, 3.0],
        }
    )
    write_eaf(foreign, eaf)
    (tmp_path / "m.toml").write_text(MAPPING)
    r = run_cli(
        "convert", str(eaf), str(tmp_path / "f.csv"), "--map", str(tmp_path / "m.toml"),
        "--scheme", "default",
    )  # fmt: skip
    assert r.returncode == 1
    unmapped = [ln for ln in r.stderr.splitlines() if "unmapped" in ln]
    assert len(unmapped) == 2 and any("'frown'" in ln for ln in unmapped)
    assert "problem:" in r.stderr and "unknown code 'frown'" in r.stderr
    assert read_events(tmp_path / "f.csv")["code"].tolist() == ["monitor", "frown", "yawn"]

    r = run_cli("convert", str(ours), str(tmp_path / "x.txt"))
    assert r.returncode == 1 and "unknown extension" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("convert", str(ours), str(tmp_path / "x.boris"))
    assert r.returncode == 1 and "cannot write format 'boris'" in r.stderr


@needs_shared
def test_convert_real_files_to_ours(tmp_path):
    for name, n_min in (("elan_sample_3.0.eaf", 6000), ("boris_test.boris", 50)):
        out = tmp_path / f"{name}.csv"
        r = run_cli("convert", str(SHARED / name), str(out), "--coder", "ra1")
        assert r.returncode == 0, r.stderr
        back = read_events(out)
        assert len(back) >= n_min and (back["coder"] == "ra1").all()
        assert "skipped" in r.stderr


def test_boris_tabular_unpaired_rows_are_reported(tmp_path):
    path = tmp_path / "obs.tsv"
    rows = [
        ["Observation id", "visit 3"],
        ["Time offset (s)", "1.5"],
        [],
        ["Time", "Media file path", "Subject", "Behavior", "Modifier #1", "Comment", "Status"],
        ["2.0", "v.mp4", "infant", "cry", "loud", "", "START"],  # never stopped
        ["3.0", "v.mp4", "mother", "talk", "", "", "STOP"],  # never started
        ["4.0", "v.mp4", "mother", "talk", "", "hi", "START"],
        ["5.5", "v.mp4", "mother", "talk", "", "", "STOP"],
        ["6.0", "v.mp4", "", "bell", "", "", "POINT"],
    ]
    path.write_text("\n".join("\t".join(r) for r in rows) + "\n")
    df, report = read_boris_tabular(path, coder="ra")
    assert canonical(df, ("comment",)) == sorted(
        [
            ("visit 3", "ra", "mother", "talk", "hi", 2500, 4000),
            ("visit 3", "ra", NO_FOCAL_SUBJECT, "bell", "", 4500, -1),
        ]
    )
    assert "modifiers" not in df.columns  # only the skipped START had one
    text = "\n".join(report.lines())
    assert report.count("skipped") == 2
    assert "START(s) without a STOP at 0.500" in text and "STOP(s) without a START at 1.500" in text
    assert "time offset 1.5 s" in text


def test_gseq_without_scheme_declares_the_codes_found(tmp_path):
    events = pd.DataFrame(
        {
            "session": ["v1", "v1", "v1"],
            "coder": "ra",
            "tier": ["Mother gaze", "Mother gaze", "Baby"],
            "code": ["look away", "1st", "look away"],
            "onset_s": [0.0, 2.0, 1.5],
            "offset_s": [2.0, 3.25, np.nan],
        }
    )
    report = write_sdis(events, tmp_path / "f.sds")
    set_of, sessions = _parse_sdis((tmp_path / "f.sds").read_text())
    assert set_of == {
        "Mother_gaze_look_away": "Mother_gaze",
        "c_1st": "Mother_gaze",
        "Baby_look_away": "Baby",
    }
    assert sessions == [
        (
            "v1 ra",
            [
                ("Mother_gaze_look_away", 0.0, 2.0),
                ("Baby_look_away", 1.5, 1.501),
                ("c_1st", 2.0, 3.25),
            ],
            3.25,
        )
    ]
    assert report.count("renamed") == 3 and report.count("lost") == 0


def test_eaf_output_structure_follows_the_eaf_schema(simulated, scheme, tmp_path):
    """Element order of EAF 3.0's ANNOTATION_DOCUMENT sequence, sorted TIME_ORDER, resolvable
    references, and a controlled vocabulary per scheme tier (ELAN offers the codes)."""
    one = simulated[simulated["session"] == "s01"]
    write_eaf(one, tmp_path / "s01.eaf", scheme)
    root = ET.parse(tmp_path / "s01.eaf").getroot()
    sequence = [
        "HEADER",
        "TIME_ORDER",
        "TIER",
        "LINGUISTIC_TYPE",
        "LANGUAGE",
        "CONTROLLED_VOCABULARY",
    ]
    ranks = [sequence.index(child.tag) for child in root]
    assert ranks == sorted(ranks) and ranks[:2] == [0, 1]
    slots = [(s.get("TIME_SLOT_ID"), int(s.get("TIME_VALUE"))) for s in root.iter("TIME_SLOT")]
    assert [v for _, v in slots] == sorted(v for _, v in slots)
    ids = {sid for sid, _ in slots}
    anns = list(root.iter("ALIGNABLE_ANNOTATION"))
    assert len(anns) == len(one) and len({a.get("ANNOTATION_ID") for a in anns}) == len(one)
    assert all(a.get("TIME_SLOT_REF1") in ids and a.get("TIME_SLOT_REF2") in ids for a in anns)
    types = {lt.get("LINGUISTIC_TYPE_ID"): lt for lt in root.iter("LINGUISTIC_TYPE")}
    cvs = {
        cv.get("CV_ID"): [v.text for v in cv.iter("CVE_VALUE")]
        for cv in root.iter("CONTROLLED_VOCABULARY")
    }
    for tier in root.iter("TIER"):
        name = tier.get("TIER_ID").rsplit(" (", 1)[0]
        cv = types[tier.get("LINGUISTIC_TYPE_REF")].get("CONTROLLED_VOCABULARY_REF")
        assert cvs[cv] == list(scheme.tier(name).code_names)
    back, _ = read_eaf(tmp_path / "s01.eaf")
    assert canonical(back) == canonical(one)


_name = (
    st.text(alphabet=st.sampled_from(list("abcXYZ019 _-,;\"'|/é漢")), min_size=1, max_size=8)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def _tables(draw):
    """Small valid tables: per (session, coder, tier) either point events or touching/gapped,
    non-overlapping state events, on the millisecond grid; odd names and comments."""
    rows = []
    for session in draw(st.lists(_name, min_size=1, max_size=2, unique=True)):
        for coder in draw(st.lists(_name, min_size=1, max_size=2, unique=True)):
            for tier in draw(st.lists(_name, min_size=1, max_size=2, unique=True)):
                codes = draw(st.lists(_name, min_size=1, max_size=3, unique=True))
                steps = draw(st.lists(st.integers(0, 5000), min_size=1, max_size=6))
                if draw(st.booleans()):
                    t = np.cumsum(steps)
                    rows += [
                        (session, coder, tier, draw(st.sampled_from(codes)), x, None) for x in t
                    ]
                else:
                    t = 0
                    for step in steps:
                        gap = draw(st.sampled_from([0, 0, 250]))
                        code = draw(st.sampled_from(codes))
                        rows.append((session, coder, tier, code, t + gap, t + gap + step + 1))
                        t += gap + step + 1
    df = pd.DataFrame(rows, columns=[*KEY, "on", "off"])
    df["onset_s"] = df.pop("on") / 1000
    df["offset_s"] = df.pop("off").astype(float) / 1000
    df["comment"] = draw(
        st.lists(st.sampled_from(["", "ok", 'a, "b"\tc']), min_size=len(df), max_size=len(df))
    )
    return df


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=_tables())
def test_round_trips_hold_for_any_valid_table(table, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rt")
    write_eaf(table, folder / "elan")
    back, report = read_foreign(folder / "elan", "eaf")
    assert canonical(back) == canonical(table)
    assert report.count("skipped") == 0
    write_boris_tabular(table, folder / "b.tsv")
    back, report = read_boris_tabular(folder / "b.tsv")
    extra = ("comment",) if (table["comment"] != "").any() else ()
    assert canonical(back, extra) == canonical(table, extra)
    assert report.count("skipped") == 0


def test_convert_shows_the_first_problems_and_counts_the_rest(tmp_path):
    """A misnamed tier makes one problem per row; stderr must stay readable on a long file."""
    rows = ["session,coder,tier,code,onset_s,offset_s"]
    rows += [f"s1,ann,infant_bidd,smile,{k}.000," for k in range(40)]
    src = tmp_path / "ann.csv"
    src.write_text("\n".join(rows) + "\n")
    r = run_cli("convert", src, tmp_path / "out.csv", "--scheme", "default")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    shown = [ln for ln in r.stderr.splitlines() if "unknown tier 'infant_bidd'" in ln]
    assert len(shown) == 10 and "out.csv:2:" in shown[0]
    assert "30 more not shown" in r.stderr and "validate" in r.stderr
    assert "40 problem(s)" in r.stderr
    assert len(read_events(tmp_path / "out.csv")) == 40  # the output is still written
