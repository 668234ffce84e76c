"""Window titles that show what they say, check characters included.

Qt reads ``[*]`` in a window title as the placeholder for the "modified" marker
and removes it, so a COI's boxed check character ``*`` (Mod 37-2 value 36,
shown ``[*]``) vanished from the title. Qt shows a literal ``[*]`` for ``[*][*]``
(``QWidget::setWindowTitle``; ``[[*]]`` would show ``[]``, checked offscreen
with Qt 6), so every title built from data goes through `set_title`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

PLACEHOLDER = "[*]"


def escape_title(text: str) -> str:
    """``text`` with each literal ``[*]`` written so Qt shows it, not the marker."""
    return text.replace(PLACEHOLDER, PLACEHOLDER * 2)


def set_title(widget: QWidget, text: str) -> None:
    """Set ``widget``'s window title to show exactly ``text``."""
    widget.setWindowTitle(escape_title(text))
