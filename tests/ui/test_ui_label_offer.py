"""The record dialog offers the next holder's label; a reprint prompt only when a
label of that kind exists for the bag (`services.labels.label_offer`)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cart_chain.labels.printing import print_label
from cart_chain.ui import prefs
from cart_chain.ui.print_label import PrintLabelDialog
from tests.helpers import creds, enrol, unit_of, walk
from tests.ui.helpers import record_dialog


def record_receipt(qtbot, opened, coi: str) -> PrintLabelDialog:  # type: ignore[no-untyped-def]
    """Lena receives the bag from Carl at manufacturing; returns the label offered."""
    dialog = record_dialog(qtbot, opened, coi, "lena")
    window = dialog.parentWidget()
    assert dialog.selected_step() == "receipt_at_manufacturing"
    qtbot.keyClicks(dialog.location, "Cell lab goods-in")
    qtbot.keyClicks(dialog.temperature, "4")
    if dialog.fields.condition.isVisibleTo(dialog):
        dialog.fields.condition.setCurrentIndex(0)
    qtbot.keyClicks(dialog.by.username, "lena")
    qtbot.keyClicks(dialog.by.password, "lena-secret-1")
    qtbot.keyClicks(dialog.to.username, "carl")
    qtbot.keyClicks(dialog.to.password, "carl-secret-1")
    with qtbot.waitSignal(dialog.recorded):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)
    label = window.dialogs[-1]
    assert isinstance(label, PrintLabelDialog) and label.isVisible()
    return label


def test_after_a_receipt_the_bag_label_is_a_first_print(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Fay First")
    walk(opened.db, unit_of(coi), 2)
    print_label(opened.db, unit_of(coi), "transport", creds("alice"))  # another kind
    prefs.LABEL_KIND.set("transport")  # the kind last chosen by hand is not what is offered
    label = record_receipt(qtbot, opened, coi)
    assert label.kind.currentData() == "bag"
    assert not label.reason.isVisibleTo(label) and "Reprint" not in label.windowTitle()


def test_a_bag_label_already_printed_is_offered_as_a_reprint(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Rex Reprint")
    walk(opened.db, unit_of(coi), 2)
    print_label(opened.db, unit_of(coi), "bag", creds("alice"))
    label = record_receipt(qtbot, opened, coi)
    assert label.kind.currentData() == "bag"
    assert label.reason.isVisibleTo(label) and "Reprint" in label.windowTitle()
