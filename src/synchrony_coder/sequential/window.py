"""Time-window sequential analysis of any given and target code, per session × coder and pooled."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from ..metrics.contingency import TimeUnits, UnitBits, two_by_two
from ..metrics.corpus import Windows, ceil_div, helper
from ..metrics.table import positive_ms
from ..scheme import Scheme, load_scheme
from .coded import CodeSpec, SequentialError, code_spec, coded_events, labels, pooled_tables

__all__ = ["WINDOW_COLUMNS", "window_table"]

WINDOW_COLUMNS: tuple[str, ...] = (
    "session",
    "coder",
    "given",
    "target",
    "window_lo_s",
    "window_hi_s",
    "n_units",
    "joint_units",
    "given_units",
    "target_units",
    "yules_q",
    "odds_ratio",
    "adjusted_residual",
)

Pair = tuple[str | CodeSpec, str | CodeSpec]


def window_table(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    pairs: Sequence[Pair],
    window: tuple[float, float] = (0.0, 2.0),
    unit: float = 0.1,
    pooled: bool = True,
) -> pd.DataFrame:
    """Does the target follow the given code within a window more than chance? Per pair of codes.

    Parameters
    ----------
    events
        The tidy events table (SCIENCE.md §1), one or many sessions and coders.
    scheme
        Default: the default scheme.
    pairs
        (given, target) pairs, each code written ``tier:code`` or ``tier:*`` (any code of the
        tier), or as a :class:`~.coded.CodeSpec`.
    window
        (lo, hi) in seconds, 0 ≤ lo < hi: a unit is *given* when its midpoint lies in
        (o + lo, o + hi] for an onset o of the given code.
    unit
        u, the time unit in seconds.
    pooled
        Add, per coder, rows with session ``all`` from the 2 × 2 tables summed over that coder's
        sessions (as GSEQ pools).

    Returns
    -------
    pandas.DataFrame
        One row per session × coder × pair (then the pooled rows): ``session, coder, given,
        target, window_lo_s, window_hi_s, n_units, joint_units, given_units, target_units,
        yules_q, odds_ratio, adjusted_residual``. NaN where a statistic is undefined.

    Notes
    -----
    Timed-event sequential analysis (Bakeman & Quera, 2011, ch. 11; Bakeman, Deckner & Quera,
    2005; SCIENCE.md §7): units ``[k·u, (k+1)·u)`` cover ``[0, ⌈T/u⌉·u)``, T being the session's
    latest offset or onset (any tier); a unit is *given* as above, *target* when the target code
    is active at its midpoint m (a state: onset ≤ m < offset) or one of its onsets falls in the
    unit (a point code). The 2 × 2 table of units (``joint_units`` = given and target) gives
    Yule's Q = (ad − bc)/(ad + bc), the odds ratio ad/bc and the adjusted residual of the
    (given, target) cell (:func:`synchrony_coder.metrics.contingency.two_by_two`). The metrics'
    ``yules_q`` (SCIENCE.md §3) is this analysis with given ``bid:*``, target ``response:*`` and
    the window (0, W], computed by the same code.

    References
    ----------
    Bakeman, R., Deckner, D. F., & Quera, V. (2005). Analysis of behavioral streams. In D. M.
    Teti (Ed.), *Handbook of research methods in developmental science* (pp. 394–420). Blackwell.
    Bakeman, R., & Quera, V. (2011). *Sequential analysis and observational methods for the
    behavioral sciences*. Cambridge University Press.
    """
    sch = scheme or load_scheme()
    unit_ms = positive_ms("unit", unit)
    lo, hi = (float(v) for v in window)
    lo_ms, hi_ms = round(lo * 1000), round(hi * 1000)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo_ms < 0 or hi_ms <= lo_ms:
        raise SequentialError(
            f"the window (lo, hi] needs 0 ≤ lo < hi seconds, not ({lo:g}, {hi:g}]"
        )
    if not pairs:
        raise SequentialError("choose at least one (given, target) pair of codes")
    specs = [(code_spec(g, sch), code_spec(t, sch)) for g, t in pairs]
    codes = list(dict.fromkeys(c for pair in specs for spec in pair for c in spec.codes(sch)))
    coded = coded_events(events, sch, codes)
    n_groups = coded.n_groups

    stride = (
        int(ceil_div(int(coded.end.max(initial=0)) + hi_ms + 2 * unit_ms + 1000, unit_ms)) * unit_ms
    )
    origin = np.arange(n_groups, dtype=np.int64) * stride
    windows = Windows(
        origin, origin + ceil_div(coded.end, unit_ms) * unit_ms, np.arange(n_groups), n_groups
    )
    start = coded.group * stride + coded.onset
    # the events come code by code, each code's in table order, which is onset order as a rule
    # (files of one session and coder, each tier by time); otherwise (code, onset) is sorted
    bounds = coded.bounds
    order = np.arange(len(start))
    ascending = start[1:] >= start[:-1]
    next_code = bounds[(bounds > 0) & (bounds < len(order))]
    ascending[next_code - 1] = True  # a code's first event follows another code's last
    if not ascending.all():
        order = np.argsort(coded.code * (int(start.max(initial=0)) + 1) + start, kind="stable")
    slot = {c: i for i, c in enumerate(codes)}

    stop = coded.group * stride + coded.offset

    def rows_of(spec: CodeSpec) -> np.ndarray:
        """The events of the spec's codes, in onset order."""
        parts = [order[bounds[slot[c]] : bounds[slot[c] + 1]] for c in spec.codes(sch)]
        rows = np.concatenate(parts)
        return rows if len(parts) == 1 else rows[np.argsort(start[rows], kind="stable")]

    def rows_in(units: TimeUnits, spec: CodeSpec) -> tuple[np.ndarray, np.ndarray]:
        """The spec's events in the windows of ``units``, and the window of each (its group)."""
        rows = rows_of(spec)
        group = coded.group[rows]  # in order, as the events are
        part = units.part
        if part.start or part.stop < n_groups:
            cut = slice(np.searchsorted(group, part.start), np.searchsorted(group, part.stop))
            rows, group = rows[cut], group[cut] - part.start
        return rows, group

    def given_units(units: TimeUnits, spec: CodeSpec) -> UnitBits:
        rows, window = rows_in(units, spec)
        return units.given(start[rows], lo_ms=lo_ms, hi_ms=hi_ms, window=window)

    def target_units(units: TimeUnits, spec: CodeSpec) -> UnitBits:
        rows, window = rows_in(units, spec)
        if sch.tier(spec.tier).is_state:
            return units.target(None, (start[rows], stop[rows]), window)
        return units.target(start[rows], None, window)

    # the units of each code once, however many pairs it is in, then the tables of the pairs;
    # each step's jobs shared with a second thread
    given_specs = list(dict.fromkeys(g for g, _ in specs))
    target_specs = list(dict.fromkeys(t for _, t in specs))
    cells = np.zeros((n_groups, len(specs), 4), dtype=np.int64)
    with helper(len(events)) as pool:
        for units in TimeUnits.in_parts(windows, unit_ms):
            bits = _shared(
                pool,
                [partial(given_units, units, g) for g in given_specs]
                + [partial(target_units, units, t) for t in target_specs],
            )
            given = dict(zip(given_specs, bits[: len(given_specs)], strict=True))
            target = dict(zip(target_specs, bits[len(given_specs) :], strict=True))
            tables = _shared(pool, [partial(units.cells, given[g], target[t]) for g, t in specs])
            cells += np.stack([np.stack(t, axis=-1) for t in tables], axis=1)  # groups × pairs × 4

    cells, session, coder = pooled_tables(coded, cells, pooled)
    n, p = cells.shape[:2]
    a, b, c, d = (cells[..., i].ravel() for i in range(4))
    row = np.arange(n * p)
    table = pd.DataFrame(
        {
            "session": labels(session.categories, np.repeat(session.codes, p)),
            "coder": labels(coder.categories, np.repeat(coder.codes, p)),
            "given": _column([g.name for g, _ in specs], row % p),
            "target": _column([t.name for _, t in specs], row % p),
            "window_lo_s": lo_ms / 1000,
            "window_hi_s": hi_ms / 1000,
            "n_units": a + b + c + d,
            "joint_units": a,
            "given_units": a + b,
            "target_units": a + c,
            **two_by_two(a, b, c, d),
        }
    )
    return table[list(WINDOW_COLUMNS)]


def _shared(pool, jobs: list) -> list:
    """The results of ``jobs`` (calls without arguments), the later half run on ``pool``."""
    half = len(jobs) // 2
    later = pool.submit(lambda: [job() for job in jobs[half:]])
    return [job() for job in jobs[:half]] + later.result()


def _column(per_pair: list[str], pair: np.ndarray) -> pd.Categorical:
    """The pairs' names (which may repeat) for rows whose pair index is ``pair``."""
    ids, names = pd.factorize(pd.Series(per_pair, dtype=object), sort=False)
    return labels(names, ids[pair])
