"""Witnesses and key rotation: a new site key handed over by the old one, and what a
witness site records of the logs it cosigns (C2SP tlog-cosignature)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cart_chain.store.kinds.registry import AuditText, Kind, register, req

SITE_KEY_ROTATED = "site_key_rotated"
WITNESS_LOG_ACCEPTED = "witness_log_accepted"
WITNESS_LOG_KEY_ROTATED = "witness_log_key_rotated"
WITNESS_COSIGNED = "witness_cosigned"


def _rotated_text(p: Mapping[str, Any]) -> AuditText:
    return AuditText(
        "site key rotated", str(p.get("origin")), str(p.get("previous_vkey")), str(p.get("vkey"))
    )


register(
    Kind(
        SITE_KEY_ROTATED,
        "A new site key, with the old key's signature over the hand-over (old and new "
        "verifier keys): checkpoints before it verify under the key of their time.",
        {
            "origin": req(str),
            "public_key": req(str),
            "vkey": req(str),
            "previous_vkey": req(str),
            "old_key_signature": req(str),
        },
        audit=_rotated_text,
    ),
    Kind(
        WITNESS_LOG_ACCEPTED,
        "At a witness site: an administrator accepts a log (origin and key) to cosign.",
        {"origin": req(str), "vkey": req(str)},
        audit=lambda p: AuditText("witness: log accepted", f"{p.get('origin')} {p.get('vkey')}"),
    ),
    Kind(
        WITNESS_LOG_KEY_ROTATED,
        "At a witness site: a witnessed log's new key, accepted because its old key signed "
        "the hand-over.",
        {"origin": req(str), "vkey": req(str), "handover": req(str)},
        audit=lambda p: AuditText("witness: log key rotated", f"{p.get('origin')} {p.get('vkey')}"),
    ),
    Kind(
        WITNESS_COSIGNED,
        "At a witness site: a checkpoint of a log it cosigned, after checking consistency "
        "with the last one it saw.",
        {
            "origin": req(str),
            "size": req(int),
            "root": req(str),
            "timestamp": req(int),
            "note": req(str),
        },
        audit=lambda p: AuditText(
            "witness: checkpoint cosigned", f"{p.get('origin')} size {p.get('size')}"
        ),
    ),
)
