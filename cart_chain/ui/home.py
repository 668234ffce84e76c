"""Home: search or scan, and the list of cases.

Typing filters the list (after a short pause, through the service); a scanned
or typed COI or unit id followed by Enter opens that case directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import IdentifierError
from cart_chain.domain.labelcode import parse_scan
from cart_chain.ui import prefs
from cart_chain.ui.errors import error_label
from cart_chain.ui.models.cases_model import COI, NAME, STEPS, CasesModel, SummaryRole

if TYPE_CHECKING:
    from cart_chain.ui.session import Session


def make_model(session: Session) -> CasesModel:
    from cart_chain.services import case_list

    db = session.db
    return CasesModel(
        fetch=lambda search, key, desc, after, limit: case_list.list_case_page(
            db, search, key, desc, after, limit
        ),
        count=lambda search: case_list.count_cases(db, search),
        alerts=case_list.alerts,
    )


class HomePage(QWidget):
    """Search field + lazily loaded, sortable case table."""

    open_case = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.search = QLineEdit()
        self.search.setObjectName("Scan")
        self.search.setPlaceholderText(
            "Search by COI, MRN, name or product — or scan a bag to open its case"
        )
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("Subtle")
        self.model = make_model(session)
        self.table = QTableView()
        self.table.setObjectName("CasesTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(38)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # No column sorted at first: the list starts newest first (the service's order).
        # The indicator is cleared before sorting is enabled, which sorts at once.
        header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        for col, width in ((COI, 235), (1, 110), (NAME, 170), (3, 195), (STEPS, 195), (5, 125)):
            self.table.setColumnWidth(col, width)
        self.table.verticalHeader().setDefaultSectionSize(42)
        self.message = error_label()

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._apply_search)
        self.search.textEdited.connect(lambda _: self._debounce.start())
        self.search.returnPressed.connect(self._enter)
        self.table.activated.connect(self._activated)
        self.reload()

    def reload(self) -> None:
        self.model.reload()
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.total
        self.count.setText(f"{n:,} case{'s' if n != 1 else ''}")

    def _apply_search(self) -> None:
        self.message.hide()
        self.model.set_search(self.search.text())
        self._update_count()

    def _enter(self) -> None:
        """Enter: an identifier or label code opens its case (read with this workstation's
        scanner setting, as every scan field is); other text searches at once."""
        self._debounce.stop()
        text = self.search.text().strip()
        if not text:
            return self._apply_search()
        try:
            scanned = parse_scan(text, source=prefs.scan_source())
        except IdentifierError as exc:
            if any(c.isdigit() for c in text) and text.upper().lstrip("&/").startswith("CH"):
                self.message.setText(f"Not a valid identifier: {exc}")
                self.message.show()
                return None
            return self._apply_search()
        self.message.hide()
        self.search.clear()
        self.open_case.emit(scanned.unit.full if scanned.unit else scanned.coi.full)
        return None

    def _activated(self, index: QModelIndex) -> None:
        summary = self.model.data(index, SummaryRole)
        if summary is not None:
            self.open_case.emit(summary.coi)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
