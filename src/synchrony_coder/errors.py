"""The base of every error a user can cause with bad input; the CLI prints it as one line, exit 1."""

from __future__ import annotations


class DataError(Exception):
    """Bad input data: a file, row or field the user can fix. ``str()`` is one line."""
