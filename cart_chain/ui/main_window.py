"""The main window: toolbar, home (case list) and case view, and the dialogs they open.

The window title always says where the user is and who is logged in, so a
glance at a shared workstation tells whose session it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.roles import role_name
from cart_chain.ui import prefs, theme
from cart_chain.ui.case_view import CaseView
from cart_chain.ui.errors import show_error
from cart_chain.ui.home import HomePage
from cart_chain.ui.titles import set_title
from cart_chain.ui.witness_notice import WitnessNotices

if TYPE_CHECKING:
    from cart_chain.services.views import CaseDetail, EventView
    from cart_chain.ui.session import Session


class MainWindow(QMainWindow):
    logout_requested = Signal()
    lock_requested = Signal()
    inactivity_changed = Signal(int)

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.session = session
        self.setWindowIcon(theme.app_icon())
        self.dialogs: list[QWidget] = []  # open dialogs, kept referenced

        self.home = HomePage(session)
        self.case_view = CaseView(session)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.home)
        self.stack.addWidget(self.case_view)
        # Locked accounts (someone guessed passwords): shown to administrators and QA.
        self.alerts = QLabel()
        self.alerts.setObjectName("AlertBanner")
        self.alerts.setWordWrap(True)
        self.alerts.setStyleSheet(
            f"#AlertBanner {{ background: {theme.WARN_BG}; padding: 8px; font-weight: bold; }}"
        )
        self.alerts.hide()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.alerts)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        bar = QToolBar("Main")
        bar.setObjectName("MainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)

        def action(text: str, shortcut: str | QKeySequence.StandardKey, slot: Any) -> QAction:
            a = QAction(f"{text}  {QKeySequence(shortcut).toString()}", self)
            a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(f"{text} ({QKeySequence(shortcut).toString()})")
            a.triggered.connect(slot)
            bar.addAction(a)
            return a

        self.act_home = action("Cases", "Ctrl+H", self.go_home)
        self.act_record = action("Record step", "F2", lambda: self.record_step())
        self.act_export = action("Export", "Ctrl+E", lambda: self.export())
        self.act_admin = action("Administration", "Ctrl+Shift+A", self.administration)
        self.act_lock = action("Lock", "Ctrl+L", self.lock_requested)
        self.act_logout = action("Log out", "Ctrl+Shift+Q", self.logout_requested)
        self.act_about = action("About", "F1", self.about)
        self.act_search = QAction("Search", self)
        self.act_search.setShortcut(QKeySequence("Ctrl+F"))
        self.act_search.triggered.connect(self._focus_search)
        self.addAction(self.act_search)
        self.act_back = QAction("Back", self)
        self.act_back.setShortcuts([QKeySequence("Esc"), QKeySequence("Alt+Left")])
        self.act_back.triggered.connect(self._back)
        self.case_view.addAction(self.act_back)
        self.act_admin.setVisible(session.is_admin)
        self.act_record.setEnabled(not session.is_admin)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        who = QLabel(f"{session.user.full_name} · {role_name(session.user.role)}  ")
        who.setObjectName("Who")
        bar.addWidget(who)

        self.statusBar().showMessage(
            f"{session.opened.where} · facility {session.opened.facility} · "
            f"locks after {session.opened.inactivity_minutes} min without activity"
        )

        # A witness that missed a checkpoint (unplugged, refused) is said, not only logged.
        self.witness_notices = WitnessNotices()
        self.witness_notices.problem.connect(lambda text: self.statusBar().showMessage(text))
        self.destroyed.connect(self.witness_notices.detach)

        self.home.open_case.connect(self.open_case)
        self.case_view.back.connect(self.go_home)
        self.case_view.record_step.connect(lambda coi, unit: self.record_step(coi))
        self.case_view.correct_event.connect(self.correct)
        self.case_view.correct_case.connect(lambda case: self.correct(case, None))
        self.case_view.correct_link.connect(
            lambda case, seq: self.correct(case, None, link_seq=seq)
        )
        self.case_view.print_label.connect(lambda case, unit: self.print_label(case, unit, None))
        self.case_view.export_report.connect(lambda coi: self.export(coi))
        self.case_view.bedside_check.connect(self.bedside_check)
        self.case_view.patient_event.connect(self.patient_event)
        self.case_view.review_deviation.connect(self.review_deviation)
        self.case_view.override_gate.connect(self.override_gate)
        session.changed.connect(self.refresh)

        geometry = prefs.MAIN_GEOMETRY.get()
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode()))
        else:
            self.resize(1280, 800)
        self.go_home()
        self.load_alerts()

    def about(self) -> QWidget:
        from cart_chain.ui.about import show_about

        box = show_about(self, self.session.opened)
        self.dialogs.append(box)
        return box

    # -- navigation -------------------------------------------------------------------

    def _title(self, where: str) -> None:
        set_title(
            self,
            f"{where} — cart-chain {self.session.opened.facility} — {self.session.user.full_name}",
        )

    def go_home(self) -> None:
        self.stack.setCurrentWidget(self.home)
        self._title("Cases")
        self.home.focus_search()

    def _back(self) -> None:
        if self.stack.currentWidget() is self.case_view:
            self.go_home()

    def _focus_search(self) -> None:
        self.go_home()

    def open_case(self, coi: str) -> None:
        if not self.session.still_allowed():
            return
        try:
            detail = self.case_view.show_case(coi)
        except Exception as exc:
            show_error(self, exc, "open the case")
            return
        if len(coi) == 19:  # a unit id was scanned: show that bag
            self.case_view.select_unit(coi)
        self.stack.setCurrentWidget(self.case_view)
        self._title(f"Case {detail.grouped} · {detail.patient_name}")
        self.case_view.record_button.setFocus()

    # -- scans routed here (`scan_router`) --------------------------------------------

    def take_scan(self, text: str) -> None:
        """A scan anywhere in this window opens the scanned bag's case (or says why not)."""
        if not self.home.open_scanned(text) and self.stack.currentWidget() is not self.home:
            self.go_home()  # the refusal is shown above the case list

    def scan_refused(self, reason: str) -> None:
        self.statusBar().showMessage(reason, 10_000)

    def load_alerts(self) -> None:
        """Open lockout alerts, for administrators and QA only."""
        from cart_chain.services.accounts import open_alerts

        if self.session.user.role not in ("administrator", "qa"):
            return
        try:
            alerts = open_alerts(self.session.db)
        except Exception:  # the banner is extra information; the lists report errors
            return
        self.alerts.setText(
            "Alert: "
            + "; ".join(a.text for a in alerts)
            + ". An administrator clears an alert by unlocking the account."
        )
        self.alerts.setVisible(bool(alerts))

    def refresh(self) -> None:
        """Records changed: reload what is on screen."""
        self.load_alerts()
        self.home.reload()
        if self.case_view.detail is not None and self.stack.currentWidget() is self.case_view:
            try:
                self.case_view.show_case(self.case_view.detail.coi)
            except Exception as exc:
                show_error(self, exc, "reload the case")

    def after_unlock(self) -> None:
        """The next signature asks for user name and password again, also in dialogs
        that were open when the session locked."""
        from cart_chain.ui.signature import SignatureBlock

        self.session.unlocked()
        for block in self.case_view.findChildren(SignatureBlock):
            block.refresh()
        for dialog in self.dialogs:
            for block in dialog.findChildren(SignatureBlock):
                block.refresh()

    # -- dialogs --------------------------------------------------------------------------

    def _keep(self, dialog: QDialog) -> QDialog:
        """Hold a reference to an open dialog until it finishes.

        Forgotten on ``finished`` (a normal signal), never on ``destroyed``: a Python
        slot running while Qt tears objects down is how PySide apps crash.
        """
        self.dialogs.append(dialog)
        dialog.finished.connect(self._forget_finished)
        return dialog

    def _forget_finished(self) -> None:
        done = [d for d in self.dialogs if not d.isVisible()]
        self.dialogs = [d for d in self.dialogs if d.isVisible()]
        for d in done:
            d.deleteLater()  # Qt deletes it from the event loop, not Python's GC

    def current_coi(self) -> str | None:
        if self.stack.currentWidget() is self.case_view and self.case_view.detail is not None:
            return self.case_view.detail.coi
        return None

    def record_step(self, coi: str | None = None) -> Any:
        from cart_chain.ui.record_step import RecordStepDialog

        if not self.session.still_allowed():
            return None
        if self.session.is_admin:
            return None
        coi = coi or self.current_coi()
        try:
            dialog = RecordStepDialog(self.session, coi, self)
        except Exception as exc:
            show_error(self, exc, "record a step")
            return None
        self._keep(dialog)
        dialog.label_offered.connect(self._offer_label)
        dialog.recorded.connect(lambda receipt, unit, step: self._recorded(unit))
        dialog.open()
        dialog.scan.setFocus()
        return dialog

    def _recorded(self, unit: str) -> None:
        if self.stack.currentWidget() is self.case_view:
            self.case_view.select_unit(unit)
        else:
            self.open_case(unit)

    def _offer_label(self, unit: str, step: str) -> None:
        """After a recorded step: the label the next holder needs, if any
        (`services.labels.label_offer`); none after infusion."""
        from cart_chain.services.case_detail import show_case
        from cart_chain.services.labels import label_offer

        try:
            offer = label_offer(self.session.db, unit, step)
            if offer is None:
                return
            case = show_case(self.session.db, unit)
        except Exception as exc:
            show_error(self, exc, "prepare the label")
            return
        self.print_label(case, unit, step, offer.kind)

    def print_label(
        self, case: CaseDetail, unit: str, step: str | None, kind: str | None = None
    ) -> Any:
        from cart_chain.ui.print_label import PrintLabelDialog

        if not self.session.still_allowed():
            return None
        if not unit:
            return None
        try:
            dialog = PrintLabelDialog(self.session, case, unit, step, self, kind=kind)
        except Exception as exc:
            show_error(self, exc, "prepare the label")
            return None
        self._keep(dialog)
        self.statusBar().showMessage("Label ready to print for the next holder.", 10_000)
        dialog.printed.connect(
            lambda where: self.statusBar().showMessage(f"Label printed to {where}.", 10_000)
        )
        dialog.open()
        return dialog

    def correct(
        self, case: CaseDetail, event: EventView | None, link_seq: int | None = None
    ) -> Any:
        from cart_chain.ui.correction import CorrectionDialog

        if not self.session.still_allowed():
            return None
        dialog = CorrectionDialog(self.session, case, event, self, link_seq=link_seq)
        self._keep(dialog)
        dialog.open()
        return dialog

    def review_deviation(self, deviation: Any) -> Any:
        from cart_chain.ui.deviation import DeviationReviewDialog

        if not self.session.still_allowed():
            return None
        dialog = DeviationReviewDialog(self.session, deviation, self)
        self._keep(dialog)
        dialog.open()
        return dialog

    def override_gate(self, unit: str) -> Any:
        from cart_chain.ui.deviation import GateOverrideDialog

        if not self.session.still_allowed():
            return None
        dialog = GateOverrideDialog(self.session, unit, self)
        self._keep(dialog)
        dialog.open()
        return dialog

    def export(self, coi: str | None = None) -> Any:
        from cart_chain.ui.export import ExportDialog

        if not self.session.still_allowed():
            return None
        dialog = ExportDialog(self.session, coi or self.current_coi(), self)
        self._keep(dialog)
        dialog.open()
        return dialog

    def bedside_check(self, case: CaseDetail) -> Any:
        from cart_chain.ui.bedside import BedsideCheckDialog

        if not self.session.still_allowed():
            return None
        dialog = BedsideCheckDialog(self.session, case, self)
        self._keep(dialog)
        dialog.open()
        dialog.scan.setFocus()
        return dialog

    def patient_event(self, case: CaseDetail) -> Any:
        from cart_chain.ui.bedside import PatientEventDialog

        if not self.session.still_allowed():
            return None
        dialog = PatientEventDialog(self.session, case, self)
        self._keep(dialog)
        dialog.open()
        return dialog

    def administration(self) -> Any:
        from cart_chain.ui.admin import AdminDialog

        if not self.session.still_allowed():
            return None
        if not self.session.is_admin:
            return None
        dialog = AdminDialog(self.session, self)
        self._keep(dialog)
        dialog.inactivity_changed.connect(self.inactivity_changed)
        dialog.open()
        return dialog

    def closeEvent(self, event: QCloseEvent) -> None:
        self.witness_notices.detach()
        prefs.MAIN_GEOMETRY.set(bytes(self.saveGeometry().toBase64().data()).decode())
        super().closeEvent(event)
