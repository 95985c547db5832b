"""Every edit is a ``QUndoCommand`` wrapping a pure :class:`~synchrony_coder.session.Change`.

The command pattern of SLEAP's ``gui/commands.py``: keys, menus, the timeline, the table and tests
all end in :meth:`Document.push`, so one code path applies, journals and undoes every edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtGui import QUndoCommand

from ..session import Change

if TYPE_CHECKING:
    from .document import Document


class EditCommand(QUndoCommand):
    """Apply a change on redo, its inverse on undo; both are journaled by the session."""

    def __init__(self, document: Document, change: Change) -> None:
        super().__init__(change.label)
        self.document = document
        self.change = change

    def redo(self) -> None:
        self.document.apply(self.change)

    def undo(self) -> None:
        self.document.apply(self.change.inverse())


class RegionCommand(QUndoCommand):
    """A change of a video's regions of interest (:mod:`synchrony_coder.session.rois`), written to
    ``session.toml`` on redo and undo; on the same stack as the coding edits."""

    def __init__(self, regions, change) -> None:
        super().__init__(change.label)
        self.regions = regions
        self.change = change

    def redo(self) -> None:
        if not self.regions.apply(self.change):
            self.setObsolete(True)  # not written: pushed nowhere (Qt drops it after this redo)

    def undo(self) -> None:
        self.regions.apply(self.change.inverse())
