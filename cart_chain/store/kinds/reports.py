"""Exports: a custody report or an audit export written to a file, with its SHA-256."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cart_chain.store.kinds.registry import AuditText, Kind, opt, register, req

REPORT_EXPORTED = "report_exported"


def _exported_text(p: Mapping[str, Any]) -> AuditText:
    filters = p.get("filters") or {}
    flt = ", ".join(f"{k} {v}" for k, v in sorted(filters.items())) or "all entries"
    return AuditText(
        f"{p.get('report')} report exported",
        f"{p.get('file')} ({p.get('format')}); {p.get('entries')} entries; {flt}; "
        f"checkpoint {p.get('checkpoint', {}).get('seq')}; sha256 {p.get('sha256')}"
        + (f"; verified in full from entry {p['verified_from']}" if p.get("verified_from") else ""),
    )


register(
    Kind(
        REPORT_EXPORTED,
        "Who exported which report to which file, its SHA-256 and the checkpoint it shows.",
        {
            "report": req(str),
            "report_id": req(str),
            "format": req(str),
            "file": req(str),
            "sha256": req(str),
            "entries": req(int),
            "filters": req(dict),
            "checkpoint": req(dict, fields={"seq": req(int), "hash": req(str)}),
            "verified": req(bool),
            #: The first entry `verify` redid in full, when it resumed at a checkpoint.
            "verified_from": opt(int),
            "coi": opt(str),
        },
        audit=_exported_text,
    ),
)
