"""Several videos of one session played together, each shifted by its own offset."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .source import VideoSource


class SyncedVideos:
    """Videos of one session on a common session clock.

    ``offset_s[k]`` is the session time of video ``k``'s first frame, so session time ``t`` shows
    video ``k`` at its own time ``t - offset_s[k]``; a video shows nothing (None) when that time
    falls before its first frame or after its last frame ends. A caregiver camera started 0.5 s
    after the dyad camera has offset 0.5: session time 0.5 shows its first frame.

    Parameters
    ----------
    videos : ``(source, offset_s)`` pairs; the first is usually the primary video, whose time is
        the events table's time when its offset is 0.
    """

    def __init__(self, videos: Sequence[tuple[VideoSource, float]]) -> None:
        if not videos:
            raise ValueError("SyncedVideos needs at least one video")
        self.sources: list[VideoSource] = [v for v, _ in videos]
        self.offsets: list[float] = [float(o) for _, o in videos]

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def start_s(self) -> float:
        """Earliest session time at which some video shows a frame."""
        return min(self.offsets)

    @property
    def end_s(self) -> float:
        """Latest session time at which some video still shows a frame."""
        return max(s.duration_s + o for s, o in zip(self.sources, self.offsets, strict=True))

    def indices_at(self, t: float) -> list[int | None]:
        """Each video's frame index shown at session time ``t`` (None where it shows nothing)."""
        out: list[int | None] = []
        for source, offset in zip(self.sources, self.offsets, strict=True):
            local = round(t - offset, 6)
            inside = 0.0 <= local < source.duration_s
            out.append(source.index_at(local) if inside else None)
        return out

    def frames_at(self, t: float, direction: int = 0) -> list[np.ndarray | None]:
        """Each video's exact RGB frame at session time ``t`` (None where it shows nothing).

        All videos are told their new playhead before any is waited for, so their background
        threads decode in parallel.
        """
        indices = self.indices_at(t)
        self.prefetch(t, direction, indices)
        return [
            None if i is None else s.frame(i) for s, i in zip(self.sources, indices, strict=True)
        ]

    def previews_at(self, t: float) -> list[np.ndarray | None]:
        """Fast approximate frames for scrubbing (see :meth:`VideoSource.preview`)."""
        indices = self.indices_at(t)
        return [
            None if i is None else s.preview(i) for s, i in zip(self.sources, indices, strict=True)
        ]

    def prefetch(self, t: float, direction: int = 0, indices=None) -> None:
        """Tell every video that the session playhead is at ``t`` moving by ``direction``."""
        if indices is None:
            indices = self.indices_at(t)
        for source, i in zip(self.sources, indices, strict=True):
            if i is not None:
                source.prefetch(i, direction)

    def close(self) -> None:
        for source in self.sources:
            source.close()

    def __enter__(self) -> SyncedVideos:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
