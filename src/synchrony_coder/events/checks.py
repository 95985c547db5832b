"""Every rule of SCIENCE.md §1 checked over a whole table of string columns at once (vectorised
over rows; text compared once per distinct value), giving the typed table and its problems."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..scheme import Scheme
from .rules import (
    _FRAMES,
    _TEXT,
    NO_ONSET,
    REQUIRED_COLUMNS,
    Problem,
    _negative,
    _not_after,
    _not_frame,
    _not_seconds,
    _point_offset,
    _state_offset,
    _str_dtype,
    _unknown_code,
    _unknown_tier,
    overlap_message,
)


def _typed(
    raw: pd.DataFrame, lines: np.ndarray, name: str, scheme: Scheme | None, strip: bool = True
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert string columns to the table's dtypes and check every rule, vectorised over rows.

    ``strip=False`` promises that no field starts or ends with whitespace (saves the per-cell strip).
    """
    problems: list[Problem] = []

    def flag(mask: np.ndarray, column: str, message) -> None:
        for i in np.flatnonzero(mask):
            problems.append(
                Problem(name, int(lines[i]), column, message(i) if callable(message) else message)
            )

    df = raw.copy()
    text = _str_dtype()
    ids: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for col in df.columns:
        if col in _TEXT:
            # few distinct values: strip and compare those, not every cell
            codes, uniques = pd.factorize(df[col].astype(str))
            values = np.array(
                [u.strip() for u in uniques] if strip else list(uniques), dtype=object
            )
            if strip and len(set(values)) < len(
                values
            ):  # " a" and "a": the same value once stripped
                codes, values = _merge_same(codes, values)
            ids[col] = (codes, values)
            if list(values) != list(uniques) or df[col].dtype != text:  # else the column is right
                df[col] = pd.Series(values[codes] if len(codes) else [], index=df.index, dtype=str)
            flag((values == "")[codes] if len(codes) else np.zeros(0, bool), col, "is empty")
        elif col in (*REQUIRED_COLUMNS, *_FRAMES) and strip:
            if not isinstance(df[col].dtype, pd.StringDtype) or df[col].dtype.storage != "pyarrow":
                df[col] = df[col].astype(str).str.strip()
            # else stripped when read, unless Arrow reads every number (then nothing to strip)
        else:
            df[col] = df[col].astype(str)

    times, empties = {}, {}

    def numbers(col: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        s = df[col]
        found = _arrow_numbers(s)
        if found is None:
            if strip:
                s = df[col] = s.str.strip()
            found = _numbers(s)
        return s, *found

    for col in ("onset_s", "offset_s"):
        s, num, empty = numbers(col)
        bad = ~empty & ~np.isfinite(num)
        flag(bad, col, lambda i, s=s: _not_seconds(s.iat[i]))
        neg = np.isfinite(num) & (num < 0)
        flag(neg, col, lambda i, num=num: _negative(num[i]))
        times[col] = np.where(bad | neg, np.nan, np.round(num, 3))
        empties[col] = empty
        if col == "onset_s":
            flag(empty, col, NO_ONSET)
    onset, offset = times["onset_s"], times["offset_s"]
    df["onset_s"], df["offset_s"] = onset, offset
    off_empty = empties["offset_s"]

    for col in _FRAMES:
        if col in df.columns:
            s, num, empty = numbers(col)
            bad = ~empty & ~(np.isfinite(num) & (num >= 0) & (num == np.round(num)))
            flag(bad, col, lambda i, s=s: _not_frame(s.iat[i]))
            df[col] = pd.array(np.where(bad | empty, np.nan, num), dtype="Float64").astype("Int64")

    both = np.isfinite(onset) & np.isfinite(offset)
    state = np.ones(len(df), dtype=bool)  # without a scheme: any offset given must follow the onset
    if scheme is not None:
        tier_of = {t.name: t for t in scheme.tiers}
        tier_ids, tier_values = ids["tier"]
        code_ids, code_values = ids["code"]
        tiers, codes = _Lookup(tier_values, tier_ids), _Lookup(code_values, code_ids)
        # lookup tables over the distinct tiers (and tier x code pairs) instead of per-row tests
        tier_known = np.array([t in tier_of for t in tier_values], dtype=bool)
        tier_state = np.array([t in tier_of and tier_of[t].is_state for t in tier_values], bool)
        pair_ok = np.array(
            [
                [t in tier_of and c in tier_of[t].code_names for c in code_values]
                for t in tier_values
            ],
            dtype=bool,
        ).reshape(len(tier_values), len(code_values))
        known = tier_known[tier_ids] if len(df) else np.zeros(0, bool)
        good_code = pair_ok[tier_ids, code_ids] if len(df) else np.zeros(0, bool)
        flag(~known & tiers.filled, "tier", lambda i: _unknown_tier(tiers[i], scheme))
        flag(
            known & ~good_code & codes.filled,
            "code",
            lambda i: _unknown_code(codes[i], tiers[i], scheme),
        )
        state = tier_state[tier_ids] if len(df) else np.zeros(0, bool)
        point = known & ~state
        flag(point & ~off_empty, "offset_s", lambda i: _point_offset(tiers[i]))
        flag(state & off_empty, "offset_s", lambda i: _state_offset(tiers[i]))
    flag(
        state & both & (offset <= onset),
        "offset_s",
        lambda i: _not_after(onset[i], offset[i]),
    )

    if scheme is not None and len(df):
        problems.extend(_overlaps(df, ids, lines, both & (offset > onset), scheme, name))
    cols = list(REQUIRED_COLUMNS) + [c for c in df.columns if c not in REQUIRED_COLUMNS]
    return df[cols].reset_index(drop=True), problems


def _merge_same(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-number ``codes`` so that equal ``values`` share one id."""
    merged, inverse = np.unique(values.astype(str), return_inverse=True)
    return inverse[codes] if len(codes) else codes, merged.astype(object)


class _Lookup:
    """``values[codes]`` entry by entry, without building the column of Python strings."""

    def __init__(self, values: np.ndarray, codes: np.ndarray) -> None:
        self.values, self.codes = values, codes
        self.filled = (values != "")[codes] if len(codes) else np.zeros(0, dtype=bool)

    def __getitem__(self, i: int) -> str:
        return self.values[self.codes[i]]


def _arrow_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``_numbers`` of an Arrow-backed column by Arrow's cast, when every filled cell is a number
    it reads (Arrow reads a subset of what ``float()`` reads, to the same correctly rounded
    double: no blanks, underscores or non-ASCII digits); otherwise None."""
    if not isinstance(s.dtype, pd.StringDtype) or s.dtype.storage != "pyarrow":
        return None
    text = s.array.__arrow_array__()
    empty = pc.equal(text, "")
    try:
        num = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return num.to_numpy(), empty.to_numpy()


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(float values, empty mask)`` of a string column, numbers as Python's ``float()`` reads
    them; unreadable cells are NaN and not empty."""
    obj = s.to_numpy(dtype=object)
    empty = np.asarray(obj == "", dtype=bool)
    num = np.full(len(obj), np.nan)
    filled = obj[~empty]
    try:
        num[~empty] = filled.astype(float)
    except (TypeError, ValueError):
        num[~empty] = [_float(v) for v in filled]
    return num, empty


def _float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return np.nan


def _overlaps(
    df: pd.DataFrame,
    ids: dict[str, tuple[np.ndarray, np.ndarray]],
    lines: np.ndarray,
    valid: np.ndarray,
    scheme: Scheme,
    name: str,
) -> list[Problem]:
    """Events of an exclusive state tier that start before an earlier one of the same
    session x coder x tier has ended (sorted by onset, then line)."""
    exclusive = {t.name for t in scheme.tiers if t.is_state and t.exclusive}
    tier_ids, tier_values = ids["tier"]
    is_exclusive = np.array([t in exclusive for t in tier_values], dtype=bool)[tier_ids]
    cand = np.flatnonzero(is_exclusive & valid)
    if not len(cand):
        return []
    n_coder, n_tier = len(ids["coder"][1]) + 1, len(tier_values) + 1
    key = (ids["session"][0][cand] * n_coder + ids["coder"][0][cand]) * n_tier + tier_ids[cand]
    tier = tier_ids[cand]
    onset = df["onset_s"].to_numpy()[cand]
    offset = df["offset_s"].to_numpy()[cand]
    line = lines[cand]
    group = np.r_[True, key[1:] != key[:-1]]
    runs = key[group]
    # a file written by write_events has each session × coder × tier in one run, by onset
    if len(pd.unique(runs)) < len(runs) or (~group[1:] & (onset[1:] < onset[:-1])).any():
        order = np.lexsort((line, onset, key))
        key, tier, onset, offset, line = (a[order] for a in (key, tier, onset, offset, line))
        group = np.r_[True, key[1:] != key[:-1]]
    running = pd.Series(offset).groupby(np.cumsum(group)).cummax().to_numpy()
    prev_end = np.r_[np.nan, running[:-1]]
    prev_line = np.r_[0, line[:-1]]
    over = ~group & (onset < prev_end)
    tier_name = tier_values[tier]
    return [
        Problem(
            name,
            int(line[k]),
            "onset_s",
            overlap_message(onset[k], tier_name[k], prev_end[k], int(prev_line[k])),
        )
        for k in np.flatnonzero(over)
    ]
