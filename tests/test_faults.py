"""Every file operation of the session's writers fails in turn, as SQLite tests its I/O.

Through the storage seam (:mod:`faultfs`), each operation a session performs while a coder edits,
saves, opens and closes (open, write, fsync, close, replace, unlink, truncate) fails in turn with
ENOSPC, EACCES, EIO (once, or from then on: a disk that stays full, a folder that stays away), a
short write, or a crash (the process killed there: nothing afterwards reaches the disk, clean-up
code included). After each:

- nothing previously saved is damaged: the CSV is, byte for byte, the one saved before or the
  complete new one, and no temporary file is left;
- no edit is lost: the session shows every edit, and a session reopened from disk right after
  (the process killed at once) shows them too, the edit being made when the fault hit included
  unless the process was killed before its journal record was complete;
- the coder is told in one plain sentence what happened and what to do, whenever the edits are
  not where they normally are or the save did not happen.

Oracles: the edits' effect is computed by applying the changes to a plain dict (never read back
from the program's files); files are compared with their bytes before the fault. The session
folders live on tmpfs when there is one (fsync costs nothing there; the logic under test does not
depend on the file system); the real-disk cases are in test_faults_session.py.

``SYNCHRONY_FAULT_MATRIX=docs/fault-matrix.md pytest tests/test_faults.py tests/test_faults_cli.py``
writes the fault matrix (operation × fault → what happened) of these runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faultfs import ERRNOS, FAULTS, Crash, applies, faults, one_sentence, temp_files
from matrix import record
from synchrony_coder import load_scheme
from synchrony_coder.events import format_events
from synchrony_coder.session import (
    CodingSession,
    SaveError,
    add_event,
    apply_change,
    delete_event,
    events_to_frame,
    find_session,
    move_onset,
)

SCHEME = load_scheme()
CAUSE = {"ENOSPC": "full", "EACCES": "writable", "EIO": "error"}


def coder_edit(k: int, events):
    """The coder's k-th edit (deterministic). Edit 3 deletes the first event added, which is not
    the first row of the CSV saved after edit 2: recovery must map rows to ids."""
    if k < 3:
        code, t = [("reach", 2.0), ("gaze", 1.0), ("vocalize", 3.0)][k]
        return add_event(events, SCHEME, "infant_bid", code, t, int(t * 25))
    if k == 3:
        return delete_event(events, 0)
    if k == 4:
        return move_onset(events, SCHEME, 2, 2.5, 62)
    return add_event(events, SCHEME, "caregiver_response", "touch", 0.5 + k, 12 + 25 * k)


def open_session(folder: Path) -> CodingSession:
    return CodingSession.open(find_session(folder), "ann", SCHEME)


def shown(session_or_events) -> list:
    """The events as a coder sees them (ids are the session's own business)."""
    events = getattr(session_or_events, "events", session_or_events)
    return sorted(events.values(), key=repr)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A session saved after three edits, with two more unsaved (in its journal); the events."""
    folder = tmp_path_factory.mktemp("template") / "s09"
    folder.mkdir()
    (folder / "video.mp4").write_bytes(b"not decoded here")
    (folder / "session.toml").write_text('session = "s09"\n[[videos]]\npath = "video.mp4"\n')
    s = open_session(folder)
    expected: dict = {}
    for k in range(5):
        change = coder_edit(k, s.events)
        s.apply(change)
        expected = apply_change(expected, change)
        if k == 2:
            s.save()
    s.close()
    assert dict(open_session(folder).events) == expected  # reopened, with the ids it had
    frame = events_to_frame(expected, "s09", "ann").reset_index(drop=True)
    return folder, expected, format_events(frame).encode()  # and the CSV a save writes


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A folder on tmpfs if there is one (and the app's data folder in it)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > 64 << 20:
        root = shm / f"synchrony-faults-{tmp_path.name}-{id(tmp_path)}"
        root.mkdir()
    else:
        root = tmp_path / "scratch"
        root.mkdir()
    monkeypatch.setenv("SYNCHRONY_CODER_DATA", str(root / "app-data"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


# -- what a coder does, one at a time under faults ---------------------------------------------
def _edit(folder, session):
    change = coder_edit(5, session.events)
    return session, change


SCENARIOS = ("edit", "save", "open", "close clean", "close unsaved")


def prepare(scenario: str, folder: Path) -> CodingSession | None:
    if scenario == "open":
        return None
    s = open_session(folder)
    if scenario == "close clean":
        s.save()
    return s


def act(scenario: str, folder: Path, s: CodingSession | None) -> CodingSession | None:
    if scenario == "edit":
        s.apply(coder_edit(5, s.events))
    elif scenario == "save":
        s.save()
    elif scenario == "open":
        s = open_session(folder)
    else:
        s.close()
    return s


def fresh(template, scratch: Path, n: int) -> Path:
    folder = scratch / f"run{n}" / "s09"
    shutil.copytree(template[0], folder)
    return folder


def steps_of(scenario: str, template, scratch: Path) -> list[tuple[str, str]]:
    folder = fresh(template, scratch, 0)
    s = prepare(scenario, folder)
    with faults(under=folder) as o:
        act(scenario, folder, s)
    return o.calls


def run_one(scenario, template, scratch, n, at, fault, sticky) -> str:
    """One fault at step ``at`` of ``scenario``; checks the promises; returns the outcome."""
    expected = template[1]
    after = apply_change(expected, coder_edit(5, expected)) if scenario == "edit" else expected
    folder = fresh(template, scratch, n)
    s = prepare(scenario, folder)
    old_csv = (folder / "coder_ann.csv").read_bytes()
    allowed_csv = {old_csv, template[2]}
    raised = None
    with faults(under=folder, at=at, fault=fault, sticky=sticky) as o:
        try:
            s = act(scenario, folder, s)
        except Crash:
            s = None
        except SaveError as exc:
            raised = exc
    where = f"{scenario}: {fault}{' from' if sticky else ' at'} step {at} ({o.fired})"
    assert o.fired is not None, where
    assert (folder / "coder_ann.csv").read_bytes() in allowed_csv, where
    if fault == "crash":
        assert s is None, where
        again = open_session(folder)  # the next run of the program
        assert shown(again) in (shown(expected), shown(after)), where
        assert (folder / "coder_ann.csv").read_bytes() in allowed_csv, where
        assert temp_files(folder) == [], where
        assert not any("damaged" in n for n in again.recovery_notes), (where, again.recovery_notes)
        again.close()
        return "killed here: reopened with every edit made before"
    if not sticky:  # (a disk that keeps failing may refuse to delete a temporary file too)
        assert temp_files(folder) == [], where
    told = str(raised) if raised else ""
    if s is not None and not raised:
        told = s.read_only or s.status.message
        if not scenario.startswith("close"):
            assert shown(s) == shown(after), where  # nothing lost from the screen
    if fault == "short":
        assert not told, where
        outcome = "completed: the rest of the write was written"
    elif raised:
        if "was not saved" in told:
            assert (folder / "coder_ann.csv").read_bytes() == old_csv, where
            outcome = "save refused, CSV unchanged, edits kept; told"
        else:  # the new CSV is in place but its folder's sync failed: the journal stays whole
            assert "was written, but" in told, (where, told)
            outcome = "CSV written but not synced: journal kept whole; told"
    elif s is not None and s.read_only:
        outcome = "opened read-only; told"
    elif s is not None and s.status.where != "journal" and not scenario.startswith("close"):
        outcome = f"edits kept in a backup journal ({s.status.where}); told"
    elif scenario.startswith("close"):
        outcome = "closed; a leftover file is harmless"
    else:
        outcome = "done anyway (a failed step retried, or one that is not needed)"
    if told:
        assert one_sentence(told), (where, told)
        assert CAUSE[fault] in told, (where, told)
    elif sticky and scenario in ("edit", "save") and o.fired[0] in ("write", "open"):
        # the fault stays: edits that are not in the journal must have been announced
        assert s.status.where == "journal", where
    # the process is killed right now: every edit is on disk somewhere
    del s
    again = open_session(folder)
    assert shown(again) == shown(after), (where, again.recovery_notes)
    assert temp_files(folder) == [], where
    again.close()
    return outcome


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_operation_fails_in_turn(scenario, template, scratch):
    calls = steps_of(scenario, template, scratch)
    assert calls, "the scenario writes nothing?"
    n = 1
    for at, (op, _path) in enumerate(calls):
        for fault in FAULTS:
            if not applies(op, fault):
                continue
            for sticky in (False, True) if fault in ERRNOS else (False,):
                outcome = run_one(scenario, template, scratch, n, at, fault, sticky)
                record(op, fault, f"{scenario}: {outcome}")
                n += 1
