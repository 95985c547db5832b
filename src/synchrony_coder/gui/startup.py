"""Can Qt open a window here? Say what is missing in plain words instead of Qt's abort.

On a fresh Linux machine Qt's X11 platform plugin (``libqxcb.so``) often lacks system libraries;
Qt then prints that it "could not load the Qt platform plugin" (naming at most ``libxcb-cursor0``)
and aborts. Before creating the application we ask the dynamic linker which libraries the plugin
cannot find (``ldd``: "not found") and name them with their Debian/Ubuntu packages; if Qt still
fails to start (no X server, another platform), its fatal message is replaced by one line saying
what to do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import DataError

__all__ = ["DisplayError", "check_display", "debian_package", "missing_libraries", "xcb_plugins"]

_PACKAGES = {"libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
             "libgobject-2.0.so.0": "libglib2.0-0"}  # fmt: skip


class DisplayError(DataError):
    """The app cannot open a window on this machine (one line saying why and what to install)."""


def xcb_plugins() -> list[Path]:
    """The xcb platform plugins Qt may load, in its order: ``QT_QPA_PLATFORM_PLUGIN_PATH``'s,
    then the one installed with PyQt6 (Qt takes the first that loads)."""
    from PyQt6.QtCore import QLibraryInfo

    folders = [f for f in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if f]
    folders.append(str(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"))
    return [p for p in (Path(f) / "libqxcb.so" for f in folders) if p.exists()]


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries ``plugin`` needs that the dynamic linker cannot find (sorted)."""
    ldd = shutil.which("ldd")
    if ldd is None or not plugin.exists():
        return []
    try:
        out = subprocess.run(
            [ldd, str(plugin)], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line})


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that usually holds a library: ``libxcb-icccm.so.4`` →
    ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` → ``libxkbcommon-x11-0`` (Debian's naming)."""
    if soname in _PACKAGES:
        return _PACKAGES[soname]
    m = re.fullmatch(r"(.+)\.so\.(\d+)(?:\.\d+)*", soname)
    if m is None:
        return soname
    name, version = m.group(1).lower(), m.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def _uses_xcb() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.startswith("xcb")
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


def _xcb_missing(plugins: list[Path] | None = None) -> list[str]:
    """What the last plugin lacks when none of them can load; [] when one can (or none is found)."""
    found = [missing_libraries(p) for p in (xcb_plugins() if plugins is None else plugins)]
    return found[-1] if found and all(found) else []


def _install_hint(missing: list[str]) -> str:
    packages = " ".join(dict.fromkeys(debian_package(m) for m in missing))
    return f"install with: sudo apt-get install {packages}"


def check_display(plugins: list[Path] | None = None) -> None:
    """Raise :class:`DisplayError` naming the missing libraries when Qt's xcb plugin cannot load
    (``plugins``: the candidates, default :func:`xcb_plugins`)."""
    if not sys.platform.startswith("linux") or not _uses_xcb():
        return
    missing = _xcb_missing(plugins)
    if missing:
        raise DisplayError(
            f"the app cannot open a window: Qt's X11 plugin needs {', '.join(missing)}, missing "
            f"on this machine; {_install_hint(missing)} (Debian/Ubuntu names; the README lists "
            "every library Qt needs)"
        )


def explain_failure(message: str) -> str:
    """One line for Qt's fatal start-up ``message``: what is missing and what to do."""
    missing = _xcb_missing() if _uses_xcb() else []
    if missing:
        return (
            f"the app cannot open a window: missing {', '.join(missing)}; {_install_hint(missing)}"
        )
    if _uses_xcb() and "platform plugin" in message:
        display = os.environ.get("DISPLAY") or "(DISPLAY is not set)"
        return (f"the app cannot open a window on X display {display}: no X server answers there "
                "(start one, check DISPLAY, or use QT_QPA_PLATFORM=offscreen for scripts)")  # fmt: skip
    return f"the app cannot start Qt: {' '.join(message.split())}"


def guard_fatal() -> object:
    """Until :func:`release` is given the returned token, turn Qt's fatal start-up message into
    one line on stderr (exit status 1) instead of Qt's abort; warnings about the platform plugin,
    which that line replaces, are held back."""
    from PyQt6.QtCore import QtMsgType, qInstallMessageHandler

    def handler(mode, context, message: str) -> None:
        if mode == QtMsgType.QtFatalMsg:
            print(f"synchrony-coder: error: {explain_failure(message)}", file=sys.stderr)
            sys.stderr.flush()
            os._exit(1)
        if not str(context.category or "").startswith("qt.qpa") and "plugin" not in message:
            print(message, file=sys.stderr)

    return qInstallMessageHandler(handler)


def release(previous: object) -> None:
    from PyQt6.QtCore import qInstallMessageHandler

    qInstallMessageHandler(previous)
