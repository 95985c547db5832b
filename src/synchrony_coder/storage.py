"""Every byte the program writes passes through here: one seam for writing and for fault injection.

SQLite earns its trust by failing each of its I/O calls in turn in its tests (Hipp, "How SQLite Is
Tested"); we do the same through :class:`Ops`, the few file operations our writers use (open,
write, fsync, close, replace, unlink, mkdir, truncate). Tests install a faulty :class:`Ops` with
:func:`using`; no writer calls ``os`` for writing anywhere else.

Writers:

- :func:`atomic_write_bytes` / :func:`atomic_write_text`: a temporary file beside the target,
  written whole, fsynced and closed, then renamed over the target and the folder fsynced, so a
  reader, a kill or a power cut sees the old file or the new one, never part of one.
- :func:`new_temp` + :func:`publish`: the same for files a library writes by path (videos).
- :class:`AppendLog`: an append-only file whose every record is written whole and fsynced.

A failure is a :class:`WriteError` (a :class:`~synchrony_coder.errors.DataError`: the CLI prints
it as one line) naming the path and saying in plain words what happened and what to do. A kill
between two steps leaves at most a hidden ``.NAME.<host>-<pid>-<random>.tmp`` file, removed by
the next write to ``NAME`` once its process is gone.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import DataError

__all__ = [
    "AppendLog",
    "Ops",
    "WriteError",
    "atomic_write_bytes",
    "atomic_write_text",
    "copy_file",
    "fault_kind",
    "make_dirs",
    "new_temp",
    "ops",
    "pid_alive",
    "publish",
    "remove",
    "sweep_temps",
    "sync_folder",
    "using",
    "write_all",
]

_BINARY = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


class Ops:
    """The operating system's file operations: the seam every writer goes through."""

    def open(self, path: str, flags: int, mode: int = 0o666) -> int:
        return os.open(path, flags, mode)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def replace(self, src: str, dst: str) -> None:
        os.replace(src, dst)

    def unlink(self, path: str) -> None:
        os.unlink(path)

    def mkdir(self, path: str) -> None:
        os.mkdir(path)

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)


_ops = Ops()


def ops() -> Ops:
    """The operations in use (the real ones unless a test installed others)."""
    return _ops


@contextmanager
def using(replacement: Ops) -> Iterator[Ops]:
    """Route every write through ``replacement`` for the duration (fault-injection tests)."""
    global _ops
    previous, _ops = _ops, replacement
    try:
        yield replacement
    finally:
        _ops = previous


# -- what went wrong, in words -------------------------------------------------------------------
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}
_GONE = {
    errno.ENOENT,
    errno.ENOTDIR,
    errno.ESTALE,
    errno.ENODEV,
    errno.ENXIO,
    errno.ENOTCONN,
    errno.EHOSTDOWN,
    errno.EHOSTUNREACH,
    errno.ENETDOWN,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
}


def fault_kind(exc: OSError) -> str:
    """``"full"``, ``"denied"``, ``"unreachable"`` or ``"failed"`` (any other disk error)."""
    code = exc.errno
    if code in _FULL:
        return "full"
    if code in _DENIED:
        return "denied"
    if code in _GONE:
        return "unreachable"
    return "failed"


_TODO = {
    "full": "free some space and try again",
    "denied": "choose a folder you may write to",
    "unreachable": "reconnect it and try again",
    "failed": "check the disk and try again",
}


class WriteError(DataError):
    """A file that could not be written. ``kind`` says why (see :func:`fault_kind`).

    ``str()`` is one line: the path, what happened, what became of the file, what to do.
    """

    def __init__(self, path: str | Path, exc: OSError, *, intact: bool | None = True) -> None:
        self.path = Path(path)
        self.intact = intact  # None: the new file is in place but may not survive a power cut
        self.errno = exc.errno
        self.kind = fault_kind(exc)
        self.reason = reason(self.kind, self.path, exc)
        if intact is None:
            kept = "it may not have reached the disk"
        elif not intact:
            kept = "nothing was written"
        else:
            kept = f"the previous {self.path.name} is unchanged"
        super().__init__(f"cannot write {self.path}: {self.reason} ({kept}); {_TODO[self.kind]}")


def reason(kind: str, path: Path, exc: OSError | None = None) -> str:
    """What happened, in words a coder knows (no error numbers)."""
    if kind == "full":
        return "the disk is full"
    if kind == "denied":
        if exc is not None and exc.errno == errno.EROFS:
            return f"{path.parent} is on a read-only disk"
        return f"{path.parent} is not writable (permission denied)"
    if kind == "unreachable":
        return f"{path.parent} cannot be reached (a network drive or USB disk disconnected?)"
    detail = f" ({exc.strerror})" if exc is not None and exc.strerror else ""
    return f"the disk reported an error{detail}"


# -- writers --------------------------------------------------------------------------------------
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]


_writing: set[str] = set()  # temporary files this process is writing now (not leftovers)


def _temp_for(path: Path) -> Path:
    # the name is cut so that the temp name stays within the 255 bytes file systems allow
    tmp = path.with_name(f".{path.name[:120]}.{_HOST}-{os.getpid()}-{secrets.token_hex(3)}.tmp")
    _writing.add(str(tmp))
    return tmp


def write_all(o: Ops, fd: int, data: bytes | memoryview) -> None:
    """Write every byte: ``write`` may write fewer than asked (a short write) and must be repeated."""
    view = memoryview(data)
    while view:
        n = o.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "the disk accepted no data")
        view = view[n:]


def make_dirs(folder: str | Path) -> None:
    """Create ``folder`` and its missing parents (like ``mkdir -p``)."""
    folder = Path(folder)
    if folder.is_dir():
        return
    if folder.parent != folder:
        make_dirs(folder.parent)
    try:
        _ops.mkdir(str(folder))
    except FileExistsError:
        pass
    except OSError as exc:
        raise WriteError(folder, exc, intact=False) from None


def atomic_write_text(path: str | Path, text: str, *, make_folder: bool = True) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically and durably; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"), make_folder=make_folder)


def atomic_write_bytes(path: str | Path, data: bytes, *, make_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Temporary file in the same folder (the old file's permissions), every byte written, fsync,
    close, rename over ``path``, fsync the folder. On any failure the temporary file is removed
    and ``path`` is as it was. ``make_folder=False``: a missing folder is an error (a session's
    folder that vanished must not be made again, empty, where it was mounted).

    Raises
    ------
    WriteError
        Something failed (disk full, not writable, folder gone, disk error); ``path`` unchanged.
    """
    path = Path(path)
    if make_folder:
        make_dirs(path.parent)
    try:
        mode: int | None = path.stat().st_mode & 0o777
    except OSError:
        mode = None  # a new file: what open() gives (0o666 less the umask)
    _commit(_temp_for(path), path, lambda o, fd: write_all(o, fd, data), mode)


def _commit(tmp: Path, path: Path, fill, mode: int | None) -> None:
    """Fill ``tmp`` (``fill(ops, fd)``; None: it is filled already), fsync, close, rename it over
    ``path``, fsync the folder; on failure remove ``tmp`` and raise :class:`WriteError`."""
    o = _ops
    existed = path.exists()
    fd: int | None = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL if fill else os.O_RDWR
    try:
        fd = o.open(str(tmp), flags | _BINARY, 0o666)
        if mode is not None and hasattr(os, "fchmod"):
            with suppress(OSError):  # cosmetic: some network file systems refuse modes
                os.fchmod(fd, mode)
        if fill:
            fill(o, fd)
        o.fsync(fd)
        fd, closing = None, fd
        o.close(closing)
        o.replace(str(tmp), str(path))
    except OSError as exc:
        _abandon(o, fd, tmp)
        raise WriteError(path, exc, intact=existed) from None
    except BaseException:
        _abandon(o, fd, tmp)
        raise
    finally:
        _writing.discard(str(tmp))
    sync_folder(path)
    sweep_temps(path)


def _abandon(o: Ops, fd: int | None, tmp: Path) -> None:
    _writing.discard(str(tmp))
    if fd is not None:
        with suppress(OSError):
            o.close(fd)
    with suppress(OSError):
        o.unlink(str(tmp))


def sync_folder(path: Path) -> None:
    """fsync the folder holding ``path`` so a rename in it survives a power cut.

    Systems that cannot open a folder (Windows) or sync one are skipped; a disk error raises
    :class:`WriteError` (the file is in place but may not survive a power cut).
    """
    o = _ops
    try:
        fd = o.open(str(path.parent), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        if exc.errno in (errno.EIO, errno.ESTALE):
            raise WriteError(path, exc, intact=None) from None
        return
    try:
        o.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP, errno.EACCES, errno.EPERM):
            raise WriteError(path, exc, intact=None) from None
    finally:
        with suppress(OSError):
            o.close(fd)


def new_temp(path: str | Path) -> Path:
    """An empty temporary file beside ``path`` for a library to write by name; then :func:`publish`.

    Raises
    ------
    WriteError
        The folder cannot be written.
    """
    path = Path(path)
    make_dirs(path.parent)
    tmp = _temp_for(path)
    o = _ops
    try:
        o.close(o.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666))
    except OSError as exc:
        _abandon(o, None, tmp)
        raise WriteError(path, exc, intact=path.exists()) from None
    except BaseException:
        _abandon(o, None, tmp)
        raise
    return tmp


def publish(tmp: str | Path, path: str | Path, mode: int = 0o644) -> None:
    """fsync the finished ``tmp``, give it ``mode`` and rename it over ``path`` (atomic, durable).

    On failure ``tmp`` is removed and ``path`` is as it was (:class:`WriteError`).
    """
    _commit(Path(tmp), Path(path), None, mode)


def copy_file(source: str | Path, path: str | Path) -> None:
    """Copy ``source`` to ``path`` atomically (streamed: videos need not fit in memory)."""
    path = Path(path)
    with open(source, "rb") as fh:  # a source that cannot be read is not a write error

        def fill(o: Ops, fd: int) -> None:
            while chunk := fh.read(1 << 20):
                write_all(o, fd, chunk)

        make_dirs(path.parent)
        _commit(_temp_for(path), path, fill, 0o644)


def remove(path: str | Path) -> None:
    """Delete ``path`` if it exists (:class:`WriteError` if it cannot be deleted)."""
    try:
        _ops.unlink(str(path))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise WriteError(path, exc) from None


def sweep_temps(path: str | Path) -> None:
    """Remove the temporary files of ``path`` left by processes of this computer that are gone
    (or by writes of this process that never finished)."""
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name[:120])}\.{_HOST}-(\d+)-[0-9a-f]{{6}}\.tmp$")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        pid = int(m.group(1)) if m else 0
        if m and (
            not pid_alive(pid) or pid == os.getpid() and str(path.parent / name) not in _writing
        ):
            with suppress(OSError):
                _ops.unlink(str(path.parent / name))


def pid_alive(pid: int) -> bool:
    """True when process ``pid`` of this computer exists (or cannot be checked)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class AppendLog:
    """An append-only file: :meth:`append` writes one record whole and fsyncs it before returning.

    The file must exist (its owner writes it whole first, with its header). After a failed append
    it may end in part of that record: the log is ``broken`` and the next :meth:`append` raises
    until the owner has rewritten the file whole and called :meth:`reopen`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self.broken = False

    def append(self, data: bytes) -> None:
        if self.broken:
            raise WriteError(self.path, OSError(errno.EIO, "an earlier write failed"))
        o = _ops
        try:
            if self._fd is None:
                self._fd = o.open(str(self.path), os.O_WRONLY | os.O_APPEND | _BINARY)
            write_all(o, self._fd, data)
            o.fsync(self._fd)
        except OSError as exc:
            self.broken = True
            self.close()
            raise WriteError(self.path, exc, intact=None) from None

    def reopen(self) -> None:
        """The file was rewritten whole: append to it again."""
        self.close()
        self.broken = False

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with suppress(OSError):
                _ops.close(fd)

    def __del__(self) -> None:  # a session dropped without close (a simulated crash) frees its fd
        fd, self._fd = self._fd, None
        if fd is not None:
            with suppress(OSError):
                os.close(fd)
