"""Where a session lives: its folder, its video(s), its scheme and one events file per coder.

A session folder holds an optional ``session.toml`` manifest::

    session = "s01"                 # session id written in the events' `session` column
    scheme = "default"              # bundled scheme name, or a path relative to the folder
    [[videos]]
    path = "video.mp4"              # relative to the folder; the first video is the primary one
    offset_s = 0.0                  # session time of this video's first frame (started late: > 0)
    view = "dyad"                   # optional: what this camera shows (labels the view)
    rois = { infant = [10, 40, 300, 400], caregiver = [330, 20, 300, 440] }
                                    # optional: named regions x, y, w, h in pixels of the upright
                                    # frame, for motion energy (SCIENCE.md §6); see :func:`save_rois`

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..motion.energy import Roi, RoiError
from ..video.archive import VIDEO_SUFFIXES
from ..video.proxy import is_proxy

__all__ = ["MANIFEST", "SessionError", "SessionSpec", "VideoRef", "find_session", "save_rois"]

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
    rois: tuple[Roi, ...] = ()  # named regions for motion energy, in the manifest's order


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


def find_session(paths: str | Path | list[str | Path], *, missing_ok: bool = False) -> SessionSpec:
    """The session of a folder (with or without ``session.toml``) or of bare video files.

    With ``missing_ok`` a session folder opens even when its videos are missing (or it has none),
    as a study's status and analyses need only its coder files: the manifest's paths are kept.

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
        return _from_folder(items[0].resolve(), missing_ok)
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


def _from_folder(folder: Path, missing_ok: bool = False) -> SessionSpec:
    manifest = folder / MANIFEST
    if not manifest.exists():
        videos = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and not is_proxy(p)
        )
        if not videos and not missing_ok:
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
        if not path.exists() and not missing_ok:
            raise SessionError(f"{manifest}: videos[{k}]: {rel} not found in {folder}")
        view = str(entry.get("view", entry.get("label", "")))
        rois = _rois(entry.get("rois", {}), f"{manifest}: videos[{k}].rois")
        videos.append(VideoRef(path, float(offset), view, rois))
    if not videos and not missing_ok:
        raise SessionError(f"{manifest}: lists no videos ([[videos]] path = ...)")
    scheme = data.get("scheme")
    if isinstance(scheme, str) and (folder / scheme).exists():
        scheme = str((folder / scheme).resolve())
    return SessionSpec(folder, session, tuple(videos), scheme if isinstance(scheme, str) else None)


def _rois(raw, where: str) -> tuple[Roi, ...]:
    if not isinstance(raw, dict):
        raise SessionError(f"{where}: write rois = {{ NAME = [x, y, w, h], ... }}")
    rois = []
    for name, box in raw.items():
        if not isinstance(box, list) or len(box) != 4:
            raise SessionError(f"{where}.{name}: {box!r} is not [x, y, w, h]")
        try:
            rois.append(Roi(str(name), *box))
        except RoiError as exc:
            raise SessionError(f"{where}.{name}: {exc}") from None
    return tuple(rois)


def save_rois(spec: SessionSpec, video: str | Path, rois: Sequence[Roi]) -> Path:
    """Store ``rois`` for one video of a session folder in its ``session.toml`` (atomically).

    The rest of the manifest is kept as written, comments included; a folder without a manifest
    gets one listing its videos as they are found now. An empty ``rois`` removes the entry.

    Raises
    ------
    SessionError
        The session is made of bare video files (no folder to hold a manifest), or the video is
        not one of the session's.
    """
    import tomlkit

    from ..storage import atomic_write_text

    if spec.prefix:
        raise SessionError(
            f"{spec.folder}: ROIs are stored in a session folder's {MANIFEST}; "
            "put the video in a folder of its own and open the folder"
        )
    target = Path(video).resolve()
    position = next((k for k, v in enumerate(spec.videos) if v.path == target), None)
    if position is None:
        raise SessionError(f"{video}: not a video of session {spec.session} ({spec.folder})")
    manifest = spec.folder / MANIFEST
    if manifest.exists():
        doc = tomlkit.parse(manifest.read_text(encoding="utf-8"))
    else:
        doc = tomlkit.document()
        doc["session"] = spec.session
        doc["videos"] = tomlkit.aot()
        for ref in spec.videos:
            entry = tomlkit.table()
            entry["path"] = ref.path.relative_to(spec.folder).as_posix()
            entry["offset_s"] = ref.offset_s
            doc["videos"].append(entry)
    key = "videos" if "videos" in doc else "video"
    videos = doc[key]
    if isinstance(videos, str | dict):  # a lone video: make it a list of one
        doc[key] = videos = [videos] if isinstance(videos, str) else tomlkit.aot() + [videos]
    entry = videos[position]
    if isinstance(entry, str):  # `videos = ["a.mp4"]`: the entry becomes an inline table
        entry = tomlkit.inline_table()
        entry["path"] = videos[position]
        videos[position] = entry
    if rois:
        table = tomlkit.inline_table()
        for roi in rois:
            table[roi.name] = list(roi.rect)
        entry["rois"] = table
    elif "rois" in entry:
        del entry["rois"]
    atomic_write_text(manifest, tomlkit.dumps(doc))
    return manifest
