"""Enrol a patient in the app: the New case form.

Name, date of birth, MRN, product, product profile (and indication, when the
profile's windows differ by indication), number of bags, and the enrolling
signature. Every value is judged by `services.cases.new_case`, the one enrolment
the CLI's ``case new`` also calls; its refusals stay in the form with nothing
written. Enter moves from field to field and signs only from the password.
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
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.roles import ENROL_ROLES, role_name
from cart_chain.ui.enter_keys import enter_moves_on
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.signature import SignatureBlock
from cart_chain.ui.titles import set_title

if TYPE_CHECKING:
    from cart_chain.services.views import Receipt
    from cart_chain.ui.session import Session

#: The profile choice that lets the service find it from the product's name.
FROM_PRODUCT = ""
#: The indication choice that holds the case to every indication's window at once.
STRICTEST = ""
#: The most bags a case starts with (the service refuses more, too).
MAX_BAGS = 20


def enrol_roles_text() -> str:
    return ", ".join(sorted(role_name(r) for r in ENROL_ROLES))


def may_enrol(session: Session) -> bool:
    """Whether to offer the form (the service checks the role again when signing)."""
    return session.user.role in {r.value for r in ENROL_ROLES}


def empty_list_text(session: Session) -> str:
    """What an empty case list tells this user to do first."""
    if session.is_admin:
        return (
            "<b>No cases yet.</b> Administrators enrol no patients: first add the staff "
            "in Administration (Ctrl+Shift+A); apheresis, infusion or QA staff then enrol "
            "the first patient with New case."
        )
    if may_enrol(session):
        return (
            "<b>No cases yet. Start here:</b> press <b>New case… (Ctrl+N)</b> to enrol the "
            "first patient (name, date of birth, MRN, product, number of bags) and sign. "
            "Then print the bag labels and record the collection (F2)."
        )
    return (
        f"<b>No cases yet.</b> Patients are enrolled by {enrol_roles_text()} staff. Once a "
        "case exists, scan its bag label here to open it."
    )


class EnrolDialog(QDialog):
    """The New case form; ``enrolled`` carries the new COI."""

    enrolled = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        from cart_chain.services.profiles import list_profiles

        super().__init__(parent)
        self.session = session
        set_title(self, "New case — cart-chain")
        self.setMinimumWidth(640)
        intro = QLabel(
            "Enrol a patient: a new chain of identity (COI) and its bags. Check the "
            "details against the patient's wristband or record before signing."
        )
        intro.setObjectName("Banner")
        intro.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setObjectName("PatientName")
        self.name.setPlaceholderText("as on the wristband, e.g. Maria Gonzalez")
        self.dob = QLineEdit()
        self.dob.setObjectName("PatientDob")
        self.dob.setPlaceholderText("YYYY-MM-DD")
        self.mrn = QLineEdit()
        self.mrn.setObjectName("Mrn")
        self.product = QLineEdit()
        self.product.setObjectName("Product")
        self.product.setPlaceholderText("e.g. Kymriah (tisagenlecleucel)")
        self.profiles = {p.id: p for p in list_profiles()}
        self.profile = QComboBox()
        self.profile.setObjectName("Profile")
        self.profile.addItem("Found from the product name (else generic)", FROM_PRODUCT)
        for p in self.profiles.values():
            self.profile.addItem(f"{p.name} (v{p.version})", p.id)
        self.indication = QComboBox()
        self.indication.setObjectName("Indication")
        self.bags = QSpinBox()
        self.bags.setObjectName("Bags")
        self.bags.setRange(1, MAX_BAGS)
        self.signature = SignatureBlock("Performed by", session)
        self.error = error_label()
        self.save = QPushButton("Enrol and sign")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)  # reached only from the password (`enter_keys`)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAutoDefault(False)

        form = QFormLayout()
        form.addRow("Patient name", self.name)
        form.addRow("Date of birth", self.dob)
        form.addRow("MRN", self.mrn)
        form.addRow("Product", self.product)
        form.addRow("Product profile", self.profile)
        form.addRow("Indication", self.indication)
        form.addRow("Number of bags", self.bags)
        self.form = form
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.signature)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.profile.currentIndexChanged.connect(lambda _: self._profile_changed())
        self.save.clicked.connect(self.submit)
        self.cancel.clicked.connect(self.reject)
        enter_moves_on(self, lambda: self.signature.password)
        self._profile_changed()
        self.name.setFocus()

    def _profile_changed(self) -> None:
        """Offer the chosen profile's indications; fill an empty product with its name."""
        chosen = self.profiles.get(self.profile.currentData() or "")
        self.indication.clear()
        self.indication.addItem("Strictest window of all indications", STRICTEST)
        for ind in chosen.indications if chosen else ():
            if ind != "any":
                self.indication.addItem(ind, ind)
        self.form.setRowVisible(self.indication, self.indication.count() > 1)
        if chosen is not None and not self.product.text().strip():
            self.product.setText(chosen.name)

    def submit(self) -> None:
        """Enrol through the service; its refusals stay here, nothing written."""
        from cart_chain.services.cases import new_case

        try:
            receipt: Receipt = new_case(
                self.session.db,
                self.signature.credentials(),
                self.name.text(),
                self.dob.text(),
                self.mrn.text(),
                self.product.text(),
                self.bags.value(),
                self.profile.currentData() or None,
                indication=self.indication.currentData() or None,
            )
        except Exception as exc:
            self.signature.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, "enrol the case")
            return
        self.session.signed()
        self.error.hide()
        self.enrolled.emit(receipt.subject)
        self.session.changed.emit()
        self.accept()
