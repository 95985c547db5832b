"""A copy of a session to code into, when the session itself is read-only here.

A shared archive may only be read, and a coder file another program has open may not be written;
:func:`copy_session` makes a session folder of the coder's own that plays the same videos (by
absolute path: nothing large is copied), with the same scheme, every coder's events, and this
coder's events as shown (recovered unsaved changes included).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..events import format_events
from ..storage import atomic_write_text, copy_file, make_dirs
from .manifest import MANIFEST, SessionSpec

__all__ = ["copy_session"]


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def copy_session(spec: SessionSpec, into: str | Path, coder: str, events: pd.DataFrame) -> Path:
    """Make ``into/<session>`` (``<session> (2)``, ... if taken) a copy of ``spec`` to code into.

    Parameters
    ----------
    spec
        The session to copy.
    into
        A folder the coder may write to.
    coder, events
        The coder's events as they are now (tidy table, SCIENCE.md §1).

    Returns
    -------
    Path
        The new session folder.

    Raises
    ------
    WriteError
        ``into`` cannot be written.
    """
    into = Path(into)
    folder = into / spec.session
    k = 1
    while folder.exists():
        k += 1
        folder = into / f"{spec.session} ({k})"
    make_dirs(folder)
    lines = [f"session = {_toml(spec.session)}", f"copied_from = {_toml(str(spec.folder))}"]
    if spec.scheme:
        lines.append(f"scheme = {_toml(spec.scheme)}")
    for ref in spec.videos:
        lines += [
            "",
            "[[videos]]",
            f"path = {_toml(str(ref.path))}",
            f"offset_s = {ref.offset_s!r}",
        ]
        if ref.view:
            lines.append(f"view = {_toml(ref.view)}")
    for other in spec.coders():
        source = spec.events_path(other)
        if other != coder and source.exists():
            copy_file(source, folder / f"coder_{other}.csv")
    atomic_write_text(folder / f"coder_{coder}.csv", format_events(events))
    atomic_write_text(folder / MANIFEST, "\n".join(lines) + "\n")
    return folder
