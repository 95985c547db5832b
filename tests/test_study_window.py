"""The study list (File ▸ Open study), driven with pytest-qt on a generated study."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import Qt

from studygen import IN_PROGRESS, NOT_CODED, make_study
from synchrony_coder.gui.main_window import MainWindow
from synchrony_coder.gui.study_window import StudyWindow, show_study


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("study"))


@pytest.fixture
def windows(qtbot, lab) -> tuple[MainWindow, StudyWindow]:
    main = MainWindow()
    main.confirm_close = lambda: "discard"  # no modal question when pytest-qt closes it
    qtbot.addWidget(main)
    assert main.actions["open_study"].isEnabled()  # no session needed
    assert "Open stud&y…" in [a.text() for a in main.menuBar().actions()[0].menu().actions()]
    window = show_study(main, lab)
    qtbot.waitExposed(window)
    yield main, window
    window.close()
    if main.document is not None:
        main.document.session.close(discard=True)
        main.document = None


def _column(window: StudyWindow, name: str) -> int:
    return window.model.headers.index(name)


def _sessions(window: StudyWindow) -> list[str]:
    proxy = window.proxy
    return [proxy.data(proxy.index(r, 0)).split(" ")[0] for r in range(proxy.rowCount())]


def _cell(window: StudyWindow, session: str, name: str):
    for r in range(window.proxy.rowCount()):
        if window.proxy.data(window.proxy.index(r, 0)).startswith(session):
            return window.proxy.index(r, _column(window, name))
    raise AssertionError(f"{session} is not shown")


def test_the_list_shows_each_coders_progress_and_filters(qtbot, windows):
    _, window = windows
    assert _sessions(window) == sorted(_sessions(window)) and len(_sessions(window)) == 10
    assert window.proxy.data(_cell(window, IN_PROGRESS, "cat")) == "in progress 67%"
    assert window.proxy.data(_cell(window, "d01_1", "duration")) == "1:00"
    assert window.proxy.data(_cell(window, NOT_CODED, "notes")) == "not coded yet"
    qtbot.keyClicks(window.filter_text, "d04")
    assert _sessions(window) == ["d04_1", "d04_2"]
    window.filter_text.clear()
    window.need.setCurrentText("Needs consensus")
    waiting = [
        s for s in _sessions(window) if window.proxy.data(_cell(window, s, "consensus")) != "done"
    ]
    assert waiting == _sessions(window) and len(waiting) == 1
    window.need.setCurrentText("Needs coding")
    assert _sessions(window) == [IN_PROGRESS, NOT_CODED]
    window.need.setCurrentText("All sessions")
    header = window.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + _header_pos(window, "cat"))  # fmt: skip
    shown = [window.proxy.data(_cell(window, s, "cat")) for s in _sessions(window)]
    ranks = {"": 0, "in progress 67%": 1, "done": 2}
    assert [ranks[v] for v in shown] in (sorted(ranks[v] for v in shown),
                                         sorted((ranks[v] for v in shown), reverse=True))  # fmt: skip


def _header_pos(window: StudyWindow, name: str):
    from PyQt6.QtCore import QPoint

    header = window.table.horizontalHeader()
    col = _column(window, name)
    return QPoint(header.sectionViewportPosition(col) + header.sectionSize(col) // 2, 5)


def _click(qtbot, window: StudyWindow, index, double: bool = False) -> None:
    rect = window.table.visualRect(index)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    if double:
        qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_mark_as_done_writes_the_plain_file_and_can_be_undone(qtbot, windows, lab):
    _, window = windows
    mark = lab / IN_PROGRESS / "coder_cat.done"
    assert not mark.exists()
    _click(qtbot, window, _cell(window, IN_PROGRESS, "cat"))
    assert window.mark_button.isEnabled() and window.mark_button.text() == "Mark as done (cat)"
    qtbot.mouseClick(window.mark_button, Qt.MouseButton.LeftButton)
    assert mark.exists() and window.proxy.data(_cell(window, IN_PROGRESS, "cat")) == "done"
    assert window.mark_button.text() == "Mark as not done (cat)"
    qtbot.mouseClick(window.mark_button, Qt.MouseButton.LeftButton)
    assert not mark.exists()
    assert window.proxy.data(_cell(window, IN_PROGRESS, "cat")) == "in progress 67%"


def test_double_click_opens_the_session_as_that_coder(qtbot, windows, lab):
    main, window = windows
    _click(qtbot, window, _cell(window, "d01_1", "ann"), double=True)
    qtbot.waitUntil(lambda: main.document is not None, timeout=20000)
    session = main.document.session
    assert session.coder == "ann" and session.spec.folder == (lab / "d01_1").resolve()
    assert len(session.events) == (lab / "d01_1" / "coder_ann.csv").read_text().count("\n") - 1


def test_make_consensus_opens_a_double_coded_session_in_consensus_mode(qtbot, windows, lab):
    from synchrony_coder.gui.consensus_mode import ConsensusMode
    from synchrony_coder.study import disagreements

    main, window = windows
    window.need.setCurrentText("Needs consensus")
    (session,) = _sessions(window)
    coded = sorted(
        p.name[len("coder_") : -len(".csv")] for p in (lab / session).glob("coder_*.csv")
    )
    _click(qtbot, window, window.proxy.index(0, 0))
    button = window.consensus_button
    # "&" in a button's text marks a shortcut letter ("ann _ben"); "&&" shows one "&"
    assert button.isEnabled() and button.text() == f"Make consensus ({' && '.join(coded)})…"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: main.document is not None and bool(main.document.findChild(ConsensusMode)),
        timeout=20000,
    )
    mode = main.document.findChild(ConsensusMode)
    assert main.document.session.coder == "consensus" and mode.names == tuple(coded)
    assert len(mode.spans) == len(disagreements(mode.table("A"), mode.table("B")))
    assert f"0 of {len(mode.spans)} decided" in mode.bar.progress_text.text()
    window.need.setCurrentText("All sessions")
    _click(qtbot, window, _cell(window, NOT_CODED, "ann"))  # not double-coded: nothing to do
    assert not button.isEnabled()


def _widest(window: StudyWindow, column: int) -> int:
    """The widest text of a column over every session, shown or filtered out."""
    model, metrics = window.model, window.table.fontMetrics()
    return max(
        metrics.horizontalAdvance(str(model.data(model.index(r, column)) or ""))
        for r in range(model.rowCount())
    )


def test_after_mark_as_done_and_refresh_summary_widths_and_selection_hold(qtbot, windows, lab):
    """The summary line counts the new done file at once (oracle: the line a fresh read of the
    files gives); columns stay as wide as their widest text over all sessions, whatever the
    filter shows; Refresh keeps the selected cell."""
    _, window = windows
    _click(qtbot, window, _cell(window, IN_PROGRESS, "cat"))
    before = window.summary.text()
    qtbot.mouseClick(window.mark_button, Qt.MouseButton.LeftButton)
    try:
        after = window.summary.text()
        assert after != before
        fresh = StudyWindow(window.study, lambda *_a: None)
        qtbot.addWidget(fresh)
        assert after == fresh.summary.text()
        cell = (IN_PROGRESS, "cat")
        window.table.setCurrentIndex(_cell(window, *cell))
        (refresh,) = [b for b in window.findChildren(type(window.mark_button))
                      if b.text() == "Refresh"]  # fmt: skip
        qtbot.mouseClick(refresh, Qt.MouseButton.LeftButton)
        assert window.table.currentIndex() == _cell(window, *cell)
        assert window.mark_button.text() == "Mark as not done (cat)"
        # marked done and not done again while the filter hides rows: columns keep the width
        # of every session's text (Qt's ResizeToContents measured only the rows shown)
        qtbot.mouseClick(window.mark_button, Qt.MouseButton.LeftButton)  # in progress again
        window.need.setCurrentText("Needs coding")
        window.table.setCurrentIndex(_cell(window, *cell))
        qtbot.mouseClick(window.mark_button, Qt.MouseButton.LeftButton)  # done: the row goes
        window.table.doItemsLayout()  # (as the next paint does)
        for name in window.model.headers[:-1]:
            col = _column(window, name)
            assert window.table.columnWidth(col) > _widest(window, col), name
    finally:
        (lab / IN_PROGRESS / "coder_cat.done").unlink(missing_ok=True)
