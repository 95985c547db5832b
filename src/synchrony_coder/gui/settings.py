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
