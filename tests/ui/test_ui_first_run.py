"""First run through the widgets: no database → the wizard creates one → log in.

Each test starts the real `AppController` on a location in a temporary folder
and drives the wizard as a user would (typing, Next, Finish); the outcomes are
checked through the services: the file exists or not, the administrator can
log in, the demo cases are there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from cart_chain.services import case_list, demo, workstation
from cart_chain.ui import prefs
from cart_chain.ui.app import AppController
from cart_chain.ui.first_run import PAGE_ADMIN, PAGE_CHOICE, PAGE_CREATE, FirstRunWizard
from tests.ui.helpers import press, start, type_like_a_person

FIXTURES = Path(__file__).parents[1] / "fixtures"

PASSWORD = "violet-harbour-42"


def first_run(qtbot, location: Path | str) -> tuple[AppController, FirstRunWizard]:  # type: ignore[no-untyped-def]
    controller = start(qtbot, location)
    wizard = controller.wizard
    assert wizard is not None and wizard.isVisible()
    assert not controller.login.isVisible()
    return controller, wizard


def next_page(qtbot, wizard: FirstRunWizard) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def enter(wizard: FirstRunWizard) -> None:
    """Enter, as a keyboard user presses it in the focused field: the default button."""
    press(wizard, Qt.Key.Key_Return)


def fill_admin(qtbot, wizard: FirstRunWizard, repeat: str = PASSWORD, pw: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page = wizard.admin_page
    for edit in (page.facility, page.username, page.full_name, page.password, page.repeat):
        edit.clear()
    qtbot.keyClicks(page.facility, "w1234")
    qtbot.keyClicks(page.username, "Jsmith")
    qtbot.keyClicks(page.full_name, "Jane Smith")
    qtbot.keyClicks(page.password, pw)
    qtbot.keyClicks(page.repeat, repeat)


def finish(qtbot, wizard: FirstRunWizard) -> None:  # type: ignore[no-untyped-def]
    """Press Create and wait until the worker is done (success or failure)."""
    create = wizard.button(QWizard.WizardButton.FinishButton)
    assert "Create" in create.text()
    qtbot.mouseClick(create, Qt.MouseButton.LeftButton)
    assert wizard.busy and not create.isEnabled()
    qtbot.waitUntil(lambda: not wizard.busy, timeout=30_000)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "settings")


def test_missing_database_shows_the_wizard_and_creates_a_usable_one(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    location = tmp_path / "site" / "records.sqlite3"  # not even the folder exists yet
    controller, wizard = first_run(qtbot, location)
    assert wizard.location_page.path.text() == str(location)
    # Keyboard only: focus starts on the first choice, Enter presses Next.
    assert wizard.focusWidget() is wizard.location_page.file_choice
    enter(wizard)
    assert wizard.currentId() == PAGE_CHOICE and wizard.choice_page.new.isChecked()
    enter(wizard)
    assert wizard.currentId() == PAGE_ADMIN
    assert wizard.focusWidget() is wizard.admin_page.facility
    fill_admin(qtbot, wizard)
    enter(wizard)
    assert wizard.currentId() == PAGE_CREATE
    assert "W1234" in wizard.create_page.summary.text()
    assert not location.exists()  # nothing is written before Finish

    finish(qtbot, wizard)
    assert wizard.opened is not None, wizard.create_page.message.text()
    assert "Created" in wizard.create_page.success.text()
    assert prefs.DATABASE_URL.get() == str(location)

    with qtbot.waitSignal(wizard.finished):
        qtbot.mouseClick(
            wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton
        )
    login = controller.login
    assert login.isVisible() and login.button.isEnabled()
    assert login.username.text() == "jsmith"
    assert "facility W1234" in login.status.text()
    with qtbot.waitSignal(controller.main_shown):
        type_like_a_person(qtbot, login.password, PASSWORD)
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
    assert controller.main_window is not None
    assert "Jane Smith" in controller.main_window.windowTitle()

    # And the database stands on its own: opened afresh, it is ready.
    again = workstation.open_database(str(location))
    try:
        assert again.initialised and again.facility == "W1234"
    finally:
        again.db.dispose()


def test_demo_path_creates_demo_cases_and_shows_the_passwords(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Two short cases instead of five long ones: the same code path, a second not six.
    monkeypatch.setattr(demo, "DEMO_CASES", demo.DEMO_CASES[3:])
    location = tmp_path / "demo.sqlite3"
    controller, wizard = first_run(qtbot, location)
    next_page(qtbot, wizard)
    wizard.choice_page.demo.setChecked(True)
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_CREATE  # no administrator page for the demo
    table = wizard.create_page.users
    assert table.isVisible() and table.rowCount() == len(demo.DEMO_USERS)
    assert table.item(0, 0).text() == "admin" and table.item(0, 3).text() == "demo-admin-2026"

    finish(qtbot, wizard)
    assert wizard.opened is not None, wizard.create_page.message.text()
    assert "2 demo cases" in wizard.create_page.success.text()
    assert table.isVisible()  # still there to read the passwords from
    names = {c.patient_name for c in case_list.list_cases(wizard.opened.db)}
    assert names == {"山田 太郎", "Sam O'Neill"}

    wizard.reject()  # Esc after creation goes on to the login
    login = controller.login
    assert login.isVisible() and login.button.isEnabled()
    with qtbot.waitSignal(controller.main_shown):
        type_like_a_person(qtbot, login.username, "lena")
        type_like_a_person(qtbot, login.password, "demo-lena-2026")
        qtbot.keyClick(login.password, Qt.Key.Key_Return)


@pytest.mark.parametrize(
    ("password", "repeat", "expected", "focus"),
    [
        ("password1234", "password1234", "too common", "password"),
        ("short-pw-11", "short-pw-11", "at least 12", "password"),
        (PASSWORD, PASSWORD + "x", "passwords differ", "password"),
    ],
)
def test_weak_or_mismatched_password_is_refused_and_nothing_created(  # type: ignore[no-untyped-def]
    qtbot, tmp_path, password, repeat, expected, focus
) -> None:
    location = tmp_path / "weak.sqlite3"
    controller, wizard = first_run(qtbot, location)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    fill_admin(qtbot, wizard, pw=password, repeat=repeat)
    next_page(qtbot, wizard)
    page = wizard.admin_page
    assert wizard.currentId() == PAGE_ADMIN
    assert page.message.isVisible() and expected in page.message.text().lower()
    assert page.message.objectName() == "Error"
    assert page.password.text() == "" and page.repeat.text() == ""
    assert page.focusWidget() is getattr(page, focus)
    assert leftovers(tmp_path) == []
    wizard.reject()  # Cancel: the login explains, and there is still nothing
    assert controller.login.isVisible() and not controller.login.button.isEnabled()
    assert "cart-chain init" in controller.login.message.text()
    assert leftovers(tmp_path) == []
    assert prefs.DATABASE_URL.get() == ""


def test_bad_facility_is_refused_inline(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, wizard = first_run(qtbot, tmp_path / "fin.sqlite3")
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    fill_admin(qtbot, wizard)
    wizard.admin_page.facility.setText("12")
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    assert "facility identification number" in wizard.admin_page.message.text().lower()
    assert wizard.admin_page.focusWidget() is wizard.admin_page.facility


def test_failed_creation_removes_what_it_made(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.domain.errors import StorageFull
    from cart_chain.services import setup

    def full_disk(db, *args):  # type: ignore[no-untyped-def]
        from cart_chain.store.schema import upgrade

        upgrade(db)  # the schema is written, then the disk fills up
        raise StorageFull(f"the disk holding {db.where} is full; nothing was saved")

    monkeypatch.setattr(workstation, "init_database", full_disk)
    location = tmp_path / "new-folder" / "full.sqlite3"
    _, wizard = first_run(qtbot, location)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    fill_admin(qtbot, wizard)
    next_page(qtbot, wizard)
    finish(qtbot, wizard)
    assert wizard.opened is None
    message = wizard.create_page.message.text()
    assert "is full" in message and "Nothing new was left behind" in message
    assert leftovers(tmp_path) == []  # neither the file nor the folder made for it
    assert wizard.button(QWizard.WizardButton.CancelButton).isEnabled()

    monkeypatch.setattr(workstation, "init_database", setup.init_database)
    finish(qtbot, wizard)  # the problem is gone: Create again works
    assert wizard.opened is not None and location.exists()


def test_location_page_refuses_a_file_holding_records(qtbot, tmp_path, db_path) -> None:  # type: ignore[no-untyped-def]
    _, wizard = first_run(qtbot, tmp_path / "other.sqlite3")
    page = wizard.location_page
    page.path.setText(str(db_path))
    next_page(qtbot, wizard)
    assert wizard.currentId() == 0
    assert "already holds cart-chain records" in page.message.text()
    page.server_choice.setChecked(True)
    page.server.setText("mysql://nope")
    next_page(qtbot, wizard)
    assert "PostgreSQL URL" in page.message.text()


def test_network_share_is_refused_with_the_service_message(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import cart_chain.store.database as database

    _, wizard = first_run(qtbot, tmp_path / "local.sqlite3")
    monkeypatch.setattr(database, "is_network_path", lambda _p: True)
    next_page(qtbot, wizard)
    assert wizard.currentId() == 0
    assert "network share" in wizard.location_page.message.text()


def test_empty_database_file_also_shows_the_wizard(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    location = tmp_path / "empty.sqlite3"
    workstation.open_database(str(location)).db.dispose()  # an empty file, no schema
    _, wizard = first_run(qtbot, location)
    assert wizard.location_page.path.text() == str(location)


def test_existing_database_goes_straight_to_login(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)
    assert controller.wizard is None
    assert controller.login.isVisible() and controller.login.button.isEnabled()
    assert controller.opened is not None and controller.opened.backup is None


def test_schema_without_users_gets_its_first_administrator(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.store.database import Database
    from cart_chain.store.schema import upgrade

    location = tmp_path / "half.sqlite3"
    db = Database(str(location))
    upgrade(db)  # as an interrupted 'cart-chain init' leaves it
    db.dispose()
    _, wizard = first_run(qtbot, location)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    fill_admin(qtbot, wizard)
    next_page(qtbot, wizard)
    finish(qtbot, wizard)
    assert wizard.opened is not None and wizard.opened.initialised


def test_upgraded_database_says_where_its_copy_is(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    location = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURES / "cart-chain-schema-0001.sqlite3", location)
    controller = start(qtbot, location)
    assert controller.wizard is None
    assert controller.opened is not None and controller.opened.backup is not None
    assert controller.opened.backup.exists()
    message = controller.login.message
    assert message.isVisible() and str(controller.opened.backup) in message.text()
    assert controller.login.button.isEnabled()
