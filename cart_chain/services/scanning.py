"""Checking a scan against the case: the gate at every handoff.

`scan` is read-only: it resolves the code through `bags.identify` (parse,
wrong patient first, unknown unit or label, voided label; see there for the
order and why), then checks the step about to be recorded and returns what the
user must compare with the wristband. Each refusal is its own exception type
(see `REFUSALS`) so the CLI and the GUI show it distinctly.

`record_refused_scan` is for the GUI: when a scan is refused in the middle of a
recording, the refusal itself is evidence (a wrong-patient scan at the bedside
is a near miss) and goes into the ledger. The services that act on a bag record
their own refusals (`bags.bag_write`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cart_chain.domain.errors import MalformedScan
from cart_chain.domain.labelcode import ScanSource, parse_scan
from cart_chain.domain.steps import Step, parse_step
from cart_chain.services.bag_state import case_bags, case_reads
from cart_chain.services.bags import (
    REFUSALS,
    check_step,
    identify,
    record_refused_scan,
    refusal_code,
    unit_reads,
)
from cart_chain.services.labels import LabelPrintView, labels_in
from cart_chain.services.views import BagState
from cart_chain.store import batch
from cart_chain.store.database import Database

__all__ = ["REFUSALS", "ScanResult", "record_refused_scan", "refusal_code", "scan", "scan_in"]


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan names, and the state it was checked against (`bag_state`: a bag's
    events, windows and deviations are the case view's to read)."""

    scanned: str  # "label", "unit" or "coi"
    coi: str
    coi_grouped: str
    patient_name: str
    patient_dob: str
    product: str
    unit: BagState | None  # None when a COI was scanned
    units: tuple[BagState, ...]  # every unit of the case
    label: LabelPrintView | None  # the printed label, when a label payload was scanned
    step: str | None  # the step checked against (allowed next), if one was given


def scan_in(
    session: Session,
    text: str,
    expect: str | None = None,
    step: str | None = None,
    source: ScanSource = "keyboard",
) -> ScanResult:
    if step is not None:
        parse_step(step)  # an unknown step name is the caller's error, whatever was scanned
    batch.read_ahead(session, _scan_reads(text, source))
    scanned = identify(session, text, expect=expect, source=source)
    case = case_bags(session, scanned.coi)
    unit_view = None
    label = None
    if scanned.unit is not None:
        code = scanned.unit.full
        unit_view = next(u for u in case.units if u.unit == code)
        if scanned.serial is not None:
            label = next(p for p in labels_in(session, code) if p.serial == scanned.serial)
    checked = None
    if step is not None:
        if unit_view is None:
            if len(case.units) != 1:
                raise MalformedScan(
                    f"COI {scanned.coi.grouped()} names a case of {len(case.units)} bags; "
                    "scan the bag's own label to check a step"
                )
            unit_view = case.units[0]
        current = Step(unit_view.current_step) if unit_view.current_step else None
        checked = check_step(unit_view.unit, current, parse_step(step)).value
    return ScanResult(
        scanned=scanned.kind,
        coi=case.coi,
        coi_grouped=case.grouped,
        patient_name=case.patient_name,
        patient_dob=case.patient_dob,
        product=case.product,
        unit=unit_view,
        units=case.units,
        label=label,
        step=checked,
    )


def _scan_reads(text: str, source: ScanSource) -> list[batch.Read]:
    """What a scan of one of our own codes reads first, sent together (`batch`): on
    PostgreSQL one round trip for the bag and its case. Anything else is read when
    asked, in order, as before."""
    try:
        scanned = parse_scan(text, source=source)
    except MalformedScan:
        return []
    return [*unit_reads(text, source), *case_reads(scanned.coi)]


def scan(
    db: Database,
    text: str,
    *,
    expect: str | None = None,
    step: str | None = None,
    source: ScanSource = "keyboard",
) -> ScanResult:
    """Resolve a scanned or typed code, or raise the refusal; never writes anything."""
    return db.read(lambda s: scan_in(s, text, expect, step, source))
