"""A bag's whole story, in ledger order, for the case view's timeline.

Custody steps are not all that happened to a bag: the bedside identity checks
(passed, or failed and on what), every label printed and every label voided,
the deviations its steps opened and QA's decision on them, and QA's overrides of
an infusion gate. Each is one `TimelineEntry` with its signatures in full, read
in one transaction with the case itself, so the GUI draws what the records say
and never queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import local_display
from cart_chain.domain.gates import BEDSIDE
from cart_chain.domain.steps import HANDOFFS, Step
from cart_chain.services.case_detail import load_case
from cart_chain.services.labels import labels_in
from cart_chain.services.views import CaseDetail, EventView, SignatureView, UnitView
from cart_chain.store.database import Database
from cart_chain.store.models import LabelVoid, LedgerEntry, User

#: Kinds of timeline entries, in the words the case view shows.
STEP, BEDSIDE_CHECK, LABEL, LABEL_VOID, DEVIATION, OVERRIDE = (
    "step",
    "bedside",
    "label",
    "label_void",
    "deviation",
    "override",
)
GATE_NAMES = {
    "released_and_received": "released and received",
    "lymphodepletion": "lymphodepletion window",
    "bedside_check": "bedside check",
    "post_thaw_window": "post-thaw window",
}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened to a bag, as the timeline shows it."""

    seq: int  # its ledger entry
    at: str  # when (UTC): a step's completion, else when it was recorded
    kind: str
    title: str
    lines: tuple[str, ...]  # the facts, each shown in full
    signatures: tuple[SignatureView, ...] = ()
    alert: bool = False  # a failed check, an open deviation, a void: shown in red
    voided: bool = False  # a voided custody step (shown struck through)
    event: EventView | None = None  # the custody step, with its corrections


@dataclass(frozen=True, slots=True)
class CaseStory:
    detail: CaseDetail
    timelines: dict[str, tuple[TimelineEntry, ...]]  # unit id -> entries, oldest first


def step_entry(e: EventView) -> TimelineEntry:
    """A custody step as a timeline entry (its corrections stay on ``event``)."""
    step = Step(e.step)
    where = e.location or "—"
    if e.temperature_c is not None:
        where += f" · {e.temperature_c:g} °C"
    lines = [f"Where: {where}"]
    if e.started_at:
        lines.append(f"Began: {local_display(e.started_at)}")
    if e.condition:
        lines.append(f"Condition: {e.condition}")
    if e.volume_ml is not None or e.anticoagulant:
        vol = f"{e.volume_ml:g} mL" if e.volume_ml is not None else "—"
        lines.append(f"Collected: {vol} · anticoagulant {e.anticoagulant or '—'}")
    if e.note:
        lines.append(f"Note: {e.note}")
    title = step.label + (" ⇄ handoff" if step in HANDOFFS else "")
    if e.voided:
        title += " — VOIDED"
    return TimelineEntry(
        e.seq, e.occurred_at, STEP, title, tuple(lines), e.signatures, e.voided, e.voided, e
    )


def _deviation_at(unit: UnitView, seq: int) -> str:
    """A deviation is written right after the step that caused it: that step's time."""
    before = [e for e in unit.events if e.seq < seq]
    return before[-1].occurred_at if before else ""


def _entries(session: Session, detail: CaseDetail, unit: UnitView) -> list[TimelineEntry]:
    out = [step_entry(e) for e in unit.events]
    for p in detail.patient_events:
        if p.kind != BEDSIDE or p.unit != unit.unit:
            continue
        passed = p.detail == "pass"
        what = (p.detail or "").removeprefix("mismatch: ")
        line = (
            "Wristband and bag match (name, date of birth)"
            if passed
            else f"Did not match: {what}. Infusion stays stopped until a check passes."
        )
        title = "Bedside identity check: " + ("passed" if passed else "FAILED")
        out.append(
            TimelineEntry(
                p.seq, p.occurred_at, BEDSIDE_CHECK, title, (line,), p.signatures, not passed
            )
        )
    for d in unit.deviations:
        state = "awaiting QA review" if d.decision is None else f"QA: {d.decision}"
        lines = [d.detail, f"Limit {d.limit}; recorded {d.actual}", f"Decision: {state}"]
        if d.reason:
            lines.append(f"Reason: {d.reason}")
        if d.decision is not None and d.reviewed_at:
            who = d.reviewed_by_name or d.reviewed_by or "unknown"
            user = f" ({d.reviewed_by})" if d.reviewed_by else ""
            lines.append(f"Reviewed by {who}{user} · {local_display(d.reviewed_at)}")
        title = f"Deviation at {Step(d.step).label}"
        out.append(
            TimelineEntry(
                d.seq, _deviation_at(unit, d.seq), DEVIATION, title, tuple(lines), (), d.open
            )
        )
    for o in detail.overrides:
        if o.unit == unit.unit:
            gate = GATE_NAMES.get(o.gate, o.gate.replace("_", " "))
            out.append(
                TimelineEntry(
                    o.seq,
                    o.recorded_at,
                    OVERRIDE,
                    f"QA override of the infusion gate: {gate}",
                    (f"Reason: {o.reason}",),
                    o.signatures,
                    True,
                )
            )
    printed = labels_in(session, unit.unit)
    for label in printed:
        lines = [f"{label.kind} label, serial {label.serial_text}, at {Step(label.step).label}"]
        if label.reason:
            lines.append(f"Reprint reason: {label.reason}")
        if label.voided:
            lines.append(f"Since voided: {label.void_reason}")
        by = SignatureView(label.printed_by, label.printed_by_name, "Printed by", label.printed_at)
        out.append(
            TimelineEntry(label.seq, label.printed_at, LABEL, "Label printed", tuple(lines), (by,))
        )
    voids = session.execute(
        select(LabelVoid, LedgerEntry.recorded_at, LedgerEntry.actor, User.full_name)
        .join(LedgerEntry, LedgerEntry.seq == LabelVoid.entry_seq)
        .join(User, User.username == LedgerEntry.actor)
        .where(LabelVoid.unit_code == unit.unit)
    ).all()
    serials = {label.serial: label.serial_text for label in printed}
    for v, at, actor, name in voids:
        text = serials.get(v.serial, str(v.serial))
        lines = [f"Label {text} taken out of use: {v.reason}"]
        if v.replaced_by is not None:
            lines.append(f"Replaced by reprint {serials.get(v.replaced_by, v.replaced_by)}")
        by = SignatureView(actor, name, "Voided by", at)
        out.append(
            TimelineEntry(v.entry_seq, at, LABEL_VOID, "Label voided", tuple(lines), (by,), True)
        )
    return sorted(out, key=lambda t: (t.seq, t.kind != STEP))


def case_story(db: Database, coi: str) -> CaseStory:
    """The case and every bag's timeline, read in one transaction."""

    def run(session: Session) -> CaseStory:
        detail = load_case(session, coi)
        timelines: dict[str, tuple[TimelineEntry, ...]] = defaultdict(tuple)
        for unit in detail.units:
            timelines[unit.unit] = tuple(_entries(session, detail, unit))
        return CaseStory(detail, dict(timelines))

    return db.read(run)
