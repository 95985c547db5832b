"""Coding schemes: the tiers, codes, shortcut keys and metric roles a study codes with.

A scheme is a TOML file (see ``schemes/default.toml``) declaring tiers (name, ``point`` or ``state``,
exclusive or not, which partner), their codes (name, shortcut key, colour, description, valence), the
roles the metrics use (``bid``, ``response``, the partners' ``*_engagement`` tiers, ``phase``) and the
matched pairs of engagement codes (SCIENCE.md §2). The default scheme follows the monadic-phase tradition
(Tronick & Cohn, 1989; Weinberg & Tronick's ICEP) in a compact form.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError

__all__ = [
    "Code",
    "Roles",
    "Scheme",
    "SchemeError",
    "Tier",
    "bundled_path",
    "load_scheme",
    "scheme_names",
]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class SchemeError(DataError):
    """A scheme file that cannot be used; ``str()`` is one line naming the file and the field."""

    def __init__(self, path: str | Path, field_name: str, message: str) -> None:
        self.path = str(path)
        self.field = field_name
        self.message = message
        super().__init__(f"{self.path}: {field_name}: {message}")


@dataclass(frozen=True)
class Code:
    """One code of a tier, with its shortcut key and display colour."""

    name: str
    key: str
    color: str
    description: str = ""
    valence: float | None = None


@dataclass(frozen=True)
class Tier:
    """A tier: a family of codes coded as ``point`` events or ``state`` intervals."""

    name: str
    kind: str  # "point" or "state"
    exclusive: bool
    partner: str
    codes: tuple[Code, ...]

    @property
    def is_state(self) -> bool:
        return self.kind == "state"

    @property
    def code_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.codes)

    def code(self, name: str) -> Code:
        for c in self.codes:
            if c.name == name:
                return c
        raise KeyError(f"tier {self.name!r} has no code {name!r}")


@dataclass(frozen=True)
class Roles:
    """Which tiers play which part in the metrics of SCIENCE.md §3 (``None``: not coded)."""

    bid: str | None = None
    response: str | None = None
    infant_engagement: str | None = None
    caregiver_engagement: str | None = None
    phase: str | None = None


@dataclass(frozen=True)
class Scheme:
    """A coding scheme (SCIENCE.md §2). Build it with :func:`load_scheme`."""

    name: str
    description: str
    tiers: tuple[Tier, ...]
    roles: Roles
    matched_pairs: tuple[tuple[str, str], ...] = ()
    path: Path | None = field(default=None, compare=False)

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise KeyError(f"scheme {self.name!r} has no tier {name!r}")

    def has_tier(self, name: str) -> bool:
        return any(t.name == name for t in self.tiers)

    def valence(self, tier: str, code: str) -> float | None:
        return self.tier(tier).code(code).valence

    def key_map(self) -> dict[str, tuple[str, str]]:
        """Shortcut key -> (tier, code)."""
        return {c.key: (t.name, c.name) for t in self.tiers for c in t.codes}


def bundled_path(kind: str) -> Path:
    """The folder of bundled ``schemes`` or ``sample_sessions``, installed or in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundled" / kind, here.parents[1] / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {kind!r} not found beside {here}")


def scheme_names() -> list[str]:
    """Names of the bundled schemes (usable as ``load_scheme(name)``)."""
    return sorted(p.stem for p in bundled_path("schemes").glob("*.toml"))


def load_scheme(path: str | Path | None = None) -> Scheme:
    """Load a coding scheme.

    Parameters
    ----------
    path
        A TOML file, the name of a bundled scheme (``"default"``, ``"contingency"``), or ``None`` for
        the default scheme.

    Returns
    -------
    Scheme
        The validated, immutable scheme.

    Raises
    ------
    SchemeError
        The file is missing, not TOML, or breaks a rule (unknown tier kind, duplicate key, a role
        naming an unknown tier, a matched pair naming an unknown code ...).
    """
    if path is None:
        path = "default"
    p = Path(path)
    if not p.suffix and not p.exists():
        p = bundled_path("schemes") / f"{path}.toml"
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        names = ", ".join(scheme_names())
        raise SchemeError(path, "file", f"no such scheme file (bundled schemes: {names})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemeError(p, "file", f"cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(p, "file", f"not valid TOML: {exc}") from None
    return _parse(data, p)


def _parse(data: dict, p: Path) -> Scheme:
    raw_tiers = data.get("tiers")
    if not isinstance(raw_tiers, list) or not raw_tiers:
        raise SchemeError(p, "tiers", "a scheme needs at least one [[tiers]] table")
    tiers: list[Tier] = []
    keys: dict[str, str] = {}
    for i, rt in enumerate(raw_tiers):
        where = f"tiers[{i}]"
        name = rt.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SchemeError(p, f"{where}.name", "missing tier name")
        if any(t.name == name for t in tiers):
            raise SchemeError(p, f"{where}.name", f"duplicate tier {name!r}")
        kind = rt.get("kind")
        if kind not in ("point", "state"):
            raise SchemeError(p, f"{name}.kind", f"must be 'point' or 'state', not {kind!r}")
        codes: list[Code] = []
        for j, rc in enumerate(rt.get("codes", [])):
            cname = rc.get("name")
            cwhere = f"{name}.codes[{j}]"
            if not isinstance(cname, str) or not cname.strip():
                raise SchemeError(p, f"{cwhere}.name", "missing code name")
            if cname in (c.name for c in codes):
                raise SchemeError(p, f"{cwhere}.name", f"duplicate code {cname!r}")
            key = str(rc.get("key", ""))
            if key and key in keys:
                raise SchemeError(p, f"{cwhere}.key", f"key {key!r} already used by {keys[key]}")
            if key:
                keys[key] = f"{name}/{cname}"
            color = rc.get("color", "#808080")
            if not _COLOUR.match(str(color)):
                raise SchemeError(p, f"{cwhere}.color", f"{color!r} is not a #rrggbb colour")
            valence = rc.get("valence")
            if valence is not None and not isinstance(valence, int | float):
                raise SchemeError(p, f"{cwhere}.valence", f"{valence!r} is not a number")
            codes.append(
                Code(
                    name=cname,
                    key=key,
                    color=str(color),
                    description=str(rc.get("description", "")),
                    valence=None if valence is None else float(valence),
                )
            )
        if not codes:
            raise SchemeError(p, f"{name}.codes", "a tier needs at least one code")
        tiers.append(
            Tier(
                name=name,
                kind=kind,
                exclusive=bool(rt.get("exclusive", kind == "state")),
                partner=str(rt.get("partner", "")),
                codes=tuple(codes),
            )
        )

    raw_roles = dict(data.get("roles", {}))
    pairs = raw_roles.pop("matched_pairs", [])
    known_roles = set(Roles.__dataclass_fields__)
    for role, tier_name in raw_roles.items():
        if role not in known_roles:
            raise SchemeError(
                p, f"roles.{role}", f"unknown role (known: {', '.join(sorted(known_roles))})"
            )
        if tier_name not in {t.name for t in tiers}:
            raise SchemeError(p, f"roles.{role}", f"names unknown tier {tier_name!r}")
    roles = Roles(**raw_roles)
    by_name = {t.name: t for t in tiers}
    for role in ("infant_engagement", "caregiver_engagement", "phase"):
        tier_name = getattr(roles, role)
        if tier_name and not by_name[tier_name].is_state:
            raise SchemeError(p, f"roles.{role}", f"tier {tier_name!r} must be a state tier")
    matched: list[tuple[str, str]] = []
    for k, pair in enumerate(pairs):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise SchemeError(
                p, f"roles.matched_pairs[{k}]", "must be [infant_code, caregiver_code]"
            )
        if not (roles.infant_engagement and roles.caregiver_engagement):
            raise SchemeError(p, "roles.matched_pairs", "needs both engagement roles")
        for tier_name, code in zip(
            (roles.infant_engagement, roles.caregiver_engagement), pair, strict=False
        ):
            if code not in by_name[tier_name].code_names:
                raise SchemeError(
                    p, f"roles.matched_pairs[{k}]", f"{tier_name} has no code {code!r}"
                )
        matched.append((pair[0], pair[1]))
    return Scheme(
        name=str(data.get("name", p.stem)),
        description=str(data.get("description", "")),
        tiers=tuple(tiers),
        roles=roles,
        matched_pairs=tuple(matched),
        path=p,
    )
