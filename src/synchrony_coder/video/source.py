"""``VideoSource``: exact frames by index, fast stepping both ways, bounded memory.

A background worker keeps the cache filled around the playhead: ahead of it by decoding forward
(cheap: no seek), behind it by seeking to the keyframe before the missing frames and decoding that
stretch in one pass, started while half the frames behind the playhead are still cached, so
stepping back costs what stepping forward does. A ``frame(i)`` the cache cannot answer becomes a
*demand*: the worker drops what it was doing between two decoded frames and serves it.

Worker 0 owns a frame-threaded decoder for runs of frames (throughput) and a pool of *seekers*
(slice threads only) for demands that need a seek deep into a GOP: decoding only the
reference frames up to a target (see :meth:`.Decoder.frames`) is a serial chain that frame threads
cannot speed up, only slow down (on the 2-core benchmark machine a random seek's median fell from
~510 to ~345 ms). A seeker stays where its last demand left it, a *checkpoint*: a later seek
into that GOP past it continues from there instead of from the keyframe. When the caller has left
the source alone for ``PARK_AFTER_S`` and nothing is left to prefetch, worker 0 parks seekers
where they shorten seeks the most (:func:`checkpoint_plan`: the middle of the longest stretch
between checkpoints). Each parked decoder holds about ``DECODER_FRAMES`` frames of memory, taken
from the cache budget (up to 1/``SEEKER_SHARE`` of it: 9 seekers for 720p in 512 MiB), so the
gain is large for short files and small for long ones: 9 checkpoints halve the seeks of a 1-minute
file with 8 GOPs, not of a 20-minute one with 150.

On a machine with two cores or more, a second worker (the *helper*, one single-threaded decoder)
decodes the next GOP from its keyframe while worker 0 decodes the current one: GOPs decode
independently, and two single-threaded decoders on alternate GOPs outrun one frame-threaded
decoder (309 vs 222 frames/s on the benchmark file). The helper never seeks into the middle of a
GOP, waits at the window's end with its next frame in hand, and stands aside while worker 0
seeks for a demand. Which worker takes a stretch is decided by how many frames each would decode
to get there (:meth:`VideoSource._cost`), so neither redoes the other's GOP.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cache import FrameCache
from .decoder import CONTINUE_SLACK, Decoder
from .display import Display, FrameStore, frame_nbytes, read_display
from .index import FrameIndex, Progress, VideoError, build_index

log = logging.getLogger(__name__)

DEFAULT_CACHE_MIB = 512
MIN_GOP = 16  # mean frames per GOP from which a second decoding worker is used
PREVIEW_SHARE = 8  # 1/8 of the budget holds keyframes decoded for scrubbing previews
SEEKER_SHARE = 4  # up to 1/4 of the budget is for decoders parked where demands took them
MAX_SEEKERS = 12
# memory one parked H.264 decoder holds, in I420 frames of its size (reference pictures, the
# picture pool, buffers): 13 MB for 720p, measured with RSS over 12 parked decoders
DECODER_FRAMES = 10
MIN_PARK_GAP = 4 * CONTINUE_SLACK  # no decoder is parked to save seeks shorter than this
PARK_AFTER_S = 0.5  # decoders are parked once the caller has left the source alone this long


@dataclass(frozen=True)
class _Task:
    start: int  # decode frames start .. stop-1 (decoding may begin earlier, at the keyframe)
    stop: int
    need: int  # the frame this task exists for; another task preempts it unless it also needs it
    demand: bool = False  # a frame() call is waiting for ``need``
    park: bool = False  # idle: take a seeker to ``need`` and leave it there as a checkpoint
    seeker: Decoder | None = field(default=None, compare=False)  # the one to park (None: a new one)


def _checkpoints(starts: np.ndarray, frame_count: int, parked: list[int]) -> np.ndarray:
    """GOP starts and the parked positions inside the video, ascending, each once."""
    inside = [q for q in parked if 0 < q < frame_count]
    return np.unique(np.concatenate([starts, inside]).astype(np.int64))


def _stretches(points: np.ndarray, frame_count: int) -> np.ndarray:
    """Frames from each checkpoint to the next (or to the end)."""
    return np.diff(np.append(points, frame_count))


def _stretch_cost(points: np.ndarray, frame_count: int) -> int:
    """Frames decoded by seeks to every frame, each from the nearest of ``points`` before it."""
    gaps = _stretches(points, frame_count)
    return int((gaps * (gaps - 1) // 2).sum())


def checkpoint_losses(starts: np.ndarray, frame_count: int, parked: list[int]) -> list[int]:
    """For each parked position, how many more frames seeks would decode without it (see
    :func:`checkpoint_plan`); 0 for a position outside the video or shared with another."""
    total = _stretch_cost(_checkpoints(starts, frame_count, parked), frame_count)
    return [
        _stretch_cost(_checkpoints(starts, frame_count, parked[:i] + parked[i + 1 :]), frame_count)
        - total
        for i in range(len(parked))
    ]


def checkpoint_plan(
    starts: np.ndarray,
    frame_count: int,
    parked: list[int],
    room: bool,
    playhead: int,
    min_gap: int,
) -> tuple[int, int | None] | None:
    """Where to park one more decoder so that seeks decode the fewest frames, if anywhere.

    A seek to frame ``t`` decodes from the nearest *checkpoint* at or before ``t`` in its GOP:
    the GOP's first frame (``starts``, ascending, beginning with 0) or a frame a parked decoder
    stands before (``parked``). Over targets spread evenly, a stretch of ``g`` frames between
    checkpoints costs ``g (g - 1) / 2`` decoded frames in all; parking a decoder in the middle of
    the longest stretch saves the most (the one nearest ``playhead`` on a tie). With no ``room``
    for another decoder, the parked one whose checkpoint saves least is moved, if that costs
    less than half of what the new checkpoint saves (so decoders do not wander back and forth).
    Stretches shorter than ``min_gap`` frames are not worth a decoder's memory.

    Returns ``(frame, i)``: park at ``frame`` the decoder of ``parked[i]`` (``i`` None: a new
    one); or None.
    """
    losses = checkpoint_losses(starts, frame_count, parked)
    options: list[int | None] = [None] if room else list(range(len(parked)))
    best = None  # (net saving, -distance to the playhead, frame, option)
    for option in options:
        points = _checkpoints(starts, frame_count, [q for i, q in enumerate(parked) if i != option])
        loss = 0 if option is None else losses[option]
        gaps = _stretches(points, frame_count)
        longest = int(gaps.max())
        if longest < min_gap:
            continue
        half = longest // 2
        saving = half * (longest - half)
        if 2 * loss >= saving:
            continue
        where = points[gaps == longest] + half
        frame = int(where[np.argmin(np.abs(where - playhead))])
        candidate = (saving - loss, -abs(frame - playhead), frame, option)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return None if best is None else (best[2], best[3])


class VideoSource:
    """Frames of one video file by exact index, with times in seconds from the first frame.

    Parameters
    ----------
    path : the video file.
    cache_mib : memory budget of decoded frames, in MiB (default 512).
    progress : ``progress(done, total)`` while indexing (see :func:`build_index`).

    Notes
    -----
    Frame ``i`` is the ``i``-th frame in presentation order; ``time_of(0) == 0.0`` whatever the
    file's first timestamp. Frames are upright and deinterlaced (see :mod:`.display`); ``width``
    and ``height`` are those of the upright picture. A file that ends before its header says
    (a recording cut off) opens with the frames it has: ``index.missing_frames`` says how many
    are not there, :meth:`problems` says it in words; a frame whose data cannot be decoded
    raises :class:`VideoError` from :meth:`frame`. ``frame()``, ``preview()`` and
    ``prefetch()`` may be called from any thread; the decoding happens in this object's own
    background threads.
    """

    def __init__(
        self,
        path: str | Path,
        cache_mib: float = DEFAULT_CACHE_MIB,
        progress: Progress | None = None,
    ) -> None:
        self.path = Path(path)
        self.cache_mib = cache_mib
        self.index: FrameIndex = build_index(self.path, progress)
        self._decoder = Decoder(self.path, self.index, threads=True)
        ctx = self._decoder._stream.codec_context
        self.codec: str = ctx.name
        try:
            self.display: Display = read_display(self._decoder)
        except VideoError:
            self._decoder.close()
            raise
        self.width, self.height = self.display.width, self.display.height
        self._store = FrameStore(self.display, ctx.pix_fmt)
        budget = int(cache_mib * 2**20)
        # decoders without frame threads for demands, made when needed; each one left where its
        # last demand took it is a checkpoint a later seek into that GOP can continue from
        self._seekers: list[Decoder] = []
        decoder_bytes = DECODER_FRAMES * frame_nbytes(self.width, self.height, compact=True)
        self._max_seekers = min(MAX_SEEKERS, max(1, budget // SEEKER_SHARE // decoder_bytes))
        seekers_bytes = min(self._max_seekers * decoder_bytes, budget // SEEKER_SHARE)
        self._cache = FrameCache(
            budget - budget // PREVIEW_SHARE - seekers_bytes,
            self._store.frame_bytes,
            self.frame_count,
        )
        self._preview_budget = budget // PREVIEW_SHARE
        self._previews: OrderedDict[int, np.ndarray] = OrderedDict()
        self._preview_decoder: Decoder | None = None
        self._preview_lock = threading.Lock()
        self._cond = threading.Condition()
        self._demands: list[int] = []
        self._waiting: dict[int, int] = {}
        self._delivered: dict[int, np.ndarray | None] = {}
        self._version = 0
        self._busy: set[int] = set()  # workers that may have work to do
        self._closed = False
        self._error: BaseException | None = None
        self._threads: list[threading.Thread] = []
        self._running: dict[int, tuple[_Task, Decoder]] = {}  # what each worker is decoding
        self._held: dict[int, int] = {}  # the frame a helper waiting at the window's end holds
        # a second worker decodes the next GOP while the first decodes the current one (worth it
        # for long GOPs; intra-only files decode fast enough in one)
        gops = len(self.index.seek_pts)
        multi = (os.cpu_count() or 1) >= 2 and gops > 1 and self.frame_count >= MIN_GOP * gops
        self._n_workers = 2 if multi else 1
        self._helper: Decoder | None = None
        self._gop_starts = self.index.seek_frames
        gaps = _stretches(self._gop_starts, self.frame_count)
        self._may_park = bool(gaps.max() >= MIN_PARK_GAP)  # (short GOPs: seeks are short)
        self._parked_at: set[int] = set()  # where seekers were parked since the last demand
        self._last_call = time.monotonic()  # of frame(), prefetch() or preview()

    # -- facts -------------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        return self.index.frame_count

    @property
    def fps(self) -> float:
        """Average frame rate: frames per second of presentation time."""
        return self.index.fps

    @property
    def duration_s(self) -> float:
        return self.index.duration_s

    @property
    def vfr(self) -> bool:
        return self.index.vfr

    @property
    def missing_frames(self) -> int:
        """Frames a truncated file lacks (see :attr:`.FrameIndex.missing_frames`)."""
        return self.index.missing_frames

    def problems(self) -> list[str]:
        """What a coder should know about this file, one sentence each (none for most files)."""
        out = []
        index = self.index
        if index.truncated:
            lacking = f"{index.missing_frames} frames" if index.missing_frames else "its end"
            out.append(
                f"{self.path.name} is truncated or damaged: {lacking} missing; opened with "
                f"the {self.frame_count} frames that are there"
            )
        return out

    @property
    def cache_capacity(self) -> int:
        """How many decoded frames the cache holds at most."""
        return self._cache.capacity

    def time_of(self, index: int) -> float:
        """Presentation time of frame ``index`` in seconds (frame 0 at 0.0), to the millisecond."""
        return float(self.index.time_of(self._check(index)))

    def index_at(self, seconds):
        """The frame shown at ``seconds``: the last frame with ``time_of(i) <= seconds``, clipped.

        Accepts a number (returns ``int``) or an array of times (returns an int64 array).
        """
        found = self.index.index_at(seconds)
        return int(found) if np.ndim(found) == 0 else found

    def __repr__(self) -> str:
        return (
            f"VideoSource({str(self.path)!r}, {self.frame_count} frames, {self.fps:.3f} fps, "
            f"{self.width}x{self.height} {self.codec})"
        )

    # -- frames ------------------------------------------------------------------------------------
    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as a new (height, width, 3) uint8 RGB array, exactly that frame.

        Raises
        ------
        IndexError : ``index`` outside ``[0, frame_count)``.
        VideoError : the frame's data cannot be decoded, or the source is closed.
        """
        index = self._check(index)
        self._move_playhead(index, None)
        stored = self._cache.get(index)
        if stored is None:
            stored = self._wait_for(index)
        return self._store.rgb(stored)

    def prefetch(self, index: int, direction: int = 1) -> None:
        """Hint that the playhead is at ``index`` moving by ``direction`` (+1, -1 or 0)."""
        self._move_playhead(self._check(index), int(np.sign(direction)))

    def preview(self, index: int) -> np.ndarray:
        """A fast approximation of frame ``index`` for scrubbing; the exact frame follows.

        Returns the exact frame if cached, else the cached frame nearest to it if that is closer
        than its keyframe, else its keyframe (decoded once and kept). Also moves the playhead to
        ``index`` so the background thread starts decoding the exact frame.
        """
        index = self._check(index)
        self._move_playhead(index, 0)
        stored = self._cache.get(index)
        if stored is not None:
            return self._store.rgb(stored)
        key_first = self.index.gop_start(index)
        near = self._cache.nearest(index)
        if near is not None and abs(near[0] - index) <= index - key_first:
            return self._store.rgb(near[1])
        return self._store.rgb(self._keyframe(index))

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the background thread has nothing left to prefetch; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closed or self._error is not None or not self._busy, timeout
            )

    def close(self) -> None:
        """Stop the background thread and release the files. Further frame() calls raise."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._version += 1  # (a worker checks it between frames)
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()
        self._decoder.close()
        for extra in (*self._seekers, self._helper):
            if extra is not None:
                extra.close()
        with self._preview_lock:
            if self._preview_decoder is not None:
                self._preview_decoder.close()
        self._cache.clear()
        self._previews.clear()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the caller's side -------------------------------------------------------------------------
    def _check(self, index) -> int:
        i = int(index)
        if not 0 <= i < self.frame_count:
            raise IndexError(f"frame {i} out of range [0, {self.frame_count}) of {self.path}")
        return i

    def _move_playhead(self, index: int, direction: int | None) -> None:
        with self._cond:
            self._ensure_thread()
            self._last_call = time.monotonic()
            p, d = self._cache.playhead, self._cache.direction
            if direction is None:  # infer from a one-frame step; a jump keeps the last direction
                direction = index - p if abs(index - p) == 1 else d
            if (index, direction) != (p, d):
                self._cache.set_playhead(index, direction)
                self._version += 1
                self._busy = set(range(self._n_workers))
                self._cond.notify_all()

    def _wait_for(self, index: int) -> np.ndarray:
        with self._cond:
            self._waiting[index] = self._waiting.get(index, 0) + 1
            self._demands.append(index)
            self._parked_at.clear()
            self._version += 1
            self._busy = set(range(self._n_workers))
            self._cond.notify_all()
            try:
                while True:
                    if self._closed:
                        raise VideoError(self.path, "is closed")
                    if self._error is not None:
                        raise VideoError(self.path, f"decoding stopped: {self._error}")
                    if index in self._delivered:
                        stored = self._delivered[index]
                        if stored is None:
                            raise VideoError(self.path, f"frame {index} cannot be decoded")
                        return stored
                    stored = self._cache.get(index)
                    if stored is not None:
                        return stored
                    self._cond.wait()
            finally:
                self._waiting[index] -= 1
                if not self._waiting[index]:
                    del self._waiting[index]
                    self._delivered.pop(index, None)
                    self._demands[:] = [d for d in self._demands if d != index]

    def _keyframe(self, index: int) -> np.ndarray:
        k = self.index.seek_point_of(index)
        with self._preview_lock:
            if k in self._previews:
                self._previews.move_to_end(k)
                return self._previews[k]
            if self._preview_decoder is None:
                self._preview_decoder = Decoder(self.path, self.index, threads=False)
            found = self._preview_decoder.keyframe(index)
            if found is None:
                raise VideoError(self.path, f"no decodable keyframe before frame {index}")
            stored = self._store.keep(found[1])
            self._previews[k] = stored
            while len(self._previews) > 1 and (
                sum(a.nbytes for a in self._previews.values()) > self._preview_budget
            ):
                self._previews.popitem(last=False)
            return stored

    # -- the background thread ---------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if not self._threads and not self._closed:
            for w in range(self._n_workers):
                thread = threading.Thread(
                    target=self._work, args=(w,), name=f"prefetch {w} {self.path.name}", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _heading(self, index: int, workers) -> bool:
        """Whether one of ``workers`` runs a task on its way to ``index``."""
        for w, (task, decoder) in self._running.items():
            ahead = index >= decoder.position or self._held.get(w) == index
            if w in workers and task.start <= index < task.stop and ahead:
                return True
        return False

    def _plan(self, worker: int = 0) -> _Task | None:
        """The most useful decoding for ``worker`` to do now (called with ``self._cond`` held).

        Worker 0 serves demands, refills behind the playhead and decodes ahead; worker 1 only
        decodes ahead, in a GOP worker 0 is not decoding, from its keyframe (or where it stands),
        and stops while worker 0 seeks for a demand, so that the seek has the CPU.
        """
        others = [w for w in self._running if w != worker]
        for want in reversed(self._demands):
            if want in self._delivered or want in self._cache:
                continue
            if worker == 0:
                if self._heading(want, others):
                    continue  # the helper is about to deliver it
                return _Task(want, want + 1, want, demand=True)
            if not self._heading(want, (worker,)):
                return None  # leave the CPU to worker 0, seeking for it
        cache = self._cache
        p, d = cache.playhead, cache.direction
        lo, hi = cache.window()
        missing = cache.missing(lo, hi)
        if missing.size == 0:
            return None if worker else self._park()
        ahead, behind = missing[missing >= p], missing[missing < p]
        if worker:
            return self._ahead(worker, ahead, hi) if d >= 0 else None
        if d >= 0 and ahead.size:
            task = self._ahead(worker, ahead, hi)
            if task is not None:
                return task
        if behind.size:
            j = int(behind[-1])
            # moving backwards, refill only when half the frames behind are used up: each refill
            # decodes from a keyframe, so it must cover many frames to be worth its cost
            if d >= 0 or (p - 1 - j) < (p - lo) // 2:
                first = self.index.gop_start(j)
                return _Task(max(lo, first), j + 1, j)
        task = self._ahead(worker, ahead, hi) if ahead.size else None
        return task or self._park()

    def _park(self) -> _Task | None:
        """Worker 0 has nothing to prefetch: park a seeker where later seeks gain the most."""
        wait = self._until_parking(0)
        if wait is None or wait > 0:  # not while the caller is reading frames (playback, stepping)
            return None
        seekers = self._seekers
        plan = checkpoint_plan(
            self._gop_starts,
            self.frame_count,
            [dec.position for dec in seekers],
            len(seekers) < self._max_seekers,
            self._cache.playhead,
            MIN_PARK_GAP,
        )
        if plan is None or plan[0] in self._parked_at:
            return None
        frame, i = plan
        return _Task(frame, frame + 1, frame, park=True, seeker=None if i is None else seekers[i])

    def _until_parking(self, worker: int) -> float | None:
        """Seconds until ``worker`` may park a decoder (<= 0: now); None if it never does."""
        if worker or not self._may_park:
            return None
        return self._last_call + PARK_AFTER_S - time.monotonic()

    def _ahead(self, worker: int, ahead: np.ndarray, hi: int) -> _Task | None:
        """Decode forward from the first frame of ``ahead`` (missing frames, ascending) that no
        other worker is decoding and this one may start, to the end of its GOP at most: the next
        GOP starts at a keyframe, where another decoder can take over."""
        index = self.index
        free = ahead
        for w, (task, _) in self._running.items():
            if w != worker:
                free = free[(free < task.start) | (free >= task.stop)]
        while free.size:
            start = int(free[0])
            k = index.seek_point_of(start)
            end = index.first_frame_of_seek_point(k + 1) if k + 1 < len(index.seek_pts) else hi
            stop = max(end, start + 1) if worker else min(hi, max(end, start + 1))
            # the worker that decodes fewer frames to get there takes it; on a tie, the one
            # asking when the other is busy, else the helper (worker 0 then takes the next GOP);
            # the helper never seeks into the middle of a GOP
            mine, theirs = self._cost(worker, start), self._cost(1 - worker, start)
            other_busy = (1 - worker) in self._running
            if worker:
                if mine <= CONTINUE_SLACK and mine <= theirs:
                    return _Task(start, stop, start)
            elif mine < theirs or theirs > CONTINUE_SLACK or (mine == theirs and other_busy):
                return _Task(start, stop, start)
            free = free[free >= max(end, start + 1)]
        return None

    def _cost(self, worker: int, start: int) -> int:
        """How many frames before ``start`` ``worker`` would decode to get there."""
        if worker and self._n_workers < 2:
            return self.frame_count
        decoders = (self._decoder, *self._seekers) if worker == 0 else (self._helper,)
        made = [dec for dec in decoders if dec is not None]
        if not made:
            return start - self.index.gop_start(start)
        return min(dec.frames_before(start) for dec in made)

    def _decoder_for(self, task: _Task, worker: int) -> Decoder:
        if worker:
            if self._helper is None:
                self._helper = Decoder(self.path, self.index, threads=False)
            return self._helper
        run, seekers = self._decoder, self._seekers
        if task.park:
            best = task.seeker or Decoder(self.path, self.index, threads=False)
            if best in seekers:
                seekers.remove(best)
            seekers.append(best)
            return best
        if run.frames_before(task.start) <= CONTINUE_SLACK:  # under way there, or at a keyframe
            return run
        fresh = task.start - self.index.gop_start(task.start)
        best = min(seekers, key=lambda dec: dec.frames_before(task.start), default=None)
        gap = fresh if best is None else best.frames_before(task.start)
        if best is not None and (gap == 0 or (task.demand and gap < fresh)):
            seekers.remove(best)  # it stood just before the task or at a checkpoint on its way
        elif task.demand and len(seekers) < self._max_seekers:
            best = Decoder(self.path, self.index, threads=False)
        elif task.demand:  # the one whose checkpoint saves least seeks
            losses = checkpoint_losses(
                self._gop_starts, self.frame_count, [dec.position for dec in seekers]
            )
            best = seekers.pop(int(np.argmin(losses)))
        else:
            return run
        seekers.append(best)  # most recently used last
        return best

    def _work(self, worker: int) -> None:
        try:
            while True:
                with self._cond:
                    done = self._running.pop(worker, None)
                    if (
                        done is not None
                        and done[0].park
                        and not 0 <= done[1].position < done[0].need
                    ):
                        self._parked_at.add(done[0].need)  # not again until the next demand
                    if done is not None and self._n_workers > 1:
                        # what it was on its way to may now be nobody's: let the others re-plan
                        self._version += 1
                        self._cond.notify_all()
                    task = self._plan(worker)
                    while task is None and not self._closed:
                        wait = self._until_parking(worker)
                        if wait is None or wait <= 0:  # (a decoder to park soon: still busy)
                            self._idle(worker)
                        # (a timeout too: should a wake-up ever be missed, a waiting frame() is
                        # served a moment later rather than never)
                        self._cond.wait(timeout=wait if wait and 0 < wait < 0.5 else 0.5)
                        task = self._plan(worker)
                    if self._closed:
                        return
                    self._busy.add(worker)
                    version = self._version
                    decoder = self._decoder_for(task, worker)
                    self._running[worker] = (task, decoder)
                self._execute(task, version, worker, decoder)
        except BaseException as exc:  # surfaced to every waiting frame() call
            log.exception("prefetch thread of %s failed", self.path)
            with self._cond:
                self._error = exc
                self._busy.clear()
                self._cond.notify_all()

    def _idle(self, worker: int) -> None:
        """``worker`` has nothing to do (called with ``self._cond`` held)."""
        if worker in self._busy:  # (only then: idle workers that woke each other would spin)
            self._busy.discard(worker)
            self._cond.notify_all()  # wait_idle() may return

    def _execute(self, task: _Task, version: int, worker: int, decoder: Decoder) -> None:
        store, cache = self._store, self._cache
        lo, hi = cache.window()
        for idx, frame in decoder.frames(task.start, task.stop):
            while worker and idx >= hi and idx not in self._waiting:
                # the helper waits at the window's end with the frame in hand, keeping its place
                with self._cond:
                    self._held[worker] = idx
                    self._idle(worker)  # waiting with nothing to do
                    self._cond.wait_for(
                        lambda v=version, i=idx: self._closed or self._version != v
                        or i in self._waiting
                    )  # fmt: skip
                    del self._held[worker]
                    self._busy.add(worker)
                    if self._closed:
                        return
                    version = self._version
                lo, hi = cache.window()
                p = cache.playhead
                if cache.direction < 0 or not p <= idx < p + cache.capacity:
                    return  # the playhead went elsewhere
            with self._cond:
                demanded = idx in self._waiting and idx not in self._delivered
            keep = demanded or (
                lo <= idx < hi and (store.compact or idx >= task.start) and idx not in cache
            )
            if keep:
                stored = None if frame is None else store.keep(frame)
                if stored is not None:
                    cache.put(idx, stored)
                if demanded:
                    with self._cond:
                        self._delivered[idx] = stored
                        self._cond.notify_all()
            if self._version != version:  # the playhead moved or a frame was demanded
                with self._cond:
                    if self._closed:
                        return
                    version = self._version
                    new = self._plan(worker)
                lo, hi = cache.window()
                if new is None or not (
                    task.start <= new.need < task.stop if worker else idx < new.need < task.stop
                ):
                    return
