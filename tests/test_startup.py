"""The app says which system library is missing instead of Qt's abort (a newcomer's first run).

Oracle: the dynamic linker itself — a copy of Qt's real xcb plugin whose dependency on
``libxcb-icccm.so.4`` is renamed to a library no system has, so ``ldd`` really reports it missing —
and Debian's package names as ``dpkg -S`` gives them for the plugin's libraries on Debian 12.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synchrony_coder.gui.startup import (
    DisplayError,
    check_display,
    debian_package,
    missing_libraries,
    xcb_plugins,
)

needs_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("ldd") is None,
    reason="the xcb plugin and ldd exist on Linux only",
)


@pytest.fixture
def broken_plugin(tmp_path) -> Path:
    """Qt's xcb plugin, needing a library that is not there (beside Qt's own lib folder)."""
    real = xcb_plugins()[-1]
    (tmp_path / "Qt6" / "plugins" / "platforms").mkdir(parents=True)
    (tmp_path / "Qt6" / "lib").symlink_to(real.parents[2] / "lib")  # $ORIGIN/../../lib
    data = real.read_bytes()
    assert b"libxcb-icccm.so.4" in data
    copy = tmp_path / "Qt6" / "plugins" / "platforms" / "libqxcb.so"
    copy.write_bytes(data.replace(b"libxcb-icccm.so.4", b"libxcb-iccqq.so.4"))
    return copy


def test_debian_package_names():
    # dpkg -S on Debian 12 for each library the xcb plugin loads
    assert debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxcb-render-util.so.0") == "libxcb-render-util0"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"
    assert debian_package("libEGL.so.1") == "libegl1"
    assert debian_package("libdbus-1.so.3") == "libdbus-1-3"
    assert debian_package("libglib-2.0.so.0") == "libglib2.0-0"


@needs_linux
def test_a_missing_library_is_named_with_its_package(broken_plugin, monkeypatch):
    # (a machine without Qt's X11 libraries, e.g. CI, misses others too)
    assert "libxcb-iccqq.so.4" in missing_libraries(broken_plugin)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    with pytest.raises(
        DisplayError, match=r"needs libxcb-iccqq\.so\.4.*apt-get install libxcb-iccqq4"
    ):
        check_display([broken_plugin])
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # not the X11 plugin: nothing to check
    check_display([broken_plugin])


@needs_linux
def test_no_x_server_is_one_plain_line_not_an_abort(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env |= {"DISPLAY": ":87", "SYNCHRONY_CODER_SETTINGS": str(tmp_path / "s.ini")}
    run = subprocess.run(
        [sys.executable, "-m", "synchrony_coder", "gui"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synchrony-coder: error: the app cannot open")
