"""What a lab checks over its video archive before coding: one row of facts per file.

:func:`probe_files` opens each video as the app would (the exact frame index and the first
picture, no full decode) and says what is unusual about it — an edit list or cut that hides
frames, interlacing, a rotation, a variable frame rate, keyframes far apart, missing frames — and
whether to code it on a proxy (:mod:`.proxy`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from .decoder import Decoder
from .display import Display, read_display
from .index import FrameIndex, VideoError, build_index
from .proxy import SLOW_KEYFRAME_INTERVAL_S, is_proxy, proxy_advice

# what cameras, phones, camcorders and editors write; anything else is not looked at in folders
VIDEO_SUFFIXES = (
    ".mp4",
    ".m4v",
    ".mov",
    ".avi",
    ".mkv",
    ".webm",
    ".mts",
    ".m2ts",
    ".ts",
    ".mpg",
    ".mpeg",
    ".vob",
    ".mod",
    ".tod",
    ".mxf",
    ".dv",
    ".wmv",
    ".flv",
    ".3gp",
)

COLUMNS = [
    "path",
    "frame_count",
    "fps",
    "duration_s",
    "width",
    "height",
    "codec",
    "rotation",
    "interlaced",
    "field_order",
    "pixel_aspect",
    "vfr",
    "keyframe_interval_s",
    "hidden_frames",
    "missing_frames",
    "unusual",
    "proxy_advised",
    "error",
]


def video_files(paths: Iterable[str | Path]) -> list[Path]:
    """The videos among ``paths``: files as given, folders searched recursively for files with a
    video suffix (:data:`VIDEO_SUFFIXES`; proxies left out), in name order."""
    out: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found = (
                p
                for p in item.rglob("*")
                if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES and not is_proxy(p)
            )
            out.extend(sorted(found))
        else:
            out.append(item)
    return out


def facts(path: str | Path, index: FrameIndex, display: Display, codec: str) -> dict:
    """The facts ``synchrony-coder probe`` reports for one video (see :data:`COLUMNS`)."""
    advice = proxy_advice(path, index, display)
    sar = display.pixel_aspect
    row = {
        "path": str(path),
        "frame_count": index.frame_count,
        "fps": round(index.fps, 6),
        "duration_s": index.duration_s,
        "width": display.width,
        "height": display.height,
        "codec": codec,
        "rotation": display.rotation,
        "interlaced": display.interlaced,
        "field_order": display.field_order,
        "pixel_aspect": f"{sar.numerator}:{sar.denominator}",
        "vfr": index.vfr,
        "keyframe_interval_s": round(index.keyframe_interval_s, 3),
        "hidden_frames": index.hidden_frames,
        "missing_frames": index.missing_frames,
    }
    row["unusual"] = "; ".join(_unusual(index, display, advice))
    row["proxy_advised"] = bool(advice)
    row["error"] = ""
    return row


def _unusual(index: FrameIndex, display: Display, advice: str) -> list[str]:
    notes = []
    if index.hidden_frames:
        notes.append(f"{index.hidden_frames} hidden frames (edit list or cut: not counted)")
    if index.truncated:
        lacking = f"{index.missing_frames} frames" if index.missing_frames else "its end"
        notes.append(f"truncated or damaged: {lacking} missing")
    if display.interlaced:
        notes.append(f"interlaced ({display.field_order}; shown deinterlaced)")
    if display.rotation:
        notes.append(f"rotated {display.rotation}° (shown upright)")
    if display.pixel_aspect != 1:
        sar = display.pixel_aspect
        notes.append(f"non-square pixels {sar.numerator}:{sar.denominator}")
    if index.vfr:
        notes.append("variable frame rate")
    if index.keyframe_interval_s > SLOW_KEYFRAME_INTERVAL_S:
        notes.append(f"long GOP (a keyframe every {index.keyframe_interval_s:.1f} s)")
    if advice == "heavy":
        notes.append(f"heavy ({display.width}x{display.height} at {index.fps:.3g} fps)")
    return notes


def describe(path: str | Path) -> dict:
    """:func:`facts` of one file: its index and first picture (VideoError if it cannot be read)."""
    index = build_index(path)
    decoder = Decoder(path, index, threads=False)
    try:
        display = read_display(decoder)
        codec = decoder.stream.codec_context.name
    finally:
        decoder.close()
    return facts(path, index, display, codec)


def probe_files(
    paths: Iterable[str | Path], progress: Callable[[int, int], None] | None = None
) -> pd.DataFrame:
    """One row of facts per video among ``paths`` (folders searched, see :func:`video_files`).

    Parameters
    ----------
    paths : files and folders.
    progress : called as ``progress(files done, files)`` after each file.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, one row per file in name order: frames as the app numbers them,
        upright ``width`` x ``height``, ``rotation`` (degrees counter-clockwise), ``interlaced``
        and ``field_order``, ``pixel_aspect`` (``"1:1"`` for square pixels), ``vfr``,
        ``keyframe_interval_s``, ``hidden_frames`` (hidden by an edit list or cut),
        ``missing_frames`` (of a truncated file), ``unusual`` (those facts in words, ``"; "``
        between them), ``proxy_advised`` and ``error`` (why a file cannot be opened; its other
        columns are then empty). A file that cannot be read does not stop the others.
    """
    files = video_files(paths)
    rows = []
    for done, path in enumerate(files, 1):
        try:
            rows.append(describe(path))
        except VideoError as exc:
            rows.append({"path": str(path), "error": exc.message})
        if progress is not None:
            progress(done, len(files))
    table = pd.DataFrame(rows, columns=COLUMNS).astype(_DTYPES)
    return table.fillna({"error": ""})


# nullable types: a file that cannot be opened leaves its facts empty, not NaN floats
_DTYPES = {
    **{c: "string" for c in ("path", "codec", "field_order", "pixel_aspect", "unusual", "error")},
    **{c: "Int64" for c in ("frame_count", "width", "height", "rotation")},
    **{c: "Int64" for c in ("hidden_frames", "missing_frames")},
    **{c: "boolean" for c in ("interlaced", "vfr", "proxy_advised")},
    **{c: "Float64" for c in ("fps", "duration_s", "keyframe_interval_s")},
}
