"""The case list pages by keyset over the case index (issue 14).

A page is "the rows after the last one held", so a case enrolled on another
workstation while someone scrolls never shifts the rows below it or shows one
twice (with OFFSET paging, a case enrolled at the top pushed the last row of a
page onto the next one). The index is checked by `verify`, so a tampered row fails.
"""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QModelIndex

from cart_chain.services import case_list
from cart_chain.services.case_detail import show_case
from cart_chain.services.case_list import SORT_KEYS, count_cases, list_case_page
from cart_chain.services.corrections import correct
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.ui.models.cases_model import CasesModel
from tests.helpers import creds, enrol, unit_of, walk


def _scroll(db: Database, sort: str, descending: bool, page: int, during) -> list[str]:  # type: ignore[no-untyped-def]
    """Page through the whole list, calling ``during(n)`` after page n is read."""
    seen: list[str] = []
    after = None
    n = 0
    while True:
        rows = list_case_page(db, "", sort, descending, after, page)
        seen += [r.coi for r in rows]
        if len(rows) < page:
            return seen
        after = rows[-1]
        during(n)
        n += 1


@pytest.mark.parametrize("sort", ["created", "patient"])
def test_rows_never_shift_or_repeat_when_another_workstation_enrols(ready_any_db, sort) -> None:  # type: ignore[no-untyped-def]
    before = [enrol(ready_any_db, f"Patient {name}") for name in "ACEGIKMOQS"]
    added: list[str] = []

    def elsewhere(n: int) -> None:  # one case at the top, one in the middle, per page
        added.append(enrol(ready_any_db, f"Patient {'Z' if n % 2 else 'B'}{n}"))

    seen = _scroll(ready_any_db, sort, True, 3, elsewhere)
    assert len(seen) == len(set(seen)), "a row was shown twice"
    assert set(before) <= set(seen), "a row was skipped"
    assert set(seen) - set(before) <= set(added)


def test_every_sort_key_pages_through_every_case_once(ready_db) -> None:  # type: ignore[no-untyped-def]
    cois = [enrol(ready_db, f"Name {i % 3}") for i in range(7)]  # ties on the name
    walk(ready_db, unit_of(cois[2]), 2)
    for sort in SORT_KEYS:
        for descending in (True, False):
            seen = _scroll(ready_db, sort, descending, 2, lambda n: None)
            assert sorted(seen) == sorted(cois), (sort, descending)
    assert count_cases(ready_db) == 7


def test_the_model_pages_by_the_last_row_it_holds(ready_db) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        enrol(ready_db, f"Row {i}")
    model = CasesModel(
        lambda s, k, d, a, n: case_list.list_case_page(ready_db, s, k, d, a, n),
        lambda s: case_list.count_cases(ready_db, s),
        page=2,
    )
    model.reload()
    first = [model.summary(r).coi for r in range(2)]
    enrol(ready_db, "Row new")  # at the top of "newest first"
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    coi_rows = [model.summary(r).coi for r in range(model.rowCount())]
    assert coi_rows[:2] == first
    assert len(coi_rows) == 5 == len(set(coi_rows))


def test_search_ignores_case_accents_and_wildcards(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db, "Zoë  Müller")
    enrol(ready_db, "Someone Else")
    assert [s.coi for s in list_case_page(ready_db, "zoe muller")] == [coi]
    assert [s.coi for s in list_case_page(ready_db, "MÜLLER")] == [coi]
    assert list_case_page(ready_db, "%") == []  # a literal percent sign, in no name
    assert list_case_page(ready_db, "_") == []


def test_last_event_follows_corrections_and_voids(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    seqs = walk(ready_db, unit_of(coi), 2)
    detail = show_case(ready_db, coi)
    first, second = detail.units[0].events[0], detail.units[0].events[1]
    row = list_case_page(ready_db, coi)[0]
    assert row.last_event_at == second.occurred_at
    correct(ready_db, seqs[1], {"void": "wrong bag"}, "wrong bag", creds("alice"))
    assert list_case_page(ready_db, coi)[0].last_event_at == first.occurred_at
    assert verify_ledger(ready_db).ok


def test_verify_names_a_tampered_index_row(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db, "Real Name")
    assert verify_ledger(ready_db).ok
    ready_db.dispose()
    conn = sqlite3.connect(str(ready_db.path))
    conn.execute("UPDATE case_index SET mrn = 'FORGED', mrn_key = 'forged' WHERE coi = ?", (coi,))
    conn.commit()
    conn.close()
    report = verify_ledger(ready_db)
    assert not report.ok
    assert report.problem is not None and report.problem.table == "case_index"
    assert "column mrn" in report.problem.message and "FORGED" in report.problem.message
