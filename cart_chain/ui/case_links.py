"""The case view's identifiers tab: the manufacturer's identifiers and each bag's DIN,
and the form that links more, signed with the user's password.

Everything is checked and written by `services.links.link_case` in its own
transaction: a refusal (an identifier already linked, a wrong check character,
a barcode that does not match the site's pattern) is shown under the form and
nothing is written. A wrong link is corrected through the correction dialog
(`correct_link`), as `cart-chain correct ENTRY` does.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.clock import local_display
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.manufacturer import LINK_KINDS
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.signature import SignatureBlock

if TYPE_CHECKING:
    from cart_chain.services.views import CaseDetail, Receipt
    from cart_chain.ui.session import Session

#: The form's fields, by identifier kind, with what a person is asked for.
PROMPTS = {
    "manufacturer_coi": "manufacturer's COI (an ISBT 128 COI with its check character)",
    "din": "DIN of the collection, with its check character",
    "lot": "lot or batch number",
    "rfic": "Release-for-Infusion Certificate reference",
}


def identifiers_html(detail: CaseDetail) -> str:
    """The identifiers in force for the case and each bag's own DIN, as rich text."""
    lines = []
    for link in detail.links:
        bag = f" (bag {html.escape(link.unit)})" if link.unit else ""
        fixed = f", corrected in entry {link.corrected_in}" if link.corrected_in else ""
        lines.append(
            f"<b>{LINK_KINDS[link.kind]}</b> {html.escape(link.value)}{bag} "
            f"&nbsp;·&nbsp; entry {link.seq}, {html.escape(link.by or '—')}, "
            f"{local_display(link.recorded_at)}{fixed}"
        )
    if not lines:
        lines.append("No manufacturer's identifiers are linked to this case yet.")
    for unit in detail.units:
        lines.append(f"<b>U{unit.number:02d}</b> {unit.unit}: DIN {unit.din or '—'}")
    return "<br>".join(lines)


class CaseLinksPanel(QWidget):
    """The linked identifiers, each bag's DIN, and the form to link more."""

    linked = Signal(object)  # Receipt
    correct_link = Signal(int)  # the case_linked entry to correct

    def __init__(self, session: Session, detail: CaseDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.detail = detail
        self.shown = QLabel(identifiers_html(detail))
        self.shown.setObjectName("LinkedIdentifiers")
        self.shown.setWordWrap(True)
        self.entry = QComboBox()
        self.entry.setObjectName("LinkEntry")
        for seq in dict.fromkeys(link.seq for link in detail.links):
            kinds = ", ".join(LINK_KINDS[lk.kind] for lk in detail.links if lk.seq == seq)
            self.entry.addItem(f"entry {seq}: {kinds}", seq)
        self.correct_button = QPushButton("Correct…")
        self.correct_button.setToolTip("Correct or take off an identifier linked by mistake")
        self.correct_button.clicked.connect(
            lambda: self.entry.count() and self.correct_link.emit(int(self.entry.currentData()))
        )
        self.fix_row = QWidget()
        fix = QHBoxLayout(self.fix_row)
        fix.setContentsMargins(0, 0, 0, 0)
        fix.addWidget(QLabel("Linked by mistake?"))
        fix.addWidget(self.entry, 1)
        fix.addWidget(self.correct_button)
        self.target = QComboBox()
        self.target.setObjectName("LinkTarget")
        self.target.addItem(f"the whole case ({detail.grouped})", detail.coi)
        for unit in detail.units:
            self.target.addItem(f"bag U{unit.number:02d} ({unit.unit})", unit.unit)
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        form.addRow("Link to", self.target)
        for kind, prompt in PROMPTS.items():
            field = QLineEdit()
            field.setObjectName(f"Link_{kind}")
            field.setPlaceholderText(prompt)
            self.fields[kind] = field
            name = LINK_KINDS[kind]
            form.addRow(name[:1].upper() + name[1:], field)
        self.signature = SignatureBlock("Performed by", session)
        self.error = error_label()
        self.save = QPushButton("Sign and link")
        self.save.setObjectName("Primary")
        self.save.setAutoDefault(True)
        box = QGroupBox("Link the manufacturer's identifiers")
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addWidget(self.signature)
        inner.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save)
        inner.addLayout(row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.shown)
        layout.addWidget(self.fix_row)
        self.fix_row.setVisible(bool(detail.links))
        layout.addWidget(box)
        layout.addStretch(1)
        self.save.clicked.connect(self.submit)
        self.signature.password.returnPressed.connect(self.submit)
        if session.is_admin:
            box.setEnabled(False)
            self.correct_button.setEnabled(False)
            box.setToolTip("Administrators do not sign custody records")

    def values(self) -> dict[str, str]:
        return {k: f.text() for k, f in self.fields.items() if f.text().strip()}

    def submit(self) -> None:
        """Link what was typed; a refusal is shown here and nothing is written."""
        from cart_chain.services.links import link_case

        try:
            values = self.values()
            if not values:
                raise InvalidValue("type at least one identifier to link")
            receipt: Receipt = link_case(
                self.session.db, self.target.currentData(), self.signature.credentials(), **values
            )
        except Exception as exc:
            self.signature.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, "link the identifiers")
            return
        self.error.hide()
        self.session.signed()
        self.linked.emit(receipt)
        self.session.changed.emit()
