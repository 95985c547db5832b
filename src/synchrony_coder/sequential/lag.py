"""Event lag sequential analysis: lag tables of chosen tiers per session × coder and pooled."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..metrics.corpus import helper
from ..scheme import Scheme, load_scheme
from .coded import Coded, SequentialError, coded_events, labels, pooled_tables, tier_codes
from .stats import cell_statistics

__all__ = ["LAG_COLUMNS", "event_sequences", "lag_counts", "lag_table"]

LAG_COLUMNS: tuple[str, ...] = (
    "session",
    "coder",
    "given",
    "target",
    "lag",
    "count",
    "expected",
    "transitional_prob",
    "adjusted_residual",
    "yules_q",
    "odds_ratio",
)
_STATISTICS = LAG_COLUMNS[5:]


def event_sequences(coded: Coded) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every group's events in sequence order: (group, code, onset_ms) of each position.

    Onset order; ties by the scheme's tier order, then code name (SCIENCE.md §7); a state event
    counts at its onset. Groups follow one another in group order.
    """
    tier_rank = {t: r for r, t in enumerate(dict.fromkeys(t for t, _ in coded.codes))}
    tie = sorted(
        range(len(coded.codes)), key=lambda i: (tier_rank[coded.codes[i][0]], coded.codes[i][1])
    )
    rank = np.empty(len(coded.codes), dtype=np.int64)
    rank[tie] = np.arange(len(tie))
    k = max(len(coded.codes), 1)
    span = int(coded.onset.max(initial=0)) + 1
    # one integer key per event (onsets are ≥ 0), sorted as values (quicker than an argsort) and
    # read back; events with equal keys are alike
    key = coded.group * (span * k)
    key += coded.onset * k
    key += rank[coded.code]
    key.sort()
    slot, rank_at = np.divmod(key, k)
    group, onset = np.divmod(slot, span)
    return group, np.asarray(tie, dtype=np.int64)[rank_at], onset


def lag_counts(
    group: np.ndarray, code: np.ndarray, n_groups: int, n_codes: int, lags: Sequence[int]
) -> np.ndarray:
    """Tallies (n_groups, lags, K, K): position i with a position i + lag in the same group gives
    one tally in (code at i, code at i + lag) of that lag's table."""
    k = n_codes
    n_cells = n_groups * k * k
    base = (group * k + code) * k  # the first cell of the row of (group, code at i)
    counts = np.zeros((n_groups, len(lags), k, k), dtype=np.int64)
    for i, lag in enumerate(lags):
        if len(group) <= lag:
            continue
        cell = base[:-lag] + code[lag:]
        cell[group[lag:] != group[:-lag]] = n_cells  # across groups: the tally nobody reads
        counts[:, i] = np.bincount(cell, minlength=n_cells + 1)[:n_cells].reshape(n_groups, k, k)
    return counts


def lag_table(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    tiers: Sequence[str],
    max_lag: int = 1,
    no_repeats: bool = False,
    pooled: bool = True,
) -> pd.DataFrame:
    """Lag sequential statistics of every (given, target) pair of codes of ``tiers``.

    Parameters
    ----------
    events
        The tidy events table (SCIENCE.md §1), one or many sessions and coders.
    scheme
        Default: the default scheme.
    tiers
        The tiers whose events make up the sequences; every code of them is a row and a column
        of the tables, also codes that never occur.
    max_lag
        Tables for lags 1 … ``max_lag``.
    no_repeats
        A code cannot follow itself: the lag-1 diagonal is a structural zero, expected counts come
        from iterative proportional fitting and the adjusted residuals from the fitted log-linear
        model (Bakeman & Quera, 1995; 2011, ch. 10). Tables of lags ≥ 2 have no structural zero (a
        code may recur two events later). A sequence in which a code follows itself is an error.
    pooled
        Add, per coder, rows with session ``all`` from the tables summed over that coder's
        sessions before the statistics are taken (as GSEQ pools).

    Returns
    -------
    pandas.DataFrame
        One row per session × coder × lag × given × target (then the pooled rows): ``session,
        coder, given, target, lag, count, expected, transitional_prob, adjusted_residual,
        yules_q, odds_ratio``; codes written ``tier:code``. NaN where a statistic is undefined.

    Notes
    -----
    Per session × coder, the chosen tiers' events in onset order (ties: the scheme's tier order,
    then code name; a state event counts at its onset) form one sequence; each position i with a
    position i + L gives one tally in (code at i, code at i + L). With row sums x_g+, column sums
    x_+t and total N: expected e_gt = x_g+ x_+t / N, transitional probability x_gt / x_g+,
    adjusted residual z = (x_gt − e_gt)/√(e_gt (1 − x_g+/N)(1 − x_+t/N)) (Allison & Liker, 1982),
    and Yule's Q and the odds ratio of the 2 × 2 collapse (g vs not g) × (t vs not t)
    (Bakeman & Quera, 2011, ch. 9). See :mod:`.stats` for the structural-zero case.

    References
    ----------
    Allison, P. D., & Liker, J. K. (1982). Analyzing sequential categorical data on dyadic
    interaction: A comment on Gottman. *Psychological Bulletin, 91*(2), 393–403.
    Bakeman, R., & Quera, V. (1995). Log-linear approaches to lag-sequential analysis when
    consecutive codes may and cannot repeat. *Psychological Bulletin, 118*(2), 272–284.
    Bakeman, R., & Quera, V. (2011). *Sequential analysis and observational methods for the
    behavioral sciences*. Cambridge University Press.

    Examples
    --------
    >>> from synchrony_coder.simulate import simulate_session
    >>> table = lag_table(simulate_session(seed=1), tiers=["infant_bid", "caregiver_response"])
    >>> table.loc[0, ["session", "given", "target"]].tolist()
    ['s01', 'infant_bid:vocalize', 'infant_bid:vocalize']
    """
    sch = scheme or load_scheme()
    max_lag = int(max_lag)
    if max_lag < 1:
        raise SequentialError(f"the lag must be a whole number ≥ 1, not {max_lag}")
    if not tiers:
        raise SequentialError("choose at least one tier for the sequences")
    codes = tier_codes(sch, list(tiers))
    coded = coded_events(events, sch, codes)
    k, n_groups = len(codes), coded.n_groups
    group, code, onset = event_sequences(coded)
    counts = lag_counts(group, code, n_groups, k, range(1, max_lag + 1))  # (groups, lags, K, K)
    if no_repeats:
        _refuse_repeats(coded, group, code, onset)

    counts, session, coder = pooled_tables(coded, counts, pooled)
    structural = np.zeros((max_lag, k, k), dtype=bool)
    if no_repeats:
        structural[0] = np.eye(k, dtype=bool)
    return _rows(counts, session, coder, [f"{t}:{c}" for t, c in codes], structural)


def _rows(counts, session, coder, names, structural) -> pd.DataFrame:
    """The tidy rows of tables (tables, lags, K, K), in table × lag × given × target order."""
    n_tables, n_lags, k, _ = counts.shape

    stats = {c: np.empty(counts.shape) for c in _STATISTICS[1:]}

    def statistics(tables: slice) -> None:
        """The statistics of some of the tables, every lag's at once, into ``stats``."""
        cell_statistics(counts[tables], out={c: values[tables] for c, values in stats.items()})
        for lag in range(n_lags):
            if structural[lag].any():
                cell_statistics(
                    counts[tables, lag],
                    structural[lag],
                    out={c: values[tables, lag] for c, values in stats.items()},
                )

    with helper(counts.size) as pool:  # half of the tables' statistics on a second thread
        half = n_tables // 2
        later = pool.submit(statistics, slice(half, None))
        statistics(slice(0, half))
        per_table = n_lags * k * k
        # given, target and lag repeat one pattern per table: tiled, in the small integer type
        # of a categorical's codes (none converted)
        small = np.min_scalar_type(-k)
        given = np.repeat(np.arange(k, dtype=small), k)
        out = {
            "session": labels(session.categories, np.repeat(session.codes, per_table)),
            "coder": labels(coder.categories, np.repeat(coder.codes, per_table)),
            "given": labels(names, np.tile(given, n_tables * n_lags)),
            "target": labels(names, np.tile(np.arange(k, dtype=small), n_tables * n_lags * k)),
            "lag": np.tile(np.repeat(np.arange(1, n_lags + 1, dtype=np.int64), k * k), n_tables),
            "count": counts.ravel().astype(np.int64, copy=False),
        }
        later.result()
        out.update({c: values.ravel() for c, values in stats.items()})
    return pd.DataFrame(out, copy=False)  # the new columns as they are, not copied into one block


def _refuse_repeats(coded: Coded, group, code, onset) -> None:
    same = (group[1:] == group[:-1]) & (code[1:] == code[:-1])
    if not same.any():
        return
    i = int(np.flatnonzero(same)[0]) + 1
    g = int(group[i])
    tier, name = coded.codes[int(code[i])]
    raise SequentialError(
        f"session {coded.groups['session'].iat[g]}, coder {coded.groups['coder'].iat[g]}: "
        f"{tier}:{name} at {onset[i] / 1000:.3f} s follows itself, which no-repeats rules out "
        "(merge or recode such events, or analyse without no-repeats)"
    )
