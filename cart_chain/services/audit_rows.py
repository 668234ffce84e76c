"""The audit export's rows: which entries a filter selects, and how an auditor reads each.

Entries stream in keyset pages from one snapshot (flat memory at any size); each
is described by its kind's declaration in `cart_chain.store.kinds` (its action,
details, before and after, reason), with who signed it and its hash. Writing the
file and recording the export is `services.exports`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso, parse_user_time, utc_iso
from cart_chain.domain.errors import InvalidValue, MalformedEntry, NotFound, VerificationFailed
from cart_chain.domain.identifiers import UnitId, parse_any
from cart_chain.services.custody_data import (
    LedgerState,
    Progress,
    ledger_state,
    new_report_id,
    printed_name,
)
from cart_chain.store import keyset
from cart_chain.store.kinds import AuditText, Kind, kind_of
from cart_chain.store.kinds.formats import raw_details
from cart_chain.store.ledger import entry_hash, parse_payload
from cart_chain.store.models import ENTRY_COLUMNS, Case, LedgerEntry, User
from cart_chain.store.resume import Resume

#: Rows fetched per keyset page when streaming the ledger: memory stays flat at any size.
BATCH = 2000


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Which entries an audit export covers; times are UTC ISO strings, ``end`` exclusive."""

    start: str | None = None
    end: str | None = None
    user: str | None = None
    coi: str | None = None
    #: As the user typed them, for the report header and the export entry.
    described: dict[str, str] = field(default_factory=dict)


class AuditRow(NamedTuple):
    """One ledger entry as an auditor reads it; one CSV row, one PDF row (a tuple: made
    a million times in an export, where a frozen dataclass's constructor cost a
    microsecond a row)."""

    seq: int
    recorded_at: str
    user: str
    action: str
    coi: str
    unit: str
    details: str
    before: str
    after: str
    reason: str
    signatures: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditHeader:
    report_id: str
    generated_at: str
    generated_by: str
    generated_by_name: str
    filters: AuditFilters
    count: int
    ledger: LedgerState


def _bound(text: str, end: bool) -> str:
    """A typed date or time as a UTC bound; a bare date covers that whole local day."""
    t = text.strip()
    try:
        day = date.fromisoformat(t)
    except ValueError:
        moment = parse_user_time(t)
        if end:
            moment += timedelta(microseconds=1)  # --to a time includes that instant
        return utc_iso(moment)
    if end:
        day += timedelta(days=1)
    return utc_iso(datetime.combine(day, time()).astimezone())


def audit_filters(
    start: str | None = None,
    end: str | None = None,
    user: str | None = None,
    case: str | None = None,
) -> AuditFilters:
    """Validate what the user typed (``--from``, ``--to``, ``--user``, ``--case``)."""
    described: dict[str, str] = {}
    lo = hi = None
    if start:
        lo = _bound(start, end=False)
        described["from"] = start.strip()
    if end:
        hi = _bound(end, end=True)
        described["to"] = end.strip()
    if lo and hi and lo >= hi:
        raise InvalidValue(f"--from {start} is after --to {end}")
    who = user.strip().lower() if user else None
    if who:
        described["user"] = who
    coi = None
    if case:
        ident = parse_any(case)
        coi = (ident.coi if isinstance(ident, UnitId) else ident).full
        described["case"] = coi
    return AuditFilters(lo, hi, who, coi, described)


def _conditions(f: AuditFilters) -> list[Any]:
    conds: list[Any] = []
    if f.start:
        conds.append(LedgerEntry.recorded_at >= f.start)
    if f.end:
        conds.append(LedgerEntry.recorded_at < f.end)
    if f.coi:
        conds.append(LedgerEntry.payload.contains(f.coi, autoescape=True))
    if f.user:
        conds.append(
            or_(
                LedgerEntry.actor == f.user,
                LedgerEntry.payload.contains(f'"{f.user}"', autoescape=True),
            )
        )
    return conds


def _involves(p: dict[str, Any], user: str) -> bool:
    if p.get("username") == user or p.get("by") == user or p.get("to") == user:
        return True
    return any(s.get("username") == user for s in p.get("signatures", ()) or ())


def _matches(f: AuditFilters, kind_name: str, actor: str | None, p: dict[str, Any]) -> bool:
    """The exact test behind the SQL pre-filter (a substring can match by accident)."""
    if f.coi:
        kind = _declared(kind_name)
        if kind is None or f.coi not in kind.cases(kind, p):
            return False
    return not (f.user and actor != f.user and not _involves(p, f.user))


def _raw(session: Session, f: AuditFilters, rehash: bool = False) -> Iterator[tuple[Any, ...]]:
    """Matching entries in ``seq`` order, by keyset pages (no OFFSET, flat memory).

    ``rehash``: refuse (`VerificationFailed`) an entry whose content does not match its
    hash: what is printed under a header that says `verify` passed is what was hashed,
    even where a resumed `verify` did not rehash it.
    """
    conn = session.connection()  # Core rows: the ORM's per-row work is not needed here
    for rows in keyset.pages(conn, ENTRY_COLUMNS, [LedgerEntry.seq], _conditions(f), BATCH):
        for seq, at, kind, actor, text, prev_hash, digest in rows:
            if rehash and entry_hash(seq, at, kind, actor, prev_hash, text) != digest:
                raise VerificationFailed(
                    f"entry {seq} does not match its hash: the ledger was altered after "
                    "it was recorded; run 'cart-chain verify'. Nothing was exported"
                )
            p = parse_payload(text)
            if (f.coi is None and f.user is None) or _matches(f, kind, actor, p):
                yield seq, at, kind, actor, p, digest


def count_audit(session: Session, f: AuditFilters) -> int:
    if f.coi is None and f.user is None:
        return session.execute(
            select(func.count()).select_from(LedgerEntry).where(*_conditions(f))
        ).scalar_one()
    return sum(1 for _ in _raw(session, f))


def iter_audit(session: Session, f: AuditFilters, rehash: bool = False) -> Iterator[AuditRow]:
    """The rows of the entries ``f`` selects (``rehash``: see `_raw`)."""
    for seq, at, kind, actor, p, digest in _raw(session, f, rehash):
        yield audit_row(seq, at, kind, actor, p, digest)


def _signers(p: Mapping[str, Any]) -> str:
    signatures = p.get("signatures")
    if not signatures:
        return ""
    return "; ".join(
        f"{s.get('meaning')}: {s.get('printed_name')} ({s.get('username')}) {s.get('signed_at')}"
        for s in signatures
    )


def _declared(name: str) -> Kind | None:
    try:
        return kind_of(name)
    except MalformedEntry:  # written by no version of this code: shown as it stands
        return None


def audit_row(
    seq: int, at: str, kind: str, actor: str | None, p: dict[str, Any], digest: str
) -> AuditRow:
    """Describe one entry for an auditor, as its kind declares; secrets (password hashes)
    are never copied."""
    declared = _declared(kind)
    if declared is not None and declared.audit is not None:
        text = declared.audit(p)
    else:
        text = AuditText(kind.replace("_", " "), raw_details(p))
    coi = (declared.case(p) if declared is not None else None) or ""
    unit = declared.unit(p) if declared is not None else str(p.get("unit") or "")
    return AuditRow(  # by position: a tuple's keyword constructor is slower
        seq,
        at,
        actor or "",
        text.action,
        coi,
        unit,
        text.details,
        text.before,
        text.after,
        text.reason,
        _signers(p),
        digest,
    )


def audit_header_in(
    session: Session,
    f: AuditFilters,
    username: str,
    progress: Progress | None = None,
    resume: tuple[Resume, str] | None = None,
) -> AuditHeader:
    """``resume``: a checkpoint a full `verify` passed and when; `verify` resumes there, and
    `iter_audit` rehashes every entry it yields (what a resumed run does not redo)."""
    name = printed_name(session, username)
    if f.coi and session.get(Case, f.coi) is None:
        raise NotFound(f"case {f.coi} is not known in this database")
    if f.user and session.get(User, f.user) is None:
        raise NotFound(f"no user {f.user!r}")
    return AuditHeader(
        report_id=new_report_id("AR"),
        generated_at=now_iso(),
        generated_by=username.strip().lower(),
        generated_by_name=name,
        filters=f,
        count=count_audit(session, f),
        ledger=ledger_state(session, progress, *(resume or (None, ""))),
    )
