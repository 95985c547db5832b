"""``study init``: make a folder a study, from its session folders or from a folder of camera files.

Camera files are grouped into sessions by a pattern such as ``{dyad}_{visit}_{camera}.mp4``:
the fields other than ``camera`` name the session (``d01_1``; a ``{session}`` field names it
outright) and become its attributes; ``camera`` labels each view. A session folder gets a
``session.toml`` that refers to the videos where they are (a relative path), or symbolic links to
them with ``link=True``; videos are never copied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..events import atomic_write_text
from ..session import MANIFEST
from ..session.manifest import VIDEO_SUFFIXES
from ..video.proxy import is_proxy
from .folder import (
    STUDY_FILE,
    Study,
    StudyError,
    is_session_folder,
    load_study,
    new_seed,
    pattern_regex,
    session_in_folder,
    session_pattern,
    toml_value,
    with_sessions,
    write_study,
)

__all__ = ["ARCHIVE_FILE", "InitResult", "archive_check", "init_study"]

ARCHIVE_FILE = "archive_check.csv"


@dataclass(frozen=True)
class InitResult:
    """What ``init_study`` did: the study, the session folders it made, the files it left out."""

    study: Study
    created: tuple[str, ...]
    skipped: tuple[tuple[Path, str], ...]  # (file, why)
    archive: pd.DataFrame | None


def archive_check(paths: list[Path]) -> pd.DataFrame:
    """The archive check of ``synchrony-coder probe --all`` over the study's videos: one row per
    file with what is unusual about it and whether a proxy is advised."""
    from ..video.archive import probe_files

    return probe_files(paths)


def _attributes(fields: dict[str, str], names: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple((n, fields[n]) for n in names if n not in ("camera", "session"))


def _session_id(fields: dict[str, str], names: list[str]) -> str:
    if "session" in fields:
        return fields["session"]
    return "_".join(fields[n] for n in names if n != "camera")


def _group_cameras(videos: Path, pattern: str):
    """``{session: (attributes, [(camera, path), ...])}`` and the files the pattern leaves out."""
    regex = pattern_regex(pattern)
    names = list(regex.groupindex)
    if not [n for n in names if n != "camera"]:
        raise StudyError(f"--pattern {pattern!r}: needs a field naming the session, e.g. {{dyad}}")
    groups: dict[str, tuple[tuple[tuple[str, str], ...], list[tuple[str, Path]]]] = {}
    skipped: list[tuple[Path, str]] = []
    files = sorted(
        p
        for p in videos.rglob("*")
        if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES and not is_proxy(p)
    )
    for path in files:
        m = regex.match(path.name)
        if m is None:
            skipped.append((path, f"does not match {pattern}"))
            continue
        fields = m.groupdict()
        session = _session_id(fields, names)
        attrs, cams = groups.setdefault(session, (_attributes(fields, names), []))
        camera = fields.get("camera", "")
        clash = [p for c, p in cams if c == camera]
        if clash:
            raise StudyError(
                f"{path}: same session {session!r} and camera {camera!r} as {clash[0]} "
                "(add {camera} to --pattern, or tell the files apart)"
            )
        cams.append((camera, path.resolve()))
    return groups, skipped


def _manifest(session: str, cameras: list[tuple[str, str]], scheme: str | None) -> str:
    lines = [
        "# Made by `synchrony-coder study init`; the videos stay where they are.",
        f"session = {toml_value(session)}",
    ]
    if scheme:  # the app opens the folder with the study's scheme, from the study or not
        lines.append(f"scheme = {toml_value(scheme)}")
    for camera, ref in cameras:
        lines += ["", "[[videos]]", f"path = {toml_value(ref)}", "offset_s = 0.0"]
        if camera:
            lines.append(f"view = {toml_value(camera)}")
    return "\n".join(lines) + "\n"


def _make_session(
    root: Path,
    session: str,
    cameras: list[tuple[str, Path]],
    link: bool,
    primary: str | None,
    scheme: str | None,
) -> bool:
    """Write the session folder of camera files; False when it exists already."""
    folder = root / session
    if (folder / MANIFEST).exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    cameras = sorted(cameras, key=lambda cp: (cp[0] != primary, cp[0]))
    refs = []
    for camera, path in cameras:
        if link:
            target = folder / path.name
            if not target.exists():
                target.symlink_to(path)
            refs.append((camera, path.name))
        else:
            refs.append((camera, Path(os.path.relpath(path, folder)).as_posix()))
    if scheme and Path(scheme).is_absolute():
        scheme = Path(os.path.relpath(scheme, folder)).as_posix()
    atomic_write_text(folder / MANIFEST, _manifest(session, refs, scheme))
    return True


def _scheme_ref(root: Path, scheme: str | None) -> str | None:
    """The study's scheme as a session manifest names it: a bundled name, or a file's path."""
    if not scheme or scheme == "default":
        return None
    path = Path(scheme) if Path(scheme).is_absolute() else root / scheme
    return str(path.resolve()) if path.exists() else scheme


def init_study(
    root: str | Path,
    *,
    videos: str | Path | None = None,
    pattern: str | None = None,
    name: str | None = None,
    scheme: str | None = None,
    coders: list[str] | None = None,
    fraction: float | None = None,
    seed: int | None = None,
    link: bool = False,
    primary: str | None = None,
) -> InitResult:
    """Make ``root`` a study (or add new sessions to the study it is) and write ``study.toml``.

    Parameters
    ----------
    root : the study folder (made if missing when ``videos`` are given).
    videos : a folder of camera files (searched recursively); each session found by ``pattern``
        gets a session folder in ``root`` referring to its videos (or linking them with ``link``).
    pattern : e.g. ``"{dyad}_{visit}_{camera}.mp4"``. Without ``videos`` it is matched against
        the session ids of the folders already in ``root`` (extension and ``{camera}`` ignored)
        to give them attributes.
    name, scheme, coders, fraction, seed : the study's settings (kept from an existing
        ``study.toml`` when not given; a new study draws a random seed and writes it down).
    primary : the camera listed first (the primary video, whose clock the session uses).

    Returns
    -------
    :class:`InitResult`
    """
    root = Path(root).resolve()
    if videos is None and not root.is_dir():
        raise StudyError(
            f"{root}: no such folder (a study is made of the session folders in it; to make "
            "one from camera files give --videos FOLDER --pattern ...)"
        )
    root.mkdir(parents=True, exist_ok=True)
    if (root / STUDY_FILE).exists():
        study = load_study(root)
        if study.sample is None:  # freeze the draw before sessions are added
            study = replace(study, sample=tuple(study.reliability_sample()))
        listed = list(study.sessions[: study.n_listed])  # folders found besides them are new
    else:
        study = Study(root=root, name=root.name, seed=new_seed(), sample=())
        listed = []
    if fraction is not None and not 0 < fraction <= 1:
        raise StudyError(f"--fraction {fraction:g}: must be a share in (0, 1]")
    study = replace(
        study,
        name=name or study.name,
        scheme=scheme or study.scheme,
        coders=tuple(coders) if coders else study.coders,
        fraction=fraction if fraction is not None else study.fraction,
        seed=seed if seed is not None else study.seed,
    )
    created: list[str] = []
    skipped: list[tuple[Path, str]] = []
    attrs_of: dict[str, tuple[tuple[str, str], ...]] = {}
    names: list[str] = list(study.attributes)
    if videos is not None:
        if not pattern:
            raise StudyError("--videos needs --pattern, e.g. '{dyad}_{visit}_{camera}.mp4'")
        folder = Path(videos)
        if not folder.is_dir():
            raise StudyError(f"--videos {folder}: no such folder")
        groups, skipped = _group_cameras(folder, pattern)
        for session, (attrs, cams) in sorted(groups.items()):
            if _make_session(root, session, cams, link, primary, _scheme_ref(root, study.scheme)):
                created.append(session)
            attrs_of[session] = attrs
    elif pattern:
        regex = pattern_regex(session_pattern(pattern))
        for sub in sorted(p for p in root.iterdir() if p.is_dir() and is_session_folder(p)):
            session = session_in_folder(sub.resolve()).session
            m = regex.match(session)
            if m is None:
                skipped.append(
                    (sub, f"session {session} does not match {session_pattern(pattern)}")
                )
            else:
                attrs_of[session] = _attributes(m.groupdict(), list(regex.groupindex))
    for attrs in attrs_of.values():
        names += [n for n, _ in attrs if n not in names]
    study = replace(study, attributes=tuple(names))
    found = [
        session_in_folder(p.resolve())
        for p in sorted(root.iterdir())
        if p.is_dir() and not p.name.startswith(".") and is_session_folder(p)
    ]
    known = {s.session: s for s in listed}
    merged = []
    for s in [*listed, *(f for f in found if f.session not in known)]:
        given = dict(s.attributes) | {k: v for k, v in attrs_of.get(s.session, ()) if v}
        merged.append(replace(s, attributes=tuple((n, given.get(n, "")) for n in names)))
    study = with_sessions(
        replace(study, sessions=tuple(merged[: len(listed)])), merged[len(listed) :]
    )
    if not study.coders:
        study = replace(study, coders=tuple(study.all_coders()))
    write_study(study)
    study = load_study(root)
    paths = [v.path for s in study.sessions if s.spec for v in s.spec.videos if v.path.exists()]
    archive = archive_check(paths) if paths else None
    if archive is not None:
        atomic_write_text(root / ARCHIVE_FILE, archive.to_csv(index=False, lineterminator="\n"))
    return InitResult(study, tuple(created), tuple(skipped), archive)
