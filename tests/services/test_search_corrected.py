"""Search and lists see a case's values as its corrections leave them (issue 14).

A patient's MRN or name typed wrongly at enrolment and corrected later must be
found by the corrected value, and no longer by the wrong one: a search that
matched the enrolment typo would open a case under an identity it no longer has.
"""

from __future__ import annotations

from cart_chain.services.case_detail import show_case
from cart_chain.services.case_list import count_cases, list_case_page
from cart_chain.services.corrections import correct
from tests.helpers import creds, enrol


def _correct_identity(db, coi: str, changes: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    seq = show_case(db, coi).seq
    correct(db, seq, changes, "typed wrongly at enrolment", creds("quinn"), creds("alice"))


def test_a_corrected_mrn_and_name_are_found_by_search(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_any_db, "Jon Smyth")
    other = enrol(ready_any_db, "Ada Lovelace")
    enrolled_mrn = show_case(ready_any_db, coi).mrn
    _correct_identity(ready_any_db, coi, {"mrn": "ZX-9911", "patient_name": "John Smith"})

    for term in ("zx-9911", "ZX-99", "john smith", "Smith"):
        found = [s.coi for s in list_case_page(ready_any_db, term)]
        assert found == [coi], term
        assert count_cases(ready_any_db, term) == 1, term
    # the values corrected away no longer find the case
    assert list_case_page(ready_any_db, "Smyth") == []
    assert count_cases(ready_any_db, "Smyth") == 0
    if enrolled_mrn != show_case(ready_any_db, other).mrn:
        assert coi not in [s.coi for s in list_case_page(ready_any_db, enrolled_mrn)]
    row = list_case_page(ready_any_db, "ZX-9911")[0]
    assert (row.mrn, row.patient_name) == ("ZX-9911", "John Smith")


def test_a_corrected_mrn_sorts_by_its_new_value(ready_db) -> None:  # type: ignore[no-untyped-def]
    a = enrol(ready_db, "Patient A")
    b = enrol(ready_db, "Patient B")
    _correct_identity(ready_db, a, {"mrn": "AAA-1"})
    _correct_identity(ready_db, b, {"mrn": "000-1"})
    by_mrn = [s.coi for s in list_case_page(ready_db, "", sort="mrn", descending=False)]
    assert by_mrn.index(b) < by_mrn.index(a)


def test_case_list_search_on_the_command_line_finds_the_corrected_mrn(ready_db) -> None:  # type: ignore[no-untyped-def]
    from tests.cli.helpers import ok, run

    coi = enrol(ready_db, "Jon Smyth")
    _correct_identity(ready_db, coi, {"mrn": "ZX-9911"})
    ready_db.dispose()
    listed = ok(run(ready_db.path, "case", "list", "--search", "zx-9911"))
    assert coi in listed and "ZX-9911" in listed
    assert ok(run(ready_db.path, "case", "list", "--search", "MRN-1")).strip() == ""
