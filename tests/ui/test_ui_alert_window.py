"""The stop alert cannot be put out of sight: no close, minimise or maximise button,
kept above the app, and shown again at once if a window manager minimises it anyway
(an application-modal alert minimised would leave the app blocked and blank)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from cart_chain.ui.alarm import stop_alert


def _alert(qtbot, host: QWidget):  # type: ignore[no-untyped-def]
    qtbot.addWidget(host)
    host.show()
    alert = stop_alert(host, "WRONG PATIENT — STOP", "Another patient's bag.", "x", "Put it aside")
    return alert


def test_the_alert_has_no_button_that_hides_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    host = QWidget()
    flags = _alert(qtbot, host).windowFlags()
    for hides in (
        Qt.WindowType.WindowMinimizeButtonHint,
        Qt.WindowType.WindowMaximizeButtonHint,
        Qt.WindowType.WindowCloseButtonHint,
    ):
        assert not flags & hides, hides
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert flags & Qt.WindowType.WindowTitleHint  # the title still says what it is


def test_a_minimised_alert_is_shown_again(qtbot) -> None:  # type: ignore[no-untyped-def]
    host = QWidget()
    alert = _alert(qtbot, host)
    alert.showMinimized()
    QApplication.processEvents()
    assert alert.isVisible() and not alert.isMinimized()
    assert not alert.acknowledged
