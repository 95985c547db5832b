"""The "Analyse what follows…" view: lag-sequential and time-window results for one code.

Shows, for a selected code (tier, code) of one session × coder, which codes follow it at lags 1–3
(targets ranked by adjusted residual, significant ones highlighted, with a permutation p for the
small samples of one session) and whether a chosen target falls within an editable time window
after it. Every number comes from :mod:`synchrony_coder.sequential`; this widget only shows them.
"""

from __future__ import annotations

import math

import pandas as pd
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QFont
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..scheme import Scheme
from ..sequential import lag_table, permutation_test, window_table
from ..sequential.plots import Z_CRITICAL
from . import theme
from .actions import menu_text

MAX_LAG = 3
PERMUTATIONS = 1000
_MORE = QColor("#1f4d2e")  # significantly more often than chance
_LESS = QColor("#5a2424")  # significantly less often
COLUMNS = ("target", "n", "expected", "P(target|given)", "z", "Yule's Q", "perm. p")
FEW_GIVEN = 10  # below this many tallies in the given's row, say that z is unreliable


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, spec)


def default_tiers(scheme: Scheme, tier: str) -> list[str]:
    """The tiers whose events make the sequences: those of the same kind as ``tier`` (point or
    state), without the phase tier."""
    kind = scheme.tier(tier).kind
    return [t.name for t in scheme.tiers if t.kind == kind and t.name != scheme.roles.phase] or [
        tier
    ]


class SequentialView(QWidget):
    """What follows a code in one session × coder: lag tables and a time window."""

    def __init__(
        self,
        events: pd.DataFrame,
        scheme: Scheme,
        code: tuple[str, str],
        parent: QWidget | None = None,
        *,
        tiers: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.scheme = scheme
        self.tier, self.code = code
        self.given = f"{self.tier}:{self.code}"
        self.events = self._one_group(events)
        self.tiers = tiers or default_tiers(scheme, self.tier)
        self.setWindowTitle(f"What follows {self.tier.replace('_', ' ')}: {self.code}")
        self.lags = lag_table(self.events, scheme, tiers=self.tiers, max_lag=MAX_LAG, pooled=False)
        self._permutation_p: dict[int, dict[str, float]] = {}

        col = QVBoxLayout(self)
        col.setContentsMargins(12, 10, 12, 10)
        col.setSpacing(8)
        heading = QLabel(self)
        heading.setTextFormat(Qt.TextFormat.RichText)
        n_given = int(
            ((self.events["tier"] == self.tier) & (self.events["code"] == self.code)).sum()
        )
        session = self.events["session"].iat[0] if len(self.events) else "–"
        coder = self.events["coder"].iat[0] if len(self.events) else "–"
        heading.setText(
            f"<span style='font-size:13pt'>What follows <b>{self.code}</b></span>"
            f"<span style='color:{theme.MUTED}'> ({self.tier.replace('_', ' ')})"
            f" · session {session} · coder {coder} · {n_given} occurrence"
            f"{'' if n_given == 1 else 's'}</span>"
        )
        col.addWidget(heading)

        lag_box = QGroupBox("Next events (lag sequential analysis)", self)
        lag_col = QVBoxLayout(lag_box)
        self.lag_tabs = QTabBar(lag_box)
        for lag in range(1, MAX_LAG + 1):
            self.lag_tabs.addTab(f"Lag {lag}")
        self.lag_tabs.currentChanged.connect(lambda i: self.show_lag(i + 1))
        lag_col.addWidget(self.lag_tabs)
        self.lag_view = QTableWidget(0, len(COLUMNS), lag_box)
        self.lag_view.setHorizontalHeaderLabels(COLUMNS)
        self.lag_view.verticalHeader().setVisible(False)
        self.lag_view.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.lag_view.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.lag_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        lag_col.addWidget(self.lag_view, 1)
        self.lag_note = QLabel(lag_box)
        self.lag_note.setWordWrap(True)
        self.lag_note.setStyleSheet(f"color: {theme.MUTED}")
        lag_col.addWidget(self.lag_note)
        col.addWidget(lag_box, 1)

        window_box = QGroupBox("Within a time window", self)
        form = QFormLayout(window_box)
        self.target = QComboBox(window_box)
        for t in scheme.tiers:
            if t.name == scheme.roles.phase:
                continue
            self.target.addItem(f"any {t.name.replace('_', ' ')}", f"{t.name}:*")
            for c in t.code_names:
                self.target.addItem(f"{t.name.replace('_', ' ')}: {c}", f"{t.name}:{c}")
        form.addRow("target", self.target)
        span = QHBoxLayout()
        self.window_lo = QDoubleSpinBox(window_box)
        self.window_hi = QDoubleSpinBox(window_box)
        for spin, value in ((self.window_lo, 0.0), (self.window_hi, 2.0)):
            spin.setRange(0.0, 600.0)
            spin.setDecimals(1)
            spin.setSingleStep(0.5)
            spin.setSuffix(" s")
            spin.setValue(value)
            spin.valueChanged.connect(self.update_window)
        span.addWidget(QLabel("after each onset, from", window_box))
        span.addWidget(self.window_lo)
        span.addWidget(QLabel("to", window_box))
        span.addWidget(self.window_hi)
        span.addStretch(1)
        form.addRow("window", span)
        self.window_counts = QLabel(window_box)
        self.window_stats = QLabel(window_box)
        self.window_verdict = QLabel(window_box)
        self.window_verdict.setWordWrap(True)
        form.addRow("units (0.1 s)", self.window_counts)
        form.addRow("association", self.window_stats)
        form.addRow("", self.window_verdict)
        col.addWidget(window_box)

        self._choose_default_target()
        self.target.currentIndexChanged.connect(self.update_window)
        self.show_lag(1)
        self.update_window()
        self.resize(max(780, self.table_width() + 2 * 12 + 2 * 12), 640)  # margins: window, box

    def table_width(self) -> int:
        """The lag table's width with every column as wide as its text (and its frame and
        scroll bar): the window is made that wide, so "perm. p" is not cut."""
        table, header = self.lag_view, self.lag_view.horizontalHeader()
        columns = sum(
            max(table.sizeHintForColumn(c), header.sectionSizeHint(c))
            for c in range(table.columnCount())
        )
        scroll = table.style().pixelMetric(table.style().PixelMetric.PM_ScrollBarExtent)
        return columns + 2 * table.frameWidth() + scroll + 4

    # ------------------------------------------------------------------ data

    @staticmethod
    def _one_group(events: pd.DataFrame) -> pd.DataFrame:
        """The first session × coder of ``events`` (the open session holds one)."""
        if not len(events):
            return events
        first = events.iloc[0]
        keep = (events["session"] == first["session"]) & (events["coder"] == first["coder"])
        return events[keep].reset_index(drop=True)

    def ranked(self, lag: int) -> pd.DataFrame:
        """The lag table's rows of the given code, targets by adjusted residual (undefined last)."""
        rows = self.lags[(self.lags["lag"] == lag) & (self.lags["given"] == self.given)]
        return rows.sort_values("adjusted_residual", ascending=False, na_position="last")

    def permutation_p(self, lag: int) -> dict[str, float]:
        """Permutation p of every target at this lag (seeded: the same every time)."""
        if lag not in self._permutation_p:
            p = {}
            for target in self.ranked(lag)["target"]:
                result = permutation_test(
                    self.events,
                    self.scheme,
                    tiers=self.tiers,
                    given=self.given,
                    target=target,
                    lag=lag,
                    n_permutations=PERMUTATIONS,
                    seed=lag,
                    pooled=False,
                )
                p[target] = float(result["p_value"].iat[0]) if len(result) else math.nan
            self._permutation_p[lag] = p
        return self._permutation_p[lag]

    # ------------------------------------------------------------------ views

    def show_lag(self, lag: int) -> None:
        rows = self.ranked(lag)
        p = self.permutation_p(lag)
        self.lag_view.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, row in enumerate(rows.itertuples(index=False)):
            tier, code = row.target.split(":", 1)
            cells = (
                f"{code}  ({tier.replace('_', ' ')})",
                f"{row.count:d}",
                _fmt(row.expected, ".2f"),
                _fmt(row.transitional_prob, ".2f"),
                _fmt(row.adjusted_residual, "+.2f"),
                _fmt(row.yules_q, "+.2f"),
                _fmt(p.get(row.target), ".3f"),
            )
            z = row.adjusted_residual
            strong = not math.isnan(z) and abs(z) >= Z_CRITICAL
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                else:  # the code's colour as a swatch, its text readable on any highlight
                    item.setData(
                        Qt.ItemDataRole.DecorationRole,
                        QColor(self.scheme.tier(tier).code(code).color),
                    )
                if strong:
                    item.setBackground(_MORE if z > 0 else _LESS)
                    item.setFont(bold)
                self.lag_view.setItem(r, c, item)
        followed = int(rows["count"].sum())
        tiers = ", ".join(t.replace("_", " ") for t in self.tiers)
        later = "the next event" if lag == 1 else f"{lag} events later"
        note = (
            f"Sequences of {tiers} events in onset order. At lag {lag} ({later}), {self.code} "
            f"was followed {followed} time{'' if followed == 1 else 's'}. Highlighted: "
            f"|z| ≥ {Z_CRITICAL} (green: more often than chance, red: less often). "
        )
        if followed < FEW_GIVEN:
            note += "So few: trust the permutation p more than z."
        self.lag_note.setText(note)
        if self.lag_tabs.currentIndex() != lag - 1:
            self.lag_tabs.setCurrentIndex(lag - 1)

    def _choose_default_target(self) -> None:
        """The lag-1 target with the largest adjusted residual, else the first entry."""
        best = self.ranked(1)
        if len(best) and not math.isnan(best["adjusted_residual"].iat[0]):
            i = self.target.findData(best["target"].iat[0])
            if i >= 0:
                self.target.setCurrentIndex(i)

    def window_result(self) -> pd.Series | None:
        lo, hi = self.window_lo.value(), self.window_hi.value()
        if hi <= lo or not len(self.events):
            return None
        table = window_table(
            self.events,
            self.scheme,
            pairs=[(self.given, self.target.currentData())],
            window=(lo, hi),
            pooled=False,
        )
        return table.iloc[0]

    def update_window(self) -> None:
        result = self.window_result()
        if result is None:
            self.window_counts.setText("–")
            self.window_stats.setText("–")
            self.window_verdict.setText("The window needs its end after its start.")
            return
        self.window_counts.setText(
            f"{result.n_units} in all · {result.given_units} after {self.code} · "
            f"{result.target_units} with the target · {result.joint_units} both"
        )
        self.window_stats.setText(
            f"Yule's Q {_fmt(result.yules_q, '+.2f')} · odds ratio {_fmt(result.odds_ratio, '.2f')}"
            f" · z {_fmt(result.adjusted_residual, '+.2f')}"
        )
        z = result.adjusted_residual
        target = self.target.currentText()
        span = f"({result.window_lo_s:g}, {result.window_hi_s:g}] s"
        support = _window_support(result)
        if math.isnan(z):
            text, colour = "Not enough events for this window to say anything.", theme.MUTED
        elif abs(z) >= Z_CRITICAL and support < FEW_GIVEN:
            both = int(result.joint_units)
            text, colour = (
                f"z {z:+.2f}, but from {both} unit{'' if both == 1 else 's'} with both (chance: "
                f"{result.given_units * result.target_units / max(result.n_units, 1):.1f}): so "
                f"few that z says little (under {FEW_GIVEN}); widen the window or code more "
                "sessions before reading it as an association.",
                theme.MUTED,
            )
        elif z >= Z_CRITICAL:
            text, colour = (
                f"{target} falls within {span} after {self.code} more often than chance.",
                "#7fd39a",
            )
        elif z <= -Z_CRITICAL:
            text, colour = (
                f"{target} falls within {span} after {self.code} less often than chance.",
                "#ee8c8c",
            )
        else:
            text, colour = (
                f"No reliable association within {span} (|z| < {Z_CRITICAL}).",
                theme.MUTED,
            )
        self.window_verdict.setText(text)
        self.window_verdict.setStyleSheet(f"color: {colour}")


def _window_support(result: pd.Series) -> float:
    """The units a verdict rests on: those with both (more often than chance) or the number
    chance would give (less often); under :data:`FEW_GIVEN` a z of the 2×2 table is not
    trusted, the rule of the lag tables' note."""
    if result.adjusted_residual > 0:
        return float(result.joint_units)
    return result.given_units * result.target_units / max(result.n_units, 1)


def analyse_selected(document, parent: QWidget) -> SequentialView | str:
    """Analysis ▸ Analyse what follows…: the view for the selected event's code, over the open
    session's events as they are now (unsaved edits included), in a window of its own; or the
    sentence saying why not."""
    ev = None if document.selected is None else document.session.events.get(document.selected)
    scheme = document.session.scheme
    if ev is None:
        return "Select an event first: what follows its code is analysed."
    if ev.tier == scheme.roles.phase:
        return (
            f"{ev.tier.replace('_', ' ')} is the phase tier (phases follow a fixed order): select "
            "an event of another tier."
        )
    view = SequentialView(document.session.frame(), scheme, (ev.tier, ev.code), parent)
    view.setWindowFlag(Qt.WindowType.Window)
    view.show()
    return view


def analyse_text(document) -> str:
    """The action's text for the selected event (it names the code analysed)."""
    ev = None if document.selected is None else document.session.events.get(document.selected)
    if ev is None:
        return "&Analyse what follows…"
    return f"&Analyse what follows {menu_text(ev.code)}…"
