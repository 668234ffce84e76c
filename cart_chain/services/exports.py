"""Read models for reports and audit exports, and the recording of every export.

A report is only worth signing if it is provably tied to the ledger, so each
export reads everything it prints - the case, the label and scan entries, the
result of `verify` and the ledger checkpoint - from ONE database snapshot, and
then appends a ``report_exported`` entry naming who exported what, the file's
SHA-256 and that checkpoint.

Ordering matters and is deliberate: the checkpoint printed on a report is the
ledger head *before* the report's own ``report_exported`` entry (the entry
cannot be inside the file whose hash it records). So a report printed with
checkpoint ``N`` is normally followed by its export entry at ``N + 1`` or later.

Rendering lives in `cart_chain.reports` (which sits above this layer), so the
export functions take the renderer as a callable: this module owns the
snapshot, the atomic file and the ledger entry; the renderer owns the pixels.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso, parse_iso, parse_user_time, utc_iso
from cart_chain.domain.errors import (
    AuthenticationError,
    CartChainError,
    InvalidValue,
    NotFound,
    UsageError,
)
from cart_chain.domain.evidence import ReportEvidence
from cart_chain.domain.identifiers import UnitId, parse_any
from cart_chain.domain.steps import Step
from cart_chain.services.accounts import Credentials, authenticate_in, signed_write
from cart_chain.services.case_detail import load_case
from cart_chain.services.condition_views import LegCurve, curves_in
from cart_chain.services.evidence import render_with_evidence
from cart_chain.services.outfiles import publish, stage, storage_error, target
from cart_chain.services.site_key import checkpoint_in
from cart_chain.services.views import CaseDetail, EventView, Receipt, UnitView
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import Case, LedgerEntry, User
from cart_chain.store.verify import verify

#: Ledger kinds written by the labels and scanning services that a custody report lists.
LABEL_PRINTED = "label_printed"
LABEL_VOIDED = "label_voided"
SCAN_REFUSED = "scan_refused"
#: The kind of the entry recording an export.
REPORT_EXPORTED = "report_exported"

#: Rows fetched per keyset page when streaming the ledger: memory stays flat at any size.
BATCH = 2000
#: Payload keys never copied into an export (secrets that happen to be in the ledger).
_SECRET_KEYS = frozenset({"password_hash"})

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase is ``"verify"`` or ``"export"``."""


# -- read models ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The ledger head and the verdict of `verify`, both from the report's snapshot."""

    seq: int
    hash: str
    verified: bool
    problem: str | None

    @property
    def checkpoint(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True, slots=True)
class LabelPrint:
    """A label printed, reprinted (with its reason) or voided, from the ledger."""

    seq: int
    recorded_at: str
    actor: str | None
    unit: str | None
    kind: str
    serial: str
    reason: str | None  # why it was reprinted or voided
    action: str = "printed"  # printed, reprinted, voided

    @property
    def reprint(self) -> bool:
        return self.action == "reprinted"


@dataclass(frozen=True, slots=True)
class RefusedScan:
    seq: int
    recorded_at: str
    actor: str | None
    unit: str | None
    scanned: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class UnitTiming:
    """Elapsed times of one unit's journey, in seconds; None when not (yet) recorded."""

    unit: str
    grouped: str
    to_manufacturing: float | None
    to_site: float | None
    vein_to_vein: float | None
    thaw_to_infusion: float | None


@dataclass(frozen=True, slots=True)
class CustodyReportData:
    report_id: str
    generated_at: str
    generated_by: str
    generated_by_name: str
    case: CaseDetail
    treatment_site: str
    labels: tuple[LabelPrint, ...]
    refused_scans: tuple[RefusedScan, ...]
    timings: tuple[UnitTiming, ...]
    ledger: LedgerState
    #: The signed checkpoint and proofs the PDF embeds (`services.evidence`); None when
    #: none was made, for the reason the report then prints.
    evidence: ReportEvidence | None = None
    no_evidence: str = "it was rendered without signing a checkpoint"
    #: Each imported logger file's curve (issue 15), drawn by reports.condition_charts.
    condition: tuple[LegCurve, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Which entries an audit export covers; times are UTC ISO strings, ``end`` exclusive."""

    start: str | None = None
    end: str | None = None
    user: str | None = None
    coi: str | None = None
    #: As the user typed them, for the report header and the export entry.
    described: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One ledger entry as an auditor reads it; one CSV row, one PDF row."""

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


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    report_id: str
    sha256: str
    entries: int
    ledger: LedgerState
    receipt: Receipt
    evidence: ReportEvidence | None = None  # what a custody report embeds


# -- custody report data ------------------------------------------------------------


def new_report_id(prefix: str) -> str:
    """A printable identity for one report: kind, UTC time and a random part."""
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def _ledger_state(session: Session, progress: Progress | None = None) -> LedgerState:
    cb = None if progress is None else (lambda n: progress("verify", n, 0))
    report = verify(session, cb)
    top = ledger.head(session)
    return LedgerState(top.seq, top.hash, report.ok, None if report.ok else str(report.problem))


def _printed_name(session: Session, username: str) -> str:
    user = session.get(User, username.strip().lower())
    if user is None:
        raise AuthenticationError(f"unknown user {username!r}")
    return user.full_name


def _entries_for_case(session: Session, kinds: tuple[str, ...], coi: str) -> Iterator[ledger.Entry]:
    """Entries of ``kinds`` about case ``coi``, in ledger order."""
    rows = session.execute(
        select(LedgerEntry)
        .where(LedgerEntry.kind.in_(kinds), LedgerEntry.payload.contains(coi, autoescape=True))
        .order_by(LedgerEntry.seq)
    ).scalars()
    for r in rows:
        p = json.loads(r.payload)
        if coi in _payload_cois(p):
            yield ledger.Entry(r.seq, r.recorded_at, r.kind, r.actor, p, r.prev_hash, r.hash)


def _payload_cois(p: dict[str, Any]) -> set[str]:
    """Every case an entry concerns: a refused scan concerns the expected and the scanned one."""
    found = {p.get(k) for k in ("coi", "expected_coi", "scanned_coi", "expected")}
    found.discard(None)
    main = _payload_coi(p)
    if main:
        found.add(main)
    return {c for c in found if isinstance(c, str)}


def _payload_coi(p: dict[str, Any]) -> str | None:
    """The case an entry is about: its ``coi``, or for a refused scan the expected one."""
    for key in ("coi", "expected_coi", "expected", "scanned_coi"):
        value = p.get(key)
        if isinstance(value, str) and value:
            return value
    unit = p.get("unit") or p.get("parent")
    if isinstance(unit, str) and unit:
        try:
            ident = parse_any(unit)
        except CartChainError:  # not an identifier: the entry names no case
            return None
        return ident.coi.full if isinstance(ident, UnitId) else None
    return None


def treatment_site(case: CaseDetail) -> str:
    """Where the case is treated.

    There is no site field yet (issue 4 names one; the data model does not), so
    this is the location recorded at receipt at the treatment centre, else at
    infusion, else the facility identification number the COI was issued under.
    """
    for step in (Step.RECEIPT_AT_SITE, Step.INFUSION, Step.THAW):
        for u in case.units:
            for e in u.events:
                if e.step == step.value and not e.voided and e.location:
                    return e.location
    return f"not recorded yet (COI issued by facility {case.facility})"


def _lineage(case: CaseDetail, unit: UnitView) -> list[EventView]:
    """A unit's live events, preceded by its parents' events before the split."""
    by_code = {u.unit: u for u in case.units}
    own = [e for e in unit.events if not e.voided]
    parent = by_code.get(unit.parent) if unit.parent else None
    if parent is None:
        return own
    first = min((e.seq for e in unit.events), default=0)
    inherited = [e for e in _lineage(case, parent) if e.seq < first]
    return inherited + own


def _span(events: list[EventView], start: Step, end: Step) -> float | None:
    """Seconds from the first ``start`` step to the first ``end`` step after it."""
    begin = next((e for e in events if e.step == start.value), None)
    if begin is None:
        return None
    t0 = parse_iso(begin.occurred_at)
    stop = next((e for e in events if e.step == end.value and parse_iso(e.occurred_at) >= t0), None)
    return None if stop is None else (parse_iso(stop.occurred_at) - t0).total_seconds()


def unit_timings(case: CaseDetail) -> tuple[UnitTiming, ...]:
    """Transport, vein-to-vein and thaw-to-infusion times per unit (voided steps ignored).

    A transport runs from its first shipping leg to the receipt; vein-to-vein
    from collection to infusion. A bag split off in expansion inherits its
    parent's history up to the split.
    """
    out = []
    for u in case.units:
        evs = sorted(_lineage(case, u), key=lambda e: (e.occurred_at, e.seq))
        out.append(
            UnitTiming(
                unit=u.unit,
                grouped=u.grouped,
                to_manufacturing=_span(
                    evs, Step.SHIP_TO_MANUFACTURING, Step.RECEIPT_AT_MANUFACTURING
                ),
                to_site=_span(evs, Step.SHIP_TO_SITE, Step.RECEIPT_AT_SITE),
                vein_to_vein=_span(evs, Step.COLLECTION, Step.INFUSION),
                thaw_to_infusion=_span(evs, Step.THAW, Step.INFUSION),
            )
        )
    return tuple(out)


def _label_row(e: ledger.Entry) -> LabelPrint:
    p = e.payload
    by = p.get("by") or e.actor
    if e.kind == LABEL_VOIDED:
        serials = ", ".join(str(x) for x in p.get("serials", ()))
        return LabelPrint(
            e.seq, e.recorded_at, by, p.get("unit"), "label", serials, p.get("reason"), "voided"
        )
    reason = p.get("reason") or None
    return LabelPrint(
        e.seq,
        e.recorded_at,
        by,
        p.get("unit"),
        _label_kind(p),
        str(p.get("serial") or ""),
        reason,
        "reprinted" if reason else "printed",
    )


def _label_kind(p: dict[str, Any]) -> str:
    """The label kind and the revision of the template it was printed from ("bag rev 1")."""
    kind = str(p.get("kind") or "label")
    layout = str(p.get("layout") or "")
    return f"{kind} rev {layout.split('@', 1)[1]}" if "@" in layout else kind


def custody_report_in(session: Session, coi_text: str, username: str) -> CustodyReportData:
    """Everything a custody report prints, from the caller's snapshot."""
    name = _printed_name(session, username)
    case = load_case(session, coi_text)
    labels = tuple(
        _label_row(e) for e in _entries_for_case(session, (LABEL_PRINTED, LABEL_VOIDED), case.coi)
    )
    scans = tuple(
        RefusedScan(
            e.seq,
            e.recorded_at,
            e.payload.get("by") or e.actor,
            e.payload.get("unit"),
            e.payload.get("scanned") or e.payload.get("got"),
            str(e.payload.get("reason") or ""),
        )
        for e in _entries_for_case(session, (SCAN_REFUSED,), case.coi)
    )
    return CustodyReportData(
        report_id=new_report_id("CR"),
        generated_at=now_iso(),
        generated_by=username.strip().lower(),
        generated_by_name=name,
        case=case,
        treatment_site=treatment_site(case),
        labels=labels,
        refused_scans=scans,
        timings=unit_timings(case),
        ledger=_ledger_state(session),
        condition=curves_in(session, case.coi),
    )


def custody_report_data(db: Database, coi_text: str, username: str) -> CustodyReportData:
    return db.read(lambda s: custody_report_in(s, coi_text, username))


# -- audit stream -------------------------------------------------------------------


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


def _matches(f: AuditFilters, actor: str | None, p: dict[str, Any]) -> bool:
    """The exact test behind the SQL pre-filter (a substring can match by accident)."""
    if f.coi and f.coi not in _payload_cois(p):
        return False
    return not (f.user and actor != f.user and not _involves(p, f.user))


_COLUMNS = (
    LedgerEntry.seq,
    LedgerEntry.recorded_at,
    LedgerEntry.kind,
    LedgerEntry.actor,
    LedgerEntry.payload,
    LedgerEntry.hash,
)


def _raw(session: Session, f: AuditFilters) -> Iterator[tuple[Any, ...]]:
    """Matching entries in ``seq`` order, by keyset pages (no OFFSET, flat memory)."""
    conds = _conditions(f)
    last = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS)
            .where(LedgerEntry.seq > last, *conds)
            .order_by(LedgerEntry.seq)
            .limit(BATCH)
        ).all()
        for seq, at, kind, actor, text, digest in rows:
            p = json.loads(text)
            if (f.coi is None and f.user is None) or _matches(f, actor, p):
                yield seq, at, kind, actor, p, digest
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def count_audit(session: Session, f: AuditFilters) -> int:
    if f.coi is None and f.user is None:
        return session.execute(
            select(func.count()).select_from(LedgerEntry).where(*_conditions(f))
        ).scalar_one()
    return sum(1 for _ in _raw(session, f))


def iter_audit(session: Session, f: AuditFilters) -> Iterator[AuditRow]:
    for seq, at, kind, actor, p, digest in _raw(session, f):
        yield audit_row(seq, at, kind, actor, p, digest)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _step_label(step: Any) -> str:
    try:
        return Step(step).label
    except ValueError:
        return str(step)


def _signers(p: dict[str, Any]) -> str:
    return "; ".join(
        f"{s.get('meaning')}: {s.get('printed_name')} ({s.get('username')}) {s.get('signed_at')}"
        for s in p.get("signatures", ()) or ()
    )


def audit_row(
    seq: int, at: str, kind: str, actor: str | None, p: dict[str, Any], digest: str
) -> AuditRow:
    """Describe one entry for an auditor; secrets (password hashes) are never copied."""
    coi = _payload_coi(p) or ""
    unit = str(p.get("unit") or p.get("parent") or "")
    action, details, before, after, reason = kind.replace("_", " "), "", "", "", ""
    if kind == "user_created":
        action = "user created"
        details = f"{p.get('username')}: {p.get('full_name')}, role {p.get('role')}"
    elif kind == "user_changed":
        change = str(p.get("change"))
        action = f"user {change.replace('_', ' ')}"
        details = f"user {p.get('username')}"
        if change in ("role", "active"):
            after = _fmt(p.get("value"))
        elif change == "password":
            details += ": password set (hash not exported)"
    elif kind == "setting_changed":
        action = "setting changed"
        details = str(p.get("key"))
        after = _fmt(p.get("value"))
    elif kind == "case_created":
        action = "case enrolled"
        units = p.get("units") or []
        details = f"product {p.get('product')}; {len(units)} unit(s)"
    elif kind == "event_recorded":
        action = f"step: {_step_label(p.get('step'))}"
        parts = [f"occurred {p.get('occurred_at')}"]
        if p.get("location"):
            parts.append(f"at {p.get('location')}")
        if p.get("started_at"):
            parts.insert(0, f"started {p.get('started_at')}")
        if p.get("temperature_c") is not None:
            parts.append(f"{_fmt(p.get('temperature_c'))} °C")
        if p.get("condition"):
            parts.append(f"condition: {p.get('condition')}")
        if p.get("note"):
            parts.append(f"note: {p.get('note')}")
        details = "; ".join(parts)
    elif kind == "unit_split":
        action = "unit split"
        kids = ", ".join(str(c.get("unit")) for c in p.get("children", ()))
        details = f"into {kids}"
    elif kind == "correction":
        action = f"correction of entry {p.get('target_seq')} ({p.get('target_kind')})"
        changes = p.get("changes", ())
        before = "; ".join(f"{c.get('field')}: {_fmt(c.get('old'))}" for c in changes)
        after = "; ".join(f"{c.get('field')}: {_fmt(c.get('new'))}" for c in changes)
        reason = str(p.get("reason") or "")
    elif kind == LABEL_PRINTED:
        action = "label reprinted" if p.get("reason") else "label printed"
        details = f"{_label_kind(p)} serial {p.get('serial')}"
        if p.get("voids"):
            details += f"; replaces serial(s) {', '.join(str(v) for v in p['voids'])}"
        reason = str(p.get("reason") or "")
    elif kind == LABEL_VOIDED:
        action = "label voided"
        details = f"serial(s) {', '.join(str(x) for x in p.get('serials', ()))}"
        reason = str(p.get("reason") or "")
    elif kind == SCAN_REFUSED:
        action = "scan refused"
        scanned = p.get("scanned") or p.get("got")
        details = f"scanned {scanned}" if scanned else ""
        if p.get("scanned_coi") and p.get("scanned_coi") != coi:
            details += f" (case {p['scanned_coi']})"
        reason = str(p.get("reason") or "")
    elif kind == "patient_event":
        action = f"patient: {str(p.get('kind')).replace('_', ' ')}"
        details = f"occurred {p.get('occurred_at')}"
        if p.get("detail"):
            details += f"; {p.get('detail')}"
    elif kind == "deviation_opened":
        action = f"deviation opened ({p.get('rule')})"
        details = (
            f"{p.get('detail')}; limit {p.get('limit')}, actual {p.get('actual')}; "
            f"step entry {p.get('event_seq')}"
        )
    elif kind == "deviation_reviewed":
        action = f"deviation {p.get('deviation_seq')} reviewed: {p.get('decision')}"
        reason = str(p.get("reason") or "")
    elif kind == "gate_override":
        action = f"infusion gate overridden: {p.get('gate')}"
        reason = str(p.get("reason") or "")
    elif kind == REPORT_EXPORTED:
        action = f"{p.get('report')} report exported"
        filters = p.get("filters") or {}
        flt = ", ".join(f"{k} {v}" for k, v in sorted(filters.items())) or "all entries"
        details = (
            f"{p.get('file')} ({p.get('format')}); {p.get('entries')} entries; {flt}; "
            f"checkpoint {p.get('checkpoint', {}).get('seq')}; sha256 {p.get('sha256')}"
        )
    else:
        details = json.dumps(
            {k: v for k, v in p.items() if k not in _SECRET_KEYS and k != "signatures"},
            ensure_ascii=False,
            sort_keys=True,
        )
    return AuditRow(
        seq=seq,
        recorded_at=at,
        user=actor or "",
        action=action,
        coi=coi,
        unit=unit,
        details=details,
        before=before,
        after=after,
        reason=reason,
        signatures=_signers(p),
        hash=digest,
    )


def audit_header_in(
    session: Session, f: AuditFilters, username: str, progress: Progress | None = None
) -> AuditHeader:
    name = _printed_name(session, username)
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
        ledger=_ledger_state(session, progress),
    )


# -- files and the export record ----------------------------------------------------


def _staging(out: Path, overwrite: bool) -> Path:
    """Refuse an existing ``out`` unless told to replace it; else a private temporary file."""
    return stage(target(out, overwrite=overwrite))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record_export_in(
    session: Session,
    by: Credentials,
    *,
    report: str,
    report_id: str,
    fmt: str,
    path: Path,
    sha256: str,
    entries: int,
    state: LedgerState,
    filters: dict[str, str],
    coi: str | None = None,
) -> ledger.Entry:
    """Append ``report_exported``: who exported which report, to which file, with what hash;
    then a signed checkpoint of the head that includes it (none on a ledger without a
    site key yet)."""
    user = authenticate_in(session, by)
    payload: dict[str, Any] = {
        "report": report,
        "report_id": report_id,
        "format": fmt,
        "file": str(path),
        "sha256": sha256,
        "entries": entries,
        "filters": filters,
        "checkpoint": {"seq": state.seq, "hash": state.hash},
        "verified": state.verified,
    }
    if coi:
        payload["coi"] = coi
    entry = ledger.append(session, REPORT_EXPORTED, user.username, payload)
    checkpoint_in(session, user.username, required=False)
    return entry


def _finish(
    db: Database,
    by: Credentials,
    tmp: Path,
    out: Path,
    *,
    report: str,
    report_id: str,
    entries: int,
    state: LedgerState,
    filters: dict[str, str],
    coi: str | None,
    overwrite: bool = False,
) -> ExportResult:
    """Hash the staged file, record the export (authenticating ``by``), then publish it.

    The ledger entry is committed before the rename, so a wrong password leaves
    no file at all, and a file at ``out`` always has its export entry.
    """
    try:
        _fsync(tmp)
        digest = _sha256(tmp)
    except OSError as err:
        raise storage_error(err, out) from err
    final = out.expanduser().resolve()
    fmt = final.suffix.lstrip(".").lower()
    entry = signed_write(
        db,
        lambda s: record_export_in(
            s,
            by,
            report=report,
            report_id=report_id,
            fmt=fmt,
            path=final,
            sha256=digest,
            entries=entries,
            state=state,
            filters=filters,
            coi=coi,
        ),
    )
    publish(tmp, final, overwrite=overwrite)
    receipt = Receipt(entry.seq, entry.hash, entry.recorded_at, entry.kind, report_id)
    return ExportResult(final, report_id, digest, entries, state, receipt)


def export_custody(
    db: Database,
    by: Credentials,
    coi_text: str,
    out: Path,
    render: Callable[[CustodyReportData, Path], None],
    *,
    overwrite: bool = False,
) -> ExportResult:
    """Read the case, sign a checkpoint and prove what the report shows in it
    (`services.evidence`), render it to a temporary file, record the export, then rename."""
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"a custody report is a PDF: name the file *.pdf, not {out.name}")
    tmp = _staging(out, overwrite)
    try:
        data = custody_report_data(db, coi_text, by.username)
        try:
            data = render_with_evidence(db, by, data, render, tmp)
        except OSError as err:
            raise storage_error(err, out) from err
        entries = sum(len(u.events) for u in data.case.units)
        done = _finish(
            db,
            by,
            tmp,
            out,
            report="custody",
            report_id=data.report_id,
            entries=entries,
            state=data.ledger,
            filters={"case": data.case.coi},
            coi=data.case.coi,
            overwrite=overwrite,
        )
        return replace(done, evidence=data.evidence)
    finally:
        tmp.unlink(missing_ok=True)


AuditWriter = Callable[[AuditHeader, Iterator[AuditRow], Path, Callable[[int], None]], int]
"""``write(header, rows, path, tick) -> rows written``; calls ``tick(n)`` as it goes."""


def export_audit(
    db: Database,
    by: Credentials,
    filters: AuditFilters,
    out: Path,
    write: AuditWriter,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ExportResult:
    """Stream matching ledger entries into ``write`` from one snapshot, then record it."""
    tmp = _staging(out, overwrite)

    def run(session: Session) -> tuple[AuditHeader, int]:
        header = audit_header_in(session, filters, by.username, progress)
        if progress is not None:
            progress("export", 0, header.count)

        def tick(done: int) -> None:
            if progress is not None:
                progress("export", done, header.count)

        try:
            n = write(header, iter_audit(session, filters), tmp, tick)
        except OSError as err:
            raise storage_error(err, out) from err
        return header, n

    try:
        header, written = db.read(run)
        return _finish(
            db,
            by,
            tmp,
            out,
            report="audit",
            report_id=header.report_id,
            entries=written,
            state=header.ledger,
            filters=filters.described,
            coi=filters.coi,
            overwrite=overwrite,
        )
    finally:
        tmp.unlink(missing_ok=True)
