"""The main window: a composition of the player, timeline, events table, codes and metrics panels.

It owns no coding logic: it opens a session (videos indexed in a worker thread, with progress),
builds a :class:`~.document.Document` and the widgets observing it, routes actions, and guards the
coder's work (title-bar mark, recovery banner, save prompt only when something is unsaved).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..errors import DataError
from ..scheme import load_scheme
from ..session import CodingSession, find_session
from ..study import CONSENSUS
from . import settings
from .actions import SPECS, build_actions, code_actions, menu_text
from .audio import AudioTrack, has_audio
from .codes_panel import CodesPanel
from .consensus_mode import choose_consensus
from .document import Document
from .events_table import EventsTable
from .faults import FaultNotices
from .help_overlay import HelpOverlay
from .metrics_panel import INTERACTION, MetricsPanel
from .movement import SessionMotion
from .player import PlaybackClock, PlayerWidget, stride_note
from .sequential_view import analyse_selected, analyse_text
from .study_window import choose_study
from .timecode import format_timecode, parse_position
from .timeline import Timeline
from .workers import CodingProxies, ProxyMaker, VideoOpener

WELCOME = (
    "<h2>synchrony-coder</h2><p>Open a session folder or video with <b>Ctrl+O</b>,"
    " or run <code>synchrony-coder demo</code> to try the sample session.</p>"
    "<p>Press <b>F1</b> for every shortcut.</p>"
)

CENTRAL_SHARE = 0.55  # of the window's height, at least, for the video and the timeline
EVENTS_DOCK_H = 240


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("main")
        self.document: Document | None = None
        self.clock: PlaybackClock | None = None
        self._opener: VideoOpener | None = None
        self._proxy_maker: ProxyMaker | None = None
        self._code_actions: list = []
        self._docks: list[QDockWidget] = []
        self.actions = build_actions(self, self._handlers())
        self._build_menus()
        self._show_welcome()
        self.setWindowTitle("synchrony-coder")
        screen = self.screen().availableGeometry()
        self.resize(min(1560, int(screen.width() * 0.96)), min(960, int(screen.height() * 0.94)))
        geometry = settings.app_settings().value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._update_enabled()

    # -- building -----------------------------------------------------------------------------
    def _handlers(self) -> dict:
        def doc_only(fn):
            return lambda: fn() if self.document is not None else None

        return {
            "open": self.choose_session,
            "open_study": lambda: choose_study(self),
            "compare": doc_only(self.choose_comparison),
            "consensus": lambda: choose_consensus(self),
            "save": doc_only(self.save),
            "export": doc_only(self.export),
            "proxy": doc_only(self.make_proxies),
            "frame_memory": self.choose_frame_memory,
            "quit": self.close,
            "undo": doc_only(lambda: self.document.undo_stack.undo()),
            "redo": doc_only(lambda: self.document.undo_stack.redo()),
            "delete": doc_only(
                lambda: self.motion.delete_selected() or self.events_table.delete_selected()
            ),
            "play": doc_only(lambda: self.clock.toggle()),
            "step_back": doc_only(lambda: self.step(-1)),
            "step_forward": doc_only(lambda: self.step(1)),
            "back_1s": doc_only(lambda: self.jump(-1.0)),
            "fwd_1s": doc_only(lambda: self.jump(1.0)),
            "back_5s": doc_only(lambda: self.jump(-5.0)),
            "fwd_5s": doc_only(lambda: self.jump(5.0)),
            "home": doc_only(lambda: self.document.seek(0)),
            "end": doc_only(lambda: self.document.seek(self.document.frame_count - 1)),
            "goto": doc_only(self.choose_position),
            "slower": doc_only(lambda: self.clock.faster(-1)),
            "faster": doc_only(lambda: self.clock.faster(1)),
            "normal_speed": doc_only(lambda: self.clock.set_speed(1.0)),
            "draw_regions": doc_only(lambda: self.motion.toggle_drawing()),
            "show_regions": doc_only(lambda: self.motion.toggle_outlines()),
            "movement_settings": doc_only(lambda: self.motion.choose_settings()),
            "analyse": doc_only(self.analyse_following),
            "help": self.toggle_help,
        }

    def _build_menus(self) -> None:
        menus = {}
        for spec in SPECS:
            if spec.menu not in menus:
                menus[spec.menu] = self.menuBar().addMenu(f"&{spec.menu}")
            menus[spec.menu].addAction(self.actions[spec.name])
            if spec.name == "open":
                self.recent_menu = menus["File"].addMenu("Open &recent")
                self.recent_menu.aboutToShow.connect(self._fill_recent)

    def _show_welcome(self) -> None:
        """The start page: how to begin, and the recent sessions as links."""
        recent = [p for p in settings.recent_sessions() if Path(p).exists()]
        links = "".join(
            f"<p><a style='color:#8ab4f8' href='{escape(p)}'>{escape(p)}</a></p>" for p in recent
        )
        text = WELCOME + (f"<h3>Recent sessions</h3>{links}" if recent else "")
        self.welcome = QLabel(text, self)
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome.linkActivated.connect(lambda path: self.open_session([path]))
        self.setCentralWidget(self.welcome)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in settings.recent_sessions():
            a = self.recent_menu.addAction(menu_text(path))
            a.triggered.connect(lambda _=False, p=path: self.open_session([p]))

    def _update_enabled(self) -> None:
        has = self.document is not None
        for spec in SPECS:
            if spec.name not in ("open", "open_study", "consensus", "quit", "help", "frame_memory"):
                self.actions[spec.name].setEnabled(has)

    # -- opening ------------------------------------------------------------------------------
    def choose_session(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a session folder")
        if folder:
            self.open_session([folder])

    def open_session(
        self,
        paths: list[str | Path],
        coder: str | None = None,
        scheme: str | None = None,
        then: Callable[[Document], object] | None = None,
    ) -> bool:
        """Open a session folder or videos for ``coder``; the videos open in a worker thread
        (``then(document)`` once the session is shown, e.g. to start consensus mode)."""
        if self._opener is not None and self._opener.isRunning():
            self.statusBar().showMessage("Still opening the previous session…", 5000)
            return False
        if not self.close_document():
            return False
        coder = coder or settings.coder_name() or self._ask_coder()
        if not coder:
            return False
        try:
            spec = find_session(list(paths))
            session = CodingSession.open(spec, coder, load_scheme(scheme) if scheme else None)
        except DataError as exc:
            self.report_error(str(exc))
            return False
        if coder != CONSENSUS:  # the coder's own name, not the consensus they make
            settings.remember_coder(coder)
        settings.remember_session(str(spec.folder if not spec.prefix else spec.videos[0].path))
        # one memory budget for decoded frames, shared by the cameras
        share = settings.frame_cache_mib() / max(len(spec.videos), 1)
        self._opener = VideoOpener(spec, cache_mib=share, parent=self)
        progress = QProgressDialog(f"Opening {spec.session}…", "", 0, 0, self)
        progress.setCancelButton(None)
        progress.setMinimumDuration(400)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        self._opener.progress.connect(lambda d, t: (progress.setMaximum(t), progress.setValue(d)))
        self._opener.opened.connect(lambda videos: self._install(session, videos, then))
        self._opener.failed.connect(lambda msg: (session.close(), self.report_error(msg)))
        self._opener.finished.connect(progress.close)
        self._opener.start()
        return True

    def make_proxies(self) -> None:
        """Write a fast-seeking proxy of each video of the session that has none (in a thread);
        the session plays them from the next time it opens."""
        from ..video.proxy import playable

        if self._proxy_maker is not None and self._proxy_maker.isRunning():
            self.statusBar().showMessage("Still making proxies…", 5000)
            return
        todo = [
            ref.path for ref in self.document.session.spec.videos if playable(ref.path) == ref.path
        ]
        if not todo:
            self.statusBar().showMessage("Every video of this session has a proxy already", 5000)
            return
        self._proxy_maker = maker = ProxyMaker(todo, parent=self)
        maker.progress.connect(
            lambda name, d, t: self.statusBar().showMessage(
                f"Making a proxy of {name}: {d}/{t} frames"
            )
        )
        maker.made.connect(lambda _: self.statusBar().clearMessage())  # the progress is over
        maker.made.connect(
            lambda paths: self.show_banner(
                f"Fast-seeking proxies made ({', '.join(p.name for p in paths)}): they play in "
                "the videos' place from the next time this session opens (File ▸ Open recent). "
                "Frame numbers and times are the same."
            )
        )
        maker.failed.connect(self.report_error)
        maker.start()

    def choose_frame_memory(self) -> None:
        """Ask for the memory the app may use for decoded video frames (all cameras together)."""
        lo, hi = settings.FRAME_CACHE_RANGE_MIB
        mib, ok = QInputDialog.getInt(
            self,
            "Memory for video frames",
            "MiB of decoded frames kept around the playhead, shared by all cameras\n"
            "(more: smoother stepping back and forth; used from the next session opened):",
            settings.frame_cache_mib(),
            lo,
            hi,
            64,
        )
        if ok:
            settings.set_frame_cache_mib(mib)

    def _ask_coder(self) -> str:
        import getpass

        name, ok = QInputDialog.getText(
            self, "Coder", "Your coder name (names your events file):", text=getpass.getuser()
        )
        return name.strip() if ok else ""

    def _install(self, session: CodingSession, videos: list, then=None) -> None:
        doc = Document(session, videos, self)
        self.document = doc
        self.clock = PlaybackClock(doc, self)
        self.player = PlayerWidget(doc, self.clock, self.actions, self)
        self.timeline = Timeline(doc, self)
        self.events_table = EventsTable(doc, self)
        self.codes = CodesPanel(doc, self)
        self.motion = SessionMotion(doc, self)  # regions, motion tracks, movement synchrony
        self.metrics = MetricsPanel(doc, self, sources=(INTERACTION, self.motion.rows))
        self.banner = QLabel(self)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.player)
        split.addWidget(self.timeline)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setChildrenCollapsible(False)
        self._split = split
        central = QWidget(self)
        col = QVBoxLayout(central)
        col.setContentsMargins(4, 4, 4, 4)
        col.addWidget(self.banner)
        col.addWidget(split, 1)
        self.setCentralWidget(central)
        right, bottom = (
            Qt.DockWidgetArea.RightDockWidgetArea,
            Qt.DockWidgetArea.BottomDockWidgetArea,
        )
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self._docks = [
            self._dock("Codes", self.codes, "codes", right),
            self._dock("Metrics", self.metrics, "metrics", right),
            self._dock("Events", self.events_table, "events", bottom),
        ]
        codes_h = self.codes.widget().sizeHint().height() + 8
        self.resizeDocks(
            self._docks[:2], [codes_h, self.height() - codes_h], Qt.Orientation.Vertical
        )
        self.resizeDocks([self._docks[0]], [490], Qt.Orientation.Horizontal)  # 4 phases fit
        self.resizeDocks([self._docks[2]], [EVENTS_DOCK_H], Qt.Orientation.Vertical)
        state = settings.app_settings().value("windowState")
        if state is not None:
            self.restoreState(state)
        for a in self._code_actions:
            self.removeAction(a)
        self._code_actions = code_actions(self, session.scheme, doc.code_key)
        self.help = HelpOverlay(self, list(self.actions.values()), session.scheme)
        self.audio = None
        if has_audio(session.spec.videos[0].path):
            try:
                self.audio = AudioTrack(doc, self.clock, session.spec.videos[0].path, self)
            except ImportError:
                self.audio = None
        self.player.transport.set_audio(self.audio is not None)
        self.motion.attach(self)
        self.events_table.context_actions = [self.actions["analyse"]]

        # the action names the selected event's code: again when an edit or undo recodes it
        def name_analysed(*_args) -> None:
            self.actions["analyse"].setText(analyse_text(doc))

        doc.selectionChanged.connect(name_analysed)
        doc.eventsChanged.connect(name_analysed)
        doc.dirtyChanged.connect(self.setWindowModified)
        doc.problem.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        doc.done.connect(lambda text: self.statusBar().showMessage(text, 3000))
        self.setWindowTitle(f"{session.session_id} — {session.coder}[*] — synchrony-coder")
        self.setWindowModified(session.dirty)
        self._update_enabled()
        split.setSizes([self.height(), self.timeline.canvas.minimumHeight() + 30])
        self._keep_central_share()
        QTimer.singleShot(0, self._keep_central_share)  # once the new widgets are laid out
        if session.recovered:
            if session.recovered_frame is not None:  # where the coder was when it ended
                doc.seek(session.recovered_frame)
            elif session.recovered_time is not None:
                doc.seek_time(session.recovered_time)
            edits, differ = session.recovered, session.unsaved_events
            net = (
                f"{differ} event{'s' if differ != 1 else ''} now "
                f"differ{'s' if differ == 1 else ''} from {session.path.name}"
                if differ
                else f"together they leave the events as {session.path.name} has them"
            )
            self.show_banner(
                f"Recovered {edits} unsaved edit{'s' if edits != 1 else ''} (undos included) "
                f"from the last run, which ended without saving: {net}. They are shown below, at "
                f"{format_timecode(doc.time)} where you were; press Ctrl+S to save them."
            )
        self.faults = FaultNotices(self, session)
        # a file's problems (a cut-off recording) stay in view: the status bar's message goes
        # after 15 s and is cut at the window's width
        problems = " ".join(f"{p}." for s, _ in videos for p in s.problems())
        if problems:
            self.show_banner(
                ("" if self.banner.isHidden() else self.banner.text() + " ") + problems
            )
        self.statusBar().showMessage(
            f"{session.path}  ·  {len(session.events)} events  ·  F1: shortcuts"
            f"{_slow_seek_hint(videos)}",
            15000,
        )
        self.clock.strideChanged.connect(lambda k: self.statusBar().showMessage(stride_note(k)))
        self._coding_proxies = CodingProxies(self.player, self)
        self._coding_proxies.message.connect(self.statusBar().showMessage)
        if then is not None:
            then(doc)

    def add_dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        """A dock of the open session (a mode's panel), shown as a tab beside the events table;
        it goes when the session closes."""
        dock = self._dock(title, widget, name, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self._docks[-1], dock)
        self._docks.append(dock)
        QTimer.singleShot(0, dock.raise_)  # once the tabs exist
        return dock

    def _dock(self, title: str, widget: QWidget, name: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _central_too_small(self) -> bool:
        """The video and timeline have less than :data:`CENTRAL_SHARE` of the window's height."""
        self.layout().activate()
        room = self.height() - self.menuBar().height() - self.statusBar().height()
        return self.centralWidget().height() < CENTRAL_SHARE * room

    def _keep_central_share(self) -> None:
        """Give the video and timeline their share back from the bottom docks (a layout saved by
        a run that squeezed them, or restored over a new session's docks)."""
        if self.document is None or not self._central_too_small():
            return
        bottom = [
            d
            for d in self._docks
            if not d.isFloating()
            and self.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea
        ]
        if bottom:
            self.resizeDocks(bottom[:1], [EVENTS_DOCK_H], Qt.Orientation.Vertical)

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def report_error(self, message: str) -> None:
        self.statusBar().showMessage(message)
        QMessageBox.critical(self, "synchrony-coder", message)

    # -- playback -----------------------------------------------------------------------------
    def step(self, frames: int) -> None:
        self.clock.pause()
        self.document.seek(self.document.frame + frames)

    def jump(self, seconds: float) -> None:
        doc = self.document
        doc.seek_time(doc.time + seconds)

    def choose_position(self) -> None:
        text, ok = QInputDialog.getText(self, "Go to", "Frame (1234) or time (83.5s, 1:23.5):")
        if ok and text.strip():
            self.go_to(text)

    def go_to(self, text: str) -> None:
        try:
            kind, value = parse_position(text)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 8000)
            return
        self.clock.pause()
        doc = self.document
        doc.seek(int(value)) if kind == "frame" else doc.seek_time(value)

    def toggle_help(self) -> None:
        if self.document is not None:
            self.help.toggle()
        else:
            QMessageBox.information(self, "Shortcuts", "Open a session first (Ctrl+O).")

    def analyse_following(self) -> None:
        """Analysis ▸ Analyse what follows…: lag and time-window results for the selected code."""
        view = analyse_selected(self.document, self)
        if isinstance(view, str):
            self.statusBar().showMessage(view, 8000)

    # -- comparing ----------------------------------------------------------------------------
    def choose_comparison(self) -> None:
        doc = self.document
        others = [c for c in doc.session.spec.coders() if c != doc.session.coder]
        items = [*others, "Another file…", "Stop comparing"]
        choice, ok = QInputDialog.getItem(self, "Compare", "Compare with coder:", items, 0, False)
        if not ok:
            return
        if choice == "Stop comparing":
            doc.set_comparison("", None)
        elif choice == "Another file…":
            path, _ = QFileDialog.getOpenFileName(self, "Events CSV", "", "CSV (*.csv)")
            if path:
                self.compare_with(path)
        else:
            self.compare_with(choice)

    def compare_with(self, coder_or_path: str) -> bool:
        """Show a second coder's events (a coder of this session, or a CSV path) under ours."""
        try:
            self.document.load_comparison(coder_or_path)
        except DataError as exc:
            self.report_error(str(exc))
            return False
        return True

    # -- saving and closing -------------------------------------------------------------------
    def save(self) -> bool:
        try:
            self.document.save()
        except DataError as exc:  # one sentence: what happened, where the edits are, what to do
            self.faults.show_problem(str(exc), saving=True)
            return False
        self.statusBar().showMessage(f"Saved {self.document.session.path}", 5000)
        self.banner.hide()
        self.faults.saved()
        return True

    def export(self) -> None:
        doc = self.document
        default = str(
            doc.session.path.with_name(f"{doc.session.session_id}_{doc.session.coder}.csv")
        )
        path, _ = QFileDialog.getSaveFileName(self, "Export events", default, "CSV (*.csv)")
        if path:
            try:
                doc.save(path)
            except DataError as exc:
                self.report_error(str(exc))
                return
            self.statusBar().showMessage(f"Exported {path}", 5000)

    def confirm_close(self) -> str:
        """Ask what to do with unsaved changes: ``"save"``, ``"discard"`` or ``"cancel"``."""
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save your changes to {self.document.session.path.name}?",
            buttons,
            QMessageBox.StandardButton.Save,
        )
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(answer, "cancel")

    def close_document(self) -> bool:
        """Close the open session; asks only when something is unsaved. False: the coder cancelled."""
        doc = self.document
        if doc is None:
            return True
        discard = False
        if doc.dirty and not doc.session.read_only:
            answer = self.confirm_close()
            if answer == "cancel":
                return False
            if answer == "save" and not self.save() and not self.faults.keep_for_later():
                return False
            discard = answer == "discard"
        self.clock.pause()
        self._coding_proxies.cancel()
        self.motion.detach()  # stops measuring motion energy
        if self.audio is not None:
            self.audio.close()
        self._remember_layout()
        doc.session.close(discard=discard)
        for src, _ in doc.videos:
            src.close()
        for dock in self._docks:
            self.removeDockWidget(dock)
            dock.deleteLater()
        self._docks = []
        self.document = None
        self._show_welcome()
        self.setWindowTitle("synchrony-coder")
        self._update_enabled()
        return True

    def _remember_layout(self) -> None:
        s = settings.app_settings()
        s.setValue("geometry", self.saveGeometry())
        # a layout that squeezes the video is not kept for the next session
        if self.document is not None and not self._central_too_small():
            s.setValue("windowState", self.saveState())
        s.sync()

    def closeEvent(self, event) -> None:
        if self._opener is not None and self._opener.isRunning():
            self._opener.wait()  # a QThread must not be destroyed while it runs
        if self._proxy_maker is not None and self._proxy_maker.isRunning():
            self._proxy_maker.cancel()  # stops after the frame being encoded; no file is left
            self._proxy_maker.wait()
        if self.document is not None:
            self._coding_proxies.cancel()
        self._remember_layout()
        if self.close_document():
            event.accept()
        else:
            event.ignore()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        help_overlay = getattr(self, "help", None)
        if help_overlay is not None and help_overlay.isVisible():
            help_overlay.setGeometry(self.rect())


def _slow_seek_hint(videos: list) -> str:
    """A word on long keyframe intervals (slow seeks) and how to fix them, or ``""``."""
    from ..video.proxy import worth_a_proxy

    slow = [src for src, _ in videos if worth_a_proxy(src.path, src.index)]
    if not slow:
        return ""
    which = ", ".join(
        f"{src.path.name} (a keyframe every {src.index.keyframe_interval_s:.1f} s)" for src in slow
    )
    verb = "has" if len(slow) == 1 else "have"
    return f"  ·  {which} {verb} far-apart keyframes, so jumps take a moment: File ▸ Make fast-seeking proxies"
