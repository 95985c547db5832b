"""A coding session without Qt: where it lives, one coder's events, pure edits, crash safety.

- :mod:`.manifest`: :func:`find_session` reads a session folder (``session.toml``) or bare videos.
- :mod:`.edits`: :class:`Event`, :class:`Change` and the pure operations (``add_event``,
  ``delete_event``, ``set_code``, ``move_onset``, ``move_offset``, ``move_boundary`` (a roll edit
  of a shared boundary), ``start_state``, ``close_state``) that return a change with its inverse.
- :mod:`.index`: :class:`IndexedEvents`, the open session's events with sorted indexes, so an edit
  (and its validation, :func:`~.index.check_change`) looks only at the events it can affect.
- :mod:`.journal` and :mod:`.model`: :class:`CodingSession` applies changes, journals each one
  (fsynced) and recovers after a crash.
- :mod:`.comparison`: a second coder's events and the disagreements, kept up to date edit by edit.
- :mod:`.keeper`, :mod:`.fallback`, :mod:`.recovery`, :mod:`.lock`: what keeps the changes safe
  when the disk is full, the folder read-only or gone, the journal damaged, or another program
  has the session open; :mod:`.workcopy` makes a copy of a session to code into.
"""

from __future__ import annotations

from .edits import (
    Change,
    EditError,
    Event,
    MoveRefused,
    add_event,
    apply_change,
    close_state,
    covering_state,
    delete_event,
    events_from_frame,
    events_to_frame,
    move_boundary,
    move_offset,
    move_onset,
    set_code,
    start_state,
)
from .fallback import Unsaved, unsaved_elsewhere
from .index import IndexedEvents
from .keeper import SaveError, Status
from .manifest import MANIFEST, SessionError, SessionSpec, VideoRef, find_session
from .model import CodingSession, ReadOnlyError

__all__ = [
    "MANIFEST",
    "Change",
    "CodingSession",
    "EditError",
    "Event",
    "ReadOnlyError",
    "SaveError",
    "IndexedEvents",
    "MoveRefused",
    "SessionError",
    "SessionSpec",
    "Status",
    "Unsaved",
    "VideoRef",
    "add_event",
    "apply_change",
    "close_state",
    "covering_state",
    "delete_event",
    "events_from_frame",
    "events_to_frame",
    "find_session",
    "move_boundary",
    "move_offset",
    "move_onset",
    "set_code",
    "start_state",
    "unsaved_elsewhere",
]
