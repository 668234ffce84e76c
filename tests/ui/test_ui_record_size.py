"""The record-step dialog fits the rows its step shows, on a 1280x800 screen.

With every per-step row (condition, thaw and infusion times, limits) it was as
tall as their sum when it opened, and stayed so once a step hid them: the rows
were spread apart and "Sign and save" lay below the bottom of an 800-pixel screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import breyanzi_case, record_dialog, thaw_dialog

SCREEN_HEIGHT = 800  # the smallest screen the README's screenshots are taken on


def test_the_dialog_fits_its_step_and_the_buttons_are_on_screen(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Stella Storage")
    walk(opened.db, unit_of(coi), 5)  # expanded: cryopreservation next, one signer
    dialog = record_dialog(qtbot, opened, coi, "leo", size=(1280, SCREEN_HEIGHT))
    assert dialog.selected_step() == "cryopreservation"
    assert not dialog.fields.condition.isVisibleTo(dialog)
    assert not dialog.started.isVisibleTo(dialog)

    def fitted() -> bool:  # no empty space spread through the dialog, no row squeezed
        needed = dialog.minimumSizeHint().height()
        return dialog.height() <= needed + 40 and dialog.fields.note.height() == 64

    qtbot.waitUntil(fitted, timeout=2000)
    bottom = dialog.save.mapTo(dialog, dialog.save.rect().bottomLeft()).y()
    assert bottom < dialog.height() < SCREEN_HEIGHT


def test_a_thaw_taller_than_the_screen_scrolls_its_fields_and_keeps_the_buttons(
    qtbot,  # type: ignore[no-untyped-def]
    opened,
    monkeypatch,
) -> None:
    """A thaw asks times, a condition and two signatures: more than a 1280x800 screen
    holds with the workstation's fonts. Here the screen is made short instead."""
    from cart_chain.ui import fit

    screen_room = 420
    coi = breyanzi_case(opened)
    monkeypatch.setattr(fit, "WINDOW_FRAME", SCREEN_HEIGHT - screen_room)
    dialog = thaw_dialog(qtbot, opened, coi)
    qtbot.waitUntil(lambda: dialog.height() <= screen_room, timeout=2000)
    bottom = dialog.save.mapTo(dialog, dialog.save.rect().bottomLeft()).y()
    assert bottom < dialog.height()  # Sign and save in view
    bar = dialog.scroll.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    assert dialog.fields.note.height() == 64  # scrolled, not squeezed
    # Enter moves through the fields down to the signatures, which scroll into view.
    dialog.fields.note.setFocus()
    qtbot.keyClick(dialog.fields.note, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.by.username, "ines")
    qtbot.keyClick(dialog.by.username, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.by.password
    assert bar.value() > 0
    assert not dialog.by.password.visibleRegion().isEmpty()
