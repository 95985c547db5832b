"""The shortcut overlay (F1 or ?): every key of the app and of the scheme, over a dimmed window.

It lists the window's own actions (the same objects the keys trigger, so it cannot go stale) and
the scheme's code keys, and states the continuous-coding rule. Any key or click closes it.
"""

from __future__ import annotations

from html import escape

from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtGui import QAction, QColor, QPainter
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ..scheme import Scheme
from . import theme

RULES = (
    "<b>Continuous coding.</b> A state code's key starts that state at the shown frame; in an "
    "exclusive tier it ends the running state there. The new state lasts until the tier's next "
    "coded state (or the end of the video). Press the <b>running code's key again</b> to end it "
    "at the shown frame. Point codes add an event at the shown frame. Keys work while playing "
    "and while paused."
)


MOUSE = (
    ("click", "timeline or ruler: go there; an event: select it"),
    ("double-click", "an event on the timeline: go to its onset"),
    ("drag", "an event's edge (a point event itself): move it, snapped to frames"),
    ("drag", "a boundary two states share: move both sides (a roll edit)"),
    ("Shift+drag", "a shared boundary: move one side only (the state you drag into shrinks)"),
    ("wheel", "scroll the timeline; Ctrl+wheel: zoom"),
    ("double-click", "a table row: go to the event"),
    ("F2", "a table cell: edit code, onset or offset (validated)"),
)


class HelpOverlay(QWidget):
    """A dimmed sheet covering its parent; hidden until :meth:`toggle`."""

    def __init__(self, parent: QWidget, actions: list[QAction], scheme: Scheme) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        row = QHBoxLayout(self)
        row.setContentsMargins(60, 40, 60, 40)
        row.setSpacing(40)
        left = [
            (
                "Keys",
                [
                    (a.shortcut().toString(), a.text().replace("&", ""))
                    for a in actions
                    if not a.shortcut().isEmpty()
                ],
            ),
        ]
        right = [
            (
                t.name.replace("_", " ") + f" ({'state' if t.is_state else 'point'})",
                [(c.key, c.name) for c in t.codes if c.key],
            )
            for t in scheme.tiers
        ] + [("Mouse", list(MOUSE))]
        row.addWidget(self._column(left, RULES), 1)
        row.addWidget(self._column(right, ""), 1)
        self.hide()

    def _column(self, groups, intro: str) -> QLabel:
        html = [f"<p style='color:{theme.TEXT}'>{intro}</p>"] if intro else []
        for title, items in groups:
            html.append(f"<h3 style='color:{theme.PLAYHEAD}'>{escape(title)}</h3><table>")
            for key, text in items:
                html.append(
                    f"<tr><td style='padding:1px 14px 1px 0'><code><b>{escape(key)}</b></code></td>"
                    f"<td>{escape(text)}</td></tr>"
                )
            html.append("</table>")
        label = QLabel("".join(html), self)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
            self.show()
            self.setFocus()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(10, 10, 12, 230))
        p.end()

    def event(self, e) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride:  # while shown, a key closes it, never codes
            e.accept()
            return True
        return super().event(e)

    def mousePressEvent(self, _event) -> None:
        self.hide()

    def keyPressEvent(self, _event) -> None:
        self.hide()
