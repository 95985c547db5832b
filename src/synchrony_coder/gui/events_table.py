"""The events table: sortable, editable (code, onset, offset), linked to the timeline's selection.

Edits go through the pure operations (``set_code``, ``move_onset``, ``move_offset``), which check
the result with the rules of ``validate``; a refused edit leaves the table unchanged and says why
in the status bar. Typed times snap to the frame that shows at that time. Double-click seeks to the
event; F2 (or a click on a selected cell) edits.

The model follows Qt's incremental protocol: an edit, undo or redo inserts, removes, moves or
changes only the rows it touches (found by binary search in the sorted rows), so its cost does not
grow with the session, and the selection and scroll position stay; a reset happens only when the
model is built for a newly opened file. Clicking a header re-sorts (the only full sort).
"""

from __future__ import annotations

from bisect import bisect_left

from PyQt6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    Qt,
)
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMenu,
    QStyledItemDelegate,
    QTableView,
)

from ..session import Change, Event, delete_event, move_offset, move_onset, set_code
from .document import Document
from .timecode import format_timecode

COLUMNS = ("tier", "code", "onset", "offset", "duration")
ID_ROLE = Qt.ItemDataRole.UserRole + 2
_ROOT = QModelIndex()
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_READ_ONLY = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDITABLE = _READ_ONLY | Qt.ItemFlag.ItemIsEditable
_ROLES = frozenset(
    int(r)
    for r in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ToolTipRole,
        ID_ROLE,
    )
)


def _duration(ev: Event) -> float | None:
    return None if ev.offset_s is None else round(ev.offset_s - ev.onset_s, 3)


# what each column sorts by (a point's missing offset and duration sort first)
_SORT_VALUE = {
    "tier": lambda ev: ev.tier,
    "code": lambda ev: ev.code,
    "onset": lambda ev: ev.onset_s,
    "offset": lambda ev: -1.0 if ev.offset_s is None else ev.offset_s,
    "duration": lambda ev: -1.0 if ev.offset_s is None else _duration(ev),
}


class EventsModel(QAbstractTableModel):
    """Rows are the coder's events, sorted by one column (ties: onset, tier, id)."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._column, self._descending = COLUMNS.index("onset"), False
        self._keys: list[tuple] = []  # ascending sort keys, each ending with the event id
        self._key_of: dict[int, tuple] = {}
        # the events as the rows show them: while Qt is told of a change, the rows it asks about
        # are still the old ones, whose events the session may no longer have
        self._event_of: dict[int, Event] = {}
        self._colours = {
            (t.name, c.name): QColor(c.color)
            for t in document.session.scheme.tiers
            for c in t.codes
        }
        self._long = document.duration_s >= 3600
        self.beginResetModel()
        self._sort_keys()
        self.endResetModel()
        document.eventsChanged.connect(self._on_change)

    # -- rows -------------------------------------------------------------------------------------
    def _key(self, event_id: int, ev: Event) -> tuple:
        return (_SORT_VALUE[COLUMNS[self._column]](ev), ev.onset_s, ev.tier, event_id)

    def _sort_keys(self) -> None:
        if not self._event_of:
            self._event_of = self.document.session.events.snapshot()
        self._key_of = {i: self._key(i, ev) for i, ev in self._event_of.items()}
        self._keys = sorted(self._key_of.values())

    def _row(self, pos: int, n: int | None = None) -> int:
        """The row of sorted position ``pos`` among ``n`` keys (default: all)."""
        n = len(self._keys) if n is None else n
        return n - 1 - pos if self._descending else pos

    def id_at(self, row: int) -> int:
        return self._keys[self._row(row)][-1]

    def row_of(self, event_id: int) -> int | None:
        key = self._key_of.get(event_id)
        return None if key is None else self._row(bisect_left(self._keys, key))

    def _on_change(self, change: Change) -> None:
        """Insert, remove, move or refresh the rows of the events ``change`` touched."""
        events = self.document.session.events
        for event_id, _before, _after in change.rows:
            ev = events.get(event_id)
            if event_id not in self._event_of and ev is not None:
                self._insert(event_id, ev)
            elif event_id in self._event_of and ev is None:
                self._remove(event_id)
            elif ev is not None:
                self._move(event_id, ev)

    def _insert(self, event_id: int, ev: Event) -> None:
        key = self._key(event_id, ev)
        pos = bisect_left(self._keys, key)
        row = self._row(pos, len(self._keys) + 1)
        self.beginInsertRows(_ROOT, row, row)
        self._keys.insert(pos, key)
        self._key_of[event_id], self._event_of[event_id] = key, ev
        self.endInsertRows()

    def _remove(self, event_id: int) -> None:
        pos = bisect_left(self._keys, self._key_of[event_id])
        row = self._row(pos)
        self.beginRemoveRows(_ROOT, row, row)
        del self._keys[pos], self._key_of[event_id], self._event_of[event_id]
        self.endRemoveRows()

    def _move(self, event_id: int, ev: Event) -> None:
        """The event changed: move its row if its place in the order changed, then refresh it."""
        keys, old, new = self._keys, self._key_of[event_id], self._key(event_id, ev)
        pos = bisect_left(keys, old)
        was = self._row(pos)
        del keys[pos]
        to = bisect_left(keys, new)
        now = self._row(to, len(keys) + 1)
        keys.insert(pos, old)  # as it is while the views hear of the move
        if now != was:
            self.beginMoveRows(_ROOT, was, was, _ROOT, now + 1 if now > was else now)
        del keys[pos]
        keys.insert(to, new)
        self._key_of[event_id], self._event_of[event_id] = new, ev
        if now != was:
            self.endMoveRows()
        self.dataChanged.emit(self.index(now, 0), self.index(now, len(COLUMNS) - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (a header click): the one full sort, keeping selection and focus."""
        descending = order == Qt.SortOrder.DescendingOrder
        if (column, descending) == (self._column, self._descending):
            return
        hint = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
        self.layoutAboutToBeChanged.emit([], hint)
        kept = self.persistentIndexList()
        ids = [self.id_at(ix.row()) for ix in kept]
        self._column, self._descending = column, descending
        self._sort_keys()  # (from the rows' own events)
        moved = [self.index(self.row_of(i), ix.column()) for i, ix in zip(ids, kept, strict=True)]
        self.changePersistentIndexList(kept, moved)
        self.layoutChanged.emit([], hint)

    # -- Qt's model interface -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._keys)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Tier", "Code", "Onset", "Offset", "Dur. (s)")[section]
        return None

    def _valid(self, index: QModelIndex) -> bool:
        return index.isValid() and 0 <= index.row() < len(self._keys)

    def flags(self, index):
        if not self._valid(index):
            return Qt.ItemFlag.NoItemFlags
        col = COLUMNS[index.column()]
        if col in ("code", "onset"):
            return _EDITABLE
        if col == "offset" and not self._event_of[self.id_at(index.row())].is_point:
            return _EDITABLE
        return _READ_ONLY

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES or not self._valid(index):  # (views ask for many more roles)
            return None
        event_id = self.id_at(index.row())
        col = COLUMNS[index.column()]
        ev = self._event_of[event_id]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(ev, col)
        if role == ID_ROLE:
            return event_id
        if role == Qt.ItemDataRole.EditRole:
            return {"tier": ev.tier, "code": ev.code, "onset": ev.onset_s, "offset": ev.offset_s,
                    "duration": _duration(ev)}[col]  # fmt: skip
        if role == Qt.ItemDataRole.DecorationRole and col == "code":
            return self._colours.get((ev.tier, ev.code))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("onset", "offset", "duration"):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and col in ("onset", "offset"):
            frame = ev.onset_frame if col == "onset" else ev.offset_frame
            return None if frame is None else f"frame {frame}"
        return None

    def _text(self, ev: Event, col: str) -> str:
        if col == "tier":
            return ev.tier.replace("_", " ")
        if col == "code":
            return ev.code
        if col == "duration":
            duration = _duration(ev)
            return "" if duration is None else f"{duration:.3f}"
        value = ev.onset_s if col == "onset" else ev.offset_s
        if value is None:
            return ""
        text = format_timecode(value)
        return text if self._long else text[3:]

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self._valid(index):
            return False
        doc = self.document
        event_id = self.id_at(index.row())
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
    """Edit a time as text: seconds (``6.2``) or a timecode (``0:06.2``, ``00:00:06.200``).

    A text the parser refuses changes nothing; the status bar (the model's ``problem``) says why.
    """

    def createEditor(self, parent, option, index):
        editor = QLineEdit(parent)
        editor.setToolTip("Seconds (6.2) or a timecode (0:06.2, 00:00:06.200)")
        return editor

    def setEditorData(self, editor, index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        editor.setText("" if value is None else f"{value:.3f}")
        editor.selectAll()

    def setModelData(self, editor, model, index) -> None:
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)  # a refusal says why


class EventsTable(QTableView):
    """The table widget; selection follows the document's and drives it."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.context_actions: list = []  # the right-click menu (the window's own actions)
        self.events_model = EventsModel(document, self)
        self.setModel(self.events_model)
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

    def contextMenuEvent(self, event) -> None:
        """Select the row under the pointer, then offer :attr:`context_actions` for it."""
        index = self.indexAt(event.pos())
        if index.isValid():
            self.document.select(self.event_at(index.row()))
        if self.context_actions:
            QMenu.exec(self.context_actions, event.globalPos(), None, self)

    def rowsAboutToBeRemoved(self, parent, start: int, end: int) -> None:
        # Qt selects the next row when the selected one goes; the document decides what is
        # selected after an edit (nothing, when its event was deleted), so it is not told
        sm = self.selectionModel()
        sm.blockSignals(True)
        super().rowsAboutToBeRemoved(parent, start, end)
        sm.blockSignals(False)

    def row_of(self, event_id: int) -> int | None:
        return self.events_model.row_of(event_id)

    def event_at(self, row: int) -> int:
        return self.events_model.id_at(row)

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
            sm.setCurrentIndex(self.events_model.index(row, 0), flags)
            self.scrollTo(self.events_model.index(row, 0))
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
