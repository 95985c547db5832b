"""The events table: sortable, editable (code, onset, offset), linked to the timeline's selection.

Edits go through the pure operations (``set_code``, ``move_onset``, ``move_offset``), which check
the result with the rules of ``validate`` (:func:`synchrony_coder.events.check_table`); a refused
edit leaves the table unchanged and says why in the status bar. Typed times snap to the frame that
shows at that time. Double-click seeks to the event; F2 (or a click on a selected cell) edits.
"""

from __future__ import annotations

from PyQt6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QStyledItemDelegate,
    QTableView,
)

from ..session import delete_event, move_offset, move_onset, set_code
from .document import Document
from .timecode import format_timecode

COLUMNS = ("tier", "code", "onset", "offset", "duration")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2


class EventsModel(QAbstractTableModel):
    """Rows are the coder's events (ids in onset order); cells edit through the document."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.ids: list[int] = []
        self._reload()
        document.eventsChanged.connect(lambda _c: self._reload())

    def _reload(self) -> None:
        events = self.document.session.events
        self.beginResetModel()
        self.ids = sorted(events, key=lambda i: (events[i].onset_s, events[i].tier, i))
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.ids)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Tier", "Code", "Onset", "Offset", "Dur. (s)")[section]
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        ev = self.document.session.events[self.ids[index.row()]]
        col = COLUMNS[index.column()]
        if col in ("code", "onset") or (col == "offset" and not ev.is_point):
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        event_id = self.ids[index.row()]
        ev = self.document.session.events[event_id]
        col = COLUMNS[index.column()]
        if role == ID_ROLE:
            return event_id
        if role == Qt.ItemDataRole.DecorationRole and col == "code":
            return QColor(self.document.session.scheme.tier(ev.tier).code(ev.code).color)
        if role == Qt.ItemDataRole.ToolTipRole and col in ("onset", "offset"):
            frame = ev.onset_frame if col == "onset" else ev.offset_frame
            return None if frame is None else f"frame {frame}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("onset", "offset", "duration"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        duration = None if ev.offset_s is None else ev.offset_s - ev.onset_s
        values = {
            "tier": ev.tier,
            "code": ev.code,
            "onset": ev.onset_s,
            "offset": ev.offset_s,
            "duration": duration,
        }
        value = values[col]
        if role == SORT_ROLE:
            return -1.0 if value is None else value
        if role == Qt.ItemDataRole.EditRole:
            return value
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "tier":
                return value.replace("_", " ")
            if value is None:
                return ""
            if col in ("onset", "offset"):
                text = format_timecode(value)
                return text[3:] if self.document.duration_s < 3600 else text
            if col == "duration":
                return f"{value:.3f}"
            return value
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole:
            return False
        doc = self.document
        event_id = self.ids[index.row()]
        col = COLUMNS[index.column()]
        scheme = doc.session.scheme
        if col == "code":
            if value == doc.session.events[event_id].code:
                return False
            return doc.edit(set_code, scheme, event_id, str(value))
        try:
            t = _seconds(value)
        except ValueError as exc:
            doc.problem.emit(str(exc))
            return False
        if t >= doc.duration_s:
            frame, t = doc.frame_count, doc.duration_s
        else:
            frame = doc.index_at(t)
            t = doc.time_of(frame)
        if col == "onset":
            return doc.edit(move_onset, scheme, event_id, t, frame)
        return doc.edit(move_offset, scheme, event_id, t, frame)


def _seconds(value) -> float:
    """Seconds from a number or a typed timecode (``83.5``, ``1:23.5``, ``00:01:23.500``)."""
    if isinstance(value, int | float):
        return float(value)
    from .timecode import parse_position

    kind, number = parse_position(str(value))
    if kind == "frame":  # a bare integer typed in a time column means seconds
        return float(number)
    return number


class _Sorter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)


class _CodeDelegate(QStyledItemDelegate):
    """A list of the tier's codes to pick from."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document

    def createEditor(self, parent, option, index):
        editor = QComboBox(parent)
        event_id = index.data(ID_ROLE)
        tier = self.document.session.events[event_id].tier
        editor.addItems(self.document.session.scheme.tier(tier).code_names)
        return editor

    def setEditorData(self, editor, index) -> None:
        editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole)))

    def setModelData(self, editor, model, index) -> None:
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class _TimeDelegate(QStyledItemDelegate):
    """Edit a time as text: seconds or a timecode."""

    def setEditorData(self, editor, index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        editor.setText("" if value is None else f"{value:.3f}")

    def setModelData(self, editor, model, index) -> None:
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class EventsTable(QTableView):
    """The table widget; selection follows the document's and drives it."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.events_model = EventsModel(document, self)
        self.proxy = _Sorter(self)
        self.proxy.setSourceModel(self.events_model)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(2, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setItemDelegateForColumn(1, _CodeDelegate(document, self))
        self.setItemDelegateForColumn(2, _TimeDelegate(self))
        self.setItemDelegateForColumn(3, _TimeDelegate(self))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAlternatingRowColors(True)
        self.doubleClicked.connect(self._seek_to)
        self.selectionModel().selectionChanged.connect(self._selected)
        document.selectionChanged.connect(self.show_event)
        self.events_model.modelReset.connect(lambda: self.show_event(document.selected))

    def row_of(self, event_id: int) -> int | None:
        try:
            src = self.events_model.ids.index(event_id)
        except ValueError:
            return None
        return self.proxy.mapFromSource(self.events_model.index(src, 0)).row()

    def event_at(self, row: int) -> int:
        return self.proxy.index(row, 0).data(ID_ROLE)

    def show_event(self, event_id: int | None) -> None:
        sm = self.selectionModel()
        row = None if event_id is None else self.row_of(event_id)
        sm.blockSignals(True)
        if row is None:
            sm.clearSelection()
        else:
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            sm.setCurrentIndex(self.proxy.index(row, 0), flags)
            self.scrollTo(self.proxy.index(row, 0))
        sm.blockSignals(False)
        self.viewport().update()

    def _selected(self, *_args) -> None:
        rows = self.selectionModel().selectedRows()
        self.document.select(self.event_at(rows[0].row()) if rows else None)

    def _seek_to(self, index) -> None:
        ev = self.document.session.events[self.event_at(index.row())]
        if ev.onset_frame is not None:
            self.document.seek(ev.onset_frame)
        else:
            self.document.seek_time(ev.onset_s)

    def delete_selected(self) -> bool:
        doc = self.document
        if doc.selected is None:
            return False
        return doc.edit(delete_event, doc.selected)
