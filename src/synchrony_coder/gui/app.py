"""Start the coding app (``synchrony-coder gui`` / ``demo``)."""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtWidgets import QApplication

from .faults import offer_unsaved
from .main_window import MainWindow
from .startup import check_display, guard_fatal, release
from .theme import apply_theme


def make_app() -> QApplication:
    """The application (made once); a machine that cannot show it gets one plain line
    naming what is missing instead of Qt's abort (:mod:`.startup`)."""
    app = QApplication.instance()
    if app is None:
        check_display()
        token = guard_fatal()
        try:
            app = QApplication(sys.argv[:1])
        finally:
            release(token)
    app.setApplicationName("synchrony-coder")
    app.setOrganizationName("synchrony-coder")
    apply_theme(app)
    return app


def run_gui(
    paths: list[str | Path],
    coder: str | None = None,
    scheme: str | None = None,
    compare: str | None = None,
    banner: str | None = None,
) -> int:
    """Open the window (on ``paths`` when given) and run until it closes; the exit status."""
    app = make_app()
    window = MainWindow()
    window.show()
    if not paths:
        offer_unsaved(window)  # edits kept on this computer when a folder could not be written
    if paths:
        opened = window.open_session(list(paths), coder, scheme)
        if opened and (compare or banner):
            opener = window._opener

            def after(_videos) -> None:
                if compare:
                    window.compare_with(compare)
                if banner and not window.document.session.recovered:
                    window.show_banner(banner)

            opener.opened.connect(after)
    return int(app.exec())
