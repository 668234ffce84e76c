"""What a custody report prints, read from one database snapshot.

The case (as `load_case` folds it), the label and refused-scan entries about it,
its journey times, the verdict of `verify` and the ledger checkpoint: all read in
the caller's transaction, so the report is provably tied to the ledger as it was.
Writing the file and recording the export is `services.exports`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso, parse_iso
from cart_chain.domain.errors import AuthenticationError
from cart_chain.domain.evidence import ReportEvidence
from cart_chain.domain.steps import Step
from cart_chain.services.case_detail import load_case
from cart_chain.services.condition_views import LegCurve, curves_in
from cart_chain.services.views import CaseDetail, EventView, UnitView
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds.labels import label_kind
from cart_chain.store.models import LabelPrint as PrintRow
from cart_chain.store.models import LabelVoid, LedgerEntry, Unit, User
from cart_chain.store.models import RefusedScan as RefusedScanRow
from cart_chain.store.resume import Resume
from cart_chain.store.verify import verify

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase is ``"verify"`` or ``"export"``."""


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The ledger head and the verdict of `verify`, both from the report's snapshot."""

    seq: int
    hash: str
    verified: bool
    problem: str | None
    #: The first entry `verify` checked in full (above 1: resumed at a signed checkpoint a
    #: full run on this workstation passed, `store.resume`), and when that full run was.
    since: int = 1
    earlier_checked_at: str = ""

    @property
    def checkpoint(self) -> str:
        return f"{self.seq}:{self.hash}"

    @property
    def scope(self) -> str:
        """How much `verify` redid, for a report that says it passed ('' when all of it)."""
        if self.since <= 1:
            return ""
        return (
            f"in full from entry {self.since} (a signed checkpoint); entries before it for "
            f"order, links and each exported entry's hash (in full at {self.earlier_checked_at})"
        )


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


def new_report_id(prefix: str) -> str:
    """A printable identity for one report: kind, UTC time and a random part."""
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def ledger_state(
    session: Session,
    progress: Progress | None = None,
    resume: Resume | None = None,
    earlier_checked_at: str = "",
) -> LedgerState:
    """The head and the verdict of `verify`, from the caller's snapshot (a report prints both).

    ``resume``: only for a report that reads nothing but ledger entries and rehashes each
    one it prints (the audit export); a report read from projection rows needs them all
    re-derived, which a resumed `verify` does not do before its checkpoint.
    """
    cb = None if progress is None else (lambda n: progress("verify", n, 0))
    report = verify(session, cb, resume)
    top = ledger.head(session)
    return LedgerState(
        top.seq,
        top.hash,
        report.ok,
        None if report.ok else str(report.problem),
        report.since,
        earlier_checked_at if report.since > 1 else "",
    )


def printed_name(session: Session, username: str) -> str:
    """The full name a report prints for who generated it."""
    user = session.get(User, username.strip().lower())
    if user is None:
        raise AuthenticationError(f"unknown user {username!r}")
    return user.full_name


def refused_scans_of(session: Session, coi: str) -> tuple[RefusedScan, ...]:
    """The refused scans that concern case ``coi`` (expected or scanned), oldest first."""
    rows = session.execute(
        select(
            RefusedScanRow.entry_seq,
            LedgerEntry.recorded_at,
            RefusedScanRow.by_user,
            RefusedScanRow.unit_code,
            RefusedScanRow.scanned,
            RefusedScanRow.reason,
        )
        .join(LedgerEntry, LedgerEntry.seq == RefusedScanRow.entry_seq)
        .where(RefusedScanRow.coi == coi)
        .order_by(RefusedScanRow.entry_seq)
    )
    return tuple(RefusedScan(*row) for row in rows)


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


def case_labels(session: Session, coi: str) -> tuple[LabelPrint, ...]:
    """The case's labels printed, reprinted and voided (not by a reprint), in ledger order,
    read from their projections (``label_prints``, ``label_voids``)."""
    printed = session.execute(
        select(PrintRow, LedgerEntry.recorded_at)
        .join(LedgerEntry, LedgerEntry.seq == PrintRow.entry_seq)
        .where(PrintRow.coi == coi)
    ).all()
    out = [
        LabelPrint(
            r.entry_seq,
            at,
            r.printed_by,
            r.unit_code,
            label_kind({"kind": r.kind, "layout": r.layout}),
            str(r.serial),
            r.reason or None,
            "reprinted" if r.reason else "printed",
        )
        for r, at in printed
    ]
    voids = session.execute(
        select(LabelVoid, LedgerEntry.recorded_at, LedgerEntry.actor)
        .join(LedgerEntry, LedgerEntry.seq == LabelVoid.entry_seq)
        .join(Unit, Unit.unit_code == LabelVoid.unit_code)
        .where(Unit.coi == coi, LabelVoid.replaced_by.is_(None))
        .order_by(LabelVoid.entry_seq, LabelVoid.serial)
    ).all()
    by_entry: dict[int, list[tuple[LabelVoid, str, str | None]]] = {}
    for v, at, actor in voids:
        by_entry.setdefault(v.entry_seq, []).append((v, at, actor))
    for seq, rows in by_entry.items():
        first, at, actor = rows[0]
        serials = ", ".join(str(v.serial) for v, _, _ in rows)
        out.append(
            LabelPrint(seq, at, actor, first.unit_code, "label", serials, first.reason, "voided")
        )
    return tuple(sorted(out, key=lambda lp: lp.seq))


def custody_report_in(session: Session, coi_text: str, username: str) -> CustodyReportData:
    """Everything a custody report prints, from the caller's snapshot."""
    name = printed_name(session, username)
    case = load_case(session, coi_text)
    labels = case_labels(session, case.coi)
    scans = refused_scans_of(session, case.coi)
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
        ledger=ledger_state(session),
        condition=curves_in(session, case.coi),
    )


def custody_report_data(db: Database, coi_text: str, username: str) -> CustodyReportData:
    return db.read(lambda s: custody_report_in(s, coi_text, username))
