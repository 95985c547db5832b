# ruff: noqa: F811 - the tests take the fixtures imported from test_gui
"""Editing the events table through its real delegates (pytest-qt), and an error in a Qt virtual
that must not abort the app (a child process, since pytest-qt catches such errors itself)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QLineEdit

from test_gui import FPS, _coded, folder, open_in, video, window  # noqa: F401 - fixtures


def _type_into_cell(qtbot, table, row: int, column: int, text: str) -> None:
    """Open the cell's editor as F2 does, type ``text`` over its contents and press Enter."""
    index = table.model().index(row, column)
    table.setCurrentIndex(index)
    table.edit(index)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != table.State.EditingState)


def test_an_onset_typed_in_the_table_moves_the_event(window, qtbot, folder):
    """Seconds and both timecode forms are accepted and snap to the frame shown at that time
    (oracle: frame = round(t · fps) of the constant-rate test video); a bad text changes nothing
    and the status bar says why."""
    _coded(folder)
    doc = open_in(window, qtbot, folder)
    table = window.events_table
    event_id = next(i for i, ev in doc.session.events.items() if ev.tier == "infant_bid")
    for text, seconds in (("1.01", 1.0), ("0:00.6", 0.6), ("00:00:02.200", 2.2)):
        _type_into_cell(qtbot, table, table.row_of(event_id), 2, text)
        ev = doc.session.events[event_id]
        assert (ev.onset_s, ev.onset_frame) == (seconds, round(seconds * FPS)), text
    before = doc.session.events[event_id]
    steps = doc.undo_stack.count()
    _type_into_cell(qtbot, table, table.row_of(event_id), 2, "six")
    assert doc.session.events[event_id] == before and doc.undo_stack.count() == steps
    assert "neither a frame number" in window.statusBar().currentMessage()
    # a state's offset, through the same delegate
    state = next(i for i, ev in doc.session.events.items() if ev.code == "object")
    _type_into_cell(qtbot, table, table.row_of(state), 3, "0:01.2")
    assert doc.session.events[state].offset_frame == 30


def test_an_error_in_a_qt_virtual_is_reported_not_an_abort(tmp_path):
    """Before ``make_app`` replaced ``sys.excepthook``, PyQt aborted the app (SIGABRT) on an
    exception raised in a delegate's ``setEditorData``; now it is printed and the app goes on."""
    script = textwrap.dedent(
        """
        from PyQt6.QtCore import QTimer
        from PyQt6.QtWidgets import QMainWindow, QStyledItemDelegate, QTableWidget
        from PyQt6.QtWidgets import QTableWidgetItem
        from synchrony_coder.gui.app import make_app

        class Broken(QStyledItemDelegate):
            def setEditorData(self, editor, index):
                raise AttributeError("no setText here")

        app = make_app()
        window = QMainWindow()
        table = QTableWidget(1, 1)
        table.setItem(0, 0, QTableWidgetItem("1.5"))
        table.setItemDelegate(Broken(table))
        window.setCentralWidget(table)
        window.show()
        table.edit(table.model().index(0, 0))
        app.processEvents()
        print("status:", window.statusBar().currentMessage())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    assert "no setText here" in done.stderr
    assert "status: An error in the app stopped that action" in done.stdout
