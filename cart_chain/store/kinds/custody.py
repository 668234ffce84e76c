"""Custody steps: a step recorded on a unit, and a unit split into bags at expansion."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cart_chain.domain.effective import VOID
from cart_chain.store.kinds import checks
from cart_chain.store.kinds.formats import fmt, step_label
from cart_chain.store.kinds.registry import (
    NUMBER,
    SIGNATURES,
    AuditText,
    Kind,
    Row,
    opt,
    register,
    req,
    signature_rows,
)
from cart_chain.store.models import Event, Unit

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

EVENT_RECORDED = "event_recorded"
UNIT_SPLIT = "unit_split"


def _event_row(e: Entry, unit: str, p: Mapping[str, Any]) -> Row:
    return Event, dict(
        entry_seq=e.seq,
        unit_code=unit,
        step=p["step"],
        occurred_at=p["occurred_at"],
        location=p.get("location"),
        temperature_c=p.get("temperature_c"),
        note=p.get("note"),
        by_user=p["by"],
        to_user=p.get("to"),
        started_at=p.get("started_at"),
        condition=p.get("condition"),
        volume_ml=p.get("volume_ml"),
        anticoagulant=p.get("anticoagulant"),
    )


def _event_recorded(e: Entry) -> Iterator[Row]:
    yield _event_row(e, e.payload["unit"], e.payload)
    yield from signature_rows(e)


def _event_text(p: Mapping[str, Any]) -> AuditText:
    # Each key read once: the audit export describes every step of the ledger this way.
    get = p.get
    started = get("started_at")
    parts = [f"started {started}"] if started else []
    parts.append(f"occurred {get('occurred_at')}")
    if location := get("location"):
        parts.append(f"at {location}")
    if (temperature := get("temperature_c")) is not None:
        parts.append(f"{fmt(temperature)} °C")
    if (volume := get("volume_ml")) is not None:
        parts.append(f"volume {fmt(volume)} mL")
    if anticoagulant := get("anticoagulant"):
        parts.append(f"anticoagulant {anticoagulant}")
    if condition := get("condition"):
        parts.append(f"condition: {condition}")
    if note := get("note"):
        parts.append(f"note: {note}")
    return AuditText(f"step: {step_label(get('step'))}", "; ".join(parts))


def _unit_split(e: Entry) -> Iterator[Row]:
    p = e.payload
    for child in p["children"]:
        yield (
            Unit,
            dict(
                unit_code=child["unit"],
                entry_seq=e.seq,
                coi=p["coi"],
                number=child["number"],
                parent_unit=p["parent"],
            ),
        )
    for child in p["children"]:
        yield _event_row(e, child["unit"], p)
    yield from signature_rows(e)


def _split_text(p: Mapping[str, Any]) -> AuditText:
    kids = ", ".join(str(c.get("unit")) for c in p.get("children", ()))
    return AuditText("unit split", f"into {kids}")


#: What a step's payload may say beside its unit and case (a split says it of each bag).
STEP_FACTS = {
    "step": req(str),
    "occurred_at": req(str),
    "started_at": opt(str),  # thaw and infusion, from 0003 on
    "location": opt(str),
    "temperature_c": opt(*NUMBER),
    "note": opt(str),
    "by": req(str),
    "to": opt(str),
    "signatures": SIGNATURES,
}

register(
    Kind(
        EVENT_RECORDED,
        "A custody step of one unit, signed by who did it (and who took it over).",
        {
            "unit": req(str),
            "coi": req(str),
            **STEP_FACTS,
            "condition": opt(str),  # receipts
            "volume_ml": opt(*NUMBER),  # collection only (0006)
            "anticoagulant": opt(str),  # collection only (0006)
        },
        rows=_event_recorded,
        audit=_event_text,
        # Per step, the authority table says who may; volume and anticoagulant only
        # on the collection step (the only step that records them).
        correctable={
            "location": checks.location,
            "temperature_c": checks.temperature,
            "note": checks.note,
            "occurred_at": checks.moment,
            VOID: checks.note,
            "volume_ml": checks.volume,
            "anticoagulant": checks.anticoagulant,
        },
    ),
    Kind(
        UNIT_SPLIT,
        "A unit split into bags at expansion: the new units, each with the expansion step.",
        {
            "coi": req(str),
            "parent": req(str),
            "children": req(list, item=req(dict, fields={"unit": req(str), "number": req(int)})),
            **STEP_FACTS,
        },
        rows=_unit_split,
        audit=_split_text,
        correctable={"note": checks.note, "location": checks.location},
    ),
)
