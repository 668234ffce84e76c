"""Python's cyclic garbage collector runs on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is
crossed. With list and queue reads on worker threads (`ui.background`), that is
often a worker, and collecting a cycle that holds a Qt wrapper there destroys a
GUI object from the wrong thread: the app crashed with SIGSEGV "Garbage-
collecting" in a worker shortly after a window closed (seen in the bundle's
self-test, 3 runs out of 4). As qutebrowser does, automatic collection is turned
off and a GUI-thread timer collects with the interpreter's own thresholds.
Reference counting, which frees almost everything, is not affected.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the collector's counts.
INTERVAL_MS = 500


class MainThreadGc(QObject):
    """Turns automatic collection off; `check` collects what the thresholds call for."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> int:
        """Collect the generations whose counts passed their thresholds; objects freed."""
        count0, count1, count2 = gc.get_count()
        freed = 0
        if count0 > self.threshold[0]:
            freed = gc.collect(0)
            if count1 > self.threshold[1]:
                freed += gc.collect(1)
                if count2 > self.threshold[2]:
                    freed += gc.collect(2)
        return freed


def install(app: QObject) -> MainThreadGc:
    """Once per application (a second call finds the first)."""
    found = app.findChild(MainThreadGc)
    return found if isinstance(found, MainThreadGc) else MainThreadGc(app)
