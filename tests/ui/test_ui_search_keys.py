"""The case list's search field and the keyboard: Ctrl+E exports from it, Enter on a
search with one match opens that case, Down moves into the list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cart_chain.ui.export import ExportDialog
from tests.helpers import enrol
from tests.ui.helpers import open_window, settled, type_like_a_person


def test_ctrl_e_exports_from_the_search_field(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Erin Export")
    window = open_window(qtbot, opened, "lena")
    search = window.home.search
    search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is search)
    type_like_a_person(qtbot, search, "erin")
    search.setCursorPosition(0)
    qtbot.keyClick(search, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert any(isinstance(d, ExportDialog) for d in window.dialogs)
    assert search.text() == "erin" and search.cursorPosition() == 0  # not taken as "end"


def test_enter_on_a_single_match_opens_it(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Sofia Single")
    enrol(opened.db, "Sofia Second")
    enrol(opened.db, "Bram Other")
    window = open_window(qtbot, opened, "lena")
    search = window.home.search
    type_like_a_person(qtbot, search, "sofia")
    qtbot.keyClick(search, Qt.Key.Key_Return)
    settled(qtbot)  # the search is read off the GUI thread
    assert window.stack.currentWidget() is window.home  # two match: the list, filtered
    assert window.home.model.rowCount() == 2
    type_like_a_person(qtbot, search, " single")
    qtbot.keyClick(search, Qt.Key.Key_Return)  # at once, before the typing pause ends
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.case_view)  # once read
    assert window.case_view.title.text() == "Sofia Single"


def test_down_moves_from_the_search_into_the_list(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Dora Down")
    enrol(opened.db, "Dan Down")
    window = open_window(qtbot, opened, "lena")
    search, table = window.home.search, window.home.table
    search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is search)
    qtbot.keyClick(search, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is table and table.currentIndex().row() == 0
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 1
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.case_view
    assert window.case_view.title.text() == "Dora Down"  # the older: second, newest first


def test_the_filter_passes_ctrl_e_on_when_the_field_claims_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Under X11 (GNOME, KDE) a QLineEdit claims Ctrl+E as "end of line"; the offscreen
    platform has no such binding, so a field that claims it as X11 does stands in."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QLineEdit, QWidget

    from cart_chain.ui.search_keys import SearchKeys

    class X11Field(QLineEdit):
        def event(self, e: QEvent) -> bool:
            if e.type() == QEvent.Type.ShortcutOverride and e.keyCombination() == (  # type: ignore[attr-defined]
                Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_E
            ):
                e.accept()
                return True
            return super().event(e)

    def fired_with(install: bool) -> list[bool]:
        window = QWidget()
        qtbot.addWidget(window)
        field = X11Field(window)
        fired: list[bool] = []
        action = QAction(window)
        action.setShortcut(QKeySequence("Ctrl+E"))
        action.triggered.connect(lambda: fired.append(True))
        window.addAction(action)
        if install:
            field.installEventFilter(SearchKeys(lambda: None, field))
        window.show()
        field.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
        qtbot.keyClick(field, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        return fired

    assert fired_with(install=False) == []  # the field took it: the old behaviour
    assert fired_with(install=True) == [True]
