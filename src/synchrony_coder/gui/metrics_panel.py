"""Live interaction metrics of the open session (SCIENCE.md §3), refreshed shortly after each edit.

Uses :func:`synchrony_coder.metrics.session_metrics` (the whole session, then each phase); where the
events do not allow a metric yet, the panel shows a dash or says why instead of a number.

The metrics are computed in a worker thread from a copy of the events taken when the edits pause
(debounced), so a refresh never holds up a key, whatever the size of the session. The panel's rows
come from :class:`MetricRows`: each names a computation over the events and the columns of its
result to show; another set of rows (e.g. movement synchrony) is one more entry in ``sources``.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ..metrics import session_metrics
from ..scheme import Scheme
from ..session import events_to_frame
from . import theme
from .document import Document

DEBOUNCE_MS = 300


@dataclass(frozen=True)
class MetricRows:
    """Rows of the panel filled by one computation.

    ``compute(events, scheme)`` gets the session's events as a tidy table (SCIENCE.md §1) and
    returns a table with one row per phase (a ``phase`` column; ``all`` first) and a column per
    metric, or None when the events do not allow it yet (``attrs["note"]``: a sentence shown under
    the table); ``rows`` lists the columns shown, as ``(column, label, format)``; a cell holding a
    text (why there is no number) shows it as it is.
    """

    compute: Callable[[pd.DataFrame, Scheme], pd.DataFrame | None]
    rows: tuple[tuple[str, str, str], ...]


INTERACTION = MetricRows(
    lambda events, scheme: session_metrics(events, scheme, by_phase=True),
    (
        ("matched_fraction", "matched fraction", "{:.2f}"),
        ("coded_s", "both coded (s)", "{:.1f}"),
        ("contingency", "contingency", "{:.2f}"),
        ("delta_p", "ΔP", "{:+.2f}"),
        ("n_bids", "bids", "{:.0f}"),
        ("repairs", "repairs", "{:.0f}"),
        ("repairs_per_min", "repairs / min", "{:.2f}"),
        ("median_time_to_repair_s", "median repair (s)", "{:.2f}"),
    ),
)


class _Results(QObject):
    """Carries a worker's results to the GUI thread (a queued signal)."""

    ready = pyqtSignal(int, object)  # generation, [table, None or an exception] per source


class MetricsPanel(QWidget):
    """A small table: one row per metric, one column per phase (``all`` first)."""

    def __init__(
        self, document: Document, parent=None, sources: Sequence[MetricRows] = (INTERACTION,)
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.sources = tuple(sources)
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
        self.note = QLabel(self)  # what the sources say about their rows (attrs["note"])
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {theme.MUTED}")
        self.note.hide()
        col.addWidget(self.note)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self._results = _Results(self)
        self._results.ready.connect(self._show)
        self._generation = 0  # of the events: one more per edit
        self._running = False
        self._again = False
        document.eventsChanged.connect(self._changed)
        self.refresh()

    def _changed(self, _change) -> None:
        self._generation += 1
        self._timer.start()

    def refresh(self) -> None:
        """Compute the metrics of the events as they are now, in a worker thread."""
        if self._running:  # one at a time; the latest events are computed next
            self._again = True
            return
        self._running, self._again = True, False
        session = self.document.session
        job = (self._generation, session.events.snapshot(), session.session_id, session.coder)
        threading.Thread(
            target=self._compute, args=(*job, session.scheme), name="metrics", daemon=True
        ).start()

    def _compute(self, generation: int, events, session_id, coder, scheme) -> None:
        """The worker thread's work: a table of the copied events, then each source on it."""
        results = []
        try:
            table = events_to_frame(events, session_id, coder).reset_index(drop=True)
            for source in self.sources:
                try:
                    results.append((source.compute(table, scheme), None))
                except Exception as exc:  # a half-coded session must not break coding
                    results.append((None, exc))
        except Exception as exc:
            results = [(None, exc)] * len(self.sources)
        with contextlib.suppress(RuntimeError):  # the panel was closed meanwhile
            self._results.ready.emit(generation, results)

    def _show(self, _generation: int, results) -> None:
        self._running = False
        if self._again:
            self.refresh()
        errors = [exc for _, exc in results if exc is not None]
        if errors:
            self._unavailable(f"Metrics unavailable for these events: {errors[0]}")
            return
        tables = [(source, table) for source, (table, _) in zip(self.sources, results, strict=True)]
        shown = [(s, t) for s, t in tables if t is not None and len(t)]
        if not shown:
            self._unavailable("Code both partners' engagement to see metrics.")
            return
        first = shown[0][1]
        phases = [str(p) for p in first["phase"]] if "phase" in first.columns else ["all"]
        rows = [(t, r) for s, t in shown for r in s.rows if r[0] in t.columns]
        self.table.setColumnCount(len(phases))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(phases)
        self.table.setVerticalHeaderLabels([r[1] for _, r in rows])
        for k, (table, (name, _label, fmt)) in enumerate(rows):
            if "phase" in table.columns:  # each source's phases in the first one's columns
                values = table.set_index("phase")[name].reindex(phases).tolist()
            else:
                values = table[name].tolist()[: len(phases)]
            for c, value in enumerate(values):
                self.table.setItem(k, c, QTableWidgetItem(_cell(value, fmt)))
        self.table.resizeColumnsToContents()
        self.status.setText("")
        self.status.setVisible(False)
        note = " ".join(t.attrs["note"] for _, t in shown if t.attrs.get("note"))
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.table.setVisible(True)

    def _unavailable(self, message: str) -> None:
        self.status.setText(message)
        self.status.setVisible(True)
        self.table.setVisible(False)
        self.note.setVisible(False)


def _cell(value, fmt: str) -> str:
    """A number formatted, a dash where there is none, a text (why there is none) as it is."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt.format(value)
