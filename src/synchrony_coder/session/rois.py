"""Pure edits of a session's regions of interest (ROIs): each returns a :class:`RoiChange`.

ROIs are named rectangles ``x, y, w, h`` in pixels of a video's displayed (upright) frame, stored
per video in ``session.toml`` (SCIENCE.md §6; :func:`~.manifest.save_rois`). As with the events
(:mod:`.edits`), an operation never writes: it checks the result and returns the change, whose
:meth:`~RoiChange.inverse` undoes it; :func:`apply_roi_change` writes the manifest (atomically,
through :mod:`synchrony_coder.storage`) and returns the session as it is now. Undo stacks, tests
and scripts share these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..motion.energy import Roi, RoiError
from .manifest import SessionError, SessionSpec, save_rois

__all__ = [
    "RoiChange",
    "add_roi",
    "apply_roi_change",
    "move_roi",
    "remove_roi",
    "rename_roi",
    "video_rois",
]


@dataclass(frozen=True)
class RoiChange:
    """One video's ROIs before and after an edit (in the manifest's order)."""

    label: str
    video: Path
    before: tuple[Roi, ...]
    after: tuple[Roi, ...]

    def inverse(self) -> RoiChange:
        return RoiChange(self.label, self.video, self.after, self.before)


def video_rois(spec: SessionSpec, video: str | Path) -> tuple[Roi, ...]:
    """The ROIs stored for one video of the session.

    Raises
    ------
    SessionError
        The video is not one of the session's.
    """
    target = Path(video).resolve()
    for ref in spec.videos:
        if ref.path == target:
            return ref.rois
    raise SessionError(f"{video}: not a video of session {spec.session} ({spec.folder})")


def _fitted(roi: Roi, frame: tuple[int, int] | None, video: Path) -> Roi:
    if frame is not None:
        roi.check_fits(*frame, video.name)
    return roi


def add_roi(
    spec: SessionSpec, video: str | Path, roi: Roi, frame: tuple[int, int] | None = None
) -> RoiChange:
    """Add ``roi`` to a video (its name must be new there); ``frame``: (width, height) it must fit.

    Raises
    ------
    RoiError
        The name is taken on this video, or the rectangle reaches outside the frame.
    """
    video = Path(video).resolve()
    before = video_rois(spec, video)
    if any(r.name == roi.name for r in before):
        raise RoiError(f"{video.name} has a region named {roi.name} already: move or rename it")
    after = (*before, _fitted(roi, frame, video))
    return RoiChange(f"Draw region {roi.name}", video, before, after)


def _replace(spec, video, name: str, new: Roi, label: str) -> RoiChange:
    video = Path(video).resolve()
    before = video_rois(spec, video)
    if not any(r.name == name for r in before):
        raise RoiError(f"{video.name} has no region named {name}")
    after = tuple(new if r.name == name else r for r in before)
    return RoiChange(label, video, before, after)


def move_roi(
    spec: SessionSpec,
    video: str | Path,
    name: str,
    box: tuple[int, int, int, int],
    frame: tuple[int, int] | None = None,
) -> RoiChange:
    """Give region ``name`` the rectangle ``box = (x, y, w, h)`` (a move or a resize)."""
    new = _fitted(Roi(name, *(int(v) for v in box)), frame, Path(video))
    return _replace(spec, video, name, new, f"Move region {name}")


def rename_roi(spec: SessionSpec, video: str | Path, name: str, new_name: str) -> RoiChange:
    """Rename region ``name`` (the new name must be free on this video)."""
    rois = video_rois(spec, video)
    old = next((r for r in rois if r.name == name), None)
    if old is None:
        raise RoiError(f"{Path(video).name} has no region named {name}")
    if new_name != name and any(r.name == new_name for r in rois):
        raise RoiError(f"{Path(video).name} has a region named {new_name} already")
    new = replace(old, name=new_name)  # checks the name
    return _replace(spec, video, name, new, f"Rename region {name} to {new_name}")


def remove_roi(spec: SessionSpec, video: str | Path, name: str) -> RoiChange:
    """Delete region ``name`` of a video."""
    video = Path(video).resolve()
    before = video_rois(spec, video)
    if not any(r.name == name for r in before):
        raise RoiError(f"{video.name} has no region named {name}")
    after = tuple(r for r in before if r.name != name)
    return RoiChange(f"Delete region {name}", video, before, after)


def apply_roi_change(spec: SessionSpec, change: RoiChange) -> SessionSpec:
    """Write ``change.after`` to the session's ``session.toml`` and return the updated session.

    Raises
    ------
    SessionError
        Bare video files (no folder manifest), or a video not of this session.
    WriteError
        The manifest could not be written (nothing was changed on disk).
    """
    save_rois(spec, change.video, change.after)
    videos = tuple(
        replace(ref, rois=change.after) if ref.path == change.video else ref for ref in spec.videos
    )
    return replace(spec, videos=videos)
