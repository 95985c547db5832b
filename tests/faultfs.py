"""Fault injection through the storage seam (:class:`synchrony_coder.storage.Ops`), as SQLite's
test VFS does: fail the n-th file operation with ENOSPC, EACCES or EIO, write only part of what
was asked (a short write), or stop the "process" there (a crash: nothing afterwards reaches the
disk, not even clean-up code).
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from synchrony_coder import storage

ERRNOS = {"ENOSPC": errno.ENOSPC, "EACCES": errno.EACCES, "EIO": errno.EIO}
OTHER = {"ENOENT": errno.ENOENT}  # a folder gone (not in the matrix: ENOSPC/EACCES/EIO are)
FAULTS = ("ENOSPC", "EACCES", "EIO", "short", "crash")
OPS = ("open", "write", "fsync", "close", "replace", "unlink", "mkdir", "truncate")


class Crash(BaseException):  # noqa: N818 - not an error the program may handle: the process died
    """The process died at this operation."""


def applies(op: str, fault: str) -> bool:
    """A short write is a fault of ``write`` only; the others fit every operation."""
    return fault != "short" or op == "write"


@dataclass
class FaultyOps(storage.Ops):
    """Real operations, except that the ``at``-th one under ``under`` gets ``fault``.

    ``at=None`` records only. ``sticky``: every matching operation from ``at`` on fails too (a
    disk that stays full, a folder that stays away); ``only`` limits which operations count.
    """

    under: Path | None = None
    at: int | None = None
    fault: str = "EIO"
    sticky: bool = False
    only: tuple[str, ...] = OPS
    calls: list[tuple[str, str]] = field(default_factory=list)
    fired: tuple[str, str] | None = None
    dead: bool = False
    _fds: dict[int, str] = field(default_factory=dict)

    def _step(self, op: str, path: str) -> bool:
        """Count this call; True when it must be a short write."""
        if self.dead:
            raise Crash(f"{op} after the crash")
        if op not in self.only or (self.under is not None and not _inside(path, self.under)):
            return False
        k = len(self.calls)
        self.calls.append((op, path))
        if self.at is None or not (k == self.at or (self.sticky and k > self.at)):
            return False
        if not applies(op, self.fault):
            return False
        self.fired = (op, path)
        if self.fault == "crash":
            self.dead = True
            raise Crash(f"killed before {op} {path}")
        if self.fault == "short":
            return True
        code = {**ERRNOS, **OTHER}[self.fault]
        raise OSError(code, os.strerror(code), path)

    def _path(self, fd: int) -> str:
        """The file of ``fd``, also for descriptors opened before this was installed (Linux)."""
        if fd not in self._fds:
            try:
                self._fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                return "?"
        return self._fds[fd]

    def open(self, path, flags, mode=0o666):
        self._step("open", path)
        fd = super().open(path, flags, mode)
        self._fds[fd] = str(path)
        return fd

    def write(self, fd, data):
        if self._step("write", self._path(fd)) and len(data) > 1:
            return super().write(fd, data[: len(data) // 2])
        return super().write(fd, data)

    def fsync(self, fd):
        self._step("fsync", self._path(fd))
        super().fsync(fd)

    def close(self, fd):
        self._step("close", self._path(fd))
        self._fds.pop(fd, None)
        super().close(fd)

    def replace(self, src, dst):
        self._step("replace", dst)
        super().replace(src, dst)

    def unlink(self, path):
        self._step("unlink", path)
        super().unlink(path)

    def mkdir(self, path):
        self._step("mkdir", path)
        super().mkdir(path)

    def truncate(self, fd, size):
        self._step("truncate", self._path(fd))
        super().truncate(fd, size)


def _inside(path: str, folder: Path) -> bool:
    p = os.path.abspath(path)
    f = os.path.abspath(folder)
    return p == f or p.startswith(f + os.sep)


@contextmanager
def faults(**kw):
    """Install a :class:`FaultyOps` for the block; yields it (``.calls``, ``.fired``)."""
    with storage.using(FaultyOps(**kw)) as o:
        yield o


def temp_files(folder: Path) -> list[str]:
    """Temporary files of atomic writes left in ``folder`` (and below)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*.tmp"))


def one_sentence(message: str) -> bool:
    """A message a coder reads at a glance: one line, one sentence, no error numbers."""
    body = message.rstrip(".")
    return (
        bool(message)
        and "\n" not in message
        and message.endswith(".")
        and "Errno" not in message
        and "Traceback" not in message
        and not any(body[i] == "." and body[i + 1 : i + 2] == " " for i in range(len(body)))
    )
