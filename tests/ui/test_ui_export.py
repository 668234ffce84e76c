"""Exports run off the GUI thread with progress, and can be cancelled."""

from __future__ import annotations

import csv
import threading

from PySide6.QtCore import Qt

from cart_chain.ui.export import ExportDialog
from cart_chain.ui.main_window import MainWindow
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import make_session, press


def open_export(qtbot, opened, coi: str | None = None) -> tuple[MainWindow, ExportDialog]:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, "quinn"))
    qtbot.addWidget(window)
    window.show()
    if coi:
        window.open_case(coi)
    press(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, ExportDialog)
    return window, dialog


def sign(qtbot, dialog: ExportDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.signature.username, "quinn")
    qtbot.keyClicks(dialog.signature.password, "quinn-secret-1")


def test_audit_csv_export_reports_progress(qtbot, opened, tmp_path) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 6)
    _, dialog = open_export(qtbot, opened)
    dialog.kind.setCurrentIndex(dialog.kind.findData("audit-csv"))
    out = tmp_path / "audit.csv"
    dialog.path.setText(str(out))
    sign(qtbot, dialog)
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert out.exists()
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert len(rows) > 10
    phases = [p for p, _, _ in dialog.progress_seen]
    assert phases[-1] == "export" and len(phases) >= 2
    _, done, total = dialog.progress_seen[-1]
    assert done == total > 0
    assert dialog.bar.value() == dialog.bar.maximum()
    assert "Saved" in dialog.status.text()
    assert dialog.worker is None  # the thread finished and was released


def test_custody_report_of_the_open_case(qtbot, opened, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    coi = enrol(opened.db, "Petra Report")
    walk(opened.db, unit_of(coi), 3)
    _, dialog = open_export(qtbot, opened, coi)
    assert dialog.kind.currentData() == "custody"
    out = tmp_path / "custody.pdf"
    dialog.path.setText(str(out))
    sign(qtbot, dialog)
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    assert "Petra Report" in text
    shown = dialog.outcome.evidence.shown.short  # the checkpoint the report embeds
    assert f"signed checkpoint {shown}" in dialog.status.text()


def test_export_can_be_cancelled(qtbot, opened, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The writer is held at its first tick until the user has pressed Stop."""
    import cart_chain.reports.audit as audit

    gate = threading.Event()
    real = audit.writer_for

    def held(path):  # type: ignore[no-untyped-def]
        write = real(path)

        def slow(header, rows, target, tick):  # type: ignore[no-untyped-def]
            def wait_then_tick(n: int) -> None:
                gate.wait(10)
                tick(n)

            return write(header, rows, target, wait_then_tick)

        return slow

    monkeypatch.setattr(audit, "writer_for", held)
    monkeypatch.setattr(audit, "TICK", 1)
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 2)
    _, dialog = open_export(qtbot, opened)
    dialog.kind.setCurrentIndex(dialog.kind.findData("audit-pdf"))
    out = tmp_path / "audit.pdf"
    dialog.path.setText(str(out))
    sign(qtbot, dialog)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.worker is not None and dialog.cancel_button.text() == "Stop export"
    worker = dialog.worker
    with qtbot.waitSignal(worker.cancelled, timeout=30_000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    assert not out.exists()
    assert list(tmp_path.glob("audit*")) == []  # no temporary file left behind
    assert "cancelled" in dialog.status.text()
    assert dialog.run_button.isEnabled()
