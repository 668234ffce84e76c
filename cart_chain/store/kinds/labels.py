"""Labels printed, reprinted and voided, and scans the bag checks refused."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cart_chain.store.kinds.registry import (
    AuditText,
    Kind,
    Row,
    case_of,
    opt,
    register,
    req,
)
from cart_chain.store.models import LabelPrint, LabelVoid, RefusedScan

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

LABEL_PRINTED = "label_printed"
LABEL_VOIDED = "label_voided"
SCAN_REFUSED = "scan_refused"


def label_kind(p: Mapping[str, Any]) -> str:
    """The label kind and the revision of the template it was printed from ("bag rev 1")."""
    kind = str(p.get("kind") or "label")
    layout = str(p.get("layout") or "")
    return f"{kind} rev {layout.split('@', 1)[1]}" if "@" in layout else kind


def _label_printed(e: Entry) -> Iterator[Row]:
    """The new label, and a void row for each earlier label of the same kind it replaces."""
    p = e.payload
    yield (
        LabelPrint,
        dict(
            unit_code=p["unit"],
            serial=p["serial"],
            entry_seq=e.seq,
            coi=p["coi"],
            kind=p["kind"],
            layout=p["layout"],
            step=p["step"],
            printed_by=p["by"],
            reason=p.get("reason"),
        ),
    )
    for serial in p.get("voids", ()):
        yield (
            LabelVoid,
            dict(
                entry_seq=e.seq,
                unit_code=p["unit"],
                serial=serial,
                reason=p["reason"],
                replaced_by=p["serial"],
            ),
        )


def _printed_text(p: Mapping[str, Any]) -> AuditText:
    details = f"{label_kind(p)} serial {p.get('serial')}"
    if p.get("voids"):
        details += f"; replaces serial(s) {', '.join(str(v) for v in p['voids'])}"
    action = "label reprinted" if p.get("reason") else "label printed"
    return AuditText(action, details, reason=str(p.get("reason") or ""))


def _label_voided(e: Entry) -> Iterator[Row]:
    p = e.payload
    for serial in p["serials"]:
        yield (
            LabelVoid,
            dict(
                entry_seq=e.seq,
                unit_code=p["unit"],
                serial=serial,
                reason=p["reason"],
                replaced_by=None,
            ),
        )


def _voided_text(p: Mapping[str, Any]) -> AuditText:
    serials = ", ".join(str(x) for x in p.get("serials", ()))
    return AuditText("label voided", f"serial(s) {serials}", reason=str(p.get("reason") or ""))


#: Where a refused scan names a case: the expected one first (older entries: ``expected``).
_SCAN_CASE_KEYS = ("coi", "expected_coi", "expected", "scanned_coi")


def _scan_case(p: Mapping[str, Any]) -> str | None:
    for key in _SCAN_CASE_KEYS:
        value = p.get(key)
        if isinstance(value, str) and value:
            return value
    return case_of(p)


def _scan_case_set(p: Mapping[str, Any]) -> set[str]:
    """A refused scan concerns the expected case and the one scanned."""
    found = {v for k in _SCAN_CASE_KEYS if isinstance(v := p.get(k), str) and v}
    main = _scan_case(p)
    return found | {main} if main else found


def _scan_cases(kind: Kind, p: Mapping[str, Any]) -> set[str]:
    return _scan_case_set(p)


def _scan_unit(p: Mapping[str, Any]) -> str:
    """The bag a refused scan named, when the scan named one ('' when not known)."""
    return str(p.get("scanned_unit") or p.get("unit") or "")


def _refused_rows(e: Entry) -> Iterator[Row]:
    """One row per case the refusal concerns (`_scan_case_set`), in COI order."""
    p = e.payload
    for coi in sorted(_scan_case_set(p)):
        yield (
            RefusedScan,
            dict(
                entry_seq=e.seq,
                coi=coi,
                unit_code=_scan_unit(p) or None,
                scanned=p.get("scanned") or p.get("got"),
                reason=str(p.get("reason") or ""),
                by_user=p.get("by") or e.actor,
            ),
        )


def _refused_text(p: Mapping[str, Any]) -> AuditText:
    scanned = p.get("scanned") or p.get("got")
    details = f"scanned {scanned}" if scanned else ""
    coi = _scan_case(p)
    if p.get("scanned_coi") and p.get("scanned_coi") != coi:
        details += f" (case {p['scanned_coi']})"
    return AuditText("scan refused", details, reason=str(p.get("reason") or ""))


register(
    Kind(
        LABEL_PRINTED,
        "A label printed (or reprinted, with why, voiding the labels it replaces).",
        {
            "coi": req(str),
            "unit": req(str),
            "serial": req(int),
            "kind": req(str),
            "step": req(str),
            "layout": req(str),
            "layout_sha256": opt(str),
            "format": opt(str),
            "dpi": opt(int),
            "destination": opt(str),
            "by": req(str),
            "reason": opt(str),
            "reprint": opt(bool),
            "voids": opt(list, item=req(int)),
        },
        rows=_label_printed,
        audit=_printed_text,
    ),
    Kind(
        LABEL_VOIDED,
        "Labels of a unit voided (destroyed, lost) without a reprint.",
        {
            "coi": opt(str),
            "unit": req(str),
            "serials": req(list, item=req(int)),
            "by": req(str),
            "reason": req(str),
        },
        rows=_label_voided,
        audit=_voided_text,
    ),
    Kind(
        SCAN_REFUSED,
        "A scan the bag check refused (wrong patient, voided label, misread...).",
        {
            "by": req(str),
            "reason": req(str),
            "expected_coi": opt(str),
            "scanned": opt(str),
            "scanned_coi": opt(str),
            "scanned_unit": opt(str),
            # as older entries (and the custody tests' fixtures) name them
            "coi": opt(str),
            "unit": opt(str),
            "expected": opt(str),
            "got": opt(str),
        },
        rows=_refused_rows,
        audit=_refused_text,
        case=_scan_case,
        cases=_scan_cases,
        unit=_scan_unit,
    ),
)
