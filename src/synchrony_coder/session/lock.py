"""Who has a coder's events open: ``coder_NAME.csv.lock``, held by the operating system.

The lock file names its holder (user, computer, process, since when) as JSON, and the holder keeps
an OS lock on it (``flock``; ``msvcrt.locking`` on Windows) while the session is open. The OS
drops that lock however the process ends (quit, crash, kill, power cut), so a lock file nobody
holds is stale and is taken over, atomically: of two programs finding one stale lock, one gets it.
A lock file whose writer held no OS lock (a file system without locks, or an older
synchrony-coder that wrote only its process number) is honoured while that process is alive on
this computer, and always when it names another computer (we cannot see its processes).

Within one process a second open of the same events takes the lock over (the first session object
was dropped without closing, as a crash would).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from ..storage import WriteError, ops, pid_alive, remove, write_all

__all__ = ["Holder", "Lock", "LockHeld", "lock_path"]

HOST = socket.gethostname()
_HELD: dict[str, tuple[int, object]] = {}  # lock path -> (fd, owning Lock) in this process


def lock_path(events_path: Path) -> Path:
    return events_path.with_name(events_path.name + ".lock")


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as its lock file says."""

    user: str
    host: str
    pid: int
    since: float  # seconds since the epoch
    os_lock: bool = True  # the holder took an OS lock (else only its process number tells)

    def describe(self) -> str:
        """``ann on lab-pc-2 (process 4242) since 14:03`` (the date too when not today)."""
        when = time.localtime(self.since)
        today = time.localtime()[:3] == when[:3]
        stamp = time.strftime("%H:%M" if today else "%d %b %H:%M", when).lstrip("0")
        if not self.pid:
            return f"another program since {stamp}"
        where = "this computer" if self.host == HOST else self.host
        return f"{self.user or 'someone'} on {where} (process {self.pid}) since {stamp}"


class LockHeld(Exception):
    """Another live program holds the lock."""

    def __init__(self, holder: Holder) -> None:
        self.holder = holder
        super().__init__(holder.describe())


class Lock:
    """This process's claim on one coder's events; :meth:`release` on close."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def acquire(cls, events_path: Path) -> Lock:
        """Claim ``events_path`` for this process, taking over a stale lock.

        Raises
        ------
        LockHeld
            Another live program holds it (``.holder`` says who and since when).
        WriteError
            The lock file cannot be created (a read-only folder, a full disk, ...).
        """
        lock = cls(lock_path(Path(events_path)).absolute())
        key = str(lock.path)
        if key in _HELD:
            _HELD[key] = (_HELD[key][0], lock)
            return lock
        o = ops()
        for _ in range(5):  # a holder may delete the file between our open and our lock: retry
            try:
                fd = o.open(key, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            except OSError as exc:
                raise WriteError(lock.path, exc, intact=False) from None
            got = _os_lock(fd)
            holder = _holder(fd, lock.path)
            if got is False or (holder is not None and _honoured(holder, got)):
                os.close(fd)
                raise LockHeld(holder or Holder("", "", 0, time.time()))
            if not _same_file(fd, lock.path):
                os.close(fd)
                continue
            mine = {
                "user": _user(),
                "host": HOST,
                "pid": os.getpid(),
                "since": time.time(),
                "os_lock": got is True,
            }
            with contextlib.suppress(OSError):  # the OS lock is ours; the note is for people
                o.truncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                write_all(o, fd, (json.dumps(mine) + "\n").encode())
                o.fsync(fd)
            _HELD[key] = (fd, lock)
            return lock
        raise WriteError(lock.path, OSError(0, "the lock file kept changing"), intact=False)

    def release(self) -> None:
        """Delete the lock file and drop the OS lock (a no-op if another open took it over)."""
        key = str(self.path)
        held = _HELD.get(key)
        if held is None or held[1] is not self:
            return
        del _HELD[key]
        with contextlib.suppress(WriteError):
            remove(self.path)  # before unlocking: a waiter then finds the file gone and retries
        with contextlib.suppress(OSError):
            os.close(held[0])


def _honoured(holder: Holder, got_os_lock: bool | None) -> bool:
    """Whether a lock file we could lock still names a live holder (one without an OS lock)."""
    if holder.pid == os.getpid() and holder.host == HOST:
        return False
    if holder.os_lock and got_os_lock:
        return False  # it held an OS lock, the OS says nobody does now: it is gone
    return holder.host != HOST or pid_alive(holder.pid)


def _holder(fd: int, path: Path) -> Holder | None:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        since = os.fstat(fd).st_mtime
    except OSError:
        return None
    if not text:
        return None
    if text.isdigit():  # an older synchrony-coder: its process number only
        return Holder("", HOST, int(text), since, os_lock=False)
    try:
        d = json.loads(text)
        return Holder(
            str(d.get("user", "")),
            str(d.get("host", "")),
            int(d.get("pid", 0)),
            float(d.get("since", since)),
            bool(d.get("os_lock", False)),
        )
    except (ValueError, TypeError, AttributeError):
        return None  # unreadable: only the OS lock decides


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt

    def _os_lock(fd: int) -> bool | None:
        """Lock one byte far past the note, so that others can still read the note."""
        try:
            os.lseek(fd, 1 << 30, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)

else:
    import errno
    import fcntl

    def _os_lock(fd: int) -> bool | None:
        """True: locked; False: another process holds it; None: this file system has no locks."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            return None
