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
from ..metrics.text import group_ids, text_codes
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
    """The events of the chosen codes, one array entry per event, in table order."""

    groups: pd.DataFrame  # session, coder; row i is group i (every group of the table)
    codes: tuple[tuple[str, str], ...]  # (tier, code) of each code index
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
        code_text = pool.submit(text_codes, events["code"])
        group, groups = group_ids(events)
        tier, tier_names = text_codes(events["tier"])
        code, code_names = code_text.result()
    index = {c: i for i, c in enumerate(codes)}
    # the code index of every (tier, code) of the table, −1 for a missing value (the last row
    # and column) or a code not asked for; read flat at tier · width + code, where a missing
    # tier or code (−1) lands on −1 too, counted from the end
    width = len(code_names) + 1
    lookup = np.array(
        [index.get((str(t), str(c)), -1) for t in [*tier_names, None] for c in [*code_names, None]],
        dtype=np.int64,
    )
    code = lookup[tier * width + code]

    # T of each group: its latest onset or offset (fmax passes over a point's missing offset),
    # the largest of each run of the group's rows first (a table comes in blocks)
    end_s = np.zeros(len(groups))
    if len(group):
        runs = np.flatnonzero(group[1:] != group[:-1]) + 1
        runs = np.concatenate([[0], runs])
        latest = np.maximum.reduceat(np.fmax(onset_s, offset_s), runs)
        np.maximum.at(end_s, group[runs], latest)
    keep = np.flatnonzero(code >= 0)  # the few rows of the codes asked for are converted
    offset_s = offset_s[keep]
    return Coded(
        groups=groups,
        codes=tuple(codes),
        group=group[keep],
        code=code[keep],
        onset=to_ms(onset_s[keep]),
        offset=np.where(np.isnan(offset_s), -1, to_ms(offset_s)),
        end=to_ms(end_s),
    )


def tier_codes(scheme: Scheme, tiers: list[str]) -> list[tuple[str, str]]:
    """Every (tier, code) of ``tiers``, in the scheme's tier order, then each tier's code order."""
    for t in tiers:
        if not scheme.has_tier(t):
            raise SequentialError(
                f"scheme {scheme.name!r} has no tier {t!r} (tiers: {', '.join(scheme.tier_names)})"
            )
    return [(t.name, c) for t in scheme.tiers if t.name in tiers for c in t.code_names]


def labels(names, codes: np.ndarray) -> pd.Categorical:
    """A text column of many rows from few ``names``: a categorical (cheap to build and store)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(names), dtype=object))


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
    session_names = list(session_names)
    if pooled and n_groups:
        by_coder = np.argsort(coder_id, kind="stable")
        first = np.searchsorted(coder_id[by_coder], np.arange(len(coder_names)))
        summed = np.add.reduceat(tables[by_coder], first, axis=0)
        tables = np.concatenate([tables, summed])
        coder_id = np.concatenate([coder_id, np.arange(len(coder_names))])
        if POOLED not in session_names:
            session_names.append(POOLED)
        pooled_id = np.full(len(coder_names), session_names.index(POOLED))
        session_id = np.concatenate([session_id, pooled_id])
    return tables, labels(session_names, session_id), labels(coder_names, coder_id)
