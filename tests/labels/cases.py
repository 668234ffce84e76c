"""Plain helpers that make a case to print labels for, shared by the label tests and the
service tests of what a label carries (tests/services/test_collection_facts.py).

`enrol_unit` enrols a one-bag case (Tecartus: a fresh-apheresis product) and gives its
unit, `configure_product_code` gives the site the ISBT 128 product code
`PRODUCT_CODE` for a profile, and `din_of` reads the DIN the unit was given. Kept out
of tests/labels/helpers.py, which must import without the database layer.
"""

from __future__ import annotations

import json

from cart_chain.domain.din import Din
from cart_chain.services import settings
from cart_chain.services.case_detail import show_case
from cart_chain.services.cases import new_case
from cart_chain.store.database import Database
from tests.helpers import creds, unit_of

PRODUCT_CODE = "S1234V00"


def enrol_unit(db: Database, product: str = "Tecartus") -> str:
    coi = new_case(db, creds("alice"), "Test Patient", "1970-01-01", "MRN-1", product, 1).subject
    return unit_of(coi)


def configure_product_code(db: Database, profile: str = "tecartus") -> None:
    value = json.dumps({profile: {"product_codes": [PRODUCT_CODE]}})
    settings.set_setting(db, creds("admin"), "product_identifiers", value)


def din_of(db: Database, unit: str) -> Din:
    (view,) = show_case(db, unit).units
    assert view.din is not None and view.din_grouped is not None
    return Din(view.din[:-1], view.din_grouped.split(" [")[0].rsplit(" ", 1)[1])
