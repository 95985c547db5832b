"""What the app tells a coder when a disk, a folder or another window gets in the way.

:class:`FaultNotices` is a banner above the player of an open session. When the session's changes
can no longer go to the journal beside the CSV (:mod:`synchrony_coder.session.keeper`) it shows
the session's one-sentence message in red and asks the session to write them back every
:data:`RETRY_MS` milliseconds, so they are as soon as the folder returns or space is freed. A
read-only session gets an amber banner saying why, with a link to code into a copy (an edit
or a save says so again in the status bar or the banner). :func:`offer_unsaved` asks, at start, about edits kept on this computer by
a run that was closed while their folder could not be written.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QFileDialog, QLabel, QMessageBox, QWidget

from ..errors import DataError
from ..session import CodingSession, Status, unsaved_elsewhere
from ..session.fallback import fallback_path
from ..session.workcopy import copy_session

__all__ = ["RETRY_MS", "FaultNotices", "ask", "offer_unsaved"]

RETRY_MS = 3000
_RED = "background: #6e2323; color: #ffe1e1; padding: 8px 12px; border-radius: 4px;"
_AMBER = "background: #5a4a1a; color: #ffe9b0; padding: 8px 12px; border-radius: 4px;"
_LINK = "color: #ffffff; font-weight: bold;"
_COPY = "Code into a copy…"


def ask(parent: QWidget, title: str, text: str, yes: str) -> bool:
    """A yes/no question (tests replace this function)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    ok = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is ok


class FaultNotices(QLabel):
    """The fault banner of one open session (see the module docstring)."""

    def __init__(self, window, session: CodingSession) -> None:
        central = window.centralWidget()
        super().__init__(central)
        self.window_ = window
        self.session = session
        self.setObjectName("fault")
        self.setWordWrap(True)
        self.linkActivated.connect(self._link)
        central.layout().insertWidget(0, self)
        self.hide()
        self.timer = QTimer(self)
        self.timer.setInterval(RETRY_MS)
        self.timer.timeout.connect(session.retry)
        session.watch_status(self._on_status)
        if session.read_only:
            self._read_only()
            window.setWindowTitle(
                f"{session.session_id} — {session.coder} (read-only) — synchrony-coder"
            )
        elif session.status.message:
            self._on_status(session.status)
        if session.recovery_notes:
            before = window.banner.text() + " " if session.recovered else ""
            window.show_banner(before + " ".join(session.recovery_notes))

    # -- showing ------------------------------------------------------------------------------
    def show_problem(self, message: str, saving: bool = False) -> None:
        """Show a problem the coder must know about now (red); ``saving``: a save that failed."""
        if self.session.read_only:  # a save of a read-only session: say it as before
            self._read_only()
            return
        self.setStyleSheet(_RED)
        link = ("save", "Save again now") if saving else ("retry", "Try again now")
        self.setText(f'{escape(message)} <a href="{link[0]}" style="{_LINK}">{link[1]}</a>')
        where = self.session.status.where
        self.setToolTip(
            f"Backup journal: {fallback_path(self.session.path)}" if where == "fallback" else ""
        )
        self.show()

    def saved(self) -> None:
        """The CSV was saved: a failed save's message goes (a standing problem stays)."""
        if not self.session.status.message and not self.session.read_only:
            self.hide()

    def _on_status(self, status: Status) -> None:
        if status.message:
            self.show_problem(status.message)
            self.timer.start()
            return
        if self.timer.isActive():  # back to normal: the changes are beside the CSV again
            self.timer.stop()
            self.window_.statusBar().showMessage(
                f"Your edits are written back beside {self.session.path.name}.", 8000
            )
        if not self.session.read_only:
            self.hide()

    def _read_only(self) -> None:
        self.setStyleSheet(_AMBER)
        text = escape(self.session.read_only)
        self.setText(text.replace(_COPY, f'<a href="copy" style="{_LINK}">{_COPY}</a>'))
        self.show()

    def _link(self, target: str) -> None:
        if target == "copy":
            self.code_into_copy()
        elif target == "save":
            self.window_.save()
        elif target == "retry" and self.session.retry():
            self.hide()

    # -- acting -------------------------------------------------------------------------------
    def choose_folder(self) -> str:
        """Where to put the copy (tests replace this method)."""
        return QFileDialog.getExistingDirectory(
            self.window_, "Code into a copy: choose a folder of your own", str(Path.home())
        )

    def code_into_copy(self) -> bool:
        """Copy the session into a folder of the coder's and open the copy there."""
        into = self.choose_folder()
        if not into:
            return False
        s = self.session
        try:
            folder = copy_session(s.spec, into, s.coder, s.frame().reset_index(drop=True))
        except DataError as exc:
            self.window_.report_error(str(exc))
            return False
        return self.window_.open_session([folder], coder=s.coder)

    def keep_for_later(self) -> bool:
        """After a failed save on closing: close anyway, keeping the edits where they are?"""
        status = self.session.status
        if status.where == "memory" or self.session.read_only:
            return False
        where = "beside the file" if status.where == "journal" else "on this computer"
        return ask(
            self.window_,
            "Close without saving?",
            f"Your unsaved edits stay kept {where} and come back the next time you open "
            f"{self.session.session_id} (or start the app). Close now?",
            "Close and keep them",
        )


def offer_unsaved(window) -> bool:
    """At start: offer to open a session whose edits were kept on this computer."""
    found = unsaved_elsewhere()
    if not found:
        return False
    u = found[-1]
    when = time.strftime("%d %b %H:%M", time.localtime(u.since)).lstrip("0")
    more = f" ({len(found) - 1} more session(s) are offered next time)" if len(found) > 1 else ""
    what = f"{u.changes} unsaved edit(s) to {u.session} (coder {u.coder})"
    if not Path(u.opener).exists():
        window.statusBar().showMessage(
            f"{what} are kept on this computer since {when}; {u.opener} still cannot be reached, "
            "so they are offered again next time.",
            15000,
        )
        return False
    if not ask(
        window,
        "Unsaved edits kept on this computer",
        f"{what} were kept on this computer on {when}, when their folder could not be written"
        f"{more}. Open the session now to write them back?",
        "Open it",
    ):
        return False
    return window.open_session([u.opener], coder=u.coder)
