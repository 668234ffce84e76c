"""Users: created, changed (role, activity, passwords, sign-in results), recovered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cart_chain.domain.authority import RECOVERY_KIND
from cart_chain.store.kinds.formats import fmt, raw_details
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
from cart_chain.store.models import User, UserChange

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry


def _user_created(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        User,
        dict(username=p["username"], entry_seq=e.seq, full_name=p["full_name"], role=p["role"]),
    )
    # A first password typed by an administrator is temporary: it must be changed.
    change = "password_temporary" if p.get("temporary") else "password"
    yield (
        UserChange,
        dict(entry_seq=e.seq, username=p["username"], change=change, value=p["password_hash"]),
    )


def _user_created_text(p: Mapping[str, Any]) -> AuditText:
    return AuditText(
        "user created", f"{p.get('username')}: {p.get('full_name')}, role {p.get('role')}"
    )


def _user_changed(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        UserChange,
        dict(entry_seq=e.seq, username=p["username"], change=p["change"], value=p.get("value")),
    )


def _user_changed_text(p: Mapping[str, Any]) -> AuditText:
    change = str(p.get("change"))
    details, after = f"user {p.get('username')}", ""
    if change in ("role", "active"):
        after = fmt(p.get("value"))
    elif change == "password":
        details += ": password set (hash not exported)"
    return AuditText(f"user {change.replace('_', ' ')}", details, after=after)


def _admin_recovered(e: Entry) -> Iterator[Row]:
    """A break-glass recovery: the administrator's temporary password, and two signatures."""
    p = e.payload
    yield (
        UserChange,
        dict(
            entry_seq=e.seq,
            username=p["username"],
            change="password_recovered",
            value=p["password_hash"],
        ),
    )
    yield from signature_rows(e)


def _admin_recovered_text(p: Mapping[str, Any]) -> AuditText:
    return AuditText("admin recovered", raw_details(p), reason=str(p.get("reason") or ""))


register(
    Kind(
        "user_created",
        "A user and their first password hash (temporary when an administrator typed it).",
        {
            "username": req(str),
            "full_name": req(str),
            "role": req(str),
            "password_hash": req(str),
            "temporary": opt(bool),
        },
        rows=_user_created,
        audit=_user_created_text,
    ),
    Kind(
        "user_changed",
        "A change to a user: role, active, password (hash), lock, unlock, sign-in result.",
        {"username": req(str), "change": req(str), "value": opt(str)},
        rows=_user_changed,
        audit=_user_changed_text,
    ),
    Kind(
        RECOVERY_KIND,
        "Break-glass: QA and a witness give a locked-out administrator a temporary password.",
        {
            "username": req(str),
            "password_hash": req(str),
            "reason": req(str),
            "by": req(str),
            "witness": req(str),
            "signatures": SIGNATURES,
        },
        rows=_admin_recovered,
        audit=_admin_recovered_text,
    ),
)
