"""A coder's session against damaged journals, read-only and vanishing folders, a full disk and
a second program: nothing is lost, the session always opens, and the coder is told.

Oracles: the events a coder made are computed by applying the changes to a plain dict; a journal
cut by a power failure is checked at every byte against the complete records before the cut;
the lock against two real processes (one killed with SIGKILL); disk full, read-only disks and an
unmounted folder also for real (a small tmpfs, a read-only remount, a lazily unmounted bind mount)
where this test may mount (as root); elsewhere through the storage seam.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from faultfs import faults, one_sentence
from synchrony_coder import load_scheme
from synchrony_coder.session import (
    CodingSession,
    ReadOnlyError,
    SaveError,
    add_event,
    apply_change,
    delete_event,
    find_session,
    set_code,
    unsaved_elsewhere,
)
from synchrony_coder.session.fallback import fallback_path
from synchrony_coder.session.journal import journal_path, replay_journal
from synchrony_coder.session.workcopy import copy_session

SCHEME = load_scheme()


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "s09"
    d.mkdir()
    (d / "video.mp4").write_bytes(b"not decoded here")
    (d / "session.toml").write_text('session = "s09"\n[[videos]]\npath = "video.mp4"\n')
    return d


def open_session(folder: Path) -> CodingSession:
    return CodingSession.open(find_session(folder), "ann", SCHEME)


def shown(events) -> list:
    return sorted(getattr(events, "events", events).values(), key=repr)


def code(s: CodingSession, k: int) -> dict:
    """The coder adds their k-th event (at 1 + k/4 s); returns the events expected now."""
    s.apply(add_event(s.events, SCHEME, "infant_bid", "reach", 1.0 + k / 4, 25 + 6 * k))
    return dict(s.events)


def test_recovery_after_a_save_changes_the_events_the_coder_changed(folder):
    """Regression: ids are the session's, rows are the CSV's (sorted by time); the journal maps
    them. Before, a crash after 'add at 2 s, add at 1 s, save, delete the first' recovered by
    deleting the other event."""
    s = open_session(folder)
    s.apply(add_event(s.events, SCHEME, "infant_bid", "reach", 2.0, 50))
    s.apply(add_event(s.events, SCHEME, "infant_bid", "gaze", 1.0, 25))
    s.apply(add_event(s.events, SCHEME, "infant_bid", "reach", 3.0, 75))
    s.save()
    s.apply(delete_event(s.events, 0))  # the reach at 2 s, which is row 1 of the CSV
    s.apply(set_code(s.events, SCHEME, 2, "vocalize"))
    expected = dict(s.events)
    del s  # killed
    again = open_session(folder)
    assert sorted((e.code, e.onset_s) for e in again.events.values()) == [
        ("gaze", 1.0),
        ("vocalize", 3.0),
    ]
    assert dict(again.events) == expected and again.recovered == 2


# -- a damaged journal -------------------------------------------------------------------------
def journaled(folder: Path, n: int) -> tuple[list, bytes]:
    """A saved session with ``n`` unsaved changes; the changes and the journal's bytes."""
    s = open_session(folder)
    code(s, 0)
    s.save()
    changes = []
    s.subscribe(changes.append)
    for k in range(1, n + 1):
        code(s, k)
    s.apply(delete_event(s.events, 0))
    del s
    return changes, journal_path(folder / "coder_ann.csv").read_bytes()


def replayed(folder: Path, changes) -> list:
    """The events after replaying ``changes`` onto the saved CSV (oracle: apply_change)."""
    saved = {0: add_event({}, SCHEME, "infant_bid", "reach", 1.0, 25).rows[0][2]}
    for change in changes:
        saved = apply_change(saved, change)
    return shown(saved)


def test_a_power_cut_at_any_byte_keeps_every_complete_record(folder):
    changes, data = journaled(folder, 4)
    digest = hashlib.sha256((folder / "coder_ann.csv").read_bytes()).hexdigest()
    ends = [i + 1 for i, b in enumerate(data) if b == ord("\n")]  # line ends: header, records
    for cut in range(ends[0], len(data) + 1):  # the header is written whole (atomic rename)
        replay = replay_journal(data[:cut], digest)
        complete = sum(1 for e in ends[1:] if e <= cut)
        assert len(replay.changes) == complete, cut
        assert replay.torn == (cut not in ends), cut
        assert replay.damaged == replay.unmatched == 0 and not replay.foreign
    # and the session opens at a cut inside the last record, saying what it left out
    journal_path(folder / "coder_ann.csv").write_bytes(data[: ends[-1] - 9])
    s = open_session(folder)
    assert shown(s) == replayed(folder, changes[:-1])
    assert "incomplete and is left out" in " ".join(s.recovery_notes)


@pytest.mark.parametrize(
    "damage",
    ["garbage", "zeros", "bit flip", "two records glued"],
)
def test_damage_in_the_middle_keeps_every_intact_record(folder, damage):
    changes, data = journaled(folder, 4)
    lines = data.split(b"\n")
    bad = 2  # the second change record
    if damage == "garbage":
        lines[bad] = b"\x8f\x12 not a record {]"
    elif damage == "zeros":  # what a file system may leave after a power cut
        lines[bad] = b"\x00" * len(lines[bad])
    elif damage == "bit flip":  # valid JSON still: only the CRC tells
        lines[bad] = lines[bad].replace(b'"reach"', b'"reacH"')
    else:  # two writers appending at once
        lines[bad] = lines[bad][:30] + lines[bad + 1]
        del lines[bad + 1]
    journal_path(folder / "coder_ann.csv").write_bytes(b"\n".join(lines))
    s = open_session(folder)
    dropped = [bad - 1] if damage != "two records glued" else [bad - 1, bad]
    kept = [c for i, c in enumerate(changes) if i not in dropped]
    assert shown(s) == replayed(folder, kept)
    note = " ".join(s.recovery_notes)
    assert "damaged" in note and f"{len(dropped) - (damage == 'two records glued')}" in note
    aside = [p for p in folder.iterdir() if ".journal.damaged-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == b"\n".join(lines)  # kept as it was
    assert all(one_sentence(n) for n in s.recovery_notes)
    # the journal is whole again: the next crash recovers exactly what is shown
    code(s, 9)
    expected = shown(s)
    del s
    assert shown(open_session(folder)) == expected


def _line(obj: dict) -> bytes:
    body = json.dumps(obj, separators=(",", ":")).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def test_a_journal_of_another_version_is_read_as_far_as_it_goes(folder):
    changes, data = journaled(folder, 3)
    lines = data.split(b"\n")
    header = replay_journal(data, "").header
    newer = [_line({**header, "version": 3})]
    newer += [ln + b"\n" for ln in lines[1:-1]]
    newer.insert(2, _line({"base": header["base"][:16], "bookmark": {"t": 1.5}}))  # unknown
    journal_path(folder / "coder_ann.csv").write_bytes(b"".join(newer))
    s = open_session(folder)
    assert shown(s) == replayed(folder, changes)
    note = " ".join(s.recovery_notes)
    assert "newer synchrony-coder (journal version 3)" in note and "1 damaged line" in note


def test_a_version_1_journal_still_recovers(folder):
    """The journal of the previous release: plain JSON lines, a header naming the CSV."""
    s = open_session(folder)
    code(s, 0)
    s.save()
    s.close()
    csv = folder / "coder_ann.csv"
    base = hashlib.sha256(csv.read_bytes()).hexdigest()
    v1 = [{"format": "synchrony-coder journal", "version": 1, "base": base}]
    ev = {"tier": "infant_bid", "code": "gaze", "onset_s": 3.0, "offset_s": None,
          "onset_frame": 75, "offset_frame": None, "extras": []}  # fmt: skip
    v1.append({"label": "add", "rows": [[1, ev]]})
    v1.append({"label": "delete", "rows": [[0, None]]})
    journal_path(csv).write_text("".join(json.dumps(r) + "\n" for r in v1))
    again = open_session(folder)
    assert [(e.code, e.onset_s) for e in again.events.values()] == [("gaze", 3.0)]
    assert again.recovered == 2 and again.recovery_notes == ()


@pytest.mark.parametrize("what", ["header garbage", "not a journal", "changed outside"])
def test_a_journal_that_cannot_be_applied_is_kept_and_said(folder, what):
    changes, data = journaled(folder, 2)
    csv = folder / "coder_ann.csv"
    if what == "header garbage":
        data = b"\x00\x01garbage\n" + data.split(b"\n", 1)[1]
    elif what == "not a journal":
        data = bytes(range(256)) * 4
    else:  # another program rewrote the CSV since: the changes continue another file
        csv.write_text(csv.read_text().replace("reach", "gaze"))
    journal_path(csv).write_bytes(data)
    s = open_session(folder)  # never refuses
    assert s.recovered == 0 and [e.code for e in s.events.values()] == [
        "gaze" if what == "changed outside" else "reach"
    ]
    note = " ".join(s.recovery_notes)
    assert "kept as coder_ann.csv.journal.damaged-" in note, note
    aside = [p for p in folder.iterdir() if ".journal.damaged-" in p.name]
    assert aside and aside[0].read_bytes() == data


# -- folders that cannot be written ------------------------------------------------------------
def test_a_read_only_folder_opens_read_only_and_codes_into_a_copy(folder, tmp_path):
    s = open_session(folder)
    expected = code(s, 0)
    s.save()
    s.close()
    before = sorted(p.name for p in folder.iterdir())
    with faults(under=folder, at=0, fault="EACCES", sticky=True) as o:
        ro = open_session(folder)
        assert ro.read_only and one_sentence(ro.read_only)
        assert f"{folder} is not writable" in ro.read_only and "Code into a copy" in ro.read_only
        with pytest.raises(ReadOnlyError, match="read-only"):
            ro.apply(add_event(ro.events, SCHEME, "infant_bid", "gaze", 3.0, 75))
        with pytest.raises(ReadOnlyError):
            ro.save()
        assert dict(ro.events) == expected
        ro.close()
    assert [op for op, _ in o.calls] == ["open"]  # the lock it could not create; nothing else
    assert sorted(p.name for p in folder.iterdir()) == before
    copy = copy_session(ro.spec, tmp_path / "mine", "ann", ro.frame().reset_index(drop=True))
    mine = open_session(copy)
    assert not mine.read_only and shown(mine) == shown(expected)
    assert mine.spec.videos[0].path == (folder / "video.mp4").resolve()
    code(mine, 1)
    mine.save()
    assert (folder / "coder_ann.csv").read_bytes() != (copy / "coder_ann.csv").read_bytes()


def gone(folder: Path):
    """The folder's network drive is unmounted: every file operation in it fails (ENOENT)."""
    return faults(under=folder, at=0, fault="ENOENT", sticky=True)


def test_a_vanished_folder_keeps_edits_here_and_writes_them_back(folder):
    s = open_session(folder)
    code(s, 0)
    s.save()
    saved = (folder / "coder_ann.csv").read_bytes()
    with gone(folder):
        for k in range(1, 4):
            expected = code(s, k)
        assert s.status.where == "fallback" and s.status.kind == "unreachable"
        assert one_sentence(s.status.message) and "cannot be reached" in s.status.message
        assert "your 3 unsaved edits are kept" in s.status.message
        with pytest.raises(SaveError, match="was not saved") as err:
            s.save()
        assert one_sentence(str(err.value))
        assert not s.retry()  # still away
    kept = fallback_path(s.path)
    assert kept.exists() and (folder / "coder_ann.csv").read_bytes() == saved
    assert s.retry()  # the folder is back: written back beside the CSV
    assert s.status.message == "" and not kept.exists()
    del s  # killed now: the journal has it all
    assert shown(open_session(folder)) == shown(expected)


def test_edits_kept_here_when_the_app_closed_are_offered_and_recovered(folder):
    s = open_session(folder)
    code(s, 0)
    s.save()
    with gone(folder):
        code(s, 1)
        expected = code(s, 2)
        s.close()  # the coder quits while the folder is away
    [offer] = unsaved_elsewhere()
    assert (offer.session, offer.coder, offer.changes) == ("s09", "ann", 2)
    assert Path(offer.opener) == folder
    again = open_session(folder)  # the folder is back
    assert shown(again) == shown(expected) and again.recovered == 2
    assert "kept on this computer" in " ".join(again.recovery_notes)
    assert unsaved_elsewhere() == [] and not fallback_path(again.path).exists()


@pytest.mark.parametrize("back", ["while open", "after closing"])
def test_an_empty_folder_left_where_the_drive_was_is_not_saved_into(folder, tmp_path, back):
    """A drive unmounted lazily leaves its mount point behind: an empty folder of the same name.

    Regression: the CSV was "saved" into it (the coder told so), the journal started afresh there,
    and the edits made after that were lost when the drive came back over it.
    """
    s = open_session(folder)
    code(s, 0)
    s.save()
    drive = tmp_path / "drive"
    folder.rename(drive)
    folder.mkdir()  # the mount point without its drive
    code(s, 1)
    with pytest.raises(SaveError, match="cannot be reached") as err:
        s.save()
    assert one_sentence(str(err.value))
    assert s.status.where == "fallback" and s.status.kind == "unreachable"
    expected = code(s, 2)
    assert not s.retry() and list(folder.iterdir()) == []
    if back == "after closing":
        s.close()
    folder.rmdir()
    drive.rename(folder)  # the drive is back
    if back == "while open":
        assert s.retry() and s.status.message == ""
        s.save()
        del s
    assert shown(open_session(folder)) == shown(expected)


def test_a_file_changed_while_away_is_not_overwritten(folder):
    s = open_session(folder)
    code(s, 0)
    s.save()
    with gone(folder):
        expected = code(s, 1)
    csv = folder / "coder_ann.csv"
    theirs = csv.read_text().replace("reach", "gaze")
    csv.write_text(theirs)  # another program (a sync client, a colleague) wrote it meanwhile
    assert not s.retry()
    assert s.status.kind == "changed" and "changed by another program" in s.status.message
    assert csv.read_text() == theirs
    s.close()
    again = open_session(folder)
    assert [e.code for e in again.events.values()] == ["gaze"]
    note = " ".join(again.recovery_notes)
    assert "no longer fit" in note
    rescued = Path(note.split(" are in ")[1].split(" (File")[0])
    rescue = open_session_events(rescued)
    assert rescue == shown(expected)


def open_session_events(path: Path) -> list:
    from synchrony_coder import read_events
    from synchrony_coder.session import events_from_frame

    return shown(events_from_frame(read_events(path, SCHEME)))


# -- the lock, with real processes -------------------------------------------------------------
HOLDER = textwrap.dedent(
    """
    import sys
    from synchrony_coder.session import CodingSession, add_event, find_session
    s = CodingSession.open(find_session(sys.argv[1]), "ann")
    if "edit" in sys.argv and not s.read_only:
        s.apply(add_event(s.events, s.scheme, "infant_bid", "reach", 1.0, 25))
    sys.stdin.readline()  # wait for "go" (or hold the session until killed)
    if "race" in sys.argv:
        s = CodingSession.open(find_session(sys.argv[1]), "ann")
    print("read-only" if s.read_only else "writable", flush=True)
    sys.stdin.readline()
    """
)


def holder(folder: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def say(proc: subprocess.Popen, line: str = "go") -> str:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def test_a_second_program_opens_read_only_and_a_dead_ones_lock_is_taken_over(folder):
    first = holder(folder, "edit")
    try:
        assert say(first) == "writable"
        second = open_session(folder)
        assert second.read_only and one_sentence(second.read_only)
        assert f"process {first.pid}" in second.read_only and " since " in second.read_only
        assert "being coded elsewhere" in second.read_only
        assert len(second.events) == 1  # it shows the other's edits, as far as journaled
        second.close()
    finally:
        first.kill()  # SIGKILL: no clean-up, the lock file stays
        first.wait()
    assert (folder / "coder_ann.csv.lock").exists()
    third = open_session(folder)
    assert not third.read_only and third.recovered == 1
    third.close()


def test_two_programs_finding_a_stale_lock_cannot_both_take_it(folder):
    dead = holder(folder)
    assert say(dead) == "writable"
    dead.kill()
    dead.wait()
    racers = [holder(folder, "race") for _ in range(2)]
    for r in racers:
        r.stdin.write("go\n")
        r.stdin.flush()
    got = sorted(r.stdout.readline().strip() for r in racers)
    for r in racers:
        r.kill()
        r.wait()
    assert got == ["read-only", "writable"]


def test_an_older_programs_lock_is_honoured_while_its_process_lives(folder):
    sleeper = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                               stdin=subprocess.PIPE)  # fmt: skip
    lock = folder / "coder_ann.csv.lock"
    try:
        lock.write_text(f"{sleeper.pid}\n")  # the format of the previous release
        s = open_session(folder)
        assert s.read_only and f"process {sleeper.pid}" in s.read_only
    finally:
        sleeper.kill()
        sleeper.wait()
    s = open_session(folder)  # the process is gone: taken over
    assert not s.read_only
    s.close()
    assert not lock.exists()


# -- real disks (where this test may mount file systems) ---------------------------------------
def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs: a disk that fills up for real."""
    point = tmp_path / "disk"
    point.mkdir()
    if (
        os.geteuid() != 0
        or not shutil.which("mount")
        or not _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(point))
    ):
        pytest.skip("needs root to mount a small file system")
    yield point
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _session_in(root: Path) -> Path:
    d = root / "s09"
    d.mkdir()
    (d / "video.mp4").write_bytes(b"x")
    (d / "session.toml").write_text('session = "s09"\n[[videos]]\npath = "video.mp4"\n')
    return d


def test_a_really_full_disk(small_disk):
    folder = _session_in(small_disk)
    s = open_session(folder)
    code(s, 0)
    s.save()
    saved = (folder / "coder_ann.csv").read_bytes()
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk to the last byte
        while os.write(fd, b"\0" * 512):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    expected = {}
    for k in range(1, 40):  # until the journal's last block is full too
        expected = code(s, k)
        if s.status.where != "journal":
            break
    assert s.status.kind == "full" and "is full" in s.status.message
    with pytest.raises(SaveError, match="not saved because the disk is full"):
        s.save()
    assert (folder / "coder_ann.csv").read_bytes() == saved
    filler.unlink()  # space freed
    assert s.retry() and s.status.message == ""
    s.save()
    del s
    assert shown(open_session(folder)) == shown(expected)


def test_a_really_read_only_disk(small_disk):
    folder = _session_in(small_disk)
    s = open_session(folder)
    code(s, 0)
    s.save()
    s.close()
    if not _mount("-o", "remount,ro", str(small_disk)):
        pytest.skip("cannot remount read-only here")
    ro = open_session(folder)
    assert ro.read_only and "is on a read-only disk" in ro.read_only and len(ro.events) == 1


def test_a_really_unmounted_folder_comes_back(tmp_path):
    real = tmp_path / "server"
    real.mkdir()
    folder = _session_in(real)
    point = tmp_path / "mnt"
    point.mkdir()
    if os.geteuid() != 0 or not _mount("--bind", str(real), str(point)):
        pytest.skip("needs root to bind-mount a folder")
    try:
        s = open_session(point / "s09")
        code(s, 0)
        s.save()
        subprocess.run(["umount", "-l", str(point)], check=True)  # the drive goes away
        expected = code(s, 1)
        expected = code(s, 2)
        with pytest.raises(SaveError, match="cannot be reached"):
            s.save()
        assert _mount("--bind", str(real), str(point))  # and comes back
        assert s.retry()
        s.save()
        assert shown(open_session(point / "s09")) == shown(expected)
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)
    assert folder.exists()
