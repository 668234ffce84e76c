"""Plain helpers for the GUI tests: a logged-in session, key presses and typing as a
person does them, a file drop, and waiting for reads off the GUI thread.

Not fixtures, so they live here rather than in tests/ui/conftest.py (pytest discourages
importing from a conftest module); each tests/ui/test_ui_*.py module imports the ones it
uses.
"""

from __future__ import annotations

from cart_chain.services.workstation import OpenedDatabase
from tests.helpers import creds, unit_of


def make_session(opened: OpenedDatabase, username: str, signed: bool = False):  # type: ignore[no-untyped-def]
    """A logged-in session for ``username`` (``signed``: first signature already given)."""
    from cart_chain.services.accounts import login
    from cart_chain.ui.session import Session

    session = Session(opened, login(opened.db, creds(username)))
    if signed:
        session.signed()
    return session


def settled(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Wait until every read started off the GUI thread (`ui.background`) is shown."""
    from cart_chain.ui import background

    qtbot.waitUntil(lambda: not background.busy(), timeout=10_000)


def press(widget, key, modifier=None):  # type: ignore[no-untyped-def]
    """A key press delivered the way a keyboard delivers it: through the window,
    so window shortcuts (F2, Ctrl+L) fire, else the focused widget gets the key."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    top = widget.window()
    if QApplication.activeWindow() is not top:
        top.activateWindow()
        QApplication.processEvents()
    QTest.keyClick(top.windowHandle(), key, modifier or Qt.KeyboardModifier.NoModifier)


def type_like_a_person(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` 60 ms a key, as a person does (instant keyClicks look like a scan)."""
    qtbot.keyClicks(widget, text, delay=60)


def drop_files(widget, *paths) -> bool:  # type: ignore[no-untyped-def]
    """Drag local files over ``widget`` and drop them, as a file manager does: a drag
    enter, then the drop, each delivered through Qt's event dispatch (event filters
    included). True when the drop was accepted."""
    import warnings

    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    mime.setText("\n".join(QUrl.fromLocalFile(str(p)).toString() for p in paths))
    at = QPointF(widget.rect().center())
    action, button, mods = (
        Qt.DropAction.CopyAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with warnings.catch_warnings():  # PySide marks Qt's one constructor deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(at.toPoint(), action, mime, button, mods)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(at, action, mime, button, mods)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def record_dialog(qtbot, opened, coi: str, username: str, size=None):  # type: ignore[no-untyped-def]
    """The record-step dialog as a nurse reaches it: ``username`` logged in, the case
    open, F2, the bag's code scanned and Return (``size``: the window's, first)."""
    from PySide6.QtCore import Qt

    from cart_chain.ui.main_window import MainWindow
    from cart_chain.ui.record_step import RecordStepDialog

    window = MainWindow(make_session(opened, username))
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    window.open_case(coi)
    press(window, Qt.Key.Key_F2)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, RecordStepDialog)
    qtbot.keyClicks(dialog.scan, unit_of(coi))
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    return dialog
