"""The record-step dialog fits the rows its step shows, on a 1280x800 screen.

With every per-step row (condition, thaw and infusion times, limits) it was as
tall as their sum when it opened, and stayed so once a step hid them: the rows
were spread apart and "Sign and save" lay below the bottom of an 800-pixel screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.record_step import RecordStepDialog
from tests.conftest import enrol, unit_of, walk
from tests.ui_conftest import *  # noqa: F403
from tests.ui_conftest import make_session, press

SCREEN_HEIGHT = 800  # the smallest screen the README's screenshots are taken on


def test_the_dialog_fits_its_step_and_the_buttons_are_on_screen(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Stella Storage")
    walk(opened.db, unit_of(coi), 5)  # expanded: cryopreservation next, one signer
    window = MainWindow(make_session(opened, "leo"))
    qtbot.addWidget(window)
    window.resize(1280, SCREEN_HEIGHT)
    window.show()
    window.open_case(coi)
    press(window, Qt.Key.Key_F2)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, RecordStepDialog)
    qtbot.keyClicks(dialog.scan, unit_of(coi))
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert dialog.selected_step() == "cryopreservation"
    assert not dialog.fields.condition.isVisibleTo(dialog)
    assert not dialog.started.isVisibleTo(dialog)

    def fitted() -> bool:  # no empty space spread through the dialog, no row squeezed
        needed = dialog.minimumSizeHint().height()
        return dialog.height() <= needed + 40 and dialog.fields.note.height() == 64

    qtbot.waitUntil(fitted, timeout=2000)
    bottom = dialog.save.mapTo(dialog, dialog.save.rect().bottomLeft()).y()
    assert bottom < dialog.height() < SCREEN_HEIGHT
