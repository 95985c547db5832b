"""Where the app remembers recent sessions, window layout and the coder's name (QSettings).

``SYNCHRONY_CODER_SETTINGS=/path/file.ini`` redirects them to an INI file (tests use a temporary one
so they never touch the user's settings).
"""

from __future__ import annotations

import os

from PyQt6.QtCore import QSettings

MAX_RECENT = 8


def app_settings() -> QSettings:
    path = os.environ.get("SYNCHRONY_CODER_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("synchrony-coder", "synchrony-coder")


def recent_sessions() -> list[str]:
    value = app_settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def remember_session(path: str) -> None:
    items = [path] + [p for p in recent_sessions() if p != path]
    s = app_settings()
    s.setValue("recent", items[:MAX_RECENT])
    s.sync()


def coder_name() -> str:
    return str(app_settings().value("coder", "") or "")


def remember_coder(name: str) -> None:
    s = app_settings()
    s.setValue("coder", name)
    s.sync()


DEFAULT_FRAME_CACHE_MIB = 1024
FRAME_CACHE_RANGE_MIB = (64, 65536)


def frame_cache_mib() -> int:
    """Memory for decoded video frames, in MiB: one budget for the whole app, shared by the
    session's cameras (each gets its share, see ``MainWindow.open_session``)."""
    try:
        value = int(app_settings().value("frame_cache_mib", DEFAULT_FRAME_CACHE_MIB))
    except (TypeError, ValueError):
        value = DEFAULT_FRAME_CACHE_MIB
    lo, hi = FRAME_CACHE_RANGE_MIB
    return min(max(value, lo), hi)


def set_frame_cache_mib(mib: int) -> None:
    s = app_settings()
    s.setValue("frame_cache_mib", int(mib))
    s.sync()


MOVEMENT_KEYS = ("window_s", "increment_s", "lag_s", "threshold")


def movement_settings() -> dict[str, float]:
    """Movement synchrony's window, step and maximum lag (s) and the motion threshold θ: rMEA's
    defaults (60, 30, 5; SCIENCE.md §6) until the coder changes them."""
    from ..motion import DEFAULT_THRESHOLD
    from ..movement import DEFAULTS

    defaults = (DEFAULTS.window_s, DEFAULTS.increment_s, DEFAULTS.lag_s, DEFAULT_THRESHOLD)
    s, out = app_settings(), {}
    for name, default in zip(MOVEMENT_KEYS, defaults, strict=True):
        try:
            out[name] = float(s.value(f"movement/{name}", default))
        except (TypeError, ValueError):
            out[name] = default
    return out


def set_movement_settings(values: dict[str, float]) -> None:
    s = app_settings()
    for name in MOVEMENT_KEYS:
        s.setValue(f"movement/{name}", float(values[name]))
    s.sync()
