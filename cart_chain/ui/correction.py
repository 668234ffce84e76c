"""Correct a ledger entry: pick the field, give the new value and a reason, sign.

The original entry is never edited: the service appends a correction naming the
old and new value and the reason (Part 11 / Annex 11), and the case view shows
it under the original. A correction of the patient's name, date of birth or MRN
shows a second signature block: another person verifies it in the same entry.
A manufacturer's identifier linked by mistake is corrected here too (an empty
value takes it off); from then on the old value no longer resolves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.authority import IDENTITY_FIELDS
from cart_chain.domain.clock import local_display
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.manufacturer import CASE_LINKED, LINK_KINDS
from cart_chain.domain.steps import Step
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.signature import SignatureBlock
from cart_chain.ui.timeline import FIELD_NAMES
from cart_chain.ui.titles import set_title

if TYPE_CHECKING:
    from cart_chain.services.views import CaseDetail, EventView
    from cart_chain.ui.session import Session


class CorrectionDialog(QDialog):
    """Correction of one event (``event`` given) or of the case's patient details."""

    corrected = Signal(object)  # Receipt

    def __init__(
        self,
        session: Session,
        case: CaseDetail,
        event: EventView | None = None,
        parent: QWidget | None = None,
        *,
        link_seq: int | None = None,
    ) -> None:
        super().__init__(parent)
        from cart_chain.services.corrections import fields_for

        self.session = session
        self.case = case
        self.entry = event
        self.link_seq = link_seq
        variant: str | None = None
        if link_seq is not None:
            kind, self.seq = CASE_LINKED, link_seq
            what = f"the identifiers linked in entry #{link_seq}"
        elif event is not None:
            kind, self.seq, variant = "event_recorded", event.seq, event.step
            what = (
                f"entry #{event.seq}: {Step(event.step).label}, {local_display(event.occurred_at)}"
            )
        else:
            kind, self.seq = "case_created", case.seq
            what = f"patient details of {case.patient_name} (entry #{case.seq})"
        self.current: dict[str, str] = self._current_values()
        set_title(self, f"Correct {what} — cart-chain")
        self.setMinimumWidth(640)
        intro = QLabel(
            f"Correcting {what}.<br>The original stays in the record; your correction "
            "is added beside it with the reason and your signature."
        )
        intro.setWordWrap(True)
        intro.setObjectName("Banner")
        self.field = QComboBox()
        self.field.setObjectName("CorrectionField")
        for name in fields_for(kind, variant):
            if kind != CASE_LINKED or self.current.get(name):  # only what the entry links
                self.field.addItem(FIELD_NAMES.get(name) or LINK_KINDS.get(name, name), name)
        self.old = QLabel()
        self.old.setWordWrap(True)
        self.new = QLineEdit()
        self.new.setObjectName("CorrectionValue")
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("CorrectionReason")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(70)
        self.reason.setPlaceholderText("why the entry is wrong (required)")
        self.signature = SignatureBlock("Performed by", session)
        self.witness = SignatureBlock("Verified by")
        self.witness.setObjectName("CorrectionWitness")
        self.error = error_label()
        self.save = QPushButton("Sign correction")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        form = QFormLayout()
        form.addRow("Field", self.field)
        form.addRow("Current value", self.old)
        form.addRow("New value", self.new)
        form.addRow("Reason", self.reason)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.signature)
        layout.addWidget(self.witness)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.save.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        self._field_changed()
        self.field.setFocus()

    def _current_values(self) -> dict[str, str]:
        e, c = self.entry, self.case
        if self.link_seq is not None:
            return {lk.kind: lk.value for lk in c.links if lk.seq == self.link_seq}
        if e is not None:
            return {
                "location": e.location or "",
                "temperature_c": "" if e.temperature_c is None else f"{e.temperature_c:g}",
                "note": e.note or "",
                "occurred_at": local_display(e.occurred_at),
                "void": "",
                "volume_ml": "" if e.volume_ml is None else f"{e.volume_ml:g}",
                "anticoagulant": e.anticoagulant or "",
            }
        return {
            "patient_name": c.patient_name,
            "patient_dob": c.patient_dob,
            "mrn": c.mrn,
            "product": c.product,
        }

    def _field_changed(self) -> None:
        name = self.field.currentData()
        self.witness.setVisible(name in IDENTITY_FIELDS)
        if name == "void":
            self.old.setText("Voids this step (only the unit's latest step can be voided).")
            self.new.setPlaceholderText("not needed: the reason says why")
            self.new.setEnabled(False)
        else:
            self.old.setText(self.current.get(name, "") or "—")
            self.new.setEnabled(True)
            self.new.setPlaceholderText(
                "YYYY-MM-DDTHH:MM (local time)"
                if name == "occurred_at"
                else "new value (empty: no longer linked)"
                if name in LINK_KINDS
                else "new value"
            )

    def submit(self) -> None:
        from cart_chain.services.corrections import correct

        name = self.field.currentData()
        reason = self.reason.toPlainText().strip()
        try:
            if not reason:
                raise InvalidValue("a correction needs a reason")
            value = reason if name == "void" else self.new.text()
            if name != "void" and name not in LINK_KINDS and not value.strip():
                raise InvalidValue("type the new value")
            witness = self.witness.credentials() if name in IDENTITY_FIELDS else None
            receipt = correct(
                self.session.db,
                self.seq,
                {name: value},
                reason,
                self.signature.credentials(),
                witness,
            )
        except Exception as exc:
            self.signature.clear_password()
            self.witness.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, "save the correction")
            return
        self.session.signed()
        self.corrected.emit(receipt)
        self.session.changed.emit()
        self.accept()
