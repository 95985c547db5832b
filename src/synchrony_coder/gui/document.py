"""The open session as the widgets see it: events, videos, playhead, selection, undo stack.

A thin Qt shell (signals) around the plain :class:`~synchrony_coder.session.CodingSession`; it
holds no coding logic of its own: key presses become pure operations of
:mod:`synchrony_coder.session.edits`, pushed onto its undo stack as :class:`EditCommand`.

Every edit is a ``QUndoCommand`` wrapping a pure :class:`~synchrony_coder.session.Change`: the
command pattern of SLEAP's ``gui/commands.py``. Keys, menus, the timeline, the table, consensus
decisions and tests all end in :meth:`Document.push`, so one code path applies, journals and
undoes every edit. The document owns its commands (they exist only to be on its stack).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QUndoCommand, QUndoStack

from ..events import read_events
from ..session import (
    Change,
    CodingSession,
    EditError,
    add_event,
    close_state,
    start_state,
)
from ..session.comparison import Comparison
from ..video import SyncedVideos


class EditCommand(QUndoCommand):
    """Apply a change on redo, its inverse on undo; both are journaled by the session."""

    def __init__(self, document: Document, change: Change) -> None:
        super().__init__(spoken_label(change.label, document.session.scheme))
        self.document = document
        self.change = change
        self._done = False  # QUndoStack.push runs redo once: that is the edit, not a redo

    def redo(self) -> None:
        self.document.apply(self.change, "redo" if self._done else "edit")
        self._done = True

    def undo(self) -> None:
        self.document.apply(self.change.inverse(), "undo")


def spoken_label(label: str, scheme) -> str:
    """An edit's label as the coder reads it: each tier by its display name (``start infant
    engagement/negative``, as the events table writes tiers)."""
    for tier in sorted(scheme.tiers, key=lambda t: -len(t.name)):  # longest names first
        label = label.replace(tier.name, tier.name.replace("_", " "))
    return label


class Document(QObject):
    """One coder's open session with its videos (``videos``: list of (source, offset_s))."""

    eventsChanged = pyqtSignal(object)  # the Change applied
    frameChanged = pyqtSignal(int)
    selectionChanged = pyqtSignal(object)  # event id or None
    dirtyChanged = pyqtSignal(bool)
    comparisonChanged = pyqtSignal()  # another coder compared, or none
    disagreementsChanged = pyqtSignal(object)  # {tier: (t0, t1) that may look different now}
    problem = pyqtSignal(str)
    done = pyqtSignal(str)  # what an edit, undo or redo did, in words ("Undid: start …")

    def __init__(self, session: CodingSession, videos: list, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.videos = videos
        self.primary = videos[0][0]
        self.synced = SyncedVideos(videos)
        self.undo_stack = QUndoStack(self)
        self.frame = 0
        self.scrubbing = False  # the scrub slider is dragged: views may show fast previews
        self.selected: int | None = None
        self.comparison: pd.DataFrame | None = None
        self.comparison_coder = ""
        self.compared: Comparison | None = None
        self._disagreements: pd.DataFrame | None = None
        self._dirty = session.dirty
        self.applying = "edit"  # or "undo", "redo": what the change being applied is
        # called before the events are saved to the coder's file (a mode's own files: a raised
        # DataError stops the save and says why)
        self.before_save: list[Callable[[], None]] = []
        session.subscribe(self._on_change)

    # -- time ---------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        return int(self.primary.frame_count)

    @property
    def duration_s(self) -> float:
        return float(self.primary.duration_s)

    def time_of(self, frame: int) -> float:
        return round(float(self.primary.time_of(int(frame))), 3)

    def index_at(self, t: float) -> int:
        return int(min(max(self.primary.index_at(max(float(t), 0.0)), 0), self.frame_count - 1))

    @property
    def time(self) -> float:
        return self.time_of(self.frame)

    def seek(self, frame: int) -> None:
        frame = int(min(max(frame, 0), self.frame_count - 1))
        if frame != self.frame:
            self.frame = frame
            self.frameChanged.emit(frame)

    def seek_time(self, t: float) -> None:
        self.seek(self.index_at(t))

    # -- selection ----------------------------------------------------------------------------
    def select(self, event_id: int | None) -> None:
        if event_id is not None and event_id not in self.session.events:
            event_id = None
        if event_id != self.selected:
            self.selected = event_id
            self.selectionChanged.emit(event_id)

    # -- edits --------------------------------------------------------------------------------
    def edit(
        self,
        operation: Callable[..., Change],
        *args,
        explain: Callable[[EditError], str] = str,
        **kwargs,
    ) -> bool:
        """Run a pure operation on the current events and push its change; False if refused
        (``problem`` then says why, in the words ``explain`` gives the refusal)."""
        if self.session.read_only:
            self.problem.emit(self.session.read_only)
            return False
        try:
            change = operation(self.session.events, *args, **kwargs)
        except EditError as exc:
            self.problem.emit(explain(exc))
            return False
        self.push(change)
        return True

    def push(self, change: Change) -> None:
        self.undo_stack.push(EditCommand(self, change))

    def apply(self, change: Change, how: str = "edit") -> None:
        """Called by commands only: apply, journal (with the playhead's frame: recovery after a
        crash reopens there), notify, select the changed event; ``done`` says it. ``how``:
        ``"edit"``, ``"undo"`` or ``"redo"`` (as :attr:`applying` while the views hear of it)."""
        self.applying = how
        try:
            self.session.apply(replace(change, frame=self.frame))
        finally:
            self.applying = "edit"
        if change.rows or change.notes:
            said = {"undo": "Undid: ", "redo": "Redid: "}.get(how, "")
            self.done.emit(said + spoken_label(change.label, self.session.scheme))
        focus = change.focus
        if self.selected is not None and self.selected not in self.session.events:
            self.selected = None
            self.selectionChanged.emit(None)
        if focus is not None:
            self.select(focus)

    def code_key(self, tier: str, code: str) -> bool:
        """What a code's key does at the current frame (see the help overlay).

        Point tier: add an event. State tier: start the state here (ending the running state of an
        exclusive tier); the running code's own key ends it here instead.
        """
        scheme = self.session.scheme
        t, frame = self.time, self.frame
        if not scheme.tier(tier).is_state:
            return self.edit(add_event, scheme, tier, code, t, frame)
        events = self.session.events
        exclusive = scheme.tier(tier).exclusive
        running = events.covering(tier, t, None if exclusive else code)
        if running and events[running[0]].code == code:
            return self.edit(close_state, scheme, tier, t, frame, code)
        return self.edit(
            start_state, scheme, tier, code, t, frame, self.duration_s, self.frame_count
        )

    def running_codes(self) -> dict[str, set[str]]:
        """Tier -> codes of the state events covering the current frame."""
        t, events = self.time, self.session.events
        out: dict[str, set[str]] = {}
        for tier in self.session.scheme.tiers:
            if tier.is_state:
                codes = {events[i].code for i in events.covering(tier.name, t)}
                if codes:
                    out[tier.name] = codes
        return out

    # -- saving -------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self.session.dirty

    def save(self, path: str | None = None) -> None:
        for hook in self.before_save if path is None else ():
            hook()
        self.session.save(path)
        if path is None:
            self.undo_stack.setClean()

    def load_comparison(self, coder_or_path: str) -> None:
        """Compare with a coder of this session (by name) or an events CSV (by path).

        Raises
        ------
        DataError
            The file is missing or breaks the rules of SCIENCE.md §1 for this scheme.
        """
        spec = self.session.spec
        path = Path(coder_or_path)
        if not path.suffix:
            path = spec.events_path(coder_or_path)
        other = read_events(path, self.session.scheme)
        other = other[other["session"].astype(str) == spec.session].reset_index(drop=True)
        self.set_comparison(str(other["coder"].iloc[0]) if len(other) else path.stem, other)

    def set_comparison(self, coder: str, events: pd.DataFrame | None) -> None:
        """Show another coder's events of this session beside ours (None: stop comparing)."""
        self.comparison_coder = coder
        self.comparison = events
        self.compared = (
            None if events is None else Comparison(self.session.events, events, self.session.scheme)
        )
        self._disagreements = None
        self.comparisonChanged.emit()

    @property
    def disagreements(self) -> pd.DataFrame | None:
        """Where the compared coder disagrees with ours (``reliability.disagreement_spans``,
        SCIENCE.md §4), or None when not comparing."""
        if self.compared is not None and self._disagreements is None:
            self._disagreements = self.compared.table()
        return self._disagreements

    def _on_change(self, change: Change) -> None:
        if self.compared is not None and change.rows:
            shown = self.compared.update(change)  # only the tiers and spans the edit touched
            self._disagreements = None
            self.disagreementsChanged.emit(shown)
        self.eventsChanged.emit(change)
        if self.session.dirty != self._dirty:
            self._dirty = self.session.dirty
            self.dirtyChanged.emit(self._dirty)
