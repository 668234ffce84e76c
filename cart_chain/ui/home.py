"""Home: search or scan, and the list of cases.

The list and the work queue are read off the GUI thread (`ui.background`) and
shown when read, so a slow database never freezes the window; a failed read says
so above the list and keeps what is shown. Typing filters the list (after a short
pause, through the service); a scanned or typed code followed by Enter opens that
case directly. A scan made anywhere in the main window - the search field, a
selected row of the table, the case view - is routed here by the scan router
(`open_scanned`) and opens the case of the bag it names, never the selected row's:
a label's QR or Data Matrix payload (``CC1...``), a unit id or COI, a DIN, checked
by the scanning service (an unknown or voided label is refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import IdentifierError
from cart_chain.domain.labelcode import parse_scan
from cart_chain.ui import prefs
from cart_chain.ui.background import Runner, run_in_pool
from cart_chain.ui.enrol import EnrolDialog, empty_list_text, may_enrol
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.models.cases_model import COI, NAME, STEPS, CasesModel, SummaryRole
from cart_chain.ui.search_keys import SearchKeys
from cart_chain.ui.work_queue_panel import WorkQueuePanel

#: How often the list and the work queue are read again (cases enrolled on other
#: workstations, clocks running down). Each refresh is one short read per table.
REFRESH_MS = 30_000

if TYPE_CHECKING:
    from cart_chain.ui.session import Session


def make_model(session: Session, run: Runner = run_in_pool) -> CasesModel:
    """The case list over the case-list service, read off the GUI thread by default."""
    from cart_chain.services import case_list

    db = session.db
    return CasesModel(
        fetch=lambda search, key, desc, after, limit: case_list.list_case_page(
            db, search, key, desc, after, limit
        ),
        count=lambda search: case_list.count_cases(db, search),
        alerts=case_list.alerts,
        run=run,
    )


def make_queue(session: Session, run: Runner = run_in_pool) -> WorkQueuePanel:
    """The work queue over its service, read off the GUI thread by default."""
    from cart_chain.services import work_queue

    db = session.db
    return WorkQueuePanel(lambda: work_queue.work_queue(db), run=run)


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
        self.model.setParent(self)
        self.model.loaded.connect(self._list_loaded)
        self.model.failed.connect(self._read_failed)
        #: (request, COI): select that case again once that request's rows are shown.
        self._keep: tuple[int, str] | None = None
        #: The request whose rows open the case when exactly one matches (Enter).
        self._open_single: int | None = None
        self._read_problem = False  # the message shown is a failed read's
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
        # Enrolment (`ui.enrol`): the button, and what an empty list says to do first.
        self.new_case = QPushButton("New case… (Ctrl+N)")
        self.new_case.setObjectName("NewCase")
        self.new_case.setShortcut(QKeySequence("Ctrl+N"))
        self.new_case.setAutoDefault(False)
        self.new_case.setEnabled(may_enrol(session))
        self.new_case.clicked.connect(self.enrol)
        self.empty = QLabel(empty_list_text(session))
        self.empty.setObjectName("EmptyList")
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.enrol_dialog: EnrolDialog | None = None

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        top.addWidget(self.new_case)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.queue = make_queue(session)
        self.queue.open_case.connect(self.open_case)
        self.queue.model.failed.connect(lambda exc: self._read_failed(exc, "work queue"))
        layout.addWidget(self.queue)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self.refresh_timer.start()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._apply_search)
        self.search.textEdited.connect(lambda _: self._debounce.start())
        self.search.returnPressed.connect(self._enter)
        self.search.installEventFilter(SearchKeys(self.into_list, self.search))
        self.table.activated.connect(self._activated)
        self.reload()

    def reload(self) -> None:
        """Read the list and the queue again (off the GUI thread; shown when read)."""
        self.model.reload()
        self.queue.reload()

    def refresh(self) -> None:
        """The timer's refresh: read the list and the queue again, keeping the selected
        case selected (by its COI, never by its row: rows move when cases arrive).
        While a search is pending (it reads anyway) only the queue's times are re-drawn;
        a read still under way is not asked for again (a slow database is not piled on)."""
        if self._debounce.isActive():
            self.queue.model.rerender()
            return
        if not self.model.loading:
            current = self.model.data(self.table.currentIndex(), SummaryRole)
            self.model.refresh()
            if current is not None:
                self._keep = (self.model.request, current.coi)
                if not self.model.loading:  # read at once (a synchronous runner)
                    self._list_loaded(self.model.request)
        if not self.queue.model.loading:
            self.queue.reload()
        else:
            self.queue.model.rerender()

    def _list_loaded(self, request: int) -> None:
        """Rows were shown: the count, the selection kept by a refresh, and the single
        match Enter asked to open, each for the request it was asked with."""
        if self._read_problem:
            self._read_problem = False
            self.message.hide()
        self._update_count()
        if self._keep is not None and self._keep[0] == request:
            coi = self._keep[1]
            self._keep = None
            rows = [i for i, s in enumerate(self.model.rows) if s.coi == coi]
            if rows:
                self.table.selectRow(rows[0])
        if self._open_single == request:
            self._open_single = None
            if self.model.total == 1 and self.model.rowCount() == 1:
                self._activated(self.model.index(0, 0))

    def _read_failed(self, exc: Exception, what: str = "list") -> None:
        """A read of the list or the queue failed in its worker: say so, keep what is
        shown; the timer tries again. A bug also gets the error dialog (and the log)."""
        kind = classify(exc)
        if kind == "bug":
            show_error(self, exc, f"read the {what}")
            problem = "an unexpected error (details in the log file)"
        else:
            problem = describe(exc) if kind == "rule" else "the database did not answer"
        self._read_problem = True
        self.message.setText(f"The {what} could not be read: {problem}.")
        self.message.show()

    def _update_count(self) -> None:
        n = self.model.total
        self.count.setText(f"{n:,} case{'s' if n != 1 else ''}")
        self.empty.setVisible(n == 0 and not self.model.search.strip())

    def enrol(self) -> EnrolDialog | None:
        """Open the New case form; the new case opens once it is signed."""
        if not self.new_case.isEnabled() or not self.session.still_allowed():
            return None
        self.enrol_dialog = EnrolDialog(self.session, self)
        self.enrol_dialog.enrolled.connect(self.open_case)
        self.enrol_dialog.open()
        return self.enrol_dialog

    def _apply_search(self) -> None:
        self.message.hide()
        self._read_problem = False
        self._open_single = None  # a new search: an earlier Enter's match is not this one
        self.model.set_search(self.search.text())

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
            return self.search_and_open_single()
        del scanned  # a code: the scanning service checks it against the records
        if self.open_scanned(text):
            self.search.clear()
        return None

    def open_scanned(self, text: str) -> bool:
        """Open the case of the bag ``text`` names (a scan, or a code typed + Enter),
        through the scanning service; True when opened, else the refusal is shown."""
        from cart_chain.services.scanning import scan

        try:
            found = scan(self.session.db, text, source=prefs.scan_source())
        except Exception as exc:
            problem = describe(exc) if classify(exc) == "rule" else "the scan could not be read"
            self.message.setText(f"Scan refused: {problem}. Nothing was opened.")
            self.message.show()
            return False
        self.message.hide()
        self.open_case.emit(found.unit.unit if found.unit is not None else found.coi)
        return True

    def _activated(self, index: QModelIndex) -> None:
        summary = self.model.data(index, SummaryRole)
        if summary is not None:
            self.open_case.emit(summary.coi)

    def search_and_open_single(self) -> None:
        """Enter on a search: the list at once, and the case when exactly one matches
        (once the search's rows are read, if they are still being read)."""
        self._apply_search()
        self._open_single = self.model.request
        if not self.model.loading:
            self._list_loaded(self.model.request)

    def into_list(self) -> None:
        """Down from the search field: the list, on its first row (or where it was)."""
        if self.model.rowCount() == 0:
            return
        if not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, 0))
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
