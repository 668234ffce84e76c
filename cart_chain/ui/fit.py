"""A dialog's step-dependent fields: as tall as they ask, scrolling past the screen.

The record-step dialog shows and hides rows per step. Left at the height of every
row (or of the last step's), it spread its rows apart and put "Sign and save" off
a 1280x800 screen; a thaw (times, condition, two signatures) is taller than such a
screen. So the fields sit in a scroll area sized to them, shrunk to the screen
when they do not fit, while the banner, the bag and the buttons stay in view.
Not `adjustSize`: it caps a window at 2/3 of the screen, which squeezed the rows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFrame, QLayout, QScrollArea, QVBoxLayout, QWidget

#: Room left for the window manager's title bar and border.
WINDOW_FRAME = 40
#: The least height of the scrolling fields on a very small screen.
MIN_SCROLL = 160


def layout_height(dialog: QDialog) -> int:
    """The height ``dialog``'s layout asks at its present width."""
    layout = dialog.layout()
    assert layout is not None
    layout.activate()
    if layout.hasHeightForWidth():
        return layout.totalHeightForWidth(dialog.width())
    return dialog.sizeHint().height()


def keep_on_screen(dialog: QDialog) -> None:
    """A dialog grown past the bottom of its screen moves up (never above the top)."""
    screen = dialog.screen()
    if screen is None:
        return
    room = screen.availableGeometry()
    below = dialog.frameGeometry().bottom() - room.bottom()
    if below > 0:
        dialog.move(dialog.x(), max(room.top(), dialog.y() - below))


class FittedScroll(QScrollArea):
    """The given layouts, one under the other, in a frameless vertical scroll area."""

    def __init__(self, *parts: QLayout) -> None:
        super().__init__()
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        for part in parts:
            body.addLayout(part)
        self.setWidget(self.body)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setAutoFillBackground(False)  # the dialog's own background
        self.body.setAutoFillBackground(False)

    def fit(self, dialog: QDialog) -> None:
        """Resize ``dialog`` to the rows now shown; past the screen, scroll them."""
        layout, inner = dialog.layout(), self.body.layout()
        if layout is None or inner is None:
            return
        inner.activate()  # take in the rows just shown or hidden
        margins = layout.contentsMargins()
        width = dialog.width() - margins.left() - margins.right()  # the viewport's, laid out
        need = self.body.sizeHint().height()
        if inner.hasHeightForWidth():
            need = inner.totalHeightForWidth(width)
        self.setFixedHeight(need)  # not its size hint, taken at another width
        full = layout_height(dialog)
        screen = dialog.screen()
        room = screen.availableGeometry().height() - WINDOW_FRAME if screen else full
        if full > room:  # scroll the fields; the banner, the bag and the buttons stay
            self.setFixedHeight(max(MIN_SCROLL, need - (full - room)))
            full = layout_height(dialog)
        dialog.resize(dialog.width(), full)
        keep_on_screen(dialog)
