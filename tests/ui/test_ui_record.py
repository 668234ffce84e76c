"""Record a step through the widgets: scan, the form, two signatures, wrong patient."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cart_chain.services.case_detail import show_case
from cart_chain.services.labels import list_labels
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.print_label import PDF_CHOICE, PrintLabelDialog
from cart_chain.ui.record_step import RecordStepDialog
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import (
    events,
    make_session,
    open_window,
    press,
    scan,
    start_recording,
)


@pytest.fixture
def beeps(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: calls.append(1)))
    return calls


def test_scan_the_right_bag_and_record_a_handoff(qtbot, opened, tmp_path) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Rita Right")
    walk(opened.db, unit_of(coi), 1)  # collected
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    assert "Rita Right" in dialog.patient.text()
    assert not dialog.save.isEnabled()  # nothing to sign before a scan

    scan(qtbot, dialog, unit_of(coi))
    assert dialog.selected_step() == "ship_to_manufacturing"
    assert dialog.to.isVisible()  # a handoff: the courier signs too
    assert "Received by" in dialog.to.title()
    qtbot.keyClicks(dialog.location, "Apheresis unit")
    qtbot.keyClicks(dialog.temperature, "4")
    # First signature of the session: user name and password.
    assert not dialog.by.username.isReadOnly()
    qtbot.keyClicks(dialog.by.username, "alice")
    qtbot.keyClicks(dialog.by.password, "alice-secret-1")
    qtbot.keyClicks(dialog.to.username, "carl")
    qtbot.keyClicks(dialog.to.password, "carl-secret-1")
    with qtbot.waitSignal(dialog.recorded):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)

    unit = show_case(opened.db, coi).units[0]
    assert unit.current_step == "ship_to_manufacturing"
    assert unit.custodian == "carl"
    last = unit.events[-1]
    assert last.location == "Apheresis unit" and last.temperature_c == 4.0
    assert [s.meaning for s in last.signatures] == ["Released by", "Received by"]
    assert not window.session.first_signature_pending

    # The label for the next holder is offered: the courier's transport label (a
    # first print of that kind); print it to a PDF file.
    label = window.dialogs[-1]
    assert isinstance(label, PrintLabelDialog) and label.isVisible()
    assert label.kind.currentData() == "transport"
    assert not label.reason.isVisible()  # a first print asks no reason
    label.destination.setCurrentIndex(label.destination.findText(PDF_CHOICE))
    out = tmp_path / "label.pdf"
    label.pdf_path.clear()
    qtbot.keyClicks(label.pdf_path, str(out))
    assert label.signature.username.isReadOnly()  # alice already signed this session
    qtbot.keyClicks(label.signature.password, "alice-secret-1")
    with qtbot.waitSignal(label.printed):
        qtbot.mouseClick(label.print_button, Qt.MouseButton.LeftButton)
    assert_one_label_page(out, 102, 152)
    printed = list_labels(opened.db, unit_of(coi))
    assert [(p.kind, p.step, p.reason) for p in printed] == [
        ("transport", "ship_to_manufacturing", None)
    ]


def assert_one_label_page(path: Path, width_mm: float, height_mm: float) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) / 72 * 25.4 - width_mm) < 1
    assert abs(float(box.height) / 72 * 25.4 - height_mm) < 1


def test_later_signatures_ask_only_the_password(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 3)  # at manufacturing
    window = MainWindow(make_session(opened, "lena", signed=True))
    qtbot.addWidget(window)
    window.show()
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, unit_of(coi), key=Qt.Key.Key_Tab)  # Tab also ends a scan
    assert dialog.selected_step() == "engineering"
    assert not dialog.to.isVisible()  # one signature suffices
    assert dialog.by.username.isReadOnly() and dialog.by.username.text() == "lena"
    qtbot.keyClicks(dialog.location, "Cleanroom B")
    qtbot.keyClicks(dialog.by.password, "lena-secret-1")
    with qtbot.waitSignal(dialog.recorded):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert show_case(opened.db, coi).units[0].current_step == "engineering"


def test_wrong_patients_bag_is_stopped(qtbot, opened, beeps) -> None:  # type: ignore[no-untyped-def]
    mine = enrol(opened.db, "Paula Patient")
    other = enrol(opened.db, "Oscar Other")
    walk(opened.db, unit_of(mine), 1)
    walk(opened.db, unit_of(other), 1)
    before = events(opened, mine), events(opened, other)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, mine)

    scan(qtbot, dialog, unit_of(other))

    alert = dialog.alert
    assert alert is not None and alert.isVisible()
    assert alert.windowTitle() == "WRONG PATIENT — STOP"
    assert alert.windowModality() == Qt.WindowModality.ApplicationModal
    assert "Paula Patient" in alert.informativeText()
    assert "Nothing was recorded" in alert.informativeText()
    assert "b3001b" in alert.styleSheet()  # the red reserved for this alert
    assert beeps == [1]
    assert not dialog.save.isEnabled() and dialog.unit is None
    assert (events(opened, mine), events(opened, other)) == before
    # ...but the refusal itself is evidence: it is in the ledger, against this case.
    from cart_chain.services.custody_data import custody_report_data

    refused = custody_report_data(opened.db, mine, "alice").refused_scans
    assert len(refused) == 1 and "WRONG PATIENT" in refused[0].reason

    qtbot.mouseClick(alert.ack, Qt.MouseButton.LeftButton)
    assert dialog.scan.text() == ""  # ready for the right bag
    scan(qtbot, dialog, unit_of(mine))
    assert dialog.selected_step() == "ship_to_manufacturing"


def test_malformed_and_unknown_scans_are_refused(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = open_window(qtbot, opened, "alice")
    window.go_home()
    press(window, Qt.Key.Key_F2)  # from home: no case chosen yet
    dialog = window.dialogs[-1]
    assert isinstance(dialog, RecordStepDialog)
    scan(qtbot, dialog, unit_of(coi)[:-1] + ("A" if unit_of(coi)[-1] != "A" else "B"))
    assert dialog.error.isVisible() and "check character" in dialog.error.text()
    assert dialog.alert is None and dialog.unit is None
    dialog.scan.clear()
    scan(qtbot, dialog, unit_of(coi, 2))  # well-formed, but this case has one bag
    assert dialog.error.isVisible() and dialog.unit is None
    dialog.scan.clear()
    scan(qtbot, dialog, unit_of(coi))
    assert dialog.unit is not None and "Test Patient" in dialog.patient.text()
    assert dialog.selected_step() == "collection"


def test_two_person_signature_by_the_same_user_is_refused(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, unit_of(coi))
    assert dialog.selected_step() == "collection"  # performed + verified
    qtbot.keyClicks(dialog.location, "Apheresis unit")
    qtbot.keyClicks(dialog.by.username, "alice")
    qtbot.keyClicks(dialog.by.password, "alice-secret-1")
    qtbot.keyClicks(dialog.to.username, "alice")
    qtbot.keyClicks(dialog.to.password, "alice-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "two different people" in dialog.error.text()
    assert dialog.by.password.text() == "" and dialog.to.password.text() == ""
    assert events(opened, coi) == 0


def test_wrong_second_password_records_nothing(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, unit_of(coi))
    qtbot.keyClicks(dialog.location, "Apheresis unit")
    qtbot.keyClicks(dialog.by.username, "alice")
    qtbot.keyClicks(dialog.by.password, "alice-secret-1")
    qtbot.keyClicks(dialog.to.username, "anna")
    qtbot.keyClicks(dialog.to.password, "not-annas-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "'anna': user name or password is wrong" in dialog.error.text().lower()
    assert events(opened, coi) == 0
    assert window.session.first_signature_pending


def test_signing_as_someone_else_than_the_logged_in_user_is_refused(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, unit_of(coi))
    qtbot.keyClicks(dialog.location, "Apheresis unit")
    qtbot.keyClicks(dialog.by.username, "anna")
    qtbot.keyClicks(dialog.by.password, "anna-secret-1")
    qtbot.keyClicks(dialog.to.username, "ines")
    qtbot.keyClicks(dialog.to.password, "ines-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "logged in as alice" in dialog.error.text()
    assert events(opened, coi) == 0


def test_reprint_asks_why_and_voids_the_old_label(qtbot, opened, tmp_path, beeps) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.labels.printing import print_label
    from tests.helpers import creds

    coi = enrol(opened.db, "Lara Label")
    walk(opened.db, unit_of(coi), 2)
    first = print_label(opened.db, unit_of(coi), "bag", creds("alice"))
    window = open_window(qtbot, opened, "alice")
    window.open_case(coi)
    qtbot.mouseClick(window.case_view.label_button, Qt.MouseButton.LeftButton)
    label = window.dialogs[-1]
    assert isinstance(label, PrintLabelDialog)
    assert label.reason.isVisible() and "Reprint" in label.windowTitle()
    label.destination.setCurrentIndex(label.destination.findText(PDF_CHOICE))
    out = tmp_path / "reprint.pdf"
    label.pdf_path.setText(str(out))
    qtbot.keyClicks(label.signature.username, "alice")
    qtbot.keyClicks(label.signature.password, "alice-secret-1")
    qtbot.mouseClick(label.print_button, Qt.MouseButton.LeftButton)
    assert "reprint needs a reason" in label.error.text() and not out.exists()

    qtbot.keyClicks(label.reason, "smudged by condensation")
    qtbot.keyClicks(label.signature.password, "alice-secret-1")
    with qtbot.waitSignal(label.printed):
        qtbot.mouseClick(label.print_button, Qt.MouseButton.LeftButton)
    assert_one_label_page(out, 100, 70)
    prints = list_labels(opened.db, unit_of(coi))
    assert [(p.reason, p.voided) for p in prints] == [
        (None, True),
        ("smudged by condensation", False),
    ]

    # The replaced label is refused when scanned in the record dialog.
    dialog = start_recording(qtbot, window, coi)
    scan(qtbot, dialog, first.payload)
    assert dialog.unit is None and "VOID" in dialog.error.text()
    assert beeps == []  # not a wrong patient: no alarm, but refused
