"""Defaults that record what nobody looked at are gone: the bag's condition and QA's
deviation decision start empty and must be chosen; a reject asks once more (Enter,
the default, answers Cancel); the last location is remembered per user and step."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.services.timeline import step_entry
from cart_chain.ui.deviation import DeviationReviewDialog
from tests.helpers import creds, enrol, unit_of, walk
from tests.ui.helpers import answer, events, make_session, record_dialog_alone


def sign_receipt(qtbot: Any, dialog: Any) -> None:
    """Both signatures of a receipt at manufacturing (courier releases, lab receives)."""
    qtbot.keyClicks(dialog.by.username, "carl")
    qtbot.keyClicks(dialog.by.password, "carl-secret-1")
    qtbot.keyClicks(dialog.to.username, "lena")
    qtbot.keyClicks(dialog.to.password, "lena-secret-1")


def test_condition_has_no_preset_and_must_be_chosen(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 2)  # shipped: next is receipt at manufacturing
    dialog = record_dialog_alone(qtbot, opened, coi, "carl")
    dialog.step.setCurrentIndex(dialog.step.findData("receipt_at_manufacturing"))
    condition = dialog.fields.condition
    assert condition.isVisibleTo(dialog)
    assert condition.currentIndex() == -1 and condition.currentText() == ""
    dialog.location.setText("Cleanroom B")
    before = events(opened, coi)
    sign_receipt(qtbot, dialog)
    qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)
    assert events(opened, coi) == before  # nothing written
    assert "Choose the bag's condition" in dialog.error.text() and dialog.isVisible()

    condition.setFocus()
    qtbot.keyClick(condition, Qt.Key.Key_Down)  # the keyboard picks the first: Intact
    assert condition.currentText().startswith("Intact")
    qtbot.keyClicks(dialog.by.password, "carl-secret-1")  # cleared by the refusal
    qtbot.keyClicks(dialog.to.password, "lena-secret-1")
    with qtbot.waitSignal(dialog.recorded, timeout=3000):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)
    last = show_case(opened.db, coi).units[0].events[-1]
    assert last.step == "receipt_at_manufacturing"
    # The condition is the step's own field (what the case view and reports show as
    # "Condition: ..."), no longer folded into the note.
    assert last.condition == "Intact: container and seal undamaged"
    assert last.note is None
    assert "Condition: Intact: container and seal undamaged" in step_entry(last).lines


def review_dialog(qtbot: Any, opened: Any) -> tuple[str, DeviationReviewDialog]:
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 7)  # through release
    record_event(opened.db, unit_of(coi), "storage", creds("leo"), temperature_c=-100.0)
    (dev,) = show_case(opened.db, coi).units[0].deviations
    dialog = DeviationReviewDialog(make_session(opened, "quinn"), dev)
    qtbot.addWidget(dialog)
    dialog.show()
    return coi, dialog


def decision(opened: Any, coi: str) -> str | None:
    (dev,) = show_case(opened.db, coi).units[0].deviations
    return dev.decision


def test_deviation_review_has_no_preset_decision(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi, dialog = review_dialog(qtbot, opened)
    assert dialog.choice.currentIndex() == -1
    qtbot.keyClicks(dialog.reason, "logger shows -150 °C")
    qtbot.keyClicks(dialog.signature.username, "quinn")
    qtbot.keyClicks(dialog.signature.password, "quinn-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "Choose the decision" in dialog.error.text() and dialog.isVisible()
    assert decision(opened, coi) is None


def test_a_reject_asks_and_enter_answers_cancel(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi, dialog = review_dialog(qtbot, opened)
    dialog.choice.setFocus()
    qtbot.keyClick(dialog.choice, Qt.Key.Key_End)
    assert dialog.choice.currentData() == "quarantine"
    qtbot.keyClick(dialog.choice, Qt.Key.Key_Up)
    assert dialog.choice.currentData() == "reject"
    qtbot.keyClicks(dialog.reason, "bag cracked on inspection")
    qtbot.keyClicks(dialog.signature.username, "quinn")
    qtbot.keyClicks(dialog.signature.password, "quinn-secret-1")
    seen: list[str] = []
    answer(qtbot, True, seen)  # Enter on the question: Cancel
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    unit = unit_of(coi)
    assert seen and unit in seen[0] and "final" in seen[0]
    assert decision(opened, coi) is None and dialog.isVisible()

    answer(qtbot, False, seen)  # a deliberate click on "Reject the bag"
    with qtbot.waitSignal(dialog.saved, timeout=3000):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert len(seen) == 2 and decision(opened, coi) == "reject"


def test_accept_needs_no_extra_question(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi, dialog = review_dialog(qtbot, opened)
    dialog.choice.setCurrentIndex(dialog.choice.findData("accept"))
    qtbot.keyClicks(dialog.reason, "probe fault; logger fine")
    qtbot.keyClicks(dialog.signature.username, "quinn")
    qtbot.keyClicks(dialog.signature.password, "quinn-secret-1")
    with qtbot.waitSignal(dialog.saved, timeout=3000):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert decision(opened, coi) == "accept"


def test_the_last_location_is_offered_per_user_and_step(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    first, second, other = enrol(opened.db, "A"), enrol(opened.db, "B"), enrol(opened.db, "C")
    for coi in (first, second):
        walk(opened.db, unit_of(coi), 2)  # shipped: next is receipt at manufacturing
    walk(opened.db, unit_of(other), 1)  # collected: next is shipping
    dialog = record_dialog_alone(qtbot, opened, first, "carl")
    dialog.step.setCurrentIndex(dialog.step.findData("receipt_at_manufacturing"))
    assert dialog.location.text() == ""  # nothing remembered yet: the user says where
    qtbot.keyClicks(dialog.location, "Cleanroom B intake")
    dialog.fields.condition.setCurrentIndex(0)
    sign_receipt(qtbot, dialog)
    with qtbot.waitSignal(dialog.recorded, timeout=3000):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)

    again = record_dialog_alone(qtbot, opened, second, "carl")
    again.step.setCurrentIndex(again.step.findData("receipt_at_manufacturing"))
    assert again.location.text() == "Cleanroom B intake"  # same user, same step
    again.location.setFocus()
    again.location.selectAll()  # as a Tab into the field does
    qtbot.keyClicks(again.location, "Dock 2")  # typed over: a step change keeps it
    again.step.setCurrentIndex(again.step.findData("ship_to_manufacturing"))
    again.step.setCurrentIndex(again.step.findData("receipt_at_manufacturing"))
    assert again.location.text() == "Dock 2"

    lab = record_dialog_alone(qtbot, opened, second, "lena")
    assert lab.selected_step() == "receipt_at_manufacturing"
    assert lab.location.text() == ""  # another user's location is not offered
    shipping = record_dialog_alone(qtbot, opened, other, "carl")
    shipping.step.setCurrentIndex(shipping.step.findData("ship_to_manufacturing"))
    assert shipping.location.text() == ""  # nor the same user's for another step
