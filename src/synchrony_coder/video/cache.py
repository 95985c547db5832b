"""A byte-bounded cache of decoded frames around the playhead.

The cache keeps a *window* of frame indices around the playhead, larger on the side the playhead
moves towards (frames about to be shown) than behind it. When full, it drops the frame that lies
farthest outside that window, measured relative to the side's share of the window, so the window
the prefetcher fills and the frames the cache keeps are the same set.
"""

from __future__ import annotations

import threading

import numpy as np

# Share of the window ahead of the playhead for direction -1, 0, +1.
AHEAD_SHARE = {-1: 0.25, 0: 0.5, 1: 0.75}
MIN_CAPACITY = 8  # frames, whatever the budget


class FrameCache:
    """Decoded frames keyed by index, at most ``budget_bytes`` of them, thread-safe.

    Parameters
    ----------
    budget_bytes : memory the stored arrays may take.
    frame_bytes : size of one stored frame (all frames of a video are stored alike).
    frame_count : number of frames of the video (bounds the window).
    """

    def __init__(self, budget_bytes: int, frame_bytes: int, frame_count: int) -> None:
        self.capacity = max(MIN_CAPACITY, int(budget_bytes // max(frame_bytes, 1)))
        self.frame_count = frame_count
        self._frames: dict[int, np.ndarray] = {}
        self._nbytes = 0
        self._lock = threading.Lock()
        self.playhead = 0
        self.direction = 0

    # -- the window -----------------------------------------------------------------------------
    def window(self, playhead: int | None = None, direction: int | None = None) -> tuple[int, int]:
        """``[lo, hi)``: the frames worth keeping for this playhead and direction of motion."""
        p = self.playhead if playhead is None else playhead
        d = self.direction if direction is None else direction
        span = min(self.capacity, self.frame_count)
        ahead = int(round(span * AHEAD_SHARE[d]))
        lo = p - (span - ahead)
        hi = p + ahead
        if lo < 0:
            lo, hi = 0, span
        elif hi > self.frame_count:
            lo, hi = self.frame_count - span, self.frame_count
        return lo, hi

    def set_playhead(self, index: int, direction: int) -> None:
        with self._lock:
            self.playhead, self.direction = index, direction

    def _excess(self, keys: np.ndarray) -> np.ndarray:
        """How far each key lies beyond the window, in units of that side's share of it."""
        lo, hi = self.window()
        p = self.playhead
        ahead = max(hi - p, 1)
        behind = max(p - lo, 1)
        return np.where(keys >= p, (keys - p) / ahead, (p - keys) / behind)

    # -- storage --------------------------------------------------------------------------------
    def get(self, index: int) -> np.ndarray | None:
        with self._lock:
            return self._frames.get(index)

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._frames

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._nbytes

    def put(self, index: int, array: np.ndarray) -> None:
        """Store a frame, then drop the least useful frames (never this one) while over capacity."""
        with self._lock:
            old = self._frames.pop(index, None)
            if old is not None:
                self._nbytes -= old.nbytes
            self._frames[index] = array
            self._nbytes += array.nbytes
            excess = len(self._frames) - self.capacity
            if excess <= 0:
                return
            keys = np.fromiter(self._frames.keys(), dtype=np.int64, count=len(self._frames))
            score = self._excess(keys)
            score[keys == index] = -1.0
            for victim in keys[np.argsort(score)[-excess:]]:
                self._nbytes -= self._frames.pop(int(victim)).nbytes

    def missing(self, lo: int, hi: int) -> np.ndarray:
        """Indices in ``[lo, hi)`` not in the cache, ascending."""
        with self._lock:
            keys = np.fromiter(self._frames.keys(), dtype=np.int64, count=len(self._frames))
        wanted = np.arange(max(lo, 0), min(hi, self.frame_count), dtype=np.int64)
        return wanted[~np.isin(wanted, keys)]

    def nearest(self, index: int) -> tuple[int, np.ndarray] | None:
        """The cached frame closest to ``index`` (ties: the earlier one), or None if empty."""
        with self._lock:
            if not self._frames:
                return None
            keys = np.fromiter(self._frames.keys(), dtype=np.int64, count=len(self._frames))
            best = int(keys[np.lexsort((keys, np.abs(keys - index)))[0]])
            return best, self._frames[best]

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._nbytes = 0
