"""Administration does what the administrator meant: Enter never acts, the role box
follows the selected user, and each change to a user is confirmed naming the user."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from cart_chain.services import accounts
from tests.ui.helpers import answer, open_admin, sign_as_admin


def roles(opened) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {u.username: u.role for u in accounts.list_users(opened.db)}


def test_enter_after_adding_a_user_changes_no_role(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    before = roles(opened)
    sign_as_admin(qtbot, dialog)
    qtbot.keyClicks(dialog.add_name, "nina")
    qtbot.keyClicks(dialog.add_full, "Nina Nurse")
    qtbot.keyClicks(dialog.add_password, "nina-first-pass-1")
    qtbot.keyClick(dialog.add_password, Qt.Key.Key_Return)
    row = next(i for i, u in enumerate(dialog.user_rows) if u.username == "carl")
    dialog.users.selectRow(row)
    dialog.users.setFocus()
    qtbot.keyClick(dialog.users, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.signature.password, Qt.Key.Key_Return)
    after = roles(opened)
    assert {k: v for k, v in after.items() if k in before} == before
    assert not [b for b in dialog.findChildren(QPushButton) if b.isDefault() or b.autoDefault()]


def test_role_box_follows_the_selected_user(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    for name, shown in (("carl", "Courier"), ("lena", "Cell lab"), ("admin", "Administrator")):
        row = next(i for i, u in enumerate(dialog.user_rows) if u.username == name)
        dialog.users.selectRow(row)
        assert dialog.role.currentText() == shown
        assert dialog.users.item(row, 2).text() == shown


def test_role_change_is_confirmed_naming_user_and_change(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    row = next(i for i, u in enumerate(dialog.user_rows) if u.username == "carl")
    dialog.users.selectRow(row)
    dialog.role.setCurrentIndex(dialog.role.findData("qa"))
    sign_as_admin(qtbot, dialog)
    set_role = dialog.findChild(QPushButton, "SetRole")
    seen: list[str] = []
    answer(qtbot, True, seen)  # Enter on the question is Cancel
    qtbot.mouseClick(set_role, Qt.MouseButton.LeftButton)
    assert seen and "Carl Courier (carl)" in seen[0] and "Courier to QA" in seen[0]
    assert roles(opened)["carl"] == "courier"
    assert "Nothing was changed" in dialog.message.text()
    answer(qtbot, False, seen)  # a click on "Make QA" goes ahead
    qtbot.mouseClick(set_role, Qt.MouseButton.LeftButton)
    assert roles(opened)["carl"] == "qa"
    assert "carl is now QA" in dialog.message.text()


def test_deactivation_is_confirmed(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    row = next(i for i, u in enumerate(dialog.user_rows) if u.username == "carl")
    dialog.users.selectRow(row)
    sign_as_admin(qtbot, dialog)
    seen: list[str] = []
    answer(qtbot, True, seen)
    qtbot.mouseClick(dialog.toggle_active, Qt.MouseButton.LeftButton)
    assert "Deactivate the account of Carl Courier (carl)" in seen[0]
    assert next(u for u in accounts.list_users(opened.db) if u.username == "carl").active
