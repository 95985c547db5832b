"""A tiny frame-number barcode drawn in the top-left corner of every rendered frame.

Encoding (so that any decoder's output can be checked for frame exactness):

- a grid of ``ROWS`` x ``COLS`` = 3 x 8 square cells of side ``c = cell_size(height)`` pixels
  (``max(4, round(height / 45))``: 8 px at 360 p, 4 px at 180 p and below);
- the grid's top-left corner is at pixel ``(c, c)``, inside a dark box (grey 40) that leaves one
  cell of quiet margin around it;
- cells are read row-major, bit 0 first: bits 0-19 hold the frame index (0-based, modulo 2**20),
  bits 20-23 hold ``index % 13`` as a check; a cell is white (255) for 1 and black (0) for 0.

:func:`read_frame_barcode` samples the central half of each cell (mean luma > 128 is a 1), so block
artefacts of lossy compression at the cell edges do not flip a bit; a wrong check raises.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BARCODE_CELLS", "barcode_box", "cell_size", "draw_frame_barcode", "read_frame_barcode"]

ROWS, COLS = 3, 8
INDEX_BITS = 20
BARCODE_CELLS = ROWS * COLS
_CHECK = 13


def cell_size(height: int) -> int:
    """Side of one barcode cell in pixels for a frame ``height`` pixels tall."""
    return max(4, round(height / 45))


def barcode_box(height: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of the dark box holding the barcode (exclusive ends)."""
    c = cell_size(height)
    return 0, 0, (COLS + 2) * c, (ROWS + 2) * c


def _word(index: int) -> int:
    return (index % (1 << INDEX_BITS)) | ((index % _CHECK) << INDEX_BITS)


def draw_frame_barcode(rgb: np.ndarray, index: int) -> None:
    """Draw frame ``index``'s barcode into ``rgb`` (H x W x 3, uint8) in place."""
    c = cell_size(rgb.shape[0])
    x0, y0, x1, y1 = barcode_box(rgb.shape[0])
    rgb[y0:y1, x0:x1] = 40
    bits = (_word(index) >> np.arange(BARCODE_CELLS)) & 1
    cells = np.where(bits.reshape(ROWS, COLS) > 0, 255, 0).astype(np.uint8)
    block = np.repeat(np.repeat(cells, c, axis=0), c, axis=1)
    rgb[c : c + ROWS * c, c : c + COLS * c] = block[:, :, None]


def read_frame_barcode(rgb: np.ndarray) -> int:
    """The frame index drawn by :func:`draw_frame_barcode` in a decoded RGB frame.

    Parameters
    ----------
    rgb
        A decoded frame (H x W x 3, uint8), at the size it was rendered.

    Returns
    -------
    int
        The frame index (modulo 2**20).

    Raises
    ------
    ValueError
        The check bits disagree with the index (no barcode there, or a damaged frame).
    """
    c = cell_size(rgb.shape[0])
    q = max(c // 4, 1)
    grid = rgb[c : c + ROWS * c, c : c + COLS * c].astype(np.float32).mean(axis=2)
    grid = grid.reshape(ROWS, c, COLS, c)[:, q : c - q, :, q : c - q]
    bits = (grid.mean(axis=(1, 3)) > 128).reshape(-1).astype(np.int64)
    word = int((bits << np.arange(BARCODE_CELLS)).sum())
    index, check = word & ((1 << INDEX_BITS) - 1), word >> INDEX_BITS
    if index % _CHECK != check:
        raise ValueError(f"no valid frame barcode (read index {index}, check {check})")
    return index
