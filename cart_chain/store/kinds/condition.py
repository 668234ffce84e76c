"""Chain of condition: a temperature logger's file imported for one transport leg."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

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
from cart_chain.store.models import ConditionLog

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

CONDITION_IMPORTED = "condition_imported"

_SPAN = {"start": req(str), "end": req(str), "duration_s": req(*NUMBER)}


def _rows(e: Entry) -> Iterator[Row]:
    """A logger file for one leg; its bytes are in condition_files, checked by `verify`."""
    p = e.payload
    yield (
        ConditionLog,
        dict(
            entry_seq=e.seq,
            unit_code=p["unit"],
            coi=p["coi"],
            leg_seq=p["leg_seq"],
            step=p["step"],
            sha256=p["file"]["sha256"],
            size=p["file"]["size"],
            serial=p["logger"]["serial"],
            format=p["logger"]["format"],
        ),
    )
    yield from signature_rows(e)


def _text(p: Mapping[str, Any]) -> AuditText:
    s, logger = p.get("summary") or {}, p.get("logger") or {}
    return AuditText(
        "temperature logger imported",
        f"leg #{p.get('leg_seq')} ({p.get('step')}); logger {logger.get('serial') or '?'} "
        f"({logger.get('format')}); {s.get('samples')} samples, min {s.get('min_c')} °C, "
        f"max {s.get('max_c')} °C; {len(p.get('excursions') or ())} excursion(s), "
        f"{len(p.get('gaps') or ())} gap(s); file sha256 {(p.get('file') or {}).get('sha256')}",
    )


register(
    Kind(
        CONDITION_IMPORTED,
        "A shipper's temperature logger file for one leg: its SHA-256, what was read from "
        "it, the limits it was checked against, and its excursions and gaps.",
        {
            "unit": req(str),
            "coi": req(str),
            "leg_seq": req(int),
            "step": req(str),
            "handoff_at": req(str),
            "receipt_at": opt(str),
            "file": req(
                dict,
                fields={
                    "sha256": req(str),
                    "size": req(int),
                    "name": opt(str),
                    "attachment": opt(str),
                },
            ),
            "read_with": req(dict, fields={"format": req(str), "tz": opt(str), "unit": opt(str)}),
            "logger": req(
                dict,
                fields={
                    "serial": opt(str),
                    "format": req(str),
                    "started": opt(str),
                    "stopped": opt(str),
                    "interval_s": opt(*NUMBER),
                    "timezone": opt(str),
                },
            ),
            "limits": req(
                dict,
                fields={
                    "low_c": opt(*NUMBER),
                    "high_c": opt(*NUMBER),
                    "tolerated_s": opt(*NUMBER),
                    "what": req(str),
                },
            ),
            "summary": req(
                dict,
                fields={
                    "samples": req(int),
                    "first": req(str),
                    "last": req(str),
                    "min_c": req(*NUMBER),
                    "max_c": req(*NUMBER),
                    "mkt_c": opt(*NUMBER),
                    "interval_s": opt(*NUMBER),
                },
            ),
            "excursions": req(
                list,
                item=req(
                    dict,
                    fields={
                        **_SPAN,
                        "extreme_c": req(*NUMBER),
                        "samples": req(int),
                        "tolerated": req(bool),
                    },
                ),
            ),
            "gaps": req(list, item=req(dict, fields=_SPAN)),
            "flags": req(dict, fields={"started_late": req(bool), "stopped_early": req(bool)}),
            "signatures": SIGNATURES,
        },
        rows=_rows,
        audit=_text,
    ),
)
