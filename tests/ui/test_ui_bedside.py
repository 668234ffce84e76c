"""Bedside check and patient events through the widgets, up to a recorded infusion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import record_patient_event
from cart_chain.ui.bedside import PatientEventDialog
from cart_chain.ui.print_label import PrintLabelDialog
from cart_chain.ui.record_step import RecordStepDialog
from tests.helpers import CONDITION, TEMPERATURES, creds, enrol, unit_of
from tests.ui.helpers import at_site, bedside, bedside_window, sign_both


@pytest.fixture
def beeps(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: calls.append(1)))
    return calls


def test_patient_event_is_recorded(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = at_site(opened)
    window = bedside_window(qtbot, opened, coi)
    qtbot.mouseClick(window.case_view.patient_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, PatientEventDialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("bridging_start"))
    qtbot.keyClicks(dialog.detail, "dexamethasone")
    qtbot.keyClicks(dialog.signature.username, "ines")
    qtbot.keyClicks(dialog.signature.password, "ines-secret-1")
    with qtbot.waitSignal(dialog.recorded):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    events = show_case(opened.db, coi).patient_events
    assert [(e.kind, e.detail) for e in events] == [("bridging_start", "dexamethasone")]
    assert "Bridging therapy started" in window.case_view.facts.text()


def test_bedside_check_then_infusion(qtbot, opened, beeps) -> None:  # type: ignore[no-untyped-def]
    coi = at_site(opened, "Nora Match")
    unit = unit_of(coi)
    now = datetime.now(UTC)
    for kind, days in (("lymphodepletion_start", 6), ("lymphodepletion_end", 3)):
        record_patient_event(
            opened.db, coi, kind, creds("ines"), occurred_at=now - timedelta(days=days)
        )
    record_event(
        opened.db,
        unit,
        "thaw",
        creds("ines"),
        creds("ivan"),
        location="Ward 7",
        temperature_c=TEMPERATURES["thaw"],
        condition=CONDITION,
    )
    window = bedside_window(qtbot, opened, coi)
    dialog = bedside(qtbot, window)  # after the thaw, at the bedside
    qtbot.keyClicks(dialog.scan, unit)
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert dialog.save.isEnabled()
    assert "Nora Match" not in dialog.findChild(type(dialog.bag), "Banner").text()  # blind
    qtbot.keyClicks(dialog.name, "Nora Match")
    qtbot.keyClicks(dialog.dob, "1970-01-01")
    sign_both(qtbot, dialog)
    with qtbot.waitSignal(dialog.checked) as blocker:
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert blocker.args[0].passed and dialog.outcome.isVisible()
    assert beeps == []
    dialog.reject()

    window.open_case(coi)
    record = window.record_step(coi)
    assert isinstance(record, RecordStepDialog)
    qtbot.keyClicks(record.scan, unit)
    qtbot.keyClick(record.scan, Qt.Key.Key_Return)
    assert record.selected_step() == "infusion"
    qtbot.keyClicks(record.location, "Ward 7, bed 4")
    record.fields.condition.setCurrentIndex(0)  # no preset: the nurse chooses
    qtbot.keyClicks(record.by.username, "ines")
    qtbot.keyClicks(record.by.password, "ines-secret-1")
    qtbot.keyClicks(record.to.username, "ivan")
    qtbot.keyClicks(record.to.password, "ivan-secret-1")
    with qtbot.waitSignal(record.recorded):
        qtbot.mouseClick(record.save, Qt.MouseButton.LeftButton)
    assert show_case(opened.db, coi).units[0].current_step == "infusion"
    # No next holder after infusion: no label is offered.
    assert not any(isinstance(d, PrintLabelDialog) for d in window.dialogs)


def test_mismatch_is_a_red_stop(qtbot, opened, beeps) -> None:  # type: ignore[no-untyped-def]
    coi = at_site(opened, "Otto Mismatch")
    window = bedside_window(qtbot, opened, coi)
    dialog = bedside(qtbot, window)
    qtbot.keyClicks(dialog.scan, unit_of(coi))
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.name, "Otto Mismatch")
    qtbot.keyClicks(dialog.dob, "1971-01-01")  # the record says 1970-01-01
    sign_both(qtbot, dialog)
    with qtbot.waitSignal(dialog.checked) as blocker:
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert not blocker.args[0].passed
    assert dialog.alert is not None and dialog.alert.isVisible()
    assert dialog.alert.windowTitle() == "MISMATCH — DO NOT INFUSE"
    assert beeps == [1]


def test_wrong_bag_at_the_bedside_is_stopped(qtbot, opened, beeps) -> None:  # type: ignore[no-untyped-def]
    coi = at_site(opened, "Mine Patient")
    other = enrol(opened.db, "Other Patient")
    window = bedside_window(qtbot, opened, coi)
    dialog = bedside(qtbot, window)
    qtbot.keyClicks(dialog.scan, unit_of(other))
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert dialog.alert is not None and dialog.alert.windowTitle() == "WRONG PATIENT — STOP"
    assert beeps == [1] and not dialog.save.isEnabled()
