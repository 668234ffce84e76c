"""The shared setting facility_name is printed beside the FIN on the collection and
container labels (issue 12); unset, the collection label keeps the location typed at
the collection step and the container label a write-in line."""

from __future__ import annotations

import pytest

from cart_chain.domain.errors import InvalidValue
from cart_chain.labels.printing import print_label
from cart_chain.services import settings
from cart_chain.services.case_detail import show_case
from cart_chain.services.shared_settings import get_in
from cart_chain.store.database import Database
from tests.helpers import creds, walk
from tests.labels.cases import configure_product_code, din_of, enrol_unit
from tests.labels.helpers import decode, pdf_text, pdf_to_image

NAME = "St Elsewhere Apheresis Unit"


def test_facility_name_is_printed_beside_the_fin(ready_db: Database) -> None:
    db = ready_db
    configure_product_code(db)
    unit = enrol_unit(db)
    walk(db, unit, 1)  # collection, at "collection room"
    settings.set_setting(db, creds("admin"), "facility_name", f"  {NAME} ")
    din = din_of(db, unit)
    assert show_case(db, unit).facility_name == NAME
    collection = pdf_text(print_label(db, unit, "collection", creds("anna"), fmt="pdf").output)
    assert f"{NAME} · FIN {din.fin}" in collection
    assert "collection room" not in collection
    printed = print_label(db, unit, "container", creds("anna"), fmt="pdf")
    container = pdf_text(printed.output)
    assert "FACILITY" in container and f"FIN {din.fin}" in container
    assert all(word in container for word in NAME.split())
    # the added text sits beside the symbols: every one of them still decodes
    assert len(decode(pdf_to_image(printed.output, 300))) == 5


def test_without_a_facility_name_the_labels_say_what_they_know(ready_db: Database) -> None:
    db = ready_db
    unit = enrol_unit(db)
    walk(db, unit, 1)
    din = din_of(db, unit)
    collection = pdf_text(print_label(db, unit, "collection", creds("anna"), fmt="pdf").output)
    assert f"collection room · FIN {din.fin}" in collection
    container = pdf_text(print_label(db, unit, "container", creds("anna"), fmt="pdf").output)
    assert "FACILITY" in container and "(write in)" in container
    assert f"FIN {din.fin}" in container


@pytest.mark.parametrize("bad", ["", "   ", "two\nlines", "x" * 201])
def test_a_bad_facility_name_is_refused(ready_db: Database, bad: str) -> None:
    with pytest.raises(InvalidValue):
        settings.set_setting(ready_db, creds("admin"), "facility_name", bad)
    assert ready_db.read(lambda s: get_in(s, "facility_name")) == ""
