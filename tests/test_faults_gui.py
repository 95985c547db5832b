# ruff: noqa: F811 - the test functions take the fixtures imported from test_gui
"""The app under faults: what the coder sees and can do (pytest-qt, the real window).

Disk full and a vanished folder come through the storage seam (:mod:`faultfs`); the second
window is a real second process. Oracles: the events the keys made (counted on screen) against
the events a reopened session recovers, and the CSV's bytes before the fault.
"""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

from faultfs import faults, one_sentence
from synchrony_coder.gui import faults as gui_faults
from synchrony_coder.gui.faults import offer_unsaved
from synchrony_coder.gui.main_window import MainWindow
from synchrony_coder.session import CodingSession, find_session, unsaved_elsewhere
from test_faults_session import holder, say
from test_gui import folder, key, open_in, video, window  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _quick_retry(monkeypatch):
    monkeypatch.setattr(gui_faults, "RETRY_MS", 20)


def codes(window) -> int:
    return len(window.document.session.events)


def test_a_full_disk_is_said_in_the_app_and_cleared_when_space_is_back(window, qtbot, folder):
    open_in(window, qtbot, folder)
    key(qtbot, window, Qt.Key.Key_Q)
    key(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = (folder / "coder_ann.csv").read_bytes()
    window.go_to("f20")
    with faults(under=folder, at=0, fault="ENOSPC", sticky=True):
        key(qtbot, window, Qt.Key.Key_Q)
        window.go_to("f30")
        key(qtbot, window, Qt.Key.Key_W)
        banner = window.faults
        qtbot.waitUntil(banner.isVisible)
        text = window.document.session.status.message
        assert one_sentence(text) and "is full" in text and "Export CSV" in text
        assert "your 2 unsaved edits are kept" in text and window.isWindowModified()
        key(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert "coder_ann.csv was not saved because the disk is full" in banner.text()
        assert (folder / "coder_ann.csv").read_bytes() == saved and codes(window) == 3
    qtbot.waitUntil(lambda: not banner.isVisible())  # space freed: written back by the retry
    assert "written back" in window.statusBar().currentMessage()
    key(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.isWindowModified()
    assert len(CodingSession.open(find_session(folder), "ann").events) == 3


def test_a_read_only_folder_opens_read_only_and_codes_into_a_copy(window, qtbot, folder, tmp_path):
    with faults(under=folder, at=0, fault="EACCES", sticky=True):
        open_in(window, qtbot, folder)
        banner = window.faults
        qtbot.waitUntil(banner.isVisible)
        assert "is not writable" in banner.text() and 'href="copy"' in banner.text()
        key(qtbot, window, Qt.Key.Key_Q)
        assert codes(window) == 0 and "read-only" in window.statusBar().currentMessage()
        key(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert "is open read-only" in banner.text() and not (folder / "coder_ann.csv").exists()
        banner.choose_folder = lambda: str(tmp_path / "mine")
        banner.linkActivated.emit("copy")
        qtbot.waitUntil(
            lambda: window.document is not None and not window.document.session.read_only
        )
    doc = window.document
    assert doc.session.path == tmp_path / "mine" / "s07" / "coder_ann.csv"
    window.activateWindow()
    key(qtbot, window, Qt.Key.Key_Q)
    assert codes(window) == 1 and not (folder / "coder_ann.csv").exists()


def test_a_second_window_opens_read_only_and_names_the_first(window, qtbot, folder):
    first = holder(folder)
    try:
        assert say(first) == "writable"
        open_in(window, qtbot, folder)
        qtbot.waitUntil(window.faults.isVisible)
        assert f"process {first.pid}" in window.faults.text() and " since " in window.faults.text()
    finally:
        first.kill()
        first.wait()


def test_closing_while_the_folder_is_away_keeps_the_edits_for_the_next_start(
    window, qtbot, folder, monkeypatch
):
    open_in(window, qtbot, folder)
    asked = []
    monkeypatch.setattr(gui_faults, "ask", lambda *a: asked.append(a[2]) or True)
    window.confirm_close = lambda: "save"
    with faults(under=folder, at=0, fault="ENOENT", sticky=True):
        key(qtbot, window, Qt.Key.Key_Q)
        qtbot.waitUntil(window.faults.isVisible)
        assert "cannot be reached" in window.faults.text()
        assert window.close_document()  # save fails; "close and keep them"
    assert "come back the next time" in asked[0]
    assert [u.changes for u in unsaved_elsewhere()] == [1]
    again = MainWindow()  # the next start, the folder back
    qtbot.addWidget(again)
    again.confirm_close = lambda: "discard"
    again.show()
    assert offer_unsaved(again)
    assert "1 unsaved edit(s) to s07 (coder ann)" in asked[1]
    qtbot.waitUntil(lambda: again.document is not None, timeout=20000)
    assert again.document.session.recovered == 1 and unsaved_elsewhere() == []
    qtbot.waitUntil(again.banner.isVisible)
    assert "kept on this computer" in again.banner.text()


def test_a_damaged_journal_is_said_when_the_session_opens(window, qtbot, folder):
    s = CodingSession.open(find_session(folder), "ann")
    from synchrony_coder.session import add_event

    for t in (0.4, 0.8, 1.2):
        s.apply(add_event(s.events, s.scheme, "infant_bid", "reach", t, int(t * 25)))
    del s
    journal = folder / "coder_ann.csv.journal"
    lines = journal.read_bytes().split(b"\n")
    lines[2] = b"\x00" * 40  # the second change is lost to a power cut
    journal.write_bytes(b"\n".join(lines))
    open_in(window, qtbot, folder)
    assert codes(window) == 2
    qtbot.waitUntil(window.banner.isVisible)
    assert "Recovered 2 unsaved edits" in window.banner.text()
    assert "2 events now differ from coder_ann.csv" in window.banner.text()
    assert "1 damaged line(s) were skipped" in window.banner.text()
