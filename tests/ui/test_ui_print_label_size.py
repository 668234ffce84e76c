"""The print-label dialog grows to the rows it shows and fits a 1280x720 screen.

With a fixed minimum width (which replaces the layout's own minimum) it stayed
about 850 px wide when the PDF file and reprint reason rows appeared: the form
was drawn over the preview and its rows into each other (seen under Xvfb).
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget

from cart_chain.labels.printing import print_label
from cart_chain.services.case_detail import show_case
from cart_chain.ui.print_label import PDF_CHOICE, PrintLabelDialog
from tests.helpers import creds, enrol, unit_of, walk
from tests.ui.helpers import make_session


def _in(dialog: QWidget, w: QWidget) -> QRect:
    return QRect(w.mapTo(dialog, w.rect().topLeft()), w.size())


def test_pdf_and_reprint_rows_and_an_error_widen_and_lengthen_the_dialog(
    qtbot, opened, themed
) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Rita Reprint")
    walk(opened.db, unit_of(coi), 3)
    print_label(opened.db, unit_of(coi), "bag", creds("lena"))  # a bag label exists
    dialog = PrintLabelDialog(
        make_session(opened, "lena"), show_case(opened.db, coi), unit_of(coi), kind="transport"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.reason.isVisibleTo(dialog)  # no transport label yet: a first print
    opened_at = dialog.size()
    dialog.destination.setCurrentIndex(dialog.destination.findText(PDF_CHOICE))
    dialog.kind.setCurrentIndex(dialog.kind.findData("bag"))  # printed before: a reprint
    dialog.print_button.click()  # no reason typed: refused, the error row is shown
    assert dialog.reason.isVisibleTo(dialog) and dialog.pdf_path.isVisibleTo(dialog)
    assert dialog.error.isVisibleTo(dialog) and "reason" in dialog.error.text()

    def fitted() -> bool:
        need = dialog.minimumSizeHint()
        return dialog.width() >= need.width() and dialog.height() >= need.height()

    qtbot.waitUntil(fitted, timeout=2000)
    form = dialog.form
    preview = _in(dialog, dialog.preview)
    rows = [dialog.kind, dialog.destination, dialog.pdf_path, dialog.reason]
    for field in rows:
        label = form.labelForField(field)
        assert label is not None and _in(dialog, label).left() > preview.right()
    for upper, lower in pairwise(rows):
        assert _in(dialog, upper).bottom() < _in(dialog, lower).top()  # rows apart
    assert _in(dialog, dialog.signature).top() > _in(dialog, dialog.reason).bottom()
    assert _in(dialog, dialog.error).top() > preview.bottom()
    assert _in(dialog, dialog.print_button).bottom() < dialog.height()
    assert dialog.height() > opened_at.height()
    assert dialog.height() + 40 <= 720  # with a window frame, on a 1280x720 screen
