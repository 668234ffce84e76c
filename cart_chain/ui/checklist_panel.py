"""What infusion still needs, shown in the record dialog before anyone signs.

For a thaw: release and receipt, the lymphodepletion window, the bedside check
still to do, and the post-thaw limit a thaw now would start; in red when
infusion could not start in time (`checklist.thaw_outlook`). For an infusion:
the same gates as they stand now, with the post-thaw time left
(`checklist.infusion_checklist`); the service refuses the infusion while a gate
is closed, so the panel says so first.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from cart_chain.domain.clock import local_display
from cart_chain.domain.steps import Step
from cart_chain.ui.errors import describe

if TYPE_CHECKING:
    from cart_chain.services.checklist import ChecklistItem
    from cart_chain.ui.session import Session

log = logging.getLogger("cart_chain.ui.checklist")

TITLES = {
    "released_and_received": "Release and receipt",
    "lymphodepletion": "Lymphodepletion window",
    "bedside_check": "Bedside check",
    "post_thaw_window": "Post-thaw time",
    "premedication": "Premedication",
}
RED = "#b00020"


def item_html(item: ChecklistItem) -> str:
    """One line: a mark (✓ done, ✗ blocks infusion, ! shown only), the name, the text."""
    mark, color = (
        ("✓", "#1b6e20") if item.ok else (("✗", RED) if item.blocking else ("!", "#7a4b00"))
    )
    ends = f" (ends {local_display(item.until)})" if item.until else ""
    return (
        f"<span style='color:{color}; font-weight:700'>{mark}</span> "
        f"<b>{TITLES.get(item.name, item.name)}:</b> {html.escape(item.text)}{ends}"
    )


class ChecklistPanel(QFrame):
    """The checklist of one bag for a thaw or an infusion; hidden for other steps."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("Checklist")
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.items = QLabel()
        self.items.setObjectName("ChecklistItems")
        self.items.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setObjectName("ChecklistWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {RED}; font-weight: 700;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.items)
        layout.addWidget(self.warning)
        self.hide()

    def show_step(self, step: Step | None, unit: str | None) -> None:
        """Work the checklist out again for ``step`` of ``unit`` (a service read)."""
        if unit is None or step not in (Step.THAW, Step.INFUSION):
            self.hide()
            return
        from cart_chain.services.checklist import infusion_checklist, thaw_outlook

        try:
            if step is Step.THAW:
                outlook = thaw_outlook(self.session.db, unit)
                items, warnings = outlook.items, outlook.warnings
                heading = "<b>Before thawing: what infusion will still need</b>"
                warning = (
                    "Infusion could not start in time after a thaw now: " + "; ".join(warnings)
                    if warnings
                    else ""
                )
            else:
                checklist = infusion_checklist(self.session.db, unit)
                items = checklist.items
                heading = "<b>Infusion checklist</b>"
                warning = (
                    ""
                    if checklist.ready
                    else "Infusion will be refused while an item marked ✗ is open."
                )
                if checklist.warnings:
                    heading += "<br>Product warnings: " + html.escape("; ".join(checklist.warnings))
        except Exception as exc:  # the service judges the record itself when it is signed
            log.warning("could not work out the checklist: %s", type(exc).__name__)
            self.heading.setText("<b>The checklist could not be worked out.</b>")
            self.items.setText(html.escape(describe(exc)))
            self.warning.setText("")
            self.warning.hide()
            self.show()
            return
        self.heading.setText(heading)
        self.items.setText("<br>".join(item_html(i) for i in items))
        self.warning.setText(warning)
        self.warning.setVisible(bool(warning))
        self.show()
