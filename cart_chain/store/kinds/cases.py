"""A case's enrolment, and the manufacturer's identifiers linked to it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cart_chain.domain.manufacturer import CASE_LINKED, LINK_KINDS
from cart_chain.domain.text import clean_identifier
from cart_chain.store.kinds import checks
from cart_chain.store.kinds.admin import din_row
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
from cart_chain.store.models import Case, CaseLink, CaseProfile, Unit

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

CASE_CREATED = "case_created"


def _case_created(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        Case,
        dict(
            coi=p["coi"],
            entry_seq=e.seq,
            facility=p["facility"],
            year=p["year"],
            patient_name=p["patient"]["name"],
            patient_dob=p["patient"]["dob"],
            mrn=p["patient"]["mrn"],
            product=p["product"],
            profile_id=(p.get("profile") or {}).get("id"),
            profile_version=(p.get("profile") or {}).get("version"),
        ),
    )
    for number, code in enumerate(p["units"], start=1):
        yield (
            Unit,
            dict(unit_code=code, entry_seq=e.seq, coi=p["coi"], number=number, parent_unit=None),
        )
    # One DIN per collection, in unit order (cases enrolled before 0004 have none).
    for code, din in zip(p["units"], p.get("dins", ()), strict=False):
        yield din_row(e, din, code, p["coi"])
    if p.get("profile"):
        yield CaseProfile, dict(coi=p["coi"], entry_seq=e.seq, profile=profile_text(p["profile"]))
    # Who enrolled it (projected from migration 0009 on, which wrote the earlier ones).
    yield from signature_rows(e)


def profile_text(profile: Mapping[str, Any]) -> str:
    """The stored form of an enrolment's profile copy: one text for one copy (sorted keys),
    so `verify` compares it exactly. Migration 0009 writes the same form."""
    return json.dumps(profile, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _case_created_text(p: Mapping[str, Any]) -> AuditText:
    units = p.get("units") or []
    return AuditText("case enrolled", f"product {p.get('product')}; {len(units)} unit(s)")


def _case_linked(e: Entry) -> Iterator[Row]:
    """One row per identifier linked, in the fixed order of the kinds."""
    p = e.payload
    for kind in LINK_KINDS:
        if kind in p["links"]:
            yield (
                CaseLink,
                dict(
                    entry_seq=e.seq,
                    kind=kind,
                    value=p["links"][kind],
                    coi=p["coi"],
                    unit_code=p.get("unit"),
                ),
            )
    yield from signature_rows(e)


register(
    Kind(
        CASE_CREATED,
        "A case enrolled: its COI, the patient's identity, product, profile copy, units, DINs.",
        {
            "coi": req(str),
            "facility": req(str),
            "year": req(int),
            "patient": req(dict, fields={"name": req(str), "dob": req(str), "mrn": req(str)}),
            "product": req(str),
            "profile": opt(dict),  # the product profile as enrolled (its own schema)
            "units": req(list, item=req(str)),
            "dins": opt(list, item=req(str)),  # from 0004 on
            "signatures": SIGNATURES,
        },
        rows=_case_created,
        audit=_case_created_text,
        correctable={
            "patient_name": checks.required("patient name"),
            "patient_dob": checks.dob,
            "mrn": checks.required("MRN", clean_identifier),
            "product": checks.required("product"),
        },
    ),
    Kind(
        CASE_LINKED,
        "A manufacturer's identifiers (its COI, order, lot...) linked to a case or unit.",
        {
            "coi": req(str),
            "unit": opt(str),
            "links": req(dict, fields={k: opt(str) for k in LINK_KINDS}),
            "by": req(str),
            "signatures": SIGNATURES,
        },
        rows=_case_linked,
        correctable={k: checks.link(k) for k in LINK_KINDS},
    ),
)
