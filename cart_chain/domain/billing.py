"""CPT codes for CAR-T (Category I since January 2025) derived from custody events.

Each code is billed at most once per date of service, whatever the number of
units that day (38228: "once per day, whatever the number of units"). Dates of
service are local dates in the treating site's time zone. Choices where the
code text leaves room:
- 38225 (harvesting) counts each day with a collection.
- 38226 (preparation for transportation) counts each day a unit was prepared
  and handed over for shipping to manufacturing: the unit's first
  ship-to-manufacturing step. Later legs of the same transport (courier to
  courier, airport to lab) are not another preparation and never bill, even on
  another day.
- 38227 (receipt and preparation for administration) counts each day a unit was
  thawed: the preparation is the billable work; receipt alone is not billed again.
- 38228 (administration) counts each day with an infusion, so a split dose
  (Aucatzyl: day 1 and day 10) gives one line per infusion date.
Voided steps never bill. Every output carries `MEDICARE_NOTE`: coders must not
read these lines as a Medicare inpatient claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from cart_chain.domain.steps import Step

CODES: dict[str, tuple[Step, str]] = {
    "38225": (Step.COLLECTION, "Harvesting of blood-derived T lymphocytes for CAR-T development"),
    "38226": (
        Step.SHIP_TO_MANUFACTURING,
        "Preparation of blood-derived T lymphocytes for transportation",
    ),
    "38227": (Step.THAW, "Receipt and preparation of CAR-T cells for administration"),
    "38228": (Step.INFUSION, "CAR-T cell administration, autologous"),
}


#: Printed with every billing output.
MEDICARE_NOTE = (
    "Medicare reports the pre-infusion codes (38225, 38226, 38227) for tracking only; "
    "inpatient claims use ICD-10-PCS."
)


@dataclass(frozen=True, slots=True)
class BillingLine:
    code: str
    description: str
    date_of_service: date
    units: int  # always 1: once per day
    events: int  # how many custody events that day support the line


def billing_lines(
    events: Iterable[tuple[str, Step, datetime]], tz: tzinfo | None = None
) -> list[BillingLine]:
    """One line per code per local date of service, in date then code order.

    ``events`` are (unit, step, time) of the case's steps that are not voided;
    the unit tells a transport's first leg (the preparation) from its later legs.
    """
    per_day: dict[tuple[str, date], int] = {}
    by_step = {step: code for code, (step, _) in CODES.items()}
    billed: list[tuple[Step, datetime]] = []
    prepared: dict[str, datetime] = {}
    for unit, step, at in events:
        if step is Step.SHIP_TO_MANUFACTURING:
            prepared[unit] = min(at, prepared.get(unit, at))
        else:
            billed.append((step, at))
    billed.extend((Step.SHIP_TO_MANUFACTURING, at) for at in prepared.values())
    for step, at in billed:
        code = by_step.get(step)
        if code is None:
            continue
        day = at.astimezone(tz).date()
        per_day[(code, day)] = per_day.get((code, day), 0) + 1
    return [
        BillingLine(code, CODES[code][1], day, 1, n)
        for (code, day), n in sorted(per_day.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
