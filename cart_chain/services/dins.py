"""The DIN of each collection: allocated at enrolment, read back for views and scans.

A DIN is allocated inside the enrolment's write transaction (the writer holds the
database's write lock), so two workstations enrolling at once never get the same
sequence; the unique constraint on (facility, year, sequence) is the second line.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cart_chain.domain.din import Din
from cart_chain.store.models import CollectionDin, Unit


def allocate(session: Session, facility: str, year: int, count: int) -> list[Din]:
    """``count`` new DINs for ``facility`` in ``year``, after the highest one issued."""
    last = session.execute(
        select(func.max(CollectionDin.sequence)).where(
            CollectionDin.facility == facility, CollectionDin.year == year
        )
    ).scalar()
    first = (last or 0) + 1
    return [Din.build(facility, year, n) for n in range(first, first + count)]


def of_case(session: Session, coi: str) -> dict[str, Din]:
    """Each unit's DIN; a bag split from a collection's unit carries that collection's DIN."""
    own = {
        code: Din(din[:-1])
        for code, din in session.execute(
            select(CollectionDin.unit_code, CollectionDin.din).where(CollectionDin.coi == coi)
        ).all()
    }
    parents = dict(
        session.execute(select(Unit.unit_code, Unit.parent_unit).where(Unit.coi == coi)).all()
    )
    out: dict[str, Din] = {}
    for code in parents:
        at: str | None = code
        while at is not None and at not in own:
            at = parents.get(at)
        if at is not None:
            out[code] = own[at]
    return out


def unit_of(session: Session, din: Din) -> tuple[str, str] | None:
    """(COI, unit id) of the collection this facility gave ``din``, or None."""
    row = session.execute(
        select(CollectionDin.coi, CollectionDin.unit_code).where(CollectionDin.din == din.full)
    ).first()
    return None if row is None else (row[0], row[1])
