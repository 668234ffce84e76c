"""The main window says when a witness missed a checkpoint (the record itself is stored)."""

from __future__ import annotations

from pathlib import Path

from cart_chain.services import site_key, witness_admin
from cart_chain.ui.main_window import MainWindow
from tests.helpers import creds
from tests.ui.helpers import make_session


def test_status_bar_shows_an_unreachable_witness(qtbot, opened, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    usb = tmp_path / "usb"
    usb.mkdir()
    witness_admin.add_folder(opened.db, creds("admin"), usb)
    window = MainWindow(make_session(opened, "lena"))
    qtbot.addWidget(window)
    window.show()
    usb.rmdir()  # the stick was pulled
    made = site_key.make_checkpoint(opened.db, creds("lena"))
    assert made.seq
    qtbot.waitUntil(lambda: "not reachable" in window.statusBar().currentMessage())
    assert window.statusBar().currentMessage().startswith("Witness: witness 1 (folder ")
    window.close()
    usb.mkdir()
    site_key.make_checkpoint(opened.db, creds("lena"))  # a closed window no longer listens
