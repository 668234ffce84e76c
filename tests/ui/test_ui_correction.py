"""Corrections through the case view: select an entry, Correct..., new value, reason, sign."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cart_chain.services.case_detail import show_case
from cart_chain.ui.correction import CorrectionDialog
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.timeline import UnitTimeline
from tests.helpers import CONDITION, enrol, unit_of, walk
from tests.ui.helpers import make_session


def window_for(qtbot, opened, user: str, coi: str) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, user))
    qtbot.addWidget(window)
    window.show()
    window.open_case(coi)
    return window


def test_correct_a_location_shows_old_and_new(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 2)
    window = window_for(qtbot, opened, "alice", coi)
    timeline = window.case_view.timeline()
    assert isinstance(timeline, UnitTimeline)
    first = timeline.cards[0]  # the collection: click its card to select it
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton)
    assert timeline.selected_event() is not None
    assert timeline.selected_event().step == "collection"
    qtbot.mouseClick(window.case_view.correct_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CorrectionDialog)
    assert dialog.field.currentData() == "location"
    assert dialog.old.text() == "collection room"

    qtbot.keyClicks(dialog.new, "Apheresis unit, bay 2")
    qtbot.keyClicks(dialog.reason, "wrong room typed")
    qtbot.keyClicks(dialog.signature.username, "alice")
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")
    with qtbot.waitSignal(dialog.corrected):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)

    event = show_case(opened.db, coi).units[0].events[0]
    assert event.location == "Apheresis unit, bay 2"
    (c,) = event.corrections
    assert (c.old_value, c.new_value, c.reason) == (
        "collection room",
        "Apheresis unit, bay 2",
        "wrong room typed",
    )
    # The case view now shows the correction under the original entry.
    timeline = window.case_view.timeline()
    assert timeline is not None
    (child,) = timeline.cards[0].corrections
    assert "“collection room” → “Apheresis unit, bay 2”" in child.text()
    assert "reason: wrong room typed" in child.text()
    assert "Performed by Alice Apheresis (alice)" in child.text()


def test_correction_needs_a_reason_and_records_nothing_without(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 1)
    window = window_for(qtbot, opened, "alice", coi)
    qtbot.mouseClick(window.case_view.correct_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CorrectionDialog)
    qtbot.keyClicks(dialog.new, "Elsewhere")
    qtbot.keyClicks(dialog.signature.username, "alice")
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "needs a reason" in dialog.error.text()
    assert show_case(opened.db, coi).units[0].events[0].corrections == ()


def test_void_the_latest_step(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 2)
    window = window_for(qtbot, opened, "alice", coi)
    qtbot.mouseClick(window.case_view.correct_button, Qt.MouseButton.LeftButton)  # latest
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CorrectionDialog)
    dialog.field.setCurrentIndex(dialog.field.findData("void"))
    assert not dialog.new.isEnabled()
    qtbot.keyClicks(dialog.reason, "recorded on the wrong bag")
    qtbot.keyClicks(dialog.signature.username, "alice")
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")
    with qtbot.waitSignal(dialog.corrected):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    unit = show_case(opened.db, coi).units[0]
    assert unit.current_step == "collection" and unit.events[-1].voided
    timeline = window.case_view.timeline()
    assert timeline is not None and "VOIDED" in timeline.cards[1].title.text()
    assert timeline.cards[1].title.font().strikeOut()


def test_correct_patient_details(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Jon Smth")
    window = window_for(qtbot, opened, "alice", coi)
    qtbot.mouseClick(window.case_view.correct_case_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CorrectionDialog)
    assert dialog.field.currentData() == "patient_name" and dialog.old.text() == "Jon Smth"
    assert dialog.witness.isVisible()  # identity: a second person verifies
    qtbot.keyClicks(dialog.new, "Jon Smith")
    qtbot.keyClicks(dialog.reason, "typo at enrolment")
    qtbot.keyClicks(dialog.signature.username, "alice")
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "Verified by" in dialog.error.text() and "user name is missing" in dialog.error.text()
    assert show_case(opened.db, coi).patient_name == "Jon Smth"  # nothing recorded
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")
    qtbot.keyClicks(dialog.witness.username, "carl")  # a courier may not verify identity
    qtbot.keyClicks(dialog.witness.password, "carl-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "(Courier) may not verify" in dialog.error.text()
    assert show_case(opened.db, coi).patient_name == "Jon Smth"
    dialog.witness.username.clear()
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")
    qtbot.keyClicks(dialog.witness.username, "ines")
    qtbot.keyClicks(dialog.witness.password, "ines-secret-1")
    with qtbot.waitSignal(dialog.corrected):
        qtbot.keyClick(dialog.witness.password, Qt.Key.Key_Return)
    assert window.case_view.title.text() == "Jon Smith"
    assert "“Jon Smth” → “Jon Smith”" in window.case_view.case_notes.text()
    (fix,) = show_case(opened.db, coi).case_corrections
    assert [s.username for s in fix.signatures] == ["alice", "ines"]


def test_product_correction_has_no_second_signer(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    window = window_for(qtbot, opened, "alice", coi)
    qtbot.mouseClick(window.case_view.correct_case_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CorrectionDialog)
    dialog.field.setCurrentIndex(dialog.field.findData("product"))
    assert not dialog.witness.isVisible()
    dialog.field.setCurrentIndex(dialog.field.findData("mrn"))
    assert dialog.witness.isVisible()


def test_windows_and_deviations_show_and_qa_accepts_one(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.custody import record_event
    from cart_chain.ui.deviation import DeviationReviewDialog
    from tests.helpers import creds

    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 7)  # through release
    record_event(opened.db, unit_of(coi), "storage", creds("leo"), temperature_c=-100.0)
    lab = window_for(qtbot, opened, "lena", coi)
    timeline = lab.case_view.timeline()
    assert (
        "Deviation #" in timeline.alerts.text() and "awaiting QA review" in timeline.alerts.text()
    )
    assert not lab.case_view.review_button.isVisible()  # only QA reviews

    qa = window_for(qtbot, opened, "quinn", coi)
    assert qa.case_view.review_button.isVisible()
    qtbot.mouseClick(qa.case_view.review_button, Qt.MouseButton.LeftButton)
    dialog = qa.dialogs[-1]
    assert isinstance(dialog, DeviationReviewDialog)
    dialog.choice.setCurrentIndex(dialog.choice.findData("accept"))
    qtbot.keyClicks(dialog.reason, "data logger shows -150 °C throughout")
    qtbot.keyClicks(dialog.signature.username, "quinn")
    qtbot.keyClicks(dialog.signature.password, "quinn-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    (dev,) = show_case(opened.db, coi).units[0].deviations
    assert dev.decision == "accept" and not dev.open
    qa.case_view.show_case(coi)
    assert not qa.case_view.review_button.isVisible()
    assert "QA: accept" in qa.case_view.timeline().alerts.text()


def test_qa_overrides_an_infusion_gate_and_it_shows_on_the_case(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.custody import record_event
    from cart_chain.services.readiness import record_patient_event
    from cart_chain.ui.deviation import GateOverrideDialog
    from tests.helpers import creds

    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 11)  # through thaw, no bedside check yet
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    record_patient_event(
        opened.db, coi, "lymphodepletion_start", creds("ines"), occurred_at=now - timedelta(days=5)
    )
    record_patient_event(
        opened.db, coi, "lymphodepletion_end", creds("ines"), occurred_at=now - timedelta(days=3)
    )
    qa = window_for(qtbot, opened, "quinn", coi)
    assert qa.case_view.override_button.isVisible()
    qtbot.mouseClick(qa.case_view.override_button, Qt.MouseButton.LeftButton)
    dialog = qa.dialogs[-1]
    assert isinstance(dialog, GateOverrideDialog)
    dialog.choice.setCurrentIndex(dialog.choice.findData("bedside_check"))
    qtbot.keyClicks(dialog.reason, "paper bedside check, scanned into the record")
    qtbot.keyClicks(dialog.signature.username, "quinn")
    qtbot.keyClicks(dialog.signature.password, "quinn-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qa.case_view.show_case(coi)
    assert "QA override" in qa.case_view.case_notes.text()
    assert "paper bedside check" in qa.case_view.case_notes.text()
    record_event(
        opened.db, unit_of(coi), "infusion", creds("ines"), creds("ivan"), condition=CONDITION
    )
    assert show_case(opened.db, coi).units[0].current_step == "infusion"


def _dialog_for(qtbot, window: MainWindow, row: int) -> CorrectionDialog:  # type: ignore[no-untyped-def]
    timeline = window.case_view.timeline()
    assert isinstance(timeline, UnitTimeline)
    qtbot.mouseClick(timeline.cards[row], Qt.MouseButton.LeftButton)  # the timeline is cards
    qtbot.mouseClick(window.case_view.correct_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CorrectionDialog)
    return dialog


def test_a_collection_s_volume_is_corrected_and_no_other_step_offers_it(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.custody import record_event
    from tests.helpers import creds

    coi = enrol(opened.db)
    unit = unit_of(coi)
    record_event(
        opened.db, unit, "collection", creds("alice"), creds("anna"), location="room",
        volume_ml=212.5, anticoagulant="ACD-A",
    )  # fmt: skip
    record_event(
        opened.db, unit, "ship_to_manufacturing", creds("alice"), creds("carl"),
        location="dock", temperature_c=4.0,
    )  # fmt: skip
    window = window_for(qtbot, opened, "alice", coi)
    shipped = _dialog_for(qtbot, window, 1)
    offered = [shipped.field.itemData(i) for i in range(shipped.field.count())]
    assert "location" in offered and "volume_ml" not in offered
    shipped.reject()

    dialog = _dialog_for(qtbot, window, 0)
    names = [dialog.field.itemText(i) for i in range(dialog.field.count())]
    assert "volume (mL)" in names and "anticoagulant" in names
    dialog.field.setCurrentIndex(names.index("volume (mL)"))
    assert dialog.old.text() == "212.5"
    qtbot.keyClicks(dialog.new, "250")
    qtbot.keyClicks(dialog.reason, "scale read wrongly")
    qtbot.keyClicks(dialog.signature.username, "alice")
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")
    with qtbot.waitSignal(dialog.corrected):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    event = show_case(opened.db, coi).units[0].events[0]
    assert (event.volume_ml, event.anticoagulant) == (250.0, "ACD-A")
