"""The shipper's logger file is picked in the receipt dialog itself (issue 15): once the
receipt is signed, the import dialog opens on top with the file filled in, and the
receiver signs the import. Other steps offer no logger row; no file, no second dialog."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from cart_chain.services.condition_views import condition_of
from cart_chain.ui.condition_import import ImportLoggerDialog
from cart_chain.ui.record_step import RecordStepDialog
from tests import logger_files as lf
from tests.helpers import HANDOFF, fresh_leg
from tests.ui.helpers import drop_files, make_session, wedge


def receipt_dialog(  # type: ignore[no-untyped-def]
    qtbot, opened, unit: str, step: str = "receipt_at_manufacturing"
) -> tuple[QWidget, RecordStepDialog]:
    host = QWidget()
    qtbot.addWidget(host)
    dialog = RecordStepDialog(make_session(opened, "lena"), condition_of(opened.db, unit).coi, host)
    dialog.show()
    wedge(qtbot, dialog.scan, unit)
    dialog.step.setCurrentIndex(dialog.step.findData(step))
    dialog.location.setText("Cleanroom B")
    dialog.fields.condition.setCurrentIndex(0)
    return host, dialog


def sign_and_save(qtbot, dialog: RecordStepDialog) -> None:  # type: ignore[no-untyped-def]
    """Lena receives at her own log-in (her block first); Carl releases."""
    if not dialog.by.username.isReadOnly():  # her first signature of the session
        qtbot.keyClicks(dialog.by.username, "lena")
    qtbot.keyClicks(dialog.by.password, "lena-secret-1")
    qtbot.keyClicks(dialog.to.username, "carl")
    qtbot.keyClicks(dialog.to.password, "carl-secret-1")
    with qtbot.waitSignal(dialog.recorded, timeout=5000):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)


def test_a_logger_file_picked_at_receipt_is_imported_and_signed(opened, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unit = fresh_leg(opened.db, receive=False)
    temps = [5.0] * 53
    temps[10] = 9.5
    shipper = tmp_path / "shipper.csv"
    shipper.write_bytes(lf.delimited(lf.regular(HANDOFF - timedelta(minutes=10), 5, temps)))
    host, dialog = receipt_dialog(qtbot, opened, unit)
    row = dialog.fields.logger_row
    assert row.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.fields.logger_file, str(shipper))
    sign_and_save(qtbot, dialog)
    (importer,) = host.findChildren(ImportLoggerDialog)
    assert importer.isVisible() and importer.path.text() == str(shipper)
    assert condition_of(opened.db, unit).legs[0].imports == ()  # not before its signature
    if not importer.signature.username.isReadOnly():
        qtbot.keyClicks(importer.signature.username, "lena")
    qtbot.keyClicks(importer.signature.password, "lena-secret-1")
    with qtbot.waitSignal(importer.saved) as saved:
        qtbot.mouseClick(importer.save, Qt.MouseButton.LeftButton)
    assert saved.args[0].deviations and "9.5 °C" in saved.args[0].deviations[0]
    (leg,) = condition_of(opened.db, unit).legs
    assert len(leg.imports) == 1


def test_no_file_no_import_dialog_and_no_row_off_a_receipt(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    unit = fresh_leg(opened.db, receive=False)
    host, dialog = receipt_dialog(qtbot, opened, unit)
    sign_and_save(qtbot, dialog)
    assert host.findChildren(ImportLoggerDialog) == []
    _, after = receipt_dialog(qtbot, opened, unit, "engineering")
    assert after.selected_step() == "engineering"
    assert not after.fields.logger_row.isVisibleTo(after)


def test_a_logger_file_dropped_on_the_receipt_dialog_fills_its_row(opened, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Dropped on the Location field (or anywhere on the dialog), the file goes to the
    logger row; the location keeps what was typed, not the file's URL."""
    unit = fresh_leg(opened.db, receive=False)
    shipper = tmp_path / "shipper.csv"
    shipper.write_bytes(lf.delimited(lf.regular(HANDOFF - timedelta(minutes=10), 5, [5.0] * 53)))
    host, dialog = receipt_dialog(qtbot, opened, unit)
    assert drop_files(dialog.location, shipper)
    assert dialog.fields.logger_file.text() == str(shipper)
    assert dialog.location.text() == "Cleanroom B"
    dialog.fields.logger_file.clear()
    assert drop_files(dialog.patient, shipper)  # a label: the dialog takes it
    assert dialog.fields.logger_file.text() == str(shipper)
    sign_and_save(qtbot, dialog)
    (importer,) = host.findChildren(ImportLoggerDialog)
    assert importer.path.text() == str(shipper)


def test_a_file_dropped_off_a_receipt_is_refused_and_types_nothing(opened, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unit = fresh_leg(opened.db)  # received: engineering is next
    stray = tmp_path / "stray.csv"
    stray.write_text("x")
    _, dialog = receipt_dialog(qtbot, opened, unit, "engineering")
    assert dialog.selected_step() == "engineering"
    assert not drop_files(dialog.location, stray)
    assert dialog.location.text() == "Cleanroom B"
    assert dialog.fields.logger_file.text() == ""
