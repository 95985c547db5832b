"""Consensus mode: make the coder ``consensus`` of a session from two coders' files, in the app.

Open it from File ▸ Make consensus of two coders… or from a double-coded session of the study
list. The session opens as the coder ``consensus`` (journalled, undoable, saved like any coding):
it starts as a copy of coder A's events (the bar says so) or resumes ``coder_consensus.csv`` and
its decisions log. The disagreements of A and B (:func:`~synchrony_coder.study.disagreements`)
are stepped through in time order (F3 / Shift+F3); for each, take A's coding (Ctrl+1), B's
(Ctrl+2), or edit the consensus there by hand and keep the edit (Ctrl+3). Each decision is one
:class:`~synchrony_coder.session.Change` from :func:`~synchrony_coder.study.deciding.decide`,
pushed like any edit, so undo withdraws it and the journal keeps it. Saving writes the decisions
log beside the consensus file first (``consensus_decisions.csv``, through the storage seam).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from PyQt6.QtCore import QObject
from PyQt6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout

from ..errors import DataError
from ..events import read_events
from ..scheme import Scheme, load_scheme
from ..session import Change, find_session
from ..session.comparison import Comparison
from ..storage import atomic_write_bytes, atomic_write_text
from ..study import CONSENSUS, disagreements
from ..study.deciding import (
    EDITED,
    copy_of,
    decide,
    decision_key,
    decisions_log,
    log_path,
    read_log,
)
from .actions import Spec, build_actions, menu_text
from .consensus_view import CoderTrack, ConsensusBar, ConsensusTierTrack, DisagreementList
from .document import Document
from .help_overlay import HelpOverlay

SPECS = (
    Spec("next", "Next disagreement ▶", ("F3", "Ctrl+."), "Consensus"),
    Spec("previous", "◀ Previous disagreement", ("Shift+F3", "Ctrl+,"), "Consensus"),
    Spec("take_a", "Take A", ("Ctrl+1",), "Consensus"),
    Spec("take_b", "Take B", ("Ctrl+2",), "Consensus"),
    Spec("keep_edit", "Keep my edit", ("Ctrl+3",), "Consensus"),
)


class ConsensusMode(QObject):
    """The consensus of coders A and B (``a``, ``b``: their events of the open session; ``spans``
    their disagreements; ``logged``: the decisions log's decisions and its rows matching none)."""

    def __init__(
        self,
        main,
        a: pd.DataFrame,
        b: pd.DataFrame,
        names: tuple[str, str],
        spans: pd.DataFrame,
        logged: tuple[dict[int, str], int] = ({}, 0),
    ) -> None:
        document: Document = main.document
        super().__init__(document)
        self.main, self.document, self.names = main, document, names
        session = document.session
        self.scheme: Scheme = session.scheme
        self._tables = {"A": a, "B": b}
        self.spans = spans
        self._keys = [decision_key(row) for row in self.spans.itertuples()]
        self._rows = list(self.spans.itertuples())
        self._saved: dict[int, str] = {}  # the decisions log's, when resumed
        self._aside: Path | None = None  # where the old log goes, if some of it matches nothing
        self.origin = self._start(session, a, logged)
        self._compared = {
            side: Comparison(session.events, table, self.scheme)
            for side, table in self._tables.items()
        }
        self.current: int | None = None
        # the keys live with the session's central widget: they go when the session closes
        self.actions = build_actions(main.centralWidget(), self._handlers(), SPECS)
        self.actions["take_a"].setText(menu_text(f"Take A ({names[0]}'s coding)"))
        self.actions["take_b"].setText(menu_text(f"Take B ({names[1]}'s coding)"))
        buttons = {  # the bar's button texts (with their keys); the actions' own texts in F1
            "previous": "◀ Previous  Shift+F3",
            "next": "Next ▶  F3",
            "take_a": f"Take A · {names[0]}  Ctrl+1",
            "take_b": f"Take B · {names[1]}  Ctrl+2",
            "keep_edit": "Keep my edit  Ctrl+3",
        }
        for name, text in buttons.items():
            self.actions[name].setIconText(menu_text(text))
        self.bar = ConsensusBar(self, main.centralWidget())
        main.centralWidget().layout().insertWidget(1, self.bar)
        self.list = DisagreementList(self, main)
        main.add_dock("Disagreements", self.list, "disagreements")
        canvas = main.timeline.canvas
        canvas.make_tracks = lambda tier, shade: [
            ConsensusTierTrack(self, tier, shade),
            CoderTrack(self, tier, shade, "A"),
            CoderTrack(self, tier, shade, "B"),
        ]
        canvas.relayout()
        main.help = HelpOverlay(main, [*main.actions.values(), *self.actions.values()],
                                self.scheme)  # fmt: skip
        document.before_save.append(self.save_log)
        document.eventsChanged.connect(self._changed)
        recovered = self._recovered_at()
        if recovered is None:
            self.go(self.next_undecided(-1))
        else:  # where the recovery banner says the coder was, not back at the first one
            self.go(self.first_undecided_from(recovered), keep_playhead=True)

    # -- starting -------------------------------------------------------------------------------
    def _start(self, session, a: pd.DataFrame, logged: tuple[dict[int, str], int]) -> str:
        """Copy A into a new consensus, or take the decisions of the one resumed; says which."""
        if not session.path.exists() and not len(session.events):
            if not self.document.edit(lambda _events: copy_of(a, self.names[0])):
                return "read-only: " + session.read_only
            return f"started as a copy of {self.names[0]}'s coding (A)"
        if not session.path.exists():
            return f"the consensus the last run left unsaved ({session.recovered} edits back)"
        log = log_path(session.spec)
        self._saved, unmatched = logged
        if unmatched:
            self._aside = log.with_name(f"{log.stem}.before-{time.strftime('%Y%m%d-%H%M%S')}.csv")
            self.main.show_banner(
                f"{unmatched} decision(s) of {log.name} match no disagreement of "
                f"{self.names[0]} and {self.names[1]} now (their files changed since). When the "
                f"consensus is saved, the log as it was is kept as {self._aside.name}."
            )
        return f"resumed {session.path.name} ({len(self._saved)} decisions in {log.name})"

    def _handlers(self) -> dict:
        return {
            "next": lambda: self.step(1),
            "previous": lambda: self.step(-1),
            "take_a": lambda: self.choose("A"),
            "take_b": lambda: self.choose("B"),
            "keep_edit": lambda: self.choose(EDITED),
        }

    # -- reading --------------------------------------------------------------------------------
    @property
    def decided(self) -> dict[int, str]:
        """Disagreement number -> ``"A"``, ``"B"`` or ``"edited"``: the log's, then the notes of
        the changes since (undone ones included, as ``None``)."""
        out = dict(self._saved)
        notes = self.document.session.notes
        for k, key in enumerate(self._keys):
            if key in notes:
                if notes[key] is None:
                    out.pop(k, None)
                else:
                    out[k] = notes[key]
        return out

    @property
    def current_row(self):
        return None if self.current is None else self._rows[self.current]

    def table(self, side: str) -> pd.DataFrame:
        return self._tables[side]

    def compared(self, side: str) -> Comparison:
        """The consensus against coder ``side``, kept up to date edit by edit."""
        return self._compared[side]

    def rows_between(self, tier: str, t0: float, t1: float):
        """The disagreements of ``tier`` whose regions meet ``[t0, t1]``."""
        return [
            r
            for r in self._rows
            if r.tier == tier and r.region_onset_s <= t1 and r.region_offset_s >= t0
        ]

    def follows(self, row) -> str:
        """Whose coding the consensus holds in ``row``'s region now (live)."""
        lo, hi = float(row.region_onset_s), float(row.region_offset_s)
        same = []
        for side, name in zip("AB", self.names, strict=True):
            on, off = self._compared[side].spans(row.tier)
            off = on if row.kind == "point" else off
            differs = ((on <= hi) & (off >= lo)) if row.kind == "point" else (on < hi) & (off > lo)
            if not differs.any():
                same.append(f"{side} ({name})")
        return " = ".join(same) if same else "edited (neither coder's)"

    def _recovered_at(self) -> float | None:
        """The playhead's time when the session was recovered after a crash (the window has
        sought there and said so), else None."""
        session = self.document.session
        if session.recovered and (
            session.recovered_frame is not None or session.recovered_time is not None
        ):
            return self.document.time
        return None

    def first_undecided_from(self, t: float) -> int | None:
        """The first undecided disagreement whose region holds ``t`` or comes after it (in time
        order); the first undecided one when none does."""
        decided = self.decided
        for k, row in enumerate(self._rows):
            if k not in decided and float(row.region_offset_s) >= t:
                return k
        return self.next_undecided(-1)

    def next_undecided(self, after: int) -> int | None:
        n = len(self._rows)
        decided = self.decided
        for step in range(1, n + 1):
            k = (after + step) % n
            if k not in decided:
                return k
        return None if not n else min(max(after, 0), n - 1)

    # -- acting ---------------------------------------------------------------------------------
    def go(self, k: int | None, keep_playhead: bool = False) -> None:
        """Make disagreement ``k`` the current one: the video at its start (``keep_playhead``:
        where it is, if that is inside the region), the box in view."""
        self.current = k
        row = self.current_row
        if row is not None:
            doc = self.document
            if self.main.clock is not None:
                self.main.clock.pause()
            doc.select(None)
            lo, hi = float(row.region_onset_s), float(row.region_offset_s)
            if not (keep_playhead and lo <= doc.time <= hi):
                doc.seek_time(lo)
            canvas = self.main.timeline.canvas
            span = canvas.span_s if hi - lo < 0.6 * canvas.span_s else (hi - lo) / 0.6
            if not (canvas.start_s <= lo and hi <= canvas.start_s + span):
                canvas.set_view((lo + hi) / 2 - span / 2, span)
        self.refresh()

    def step(self, by: int) -> None:
        """Go to the next (``by=1``) or previous (``-1``) disagreement in time order."""
        n = len(self._rows)
        if not n:
            self.main.statusBar().showMessage("The two coders do not disagree anywhere.", 5000)
            return
        k = (0 if by > 0 else n - 1) if self.current is None else self.current + by
        if not 0 <= k < n:
            where = "last" if by > 0 else "first"
            self.main.statusBar().showMessage(f"This is the {where} disagreement.", 5000)
            return
        self.go(k)

    def choose(self, choice: str) -> bool:
        """Decide the current disagreement (one undoable edit), then go to the next undecided."""
        row = self.current_row
        if row is None:
            self.main.statusBar().showMessage("No disagreement to decide here.", 5000)
            return False
        k = int(row.disagreement)
        ok = self.document.edit(
            decide, self.scheme, row, choice, self._tables["A"], self._tables["B"],
            self.decided.get(k), self.names,
        )  # fmt: skip
        if ok:
            self.go(self.next_undecided(k))
        return ok

    def save_log(self) -> None:
        """Write the decisions log (before the consensus file is saved; raises WriteError)."""
        session = self.document.session
        log = decisions_log(self.spans, self.decided, session.events, session.session_id,
                            self.names)  # fmt: skip
        text = log.to_csv(index=False, float_format="%.3f", lineterminator="\n")
        path = log_path(session.spec)
        if self._aside is not None:  # decisions that match nothing now are not thrown away
            atomic_write_bytes(self._aside, path.read_bytes())
            self._aside = None
        atomic_write_text(path, text)

    def _changed(self, change: Change) -> None:
        if change.rows:
            for comparison in self._compared.values():
                comparison.update(change)
        touched = [self._keys.index(key) for key, _b, _a in change.notes if key in self._keys]
        if touched and self.document.applying == "undo":
            self.go(touched[0])  # back to the decision withdrawn, to decide it again
        elif touched and self.document.applying == "redo":
            self.go(self.next_undecided(touched[0]))  # made again: on, as when first made
        elif change.rows or change.notes:
            self.refresh()

    def refresh(self) -> None:
        self.bar.refresh()
        self.list.refresh()
        self.main.timeline.canvas.update()


def read_pair(folder: str | Path, coders: tuple[str, str], scheme: Scheme | None):
    """The session's spec and scheme, and both coders' events of it (validated).

    Raises
    ------
    DataError
        A file is missing or breaks the rules of SCIENCE.md §1; the two names are one coder.
    """
    if coders[0] == coders[1] or CONSENSUS in coders:
        raise DataError(f"a consensus is made of two different coders, not {' and '.join(coders)}")
    spec = find_session([folder])
    scheme = scheme or load_scheme(spec.scheme)
    tables = []
    for coder in coders:
        path = spec.events_path(coder)
        if not path.exists():
            raise DataError(f"{path}: no such file: {coder} has not coded session {spec.session}")
        events = read_events(path, scheme)
        tables.append(events[events["session"].astype(str) == spec.session].reset_index(drop=True))
    return spec, scheme, tables


def open_consensus(
    main, folder: str | Path, coders: tuple[str, str], scheme: str | None = None
) -> bool:
    """Open the session in ``folder`` as the coder ``consensus`` of ``coders`` (A, B)."""
    try:
        spec, rules, (a, b) = read_pair(folder, coders, load_scheme(scheme) if scheme else None)
        spans = disagreements(a, b, rules)
        log = log_path(spec)
        logged = read_log(log, spans) if log.exists() else ({}, 0)
    except DataError as exc:  # a file that cannot be read stops it here, before anything is lost
        main.report_error(str(exc))
        return False

    def start(_document: Document) -> None:  # the mode is kept by the document (its parent)
        ConsensusMode(main, a, b, (coders[0], coders[1]), spans, logged)

    return main.open_session([folder], CONSENSUS, scheme, then=start)


def ask_pair(main, coders: list[str]) -> tuple[str, str] | None:
    """Ask which two coders make the consensus (A first); None when cancelled."""
    dialog = QDialog(main)
    dialog.setWindowTitle("Make consensus")
    form = QFormLayout(dialog)
    boxes = []
    for k, label in enumerate(("Coder A (the consensus starts as a copy)", "Coder B")):
        box = QComboBox(dialog)
        box.addItems(coders)
        box.setCurrentIndex(min(k, len(coders) - 1))
        form.addRow(label, box)
        boxes.append(box)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return boxes[0].currentText(), boxes[1].currentText()


def choose_consensus(main) -> bool:
    """File ▸ Make consensus of two coders…: the open session's folder (or one chosen), then the
    two coders."""
    doc = main.document
    folder = (
        str(doc.session.spec.folder)
        if doc is not None and not doc.session.spec.prefix
        else QFileDialog.getExistingDirectory(main, "The session folder to make a consensus of")
    )
    if not folder:
        return False
    try:
        coders = [c for c in find_session([folder]).coders() if c != CONSENSUS]
    except DataError as exc:
        main.report_error(str(exc))
        return False
    if len(coders) < 2:
        main.report_error(
            f"{folder}: a consensus needs two coders' files; this session has "
            f"{', '.join(coders) or 'none'}."
        )
        return False
    pair = ask_pair(main, coders)
    return open_consensus(main, folder, pair) if pair else False
