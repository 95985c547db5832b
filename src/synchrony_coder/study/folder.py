"""The study folder: ``study.toml`` at the root, one session folder per session.

A study is plain files: the tidy CSVs in the session folders stay the truth, and ``study.toml``
says what the folder is::

    name = "Still-Face 2024"
    scheme = "default"                # bundled name, or a path relative to the study folder
    coders = ["ann", "ben", "cat"]
    attributes = ["dyad", "visit"]    # the session attributes, columns of every export

    [reliability]
    fraction = 0.3                    # share of sessions a second coder codes
    seed = 7                          # written down so the draw can be repeated
    sample = ["d01_1", "d04_2"]       # the sessions drawn (kept when sessions are added)

    [[sessions]]
    folder = "d01_1"                  # relative to the study folder
    dyad = "d01"
    visit = "1"

Session folders not listed are still part of the study (without attributes), so nothing coded is
ever left out silently; a listed folder that is missing is reported as missing. A coder marks a
session done with a file ``coder_NAME.done`` in the session folder (its text: when).
"""

from __future__ import annotations

import json
import re
import secrets
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..errors import DataError
from ..events import atomic_write_text
from ..reliability.sampling import draw_sessions, reliability_count, sample_for_reliability
from ..scheme import Scheme, load_scheme
from ..session import MANIFEST, SessionError, SessionSpec, find_session
from ..session.manifest import VIDEO_SUFFIXES
from ..video.proxy import is_proxy
from .consensus import CONSENSUS

__all__ = [
    "STUDY_FILE",
    "Study",
    "StudyError",
    "StudySession",
    "done_path",
    "load_study",
    "mark_done",
    "write_study",
]

STUDY_FILE = "study.toml"
_RESERVED = {"session", "coder", "tier", "code", "onset_s", "offset_s", "phase", "folder"}


class StudyError(DataError):
    """A study folder or ``study.toml`` that cannot be used (one line, names the file and key)."""


@dataclass(frozen=True)
class StudySession:
    """One session of a study: its folder (which may be missing) and its attributes."""

    folder: Path
    session: str
    attributes: tuple[tuple[str, str], ...] = ()
    spec: SessionSpec | None = field(default=None, compare=False)  # None: no such folder
    problem: str = ""  # why the folder cannot be read as a session, if it cannot

    def attribute(self, name: str) -> str:
        return dict(self.attributes).get(name, "")

    def coders(self) -> list[str]:
        """Coders with a file in the session folder (the consensus coder not among them)."""
        return [c for c in self.spec.coders() if c != CONSENSUS] if self.spec else []


@dataclass(frozen=True)
class Study:
    """A study: its root folder and what ``study.toml`` says (see the module notes)."""

    root: Path
    name: str
    scheme: str | None = None
    coders: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    fraction: float = 0.2
    seed: int = 0
    sample: tuple[str, ...] | None = None  # None: drawn from every session with the seed
    sessions: tuple[StudySession, ...] = ()
    n_listed: int = 0  # the first n_listed sessions are listed in study.toml; the rest were found

    @property
    def path(self) -> Path:
        return self.root / STUDY_FILE

    def load_scheme(self) -> Scheme:
        return load_scheme(self.scheme)

    def reliability_sample(self) -> list[str]:
        """The sessions chosen for double coding (``sample-reliability``'s reproducible draw)."""
        if self.sample is not None:
            return sorted(self.sample)
        ids = [s.session for s in self.sessions]
        return sample_for_reliability(ids, self.fraction, self.seed) if ids else []

    def session(self, session: str) -> StudySession:
        for s in self.sessions:
            if s.session == session:
                return s
        raise StudyError(f"{self.path}: no session {session!r} in this study")

    def all_coders(self) -> list[str]:
        """The study's coders, then any other coder found in a session folder."""
        found = {c for s in self.sessions for c in s.coders()}
        return [*self.coders, *sorted(found - set(self.coders))]


def session_in_folder(folder: Path, attributes: tuple[tuple[str, str], ...] = ()) -> StudySession:
    """The session a folder holds, readable even when its videos are missing (then said so)."""
    if not folder.is_dir():
        return StudySession(folder, folder.name, attributes, None, "no such folder")
    try:
        spec = find_session(folder, missing_ok=True)
    except SessionError as exc:
        return StudySession(folder, folder.name, attributes, None, str(exc))
    missing = [v.path.name for v in spec.videos if not v.path.exists()]
    problem = f"video missing: {', '.join(missing)}" if missing else ""
    if not spec.videos:
        problem = "no video"
    return StudySession(folder, spec.session, attributes, spec, problem)


def is_session_folder(folder: Path) -> bool:
    """A folder with a manifest, a coder's file or a video of its own."""
    if (folder / MANIFEST).exists() or any(folder.glob("coder_*.csv*")):
        return True
    return any(p.suffix.lower() in VIDEO_SUFFIXES and not is_proxy(p) for p in folder.iterdir())


def _text(data: dict, key: str, path: Path, default=None):
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise StudyError(f"{path}: {key}: {value!r} is not text (put it in quotes)")
    return value


def _names(data: dict, key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StudyError(f"{path}: {key}: expected a list of names in quotes, got {value!r}")
    return tuple(value)


def load_study(root: str | Path) -> Study:
    """Read the study in ``root`` (its ``study.toml`` and session folders).

    Raises
    ------
    StudyError
        No ``study.toml``, or one whose keys are of the wrong kind; two folders holding the
        same session id.
    """
    root = Path(root).resolve()
    path = root / STUDY_FILE
    if not path.exists():
        raise StudyError(
            f"{root}: no {STUDY_FILE} here (make one with: synchrony-coder study init)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StudyError(f"{path}: cannot read it: {exc}") from None
    rel = data.get("reliability", {})
    if not isinstance(rel, dict):
        raise StudyError(f"{path}: reliability: expected a table ([reliability])")
    fraction, seed = rel.get("fraction", 0.2), rel.get("seed", 0)
    if not isinstance(fraction, int | float) or not 0 < fraction <= 1:
        raise StudyError(f"{path}: reliability.fraction: {fraction!r} is not a share in (0, 1]")
    if not isinstance(seed, int):
        raise StudyError(f"{path}: reliability.seed: {seed!r} is not a whole number")
    sample = _names(rel, "sample", path) if "sample" in rel else None
    attributes = _names(data, "attributes", path)
    clash = sorted(set(attributes) & _RESERVED)
    if clash:
        raise StudyError(f"{path}: attributes: {clash[0]!r} is a column of the events already")
    raw = data.get("sessions", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise StudyError(f"{path}: sessions: expected [[sessions]] tables")
    sessions, seen = [], set()
    for k, entry in enumerate(raw):
        folder = entry.get("folder")
        if not isinstance(folder, str):
            raise StudyError(f"{path}: sessions[{k}].folder: needs the session folder's name")
        attrs = tuple((a, str(entry.get(a, ""))) for a in attributes)
        sessions.append(session_in_folder((root / folder).resolve(), attrs))
        seen.add((root / folder).resolve())
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.resolve() not in seen and is_session_folder(folder):
            sessions.append(session_in_folder(folder.resolve(), tuple((a, "") for a in attributes)))
    ids: dict[str, Path] = {}
    for s in sessions:
        if s.session in ids:
            raise StudyError(
                f"{path}: session {s.session!r} is in two folders: {ids[s.session]} and {s.folder}"
            )
        ids[s.session] = s.folder
    scheme = _text(data, "scheme", path)
    if scheme and (root / scheme).exists():
        scheme = str((root / scheme).resolve())
    return Study(
        root=root,
        name=_text(data, "name", path, root.name),
        scheme=scheme,
        coders=_names(data, "coders", path),
        attributes=attributes,
        fraction=float(fraction),
        seed=seed,
        sample=sample,
        sessions=tuple(sessions),
        n_listed=len(raw),
    )


def toml_value(value) -> str:
    """A TOML value: JSON's string, number and array syntax is TOML's too."""
    return json.dumps(value, ensure_ascii=False)


def study_text(study: Study) -> str:
    """``study.toml`` for ``study`` (its sessions listed with their attributes)."""
    scheme = study.scheme or "default"
    if Path(scheme).is_absolute() and Path(scheme).is_relative_to(study.root):
        scheme = str(Path(scheme).relative_to(study.root))
    lines = [
        "# A synchrony-coder study: `synchrony-coder study status|export|metrics|report DIR`.",
        "# Plain text: edit it by hand if you like (coders, attributes, sessions).",
        f"name = {toml_value(study.name)}",
        f"scheme = {toml_value(scheme)}",
        f"coders = {toml_value(list(study.coders))}",
        f"attributes = {toml_value(list(study.attributes))}",
        "",
        "[reliability]",
        f"fraction = {study.fraction:g}",
        f"seed = {study.seed}",
    ]
    if study.sample is not None:
        lines.append(f"sample = {toml_value(sorted(study.sample))}")
    for s in study.sessions:
        folder = (
            s.folder.relative_to(study.root) if s.folder.is_relative_to(study.root) else s.folder
        )
        lines += ["", "[[sessions]]", f"folder = {toml_value(folder.as_posix())}"]
        lines += [f"{name} = {toml_value(value)}" for name, value in s.attributes]
    return "\n".join(lines) + "\n"


def write_study(study: Study) -> Path:
    """Write ``study.toml`` (atomically)."""
    atomic_write_text(study.path, study_text(study))
    return study.path


def new_seed() -> int:
    """A fresh random seed for the reliability draw (it is written into ``study.toml``)."""
    return secrets.randbelow(100_000)


def with_sessions(study: Study, sessions: Iterable[StudySession]) -> Study:
    """``study`` with ``sessions`` added (those it has keep their place and attributes).

    The reliability draw grows with the study and never changes: the first sessions get
    ``sample-reliability``'s draw with the study's fraction and seed; later ones as many more as
    keep the drawn share at ``ceil(fraction · n)`` of all n sessions, drawn at random from the
    new ones (seeded by the study's seed and n). So a lab adding dyads one at a time or all at
    once double-codes the same share.
    """
    have = {s.session for s in study.sessions}
    new = [s for s in sessions if s.session not in have]
    sample = set(study.sample or ())
    if new:
        ids = [s.session for s in new]
        if not have:
            drawn = sample_for_reliability(ids, study.fraction, study.seed)
        else:
            total = len(have) + len(ids)
            need = reliability_count(total, study.fraction) - len(sample & (have | set(ids)))
            drawn = draw_sessions(ids, need, (study.seed, total))
        sample |= set(drawn)
    return replace(
        study,
        sessions=(*study.sessions, *new),
        sample=tuple(sorted(sample)) if new or study.sample is not None else None,
    )


def done_path(spec: SessionSpec, coder: str) -> Path:
    """The file that marks ``coder``'s work on the session as done."""
    return spec.events_path(coder).with_suffix(".done")


def mark_done(spec: SessionSpec, coder: str, done: bool = True) -> Path:
    """Mark (or unmark) ``coder``'s coding of the session as done: a plain file saying when."""
    path = done_path(spec, coder)
    if done:
        atomic_write_text(
            path, f"done {datetime.now().astimezone().isoformat(timespec='seconds')}\n"
        )
    else:
        path.unlink(missing_ok=True)
    return path


_FIELD = re.compile(r"\{(\w+)\}")


def pattern_regex(pattern: str) -> re.Pattern:
    """``"{dyad}_{visit}_{camera}.mp4"`` as a regular expression with one group per field."""
    parts, pos, names = [], 0, []
    for m in _FIELD.finditer(pattern):
        parts.append(re.escape(pattern[pos : m.start()]))
        name = m.group(1)
        if name in names:
            parts.append(f"(?P={name})")
        else:
            parts.append(f"(?P<{name}>.+?)")
            names.append(name)
        pos = m.end()
    parts.append(re.escape(pattern[pos:]))
    return re.compile("".join(parts) + r"\Z")


def session_pattern(pattern: str) -> str:
    """The part of a camera-file pattern that names a session: no extension, no ``{camera}``."""
    stem = re.sub(r"\.[A-Za-z0-9]+\Z", "", pattern)
    stem = re.sub(r"[_\-. ]?\{camera\}|\{camera\}[_\-. ]?", "", stem, count=1)
    return stem
