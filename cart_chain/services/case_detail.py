"""One case read back as a view: units, steps as corrected, windows, deviations, links."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso, utc_iso
from cart_chain.domain.effective import effective, voided
from cart_chain.domain.errors import NotFound
from cart_chain.domain.identifiers import UnitId, parse_any
from cart_chain.domain.steps import Step, held_after, next_steps, ordered
from cart_chain.domain.windows import StepFact, live_windows
from cart_chain.services import dins, links, profiles, settings
from cart_chain.services.deviations import corrected_reasons, deviations_of
from cart_chain.services.effective import as_fixes, case_fields, corrections_for
from cart_chain.services.signing import signatures_of
from cart_chain.services.views import (
    CaseDetail,
    DeviationView,
    EventView,
    OverrideView,
    PatientEventView,
    UnitView,
    WindowView,
)
from cart_chain.store.database import Database
from cart_chain.store.models import (
    Case,
    Event,
    GateOverride,
    LedgerEntry,
    PatientEvent,
    Unit,
    User,
)


def _temperature(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def load_case(session: Session, coi_text: str) -> CaseDetail:
    ident = parse_any(coi_text)
    coi = ident.coi if isinstance(ident, UnitId) else ident
    case = session.get(Case, coi.full)
    if case is None:
        raise NotFound(f"case {coi.grouped()} is not known in this database")
    created = session.get(LedgerEntry, case.entry_seq)
    assert created is not None
    units = (
        session.execute(select(Unit).where(Unit.coi == case.coi).order_by(Unit.number))
        .scalars()
        .all()
    )
    events = session.execute(
        select(Event, LedgerEntry.recorded_at)
        .join(LedgerEntry, LedgerEntry.seq == Event.entry_seq)
        .where(Event.unit_code.in_([u.unit_code for u in units]))
        .order_by(Event.entry_seq)
    ).all()
    seqs = sorted({e.entry_seq for e, _ in events})
    sigs = signatures_of(session, seqs)
    corrections = corrections_for(session, [*seqs, case.entry_seq])
    names = dict(session.execute(select(User.username, User.full_name)).all())

    per_unit: dict[str, list[EventView]] = defaultdict(list)
    for e, at in events:
        cs = corrections.get(e.entry_seq, [])
        fixed = effective(
            {
                "occurred_at": e.occurred_at,
                "location": e.location,
                "temperature_c": e.temperature_c,
                "note": e.note,
                "volume_ml": e.volume_ml,
                "anticoagulant": e.anticoagulant,
            },
            as_fixes(cs),
        )
        per_unit[e.unit_code].append(
            EventView(
                seq=e.entry_seq,
                unit=e.unit_code,
                step=e.step,
                occurred_at=str(fixed["occurred_at"]),
                recorded_at=at,
                location=fixed["location"],  # type: ignore[arg-type]
                temperature_c=_temperature(fixed["temperature_c"]),
                note=fixed["note"],  # type: ignore[arg-type]
                by=e.by_user,
                to=e.to_user,
                signatures=sigs.get(e.entry_seq, ()),
                corrections=tuple(cs),
                voided=voided(as_fixes(cs)),
                started_at=e.started_at,
                condition=e.condition,
                volume_ml=_temperature(fixed["volume_ml"]),
                anticoagulant=fixed["anticoagulant"],  # type: ignore[arg-type]
            )
        )

    profile = profiles.of_case(session, case.coi)
    deviations: dict[str, list[DeviationView]] = defaultdict(list)
    for d in deviations_of(session, coi=case.coi):
        deviations[d.unit].append(
            DeviationView(
                d.seq,
                d.unit,
                d.step,
                d.rule,
                d.detail,
                d.limit,
                d.actual,
                d.decision,
                d.reason,
                d.blocking,
                d.reviewed_by,
                d.reviewed_by_name,
                d.reviewed_at,
            )
        )
    now = datetime.now(UTC)
    din_of = dins.of_case(session, case.coi)
    views = []
    for u in units:
        evs = per_unit.get(u.unit_code, [])
        live = [e for e in evs if not e.voided]
        held = held_after((e.step, e.by, e.to, e.location) for e in live)
        step, custodian, location = held.step, held.custodian, held.location
        uid = UnitId(u.unit_code[:-1])
        views.append(
            UnitView(
                unit=u.unit_code,
                grouped=uid.grouped(),
                number=u.number,
                of=len(units),
                parent=u.parent_unit,
                current_step=step.value if step else None,
                next_steps=tuple(s.value for s in ordered(next_steps(step))),
                custodian=custodian,
                custodian_name=names.get(custodian) if custodian else None,
                location=location,
                events=tuple(evs),
                windows=tuple(
                    WindowView(
                        w.name,
                        utc_iso(w.started),
                        utc_iso(w.ends),
                        round(w.remaining(now).total_seconds() / 60, 1),
                        w.overdue(now),
                    )
                    for w in live_windows(profile, [_fact(e) for e in live])
                ),
                deviations=tuple(deviations.get(u.unit_code, ())),
                din=din_of[u.unit_code].full if u.unit_code in din_of else None,
                din_grouped=din_of[u.unit_code].grouped() if u.unit_code in din_of else None,
            )
        )
    cc = corrections.get(case.entry_seq, [])
    patient = effective(case_fields(case), as_fixes(cc))
    return CaseDetail(
        coi=case.coi,
        grouped=coi.grouped(),
        facility=case.facility,
        patient_name=str(patient["patient_name"]),
        patient_dob=str(patient["patient_dob"]),
        mrn=str(patient["mrn"]),
        product=str(patient["product"]),
        created_at=created.recorded_at,
        created_by=created.actor,
        seq=case.entry_seq,
        units=tuple(views),
        case_corrections=tuple(cc),
        profile_id=profile.id,
        profile_name=profile.name,
        profile_version=profile.version,
        profile_indication=profile.indication,
        profile_unconfirmed=profile.unconfirmed,
        profile_warnings=profile.warnings,
        patient_events=_patient_events(session, case.coi),
        overrides=_overrides(session, case.coi),
        links=links.of_case(session, case.coi),
        product_codes=links.product_codes(session, profile.id),
        storage_max_c=profile.storage_max_c,
        collection_transit_c=(
            (profile.fresh_transit_min_c, profile.fresh_transit_max_c)
            if profile.ships_fresh
            and profile.fresh_transit_min_c is not None
            and profile.fresh_transit_max_c is not None
            else None
        ),
        facility_name=settings.get_in(session, "facility_name"),
    )


def _fact(e: EventView) -> StepFact:
    return StepFact(
        Step(e.step),
        parse_iso(e.occurred_at),
        parse_iso(e.started_at) if e.started_at else None,
        e.temperature_c,
    )


def _patient_events(session: Session, coi: str) -> tuple[PatientEventView, ...]:
    rows = (
        session.execute(
            select(PatientEvent).where(PatientEvent.coi == coi).order_by(PatientEvent.entry_seq)
        )
        .scalars()
        .all()
    )
    sigs = signatures_of(session, [r.entry_seq for r in rows])
    return tuple(
        PatientEventView(
            r.entry_seq,
            r.kind,
            r.occurred_at,
            r.unit_code,
            r.detail,
            r.by_user,
            r.to_user,
            sigs.get(r.entry_seq, ()),
        )
        for r in rows
    )


def _overrides(session: Session, coi: str) -> tuple[OverrideView, ...]:
    rows = session.execute(
        select(GateOverride, LedgerEntry.recorded_at)
        .join(LedgerEntry, LedgerEntry.seq == GateOverride.entry_seq)
        .where(GateOverride.coi == coi)
        .order_by(GateOverride.entry_seq)
    ).all()
    seqs = [r.entry_seq for r, _ in rows]
    sigs = signatures_of(session, seqs)
    fixed = corrected_reasons(session, seqs)
    return tuple(
        OverrideView(
            r.entry_seq,
            r.unit_code,
            r.gate,
            fixed.get(r.entry_seq, r.reason),
            at,
            sigs.get(r.entry_seq, ()),
        )
        for r, at in rows
    )


def show_case(db: Database, coi_text: str) -> CaseDetail:
    return db.read(lambda s: load_case(s, coi_text))
