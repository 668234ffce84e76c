"""Billing codes per case and operational metrics across cases.

Both are read-only folds over the custody events (voided steps excluded); the
rules themselves live in `domain.billing` and `domain.windows`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.billing import BillingLine, billing_lines
from cart_chain.domain.clock import parse_iso
from cart_chain.domain.steps import Step
from cart_chain.services.case_detail import load_case
from cart_chain.store.database import Database
from cart_chain.store.models import Case, Correction, Deviation, Event, Unit


def case_billing(db: Database, coi: str, tz: tzinfo | None = None) -> list[BillingLine]:
    def run(session: Session) -> list[BillingLine]:
        detail = load_case(session, coi)
        events = [
            (u.unit, Step(e.step), parse_iso(e.occurred_at))
            for u in detail.units
            for e in u.events
            if not e.voided
        ]
        return billing_lines(events, tz)

    return db.read(run)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


@dataclass
class Group:
    """Figures for one product, or for all cases."""

    cases: int = 0
    vein_to_vein_hours: list[float] = field(default_factory=list)
    transport_hours: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    deviations_per_step: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def summary(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "vein_to_vein_hours": {
                "n": len(self.vein_to_vein_hours),
                "median": _median(self.vein_to_vein_hours),
            },
            "transport_hours": {
                leg: {"n": len(v), "median": _median(v)}
                for leg, v in sorted(self.transport_hours.items())
            },
            "deviations_per_step": dict(sorted(self.deviations_per_step.items())),
        }


LEGS = {
    "to_manufacturing": (Step.SHIP_TO_MANUFACTURING, Step.RECEIPT_AT_MANUFACTURING),
    "to_site": (Step.SHIP_TO_SITE, Step.RECEIPT_AT_SITE),
}


@dataclass(frozen=True, slots=True)
class CaseMetrics:
    coi: str
    product: str
    vein_to_vein_hours: float | None
    transport_hours: dict[str, list[float]]


def _hours(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() / 3600, 2)


def metrics(db: Database) -> dict[str, object]:
    """Vein-to-vein, transport times and deviations per step: all cases and per product."""

    def run(session: Session) -> dict[str, object]:
        voided = select(Correction.target_seq).where(Correction.field == "void")
        rows = session.execute(
            select(Case.coi, Case.product, Event.unit_code, Event.step, Event.occurred_at)
            .join(Unit, Unit.coi == Case.coi)
            .join(Event, Event.unit_code == Unit.unit_code)
            .where(Event.entry_seq.not_in(voided))
            .order_by(Event.entry_seq)
        ).all()
        products = dict(session.execute(select(Case.coi, Case.product)).all())
        per_unit: dict[str, list[tuple[Step, datetime]]] = defaultdict(list)
        unit_case: dict[str, str] = {}
        for coi, _product, unit, step, at in rows:
            per_unit[unit].append((Step(step), parse_iso(at)))
            unit_case[unit] = coi
        cases: dict[str, CaseMetrics] = {}
        for coi, product in products.items():
            cases[coi] = CaseMetrics(coi, product, None, defaultdict(list))
        first_collection: dict[str, datetime] = {}
        last_infusion: dict[str, datetime] = {}
        for unit, events in per_unit.items():
            coi = unit_case[unit]
            for step, at in events:
                if step is Step.COLLECTION:
                    first_collection[coi] = min(at, first_collection.get(coi, at))
                if step is Step.INFUSION:
                    last_infusion[coi] = max(at, last_infusion.get(coi, at))
            for leg, (start, end) in LEGS.items():
                shipped = next((at for s, at in events if s is start), None)
                received = next((at for s, at in events if s is end), None)
                if shipped and received:
                    cases[coi].transport_hours[leg].append(_hours(shipped, received))
        groups: dict[str, Group] = defaultdict(Group)
        for coi, m in cases.items():
            v2v = (
                _hours(first_collection[coi], last_infusion[coi])
                if coi in first_collection and coi in last_infusion
                else None
            )
            for g in (groups["all"], groups[m.product]):
                g.cases += 1
                if v2v is not None:
                    g.vein_to_vein_hours.append(v2v)
                for leg, values in m.transport_hours.items():
                    g.transport_hours[leg].extend(values)
        for coi, step in session.execute(select(Deviation.coi, Deviation.step)).all():
            for g in (groups["all"], groups[products[coi]]):
                g.deviations_per_step[step] += 1
        per_case = [
            {
                "coi": coi,
                "product": m.product,
                "vein_to_vein_hours": (
                    _hours(first_collection[coi], last_infusion[coi])
                    if coi in first_collection and coi in last_infusion
                    else None
                ),
                "transport_hours": dict(m.transport_hours),
            }
            for coi, m in sorted(cases.items())
        ]
        return {
            "all": groups["all"].summary(),
            "per_product": {p: g.summary() for p, g in sorted(groups.items()) if p != "all"},
            "cases": per_case,
        }

    return db.read(run)
