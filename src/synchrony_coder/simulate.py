"""Simulated dyads: coded sessions with ground truth known by construction.

:func:`simulate_session` builds one session's "true" events from stated parameters: the timeline is
cut into alternating *matched* and *mismatched* spans whose mean lengths make the expected matched
fraction equal to the requested attunement level (Tronick & Gianino, 1986: ~0.3 in normal play); inside
a matched span both partners hold one matched pair of codes, inside a mismatched span they never do.
Infant bids arrive as a Poisson process; each is answered with the stated probability after a latency
drawn inside the contingency window (Watson, 1985), and the caregiver also responds spontaneously.
The Still-Face episode (Tronick et al., 1978) freezes the caregiver in a neutral ``monitor`` state with
no responses; the infant turns more negative and withdrawn.

:func:`simulate_coder` turns the truth into one coder's file that disagrees a realistic amount
(boundary jitter, substituted codes, missed and extra point events), for reliability work.

All times lie on the frame grid of the stated frame rate, rounded to milliseconds (SCIENCE.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .events import REQUIRED_COLUMNS
from .scheme import Scheme, load_scheme

__all__ = [
    "CoderNoise",
    "SessionParams",
    "simulate_coder",
    "simulate_session",
    "true_matched_fraction",
]

# Infant code weights inside mismatched spans, per phase (still-face: more negative and withdrawn).
_INFANT_MISMATCH = {
    "play": {
        "negative": 0.10,
        "withdrawn": 0.15,
        "object": 0.35,
        "monitor": 0.20,
        "positive": 0.20,
    },
    "still_face": {
        "negative": 0.35,
        "withdrawn": 0.35,
        "object": 0.20,
        "monitor": 0.0,
        "positive": 0.10,
    },
    "reunion": {
        "negative": 0.20,
        "withdrawn": 0.20,
        "object": 0.30,
        "monitor": 0.15,
        "positive": 0.15,
    },
}
_CAREGIVER_CODES = ("negative", "disengaged", "object", "monitor", "positive")
_CAREGIVER_WEIGHTS = (0.05, 0.15, 0.30, 0.30, 0.20)
_MATCHED_WEIGHTS = {"object": 0.35, "monitor": 0.35, "positive": 0.30}
_BIDS = ("vocalize", "reach", "gaze", "smile", "fuss")
_RESPONSES = ("verbal", "touch", "imitate", "soothe", "offer")


@dataclass(frozen=True)
class SessionParams:
    """What a simulated session should look like.

    ``phases`` lists (phase code, seconds); ``attunement`` gives the target matched fraction per phase
    code (a phase missing there uses ``attunement["play"]``).
    """

    phases: tuple[tuple[str, float], ...] = (
        ("play", 40.0),
        ("still_face", 40.0),
        ("reunion", 40.0),
    )
    attunement: dict[str, float] = field(
        default_factory=lambda: {"play": 0.30, "still_face": 0.05, "reunion": 0.20}
    )
    mean_span_s: float = 2.5  # mean length of a matched + mismatched pair, halved
    bid_rate_per_min: float = 8.0
    contingency: float = 0.6  # probability that a bid gets a response within latency_max_s
    latency_min_s: float = 0.3
    latency_max_s: float = 1.8
    spontaneous_response_rate_per_min: float = 3.0
    fps: float = 30.0
    code_phases: bool = True


@dataclass(frozen=True)
class CoderNoise:
    """How far one coder strays from the truth."""

    boundary_sd_s: float = 0.25  # jitter of state boundaries
    substitution: float = 0.06  # probability a state bout gets a neighbouring code
    point_onset_sd_s: float = 0.15
    miss: float = 0.08  # probability a point event is missed
    extra_per_min: float = 0.5  # spurious point events per minute and tier


def _snap(t: np.ndarray | float, fps: float) -> np.ndarray:
    return np.round(np.round(np.asarray(t, dtype=float) * fps) / fps, 3)


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = [k for k, w in weights.items() if w > 0]
    w = np.array([weights[k] for k in names], dtype=float)
    return names[rng.choice(len(names), p=w / w.sum())]


def _runs(times: list[float], codes: list[str], end: float) -> list[tuple[float, float, str]]:
    """Merge consecutive equal codes into (onset, offset, code) bouts."""
    out: list[tuple[float, float, str]] = []
    for i, (t, c) in enumerate(zip(times, codes, strict=True)):
        t1 = times[i + 1] if i + 1 < len(times) else end
        if t1 <= t:
            continue
        if out and out[-1][2] == c and out[-1][1] == t:
            out[-1] = (out[-1][0], t1, c)
        else:
            out.append((t, t1, c))
    return out


def simulate_session(
    params: SessionParams | None = None,
    *,
    session: str = "s01",
    coder: str = "truth",
    seed: int | None = 0,
    scheme: Scheme | None = None,
) -> pd.DataFrame:
    """Simulate one session's true events.

    Parameters
    ----------
    params
        What to simulate; defaults to a 2-minute Still-Face session.
    session, coder
        Identifiers written into the table.
    seed
        Seed of the random generator (same seed, same session).
    scheme
        The scheme whose tier names to use (default scheme); it needs the engagement, bid, response
        and phase roles.

    Returns
    -------
    pandas.DataFrame
        A valid events table (SCIENCE.md §1), sorted by tier then onset.
    """
    p = params or SessionParams()
    sch = scheme or load_scheme()
    r = sch.roles
    rng = np.random.default_rng(seed)
    fps = p.fps
    rows: list[tuple[str, str, float, float]] = []
    infant_t: list[float] = []
    infant_c: list[str] = []
    care_t: list[float] = []
    care_c: list[str] = []
    bids: list[float] = []
    responses: list[float] = []
    t0 = 0.0
    for phase, length in p.phases:
        t1 = float(_snap(t0 + length, fps))
        if p.code_phases:
            rows.append((r.phase, phase, t0, t1))
        a = p.attunement.get(phase, p.attunement.get("play", 0.3))
        a = min(max(a, 0.0), 1.0)
        still = phase == "still_face"
        # matched and mismatched spans with mean lengths 2·m·a and 2·m·(1−a): expected share a.
        mean_match = max(2 * p.mean_span_s * a, 1e-9)
        mean_mismatch = max(2 * p.mean_span_s * (1 - a), 1e-9)
        t = t0
        matched = rng.random() < a
        while t < t1:
            span = rng.exponential(mean_match if matched else mean_mismatch)
            end = float(min(_snap(t + max(span, 1 / fps), fps), t1))
            if end <= t:
                end = t1
            if matched and a > 0:
                code = "monitor" if still else _choice(rng, _MATCHED_WEIGHTS)
                infant_t.append(t), infant_c.append(code), care_t.append(t), care_c.append(code)
            elif a < 1:
                care = "monitor" if still else _CAREGIVER_CODES[rng.choice(5, p=_CAREGIVER_WEIGHTS)]
                w = dict(_INFANT_MISMATCH.get(phase, _INFANT_MISMATCH["play"]))
                if care in w:
                    w[care] = 0.0  # never a matched pair inside a mismatched span
                (
                    infant_t.append(t),
                    infant_c.append(_choice(rng, w)),
                    care_t.append(t),
                    care_c.append(care),
                )
            t = end
            matched = not matched
        # bids: Poisson process; answered with probability `contingency` (never in still-face)
        n = rng.poisson(p.bid_rate_per_min * (t1 - t0) / 60)
        phase_bids = np.sort(rng.uniform(t0, t1, n))
        bids.extend(phase_bids.tolist())
        if not still:
            answered = phase_bids[rng.random(n) < p.contingency]
            lat = rng.uniform(p.latency_min_s, p.latency_max_s, len(answered))
            responses.extend((answered + lat).tolist())
            k = rng.poisson(p.spontaneous_response_rate_per_min * (t1 - t0) / 60)
            responses.extend(rng.uniform(t0, t1, k).tolist())
        t0 = t1
    end = t0
    for tier, times, codes in (
        (r.infant_engagement, infant_t, infant_c),
        (r.caregiver_engagement, care_t, care_c),
    ):
        rows.extend((tier, c, on, off) for on, off, c in _runs(times, codes, end))
    bid_t = np.unique(_snap(bids, fps))
    bid_t = bid_t[bid_t < end]
    fuss_w = {"vocalize": 0.3, "reach": 0.15, "gaze": 0.25, "smile": 0.2, "fuss": 0.1}
    for b in bid_t:
        rows.append((r.bid, _choice(rng, fuss_w), float(b), np.nan))
    resp_t = np.unique(_snap(responses, fps))
    resp_t = resp_t[resp_t < end]
    for t in resp_t:
        rows.append((r.response, _RESPONSES[rng.integers(len(_RESPONSES))], float(t), np.nan))
    df = pd.DataFrame(rows, columns=["tier", "code", "onset_s", "offset_s"])
    df.insert(0, "coder", coder)
    df.insert(0, "session", session)
    order = {name: i for i, name in enumerate(sch.tier_names)}
    df["_o"] = df["tier"].map(order)
    df = df.sort_values(["_o", "onset_s"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return df[list(REQUIRED_COLUMNS)]


def simulate_coder(
    truth: pd.DataFrame,
    coder: str,
    noise: CoderNoise | None = None,
    *,
    seed: int | None = 0,
    scheme: Scheme | None = None,
    fps: float = 30.0,
) -> pd.DataFrame:
    """One coder's version of ``truth``: same sessions, realistic disagreement, still valid.

    State boundaries shared by consecutive bouts move together (so exclusive tiers never overlap),
    bouts are occasionally recoded with another code of the tier, point events are jittered, missed
    or added.
    """
    nz = noise or CoderNoise()
    sch = scheme or load_scheme()
    rng = np.random.default_rng(seed)
    parts = []
    for (_session, tier_name), ev in truth.groupby(["session", "tier"], sort=False):
        tier = sch.tier(tier_name)
        ev = ev.sort_values("onset_s").copy()
        if tier.is_state and tier_name != sch.roles.phase:
            on = ev["onset_s"].to_numpy(float).copy()
            off = ev["offset_s"].to_numpy(float).copy()
            # jitter each boundary between touching bouts once; keep each bout ≥ 1 frame
            for i in range(len(ev)):
                if i + 1 < len(ev) and off[i] == on[i + 1]:
                    lo, hi = on[i] + 1 / fps, off[i + 1] - 1 / fps
                    if hi > lo:
                        b = float(
                            np.clip(_snap(off[i] + rng.normal(0, nz.boundary_sd_s), fps), lo, hi)
                        )
                        off[i] = on[i + 1] = b
            codes = ev["code"].to_numpy(object).copy()
            names = tier.code_names
            for i in np.flatnonzero(rng.random(len(ev)) < nz.substitution):
                k = names.index(codes[i])
                codes[i] = names[min(max(k + rng.choice([-1, 1]), 0), len(names) - 1)]
            ev["onset_s"], ev["offset_s"], ev["code"] = _snap(on, fps), _snap(off, fps), codes
            merged: list[tuple[float, float, str]] = []
            for a, b, c in zip(ev["onset_s"], ev["offset_s"], ev["code"], strict=True):
                if merged and merged[-1][2] == c and merged[-1][1] == a:
                    merged[-1] = (merged[-1][0], b, c)  # touching bouts that now share a code
                else:
                    merged.append((a, b, c))
            ev = pd.DataFrame(
                {
                    "session": ev["session"].iloc[0],
                    "tier": tier_name,
                    "code": [m[2] for m in merged],
                    "onset_s": [m[0] for m in merged],
                    "offset_s": [m[1] for m in merged],
                }
            )
        elif not tier.is_state:
            keep = rng.random(len(ev)) >= nz.miss
            ev = ev[keep].copy()
            ev["onset_s"] = np.maximum(
                _snap(
                    ev["onset_s"].to_numpy(float) + rng.normal(0, nz.point_onset_sd_s, len(ev)), fps
                ),
                0.0,
            )
            end = float(truth.loc[truth["session"] == _session, "offset_s"].max())
            k = rng.poisson(nz.extra_per_min * end / 60)
            extra = pd.DataFrame(
                {
                    "session": _session,
                    "tier": tier_name,
                    "code": rng.choice(tier.code_names, k),
                    "onset_s": _snap(rng.uniform(0, end, k), fps),
                    "offset_s": np.nan,
                }
            )
            ev = pd.concat([ev, extra], ignore_index=True).sort_values("onset_s", kind="stable")
        parts.append(ev)
    out = pd.concat(parts, ignore_index=True)
    out["coder"] = coder
    return out[list(REQUIRED_COLUMNS)].reset_index(drop=True)


def true_matched_fraction(events: pd.DataFrame, scheme: Scheme | None = None) -> float:
    """Matched fraction of a gap-free simulated session, by direct overlap of its bouts.

    For tests and sample READMEs: sums the overlap of every (infant, caregiver) bout pair that forms a
    matched pair (Tronick & Gianino, 1986), over both-coded time.
    """
    sch = scheme or load_scheme()
    r = sch.roles
    inf = events[events["tier"] == r.infant_engagement]
    car = events[events["tier"] == r.caregiver_engagement]
    pairs = set(sch.matched_pairs)
    matched = both = 0.0
    for _, a in inf.iterrows():
        for _, b in car.iterrows():
            ov = min(a.offset_s, b.offset_s) - max(a.onset_s, b.onset_s)
            if ov > 0:
                both += ov
                if (a.code, b.code) in pairs:
                    matched += ov
    return matched / both if both else float("nan")
