"""Where a session lives: its folder, its video(s), its scheme and one events file per coder.

A session folder holds an optional ``session.toml`` manifest::

    session = "s01"                 # session id written in the events' `session` column
    scheme = "default"              # bundled scheme name, or a path relative to the folder
    [[videos]]
    path = "video.mp4"              # relative to the folder; the first video is the primary one
    offset_s = 0.0                  # session time of this video's first frame (started late: > 0)
    view = "dyad"                   # optional: what this camera shows (labels the view)

(``videos = ["a.mp4", "b.mp4"]`` and ``file``/``offset`` spellings are accepted too.) Without a
manifest, every video in the folder is used (sorted by name, offset 0; proxies ``*.proxy.mp4``
made by ``synchrony-coder proxy`` are not videos of their own: the app plays a video's proxy in its
place) and the session id is the folder's name. Coder ``NAME``'s events are ``coder_NAME.csv`` in
the folder (SCIENCE.md §1 format), with the crash journal ``coder_NAME.csv.journal`` and, while
open, ``coder_NAME.csv.lock`` beside it.

Opening bare video files instead of a folder makes a session named after the first video's stem,
whose coder files are ``<stem>.coder_NAME.csv`` beside it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..video.archive import VIDEO_SUFFIXES
from ..video.proxy import is_proxy

__all__ = ["MANIFEST", "SessionError", "SessionSpec", "VideoRef", "find_session"]

MANIFEST = "session.toml"
_CODER = re.compile(r"^[\w.-]+$")


class SessionError(DataError):
    """A session folder, manifest or video list that cannot be opened (one line, names the file)."""


@dataclass(frozen=True)
class VideoRef:
    """One camera of a session: its file and its offset on the session clock (seconds)."""

    path: Path
    offset_s: float = 0.0
    view: str = ""  # what the camera shows, e.g. "dyad", "caregiver" (for labels)


@dataclass(frozen=True)
class SessionSpec:
    """A session on disk (no events loaded)."""

    folder: Path
    session: str
    videos: tuple[VideoRef, ...]
    scheme: str | None = None  # bundled name or absolute path; None: the default scheme
    prefix: str = ""  # "" for a session folder, "<stem>." for bare videos

    def events_path(self, coder: str) -> Path:
        """The coder's events CSV (it may not exist yet)."""
        if not _CODER.match(coder):
            raise SessionError(
                f"coder name {coder!r}: use letters, digits, '.', '-' or '_' (it names a file)"
            )
        return self.folder / f"{self.prefix}coder_{coder}.csv"

    def coders(self) -> list[str]:
        """Coders with an events file (or only a journal) in this session, sorted."""
        names = set()
        for p in self.folder.glob(f"{self.prefix}coder_*.csv*"):
            stem = p.name[len(self.prefix) + len("coder_") :]
            for suffix in (".csv.journal", ".csv.lock", ".csv"):
                if stem.endswith(suffix):
                    names.add(stem[: -len(suffix)])
        return sorted(n for n in names if _CODER.match(n))


def find_session(paths: str | Path | list[str | Path]) -> SessionSpec:
    """The session of a folder (with or without ``session.toml``) or of bare video files.

    Raises
    ------
    SessionError
        No such file, no video, or a manifest that is not valid.
    """
    items = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
    if not items:
        raise SessionError("no session folder or video given")
    for p in items:
        if not p.exists():
            raise SessionError(f"{p}: no such file or folder")
    if len(items) == 1 and items[0].is_dir():
        return _from_folder(items[0].resolve())
    bad = [p for p in items if p.is_dir() or p.suffix.lower() not in VIDEO_SUFFIXES]
    if bad:
        raise SessionError(
            f"{bad[0]}: not a video file (give one session folder, or video files: "
            f"{', '.join(VIDEO_SUFFIXES)})"
        )
    first = items[0].resolve()
    return SessionSpec(
        folder=first.parent,
        session=first.stem,
        videos=tuple(VideoRef(p.resolve()) for p in items),
        prefix=f"{first.stem}.",
    )


def _from_folder(folder: Path) -> SessionSpec:
    manifest = folder / MANIFEST
    if not manifest.exists():
        videos = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and not is_proxy(p)
        )
        if not videos:
            raise SessionError(f"{folder}: no {MANIFEST} and no video file in this folder")
        return SessionSpec(folder, folder.name, tuple(VideoRef(p) for p in videos))
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SessionError(f"{manifest}: cannot read the manifest: {exc}") from None
    session = str(data.get("session", data.get("name", data.get("id", folder.name))))
    raw = data.get("videos", data.get("video", []))
    if isinstance(raw, str | dict):
        raw = [raw]
    videos = []
    for k, item in enumerate(raw):
        entry = {"path": item} if isinstance(item, str) else dict(item)
        rel = entry.get("path", entry.get("file"))
        if not isinstance(rel, str):
            raise SessionError(f"{manifest}: videos[{k}]: needs a path")
        offset = entry.get("offset_s", entry.get("offset", 0.0))
        if not isinstance(offset, int | float):
            raise SessionError(f"{manifest}: videos[{k}].offset_s: {offset!r} is not a number")
        path = (folder / rel).resolve()
        if not path.exists():
            raise SessionError(f"{manifest}: videos[{k}]: {rel} not found in {folder}")
        view = str(entry.get("view", entry.get("label", "")))
        videos.append(VideoRef(path, float(offset), view))
    if not videos:
        raise SessionError(f"{manifest}: lists no videos ([[videos]] path = ...)")
    scheme = data.get("scheme")
    if isinstance(scheme, str) and (folder / scheme).exists():
        scheme = str((folder / scheme).resolve())
    return SessionSpec(folder, session, tuple(videos), scheme if isinstance(scheme, str) else None)
