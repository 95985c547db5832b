"""A calm dark theme: neutral greys, so the scheme's code colours carry the meaning."""

from __future__ import annotations

from PyQt6.QtGui import QColor, QFont, QPalette
from PyQt6.QtWidgets import QApplication

BACKGROUND = "#1e1f22"
PANEL = "#2a2b2f"
BORDER = "#3a3c41"
TEXT = "#e6e6e6"
MUTED = "#9a9ca3"
ACCENT = "#4f8cc9"
PLAYHEAD = "#ffcc33"
WARNING = "#e0a030"

STYLE = f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 8px; color: {MUTED}; }}
QToolButton, QPushButton {{
  background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px; padding: 3px 8px;
}}
QToolButton:hover, QPushButton:hover {{ border-color: {ACCENT}; }}
QToolButton:checked {{ background: {ACCENT}; }}
QTableView {{ gridline-color: {BORDER}; selection-background-color: {ACCENT}; }}
QHeaderView::section {{ background: {PANEL}; border: 0; border-right: 1px solid {BORDER};
  padding: 3px 6px; color: {MUTED}; }}
QStatusBar {{ color: {MUTED}; }}
QLabel#banner {{ background: #5a4a1a; color: #ffe9b0; padding: 6px 10px; border-radius: 4px; }}
QLabel#timecode {{ font-family: monospace; font-size: 12pt; padding: 0 8px; }}
QTabWidget::pane {{ border: 0; }}
QTabBar::tab {{ background: {PANEL}; padding: 4px 12px; color: {MUTED}; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: "#232428",
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: PANEL,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: MUTED,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(MUTED))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(MUTED))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), 10))
    app.setFont(font)
    app.setStyleSheet(STYLE)
