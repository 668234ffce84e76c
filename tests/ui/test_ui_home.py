"""Home: search the case list, scan a bag to open its case, keyboard navigation."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.models.cases_model import NAME
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import make_session, open_window, press, settled


def test_lists_cases_with_their_current_step(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Hana Home")
    walk(opened.db, unit_of(coi), 3)
    enrol(opened.db, "Other Person")
    window = open_window(qtbot, opened, "lena")
    model = window.home.model
    assert model.sort_key == "created" and model.descending  # newest first
    assert model.rowCount() == 2 and window.home.count.text() == "2 cases"
    assert model.data(model.index(1, NAME)) == "Hana Home"
    assert model.data(model.index(1, 4)) == "Receipt at manufacturing"
    assert window.windowTitle().startswith("Cases — cart-chain")


def test_typing_filters_and_a_scan_opens_the_case(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Sofia Search")
    enrol(opened.db, "Bram Other")
    window = open_window(qtbot, opened, "lena")
    qtbot.keyClicks(window.home.search, "sofia")
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 1)
    assert window.home.model.rows[0].coi == coi

    window.home.search.clear()
    qtbot.keyClicks(window.home.search, unit_of(coi))  # a keyboard-wedge scan of a bag
    qtbot.keyClick(window.home.search, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.case_view
    assert "Sofia Search" in window.windowTitle()
    press(window, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.home


def test_a_misread_scan_says_so(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = open_window(qtbot, opened, "lena")
    bad = coi[:-1] + ("A" if coi[-1] != "A" else "B")
    qtbot.keyClicks(window.home.search, bad)
    qtbot.keyClick(window.home.search, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.home
    assert "check character" in window.home.message.text()


def test_keyboard_opens_a_case_from_the_table(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Kim Keyboard")
    window = open_window(qtbot, opened, "lena")
    table = window.home.table
    table.setFocus()
    table.setCurrentIndex(window.home.model.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.case_view
    assert window.case_view.title.text() == "Kim Keyboard"


def test_administrator_sees_administration_but_cannot_record(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, "admin"))
    qtbot.addWidget(window)
    window.show()
    assert window.act_admin.isVisible()
    assert not window.act_record.isEnabled()
    assert window.record_step() is None


def test_clicking_a_header_sorts_through_the_service(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Zed Last")
    enrol(opened.db, "Abe First")
    window = open_window(qtbot, opened, "lena")
    header = window.home.table.horizontalHeader()
    x = header.sectionViewportPosition(NAME) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    settled(qtbot)
    model = window.home.model
    assert model.sort_key == "patient"
    names = [model.data(model.index(r, NAME)) for r in range(2)]
    assert names == sorted(["Zed Last", "Abe First"], reverse=model.descending)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    settled(qtbot)
    flipped = [model.data(model.index(r, NAME)) for r in range(2)]
    assert flipped == names[::-1]  # a second click reverses the order


def test_about_shows_the_package_version_and_the_database(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from cart_chain import __version__

    window = open_window(qtbot, opened, "lena")
    window.act_about.trigger()
    box = window.dialogs[-1]
    assert box.isVisible()
    assert f"cart-chain {__version__}" in box.text() and opened.where in box.text()
