"""The patient's side and the infusion gates: patient events (bridging therapy,
lymphodepletion, the bedside identity check), deviations and their review, gate overrides."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cart_chain.store.kinds import checks
from cart_chain.store.kinds.registry import (
    SIGNATURES,
    AuditText,
    Kind,
    Row,
    opt,
    register,
    req,
    signature_rows,
)
from cart_chain.store.models import Deviation, DeviationReview, GateOverride, PatientEvent

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry


def _patient_event(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        PatientEvent,
        dict(
            entry_seq=e.seq,
            coi=p["coi"],
            kind=p["kind"],
            occurred_at=p["occurred_at"],
            unit_code=p.get("unit"),
            detail=p.get("detail"),
            by_user=p["by"],
            to_user=p.get("to"),
        ),
    )
    yield from signature_rows(e)


def _patient_text(p: Mapping[str, Any]) -> AuditText:
    details = f"occurred {p.get('occurred_at')}"
    if p.get("detail"):
        details += f"; {p.get('detail')}"
    return AuditText(f"patient: {str(p.get('kind')).replace('_', ' ')}", details)


def _deviation_opened(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        Deviation,
        dict(
            entry_seq=e.seq,
            coi=p["coi"],
            unit_code=p["unit"],
            event_seq=p["event_seq"],
            step=p["step"],
            rule=p["rule"],
            detail=p["detail"],
            limit_value=p["limit"],
            actual=p["actual"],
        ),
    )


def _opened_text(p: Mapping[str, Any]) -> AuditText:
    return AuditText(
        f"deviation opened ({p.get('rule')})",
        f"{p.get('detail')}; limit {p.get('limit')}, actual {p.get('actual')}; "
        f"step entry {p.get('event_seq')}",
    )


def _deviation_reviewed(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        DeviationReview,
        dict(
            entry_seq=e.seq,
            deviation_seq=p["deviation_seq"],
            decision=p["decision"],
            reason=p["reason"],
        ),
    )
    yield from signature_rows(e)


#: QA's decisions as the audit report states them: a rejection is a decision, not a wait.
_DECIDED = {"accept": "accepted", "reject": "REJECTED", "quarantine": "put in quarantine"}


def _reviewed_text(p: Mapping[str, Any]) -> AuditText:
    decision = str(p.get("decision"))
    return AuditText(
        f"deviation #{p.get('deviation_seq')} {_DECIDED.get(decision, decision)} by QA",
        f"QA decision: {decision}",
        reason=str(p.get("reason") or ""),
    )


def _gate_override(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        GateOverride,
        dict(
            entry_seq=e.seq, coi=p["coi"], unit_code=p["unit"], gate=p["gate"], reason=p["reason"]
        ),
    )
    yield from signature_rows(e)


def _override_text(p: Mapping[str, Any]) -> AuditText:
    return AuditText(
        f"infusion gate overridden: {p.get('gate')}", reason=str(p.get("reason") or "")
    )


register(
    Kind(
        "patient_event",
        "Something that happened to the patient: bridging therapy, lymphodepletion, the "
        "bedside identity check (two people).",
        {
            "coi": req(str),
            "kind": req(str),
            "occurred_at": req(str),
            "unit": opt(str),
            "detail": opt(str),
            "by": req(str),
            "to": opt(str),
            "signatures": SIGNATURES,
        },
        rows=_patient_event,
        audit=_patient_text,
    ),
    Kind(
        "deviation_opened",
        "A step broke a rule of the product's profile (a window, a temperature range).",
        {
            "coi": req(str),
            "unit": req(str),
            "event_seq": req(int),
            "step": req(str),
            "rule": req(str),
            "detail": req(str),
            "limit": req(str),
            "actual": req(str),
        },
        rows=_deviation_opened,
        audit=_opened_text,
    ),
    Kind(
        "deviation_reviewed",
        "QA's decision on a deviation (accept, reject...), with its reason.",
        {
            "deviation_seq": req(int),
            "coi": opt(str),
            "unit": opt(str),
            "decision": req(str),
            "reason": req(str),
            "signatures": SIGNATURES,
        },
        rows=_deviation_reviewed,
        audit=_reviewed_text,
        correctable={"reason": checks.reason},
    ),
    Kind(
        "gate_override",
        "QA lets an infusion go ahead past a closed gate, with its reason.",
        {
            "coi": req(str),
            "unit": req(str),
            "gate": req(str),
            "reason": req(str),
            "signatures": SIGNATURES,
        },
        rows=_gate_override,
        audit=_override_text,
        correctable={"reason": checks.reason},
    ),
)
