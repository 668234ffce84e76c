"""Export a custody report (one case) or an audit report (a period) off the GUI thread.

Exports can read the whole ledger, so they run in a worker thread that calls the
export service (which opens its own connection per call) and reports progress
through a signal. Cancelling sets a flag the progress callback checks; it raises
inside the service, which removes its temporary file, so a cancelled export
leaves nothing behind and records nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QThread, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import InvalidValue
from cart_chain.ui import prefs
from cart_chain.ui.errors import classify, describe, show_error
from cart_chain.ui.signature import SignatureBlock
from cart_chain.ui.titles import set_title

if TYPE_CHECKING:
    from cart_chain.services.accounts import Credentials
    from cart_chain.ui.session import Session

#: progress(phase, done, total)
Progress = Callable[[str, int, int], None]
Job = Callable[[Progress], Any]


class ExportCancelled(Exception):
    """Raised from the progress callback to stop an export the user cancelled."""


class ExportWorker(QThread):
    """Runs one export job; never touches a widget."""

    progress = Signal(str, int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def _progress(self, phase: str, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise ExportCancelled()
        self.progress.emit(phase, done, total)

    def run(self) -> None:
        try:
            result = self.job(self._progress)
        except ExportCancelled:
            self.cancelled.emit()
            return
        except Exception as exc:  # handed to the GUI thread to show
            self.failed.emit(exc)
            return
        self.succeeded.emit(result)  # finished before the cancel was seen: it is saved


def custody_job(db: Any, by: Credentials, coi: str, out: Path, overwrite: bool = False) -> Job:
    def job(progress: Progress) -> Any:
        from cart_chain.reports.custody import render
        from cart_chain.services.exports import export_custody

        progress("export", 0, 0)
        return export_custody(db, by, coi, out, render, overwrite=overwrite)

    return job


def audit_job(
    db: Any, by: Credentials, start: str, end: str, out: Path, overwrite: bool = False
) -> Job:
    def job(progress: Progress) -> Any:
        from cart_chain.reports.audit import writer_for
        from cart_chain.services.audit_rows import audit_filters
        from cart_chain.services.exports import export_audit

        filters = audit_filters(start=start, end=end)
        return export_audit(db, by, filters, out, writer_for(out), progress, overwrite=overwrite)

    return job


class ExportDialog(QDialog):
    """Choose what to export, sign, and watch it run (or cancel it)."""

    exported = Signal(object)  # ExportResult

    def __init__(
        self, session: Session, coi: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.coi = coi
        self.worker: ExportWorker | None = None
        self.outcome: Any = None
        #: The file the save dialog asked the user about replacing (and they agreed).
        self.confirmed_replace: str | None = None
        #: Every progress report received, in order (what the bar and the text showed).
        self.progress_seen: list[tuple[str, int, int]] = []
        self.setMinimumWidth(640)

        self.kind = QComboBox()
        self.kind.setObjectName("ExportKind")
        if coi is not None:
            self.kind.addItem("Custody report of this case (PDF)", "custody")
        self.kind.addItem("Audit report for a period (PDF)", "audit-pdf")
        self.kind.addItem("Audit report for a period (CSV)", "audit-csv")
        today = date.today()
        self.start = QDateEdit(QDate(today - timedelta(days=30)))
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd")
        self.end = QDateEdit(QDate(today))
        self.end.setCalendarPopup(True)
        self.end.setDisplayFormat("yyyy-MM-dd")
        self.path = QLineEdit()
        self.path.setObjectName("ExportPath")
        browse = QPushButton("Browse…")
        browse.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.signature = SignatureBlock("Exported by", session)
        self.bar = QProgressBar()
        self.bar.setObjectName("ExportProgress")
        self.bar.setValue(0)
        self.bar.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.hide()
        self.run_button = QPushButton("Sign and export")
        self.run_button.setObjectName("Primary")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)

        self.form = QFormLayout()
        self.form.addRow("Export", self.kind)
        self.form.addRow("From", self.start)
        self.form.addRow("To (inclusive)", self.end)
        self.form.addRow("Save as", row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        if coi is not None:
            from cart_chain.domain.identifiers import parse_coi

            info = QLabel(f"Custody report of case <b>{parse_coi(coi).grouped()}</b>")
            info.setObjectName("Banner")
            layout.addWidget(info)
        layout.addLayout(self.form)
        layout.addWidget(self.signature)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        browse.clicked.connect(self._browse)
        self.run_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self._cancel)
        self._kind_changed()

    # -- form -----------------------------------------------------------------------

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        period = kind != "custody"
        self.form.setRowVisible(self.start, period)
        self.form.setRowVisible(self.end, period)
        title = "Custody report" if kind == "custody" else "Audit report"
        set_title(self, f"Export {title.lower()} — cart-chain")
        folder = Path(prefs.LAST_EXPORT_DIR.get() or Path.home())
        suffix = ".csv" if kind == "audit-csv" else ".pdf"
        stem = f"custody-{self.coi}" if kind == "custody" else f"audit-{date.today():%Y%m%d}"
        self.path.setText(str(folder / f"{stem}{suffix}"))

    def _browse(self) -> None:
        suffix = Path(self.path.text()).suffix or ".pdf"
        name, _ = QFileDialog.getSaveFileName(
            self, "Save export as", self.path.text(), f"*{suffix}"
        )
        if name:
            self.path.setText(name)
            self.confirmed_replace = name if Path(name).exists() else None

    def _job(self) -> Job:
        out = Path(self.path.text().strip()).expanduser()
        if not self.path.text().strip():
            raise InvalidValue("choose where to save the export")
        by = self.signature.credentials()
        replace = self.confirmed_replace == self.path.text().strip()  # never silently
        kind = self.kind.currentData()
        if kind == "custody":
            assert self.coi is not None
            return custody_job(self.session.db, by, self.coi, out, replace)
        start = self.start.date().toString("yyyy-MM-dd")
        end = self.end.date().toString("yyyy-MM-dd")
        return audit_job(self.session.db, by, start, end, out, replace)

    # -- running ----------------------------------------------------------------------

    def start_export(self) -> None:
        try:
            job = self._job()
        except Exception as exc:
            self._show(describe(exc), error=True)
            return
        self.signature.clear_password()
        self.worker = ExportWorker(job)
        self.worker.progress.connect(self._progress)
        self.worker.succeeded.connect(self._done)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(self._cancelled)
        self.run_button.setEnabled(False)
        self.cancel_button.setText("Stop export")
        self.bar.setRange(0, 0)
        self.bar.show()
        self._show("Exporting…", error=False)
        self.worker.start()

    def _progress(self, phase: str, done: int, total: int) -> None:
        self.progress_seen.append((phase, done, total))
        if total <= 0:
            self.bar.setRange(0, 0)  # unknown length: a busy bar
            if phase == "verify" and done:
                self._show(f"Verifying the ledger: {done:,} entries checked", error=False)
            return
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        what = "Verifying the ledger" if phase == "verify" else "Writing entries"
        self._show(f"{what}: {done:,} of {total:,}", error=False)

    def _finish_worker(self) -> None:
        if self.worker is not None:
            self.worker.wait()
            self.worker = None
        self.run_button.setEnabled(True)
        self.cancel_button.setText("Close")

    def _done(self, result: Any) -> None:
        self._finish_worker()
        self.outcome = result
        self.session.signed()
        prefs.LAST_EXPORT_DIR.set(str(Path(self.path.text()).parent))
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        path = getattr(result, "path", self.path.text())
        entries = getattr(result, "entries", None)
        extra = f" ({entries:,} entries)" if entries is not None else ""
        evidence = getattr(result, "evidence", None)
        proof = (
            f" It carries the signed checkpoint {evidence.shown.short} and proofs of the "
            f"{len(evidence.evidence.entries)} entries it shows ('cart-chain evidence check')."
            if evidence is not None
            else ""
        )
        self._show(
            f"Saved {path}{extra}. The export is recorded in the ledger.{proof}", error=False
        )
        self.status.setObjectName("Success")
        self.status.setStyleSheet("")
        self.session.changed.emit()
        self.exported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._finish_worker()
        self.bar.hide()
        self._show(describe(exc), error=True)
        if classify(exc) != "rule":
            show_error(self, exc, "export")

    def _cancelled(self) -> None:
        self._finish_worker()
        self.bar.hide()
        self._show("Export cancelled: no file was written and nothing was recorded.", False)

    def _cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self._show("Stopping…", error=False)
            return
        self.reject()

    def _show(self, text: str, error: bool) -> None:
        self.status.setObjectName("Error" if error else "Info")
        self.status.setStyleSheet("")
        self.status.setText(text)
        self.status.show()

    def done(self, result: int) -> None:  # closing while running: stop first
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
            self.worker = None
        super().done(result)
