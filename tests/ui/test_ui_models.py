"""The case table model, without any view: paging, sorting, search, roles."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from cart_chain.ui.models.cases_model import (
    ALERTS,
    COI,
    HEADERS,
    NAME,
    SINCE,
    STEPS,
    CasesModel,
    SummaryRole,
)
from tests.ui.helpers import FakeService, summary


def test_loads_one_page_then_more_on_demand() -> None:
    svc = FakeService(1000)
    model = CasesModel(svc.fetch, svc.count, page=100)
    model.reload()
    assert model.rowCount() == 100 and model.total == 1000
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 200
    assert svc.calls[-1][3:] == (model.rows[99].coi, 100)  # the page after the last row held
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 1000
    assert len(svc.calls) == 10  # never more than one page per request


def test_sorting_goes_to_the_service_and_restarts() -> None:
    svc = FakeService(300)
    model = CasesModel(svc.fetch, svc.count, page=50)
    model.reload()
    model.sort(NAME, Qt.SortOrder.AscendingOrder)
    assert svc.calls[-1] == ("", "patient", False, None, 50)
    assert model.rowCount() == 50
    before = len(svc.calls)
    model.sort(STEPS, Qt.SortOrder.AscendingOrder)  # not sortable: ignored
    assert len(svc.calls) == before


def test_search_filters_through_the_service() -> None:
    svc = FakeService(30)
    model = CasesModel(svc.fetch, svc.count)
    model.reload()
    model.set_search("Patient 2")
    assert model.total == 11  # 2, 20-29
    assert svc.calls[-1][0] == "Patient 2"


def test_display_and_summary_role() -> None:
    svc = FakeService(3)
    model = CasesModel(svc.fetch, svc.count, alerts=lambda s: ("late", "later"))
    model.reload()
    idx = model.index(0, COI)
    assert model.data(idx, SummaryRole) is model.rows[0]
    assert model.data(idx) == model.rows[0].grouped
    assert model.data(model.index(0, STEPS)) == "Collection (apheresis)"
    assert model.data(model.index(0, SINCE)) == "—"
    assert model.data(model.index(0, ALERTS)) == "⚠ late (+1)"
    assert model.columnCount() == len(HEADERS)
    assert model.headerData(NAME, Qt.Orientation.Horizontal) == "Patient"


def test_model_over_a_real_database(opened) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services import case_list
    from tests.helpers import enrol

    for i in range(5):
        enrol(opened.db, f"Real {i}")
    db = opened.db
    model = CasesModel(
        lambda s, k, d, o, n: case_list.list_case_page(db, s, k, d, o, n),
        lambda s: case_list.count_cases(db, s),
        case_list.alerts,
        page=2,
    )
    model.reload()
    assert model.rowCount() == 2 and model.canFetchMore(QModelIndex())
    model.sort(NAME, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, NAME)) == "Real 4"
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert [model.data(model.index(r, NAME)) for r in range(5)] == [
        f"Real {i}" for i in (4, 3, 2, 1, 0)
    ]


def test_passes_the_qt_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    svc = FakeService(250)
    model = CasesModel(svc.fetch, svc.count, page=100)
    model.reload()
    qtmodeltester.check(model, force_py=True)


def test_bags_at_one_step_are_named_once() -> None:
    """Two bags at one step made three lines in the two-line row: cut by an ellipsis."""
    same = (("CHA999926000001U01X", "receipt_at_site"), ("CHA999926000001U02Y", "receipt_at_site"))
    apart = (*same, ("CHA999926000001U03Z", "thaw"))
    svc = FakeService(0)
    svc.rows = [summary(1, same), summary(2, apart)]
    model = CasesModel(svc.fetch, svc.count)
    model.reload()
    row = {model.data(model.index(r, NAME)): r for r in (0, 1)}
    assert model.data(model.index(row["Patient 1"], STEPS)) == (
        "U01, U02 Receipt at treatment centre"
    )
    assert model.data(model.index(row["Patient 2"], STEPS)) == (
        "U01, U02 Receipt at treatment centre; U03 Thaw"
    )
    tip = model.data(model.index(row["Patient 2"], STEPS), Qt.ItemDataRole.ToolTipRole)
    assert tip is not None and tip.count("\n") == 2  # one line per bag
