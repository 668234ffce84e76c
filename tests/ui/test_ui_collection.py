"""The record dialog asks the collection's volume and anticoagulant (issue 12), typed
with real key events; other steps do not ask them, and a bad volume records nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cart_chain.services.case_detail import show_case
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import events, open_window, scan, start_recording


def _sign(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.by.username, "alice")
    qtbot.keyClicks(dialog.by.password, "alice-secret-1")
    qtbot.keyClicks(dialog.to.username, "anna")
    qtbot.keyClicks(dialog.to.password, "anna-secret-1")


def test_collection_records_volume_and_anticoagulant(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, unit_of(coi))
    assert dialog.selected_step() == "collection"
    assert dialog.volume.isVisible() and dialog.anticoagulant.isVisible()
    qtbot.keyClicks(dialog.location, "Apheresis unit")
    qtbot.keyClicks(dialog.volume, "212,5")
    qtbot.keyClicks(dialog.anticoagulant, "ACD-A")
    _sign(qtbot, dialog)
    with qtbot.waitSignal(dialog.recorded):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)
    (event,) = show_case(opened.db, coi).units[0].events
    assert (event.volume_ml, event.anticoagulant) == (212.5, "ACD-A")


def test_a_bad_volume_is_refused_in_the_dialog(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, unit_of(coi))
    qtbot.keyClicks(dialog.location, "Apheresis unit")
    qtbot.keyClicks(dialog.volume, "2500")
    _sign(qtbot, dialog)
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "at most 2000" in dialog.error.text()
    assert events(opened, coi) == 0


def test_other_steps_do_not_ask_them(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 1)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, unit_of(coi))
    assert dialog.selected_step() == "ship_to_manufacturing"
    assert not dialog.volume.isVisible() and not dialog.anticoagulant.isVisible()
