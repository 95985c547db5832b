"""The scheme's codes grouped by tier, with colour, shortcut key and what is running now.

Clicking a code does what its key does. The state that covers the current frame is highlighted,
so the coder sees at a glance what each partner is coded as "now".
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from . import theme
from .document import Document


class CodesPanel(QScrollArea):
    """One block per tier: ``[key] ■ code`` buttons."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWidgetResizable(True)
        body = QWidget(self)
        col = QVBoxLayout(body)
        col.setContentsMargins(8, 6, 8, 6)
        col.setSpacing(4)
        self.buttons: dict[tuple[str, str], QPushButton] = {}
        for tier in document.session.scheme.tiers:
            kind = "state, exclusive" if tier.is_state and tier.exclusive else tier.kind
            head = QLabel(
                f"<b>{tier.name.replace('_', ' ')}</b>  <span style='color:{theme.MUTED}'>"
                f"{kind}</span>",
                body,
            )
            col.addWidget(head)
            grid = QGridLayout()
            grid.setHorizontalSpacing(4)
            grid.setVerticalSpacing(2)
            for k, code in enumerate(tier.codes):
                b = QPushButton(f"{code.key or '·'}   {code.name}", body)
                b.setCheckable(True)
                b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                b.setToolTip(code.description or code.name)
                b.setStyleSheet(_style(code.color))
                b.clicked.connect(lambda _=False, t=tier.name, c=code.name: self._press(t, c))
                grid.addWidget(b, k // 2, k % 2)
                self.buttons[(tier.name, code.name)] = b
            col.addLayout(grid)
        col.addStretch(1)
        self.setWidget(body)
        document.frameChanged.connect(self.refresh)
        document.eventsChanged.connect(lambda _c: self.refresh())
        self.refresh()

    def _press(self, tier: str, code: str) -> None:
        self.document.code_key(tier, code)
        self.refresh()

    def refresh(self, *_args) -> None:
        running = self.document.running_codes()
        for (tier, code), b in self.buttons.items():
            b.setChecked(code in running.get(tier, set()))


def _style(colour: str) -> str:
    return (
        "QPushButton { text-align: left; padding: 3px 6px; "
        f"border-left: 6px solid {colour}; }}"
        f"QPushButton:checked {{ background: {colour}; color: #111111; font-weight: bold; }}"
    )
