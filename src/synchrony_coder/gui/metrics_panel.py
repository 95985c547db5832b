"""Live interaction metrics of the open session (SCIENCE.md §3), refreshed shortly after each edit.

Uses :func:`synchrony_coder.metrics.session_metrics` (the whole session, then each phase); where the
events do not allow a metric yet, the panel shows a dash or says why instead of a number.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ..metrics import session_metrics
from .document import Document

SHOWN = (
    ("matched_fraction", "matched fraction", "{:.2f}"),
    ("coded_s", "both coded (s)", "{:.1f}"),
    ("contingency", "contingency", "{:.2f}"),
    ("delta_p", "ΔP", "{:+.2f}"),
    ("n_bids", "bids", "{:.0f}"),
    ("repairs", "repairs", "{:.0f}"),
    ("repairs_per_min", "repairs / min", "{:.2f}"),
    ("median_time_to_repair_s", "median repair (s)", "{:.2f}"),
)


class MetricsPanel(QWidget):
    """A small table: one row per metric, one column per phase (``all`` first)."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 4, 6, 4)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        col.addWidget(self.status)
        self.table = QTableWidget(self)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        col.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.refresh)
        document.eventsChanged.connect(lambda _c: self._timer.start())
        self.refresh()

    def refresh(self) -> None:
        doc = self.document
        try:
            table = session_metrics(
                doc.session.frame().reset_index(drop=True), doc.session.scheme, by_phase=True
            )
        except Exception as exc:  # a half-coded session must not break coding
            self._unavailable(f"Metrics unavailable for these events: {exc}")
            return
        if table is None or not len(table):
            self._unavailable("Code both partners' engagement to see metrics.")
            return
        phases = [str(p) for p in table["phase"]] if "phase" in table.columns else ["all"]
        rows = [r for r in SHOWN if r[0] in table.columns]
        self.table.setColumnCount(len(phases))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(phases)
        self.table.setVerticalHeaderLabels([r[1] for r in rows])
        for r, (name, _label, fmt) in enumerate(rows):
            for c, value in enumerate(table[name].tolist()):
                text = (
                    "–"
                    if value is None or (isinstance(value, float) and math.isnan(value))
                    else fmt.format(value)
                )
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.status.setText("")
        self.status.setVisible(False)
        self.table.setVisible(True)

    def _unavailable(self, message: str) -> None:
        self.status.setText(message)
        self.status.setVisible(True)
        self.table.setVisible(False)
