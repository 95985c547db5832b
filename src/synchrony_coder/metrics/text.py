"""Text columns (session, coder, tier, code) as integer codes, and the (session, coder) groups.

No string is compared twice, whether pandas holds the text as Python strings, Arrow-backed strings
or categories (:func:`text_codes`). An Arrow-backed column (pandas' default ``str`` with pyarrow)
is immutable: editing such a column gives the table a new Arrow array. So the codes of an Arrow
column, and the groups of a pair of them, are remembered while that very array lives, and the
analyses run one after another on one table (a lag table, then time windows, then metrics) code
its text once. Numpy and categorical columns can change in place and are coded every time.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["code_rows", "factorize_rows", "forget_text_codes", "group_ids", "text_codes"]


class _ArrowMemo:
    """Results computed from Arrow arrays, found again by the identity of those arrays.

    An entry holds weak references to its arrays: it is used only while each is still the very
    object it was computed from (an id may be reused once an array is gone), and dropped once one
    of them is gone or when more than ``size`` entries are kept (least recently used first).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple, tuple[tuple, Any]] = OrderedDict()
        self._lock = threading.Lock()  # the helper thread codes columns too

    def get(self, kind: str, arrays: tuple, compute: Callable[[], Any]) -> Any:
        """The result of ``compute`` of this ``kind`` from these very ``arrays``."""
        key = (kind, *(id(a) for a in arrays))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and all(r() is a for r, a in zip(entry[0], arrays, strict=True)):
                self._entries.move_to_end(key)
                return entry[1]
        result = compute()
        with self._lock:
            for k in [
                k for k, (refs, _) in self._entries.items() if any(r() is None for r in refs)
            ]:
                del self._entries[k]
            self._entries[key] = (tuple(weakref.ref(a) for a in arrays), result)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return result

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_MEMO = _ArrowMemo(size=12)  # codes of the text columns, groups and code rows of a few tables


def forget_text_codes() -> None:
    """Drop every remembered code (a benchmark times the coding of a table anew with it)."""
    _MEMO.clear()


def _arrow_array(column: pd.Series):
    """The Arrow array behind an Arrow-backed column (the same object while the column is not
    edited), or None."""
    values = column.array
    if isinstance(values, pd.arrays.ArrowExtensionArray):
        return values.__arrow_array__()
    return None


def _read_only(codes: np.ndarray) -> np.ndarray:
    """Remembered codes are shared by every caller: none may write into them."""
    codes.flags.writeable = False
    return codes


def factorize_rows(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids of the distinct tuples of integer ``codes`` (from :func:`text_codes`), in order of
    first appearance.

    Events tables come in blocks (a file per session and coder, a tier after another), so only
    the rows where a code changes are combined; the rest inherit the id of the row above.

    Returns
    -------
    (ids, first, starts)
        The id of every row, the row where each id first appears, and the rows where a run of
        one id starts.
    """
    n = len(codes[0])
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = codes[0][1:] != codes[0][:-1]
        for c in codes[1:]:
            change[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(change)
    short = len(starts) > n // 4  # short runs: combine every row's codes, no gathering
    run_id = np.zeros(n if short else len(starts), dtype=np.int64)
    for c in codes:
        values = c if short else c[starts]
        run_id = pd.factorize(run_id * (int(c.max(initial=0)) + 2) + values + 1, sort=False)[0]
    if short:
        return run_id.astype(np.int64), _first_rows(run_id), starts
    ids = np.repeat(run_id, np.diff(np.append(starts, n)))
    return ids.astype(np.int64), starts[_first_rows(run_id)], starts


def _first_rows(ids: np.ndarray) -> np.ndarray:
    """Where each id 0 … max first appears."""
    first = np.empty(int(ids.max(initial=-1)) + 1, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)
    return first


def _addresses(values: np.ndarray) -> np.ndarray:
    """The address of each object of an object array: equal addresses, the same object."""
    values = np.ascontiguousarray(values)
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    buffer = (ctypes.c_ssize_t * len(values)).from_address(values.ctypes.data)
    return np.frombuffer(buffer, dtype=np.intp).copy()


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=False)``, hashing the value of each distinct object once.

    A table from :func:`~synchrony_coder.read_events` with Python strings holds one string object
    per distinct value of a column: comparing and hashing addresses costs a small part of
    hashing strings.
    """
    if values.dtype != object:
        return pd.factorize(values, sort=False)
    ids, _ = pd.factorize(_addresses(values), sort=False)
    codes, uniques = pd.factorize(values[_first_rows(ids)], sort=False)
    return codes[ids], uniques


def text_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """An integer code for every entry of a text column, and the values the codes stand for.

    Equal codes mean equal values (−1: missing). Whatever the column holds, no Python string is
    compared more than once per distinct object: a categorical gives its codes; Python strings
    are grouped by object first (:func:`_factorize`); an Arrow-backed column (pandas' default
    ``str`` with pyarrow) is hashed by Arrow, and when its runs of equal values are long (a
    session, coder or tier column), only the first value of each run is. The codes of an Arrow
    column are remembered while it lives (read-only arrays).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.int64), column.cat.categories
    if isinstance(column.dtype, np.dtype):
        codes, uniques = _factorize(column.to_numpy())
        return codes.astype(np.int64, copy=False), uniques
    arrow = _arrow_array(column)
    if arrow is None:
        return _extension_codes(column.array)
    return _MEMO.get("codes", (arrow,), lambda: _arrow_codes(arrow))


def _arrow_codes(values: pa.ChunkedArray) -> tuple[np.ndarray, pd.Index]:
    """:func:`text_codes` of an Arrow array, with Arrow's kernels (no pandas wrapping): the
    first value of each run of equal values when the runs are long, else every value."""
    n = len(values)
    if n > 1 and _long_runs(values[:1024]):
        starts = _run_starts(values)
        if len(starts) <= n // 8:
            codes, uniques = _dictionary(_take(values, starts))
            return _read_only(np.repeat(codes, np.diff(np.append(starts, n)))), uniques
    codes, uniques = _dictionary(values)
    return _read_only(codes), uniques


def _long_runs(head: pa.ChunkedArray) -> bool:
    """A glance at the first rows: do they come in runs of 8 or more equal values?"""
    return len(_run_starts(head)) <= len(head) // 8


def _run_starts(values: pa.ChunkedArray) -> np.ndarray:
    """The rows where a run of equal values starts (a missing value starts a run)."""
    differ = pc.fill_null(pc.not_equal(values[1:], values[:-1]), True)
    later = pc.indices_nonzero(differ).to_numpy().astype(np.int64) + 1
    return np.concatenate([np.zeros(min(len(values), 1), dtype=np.int64), later])


def _take(values: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """``values.take(rows)`` for sorted ``rows``, chunk by chunk (Arrow's take of a chunked array
    joins its chunks first: a copy of the whole column)."""
    bounds = np.cumsum([0] + [len(c) for c in values.chunks])
    cut = np.searchsorted(rows, bounds)
    parts = [
        chunk.take(pa.array(rows[cut[i] : cut[i + 1]] - bounds[i]))
        for i, chunk in enumerate(values.chunks)
        if cut[i] < cut[i + 1]
    ]
    return pa.chunked_array(parts, type=values.type)


def _dictionary(values: pa.ChunkedArray) -> tuple[np.ndarray, pd.Index]:
    """Arrow's dictionary encoding as codes (−1: missing) and the values they stand for, of the
    chunks joined (one dictionary: none to unify, which costs more than the join)."""
    encoded = pc.dictionary_encode(values.combine_chunks())
    indices = encoded.indices
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    codes = indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, pd.Index(encoded.dictionary.to_pylist(), dtype=object)


def _extension_codes(values) -> tuple[np.ndarray, Any]:
    """:func:`text_codes` of an extension array (Arrow-backed or pandas' own strings)."""
    n = len(values)
    head = values[:1024]  # a glance at the runs' lengths before comparing every row
    if n > 1 and (head[1:] != head[:-1]).sum() <= len(head) // 8:
        differ = values[1:] != values[:-1]
        if hasattr(differ, "fillna"):  # a masked result: a missing value starts a run
            differ = differ.fillna(True)
        change = np.ones(n, dtype=bool)
        change[1:] = np.asarray(differ, dtype=bool)
        starts = np.flatnonzero(change)
        if len(starts) <= n // 8:
            codes, uniques = pd.factorize(values.take(starts), sort=False)
            return np.repeat(codes.astype(np.int64), np.diff(np.append(starts, n))), uniques
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64, copy=False), uniques


def group_ids(events: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """The (session, coder) group of every row, the groups (``session, coder``) in order, and
    the rows where a run of one group's rows starts (a table comes in blocks).

    Groups are numbered in the order of their first row. Remembered for Arrow-backed columns
    (the ids and runs read-only; the groups a new frame for every caller).
    """
    columns = ("session", "coder")
    arrows = tuple(_arrow_array(events[c]) for c in columns)

    def find() -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
        found = _arrow_group_ids(*arrows) if None not in arrows else None
        if found is None:
            g, first, runs = factorize_rows(*(text_codes(events[c])[0] for c in columns))
            groups = events[list(columns)].iloc[first].reset_index(drop=True)
            return _read_only(g), groups, _read_only(runs)
        g, first, runs = found  # the groups from their first rows, not pandas' take of the table
        values = {
            c: pd.Series(_take(a, first), dtype=events[c].dtype)
            for c, a in zip(columns, arrows, strict=True)
        }
        return _read_only(g), pd.DataFrame(values), _read_only(runs)

    if None in arrows:
        return find()
    g, groups, runs = _MEMO.get("groups", arrows, find)
    return g, groups.copy(), runs


def _arrow_group_ids(
    session: pa.ChunkedArray, coder: pa.ChunkedArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`factorize_rows` of two Arrow columns with long runs, from the rows where either
    changes (a few per file), and those rows; None when their runs are short."""
    n = len(session)
    if n < 2 or not (_long_runs(session[:1024]) and _long_runs(coder[:1024])):
        return None
    starts = np.union1d(_run_starts(session), _run_starts(coder))
    if len(starts) > n // 8:
        return None
    run_id, first, _ = factorize_rows(
        _dictionary(_take(session, starts))[0], _dictionary(_take(coder, starts))[0]
    )
    return np.repeat(run_id, np.diff(np.append(starts, n))), starts[first], starts


def code_rows(
    events: pd.DataFrame, tier: tuple | None = None, code: tuple | None = None
) -> tuple[np.ndarray, dict[tuple[str, str], tuple[int, int]]]:
    """Where the events of each (tier, code) are: ``order`` lists the rows code by code, each
    code's rows in table order, and ``spans[(tier, code)]`` is the (start, stop) of its part of
    ``order`` (codes with events only; a row without tier or code is in no part).

    ``tier`` and ``code``: the :func:`text_codes` of those columns, if the caller has them.
    Remembered for Arrow-backed tier and code columns (``order`` read-only).
    """
    columns = (events["tier"], events["code"])

    def find() -> tuple[np.ndarray, dict[tuple[str, str], tuple[int, int]]]:
        tier_ids, tier_names = tier or text_codes(columns[0])
        code_ids, code_names = code or text_codes(columns[1])
        width = len(code_names) + 1
        n_pairs = (len(tier_names) + 1) * width
        # (tier + 1) · width + code + 1: 0 … n_pairs − 1, missing values (−1) too, made in the
        # smallest integer type, which a stable sort sorts by radix: linear, in table order
        pair = np.multiply(
            tier_ids,
            width,
            out=np.empty(len(tier_ids), np.min_scalar_type(n_pairs)),
            casting="unsafe",
        )
        np.add(pair, code_ids, out=pair, casting="unsafe")
        pair += width + 1
        order = np.argsort(pair, kind="stable")
        counts = np.bincount(pair, minlength=n_pairs)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        spans = {}
        for p in np.flatnonzero(counts):
            t, c = divmod(int(p), width)
            if t and c:
                spans[(str(tier_names[t - 1]), str(code_names[c - 1]))] = (
                    int(bounds[p]),
                    int(bounds[p + 1]),
                )
        return _read_only(order), spans

    arrows = tuple(_arrow_array(c) for c in columns)
    if None in arrows:
        return find()
    return _MEMO.get("code rows", arrows, find)
