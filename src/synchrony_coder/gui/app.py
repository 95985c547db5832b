"""Start the coding app (``synchrony-coder gui`` / ``demo``)."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from PyQt6.QtWidgets import QApplication, QMainWindow

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
    if sys.excepthook is sys.__excepthook__:  # (pytest-qt installs its own while a test runs)
        sys.excepthook = report_uncaught
    app.setApplicationName("synchrony-coder")
    app.setOrganizationName("synchrony-coder")
    apply_theme(app)
    return app


def report_uncaught(kind: type[BaseException], exc: BaseException, tb) -> None:
    """Print an exception no code caught (in a slot, or in a Qt virtual such as a delegate's
    ``setModelData``) to stderr and say it in the status bar, instead of Qt's abort.

    PyQt aborts the app on an exception raised inside a C++ virtual unless ``sys.excepthook`` has
    been replaced; the action that raised it is dropped, the coder's work stays.
    """
    traceback.print_exception(kind, exc, tb, file=sys.stderr)
    sys.stderr.flush()
    app = QApplication.instance()
    windows = [] if app is None else [
        w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()
    ]  # fmt: skip
    for window in windows:
        window.statusBar().showMessage(
            f"An error in the app stopped that action ({kind.__name__}: {exc}); your coding is "
            "kept, the details are on the terminal.",
            15000,
        )


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
