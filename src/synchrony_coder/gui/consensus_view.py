"""What consensus mode shows: the decision bar, the list of disagreements, and the timeline's
three rows per tier (the consensus, editable; coder A's and coder B's codings, thin).

The current disagreement is a white box across its tier's three rows; on the consensus row, a
strip marks each disagreement (amber: to decide; green: decided); under each coder's row, red
marks where the consensus now differs from that coder (live, from the incremental comparison),
so taking B's coding moves the red from B's row to A's. Nothing here decides anything: the bar's
buttons trigger the mode's actions (:mod:`.consensus_mode`).
"""

from __future__ import annotations

from functools import partial
from html import escape
from typing import TYPE_CHECKING

from PyQt6.QtCore import QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QPainter, QPen, QTextDocument
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..reliability import NIL
from ..scheme import Tier
from . import theme
from .timecode import format_timecode
from .tracks import COMPARE_H, ComparisonTrack, TierTrack, View

if TYPE_CHECKING:
    from .consensus_mode import ConsensusMode

CURRENT = QColor("#ffffff")  # not the playhead's yellow
TO_DECIDE = QColor(theme.WARNING)
DECIDED = QColor("#4caf7a")
CHOICE_TEXT = {None: "to decide", "A": "A", "B": "B", "edited": "edited"}
escape = partial(escape, quote=False)  # text between tags: apostrophes stay as they are


def _box(p: QPainter, view: View, mode: ConsensusMode, tier: str, top: float, h: float,
         first: bool, last: bool) -> None:  # fmt: skip
    """The current disagreement's box, where it crosses this row."""
    row = mode.current_row
    if row is None or row.tier != tier:
        return
    x0, x1 = view.x_of(row.region_onset_s), view.x_of(row.region_offset_s)
    if x1 - x0 < 14:  # a point (or a sliver): a box around it, beside the playhead, not under
        x0, x1 = (x0 + x1) / 2 - 7, (x0 + x1) / 2 + 7
    fill = QColor(CURRENT)
    fill.setAlpha(40)
    p.fillRect(QRectF(x0, top, x1 - x0, h), fill)
    p.setPen(QPen(CURRENT, 2))
    p.drawLine(int(x0), int(top), int(x0), int(top + h))
    p.drawLine(int(x1), int(top), int(x1), int(top + h))
    if first:
        p.drawLine(int(x0), int(top + 1), int(x1), int(top + 1))
    if last:
        p.drawLine(int(x0), int(top + h - 1), int(x1), int(top + h - 1))


class ConsensusTierTrack(TierTrack):
    """The consensus's events of one tier (editable as any coding), its disagreements marked."""

    def __init__(self, mode: ConsensusMode, tier: Tier, shade: int) -> None:
        super().__init__(mode.document, tier, shade)
        self.mode = mode

    def paint(self, p: QPainter, view: View, top: float, t0: float, t1: float) -> None:
        super().paint(p, view, top, t0, t1)
        decided = self.mode.decided
        for row in self.mode.rows_between(self.tier, t0, t1):
            x0 = view.x_of(row.region_onset_s)
            x1 = max(view.x_of(row.region_offset_s), x0 + 3)
            colour = DECIDED if row.disagreement in decided else TO_DECIDE
            p.fillRect(QRectF(x0, top, x1 - x0, 3), colour)
        _box(p, view, self.mode, self.tier, top, self.height, True, False)


class CoderTrack(ComparisonTrack):
    """Coder A's or B's events of one tier, thin; red where the consensus differs from them."""

    height = COMPARE_H + 2

    def __init__(self, mode: ConsensusMode, tier: Tier, shade: int, side: str) -> None:
        name = mode.names[0 if side == "A" else 1]
        super().__init__(mode.document, tier, shade, f"{side} · {name}",
                         mode.table(side), mode.compared(side))  # fmt: skip
        self.mode, self.side = mode, side

    def paint(self, p: QPainter, view: View, top: float, t0: float, t1: float) -> None:
        super().paint(p, view, top, t0, t1)
        _box(p, view, self.mode, self.tier, top, self.height, False, self.side == "B")


class ElidedLabel(QLabel):
    """A one-line rich-text label that, when narrower than its text, draws the text's plain
    words cut with "…" (Qt elides no rich text) and has the whole as its tooltip; ``text()``
    stays the whole text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.plain_text = ""
        self._full_width = 0

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        doc = QTextDocument()
        doc.setDefaultFont(self.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        self.plain_text = doc.toPlainText()
        self._full_width = int(doc.idealWidth()) + 2
        self.setToolTip(self.plain_text)
        self.updateGeometry()
        self.update()

    @property
    def elided(self) -> bool:
        return self._full_width > self.contentsRect().width()

    def shown_text(self) -> str:
        """The text as drawn now: all of it, or its plain words cut to the label's width."""
        if not self.elided:
            return self.text()
        return self.fontMetrics().elidedText(
            self.plain_text, Qt.TextElideMode.ElideRight, self.contentsRect().width()
        )

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self.elided:
            super().paintEvent(event)
            return
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(self.contentsRect(), int(self.alignment()), self.shown_text())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._full_width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(80, super().minimumSizeHint().height())


def _chip(colour: str, text: str) -> str:
    return f"<span style='background:{colour}; color:#111111'>&nbsp;{escape(text)}&nbsp;</span>"


class ConsensusBar(QFrame):
    """Above the video: who is compared, the current disagreement, both codes, the choices."""

    def __init__(self, mode: ConsensusMode, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = mode
        self.setObjectName("consensus")
        self.setStyleSheet(
            f"QFrame#consensus {{ background: {theme.PANEL}; border: 1px solid {theme.BORDER};"
            " border-radius: 4px; }"
        )
        self.title = ElidedLabel(self)
        self.progress_text = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(160)
        self.progress.setFixedHeight(8)
        self.where = ElidedLabel(self)  # long texts are cut (the whole in the tooltip), not
        self.codes = ElidedLabel(self)  # drawn under the buttons nor widening the window
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {theme.MUTED}")
        self.buttons: dict[str, QToolButton] = {}
        for name in ("previous", "next", "take_a", "take_b", "keep_edit"):
            action = mode.actions[name]
            b = QToolButton(self)
            b.setDefaultAction(action)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.buttons[name] = b
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.progress_text)
        top.addWidget(self.progress)
        middle = QHBoxLayout()
        middle.addWidget(self.buttons["previous"])
        middle.addWidget(self.buttons["next"])
        middle.addSpacing(8)
        middle.addWidget(self.where, 1)
        for name in ("take_a", "take_b", "keep_edit"):
            middle.addWidget(self.buttons[name])
        bottom = QHBoxLayout()
        bottom.addWidget(self.codes, 2)
        bottom.addSpacing(16)
        bottom.addWidget(self.hint, 1)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 6, 10, 6)
        col.setSpacing(4)
        col.addLayout(top)
        col.addLayout(middle)
        col.addLayout(bottom)

    def refresh(self) -> None:
        mode = self.mode
        n, done = len(mode.spans), len(mode.decided)
        a, b = mode.names
        self.title.setText(
            f"<b>Consensus</b> of <b>{escape(a)}</b> (A) and <b>{escape(b)}</b> (B), saved as "
            f"{escape(mode.document.session.path.name)}<span style='color:{theme.MUTED}'>"
            f" · {escape(mode.origin)}</span>"
        )
        self.progress_text.setText(f"{done} of {n} decided")
        self.progress.setRange(0, max(n, 1))
        self.progress.setValue(done if n else 1)
        row = mode.current_row
        if row is None:
            self.where.setText(
                "<b>No disagreements</b>" if not n else f"{n} disagreements: press F3 for the first"
            )
            self.codes.setText("")
            self.hint.setText(
                f"{a} and {b} agree everywhere: the consensus is {a}'s coding. Save it (Ctrl+S)."
                if not n
                else "Go through the disagreements (F3 next, Shift+F3 previous)."
            )
            return
        k = int(row.disagreement)
        span = (
            format_timecode(row.region_onset_s)
            if row.kind == "point"
            else f"{format_timecode(row.region_onset_s)} – {format_timecode(row.region_offset_s)}"
        )
        self.where.setText(
            f"<b>Disagreement {k + 1} of {n}</b> · {escape(row.tier.replace('_', ' '))} · {span}"
        )
        colours = {c.name: c.color for c in mode.scheme.tier(row.tier).codes}
        choice = mode.decided.get(k)
        state = CHOICE_TEXT[choice]
        state_colour = DECIDED.name() if choice else TO_DECIDE.name()
        self.codes.setText(
            f"A · {escape(a)}: {self._code(row.code_a, colours)} &nbsp; "
            f"B · {escape(b)}: {self._code(row.code_b, colours)} &nbsp; "
            f"<span style='color:{state_colour}'><b>{'decided: ' if choice else ''}{state}"
            f"</b></span> · <span style='color:{theme.MUTED}'>here now: {mode.follows(row)}</span>"
        )
        tip = (
            "To edit: change the consensus row inside the white box (code keys, dragging, the "
            "events table), then Keep my edit."
        )
        if done == n:
            tip = f"All {n} disagreements are decided: save the consensus (Ctrl+S). " + tip
        self.hint.setText(tip)

    @staticmethod
    def _code(code: str, colours: dict[str, str]) -> str:
        if code == NIL:
            return f"<span style='color:{theme.MUTED}'>nothing coded</span>"
        return _chip(colours.get(code, "#808080"), code)


class DisagreementList(QTableWidget):
    """Every disagreement in time order, with its decision; a click goes there."""

    COLUMNS = ("#", "time", "tier", "A", "B", "decision")

    def __init__(self, mode: ConsensusMode, parent: QWidget | None = None) -> None:
        super().__init__(len(mode.spans), len(self.COLUMNS), parent)
        self.mode = mode
        a, b = mode.names
        self.setHorizontalHeaderLabels(["#", "time", "tier", f"A · {a}", f"B · {b}", "decision"])
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for r, row in enumerate(mode.spans.itertuples()):
            codes = ["–" if c == NIL else c for c in (row.code_a, row.code_b)]
            values = (str(r + 1), format_timecode(row.region_onset_s)[3:],
                      row.tier.replace("_", " "), *codes, "")  # fmt: skip
            for c, text in enumerate(values):
                self.setItem(r, c, QTableWidgetItem(text))
        self.cellClicked.connect(lambda r, _c: mode.go(r))

    def refresh(self) -> None:
        decided = self.mode.decided
        for r in range(self.rowCount()):
            choice = decided.get(r)
            item = self.item(r, 5)
            item.setText(CHOICE_TEXT[choice])
            item.setForeground(DECIDED if choice else TO_DECIDE)
        k = self.mode.current
        if k is None:
            self.clearSelection()
        elif not self.item(k, 0).isSelected():
            self.selectRow(k)
            self.scrollToItem(self.item(k, 0))
