"""A confirmation whose default answer is Cancel.

An administrator's change to a user (role, deactivation, unlock) is one click
from the wrong row; the question names the user and the change, and Enter - the
key that ends a scan or a typed password - answers Cancel, so only a deliberate
click on the action (or Alt+its letter) goes ahead.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask ``text``; True only when the ``action`` button was chosen (Cancel is default)."""
    box = QMessageBox(parent)
    box.setObjectName("Confirm")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    go = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    go.setAutoDefault(False)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is go
