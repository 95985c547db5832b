"""ELAN annotation documents (``.eaf``, EAF 2.x/3.x) in and out.

Reading: each tier becomes a tier of ours (its ``ANNOTATOR`` the coder), each time-aligned annotation
a state event, a zero-length one a point event. Two things ELAN allows need a decision, and both are
reported, never silent:

* **Unaligned time slots** (a ``TIME_SLOT`` without ``TIME_VALUE``, as in time subdivisions): ELAN
  shows them spread evenly between the neighbouring aligned slots of the same tier; we do the same —
  linear interpolation over the tier's slots in ``TIME_ORDER`` order — mark those rows
  ``time_source = interpolated`` and count them in the report. A slot with no aligned slot before or
  after it on its tier cannot be placed: its annotations are skipped, with that reason.
* **Referring annotations** (``REF_ANNOTATION``: symbolic subdivision or association) have no times
  of their own; they inherit their (ultimately time-aligned) parent's interval, marked
  ``time_source = inherited``.

The ``time_source`` column is added only when some row is not directly aligned. Writing: one document
per session (a folder of ``<session>.eaf`` when there are several), one tier per (tier, coder) with
``ANNOTATOR`` set, the session kept in a header ``PROPERTY``; modifiers, comments and frame columns have
no place in ELAN and are reported as lost.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from ..events import REQUIRED_COLUMNS, atomic_write_text
from ..scheme import Scheme
from .report import ConversionReport, InteropError

__all__ = ["SESSION_PROPERTY", "read_eaf", "write_eaf"]

SESSION_PROPERTY = "synchrony_coder:session"
_LT = "synchrony_coder"


def read_eaf(
    path: str | Path, *, coder: str = "unknown", session: str | None = None
) -> tuple[pd.DataFrame, ConversionReport]:
    """Read an ELAN document into an events table.

    Parameters
    ----------
    path
        The ``.eaf`` file.
    coder
        Coder of tiers without an ``ANNOTATOR`` attribute.
    session
        Session identifier; default: the document's ``synchrony_coder:session`` property, else the
        file name without extension.

    Returns
    -------
    (events, report)
        ``events`` has the required columns (plus ``time_source`` when some times were interpolated
        or inherited); ``report`` accounts for every annotation not imported as it stands.
    """
    path = Path(path)
    report = ConversionReport(str(path), "eaf")
    root = _parse(path)
    units = root.find("HEADER")
    if units is not None and units.get("TIME_UNITS", "milliseconds") != "milliseconds":
        raise InteropError(path, f"TIME_UNITS {units.get('TIME_UNITS')!r} is not supported")
    session = session or _session_property(root) or path.stem
    origin_ms = _time_origin(root, report)

    slot_ids, slot_ms = [], []
    for ts in root.iter("TIME_SLOT"):
        slot_ids.append(ts.get("TIME_SLOT_ID"))
        value = ts.get("TIME_VALUE")
        try:
            slot_ms.append(np.nan if value in (None, "") else float(value))
        except ValueError:
            raise InteropError(
                path, f"time slot {ts.get('TIME_SLOT_ID')}: TIME_VALUE {value!r} is not a number"
            ) from None
    slot_pos = {sid: i for i, sid in enumerate(slot_ids)}
    slot_ms_arr = np.asarray(slot_ms, dtype=float)

    aligned: dict[str, tuple[float, float, str]] = {}  # annotation id -> (on_ms, off_ms, source)
    rows: list[tuple[str, str, str, float, float, str]] = []
    refs: list[tuple[str, str, str, str, str, str]] = []  # tier, coder, id, parent, value, TIER_ID
    for tier in root.iter("TIER"):
        tier_id = tier.get("TIER_ID", "")
        annotator = (tier.get("ANNOTATOR") or "").strip()
        name = tier_id
        if annotator and tier_id.endswith(f" ({annotator})"):
            name = tier_id[: -len(annotator) - 3]
        who = annotator or coder
        anns = tier.findall("ANNOTATION/ALIGNABLE_ANNOTATION")
        if anns:
            rows.extend(
                _aligned_rows(anns, name, who, slot_pos, slot_ms_arr, aligned, report, tier_id)
            )
        for ref in tier.findall("ANNOTATION/REF_ANNOTATION"):
            refs.append(
                (
                    name,
                    who,
                    ref.get("ANNOTATION_ID", ""),
                    ref.get("ANNOTATION_REF", ""),
                    (ref.findtext("ANNOTATION_VALUE") or "").strip(),
                    tier_id,
                )
            )
    rows.extend(_referring_rows(refs, aligned, report))

    df = pd.DataFrame(rows, columns=["tier", "coder", "code", "onset_ms", "offset_ms", "src"])
    df.insert(0, "session", session)
    on = (df["onset_ms"].to_numpy(float) + origin_ms) / 1000.0
    off = (df["offset_ms"].to_numpy(float) + origin_ms) / 1000.0
    point = on == off
    if point.any():
        report.note("info", "zero-length annotation(s) imported as point events", int(point.sum()))
    df["onset_s"] = np.round(on, 3)
    df["offset_s"] = np.where(point, np.nan, np.round(off, 3))
    out = df[list(REQUIRED_COLUMNS)].copy()
    if (df["src"] != "aligned").any():
        out["time_source"] = df["src"].to_numpy()
    report.n_events = len(out)
    return out.reset_index(drop=True), report


def _parse(path: Path) -> ET.Element:
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise InteropError(path, "no such file") from None
    except (ET.ParseError, OSError) as exc:
        raise InteropError(path, f"not a readable ELAN (XML) file: {exc}") from None
    if root.tag != "ANNOTATION_DOCUMENT":
        raise InteropError(path, f"not an ELAN document (root element <{root.tag}>)")
    return root


def _session_property(root: ET.Element) -> str | None:
    for prop in root.iterfind("HEADER/PROPERTY"):
        if prop.get("NAME") == SESSION_PROPERTY and (prop.text or "").strip():
            return prop.text.strip()
    return None


def _time_origin(root: ET.Element, report: ConversionReport) -> float:
    """The primary medium's ``TIME_ORIGIN`` (ms): annotation time 0 is that point of the video."""
    media = root.find("HEADER/MEDIA_DESCRIPTOR")
    origin = float(media.get("TIME_ORIGIN") or 0) if media is not None else 0.0
    if origin:
        report.note(
            "offset",
            f"primary medium {media.get('MEDIA_URL', '')} has TIME_ORIGIN {origin:g} ms: "
            "added to every time so that times count from the video's first frame",
        )
    return origin


def _aligned_rows(
    anns: list[ET.Element],
    tier: str,
    coder: str,
    slot_pos: dict[str, int],
    slot_ms: np.ndarray,
    aligned: dict[str, tuple[float, float, str]],
    report: ConversionReport,
    where: str,
) -> list[tuple[str, str, str, float, float, str]]:
    """Rows of one tier's ALIGNABLE_ANNOTATIONs, unaligned slots interpolated along the tier."""
    ids = [a.get("ANNOTATION_ID", "") for a in anns]
    values = [(a.findtext("ANNOTATION_VALUE") or "").strip() for a in anns]
    try:
        r1 = np.array([slot_pos[a.get("TIME_SLOT_REF1")] for a in anns], dtype=np.int64)
        r2 = np.array([slot_pos[a.get("TIME_SLOT_REF2")] for a in anns], dtype=np.int64)
    except KeyError as exc:
        raise InteropError(report.source, f"tier {where}: unknown time slot {exc}") from None
    # the tier's own slots in TIME_ORDER order; unaligned ones spread evenly between aligned ones
    tier_slots = np.unique(np.concatenate([r1, r2]))
    values_ms = slot_ms[tier_slots]
    known = np.isfinite(values_ms)
    filled = values_ms.copy()
    if known.any() and not known.all():
        k = np.arange(len(tier_slots))
        filled = np.interp(k, k[known], values_ms[known], left=np.nan, right=np.nan)
    on = filled[np.searchsorted(tier_slots, r1)]
    off = filled[np.searchsorted(tier_slots, r2)]
    direct = np.isfinite(slot_ms[r1]) & np.isfinite(slot_ms[r2])
    placed = np.isfinite(on) & np.isfinite(off)
    empty = np.array([v == "" for v in values], dtype=bool)
    backwards = placed & (off < on)

    n_interp = int((placed & ~direct & ~empty & ~backwards).sum())
    if n_interp:
        report.note(
            "interpolated",
            "annotation(s) with unaligned time slots: times interpolated linearly between the "
            "tier's neighbouring aligned slots (as ELAN displays them), marked time_source=interpolated",
            n_interp,
            where,
        )
    if (~placed).any():
        report.note(
            "skipped",
            "annotation(s) with an unaligned time slot that has no aligned slot before or after it "
            "on the tier (times cannot be placed)",
            int((~placed).sum()),
            where,
        )
    for mask, why in (
        (placed & empty, f"of {len(anns)} annotation(s) on this tier have an empty value: "
                         "an event needs a code, so they were not imported"),
        (placed & ~empty & backwards, "annotation(s) ending before they start"),
    ):  # fmt: skip
        if mask.any():
            report.note("skipped", why, int(mask.sum()), where)
    keep = placed & ~empty & ~backwards
    for i in np.flatnonzero(placed & ~backwards):
        aligned[ids[i]] = (float(on[i]), float(off[i]), "aligned" if direct[i] else "interpolated")
    src = np.where(direct, "aligned", "interpolated")
    return [
        (tier, coder, values[i], float(on[i]), float(off[i]), str(src[i]))
        for i in np.flatnonzero(keep)
    ]


def _referring_rows(
    refs: list[tuple[str, str, str, str, str, str]],
    aligned: dict[str, tuple[float, float, str]],
    report: ConversionReport,
) -> list[tuple[str, str, str, float, float, str]]:
    """REF_ANNOTATIONs with the times of their nearest time-aligned ancestor."""
    parent = {ref[2]: ref[3] for ref in refs}
    rows = []
    inherited: dict[str, int] = {}
    orphans: dict[str, int] = {}
    empty: dict[str, int] = {}
    for tier, coder, ann_id, _, value, where in refs:
        node, seen = ann_id, set()
        while node in parent and node not in seen:  # walk up referring chains
            seen.add(node)
            node = parent[node]
        if node not in aligned:
            orphans[where] = orphans.get(where, 0) + 1
            continue
        if not value:
            empty[where] = empty.get(where, 0) + 1
            continue
        on, off, _ = aligned[node]
        rows.append((tier, coder, value, on, off, "inherited"))
        inherited[where] = inherited.get(where, 0) + 1
    for tier, n in inherited.items():
        report.note(
            "inherited",
            "referring annotation(s) (REF_ANNOTATION) imported with their time-aligned parent's "
            "times, marked time_source=inherited",
            n,
            tier,
        )
    for tier, n in orphans.items():
        report.note("skipped", "referring annotation(s) whose parent has no usable times", n, tier)
    total: dict[str, int] = {}
    for ref in refs:
        total[ref[5]] = total.get(ref[5], 0) + 1
    for tier, n in empty.items():
        report.note(
            "skipped",
            f"of {total[tier]} referring annotation(s) on this tier have an empty value: an event "
            "needs a code, so they were not imported",
            n,
            tier,
        )
    return rows


def write_eaf(
    events: pd.DataFrame, path: str | Path, scheme: Scheme | None = None
) -> ConversionReport:
    """Write events as ELAN documents.

    Parameters
    ----------
    events
        An events table (SCIENCE.md §1).
    path
        An ``.eaf`` file (one session only) or a folder (one ``<session>.eaf`` per session).
    scheme
        Optional: each of its tiers gets a controlled vocabulary of its codes, so that ELAN offers
        them when editing (point events need no tier kind: they are zero-length annotations).

    Returns
    -------
    ConversionReport
        Says which fields ELAN cannot hold (modifiers, comments, frames, extra columns).
    """
    path = Path(path)
    report = ConversionReport(str(path), "eaf", n_events=len(events))
    sessions = list(dict.fromkeys(events["session"].astype(str)))
    folder = path.suffix.lower() != ".eaf"
    if not folder and len(sessions) > 1:
        raise InteropError(
            path,
            f"ELAN holds one session per document and the table has {len(sessions)}: "
            "give a folder instead, to get one <session>.eaf each",
        )
    _report_lost(events, report)
    used: set[str] = set()
    for session in sessions:
        part = events[events["session"].astype(str) == session]
        stem, k = _safe_name(session), 1
        while stem.lower() in used:  # two sessions whose names reduce to the same file name
            k += 1
            stem = f"{_safe_name(session)}-{k}"
        used.add(stem.lower())
        target = path / f"{stem}.eaf" if folder else path
        atomic_write_text(target, _document(part, session, scheme))
    if folder:
        report.note("info", f"{len(sessions)} ELAN document(s), one per session, in {path}")
    return report


def _report_lost(events: pd.DataFrame, report: ConversionReport) -> None:
    for col in events.columns:
        if col in REQUIRED_COLUMNS or str(col).startswith("_"):
            continue
        s = events[col]
        filled = int((s.notna() & (s.astype(str).str.strip() != "")).sum())
        if filled:
            report.note("lost", f"column {col!r}: ELAN annotations have no place for it", filled)


def _document(events: pd.DataFrame, session: str, scheme: Scheme | None) -> str:
    root = ET.Element(
        "ANNOTATION_DOCUMENT",
        {
            "AUTHOR": "",
            "DATE": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "FORMAT": "3.0",
            "VERSION": "3.0",
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
        },
    )
    header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    ET.SubElement(header, "PROPERTY", {"NAME": SESSION_PROPERTY}).text = session

    ev = events.reset_index(drop=True)
    on_ms = np.rint(ev["onset_s"].to_numpy(float) * 1000).astype(np.int64)
    off = ev["offset_s"].to_numpy(float)
    off_ms = np.where(np.isnan(off), on_ms, np.rint(np.nan_to_num(off) * 1000)).astype(np.int64)
    # two slots per annotation, numbered in time order (ELAN expects TIME_ORDER sorted)
    values = np.concatenate([on_ms, off_ms])
    order = np.argsort(values, kind="stable")
    slot_no = np.empty(len(values), dtype=np.int64)
    slot_no[order] = np.arange(1, len(values) + 1)
    time_order = ET.SubElement(root, "TIME_ORDER")
    for k in order:
        ET.SubElement(
            time_order,
            "TIME_SLOT",
            {"TIME_SLOT_ID": f"ts{slot_no[k]}", "TIME_VALUE": str(int(values[k]))},
        )

    n = len(ev)
    coders = list(dict.fromkeys(ev["coder"].astype(str)))
    vocabularies = [
        t for t in (scheme.tiers if scheme else ()) if t.name in set(ev["tier"].astype(str))
    ]
    vocabulary_of = {t.name: f"{_LT}-{t.name}" for t in vocabularies}
    ann = 0
    for (coder, tier), idx in ev.groupby(["coder", "tier"], sort=False).indices.items():
        tier_id = str(tier) if len(coders) == 1 else f"{tier} ({coder})"
        el = ET.SubElement(
            root,
            "TIER",
            {
                "ANNOTATOR": str(coder),
                "LINGUISTIC_TYPE_REF": vocabulary_of.get(str(tier), _LT),
                "TIER_ID": tier_id,
            },
        )
        for i in idx[np.argsort(on_ms[idx], kind="stable")]:
            ann += 1
            a = ET.SubElement(
                ET.SubElement(el, "ANNOTATION"),
                "ALIGNABLE_ANNOTATION",
                {
                    "ANNOTATION_ID": f"a{ann}",
                    "TIME_SLOT_REF1": f"ts{slot_no[i]}",
                    "TIME_SLOT_REF2": f"ts{slot_no[n + i]}",
                },
            )
            ET.SubElement(a, "ANNOTATION_VALUE").text = str(ev.at[i, "code"])
    ET.SubElement(header, "PROPERTY", {"NAME": "lastUsedAnnotationId"}).text = str(ann)
    _vocabularies(root, vocabularies, vocabulary_of)
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _vocabularies(root: ET.Element, tiers: list, type_of: dict[str, str]) -> None:
    """Linguistic types, and with a scheme one controlled vocabulary per tier (its codes), in the
    element order of the EAF schema (LINGUISTIC_TYPE, LANGUAGE, CONTROLLED_VOCABULARY)."""
    base = {"GRAPHIC_REFERENCES": "false", "TIME_ALIGNABLE": "true"}
    ET.SubElement(root, "LINGUISTIC_TYPE", {**base, "LINGUISTIC_TYPE_ID": _LT})
    for t in tiers:
        ET.SubElement(
            root,
            "LINGUISTIC_TYPE",
            {**base, "CONTROLLED_VOCABULARY_REF": t.name, "LINGUISTIC_TYPE_ID": type_of[t.name]},
        )
    if not tiers:
        return
    ET.SubElement(
        root,
        "LANGUAGE",
        {
            "LANG_DEF": "http://cdb.iso.org/lg/CDB-00130975-001",
            "LANG_ID": "und",
            "LANG_LABEL": "undetermined (und)",
        },
    )
    k = 0
    for t in tiers:
        cv = ET.SubElement(root, "CONTROLLED_VOCABULARY", {"CV_ID": t.name})
        ET.SubElement(cv, "DESCRIPTION", {"LANG_REF": "und"}).text = f"{t.kind} tier"
        for code in t.codes:
            entry = ET.SubElement(cv, "CV_ENTRY_ML", {"CVE_ID": f"cveid{k}"})
            k += 1
            ET.SubElement(
                entry, "CVE_VALUE", {"DESCRIPTION": code.description, "LANG_REF": "und"}
            ).text = code.name


def _safe_name(name: str) -> str:
    """A file name for a session identifier (path separators and odd characters replaced)."""
    return "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip() or "session"
