"""Witness problems shown in the main window: the custody record was stored, but a
witness could not take its checkpoint (or refused it), and the user must hear so.

`services.witnesses` logs each problem after the write commits; this handler
turns those records into a Qt signal (delivered on the GUI thread whichever
thread wrote), and the window shows the message in its status bar until the next.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from cart_chain.services.witnesses import LOGGER as WITNESS_LOGGER


class WitnessNotices(QObject):
    """Emits ``problem(text)`` for each witness warning while it is attached."""

    problem = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._handler = _Forward(self)
        logging.getLogger(WITNESS_LOGGER).addHandler(self._handler)

    def detach(self) -> None:
        logging.getLogger(WITNESS_LOGGER).removeHandler(self._handler)


class _Forward(logging.Handler):
    def __init__(self, notices: WitnessNotices) -> None:
        super().__init__(logging.WARNING)
        self.notices = notices

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.notices.problem.emit(f"Witness: {record.getMessage()}")
        except RuntimeError:  # the window is gone: stop listening
            logging.getLogger(WITNESS_LOGGER).removeHandler(self)
