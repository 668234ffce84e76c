"""Record a custody step: scan the bag, answer only what the step needs, sign.

The scan field has the focus when the dialog opens. A keyboard-wedge scanner
types the code and ends it with Enter (or Tab); that selects the unit and its
next step. When the dialog was opened for a case, a bag of any other patient is
stopped with a red, blocking alert and a beep, and nothing is recorded.
The performer re-enters their password; the receiver or witness, a different
person, signs with user name and password in the same dialog.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import (
    InvalidValue,
    MalformedScan,
    SignatureError,
    UnknownLabel,
    VoidedLabel,
    WrongPatient,
)
from cart_chain.domain.steps import HANDOFFS, RULES, Step
from cart_chain.ui import prefs, theme
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.signature import SignatureBlock

if TYPE_CHECKING:
    from cart_chain.services.views import CaseDetail, Receipt, UnitView
    from cart_chain.ui.session import Session

log = logging.getLogger("cart_chain.ui.record")

#: What each step asks besides the signatures. Location is always asked: custody
#: is "who holds it, and where".
TEMPERATURE_STEPS = frozenset(
    {
        Step.COLLECTION,
        Step.SHIP_TO_MANUFACTURING,
        Step.RECEIPT_AT_MANUFACTURING,
        Step.CRYOPRESERVATION,
        Step.STORAGE,
        Step.SHIP_TO_SITE,
        Step.RECEIPT_AT_SITE,
        Step.THAW,
    }
)
CONDITION_STEPS = frozenset(
    {Step.RECEIPT_AT_MANUFACTURING, Step.RECEIPT_AT_SITE, Step.THAW, Step.INFUSION}
)
CONDITIONS = (
    "Intact: container and seal undamaged",
    "Damaged container (quarantine)",
    "Seal broken or missing (quarantine)",
    "Temperature excursion (quarantine)",
)


def stop_alert(
    parent: QWidget,
    title: str,
    lead: str,
    detail: str,
    advice: str,
    ack: str = "I have put the bag aside",
) -> QMessageBox:
    """The red, application-modal, audible alert reserved for "do not go on":
    a wrong patient's bag, a failed bedside check. Shown without blocking the
    event loop (tests and the inactivity lock keep working); nothing behind it
    can be used until it is acknowledged."""
    QApplication.beep()
    box = QMessageBox(parent)
    box.setObjectName("StopAlert")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(title)
    detail = detail[:1].upper() + detail[1:]
    box.setInformativeText(f"{lead}\n\n{detail}.\n\n{advice}")
    box.setStyleSheet(theme.WRONG_PATIENT_STYLE)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    ok = box.button(QMessageBox.StandardButton.Ok)
    ok.setText(ack)
    ok.setIcon(QIcon())
    box.setWindowModality(Qt.WindowModality.ApplicationModal)
    box.show()  # application-modal, not window-modal as open() would make it
    box.raise_()
    return box


class _ScanKeys(QObject):
    """Enter or Tab ends a scan in the scan field (instead of moving on or saving)."""

    def __init__(self, dialog: RecordStepDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        ends_scan = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in ends_scan
        ):
            if self.dialog.scan.text().strip():
                self.dialog.scan_entered()
                return True
            return event.key() != Qt.Key.Key_Tab  # an empty Enter must not save
        return False


class RecordStepDialog(QDialog):
    """Scan → step → fields → signatures → save."""

    recorded = Signal(object, str, str)  # Receipt, unit, step
    label_offered = Signal(str, str)  # unit, step after a handoff

    def __init__(
        self,
        session: Session,
        expected_coi: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.expected_coi = expected_coi
        self.case: CaseDetail | None = None
        self.unit: UnitView | None = None
        self.scanned_text: str | None = None  # what was scanned, re-checked when saving
        self.alert: QMessageBox | None = None
        self.setWindowTitle("Record a step — cart-chain")
        self.setMinimumWidth(760)

        self.patient = QLabel()
        self.patient.setObjectName("Banner")
        self.patient.setWordWrap(True)
        self.scan = QLineEdit()
        self.scan.setObjectName("Scan")
        self.scan.setPlaceholderText("Scan the bag label (or type the unit id) and press Enter")
        self.scan.installEventFilter(_ScanKeys(self))
        self.unit_label = QLabel("No bag scanned yet.")
        self.unit_label.setWordWrap(True)
        self.step = QComboBox()
        self.step.setObjectName("Step")
        self.location = QLineEdit(prefs.LAST_LOCATION.get())
        self.location.setPlaceholderText("where the bag is now (room, tank, shipper)")
        self.temperature = QLineEdit()
        self.temperature.setPlaceholderText("°C, e.g. -150 (optional)")
        self.condition = QComboBox()
        self.condition.addItems(CONDITIONS)
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(64)
        self.note.setPlaceholderText("optional note")
        self.by = SignatureBlock("Performed by", session)
        self.to = SignatureBlock("Received by")
        self.error = error_label()
        self.save = QPushButton("Sign and save")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        self.save.setEnabled(False)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAutoDefault(False)

        self.form = QFormLayout()
        self.form.addRow("Step", self.step)
        self.form.addRow("Location", self.location)
        self.form.addRow("Temperature", self.temperature)
        self.form.addRow("Condition", self.condition)
        self.form.addRow("Note", self.note)
        signatures = QHBoxLayout()
        signatures.addWidget(self.by)
        signatures.addWidget(self.to)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.patient)
        layout.addWidget(QLabel("Bag"))
        layout.addWidget(self.scan)
        layout.addWidget(self.unit_label)
        layout.addLayout(self.form)
        layout.addLayout(signatures)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.step.currentIndexChanged.connect(self._step_changed)
        self.save.clicked.connect(self.submit)
        self.cancel.clicked.connect(self.reject)
        self._set_form_enabled(False)
        self._show_patient()
        self.scan.setFocus()

    # -- scanning -------------------------------------------------------------------

    def _show_patient(self) -> None:
        if self.case is None and self.expected_coi is not None:
            from cart_chain.services.cases import show_case

            self.case = show_case(self.session.db, self.expected_coi)
        if self.case is None:
            self.patient.setText("Scan a bag: its patient will be shown here for checking.")
            return
        c = self.case
        self.patient.setText(
            f"<span style='font-size:20px; font-weight:700'>{c.patient_name}</span>"
            f"<br>Born {c.patient_dob} · MRN <b>{c.mrn}</b> · {c.product}"
            f"<br>COI <span style='font-family:monospace'>{c.grouped}</span>"
        )

    def scan_entered(self) -> None:
        """A scan ended (Enter or Tab): resolve it through the scanning service, or refuse.

        The service checks the patient first, so another patient's bag is always
        reported as wrong patient, never softened into "not found".
        """
        from cart_chain.services.cases import show_case
        from cart_chain.services.scanning import scan

        text = self.scan.text()
        self.error.hide()
        try:
            result = scan(
                self.session.db, text, expect=self.expected_coi, source=prefs.scan_source()
            )
            unit = result.unit
            if unit is None:
                if len(result.units) != 1:
                    raise MalformedScan(
                        f"{result.coi_grouped} is the case (COI) of {len(result.units)} bags; "
                        "scan the bag's own label"
                    )
                unit = result.units[0]
            if self.case is None or self.case.coi != result.coi:
                self.case = show_case(self.session.db, result.coi)
                self.expected_coi = result.coi
                self._show_patient()
        except WrongPatient as exc:
            self._wrong_patient(text, exc)
            return
        except (UnknownLabel, VoidedLabel) as exc:
            self._log_refused(text, str(exc))  # a stale or foreign label is evidence too
            self._refuse(f"{describe(exc)}. Scan again.")
            return
        except Exception as exc:
            if classify(exc) == "rule":
                self._refuse(f"{describe(exc)}. Scan again.")
            else:
                self._fail(exc, "read the scanned bag")
            return
        self.scanned_text = text if result.unit is not None else unit.unit
        self._select(unit)

    def _select(self, unit: UnitView) -> None:
        self.unit = unit
        self.scan.setText(unit.grouped)
        self.scan.setReadOnly(True)
        now = Step(unit.current_step).label if unit.current_step else "not started"
        held = f" · held by {unit.custodian_name}" if unit.custodian_name else ""
        self.unit_label.setText(
            f"<b>Bag U{unit.number:02d} of {unit.of}</b> · now: {now}{held}"
            + (f" · at {unit.location}" if unit.location else "")
        )
        self.step.blockSignals(True)
        self.step.clear()
        for s in unit.next_steps:
            self.step.addItem(Step(s).label, s)
        self.step.blockSignals(False)
        if not unit.next_steps:
            self._refuse("This bag's journey is complete: no further step can be recorded.")
            return
        self._set_form_enabled(True)
        self._step_changed()
        self.location.setFocus()
        self.location.selectAll()

    def _refuse(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.scan.selectAll()
        self.scan.setFocus()

    def _wrong_patient(self, scanned: str, exc: BaseException, *, log_it: bool = True) -> None:
        """Stop: the bag is another patient's. Red, blocking, audible; nothing saved."""
        if log_it:  # a refusal inside a service's write is recorded by the service
            self._log_refused(scanned, str(exc))
        expected = self.case.patient_name if self.case else "this case"
        self.alert = stop_alert(
            self,
            "WRONG PATIENT — STOP",
            f"This bag does not belong to {expected}.",
            describe(exc).removeprefix("WRONG PATIENT - STOP: "),
            "Nothing was recorded. Put the bag aside, check its label against the "
            "patient's wristband, and scan the correct bag.",
        )
        self.alert.finished.connect(lambda _: self._after_alert())
        self.error.setText("Wrong patient: the last scanned bag was refused. Nothing recorded.")
        self.error.show()

    def _after_alert(self) -> None:
        self.scan.clear()
        self.scan.setFocus()

    def _log_refused(self, scanned: str, reason: str) -> None:
        """Record the refusal in the ledger (a wrong-patient scan is a near miss)."""
        from cart_chain.services.scanning import record_refused_scan

        try:
            record_refused_scan(
                self.session.db, self.session.user.username, self.expected_coi, scanned, reason
            )
        except Exception:  # the alert matters more than its record; the log keeps it
            log.exception("could not record the refused scan: %s", reason)

    # -- the form ---------------------------------------------------------------------

    def _set_form_enabled(self, on: bool) -> None:
        for w in (self.step, self.location, self.temperature, self.condition, self.note):
            w.setEnabled(on)
        self.by.setEnabled(on)
        self.to.setEnabled(on)
        self.save.setEnabled(on)

    def selected_step(self) -> Step | None:
        data = self.step.currentData()
        return Step(data) if data else None

    def _step_changed(self) -> None:
        step = self.selected_step()
        if step is None:
            return
        rule = RULES[step]
        self.form.setRowVisible(self.temperature, step in TEMPERATURE_STEPS)
        self.form.setRowVisible(self.condition, step in CONDITION_STEPS)
        self.by.set_meaning(rule.by_meaning)
        self.by.refresh()
        handoff = step in HANDOFFS
        self.to.setVisible(handoff)
        if handoff:
            self.to.set_meaning(rule.to_meaning or "Verified by")
        title = "Record handoff" if handoff else "Record step"
        self.setWindowTitle(f"{title}: {step.label} — cart-chain")

    def _values(self) -> dict[str, Any]:
        step = self.selected_step()
        assert step is not None
        temperature = None
        if step in TEMPERATURE_STEPS and self.temperature.text().strip():
            try:
                temperature = float(self.temperature.text().strip().replace(",", "."))
            except ValueError:
                raise InvalidValue(
                    f"temperature {self.temperature.text()!r} is not a number (°C)"
                ) from None
        note = self.note.toPlainText().strip()
        if step in CONDITION_STEPS:
            condition = f"Condition: {self.condition.currentText()}"
            note = f"{condition}. {note}" if note else condition
        location = self.location.text().strip()
        if not location:
            raise InvalidValue("say where the bag is (location)")
        return {
            "location": location,
            "temperature_c": temperature,
            "note": note or None,
        }

    def submit(self) -> None:
        """Sign and save through `custody.record_event`; errors stay in the dialog."""
        if self.unit is None:
            self._refuse("Scan the bag first.")
            return
        step = self.selected_step()
        assert step is not None
        from cart_chain.services.custody import record_event

        try:
            values = self._values()
            by = self.by.credentials()
            to = self.to.credentials() if step in HANDOFFS else None
            if to is not None and to.username == by.username:
                raise SignatureError(
                    f"{step.label} needs two different people: {by.username} cannot sign "
                    f"both '{RULES[step].by_meaning}' and '{RULES[step].to_meaning}'"
                )
            # The service checks the scan again inside its write, against this case.
            receipt: Receipt = record_event(
                self.session.db,
                self.scanned_text or self.unit.unit,
                step,
                by,
                to,
                expect=self.expected_coi,
                source=prefs.scan_source(),
                **values,
            )
        except WrongPatient as exc:
            self.by.clear_password()
            self.to.clear_password()
            self._wrong_patient(self.scanned_text or "", exc, log_it=False)
            return
        except Exception as exc:
            self.by.clear_password()
            self.to.clear_password()
            self._fail(exc, "record the step")
            return
        self.session.signed()
        prefs.LAST_LOCATION.set(values["location"])
        self.error.hide()
        self.recorded.emit(receipt, self.unit.unit, step.value)
        self.session.changed.emit()
        self.accept()
        if step in HANDOFFS:
            self.label_offered.emit(self.unit.unit, step.value)

    def _fail(self, exc: BaseException, action: str) -> None:
        if classify(exc) == "rule":
            self.error.setText(describe(exc))
            self.error.show()
        else:
            self.error.setText(describe(exc))
            self.error.show()
            show_error(self, exc, action)
