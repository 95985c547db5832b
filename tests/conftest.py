"""Shared test setup: Qt runs offscreen, and the app's settings go to a temporary file."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any test imports Qt
# subprocesses the tests start (the CLI, a killed app) run this checkout's sources too
_SRC = str(Path(__file__).resolve().parents[1] / "src")
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH")) if p)

import pytest  # noqa: E402 - after the environment above is set


@pytest.fixture(autouse=True)
def _temporary_app_settings(tmp_path, monkeypatch):
    """The GUI's QSettings (recent sessions, coder name, layout) live in a per-test INI file, and
    the app's data on this computer (edits kept while a folder cannot be written) in a per-test
    folder."""
    monkeypatch.setenv("SYNCHRONY_CODER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("SYNCHRONY_CODER_DATA", str(tmp_path / "app-data"))
