"""Events as the integer arrays sequential analysis works on, the names of codes, pooled tables.

A code is written ``tier:code`` (``infant_bid:fuss``); ``tier:*`` stands for any code of the tier
(as §3's contingency takes any bid as given). Times become integer milliseconds, the table's
precision (SCIENCE.md §1), with the metrics' own helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..metrics.corpus import helper, to_ms
from ..metrics.text import code_rows, group_ids, text_codes
from ..scheme import Scheme

__all__ = [
    "POOLED",
    "CodeSpec",
    "Coded",
    "SequentialError",
    "code_spec",
    "coded_events",
    "labels",
    "pooled_tables",
    "tier_codes",
]

POOLED = "all"  # the session of pooled rows


class SequentialError(DataError):
    """A request sequential analysis cannot answer (unknown code, repeats under no-repeats, ...)."""


@dataclass(frozen=True)
class CodeSpec:
    """One code, or every code of a tier (``code == "*"``)."""

    tier: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.tier}:{self.code}"

    def codes(self, scheme: Scheme) -> list[tuple[str, str]]:
        """The (tier, code) pairs this stands for."""
        if self.code == "*":
            return [(self.tier, c) for c in scheme.tier(self.tier).code_names]
        return [(self.tier, self.code)]


def code_spec(text: str | tuple[str, str] | CodeSpec, scheme: Scheme) -> CodeSpec:
    """Parse ``tier:code`` (or ``tier:*``) and check it against the scheme.

    Raises
    ------
    SequentialError
        Naming the unknown tier or code and what the scheme has.
    """
    if isinstance(text, CodeSpec):
        spec = text
    elif isinstance(text, tuple):
        spec = CodeSpec(*text)
    else:
        tier, sep, code = str(text).partition(":")
        if not sep or not tier or not code:
            raise SequentialError(f"{text!r}: write a code as TIER:CODE (or TIER:* for any code)")
        spec = CodeSpec(tier.strip(), code.strip())
    if not scheme.has_tier(spec.tier):
        raise SequentialError(
            f"{spec.name}: scheme {scheme.name!r} has no tier {spec.tier!r} "
            f"(tiers: {', '.join(scheme.tier_names)})"
        )
    names = scheme.tier(spec.tier).code_names
    if spec.code != "*" and spec.code not in names:
        raise SequentialError(
            f"{spec.name}: tier {spec.tier!r} has no code {spec.code!r} (codes: {', '.join(names)})"
        )
    return spec


@dataclass(frozen=True)
class Coded:
    """The events of the chosen codes, one array entry per event: code by code (in the order of
    ``codes``), each code's events in table order."""

    groups: pd.DataFrame  # session, coder; row i is group i (every group of the table)
    codes: tuple[tuple[str, str], ...]  # (tier, code) of each code index
    bounds: np.ndarray  # code i's events are entries bounds[i] … bounds[i + 1] − 1
    group: np.ndarray  # group of each event
    code: np.ndarray  # index into ``codes``
    onset: np.ndarray  # ms
    offset: np.ndarray  # ms; −1 for point events
    end: np.ndarray  # T of each group, ms: its latest offset or onset, any tier

    @property
    def n_groups(self) -> int:
        return len(self.groups)


def coded_events(events: pd.DataFrame, scheme: Scheme, codes: list[tuple[str, str]]) -> Coded:
    """Keep the events of ``codes`` (every group of the table stays, even without such events).

    Events without an onset (being created in the app) are left out; codes the scheme does not
    know are ignored (a validated table has none).
    """
    onset_s = events["onset_s"].to_numpy(dtype=float)
    if not np.isfinite(onset_s).all():
        events = events[np.isfinite(onset_s)]
        onset_s = onset_s[np.isfinite(onset_s)]
    offset_s = events["offset_s"].to_numpy(dtype=float)
    with helper(len(events)) as pool:
        # Arrow hashes every row of the code column: the longest job, on the helper, while the
        # groups and the tiers (long runs, only the first row of each hashed) are found here
        code = pool.submit(text_codes, events["code"])
        group, groups, runs = group_ids(events)
        order, spans = code_rows(events, tier=text_codes(events["tier"]), code=code.result())
        parts = [spans.get(c, (0, 0)) for c in codes]
        rows = np.concatenate([order[a:b] for a, b in parts] + [np.zeros(0, dtype=np.intp)])
        times = pool.submit(_times_ms, onset_s, offset_s, rows)  # beside each group's T
        end_s = _ends(group, runs, onset_s, offset_s, len(groups))
        onset, offset = times.result()
    sizes = np.array([b - a for a, b in parts], dtype=np.int64)
    return Coded(
        groups=groups,
        codes=tuple(codes),
        bounds=np.concatenate([[0], np.cumsum(sizes)]),
        group=group[rows],
        code=np.repeat(np.arange(len(codes), dtype=np.int64), sizes),
        onset=onset,
        offset=offset,
        end=to_ms(end_s),
    )


def _times_ms(onset_s: np.ndarray, offset_s: np.ndarray, rows: np.ndarray):
    """Onsets and offsets of ``rows`` in ms (as :func:`~..metrics.corpus.to_ms`; onsets are
    finite), −1 for no offset; worked on in the copies the rows' gathers make."""
    onset, offset = onset_s[rows], offset_s[rows]
    for ms in (onset, offset):
        ms *= 1000.0
        np.rint(ms, out=ms)
    offset[np.isnan(offset)] = -1
    return onset.astype(np.int64), offset.astype(np.int64)


def _ends(
    group: np.ndarray, runs: np.ndarray, onset_s: np.ndarray, offset_s: np.ndarray, n: int
) -> np.ndarray:
    """T of each of the ``n`` groups, s: its latest onset or offset (fmax passes over a point's
    missing offset), the largest of each run of the group's rows first."""
    end_s = np.zeros(n)
    if len(group):
        latest = np.fmax(np.maximum.reduceat(onset_s, runs), np.fmax.reduceat(offset_s, runs))
        np.maximum.at(end_s, group[runs], latest)
    return end_s


def tier_codes(scheme: Scheme, tiers: list[str]) -> list[tuple[str, str]]:
    """Every (tier, code) of ``tiers``, in the scheme's tier order, then each tier's code order."""
    for t in tiers:
        if not scheme.has_tier(t):
            raise SequentialError(
                f"scheme {scheme.name!r} has no tier {t!r} (tiers: {', '.join(scheme.tier_names)})"
            )
    return [(t.name, c) for t in scheme.tiers if t.name in tiers for c in t.code_names]


def labels(names, codes: np.ndarray) -> pd.Categorical:
    """A text column of many rows from few ``names``: a categorical (cheap to build and store);
    ``codes`` are valid indices into ``names``."""
    return pd.Categorical.from_codes(
        codes, categories=pd.Index(list(names), dtype=object), validate=False
    )


def pooled_tables(
    coded: Coded, tables: np.ndarray, pooled: bool
) -> tuple[np.ndarray, pd.Categorical, pd.Categorical]:
    """Each group's ``tables`` (first axis: the groups), then, if ``pooled``, per coder the sum of
    that coder's tables (session :data:`POOLED`), as GSEQ pools: tables summed before statistics.

    Returns (tables, session of each table, coder of each table).
    """
    n_groups = coded.n_groups
    coder_id, coder_names = pd.factorize(coded.groups["coder"], sort=False)
    # a session name may recur across coders: one category per distinct name
    session_id, session_names = pd.factorize(coded.groups["session"], sort=False)
    session_names = session_names.to_list()
    if pooled and n_groups:
        ordered = bool((coder_id[1:] >= coder_id[:-1]).all())  # one coder, or coders in blocks
        by_coder = slice(None) if ordered else np.argsort(coder_id, kind="stable")
        first = np.searchsorted(coder_id[by_coder], np.arange(len(coder_names)))
        summed = np.add.reduceat(tables[by_coder], first, axis=0)
        tables = np.concatenate([tables, summed])
        coder_id = np.concatenate([coder_id, np.arange(len(coder_names))])
        if POOLED not in session_names:
            session_names.append(POOLED)
        pooled_id = np.full(len(coder_names), session_names.index(POOLED))
        session_id = np.concatenate([session_id, pooled_id])
    return tables, labels(session_names, session_id), labels(coder_names, coder_id)
