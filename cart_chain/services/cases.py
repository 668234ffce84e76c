"""Enrolling a case: a new COI, its units and their DINs, signed by the enrolling user.

Reading cases back: `case_detail` (one case), `case_list` (pages of summaries),
`unit_state` (a unit's step and facts the writers check).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_dob
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.identifiers import Coi
from cart_chain.domain.roles import ENROL_ROLES
from cart_chain.domain.text import clean_identifier, clean_name
from cart_chain.services import dins, profiles, settings
from cart_chain.services.accounts import (
    Credentials,
    authenticate_in,
    require_role,
    signed_write,
)
from cart_chain.services.signing import receipt, signature
from cart_chain.services.views import (
    Receipt,
)
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import (
    Case,
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
