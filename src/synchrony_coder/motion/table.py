"""The tidy motion table: one row per frame, ``session, time_s, <roi>...`` (SCIENCE.md §6).

Built from a video's motion energy (:func:`motion_table`), read back from CSV
(:func:`read_motion`), or read from the text output of the MEA program (Ramseyer & Tschacher,
2011): whitespace-separated columns, one row per frame, an optional header line
(:func:`read_mea_text`), the files rMEA's ``readMEA`` reads (Kleinbub & Ramseyer, 2020).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = [
    "MotionFileError",
    "format_motion",
    "motion_table",
    "read_mea_text",
    "read_motion",
    "roi_columns",
]

ID_COLUMNS = ("session", "time_s")
_MISSING = {"", "na", "nan", "null", "-"}


class MotionFileError(DataError):
    """A motion table or MEA text file that cannot be used: ``FILE:ROW: column: problem``."""

    def __init__(self, path, message: str, row: int | None = None, column: str | None = None):
        where = f"{path}:{row}" if row is not None else f"{path}"
        super().__init__(f"{where}: {column}: {message}" if column else f"{where}: {message}")


def motion_table(
    session: str, times_ms: np.ndarray, values: np.ndarray, names: Sequence[str], offset_s=0.0
) -> pd.DataFrame:
    """The tidy table of one video: ``time_s`` = the frame's session time (ms precision)."""
    time_s = np.round(np.asarray(times_ms, np.float64) + float(offset_s) * 1000.0) / 1000.0
    table = pd.DataFrame({"session": str(session), "time_s": time_s})
    for j, name in enumerate(names):
        table[name] = values[:, j]
    return table


def roi_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in ID_COLUMNS]


def format_motion(table: pd.DataFrame) -> str:
    """CSV text; values keep every digit (they read back as the same floats), missing is empty."""
    return table.to_csv(index=False, lineterminator="\n")


def read_motion(paths: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """Read one or more tidy motion tables (CSV) into one, checking every row.

    Raises
    ------
    MotionFileError
        Naming the file, line and column: a missing ``session``/``time_s`` column, no ROI column, a
        value that is not a number, a time that is not finite and ≥ 0 or that does not increase
        within a session.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    frames = [_read_one(Path(p)) for p in items]
    if not frames:
        return pd.DataFrame(columns=list(ID_COLUMNS))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _read_one(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise MotionFileError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise MotionFileError(path, f"not a readable CSV file ({exc})") from None
    for col in ID_COLUMNS:
        if col not in raw.columns:
            raise MotionFileError(
                path,
                f"no {col!r} column (a motion table has columns session, time_s, <roi>...; "
                f"found {', '.join(raw.columns)})",
            )
    rois = [c for c in raw.columns if c not in ID_COLUMNS]
    if not rois:
        raise MotionFileError(path, "no ROI column after session, time_s")
    table = pd.DataFrame({"session": raw["session"].str.strip()})
    for col in ("time_s", *rois):
        table[col] = _numbers(raw[col], path, col, offset=2)
    bad = np.flatnonzero(~np.isfinite(table["time_s"].to_numpy()) | (table["time_s"] < 0))
    if len(bad):
        raise MotionFileError(path, "must be a number of seconds ≥ 0", int(bad[0]) + 2, "time_s")
    same = table["session"].to_numpy()[1:] == table["session"].to_numpy()[:-1]
    steps = np.diff(table["time_s"].to_numpy())
    bad = np.flatnonzero(same & (steps <= 0))
    if len(bad):
        raise MotionFileError(
            path,
            "does not increase within the session (one row per frame, in time order)",
            int(bad[0]) + 3,
            "time_s",
        )
    return table


def _numbers(values: pd.Series, path, column: str, offset: int) -> np.ndarray:
    text = values.str.strip()
    missing = text.str.lower().isin(_MISSING).to_numpy()
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(np.isnan(numbers) & ~missing)
    if len(bad):
        k = int(bad[0])
        raise MotionFileError(path, f"{values.iloc[k]!r} is not a number", k + offset, column)
    return numbers


def read_mea_text(
    path: str | Path, fps: float, names: Sequence[str] | None = None, session: str | None = None
) -> pd.DataFrame:
    """Read the MEA program's text output into the tidy motion table.

    Parameters
    ----------
    path : whitespace-separated columns, one row per frame; an optional header line of names
        (quoted or not). ``NA`` or ``NaN`` is a missing value.
    fps : the video's frame rate: row ``k`` is at ``time_s = k / fps``.
    names : a name per column (needed without a header). Columns given the same name are summed,
        as rMEA's ``readMEA`` sums several regions of one person.
    session : the session id (default: the file's stem).
    """
    path = Path(path)
    if not (fps > 0 and np.isfinite(fps)):
        raise MotionFileError(path, f"frame rate {fps!r} must be a number > 0")
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    except FileNotFoundError:
        raise MotionFileError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MotionFileError(path, f"cannot read it ({exc})") from None
    if not lines:
        raise MotionFileError(path, "is empty")
    first = [t.strip("\"'") for t in lines[0].split()]
    header = not all(_is_number(t) for t in first)
    body_from = 2 if header else 1  # file line number of the first data row
    width = len(first)
    if names is None:
        if not header:
            raise MotionFileError(
                path, f"has no header line: name its {width} columns (e.g. infant,caregiver)"
            )
        names = first
    names = [n.strip() for n in names]
    if len(names) != width:
        raise MotionFileError(path, f"has {width} columns but {len(names)} names were given")
    rows = lines[1:] if header else lines
    try:
        cells = pd.read_csv(
            io.StringIO("\n".join(rows)),
            sep=r"\s+",
            header=None,
            dtype=str,
            keep_default_na=False,
            engine="python",
        )
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        row = int(line.group(1)) + body_from - 1 if line else None
        raise MotionFileError(path, f"rows must all have {width} columns", row) from None
    except pd.errors.EmptyDataError:
        raise MotionFileError(path, "has a header but no rows") from None
    if cells.shape[1] != width:
        raise MotionFileError(path, f"rows have {cells.shape[1]} columns, the first {width}")
    values = np.column_stack(
        [_numbers(cells[j], path, names[j], offset=body_from) for j in range(width)]
    )
    unique = list(dict.fromkeys(names))
    summed = np.column_stack([values[:, [n == u for n in names]].sum(axis=1) for u in unique])
    times_ms = np.round(np.arange(len(values)) * 1000.0 / fps)
    return motion_table(session or path.stem, times_ms, summed, unique)


def _is_number(text: str) -> bool:
    if text.lower() in _MISSING:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True
