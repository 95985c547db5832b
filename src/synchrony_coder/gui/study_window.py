"""File ▸ Open study: the study's sessions in one list, each coder's progress, open with a double click.

One row per session: its attributes (dyad, visit …), the primary video's duration, each coder's
status and how far they coded, whether the session was drawn for double coding, and the state of
its consensus. The list filters as you type (any column) and by what needs doing, sorts by any
column, opens a session with a double click (as the coder whose column was clicked, else as you),
marks a coder's work done, and opens a double-coded session in consensus mode (Make consensus…). Everything it shows is read from the study's files
(:func:`synchrony_coder.study.study_status`); marking done writes the plain ``coder_NAME.done``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from PyQt6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PyQt6.QtGui import QColor, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..errors import DataError
from ..study import Study, load_study, mark_done, study_status
from ..study.status import DONE, IN_PROGRESS, NOT_STARTED, UNREADABLE, coder_state
from . import settings
from .actions import menu_text
from .consensus_mode import ask_pair, open_consensus

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_COLOURS = {DONE: "#2f5d3a", IN_PROGRESS: "#5a4a1a", UNREADABLE: "#6b2a2a"}
FILTERS = ("All sessions", "Needs coding", "Needs a second coder", "Needs consensus", "All done")
Opener = Callable[[list[str | Path], str | None, str | None], object]


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "–"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def _notes(row: dict) -> str:
    """What the session still needs, in a few words."""
    states = [s for s, _, _ in row["coders"].values()]
    started = sum(s != NOT_STARTED for s in states)
    notes = [row["problem"]] if row["problem"] else []
    if UNREADABLE in states:
        notes.append("a coder's file cannot be read (see study status)")
    if started == 0:
        notes.append("not coded yet")
    elif row["reliability"] and started < 2:
        notes.append("needs a second coder")
    elif started >= 2 and row["consensus"] != DONE:
        notes.append("needs consensus")
    return "; ".join(notes)


class SessionsModel(QAbstractTableModel):
    """The study's sessions × columns, from a status table (one row per session × coder)."""

    def __init__(self, study: Study, parent=None) -> None:
        super().__init__(parent)
        self.study = study
        self.coders = study.all_coders()
        self.headers = ["session", *study.attributes, "duration", *self.coders,
                        "reliability", "consensus", "notes"]  # fmt: skip
        self._status = pd.DataFrame()
        self._rows: list[dict] = []

    # -- loading ------------------------------------------------------------------------------
    def load(self, status: pd.DataFrame) -> None:
        """Show a fresh status table (a reset: this is loading, not an edit)."""
        self.beginResetModel()
        self._status = status.set_index(["session", "coder"])
        self._rows = [self._row(s) for s in self.study.sessions]
        self.endResetModel()

    def _row(self, session) -> dict:
        st = self._status.loc[session.session] if len(self._status) else pd.DataFrame()
        first = st.iloc[0] if len(st) else None
        row = {
            "session": session.session,
            "folder": session.folder,
            "problem": session.problem,
            "attributes": dict(session.attributes),
            "duration_s": float(first["duration_s"]) if first is not None else np.nan,
            "reliability": bool(first["reliability_sample"]) if first is not None else False,
            "consensus": str(first["consensus"]) if first is not None else "",
            "coders": {},
        }
        for coder in self.coders:
            r = st.loc[coder] if coder in st.index else None
            row["coders"][coder] = (
                (str(r["status"]), float(r["coded_until_s"]), int(r["n_events"]))
                if r is not None
                else (NOT_STARTED, np.nan, 0)
            )
        return row

    def set_status(self, session: str, coder: str, status: str) -> None:
        """One coder's status changed (marked done or not): update that cell only."""
        for r, row in enumerate(self._rows):
            if row["session"] == session:
                _, until, n = row["coders"][coder]
                row["coders"][coder] = (status, until, n)
                col = self.headers.index(coder)
                self.dataChanged.emit(self.index(r, col), self.index(r, col))
                return

    # -- reading ------------------------------------------------------------------------------
    def session_at(self, row: int) -> dict:
        return self._rows[row]

    def coder_of_column(self, column: int) -> str | None:
        name = self.headers[column]
        return name if name in self.coders else None

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        row = self._rows[index.row()]
        name = self.headers[index.column()]
        if name in self.coders:
            return self._coder_cell(row, name, role)
        value, text = self._plain(row, name)
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.ToolTipRole and name == "session" and row["problem"]:
            return row["problem"]
        if role == Qt.ItemDataRole.ForegroundRole and name == "session" and row["problem"]:
            return QColor("#e0a030")
        if role == Qt.ItemDataRole.BackgroundRole and name == "consensus":
            colour = STATUS_COLOURS.get(row["consensus"])
            return QColor(colour) if colour else None
        return None

    def _plain(self, row: dict, name: str) -> tuple[object, str]:
        if name == "session":
            mark = " ⚠" if row["problem"] else ""
            return row["session"], row["session"] + mark
        if name == "duration":
            return row["duration_s"], _duration(row["duration_s"])
        if name == "reliability":
            return int(row["reliability"]), "double-code" if row["reliability"] else ""
        if name == "consensus":
            return row["consensus"], row["consensus"] or ""
        if name == "notes":
            text = _notes(row)
            return text, text
        value = row["attributes"].get(name, "")
        return value, value

    def _coder_cell(self, row: dict, coder: str, role):
        status, until, n = row["coders"][coder]
        share = (
            until / row["duration_s"] if row["duration_s"] > 0 and np.isfinite(until) else np.nan
        )
        if role == Qt.ItemDataRole.DisplayRole:
            if status == IN_PROGRESS and np.isfinite(share):
                return f"in progress {min(share, 1):.0%}"
            return "" if status == NOT_STARTED else status
        if role == SORT_ROLE:
            order = {NOT_STARTED: 0, IN_PROGRESS: 1, DONE: 3, UNREADABLE: -1}
            return order.get(status, 0) + (min(share, 1) if np.isfinite(share) else 0)
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = STATUS_COLOURS.get(status)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if status == NOT_STARTED:
                return f"{coder} has not started"
            reach = f", coded to {until:.1f} s" if np.isfinite(until) else ""
            return f"{coder}: {status}, {n} events{reach}. Double-click to open as {coder}."
        return None


class SessionFilter(QSortFilterProxyModel):
    """Text in any column, and what needs doing."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = ""
        self.need = FILTERS[0]
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        self.text = text.strip().lower()
        self.invalidateFilter()

    def set_need(self, need: str) -> None:
        self.need = need
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        model: SessionsModel = self.sourceModel()
        row = model.session_at(source_row)
        if self.text:
            cells = [
                str(model.data(model.index(source_row, c)) or "")
                for c in range(model.columnCount())
            ]
            if not any(self.text in c.lower() for c in cells):
                return False
        states = [s for s, _, _ in row["coders"].values()]
        started = sum(s != NOT_STARTED for s in states)
        if self.need == "Needs coding":
            return started == 0 or any(s in (IN_PROGRESS, UNREADABLE) for s in states)
        if self.need == "Needs a second coder":
            return row["reliability"] and started < 2
        if self.need == "Needs consensus":
            return started >= 2 and row["consensus"] != DONE
        if self.need == "All done":
            return (
                started > 0
                and all(s in (DONE, NOT_STARTED) for s in states)
                and (started < 2 or row["consensus"] == DONE)
            )
        return True


class StudyWindow(QWidget):
    """The session list of one study (a window of its own)."""

    def __init__(
        self,
        study: Study,
        opener: Opener,
        parent: QWidget | None = None,
        consensus: Callable[[Path, tuple[str, str], str | None], object] | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("study")
        self.study = study
        self._opener = opener
        self._consensus = consensus
        self.setWindowTitle(f"Study: {study.name} — synchrony-coder")
        self.summary = QLabel(self)
        self._status = pd.DataFrame()
        self.filter_text = QLineEdit(self)
        self.filter_text.setPlaceholderText("Filter: session, dyad, coder, status…")
        self.filter_text.setClearButtonEnabled(True)
        self.need = QComboBox(self)
        self.need.addItems(FILTERS)
        self.mark_button = QPushButton("Mark as done", self)
        self.mark_button.setToolTip(
            "Mark the selected coder's work on the session as done (click a coder's cell first; "
            "otherwise your own)"
        )
        self.consensus_button = QPushButton("Make consensus…", self)
        self.consensus_button.setToolTip(
            "Go through the disagreements of the selected session's two coders and decide each "
            "(consensus mode)"
        )
        self.consensus_button.setVisible(consensus is not None)
        refresh = QPushButton("Refresh", self)
        refresh.setToolTip("Read the study's files again (F5)")
        self.model = SessionsModel(study, self)
        self.proxy = SessionFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        # widths from every session's text (fit_columns), not from the rows the filter shows
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        hint = QLabel("Double-click a session to open it (a coder's cell: as that coder).", self)
        hint.setObjectName("hint")
        hint.setStyleSheet("color: #9a9ca3;")

        bar = QHBoxLayout()
        bar.addWidget(self.filter_text, 2)
        bar.addWidget(self.need, 1)
        bar.addWidget(self.mark_button)
        bar.addWidget(self.consensus_button)
        bar.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)

        self.filter_text.textChanged.connect(self.proxy.set_text)
        self.need.currentTextChanged.connect(self.proxy.set_need)
        self.table.doubleClicked.connect(self.open_index)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._update_button())
        self.mark_button.clicked.connect(self.toggle_done)
        self.consensus_button.clicked.connect(self.make_consensus)
        refresh.clicked.connect(self.refresh)
        QShortcut(QKeySequence("F5"), self, self.refresh)
        self.refresh()
        self.resize(1100, 640)

    # -- reading the files --------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the study folder and every coder's files again."""
        try:
            self.study = load_study(self.study.root)
        except DataError as exc:
            self.summary.setText(f"<b>{exc}</b>")
            return
        self._scheme = self.study.load_scheme()
        status = study_status(self.study)
        selected = self._selected_cell()
        if self.model.coders != self.study.all_coders() or (
            len(self.model.study.sessions) != len(self.study.sessions)
        ):
            self._rebuild()
        self.model.study = self.study
        self.model.load(status)
        self._status = status
        self._select_cell(selected)
        self.fit_columns()
        self._show_summary()
        self._update_button()

    def _show_summary(self) -> None:
        """The study's line above the list: sessions, coders, their files' states."""
        status = self._status
        counts = status["status"].value_counts()
        uncoded = sum(
            (part["status"] == NOT_STARTED).all() for _, part in status.groupby("session")
        )
        files = ", ".join(
            f"{counts[k]} {k}" for k in (DONE, IN_PROGRESS, UNREADABLE) if k in counts
        )
        self.summary.setText(
            f"<b>{self.study.name}</b> · {len(self.study.sessions)} sessions, {uncoded} not coded "
            f"yet · coders {', '.join(self.study.coders) or '–'} · coders' files: {files or 'none'}"
            f" · {len(self.study.reliability_sample())} drawn for double coding"
            f"<br><span style='color:#9a9ca3'>{self.study.root}</span>"
        )

    def _selected_cell(self) -> tuple[str, str] | None:
        """The selected cell as (session, column name), which a reload does not move."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        source = self.proxy.mapToSource(index)
        return self.model.session_at(source.row())["session"], self.model.headers[source.column()]

    def _select_cell(self, cell: tuple[str, str] | None) -> None:
        if cell is None or cell[1] not in self.model.headers:
            return
        for r in range(self.model.rowCount()):
            if self.model.session_at(r)["session"] == cell[0]:
                index = self.proxy.mapFromSource(
                    self.model.index(r, self.model.headers.index(cell[1]))
                )
                if index.isValid():
                    self.table.setCurrentIndex(index)
                    self.table.scrollTo(index)
                return

    def fit_columns(self) -> None:
        """Each column as wide as its widest text over all sessions (the hidden ones too), so
        neither filtering nor a changed cell narrows a column to what a few rows show."""
        model, table = self.model, self.table
        header = table.horizontalHeader()
        cells, titles = table.fontMetrics(), header.fontMetrics()
        for c in range(model.columnCount() - 1):  # the last (notes) stretches
            title = str(model.headerData(c, Qt.Orientation.Horizontal) or "")
            texts = [str(model.data(model.index(r, c)) or "") for r in range(model.rowCount())]
            widest = max((cells.horizontalAdvance(t) for t in texts), default=0)
            # the cell's margins; the header's sort arrow
            header.resizeSection(c, max(widest + 16, titles.horizontalAdvance(title) + 28))

    # -- acting -------------------------------------------------------------------------------
    def _target(self, index: QModelIndex | None = None) -> tuple[dict, str | None] | None:
        index = index if index is not None else self.table.currentIndex()
        if not index.isValid():
            return None
        source = self.proxy.mapToSource(index)
        coder = self.model.coder_of_column(source.column()) or settings.coder_name() or None
        return self.model.session_at(source.row()), coder

    def open_index(self, index: QModelIndex) -> None:
        """Open the session (as the coder whose cell was double-clicked, else as you)."""
        target = self._target(index)
        if target is None:
            return
        row, coder = target
        self._opener([row["folder"]], coder, self.study.scheme)

    def _coded_by(self, row: dict) -> list[str]:
        """The coders who coded the session (started or done), in the study's order."""
        return [c for c, (status, *_) in row["coders"].items() if status in (DONE, IN_PROGRESS)]

    def make_consensus(self) -> None:
        """Open the selected session in consensus mode (its two coders; asks when more)."""
        target = self._target()
        if target is None or self._consensus is None:
            return
        row = target[0]
        coders = self._coded_by(row)
        pair = (coders[0], coders[1]) if len(coders) == 2 else ask_pair(self, coders)
        if pair:
            self._consensus(row["folder"], pair, self.study.scheme)

    def _update_button(self) -> None:
        target = self._target()
        double = target is not None and len(self._coded_by(target[0])) >= 2
        self.consensus_button.setEnabled(double)
        self.consensus_button.setText(
            menu_text(f"Make consensus ({' & '.join(self._coded_by(target[0])[:2])})…")
            if double and len(self._coded_by(target[0])) == 2
            else "Make consensus…"
        )
        if target is None or target[1] is None:
            self.mark_button.setEnabled(False)
            self.mark_button.setText("Mark as done")
            return
        row, coder = target
        status = row["coders"].get(coder, (NOT_STARTED,))[0]
        self.mark_button.setEnabled(self.study.session(row["session"]).spec is not None)
        self.mark_button.setText(menu_text(f"Mark as not done ({coder})" if status == DONE else
                                           f"Mark as done ({coder})"))  # fmt: skip

    def toggle_done(self) -> None:
        """Mark the selected coder's work on the selected session done (or not done again)."""
        target = self._target()
        if target is None or target[1] is None:
            return
        row, coder = target
        spec = self.study.session(row["session"]).spec
        if spec is None:
            return
        was = row["coders"].get(coder, (NOT_STARTED,))[0]
        mark_done(spec, coder, done=was != DONE)
        state = coder_state(spec, coder, self._scheme)
        self.model.set_status(row["session"], coder, state.status)
        mine = (self._status["session"] == row["session"]) & (self._status["coder"] == coder)
        if mine.any():
            self._status.loc[mine, "status"] = state.status
            self._show_summary()
        else:  # a coder the status table did not list: read the files again
            self.refresh()
        self.fit_columns()
        self._update_button()


def show_study(main, folder: str | Path) -> StudyWindow | None:
    """Open the study in ``folder`` beside the main window ``main`` (its sessions open there)."""
    try:
        study = load_study(folder)
    except DataError as exc:
        main.report_error(str(exc))
        return None
    window = StudyWindow(
        study,
        main.open_session,
        main,
        consensus=lambda folder, pair, scheme: open_consensus(main, folder, pair, scheme),
    )
    window.show()
    return window


def choose_study(main) -> StudyWindow | None:
    """File ▸ Open study…: pick a study folder (with study.toml) and show its sessions."""
    folder = QFileDialog.getExistingDirectory(main, "Open a study folder (with study.toml)")
    return show_study(main, folder) if folder else None
