"""The workstation's scanner setting in the GUI, through real key events.

An administrator sets it on the "This workstation" tab, with the risk spelled
out; every scan field (home search, record a step, bedside check) passes it to
the services, which accept a check-less ISBT 128 ``&/`` COI only when it says
``code128``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from cart_chain.ui import prefs
from cart_chain.ui.main_window import MainWindow
from tests.helpers import enrol, unit_of
from tests.ui.helpers import open_admin, open_window, scan, start_recording


def test_an_administrator_sets_the_scanner_form_and_sees_the_risk(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    _, dialog = open_admin(qtbot, opened)
    dialog.tabs.setCurrentIndex(2)
    assert prefs.scan_source() == "keyboard"  # the default
    assert dialog.scanner.currentData() == "keyboard"
    dialog.scanner.setFocus()
    qtbot.keyClick(dialog.scanner, Qt.Key.Key_Down)
    assert dialog.scanner.currentData() == "code128"
    assert prefs.scan_source() == "keyboard"  # nothing changes before saving
    save = dialog.findChild(type(dialog.toggle_active), "SaveWorkstation")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "saved" in dialog.message.text()
    assert prefs.SCANNER.get() == "code128" and prefs.scan_source() == "code128"
    risk = [w.text() for w in dialog.findChildren(type(dialog.message)) if "]C0" in w.text()]
    assert risk and "another patient's case" in risk[0]


def test_a_checkless_isbt_coi_is_refused_from_the_keyboard(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Kim Keyboard")
    dialog = start_recording(qtbot, open_window(qtbot, opened, "alice"), coi)
    scan(qtbot, dialog, "&/" + coi[:-1])
    assert dialog.error.isVisible() and "no check character" in dialog.error.text()
    assert dialog.unit is None and not dialog.save.isEnabled()


def test_with_the_code128_setting_every_scan_field_takes_the_isbt_read(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    prefs.SCANNER.set("code128")
    coi = enrol(opened.db, "Carla Code")
    read = "&/" + coi[:-1]
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, read)
    assert not dialog.error.isVisible()
    assert dialog.unit is not None and dialog.unit.unit == unit_of(coi)
    assert dialog.selected_step() == "collection"
    dialog.reject()

    # The home search field: the same read opens the case.
    home_window = MainWindow(window.session)
    qtbot.addWidget(home_window)
    home_window.show()
    search = home_window.home.search
    search.setFocus()
    qtbot.keyClicks(search, read)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert home_window.stack.currentWidget() is home_window.case_view
    assert home_window.case_view.detail is not None and home_window.case_view.detail.coi == coi
