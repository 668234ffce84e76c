"""Plain helpers for the GUI tests: a logged-in session, key presses and typing as a
person does them, a scanner's keyboard wedge, a file drop, waiting for reads off the
GUI thread, and the windows and dialogs as a user reaches them.

Not fixtures, so they live here rather than in tests/ui/conftest.py (pytest discourages
importing from a conftest module); each tests/ui/test_ui_*.py module imports the ones it
uses. `start` registers each app controller it starts; the autouse fixture
``_shut_down_controllers`` (tests/ui/conftest.py) shuts them down after the test.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from cart_chain.services import accounts
from cart_chain.services.case_detail import show_case
from cart_chain.services.cases import new_case
from cart_chain.services.custody import record_event
from cart_chain.services.views import CaseSummary
from cart_chain.services.workstation import OpenedDatabase
from cart_chain.ui import background
from cart_chain.ui.admin import AdminDialog
from cart_chain.ui.app import AppController
from cart_chain.ui.bedside import BedsideCheckDialog
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.record_step import RecordStepDialog
from cart_chain.ui.session import Session
from tests.helpers import (
    JOURNEY,
    RECEIVED_AT_SITE,
    TEMPERATURES,
    condition_for,
    creds,
    enrol,
    unit_of,
    walk,
)

# -- sessions, keys, scans and drops -------------------------------------------------


def make_session(opened: OpenedDatabase, username: str, signed: bool = False) -> Session:
    """A logged-in session for ``username`` (``signed``: first signature already given)."""
    session = Session(opened, accounts.login(opened.db, creds(username)))
    if signed:
        session.signed()
    return session


def settled(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Wait until every read started off the GUI thread (`ui.background`) is shown."""
    qtbot.waitUntil(lambda: not background.busy(), timeout=10_000)


def press(widget, key, modifier=None):  # type: ignore[no-untyped-def]
    """A key press delivered the way a keyboard delivers it: through the window,
    so window shortcuts (F2, Ctrl+L) fire, else the focused widget gets the key."""
    top = widget.window()
    if QApplication.activeWindow() is not top:
        top.activateWindow()
        QApplication.processEvents()
    QTest.keyClick(top.windowHandle(), key, modifier or Qt.KeyboardModifier.NoModifier)


def type_like_a_person(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` 60 ms a key, as a person does (instant keyClicks look like a scan)."""
    qtbot.keyClicks(widget, text, delay=60)


SCANNER_MS = 1  # a keyboard-wedge scanner types a character every millisecond or so


def wedge(qtbot: Any, widget: QWidget, text: str, key: Qt.Key = Qt.Key.Key_Return) -> None:
    """What a scanner sends into ``widget``: the characters, fast, then Enter."""
    widget.setFocus()
    qtbot.keyClicks(widget, text, delay=SCANNER_MS)
    qtbot.keyClick(widget, key, delay=SCANNER_MS)


def drop_files(widget, *paths) -> bool:  # type: ignore[no-untyped-def]
    """Drag local files over ``widget`` and drop them, as a file manager does: a drag
    enter, then the drop, each delivered through Qt's event dispatch (event filters
    included). True when the drop was accepted."""
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


# -- cases ---------------------------------------------------------------------------


def events(opened, coi: str) -> int:  # type: ignore[no-untyped-def]
    """How many steps are recorded on the case's bags."""
    return sum(len(u.events) for u in show_case(opened.db, coi).units)


def at_site(opened, name: str = "Bea Bedside") -> str:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, name)
    walk(opened.db, unit_of(coi), RECEIVED_AT_SITE)  # received at the treatment centre
    return coi


def breyanzi_case(opened, product: str = "Breyanzi") -> str:  # type: ignore[no-untyped-def]
    coi = new_case(
        opened.db, creds("alice"), "Tess Thaw", "1970-01-01", "MRN-7", product, 1
    ).subject
    # The journey so far, done hours ago: a thaw may not start before the last step.
    early = datetime.now(UTC) - timedelta(hours=8)
    for i, (step, by, to) in enumerate(JOURNEY[:RECEIVED_AT_SITE]):
        record_event(
            opened.db,
            unit_of(coi),
            step,
            creds(by),
            creds(to) if to else None,
            location=f"{step} room",
            temperature_c=TEMPERATURES[step],
            occurred_at=early + timedelta(minutes=i),
            condition=condition_for(step),
        )
    return coi


# -- windows and dialogs -------------------------------------------------------------


def open_window(qtbot, opened, user: str) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, user))
    qtbot.addWidget(window)
    window.show()
    settled(qtbot)  # the case list and the queue are read off the GUI thread
    return window


def start_recording(qtbot, window: MainWindow, coi: str) -> RecordStepDialog:  # type: ignore[no-untyped-def]
    window.open_case(coi)
    assert window.stack.currentWidget() is window.case_view
    press(window, Qt.Key.Key_F2)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, RecordStepDialog) and dialog.isVisible()
    return dialog


def scan(qtbot, dialog: RecordStepDialog, text: str, key=Qt.Key.Key_Return) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.scan, text)
    qtbot.keyClick(dialog.scan, key)


def record_dialog(qtbot, opened, coi: str, username: str, size=None):  # type: ignore[no-untyped-def]
    """The record-step dialog as a nurse reaches it: ``username`` logged in, the case
    open, F2, the bag's code scanned and Return (``size``: the window's, first)."""
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


def record_dialog_alone(qtbot: Any, opened: Any, coi: str, user: str) -> RecordStepDialog:
    """The dialog on its own (not deleted when it closes, so an old Enter that saved
    fails an assertion here instead of crashing the next key event)."""
    dialog = RecordStepDialog(make_session(opened, user), coi)
    qtbot.addWidget(dialog)
    dialog.show()
    wedge(qtbot, dialog.scan, unit_of(coi))  # the bag: its Enter ends the scan
    assert dialog.unit is not None
    return dialog


def thaw_dialog(qtbot, opened, coi: str) -> RecordStepDialog:  # type: ignore[no-untyped-def]
    dialog = record_dialog(qtbot, opened, coi, "ines")
    assert dialog.selected_step() == "thaw"
    return dialog


def bedside_window(qtbot, opened, coi: str) -> MainWindow:  # type: ignore[no-untyped-def]
    """The infusion nurse's (ines's) window with the case open."""
    window = MainWindow(make_session(opened, "ines"))
    qtbot.addWidget(window)
    window.show()
    window.open_case(coi)
    return window


def bedside(qtbot, window: MainWindow) -> BedsideCheckDialog:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(window.case_view.bedside_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, BedsideCheckDialog)
    return dialog


def sign_both(qtbot, dialog: BedsideCheckDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.by.username, "ines")
    qtbot.keyClicks(dialog.by.password, "ines-secret-1")
    qtbot.keyClicks(dialog.witness.username, "ivan")
    qtbot.keyClicks(dialog.witness.password, "ivan-secret-1")


def open_admin(qtbot, opened) -> tuple[MainWindow, AdminDialog]:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, "admin"))
    qtbot.addWidget(window)
    window.show()
    assert window.act_admin.isVisible() and not window.act_record.isEnabled()
    press(
        window,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.dialogs[-1]
    assert isinstance(dialog, AdminDialog)
    return window, dialog


def sign_as_admin(qtbot, dialog: AdminDialog) -> None:  # type: ignore[no-untyped-def]
    if not dialog.signature.username.isReadOnly():
        qtbot.keyClicks(dialog.signature.username, "admin")
    qtbot.keyClicks(dialog.signature.password, "admin-secret-1")


def answer(qtbot, press_enter: bool, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Answer the next confirmation: Enter (its default), or a click on the action."""

    def reply() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, reply)
            return
        seen.append(box.text())
        if press_enter:
            qtbot.keyClick(box, Qt.Key.Key_Return)
        else:
            go = next(b for b in box.buttons() if box.buttonRole(b) == box.ButtonRole.AcceptRole)
            qtbot.mouseClick(go, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, reply)


# -- the app, from its login window --------------------------------------------------

#: Every controller `start` started, for ``_shut_down_controllers`` to shut down.
controllers: list[AppController] = []


def start(qtbot, location: Path | str) -> AppController:  # type: ignore[no-untyped-def]
    controller = AppController(str(location))
    controllers.append(controller)
    qtbot.addWidget(controller.login)
    with qtbot.waitSignal(controller.ready, timeout=20_000):
        controller.start()
    return controller


def log_in(qtbot, controller: AppController, user: str, password: str) -> None:  # type: ignore[no-untyped-def]
    login = controller.login
    type_like_a_person(qtbot, login.username, user)
    qtbot.keyClick(login.username, Qt.Key.Key_Return)  # moves to the password
    type_like_a_person(qtbot, login.password, password)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)


# -- a fake of the case-list service, for the list models ----------------------------


def summary(i: int, steps: tuple[tuple[str, str | None], ...] = ()) -> CaseSummary:
    return CaseSummary(
        coi=f"COI{i:05d}",
        grouped=f"CH {i:05d}",
        mrn=f"MRN-{i}",
        patient_name=f"Patient {i}",
        patient_dob="1970-01-01",
        product="Kymriah",
        unit_steps=steps or ((f"CHA9999260000{i:02d}U01X", "collection"),),
        last_event_at=None,
        created_at="2026-01-01T00:00:00.000000Z",
    )


class FakeService:
    """Plays list_case_page/count_cases over a list, recording every call."""

    def __init__(self, n: int) -> None:
        self.rows = [summary(i) for i in range(n)]
        self.calls: list[tuple[str, str, bool, str | None, int]] = []

    def fetch(
        self, search: str, key: str, desc: bool, after: CaseSummary | None, limit: int
    ) -> list[CaseSummary]:
        """The rows after ``after`` (keyset paging, as `case_list.list_case_page`)."""
        self.calls.append((search, key, desc, after.coi if after else None, limit))
        rows = [r for r in self.rows if search.lower() in r.patient_name.lower()]
        rows.sort(key=lambda r: r.coi, reverse=desc)
        if after is not None:
            rows = [r for r in rows if (r.coi < after.coi if desc else r.coi > after.coi)]
        return rows[:limit]

    def count(self, search: str) -> int:
        return len([r for r in self.rows if search.lower() in r.patient_name.lower()])
