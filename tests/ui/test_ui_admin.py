"""Administration through the widgets: unlock, add a user, shared and workstation settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from cart_chain.domain.errors import AuthenticationError
from cart_chain.services import accounts, settings
from cart_chain.ui import prefs
from tests.helpers import creds
from tests.ui.helpers import answer, open_admin, sign_as_admin


def test_unlock_a_locked_account(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017 - wrong passwords, then the lock
            accounts.login(opened.db, accounts.Credentials("carl", "wrong-wrong-1"))
    with pytest.raises(AuthenticationError):
        accounts.login(opened.db, creds("carl"))
    window, dialog = open_admin(qtbot, opened)
    assert window.alerts.isVisible() and "carl" in window.alerts.text()
    row = next(i for i, u in enumerate(dialog.user_rows) if u.username == "carl")
    assert dialog.users.item(row, 4).text() == "LOCKED"
    dialog.users.selectRow(row)
    sign_as_admin(qtbot, dialog)

    seen: list[str] = []
    answer(qtbot, False, seen)
    qtbot.mouseClick(
        dialog.findChild(type(dialog.toggle_active), "Unlock"), Qt.MouseButton.LeftButton
    )
    assert "Unlock the account of Carl Courier (carl)" in seen[0]
    assert "unlocked" in dialog.message.text()
    assert dialog.users.item(row, 4).text() == ""
    assert accounts.login(opened.db, creds("carl")).username == "carl"
    assert not window.alerts.isVisible()  # unlocking cleared the alert


def test_add_a_user(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    qtbot.keyClicks(dialog.add_name, "nina")
    qtbot.keyClicks(dialog.add_full, "Nina Nurse")
    dialog.add_role.setCurrentIndex(dialog.add_role.findText("Infusion"))
    qtbot.keyClicks(dialog.add_password, "nina-first-pass-1")
    sign_as_admin(qtbot, dialog)
    add = next(b for b in dialog.findChildren(type(dialog.toggle_active)) if b.text() == "Add user")
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    assert "User nina added" in dialog.message.text()
    nina = next(u for u in accounts.list_users(opened.db) if u.username == "nina")
    assert (nina.full_name, nina.role) == ("Nina Nurse", "infusion")
    assert nina.must_change  # typed by the administrator: nina chooses her own at log-in


def test_wrong_admin_password_changes_nothing(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    dialog.tabs.setCurrentIndex(1)
    dialog.inactivity.setValue(9)
    qtbot.keyClicks(dialog.signature.username, "admin")
    qtbot.keyClicks(dialog.signature.password, "not-the-password")
    save = dialog.findChild(type(dialog.toggle_active), "SaveShared")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "password is wrong" in dialog.message.text().lower()
    assert settings.get(opened.db, "inactivity_minutes") == "5"


def test_shared_inactivity_setting_applies_to_the_lock(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    window, dialog = open_admin(qtbot, opened)
    seen: list[int] = []
    window.inactivity_changed.connect(seen.append)
    dialog.tabs.setCurrentIndex(1)
    dialog.inactivity.setValue(12)
    sign_as_admin(qtbot, dialog)
    qtbot.mouseClick(
        dialog.findChild(type(dialog.toggle_active), "SaveShared"), Qt.MouseButton.LeftButton
    )
    assert "saved" in dialog.message.text()
    assert settings.get(opened.db, "inactivity_minutes") == "12"
    assert seen == [12]


def test_facility_name_is_set_in_the_shared_settings(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: the facility name printed on labels could only be set from the CLI."""
    _, dialog = open_admin(qtbot, opened)
    dialog.tabs.setCurrentIndex(1)
    field = dialog.findChild(type(dialog.facility), "FacilityName")
    qtbot.keyClicks(field, "Mercy Cell Therapy Unit")
    sign_as_admin(qtbot, dialog)
    qtbot.mouseClick(
        dialog.findChild(type(dialog.toggle_active), "SaveShared"), Qt.MouseButton.LeftButton
    )
    assert "saved" in dialog.message.text()
    assert settings.get(opened.db, "facility_name") == "Mercy Cell Therapy Unit"


def test_a_control_character_in_the_facility_name_is_refused(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    dialog.tabs.setCurrentIndex(1)
    dialog.facility_name.setText("Mercy\x07Unit")
    sign_as_admin(qtbot, dialog)
    qtbot.mouseClick(
        dialog.findChild(type(dialog.toggle_active), "SaveShared"), Qt.MouseButton.LeftButton
    )
    assert "saved" not in dialog.message.text()
    assert settings.get(opened.db, "facility_name") == ""


def test_workstation_settings_go_to_qsettings(qtbot, opened, qsettings_tmp) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    dialog.tabs.setCurrentIndex(2)
    dialog.db_location.setText(str(opened.db.path))
    save = dialog.findChild(type(dialog.toggle_active), "SaveWorkstation")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "saved" in dialog.message.text()
    assert prefs.DATABASE_URL.get() == str(opened.db.path)
    assert any(qsettings_tmp.rglob("*.ini"))  # written to the test folder, not the user's

    dialog.db_location.setText(str(qsettings_tmp / "nothing-here.sqlite3"))
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "holds no cart-chain records" in dialog.message.text()
    assert prefs.DATABASE_URL.get() == str(opened.db.path)
