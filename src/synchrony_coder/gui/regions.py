"""The open session's regions of interest (ROIs) as the widgets see them, and their edits.

A thin Qt shell around :mod:`synchrony_coder.session.rois`: an edit runs a pure operation, and
the :class:`RegionCommand` it pushes on the document's undo stack (the same stack as
the coding edits) writes ``session.toml`` on redo and undo. What is shown is always what is on
disk: the session's spec changes only once the manifest is written.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QColor, QUndoCommand

from ..errors import DataError
from ..motion.energy import Roi
from ..session.rois import RoiChange, apply_roi_change
from .document import Document

PARTNERS = ("infant", "caregiver")  # the names movement synchrony pairs (SCIENCE.md §6)
COLOURS = {"infant": "#5ab4ff", "caregiver": "#ffb347"}
OTHER_COLOURS = ("#b48cff", "#7ee0a1", "#ff7eb6", "#e0d46e")


class RegionCommand(QUndoCommand):
    """A change of a video's regions of interest (:mod:`synchrony_coder.session.rois`), written to
    ``session.toml`` on redo and undo; on the same stack as the coding edits."""

    def __init__(self, regions: Regions, change: RoiChange) -> None:
        super().__init__(change.label)
        self.regions = regions
        self.change = change

    def redo(self) -> None:
        if not self.regions.apply(self.change):
            self.setObsolete(True)  # not written: pushed nowhere (Qt drops it after this redo)

    def undo(self) -> None:
        self.regions.apply(self.change.inverse())


def region_colour(name: str) -> QColor:
    """The colour of a region, the same on the video and on its motion track."""
    if name in COLOURS:
        return QColor(COLOURS[name])
    return QColor(OTHER_COLOURS[sum(name.encode()) % len(OTHER_COLOURS)])


class Regions(QObject):
    """The regions of each camera (``k``: the camera's place in the session's video list)."""

    changed = pyqtSignal(int)  # camera k's regions changed (written to session.toml)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._written = False

    def video(self, k: int):
        """Camera ``k``'s entry of the session (:class:`~synchrony_coder.session.VideoRef`)."""
        return self.document.session.spec.videos[k]

    def rois(self, k: int) -> tuple[Roi, ...]:
        return self.video(k).rois

    def edit(self, k: int, operation: Callable[..., RoiChange], *args) -> bool:
        """Run ``operation(spec, video, *args)`` and push its change; False if refused."""
        doc = self.document
        if doc.session.read_only:
            doc.problem.emit(doc.session.read_only)
            return False
        try:
            change = operation(doc.session.spec, self.video(k).path, *args)
        except DataError as exc:
            doc.problem.emit(str(exc))
            return False
        if change.after == change.before:
            return False
        self._written = False
        doc.undo_stack.push(RegionCommand(self, change))  # redo() writes it, or is dropped
        return self._written

    def apply(self, change: RoiChange) -> bool:
        """Called by commands only: write the manifest, then show the change; False if not
        written (the coder is told why)."""
        session = self.document.session
        try:
            session.spec = apply_roi_change(session.spec, change)
        except DataError as exc:
            self.document.problem.emit(f"{change.label}: not saved: {exc}")
            return False
        self._written = True
        k = next(i for i, ref in enumerate(session.spec.videos) if ref.path == change.video)
        self.changed.emit(k)
        return True
