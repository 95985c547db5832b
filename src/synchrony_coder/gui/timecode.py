"""Timecodes as the coder reads and types them (``HH:MM:SS.mmm``; frames as plain integers)."""

from __future__ import annotations

import re

_CLOCK = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?)$")


def format_timecode(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (milliseconds rounded, as stored in the events table)."""
    ms = int(round(max(seconds, 0.0) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def parse_position(text: str) -> tuple[str, float]:
    """Parse what a coder types in "go to": ``"1234"`` or ``"f1234"`` is a frame; ``"83.5s"``,
    ``"1:23.5"`` or ``"00:01:23.500"`` a time. Returns ``("frame", n)`` or ``("time", seconds)``.

    Raises
    ------
    ValueError
        The text is neither.
    """
    s = text.strip().lower().replace(",", ".")
    if s.startswith("f") and s[1:].isdigit():
        return "frame", float(int(s[1:]))
    if s.isdigit():
        return "frame", float(int(s))
    if s.endswith("s") and _is_number(s[:-1]):
        return "time", float(s[:-1])
    m = _CLOCK.match(s)
    if m and ":" in s:
        parts = [float(p) for p in s.split(":")]
        seconds = 0.0
        for p in parts:
            seconds = seconds * 60 + p
        return "time", seconds
    if _is_number(s):
        return "time", float(s)
    raise ValueError(f"{text!r} is neither a frame number (1234) nor a time (83.5s, 1:23.5)")


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True
