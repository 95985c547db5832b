"""A permutation test for one cell of a lag table, for samples too small to trust z."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..scheme import Scheme, load_scheme
from .coded import CodeSpec, SequentialError, code_spec, coded_events, pooled_tables, tier_codes
from .lag import event_sequences

__all__ = ["PERMUTATION_COLUMNS", "permutation_test"]

PERMUTATION_COLUMNS: tuple[str, ...] = (
    "session",
    "coder",
    "given",
    "target",
    "lag",
    "count",
    "permutation_mean",
    "p_value",
    "n_permutations",
)
_BATCH_CELLS = 4_000_000  # permutations × events held in memory at once


def permutation_test(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    tiers: Sequence[str],
    given: str | CodeSpec,
    target: str | CodeSpec,
    lag: int = 1,
    n_permutations: int = 1000,
    seed: int = 0,
    pooled: bool = True,
) -> pd.DataFrame:
    """How often does a shuffled sequence give a (given, target) count as extreme as the data's?

    Parameters
    ----------
    events, scheme, tiers
        As for :func:`.lag.lag_table`.
    given, target
        The cell, each code written ``tier:code`` (a code of ``tiers``).
    lag
        The lag of the cell.
    n_permutations
        N, the number of shuffles.
    seed
        The seed of the random generator: the same seed gives the same p.
    pooled
        Add per coder a row with session ``all``: its statistic is the count summed over the
        coder's sessions, each session shuffled on its own.

    Returns
    -------
    pandas.DataFrame
        ``session, coder, given, target, lag, count, permutation_mean, p_value, n_permutations``:
        ``count`` is the observed tally; ``p_value`` the share of the N permutations whose tally
        is at least as extreme, in the direction of the observed deviation: ≥ count when count ≥
        ``permutation_mean``, ≤ count otherwise (one-tailed, as in Castellan, 1992, and
        O'Connor, 1999).

    Notes
    -----
    Each permutation shuffles the order of the codes within each session × coder (every order
    equally likely; the codes' frequencies stay), and counts the tallies of the cell at the lag.
    For sequences whose codes cannot repeat, such shuffles are not the right reference (they
    create repeats); this test does not offer that constraint.

    References
    ----------
    Bakeman, R., & Quera, V. (2011). *Sequential analysis and observational methods for the
    behavioral sciences* (ch. 12). Cambridge University Press.
    Castellan, N. J. (1992). Shuffling arrays: Appearances may be deceiving. *Behavior Research
    Methods, Instruments, & Computers, 24*(1), 72–77.
    O'Connor, B. P. (1999). Simple and flexible SAS and SPSS programs for analyzing lag-sequential
    categorical data. *Behavior Research Methods, Instruments, & Computers, 31*(4), 718–726.
    """
    sch = scheme or load_scheme()
    lag, n_permutations = int(lag), int(n_permutations)
    if lag < 1 or n_permutations < 1:
        raise SequentialError("the lag and the number of permutations must be ≥ 1")
    codes = tier_codes(sch, list(tiers))
    cell = []
    for spec in (code_spec(given, sch), code_spec(target, sch)):
        if spec.code == "*" or (spec.tier, spec.code) not in codes:
            raise SequentialError(
                f"{spec.name}: the cell needs one code of the tiers {', '.join(tiers)}"
            )
        cell.append(spec)
    g_code, t_code = (codes.index((s.tier, s.code)) for s in cell)
    coded = coded_events(events, sch, codes)
    group, code, _ = event_sequences(coded)
    n_groups, n = coded.n_groups, len(group)
    first = np.searchsorted(group, np.arange(n_groups + 1))  # each group's positions

    def tallies(seqs: np.ndarray) -> np.ndarray:
        """Cell tallies per group of sequences (rows × positions) → (rows, groups)."""
        hit = np.zeros(seqs.shape, dtype=np.int64)
        if n > lag:
            hit[:, :-lag] = (seqs[:, :-lag] == g_code) & (seqs[:, lag:] == t_code)
            hit[:, :-lag] &= group[:-lag] == group[lag:]
        total = np.concatenate([np.zeros((len(seqs), 1), dtype=np.int64), hit.cumsum(1)], axis=1)
        return total[:, first[1:]] - total[:, first[:-1]]

    observed = tallies(code[None, :])[0]
    rng = np.random.default_rng(seed)
    batch = max(1, _BATCH_CELLS // max(n, 1))
    shuffled = []
    for done in range(0, n_permutations, batch):
        b = min(batch, n_permutations - done)
        # a random key in [0, 1) above each position's group: sorting shuffles within groups
        order = np.argsort(group[None, :] + rng.random((b, n)), axis=1, kind="stable")
        shuffled.append(tallies(code[order]))
    perm = np.concatenate(shuffled, axis=0)  # (N, groups)

    counts, session, coder = pooled_tables(coded, np.column_stack([observed, perm.T]), pooled)
    observed, perm = counts[:, 0], counts[:, 1:].T
    mean = perm.mean(axis=0)
    above = (perm >= observed).mean(axis=0)
    below = (perm <= observed).mean(axis=0)
    return pd.DataFrame(
        {
            "session": np.asarray(session, dtype=object),
            "coder": np.asarray(coder, dtype=object),
            "given": cell[0].name,
            "target": cell[1].name,
            "lag": lag,
            "count": observed,
            "permutation_mean": mean,
            "p_value": np.where(observed >= mean, above, below),
            "n_permutations": n_permutations,
        }
    )
