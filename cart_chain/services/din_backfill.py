"""DINs for the collections enrolled before DINs existed (migration 0004), signed by an admin.

A DIN is a custody identifier printed on the collection label, so giving one is a
recorded act: one ``dins_assigned`` entry, written under the name of the
administrator whose password was checked (as a setting change is, and `verify`
checks they were an administrator then), names every collection it gives a DIN;
the dins projection is rebuilt from it like any other. A migration could
not sign it (and would add rows no entry explains, which `verify` refuses), so an
administrator runs it once after upgrading: ``cart-chain din backfill --by ADMIN``.
Each DIN is allocated as at enrolment: the case's FIN and enrolment year, after the
highest sequence issued, inside the write transaction.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.roles import Role
from cart_chain.services import dins
from cart_chain.services.auth import Credentials, authenticate_in, require_role, signed_write
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds.admin import DINS_ASSIGNED
from cart_chain.store.models import Case, CollectionDin, Unit


def missing(session: Session) -> list[tuple[str, str, str, int]]:
    """(unit, COI, FIN, year) of each collection without a DIN, oldest first.

    A collection is a unit not split from another (a split bag carries its parent's).
    """
    rows = session.execute(
        select(Unit.unit_code, Unit.coi, Case.facility, Case.year)
        .join(Case, Case.coi == Unit.coi)
        .outerjoin(CollectionDin, CollectionDin.unit_code == Unit.unit_code)
        .where(Unit.parent_unit.is_(None), CollectionDin.din.is_(None))
        .order_by(Unit.entry_seq, Unit.unit_code)
    ).all()
    return [(u, c, f, y) for u, c, f, y in rows]


def backfill(db: Database, by: Credentials) -> list[tuple[str, str]]:
    """Give every collection without a DIN one; returns (unit, DIN) pairs (none: nothing to do)."""

    def run(session: Session) -> list[tuple[str, str]]:
        admin = authenticate_in(session, by)
        require_role(admin, frozenset({Role.ADMINISTRATOR}), "assign DINs to older collections")
        todo = missing(session)
        if not todo:
            return []
        groups: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
        for unit, coi, facility, year in todo:
            groups[(facility, year)].append((unit, coi))
        assigned: list[dict[str, str]] = []
        for (facility, year), units in groups.items():
            for (unit, coi), din in zip(
                units, dins.allocate(session, facility, year, len(units)), strict=True
            ):
                assigned.append({"unit": unit, "coi": coi, "din": din.full})
        ledger.append(
            session,
            DINS_ASSIGNED,
            admin.username,
            {"assigned": assigned, "by": admin.username},
        )
        return [(a["unit"], a["din"]) for a in assigned]

    return signed_write(db, run)
