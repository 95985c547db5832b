"""``session_metrics``: the interaction metrics of SCIENCE.md §3 as one tidy table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scheme import Scheme, load_scheme
from .contingency import contingency_metrics, yules_q
from .corpus import Windows, build_corpus, elementary_intervals, helper
from .lagged import lagged_correlations, sync_summary
from .synchrony import code_proportions, engagement_metrics

__all__ = [
    "METRIC_COLUMNS",
    "lagged_synchrony",
    "positive_ms",
    "repair_column",
    "session_metrics",
]

MAX_LAG_S = 3.0

METRIC_COLUMNS: tuple[str, ...] = (
    "coded_s",
    "matched_fraction",
    "mismatch_episodes",
    "repairs",
    "repairs_per_min",
    "median_time_to_repair_s",
    "prop_repaired_within_2s",
    "n_bids",
    "contingency",
    "base_rate",
    "delta_p",
    "median_latency_s",
    "yules_q",
    "sync_r0",
    "sync_peak_r",
    "sync_peak_lag_s",
)


def repair_column(repair_within: float) -> str:
    """Name of the quick-repair column for R seconds: ``prop_repaired_within_{R}s``."""
    return f"prop_repaired_within_{repair_within:g}s"


def positive_ms(name: str, seconds: float) -> int:
    """``seconds`` as whole milliseconds; ValueError naming ``name`` unless finite and ≥ 1 ms."""
    ms = int(round(float(seconds) * 1000))
    if not np.isfinite(seconds) or ms <= 0:
        raise ValueError(f"{name} must be a positive number of seconds (≥ 0.001), not {seconds!r}")
    return ms


def session_metrics(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    window: float = 2.0,
    repair_within: float = 2.0,
    unit: float = 0.1,
    by_phase: bool = False,
    max_lag: float = MAX_LAG_S,
) -> pd.DataFrame:
    """Interaction metrics per session × coder (× phase), computed for a whole corpus at once.

    Parameters
    ----------
    events
        The tidy events table (SCIENCE.md §1) of one or many sessions and coders.
    scheme
        Says which tiers are the bids, responses, the partners' engagement and the phases, the
        matched pairs and the valences (default: the default scheme).
    window
        W, the contingency window in seconds.
    repair_within
        R: ``prop_repaired_within_Rs`` counts repaired episodes lasting ≤ R seconds.
    unit
        u, the time unit of Yule's Q and of the valence series, in seconds.
    by_phase
        Add one row per phase present in the session after its ``all`` row.
    max_lag
        Lagged synchrony looks at lags ``−max_lag … +max_lag`` (multiples of u).

    Returns
    -------
    pandas.DataFrame
        One row per session × coder × phase: ``session, coder, phase`` then ``coded_s,
        matched_fraction, mismatch_episodes, repairs, repairs_per_min, median_time_to_repair_s,
        prop_repaired_within_2s, n_bids, contingency, base_rate, delta_p, median_latency_s,
        yules_q, sync_r0, sync_peak_r, sync_peak_lag_s`` and, per engagement code, the share of
        that partner's coded time (``infant_positive``, ``caregiver_object`` ...). Groups appear in
        the order of their first event; phases in time order. Undefined values are NaN; columns
        that need a role the scheme lacks (e.g. engagement in a bids-only scheme) are all NaN.

    Notes
    -----
    Windows (SCIENCE.md §3): the whole session ``[0, T)``, phase ``all``, T being the latest offset
    of any state event of that session and coder (a session without state events ends 1 ms after
    its last event); with ``by_phase``, each phase interval ``[p0, p1)`` of the phase tier (a phase
    coded twice pools its intervals; a session without phase events has only ``all``). Times are
    taken at the table's millisecond precision. Definitions, each detailed in its module:

    - ``coded_s``: both-coded seconds; ``matched_fraction``: matched ÷ both-coded time, the
      attunement fraction (Tronick & Gianino, 1986; Tronick & Cohn, 1989). A mismatch episode is a
      maximal run of both-coded, unmatched time, cut at the window's edges and at uncoded gaps; a
      repair is an episode that ends directly in matched time. ``repairs_per_min`` = repairs ÷
      (coded_s / 60); ``median_time_to_repair_s`` over repaired episodes;
      ``prop_repaired_within_Rs`` = repaired episodes lasting ≤ R ÷ all episodes
      (:func:`.synchrony.engagement_metrics`).
    - ``n_bids``, ``contingency`` (bids with a response onset r, b < r ≤ b + W, looked for past
      the window's end), ``base_rate`` (exact share of t in ``[t0, t1 − W]`` with a response in
      (t, t + W]), ``delta_p`` = contingency − base_rate, ``median_latency_s`` (Watson, 1985;
      Van Egeren, Barratt & Roach, 2001; :func:`.contingency.contingency_metrics`).
    - ``yules_q`` over units ``[k·u, (k+1)·u)`` whose midpoint lies in the window: *given* when the
      midpoint lies in (b, b + W] for a bid b of the window, *target* when the unit holds a
      response onset (Bakeman & Quera, 2011; :func:`.contingency.yules_q`).
    - ``sync_r0``, ``sync_peak_r``, ``sync_peak_lag_s``: Pearson r between infant valence at t and
      caregiver valence at t + lag over both-coded unit midpoints, lags −max_lag … +max_lag in
      steps of u; a positive lag means the caregiver follows; the peak is the r of largest
      absolute value (ties: the lag nearest 0); NaN with fewer than 3 pairs or no variance
      (Boker, Xu, Rotondo & King, 2002; :mod:`.lagged`).
    - ``infant_<code>``, ``caregiver_<code>``: share of that partner's coded time in the window.

    All sessions are processed together with interval arithmetic on sorted arrays (one
    ``searchsorted``/``bincount`` pass over the corpus per quantity): the cost grows with the
    number of events, not with the sessions' length or count of Python loops. Text columns are
    turned into integer codes once, whatever they hold (Python or Arrow-backed strings,
    categories; :func:`.corpus.text_codes`). From ``corpus.PARALLEL_EVENTS`` events a second
    thread takes the contingency and engagement metrics while this one computes lagged synchrony
    (numpy lets go of the GIL); the results do not depend on it.

    References
    ----------
    Bakeman, R., & Quera, V. (2011). *Sequential analysis and observational methods for the
    behavioral sciences*. Cambridge University Press.
    Boker, S. M., Xu, M., Rotondo, J. L., & King, K. (2002). Windowed cross-correlation and peak
    picking for the analysis of variability in the association between behavioral time series.
    *Psychological Methods, 7*(3), 338–355.
    Tronick, E. Z., & Cohn, J. F. (1989). Infant-mother face-to-face interaction: Age and gender
    differences in coordination and the occurrence of miscoordination. *Child Development, 60*,
    85–92.
    Tronick, E. Z., & Gianino, A. F. (1986). The transmission of maternal disturbance to the
    infant. *New Directions for Child Development, 34*, 5–11.
    Van Egeren, L. A., Barratt, M. S., & Roach, M. A. (2001). Mother-infant responsiveness: Timing,
    mutual regulation, and interactional context. *Developmental Psychology, 37*(5), 684–697.
    Watson, J. S. (1985). Contingency perception in early social development. In T. M. Field &
    N. A. Fox (Eds.), *Social perception in infants* (pp. 157–176). Ablex.

    Examples
    --------
    >>> from synchrony_coder.simulate import simulate_session
    >>> table = session_metrics(simulate_session(seed=1), by_phase=True)
    >>> list(table["phase"])
    ['all', 'play', 'still_face', 'reunion']
    """
    sch = scheme or load_scheme()
    window_ms = positive_ms("window", window)
    unit_ms = positive_ms("unit", unit)
    repair_ms = int(round(float(repair_within) * 1000))
    if not np.isfinite(repair_within) or repair_ms < 0:
        raise ValueError(f"repair_within must be ≥ 0 seconds, not {repair_within!r}")
    max_lag_units = int(np.floor(float(max_lag) * 1000 / unit_ms + 1e-9))
    if max_lag_units < 0:
        raise ValueError(f"max_lag must be ≥ 0 seconds, not {max_lag!r}")

    columns = _columns(sch, repair_within)
    if events is not None and len(events):
        onset = events["onset_s"].to_numpy(dtype=float)
        if not np.isfinite(onset).all():  # an event still being created in the app
            events = events[np.isfinite(onset)]
    if events is None or not len(events):
        return pd.DataFrame({c: pd.Series(dtype=object if c in _ID else float) for c in columns})

    engaged = sch.roles.infant_engagement and sch.roles.caregiver_engagement
    with helper(len(events)) as pool:
        # two threads share the work of a large corpus (numpy lets go of the GIL): the
        # contingency metrics, then the engagement ones, then the sums with V of lagged
        # synchrony on the helper; the elementary intervals and the rest of lagged synchrony here
        corpus = build_corpus(
            events, sch, unit_ms=unit_ms, reach_ms=window_ms + max_lag_units * unit_ms, pool=pool
        )
        sets = _window_sets(corpus, sch, by_phase)
        timed = [
            pool.submit(_event_metrics, corpus, windows, window_ms, unit_ms)
            for windows, _, _ in sets
        ]
        elem = elementary_intervals(corpus)
        window_ofs = [getattr(elem, of) for _, of, _ in sets]
        coded = [
            pool.submit(_interval_metrics, sch, corpus, elem, windows, window_of, repair_ms)
            for (windows, _, _), window_of in zip(sets, window_ofs, strict=True)
        ]
        lagged = (
            lagged_correlations(
                elem,
                [
                    (windows, window_of)
                    for (windows, _, _), window_of in zip(sets, window_ofs, strict=True)
                ],
                *_valences(sch),
                unit_ms=unit_ms,
                max_lag_units=max_lag_units,
                pool=pool,
            )
            if engaged and corpus.infant is not None and corpus.caregiver is not None
            else None
        )
        columns_of_set = [{**a.result(), **b.result()} for a, b in zip(timed, coded, strict=True)]
    if lagged is not None:
        for values, (lags_s, corr, _) in zip(columns_of_set, lagged, strict=True):
            values.update(sync_summary(lags_s, corr))
    parts = [
        pd.DataFrame({**{c: rows[c].to_numpy() for c in rows}, **values})
        for (_, _, rows), values in zip(sets, columns_of_set, strict=True)
    ]

    out = pd.concat(parts, ignore_index=True).sort_values(["_group", "_order"], kind="stable")
    out.insert(0, "session", corpus.groups["session"].to_numpy()[out["_group"]])
    out.insert(1, "coder", corpus.groups["coder"].to_numpy()[out["_group"]])
    if "prop_repaired" in out:
        out = out.rename(columns={"prop_repaired": repair_column(repair_within)})
    for c in columns:
        if c not in out:
            out[c] = np.nan
    return out[columns].reset_index(drop=True)


_ID = ("session", "coder", "phase")


def _event_metrics(corpus, windows: Windows, window_ms, unit_ms) -> dict[str, np.ndarray]:
    """The metrics of bids and responses (contingency, Yule's Q) per output row of a window set."""
    values = contingency_metrics(corpus.bids, corpus.responses, windows, window_ms=window_ms)
    values["yules_q"] = yules_q(
        corpus.bids, corpus.responses, windows, window_ms=window_ms, unit_ms=unit_ms
    )
    return values


def _interval_metrics(
    sch: Scheme, corpus, elem, windows: Windows, window_of, repair_ms
) -> dict[str, np.ndarray]:
    """The metrics of engagement (matching, repair, shares of codes) per row of a window set."""
    r = sch.roles
    values: dict[str, np.ndarray] = {}
    if corpus.infant is not None and corpus.caregiver is not None:
        values.update(_engagement(sch, elem, window_of, windows, repair_ms))
    for partner, bouts, codes, tier_name in (
        ("infant", corpus.infant, elem.infant, r.infant_engagement),
        ("caregiver", corpus.caregiver, elem.caregiver, r.caregiver_engagement),
    ):
        if bouts is None:
            continue
        names = sch.tier(tier_name).code_names
        shares = code_proportions(codes, elem, window_of, windows, len(names))
        for i, code in enumerate(names):
            values[f"{partner}_{code}"] = shares[:, i]
    return values


def _columns(sch: Scheme, repair_within: float) -> list[str]:
    cols = list(_ID) + [
        repair_column(repair_within) if c == "prop_repaired_within_2s" else c
        for c in METRIC_COLUMNS
    ]
    r = sch.roles
    for partner, tier_name in (
        ("infant", r.infant_engagement),
        ("caregiver", r.caregiver_engagement),
    ):
        if tier_name and sch.has_tier(tier_name):
            cols += [f"{partner}_{c}" for c in sch.tier(tier_name).code_names]
    return cols


def _valences(sch: Scheme) -> tuple[np.ndarray, np.ndarray]:
    """Valence of each code of the infant's and the caregiver's engagement tier (NaN: none)."""
    r = sch.roles
    return tuple(
        np.array([np.nan if c.valence is None else c.valence for c in tier.codes], dtype=float)
        for tier in (sch.tier(r.infant_engagement), sch.tier(r.caregiver_engagement))
    )


def _engagement(sch: Scheme, elem, window_of, windows: Windows, repair_ms: int):
    r = sch.roles
    infant, caregiver = sch.tier(r.infant_engagement), sch.tier(r.caregiver_engagement)
    pairs = np.zeros((len(infant.codes), len(caregiver.codes)), dtype=bool)
    for i_code, c_code in sch.matched_pairs:
        pairs[infant.code_names.index(i_code), caregiver.code_names.index(c_code)] = True
    return engagement_metrics(elem, window_of, windows, pairs, repair_within_ms=repair_ms)


def _window_sets(corpus, sch: Scheme, by_phase: bool):
    """(windows, the :class:`.Elementary` field naming each elementary interval's window, rows)
    for ``all`` and, if asked, the phases.

    ``rows`` holds ``_group``, ``phase`` and ``_order`` (0 for ``all``, then phases in the order
    they first start) of each output row.
    """
    n_groups = corpus.n_groups
    origin = corpus.origin
    sets = [
        (
            Windows(origin, origin + corpus.end, np.arange(n_groups), n_groups),
            "group",
            pd.DataFrame({"_group": np.arange(n_groups), "phase": "all", "_order": 0}),
        )
    ]
    if by_phase and corpus.phase is not None and len(corpus.phase.start):
        ph = corpus.phase
        names = np.array(sch.tier(sch.roles.phase).code_names, dtype=object)
        n_codes = len(names)
        row, first = pd.factorize(ph.group * n_codes + ph.code)  # in order of first start
        rows = pd.DataFrame(
            {
                "_group": first // n_codes,
                "phase": names[first % n_codes],
                "_order": np.arange(len(first)) + 1,
            }
        )
        sets.append((Windows(ph.start, ph.stop, row, len(first)), "phase", rows))
    return sets


def lagged_synchrony(
    events: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    unit: float = 0.1,
    max_lag: float = MAX_LAG_S,
    by_phase: bool = False,
) -> pd.DataFrame:
    """The whole lagged cross-correlation of the partners' engagement valence, lag by lag.

    The curve behind ``sync_r0`` and ``sync_peak_*`` of :func:`session_metrics`, for plotting or
    further analysis (Boker, Xu, Rotondo & King, 2002, without their moving window): valence
    sampled every ``unit`` seconds at unit midpoints where both partners are coded; for each lag L
    (a multiple of ``unit`` in ``−max_lag … +max_lag``) Pearson r between the infant at t and the
    caregiver at t + L, over the pairs with both samples in the window. A positive lag means the
    caregiver follows the infant.

    Returns
    -------
    pandas.DataFrame
        ``session, coder, phase, lag_s, r, n_pairs``, one row per window and lag; r is NaN with
        fewer than 3 pairs or without variance. Empty when the scheme has no engagement roles.
    """
    sch = scheme or load_scheme()
    unit_ms = positive_ms("unit", unit)
    max_lag_units = int(np.floor(float(max_lag) * 1000 / unit_ms + 1e-9))
    if max_lag_units < 0:
        raise ValueError(f"max_lag must be ≥ 0 seconds, not {max_lag!r}")
    cols = ["session", "coder", "phase", "lag_s", "r", "n_pairs"]
    r = sch.roles
    if events is not None and len(events):
        events = events[np.isfinite(events["onset_s"].to_numpy(dtype=float))]
    if events is None or not len(events) or not (r.infant_engagement and r.caregiver_engagement):
        return pd.DataFrame({c: [] for c in cols})
    corpus = build_corpus(events, sch, unit_ms=unit_ms, reach_ms=max_lag_units * unit_ms)
    elem = elementary_intervals(corpus)
    sets = _window_sets(corpus, sch, by_phase)
    results = lagged_correlations(
        elem,
        [(windows, getattr(elem, of)) for windows, of, _ in sets],
        *_valences(sch),
        unit_ms=unit_ms,
        max_lag_units=max_lag_units,
    )
    parts = []
    for (_, _, rows), (lags_s, corr, n_pairs) in zip(sets, results, strict=True):
        n_lags = len(lags_s)
        part = rows.loc[rows.index.repeat(n_lags)].reset_index(drop=True)
        part["lag_s"] = np.tile(lags_s, len(rows))
        part["r"] = corr.ravel()
        part["n_pairs"] = n_pairs.ravel()
        parts.append(part)
    out = pd.concat(parts, ignore_index=True).sort_values(
        ["_group", "_order", "lag_s"], kind="stable"
    )
    out.insert(0, "session", corpus.groups["session"].to_numpy()[out["_group"]])
    out.insert(1, "coder", corpus.groups["coder"].to_numpy()[out["_group"]])
    return out[cols].reset_index(drop=True)
