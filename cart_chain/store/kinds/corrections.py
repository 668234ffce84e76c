"""A correction: a signed entry naming the entry it corrects, old and new values, and why."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cart_chain.domain.manufacturer import CASE_LINKED
from cart_chain.store.kinds.formats import fmt
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
from cart_chain.store.models import CaseLink, Correction

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

CORRECTION = "correction"


def _correction(e: Entry) -> Iterator[Row]:
    p = e.payload
    for i, change in enumerate(p["changes"], start=1):
        yield (
            Correction,
            dict(
                entry_seq=e.seq,
                ordinal=i,
                target_seq=p["target_seq"],
                field=change["field"],
                old_value=change["old"],
                new_value=change["new"],
                reason=p["reason"],
            ),
        )
    if p.get("target_kind") == CASE_LINKED:
        # The corrected identifier, under the correction's entry; an empty value takes
        # it off. Readers keep, per linked entry and kind, only the latest (`links`).
        for change in p["changes"]:
            if change["new"]:
                yield (
                    CaseLink,
                    dict(
                        entry_seq=e.seq,
                        kind=change["field"],
                        value=change["new"],
                        coi=p["coi"],
                        unit_code=p.get("unit"),
                    ),
                )
    yield from signature_rows(e)


def _correction_text(p: Mapping[str, Any]) -> AuditText:
    changes = p.get("changes", ())
    return AuditText(
        f"correction of entry {p.get('target_seq')} ({p.get('target_kind')})",
        before="; ".join(f"{c.get('field')}: {fmt(c.get('old'))}" for c in changes),
        after="; ".join(f"{c.get('field')}: {fmt(c.get('new'))}" for c in changes),
        reason=str(p.get("reason") or ""),
    )


register(
    Kind(
        CORRECTION,
        "Corrects fields of an earlier entry (never changing it); who may: the table's row "
        "of the corrected entry.",
        {
            "target_seq": req(int),
            "target_kind": req(str),
            "coi": opt(str),
            "unit": opt(str),
            "changes": req(
                list,
                item=req(dict, fields={"field": req(str), "old": opt(str), "new": req(str)}),
            ),
            "reason": req(str),
            "signatures": SIGNATURES,
        },
        rows=_correction,
        audit=_correction_text,
    ),
)
