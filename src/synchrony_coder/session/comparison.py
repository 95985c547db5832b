"""A second coder's events beside the open session's, and where the two disagree, edit by edit.

The disagreements are those of :func:`synchrony_coder.reliability.disagreement_spans` (SCIENCE.md
§4; Bakeman & Quera, 2011; Bakeman, Quera & Gnisci, 2009), kept up to date after each edit without
recomputing the session:

- state tiers: a unit's label depends only on the events covering its midpoint, so an edit
  relabels only the units under the events it touched, widened to the disagreement runs that meet
  them (a run's ends lie where labels stayed the same), and the runs there are found again;
- point tiers: the onset alignment is a global optimum, but no pair crosses a gap longer than
  the tolerance, and the alignment of the whole tier is that of its blocks between such gaps,
  each aligned as the traceback of the later ones enters it
  (:func:`~synchrony_coder.reliability.alignment.align_path`). The tier is kept as blocks of a
  few hundred events; an edit re-aligns the blocks within a tolerance of it, and an earlier block
  again only if the traceback now leaves the edited ones another way.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

import numpy as np
import pandas as pd

from ..reliability.alignment import NIL, align_path, gap_cuts
from ..reliability.table import SPAN_COLUMNS, _runs
from ..reliability.units import NONE, label_ids, unit_count
from ..scheme import Scheme
from .edits import Change
from .index import IndexedEvents

__all__ = ["Comparison"]

BLOCK_EVENTS = (
    256  # events of a point tier's block, at least (the last of a stretch may hold fewer)
)


class Comparison:
    """Our events (live) against ``theirs`` (a table of one other coder's events of the session).

    Parameters
    ----------
    ours : the open session's events; :meth:`update` must be called after each change of them.
    theirs : the other coder's events (SCIENCE.md §1 columns), validated against ``scheme``.
    unit, tolerance : as in :func:`~synchrony_coder.reliability.disagreement_spans`.
    """

    def __init__(
        self,
        ours: IndexedEvents,
        theirs: pd.DataFrame,
        scheme: Scheme,
        unit: float = 0.1,
        tolerance: float = 1.0,
    ) -> None:
        self.ours, self.theirs, self.scheme = ours, theirs, scheme
        self.unit, self.tolerance = unit, tolerance
        self._theirs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for tier in scheme.tier_names:
            rows = theirs[theirs["tier"].astype(str) == tier]
            on = rows["onset_s"].to_numpy(np.float64)
            off = rows["offset_s"].to_numpy(np.float64)
            order = np.lexsort((off, on))  # as iter_tiers sorts (stable: file order breaks ties)
            self._theirs[tier] = (on[order], off[order], rows["code"].astype(str).to_numpy()[order])
        # per tier: state runs (first unit, end unit, code a, code b), or point columns
        # (onset, code a, code b, onset a, onset b) in time order
        self._spans: dict[str, list[tuple]] = {}
        # per point tier: its blocks (start time, disagreeing columns, traceback leaves on the
        # first row), in time order; block k holds the onsets in [start k, start k+1)
        self._blocks: dict[str, list[tuple[float, list[tuple], bool]]] = {}
        for tier in scheme.tiers:
            if tier.is_state:
                self._spans[tier.name] = []
                self._relabel(tier.name, 0, self._unit_end(tier.name))
            else:
                self._blocks[tier.name], _ = self._align(tier.name, -math.inf, math.inf, False)
                self._spans[tier.name] = [c for b in self._blocks[tier.name] for c in b[1]]

    # -- reading ----------------------------------------------------------------------------------
    def spans(self, tier: str) -> tuple[np.ndarray, np.ndarray]:
        """Onsets and offsets (NaN for points) of the tier's disagreements, in time order."""
        found = self._spans.get(tier, [])
        if self.scheme.tier(tier).is_state:
            u = self.unit
            return (
                np.array([round(s[0] * u, 6) for s in found], dtype=np.float64),
                np.array([round(s[1] * u, 6) for s in found], dtype=np.float64),
            )
        return np.array([s[0] for s in found], dtype=np.float64), np.full(len(found), np.nan)

    def table(self) -> pd.DataFrame:
        """All disagreements as :func:`~synchrony_coder.reliability.disagreement_spans` gives them."""
        rows = []
        for tier in self.scheme.tiers:
            for span in self._spans[tier.name]:
                if tier.is_state:
                    start, stop, a, b = span
                    u = self.unit
                    rows.append(
                        (tier.name, round(start * u, 6), round(stop * u, 6), "state", a, b)
                        + (math.nan, math.nan)
                    )
                else:
                    onset, a, b, on_a, on_b = span
                    rows.append((tier.name, onset, math.nan, "point", a, b, on_a, on_b))
        return pd.DataFrame(rows, columns=SPAN_COLUMNS).astype(
            {c: float for c in ("onset_s", "offset_s", "onset_a", "onset_b")}
        )

    # -- following the edits ----------------------------------------------------------------------
    def update(self, change: Change) -> dict[str, tuple[float, float]]:
        """Bring the disagreements up to date after ``change``; per tier, the time span that may
        look different now (for repainting)."""
        touched: dict[str, tuple[float, float]] = {}
        for _, before, after in change.rows:
            for ev in (before, after):
                if ev is None or not self.scheme.has_tier(ev.tier):
                    continue
                end = ev.onset_s if ev.offset_s is None else ev.offset_s
                lo, hi = touched.get(ev.tier, (ev.onset_s, end))
                touched[ev.tier] = (min(lo, ev.onset_s), max(hi, end))
        shown: dict[str, tuple[float, float]] = {}
        for tier, (lo, hi) in touched.items():
            if self.scheme.tier(tier).is_state:
                u = self.unit
                first, end = self._relabel(tier, int(lo / u) - 1, int(hi / u) + 2)
                shown[tier] = (first * u, end * u)
            else:
                old = self._spans[tier]
                self._realign(tier, lo, hi)
                moved = set(old) ^ set(self._spans[tier])
                if moved:
                    shown[tier] = (min(s[0] for s in moved), max(s[0] for s in moved))
        return shown

    def _unit_end(self, tier: str) -> int:
        """Units of the tier as the reference counts them (to the latest offset of either coder)."""
        ours = [self.ours[i].offset_s or 0.0 for i in self.ours.tier_ids(tier)]
        theirs = self._theirs[tier][1]
        latest = max([*ours, *(theirs[np.isfinite(theirs)].tolist()), 0.0])
        return unit_count(latest, self.unit)

    def _relabel(self, tier: str, first: int, end: int) -> tuple[int, int]:
        """Find the runs of units ``[first, end)`` again, widened to the runs meeting them."""
        spans = self._spans[tier]
        first = max(first, 0)
        k0 = bisect_left(spans, (first,)) - 1  # a run starting before `first` may reach it
        if k0 >= 0 and spans[k0][1] >= first:
            first = spans[k0][0]
        else:
            k0 += 1
        k1 = bisect_right(spans, (end, math.inf))
        if k1 > k0 and spans[k1 - 1][1] > end:
            end = spans[k1 - 1][1]
        end = max(end, first)
        names = [*self.scheme.tier(tier).code_names, NONE]
        number = {name: k for k, name in enumerate(names)}
        none = len(names) - 1
        a0, a1 = first * self.unit, end * self.unit
        ids = self.ours.meeting(tier, a0, a1)
        ours = sorted((self.ours[i].onset_s, self.ours[i].offset_s, i) for i in ids)
        la = label_ids(
            np.array([e[0] for e in ours], dtype=np.float64),
            np.array([e[1] for e in ours], dtype=np.float64),
            np.array([number[self.ours[e[2]].code] for e in ours], dtype=np.int64),
            end,
            self.unit,
            none,
        )[first:end]
        on, off, codes = self._theirs[tier]
        near = (on <= a1) & (off >= a0)
        lb = label_ids(
            on[near], off[near], np.array([number[c] for c in codes[near]], dtype=np.int64),
            end, self.unit, none,
        )[first:end]  # fmt: skip
        keys = la * (len(names) + 1) + lb
        runs = [
            (first + s, first + e, names[la[s]], names[lb[s]]) for s, e in _runs(la != lb, keys)
        ]
        spans[k0:k1] = runs
        return first, end

    def _realign(self, tier: str, lo: float, hi: float) -> None:
        """Align again the blocks an edit of the tier's onsets within ``[lo, hi]`` can change.

        A cut more than a tolerance away from every changed onset stays a gap no pair crosses,
        so the blocks within a tolerance of ``[lo, hi]`` are aligned again, entered as the block
        after them is left; if they are now left another way, the block before them is aligned
        again too, and so on.
        """
        blocks = self._blocks[tier]
        starts = [b[0] for b in blocks]
        reach = self.tolerance + 1e-9 + 1e-6
        k0 = bisect_right(starts, lo - reach) - 1  # the first block's start is −inf
        k1 = bisect_left(starts, hi + reach)
        entry = blocks[k1][2] if k1 < len(blocks) else False
        while True:
            end = blocks[k1][0] if k1 < len(blocks) else math.inf
            left_before = blocks[k0][2]
            new, entry = self._align(tier, blocks[k0][0], end, entry)
            blocks[k0:k1] = new
            if k0 == 0 or entry == left_before:
                break
            k1, k0 = k0, k0 - 1
        self._spans[tier] = [c for b in blocks for c in b[1]]

    def _align(
        self, tier: str, t0: float, t1: float, entry: bool
    ) -> tuple[list[tuple[float, list[tuple], bool]], bool]:
        """The blocks of the tier's onsets in ``[t0, t1)``, a stretch no pair crosses, aligned
        from the last to the first (the last entered as ``entry`` says); and how the first is left."""
        names = self.scheme.tier(tier).code_names
        number = {name: k for k, name in enumerate(names)}
        ids = [i for i in self.ours.meeting(tier, t0, t1) if self.ours[i].onset_s < t1]
        ao = np.array([self.ours[i].onset_s for i in ids], dtype=np.float64)
        ac = np.array([number[self.ours[i].code] for i in ids], dtype=np.int64)
        on, _, codes = self._theirs[tier]
        b0, b1 = np.searchsorted(on, [t0, t1], side="left")
        bo = on[b0:b1]
        bc = np.array([number[c] for c in codes[b0:b1]], dtype=np.int64)
        cuts = [*gap_cuts(ao, bo, self.tolerance, BLOCK_EVENTS), (len(ao), len(bo))]
        blocks = []
        for (a0, b0), (a1, b1) in zip(cuts[-2::-1], cuts[:0:-1], strict=True):
            ia, ib, entry = align_path(
                ao[a0:a1], ac[a0:a1], bo[b0:b1], bc[b0:b1], self.tolerance, row_entry=entry
            )
            columns = []
            for i, j in zip((ia + a0).tolist(), (ib + b0).tolist(), strict=True):
                i, j = (i if i >= a0 else -1), (j if j >= b0 else -1)
                a = names[ac[i]] if i >= 0 else NIL
                b = names[bc[j]] if j >= 0 else NIL
                if a != b:
                    on_a = float(ao[i]) if i >= 0 else math.nan
                    on_b = float(bo[j]) if j >= 0 else math.nan
                    columns.append((on_a if i >= 0 else on_b, a, b, on_a, on_b))
            first = min(ao[a0] if a1 > a0 else math.inf, bo[b0] if b1 > b0 else math.inf)
            blocks.append((t0 if a0 == b0 == 0 else float(first), columns, entry))
        return blocks[::-1] or [(t0, [], entry)], entry
