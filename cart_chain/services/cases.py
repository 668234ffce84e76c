"""Enrolling a case and reading cases back as views."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_dob, parse_iso, utc_iso
from cart_chain.domain.errors import InvalidValue, NotFound
from cart_chain.domain.identifiers import MAX_UNITS, Coi, UnitId, parse_any, parse_coi
from cart_chain.domain.roles import ENROL_ROLES
from cart_chain.domain.steps import RULES, Custody, Step, next_steps, ordered
from cart_chain.domain.text import clean_identifier, clean_name
from cart_chain.domain.windows import StepFact, live_windows
from cart_chain.services import dins, links, settings
from cart_chain.services.accounts import (
    Credentials,
    authenticate_in,
    require_role,
    signed_write,
)
from cart_chain.services.signing import receipt, signature
from cart_chain.services.views import (
    CaseDetail,
    CaseSummary,
    CorrectionView,
    DeviationView,
    EventView,
    OverrideView,
    PatientEventView,
    Receipt,
    SignatureView,
    UnitView,
    WindowView,
)
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import (
    Case,
    Correction,
    Event,
    GateOverride,
    LedgerEntry,
    PatientEvent,
    Signature,
    Unit,
    User,
)

MAX_BAGS = 20


def new_case(
    db: Database,
    by: Credentials,
    name: str,
    dob: str,
    mrn: str,
    product: str,
    bags: int = 1,
    profile: str | None = None,
    indication: str | None = None,
) -> Receipt:
    """Enrol a patient: a new COI with its units, signed by the enrolling user.

    The product profile (named, or found from the product's name, else the
    generic one) is copied into the enrolment entry: the limits in force stay
    with the case.
    """
    from cart_chain.services import profiles

    chosen = profiles.get_profile(profile) if profile else profiles.for_product(product)
    profile_copy = profiles.enrolment_copy(chosen, indication)  # indication: optional, checked
    patient = {
        "name": clean_name(name, "patient name"),
        "dob": parse_dob(dob),
        "mrn": clean_identifier(mrn, "MRN"),
    }
    product = clean_name(product, "product")
    if not 1 <= bags <= MAX_BAGS:
        raise InvalidValue(f"a case starts with 1 to {MAX_BAGS} bags")

    def run(session: Session) -> Receipt:
        user = authenticate_in(session, by)
        require_role(user, ENROL_ROLES, "enrol a case")
        facility = settings.get_in(session, "facility")
        year = datetime.now(UTC).year % 100
        used = session.execute(
            select(func.count())
            .select_from(Case)
            .where(Case.facility == facility, Case.year == year)
        ).scalar_one()
        coi = Coi.build(facility, year, used + 1)
        collected = dins.allocate(session, facility, year, bags)
        sig = signature(user, "Performed by")
        entry = ledger.append(
            session,
            "case_created",
            user.username,
            {
                "coi": coi.full,
                "facility": facility,
                "year": year,
                "patient": patient,
                "product": product,
                "profile": profile_copy,
                "units": [coi.unit(n).full for n in range(1, bags + 1)],
                "dins": [d.full for d in collected],  # one per collection, in unit order
                "signatures": [sig],
            },
        )
        return receipt(entry, coi.full)

    return signed_write(db, run)


# -- reading ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRef:
    unit_code: str
    coi: str
    number: int
    parent_unit: str | None


def live(event_seq: Any) -> Any:
    """SQL condition: the event was not voided (a correlated EXISTS on the target index:
    NOT IN over all corrections would scan them for every step recorded)."""
    return ~exists().where(Correction.target_seq == event_seq, Correction.field == "void")


_LATEST = (
    select(Event.step, Event.occurred_at)
    .where(Event.unit_code == bindparam("code"), live(Event.entry_seq))
    .order_by(Event.entry_seq.desc())
    .limit(1)
)


def latest_step(session: Session, unit_code: str) -> tuple[Step | None, str | None]:
    """The unit's last step that was not voided, and when it happened."""
    row = session.connection().execute(_LATEST, {"code": unit_code}).first()
    return (None, None) if row is None else (Step(row[0]), row[1])


def current_step(session: Session, unit_code: str) -> Step | None:
    return latest_step(session, unit_code)[0]


def _signatures_by_seq(session: Session, seqs: list[int]) -> dict[int, tuple[SignatureView, ...]]:
    out: dict[int, list[SignatureView]] = defaultdict(list)
    if seqs:
        rows = session.execute(
            select(Signature)
            .where(Signature.entry_seq.in_(seqs))
            .order_by(Signature.entry_seq, Signature.ordinal)
        ).scalars()
        for s in rows:
            out[s.entry_seq].append(
                SignatureView(s.username, s.printed_name, s.meaning, s.signed_at)
            )
    return {k: tuple(v) for k, v in out.items()}


def corrections_for(session: Session, targets: list[int]) -> dict[int, list[CorrectionView]]:
    """The corrections of each entry in ``targets``, oldest first (readiness reads them too)."""
    if not targets:
        return {}
    rows = session.execute(
        select(Correction, LedgerEntry.recorded_at)
        .join(LedgerEntry, LedgerEntry.seq == Correction.entry_seq)
        .where(Correction.target_seq.in_(targets))
        .order_by(Correction.entry_seq, Correction.ordinal)
    ).all()
    sigs = _signatures_by_seq(session, sorted({c.entry_seq for c, _ in rows}))
    out: dict[int, list[CorrectionView]] = defaultdict(list)
    for c, at in rows:
        out[c.target_seq].append(
            CorrectionView(
                c.entry_seq,
                c.target_seq,
                at,
                c.field,
                c.old_value,
                c.new_value,
                c.reason,
                sigs.get(c.entry_seq, ()),
            )
        )
    return out


def effective_value(value: object, field: str, corrections: list[CorrectionView]) -> object:
    """``value`` as the latest correction of ``field`` leaves it."""
    for c in corrections:
        if c.field == field:
            value = c.new_value
    return value


def _temperature(value: object) -> float | None:
    """A number stored as text by a correction (temperature, volume) back as a float."""
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
    sigs = _signatures_by_seq(session, seqs)
    corrections = corrections_for(session, [*seqs, case.entry_seq])
    names = dict(session.execute(select(User.username, User.full_name)).all())

    per_unit: dict[str, list[EventView]] = defaultdict(list)
    for e, at in events:
        cs = corrections.get(e.entry_seq, [])
        voided = any(c.field == "void" for c in cs)
        per_unit[e.unit_code].append(
            EventView(
                seq=e.entry_seq,
                unit=e.unit_code,
                step=e.step,
                occurred_at=str(effective_value(e.occurred_at, "occurred_at", cs)),
                recorded_at=at,
                location=effective_value(e.location, "location", cs),  # type: ignore[arg-type]
                temperature_c=_temperature(effective_value(e.temperature_c, "temperature_c", cs)),
                note=effective_value(e.note, "note", cs),  # type: ignore[arg-type]
                by=e.by_user,
                to=e.to_user,
                signatures=sigs.get(e.entry_seq, ()),
                corrections=tuple(cs),
                voided=voided,
                started_at=e.started_at,
                condition=e.condition,
                volume_ml=_temperature(effective_value(e.volume_ml, "volume_ml", cs)),
                anticoagulant=effective_value(e.anticoagulant, "anticoagulant", cs),  # type: ignore[arg-type]
            )
        )

    from cart_chain.services import profiles, readiness

    profile = profiles.of_case(session, case.coi)
    deviations: dict[str, list[DeviationView]] = defaultdict(list)
    for d in readiness.deviations_of(session, coi=case.coi):
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
            )
        )
    now = datetime.now(UTC)
    din_of = dins.of_case(session, case.coi)
    views = []
    for u in units:
        evs = per_unit.get(u.unit_code, [])
        live = [e for e in evs if not e.voided]
        step = Step(live[-1].step) if live else None
        custodian = location = None
        for e in live:
            rule = RULES[Step(e.step)]
            if rule.custody is Custody.PERFORMER:
                custodian = e.by
            elif rule.custody is Custody.RECEIVER:
                custodian = e.to or e.by
            location = e.location or location
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
    return CaseDetail(
        coi=case.coi,
        grouped=coi.grouped(),
        facility=case.facility,
        patient_name=str(effective_value(case.patient_name, "patient_name", cc)),
        patient_dob=str(effective_value(case.patient_dob, "patient_dob", cc)),
        mrn=str(effective_value(case.mrn, "mrn", cc)),
        product=str(effective_value(case.product, "product", cc)),
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
    sigs = _signatures_by_seq(session, [r.entry_seq for r in rows])
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
    from cart_chain.services.readiness import corrected_reasons

    seqs = [r.entry_seq for r, _ in rows]
    sigs = _signatures_by_seq(session, seqs)
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


def _effective_case_fields(session: Session, cois: list[str]) -> dict[str, dict[str, str]]:
    """Corrected patient fields per COI (corrections of case entries)."""
    if not cois:
        return {}
    rows = session.execute(
        select(Case.coi, Correction.field, Correction.new_value)
        .join(Correction, Correction.target_seq == Case.entry_seq)
        .where(Case.coi.in_(cois))
        .order_by(Correction.entry_seq, Correction.ordinal)
    ).all()
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for coi, field, value in rows:
        out[coi][field] = value
    return out


def count_cases(db: Database, search: str = "") -> int:
    return db.read(
        lambda s: s.execute(_filter(select(func.count()).select_from(Case), search)).scalar_one()
    )


def _filter(q, search: str):  # type: ignore[no-untyped-def]
    term = search.strip()
    if not term:
        return q
    like = f"%{term}%"
    compact = "".join(term.upper().split())
    return q.where(
        or_(
            Case.coi.like(f"%{compact}%"),
            Case.mrn.ilike(like),
            Case.patient_name.ilike(like),
            Case.product.ilike(like),
        )
    )


#: Orders the case list can be sorted in (the database sorts, so 100,000 cases page fast).
SORT_KEYS: tuple[str, ...] = ("created", "coi", "mrn", "patient", "product", "last_event")


def list_cases(
    db: Database,
    search: str = "",
    offset: int = 0,
    limit: int | None = None,
    sort: str = "created",
    descending: bool = True,
) -> list[CaseSummary]:
    """One page of case summaries (newest first unless ``sort`` says otherwise).

    Sorting by name or MRN uses the values as enrolled; a later correction of
    those fields is shown in the row but does not move it.
    """
    if sort not in SORT_KEYS:
        raise InvalidValue(f"cannot sort cases by {sort!r}; choose one of {', '.join(SORT_KEYS)}")

    def run(session: Session) -> list[CaseSummary]:
        q = _filter(
            select(Case, LedgerEntry.recorded_at).join(
                LedgerEntry, LedgerEntry.seq == Case.entry_seq
            ),
            search,
        )
        if sort == "last_event":
            last = (
                select(Unit.coi.label("coi"), func.max(Event.occurred_at).label("last"))
                .join(Event, Event.unit_code == Unit.unit_code)
                .group_by(Unit.coi)
                .subquery()
            )
            q = q.outerjoin(last, last.c.coi == Case.coi)
            column = func.coalesce(last.c.last, "")
        else:
            column = {
                "created": Case.entry_seq,
                "coi": Case.coi,
                "mrn": Case.mrn,
                "patient": Case.patient_name,
                "product": Case.product,
            }[sort]
        order = column.desc() if descending else column.asc()
        tie = Case.entry_seq.desc() if descending else Case.entry_seq.asc()
        q = q.order_by(order, tie).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return summaries(session, [(c, at) for c, at in session.execute(q)])

    return db.read(run)


def summaries(session: Session, rows: list[tuple[Case, str]]) -> list[CaseSummary]:
    """Summaries for already-ordered (case, enrolled at) rows: a few queries per page."""
    from cart_chain.services.readiness import deviations_of

    cois = [c.coi for c, _ in rows]
    if not cois:
        return []
    last = (
        select(Event.unit_code, func.max(Event.entry_seq).label("seq"))
        .join(Unit, Unit.unit_code == Event.unit_code)
        .where(Unit.coi.in_(cois), live(Event.entry_seq))
        .group_by(Event.unit_code)
        .subquery()
    )
    steps = dict(
        session.execute(
            select(Event.unit_code, Event.step).join(
                last, (last.c.unit_code == Event.unit_code) & (last.c.seq == Event.entry_seq)
            )
        ).all()
    )
    latest = dict(
        session.execute(
            select(Unit.coi, func.max(Event.occurred_at))
            .join(Event, Event.unit_code == Unit.unit_code)
            .where(Unit.coi.in_(cois))
            .group_by(Unit.coi)
        ).all()
    )
    units: dict[str, list[str]] = defaultdict(list)
    for coi, code in session.execute(
        select(Unit.coi, Unit.unit_code).where(Unit.coi.in_(cois)).order_by(Unit.number)
    ).all():
        units[coi].append(code)
    open_deviations: dict[str, int] = defaultdict(int)
    for d in deviations_of(session, cois=cois):
        if d.blocking:
            open_deviations[d.coi] += 1
    fixes = _effective_case_fields(session, cois)
    out = []
    for c, at in rows:
        f = fixes.get(c.coi, {})
        out.append(
            CaseSummary(
                coi=c.coi,
                grouped=parse_coi(c.coi).grouped(),
                mrn=f.get("mrn", c.mrn),
                patient_name=f.get("patient_name", c.patient_name),
                patient_dob=f.get("patient_dob", c.patient_dob),
                product=f.get("product", c.product),
                unit_steps=tuple((u, steps.get(u)) for u in units[c.coi]),
                last_event_at=latest.get(c.coi),
                created_at=at,
                open_deviations=open_deviations.get(c.coi, 0),
            )
        )
    return out


def next_unit_number(session: Session, coi: str) -> int:
    n = session.execute(select(func.max(Unit.number)).where(Unit.coi == coi)).scalar() or 0
    if n >= MAX_UNITS:
        raise InvalidValue(f"case {coi} already has {MAX_UNITS} units")
    return n + 1


def enrolled_at(session: Session, coi: str) -> datetime:
    """When the case was enrolled: the time its ``case_created`` entry was recorded."""
    recorded = session.execute(
        select(LedgerEntry.recorded_at)
        .join(Case, Case.entry_seq == LedgerEntry.seq)
        .where(Case.coi == coi)
    ).scalar_one()
    return parse_iso(recorded)


def entry_payload(session: Session, seq: int) -> tuple[str, dict[str, object]] | None:
    row = session.get(LedgerEntry, seq)
    return None if row is None else (row.kind, json.loads(row.payload))
