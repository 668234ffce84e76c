"""The bedside check and the patient's own events (bridging, lymphodepletion).

Before an infusion two qualified people compare the patient's wristband with
the bag, at the bedside, together (DOMAIN.md). The check is blind: the dialog
does not show the recorded name or date of birth; the two people type what the
wristband says and the service compares. A mismatch is recorded too (it is a
safety event) and is shown as the same red, blocking alert as a wrong bag.
In both dialogs Enter moves to the next field; only the last password signs
(`enter_keys`): a wristband scanned into the name field must not sign the check.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import InvalidValue, WrongPatient
from cart_chain.ui import prefs
from cart_chain.ui.alarm import StopAlert, stop_alert
from cart_chain.ui.enter_keys import enter_moves_on
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.signature import SignatureBlock
from cart_chain.ui.stop_scan import ScanKeys, not_a_code
from cart_chain.ui.titles import set_title

if TYPE_CHECKING:
    from cart_chain.services.views import CaseDetail
    from cart_chain.ui.session import Session

EVENT_NAMES = {
    "bridging_start": "Bridging therapy started",
    "bridging_end": "Bridging therapy ended",
    "lymphodepletion_start": "Lymphodepleting chemotherapy started",
    "lymphodepletion_end": "Lymphodepleting chemotherapy ended",
    "premedication": "Premedication given",
}


class BedsideCheckDialog(QDialog):
    """Scan the bag, type the wristband's name and date of birth, two signatures."""

    checked = Signal(object)  # BedsideResult

    def __init__(self, session: Session, case: CaseDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.case = session, case
        self.unit: str | None = None
        self.alert: StopAlert | None = None
        self.setWindowTitle("Bedside check — cart-chain")
        self.setMinimumWidth(760)
        intro = QLabel(
            "Two qualified people, at the bedside, together: scan the bag, then type the "
            "name and date of birth <b>as written on the patient's wristband</b>."
        )
        intro.setObjectName("Banner")
        intro.setWordWrap(True)
        self.scan = QLineEdit()
        self.scan.setObjectName("Scan")
        self.scan.setPlaceholderText("Scan the bag label and press Enter")
        self.scan.installEventFilter(ScanKeys(self))
        self.bag = QLabel("No bag scanned yet.")
        self.name = QLineEdit()
        self.name.setObjectName("WristbandName")
        self.name.setPlaceholderText("name on the wristband")
        self.dob = QLineEdit()
        self.dob.setObjectName("WristbandDob")
        self.dob.setPlaceholderText("date of birth on the wristband, YYYY-MM-DD")
        self.by = SignatureBlock("Performed by", session)
        self.witness = SignatureBlock("Verified by")
        self.error = error_label()
        self.outcome = QLabel()
        self.outcome.setObjectName("Success")
        self.outcome.hide()
        self.save = QPushButton("Sign the check")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        self.save.setEnabled(False)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        form = QFormLayout()
        form.addRow("Bag", self.scan)
        form.addRow("", self.bag)
        form.addRow("Wristband name", self.name)
        form.addRow("Wristband date of birth", self.dob)
        signatures = QHBoxLayout()
        signatures.addWidget(self.by)
        signatures.addWidget(self.witness)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(signatures)
        layout.addWidget(self.error)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.save.clicked.connect(self.submit)
        close.clicked.connect(self.reject)
        enter_moves_on(self, lambda: self.witness.password, self.scan)
        self.scan.setFocus()

    def scan_entered(self) -> None:
        """Same gate as recording a step: another patient's bag is stopped at once."""
        from cart_chain.services.scanning import record_refused_scan, scan

        text = self.scan.text()
        self.error.hide()
        try:
            found = scan(self.session.db, text, expect=self.case.coi, source=prefs.scan_source())
            unit = found.unit or (found.units[0] if len(found.units) == 1 else None)
            if unit is None:
                raise InvalidValue("this case has several bags: scan the bag's own label")
        except WrongPatient as exc:
            try:
                record_refused_scan(
                    self.session.db,
                    self.session.user.username,
                    self.case.coi,
                    text,
                    str(exc),
                    prefs.scan_source(),
                )
            finally:
                self.alert = stop_alert(
                    self,
                    "WRONG PATIENT — STOP",
                    "This bag does not belong to the patient of this case.",
                    describe(exc).removeprefix("WRONG PATIENT - STOP: "),
                    "Nothing was recorded. Put the bag aside and scan the right one.",
                )
                self.alert.finished.connect(lambda _: self._rescan())
            return
        except Exception as exc:
            self._fail(exc, "read the scanned bag")
            self._rescan()
            return
        self.unit = unit.unit
        self.scan.setText(unit.grouped)
        self.scan.setReadOnly(True)
        self.bag.setText(f"Bag U{unit.number:02d} of {unit.of} of this case")
        self.save.setEnabled(True)
        self.name.setFocus()

    def take_scan(self, text: str) -> None:
        """A scan routed here by the scan router from any field (the wristband name
        included): it goes to the bag check, never into the field. A wristband's or
        other stray barcode leaves the bag already scanned as it is (`not_a_code`)."""
        if self.unit is not None:
            why = not_a_code(self.session, text)
            if why is not None:
                self.scan_refused(f"Scan refused: {why}. The bag scanned is unchanged.")
                return
        self.unit = None
        self.save.setEnabled(False)
        self.bag.setText("No bag scanned yet.")
        self.scan.setReadOnly(False)
        self.scan.setText(text)
        self.scan_entered()

    def scan_refused(self, reason: str) -> None:
        self.error.setText(reason)
        self.error.show()

    def _rescan(self) -> None:
        self.scan.clear()
        self.scan.setReadOnly(False)
        self.scan.setFocus()

    def submit(self) -> None:
        from cart_chain.services.readiness import bedside_check

        if self.unit is None:
            self._fail(InvalidValue("scan the bag first"), "check")
            return
        try:
            if not self.name.text().strip() or not self.dob.text().strip():
                raise InvalidValue("type the name and the date of birth from the wristband")
            result = bedside_check(
                self.session.db,
                self.unit,
                self.name.text(),
                self.dob.text(),
                self.by.credentials(),
                self.witness.credentials(),
                expect=self.case.coi,  # checked again inside the service's write
            )
        except Exception as exc:
            self._fail(exc, "record the bedside check")
            return
        finally:
            self.by.clear_password()
            self.witness.clear_password()
        self.session.signed()
        self.session.changed.emit()
        self.checked.emit(result)
        if result.passed:
            self.error.hide()
            self.outcome.setText("Bedside check passed and recorded: the bag matches the patient.")
            self.outcome.show()
            self.save.setEnabled(False)
            return
        self.alert = stop_alert(
            self,
            "MISMATCH — DO NOT INFUSE",
            "The wristband does not match this bag.",
            ("Did not match: " + ", ".join(result.mismatches))
            if result.mismatches
            else "the details differ",
            "The mismatch is recorded. Do not infuse; call the responsible physician and QA.",
            ack="Understood: not infusing",
        )

    def _fail(self, exc: BaseException, action: str) -> None:
        self.error.setText(describe(exc))
        self.error.show()
        if classify(exc) != "rule":
            show_error(self, exc, action)


class PatientEventDialog(QDialog):
    """Record bridging therapy or lymphodepletion (start or end) for the patient."""

    recorded = Signal(object)

    def __init__(self, session: Session, case: CaseDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.case = session, case
        set_title(self, f"Patient event — {case.patient_name} — cart-chain")
        self.setMinimumWidth(640)
        self.kind = QComboBox()
        self.kind.setObjectName("PatientEvent")
        for key, text in EVENT_NAMES.items():
            self.kind.addItem(text, key)
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.detail = QLineEdit()
        self.detail.setPlaceholderText("regimen, e.g. Flu/Cy (optional)")
        self.signature = SignatureBlock("Performed by", session)
        self.error = error_label()
        self.save = QPushButton("Sign and save")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        form = QFormLayout()
        form.addRow("Event", self.kind)
        form.addRow("When (local time)", self.when)
        form.addRow("Detail", self.detail)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        banner = QLabel(f"<b>{case.patient_name}</b> · COI {case.grouped}")
        banner.setObjectName("Banner")
        layout.addWidget(banner)
        layout.addLayout(form)
        layout.addWidget(self.signature)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.save.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        enter_moves_on(self, lambda: self.signature.password)
        self.kind.setFocus()

    def submit(self) -> None:
        from cart_chain.services.readiness import record_patient_event

        moment: Any = self.when.dateTime().toPython()
        if isinstance(moment, datetime) and moment.tzinfo is None:
            moment = moment.astimezone()
        try:
            receipt = record_patient_event(
                self.session.db,
                self.case.coi,
                self.kind.currentData(),
                self.signature.credentials(),
                occurred_at=moment,
                detail=self.detail.text(),
            )
        except Exception as exc:
            self.signature.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, "record the patient event")
            return
        self.session.signed()
        self.session.changed.emit()
        self.recorded.emit(receipt)
        self.accept()
