"""What the GUI shows: a COI's [*] check character in a window title, roles by name."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from cart_chain.domain.roles import Role, role_name
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.titles import set_title
from tests.ui.helpers import make_session


def shown_title(qtbot, widget: QWidget) -> str:  # type: ignore[no-untyped-def]
    widget.show()
    qtbot.waitExposed(widget)
    handle = widget.windowHandle()
    assert handle is not None
    return handle.title()  # the title as the window system gets it, placeholder applied


def test_check_character_star_shows_in_the_title(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    set_title(widget, "Case W1234 26 123456 00 [*] · Ann")
    assert shown_title(qtbot, widget) == "Case W1234 26 123456 00 [*] · Ann"


def test_main_window_case_title_keeps_the_star(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, "lena"))
    qtbot.addWidget(window)
    window._title("Case W1234 26 123456 00 [*] · Ann")
    assert "00 [*] · Ann" in shown_title(qtbot, window)


def test_roles_are_shown_by_name(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    assert {role_name(r) for r in Role} == {
        "Administrator",
        "Apheresis",
        "Courier",
        "Cell lab",
        "QA",
        "Infusion",
    }
    window = MainWindow(make_session(opened, "lena"))
    qtbot.addWidget(window)
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert any("Cell lab" in t for t in texts) and not any("cell_lab" in t for t in texts)
    assert window.session.describe_user() == "Lena Labtech (lena, Cell lab)"
