"""Mapping files: rename a foreign scheme's tiers and codes into ours.

A mapping is a small TOML file::

    [tiers]                       # foreign tier = our tier
    "Mother gaze" = "caregiver_engagement"
    "Infant" = "infant_engagement"

    [codes."Mother gaze"]         # per FOREIGN tier: foreign code = our code
    "looking" = "monitor"
    "away" = "disengaged"
    "smiles" = { tier = "caregiver_response", code = "imitate" }   # also moves the event

A foreign (tier, code) is *mapped* when a ``[codes]`` rule names it, or — without such a rule — when
its (renamed) tier and code exist in the target scheme (or, with no scheme, when its tier is renamed
by ``[tiers]``). Every other pair is *unmapped*: kept as it is, listed in the report with its number
of events, one line each.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..scheme import Scheme
from .report import ConversionReport

__all__ = ["Mapping", "MappingError", "apply_mapping", "load_mapping"]


class MappingError(DataError):
    """A mapping file that cannot be used; one line naming the file and the entry."""

    def __init__(self, path: str | Path, entry: str, message: str) -> None:
        self.path, self.entry, self.message = str(path), entry, message
        super().__init__(f"{self.path}: {entry}: {message}")


@dataclass(frozen=True)
class Mapping:
    """Tier renames and per-tier code rules (``(our tier or None, our code)``)."""

    tiers: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, tuple[str | None, str]]] = field(default_factory=dict)
    path: Path | None = None


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file (see the module docstring for the layout).

    Raises
    ------
    MappingError
        Missing file, not TOML, unknown section, or an entry that is not a name or
        ``{tier = ..., code = ...}``.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(p, "file", "no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(p, "file", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(p, "file", f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"tiers", "codes"})
    if unknown:
        raise MappingError(
            p, unknown[0], "unknown section (a mapping has [tiers] and [codes.TIER])"
        )
    tiers = data.get("tiers", {})
    if not isinstance(tiers, dict):
        raise MappingError(p, "tiers", "must be a table of foreign tier = our tier")
    for foreign, ours in tiers.items():
        if not isinstance(ours, str) or not ours.strip():
            raise MappingError(p, f"tiers.{foreign}", f"{ours!r} is not a tier name")
    codes: dict[str, dict[str, tuple[str | None, str]]] = {}
    for tier, rules in data.get("codes", {}).items():
        if not isinstance(rules, dict):
            raise MappingError(p, f"codes.{tier}", "must be a table of foreign code = our code")
        codes[tier] = {}
        for code, target in rules.items():
            where = f"codes.{tier}.{code}"
            if isinstance(target, str) and target.strip():
                codes[tier][code] = (None, target)
            elif isinstance(target, dict) and isinstance(target.get("code"), str):
                extra = sorted(set(target) - {"tier", "code"})
                if extra or not isinstance(target.get("tier", ""), str):
                    raise MappingError(p, where, 'a table rule is { tier = "...", code = "..." }')
                codes[tier][code] = (target.get("tier") or None, target["code"])
            else:
                raise MappingError(p, where, f"{target!r} is not a code or {{ tier, code }}")
    return Mapping(tiers=dict(tiers), codes=codes, path=p)


def apply_mapping(
    events: pd.DataFrame, mapping: Mapping, scheme: Scheme | None = None
) -> tuple[pd.DataFrame, ConversionReport]:
    """Rename tiers and codes; report the foreign pairs the mapping does not cover.

    Parameters
    ----------
    events
        An events table with foreign tier and code names.
    mapping
        From :func:`load_mapping`.
    scheme
        The target scheme, used to decide which untouched pairs already fit.

    Returns
    -------
    (events, report)
        The renamed table (same rows, same order) and a report with one ``unmapped`` note per
        uncovered (tier, code) pair, also listed in ``report.unmapped``.
    """
    report = ConversionReport(str(mapping.path or "<mapping>"), "mapping")
    if events.empty:
        return events.copy(), report
    pairs = events.groupby(["tier", "code"], sort=False).size().reset_index(name="n")
    known = (
        {(t.name, c) for t in scheme.tiers for c in t.code_names} if scheme is not None else set()
    )
    new_tier, new_code, mapped = [], [], []
    for tier, code in zip(pairs["tier"], pairs["code"], strict=True):
        rule = mapping.codes.get(tier, {}).get(code)
        t = mapping.tiers.get(tier, tier)
        if rule is not None:
            t, c, ok = rule[0] or t, rule[1], True
        else:
            c = code
            ok = (t, c) in known if scheme is not None else tier in mapping.tiers
        new_tier.append(t)
        new_code.append(c)
        mapped.append(ok)
    pairs["_tier"], pairs["_code"], pairs["_mapped"] = new_tier, new_code, mapped
    for tier, code, n in pairs.loc[~pairs["_mapped"], ["tier", "code", "n"]].itertuples(
        index=False
    ):
        report.unmapped.append((str(tier), str(code), int(n)))
        report.note(
            "unmapped",
            f"event(s) with code {code!r} of tier {tier!r}: no mapping rule "
            + ("and not in the scheme" if scheme is not None else "(kept as is)"),
            int(n),
            str(tier),
        )
    out = events.merge(pairs[["tier", "code", "_tier", "_code"]], on=["tier", "code"], how="left")
    out["tier"], out["code"] = out.pop("_tier"), out.pop("_code")
    out.index = events.index
    return out, report
