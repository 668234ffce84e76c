"""No garbage collection on a worker thread once the app is made.

A cyclic collection that ran on a list-reading worker thread destroyed Qt
wrappers there and crashed the app with SIGSEGV (the bundle's self-test, 3 runs
in 4). With `main_thread_gc` installed, garbage made on a worker is collected by
the GUI thread's timer, with the interpreter's own thresholds.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from cart_chain.ui import main_thread_gc


@pytest.fixture
def installed(qapp: QApplication) -> Iterator[main_thread_gc.MainThreadGc]:
    was = gc.isenabled()
    collector = main_thread_gc.install(qapp)
    try:
        yield collector
    finally:
        collector.timer.stop()
        collector.setParent(None)  # gone from the app at once, not at the next event loop
        if was:
            gc.enable()


def _make_cycles(n: int) -> None:
    for _ in range(n):
        a: list[object] = []
        a.append(a)  # a cycle only the collector frees


def test_garbage_made_on_a_worker_is_collected_on_the_gui_thread(installed, qtbot) -> None:  # type: ignore[no-untyped-def]
    threads: list[str] = []

    def seen(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(seen)
    try:
        worker = threading.Thread(target=_make_cycles, args=(50_000,), name="list-reader")
        worker.start()
        worker.join()
        assert "list-reader" not in threads  # automatic collection would have run there
        qtbot.waitUntil(lambda: bool(threads), timeout=5_000)  # the GUI thread's timer
    finally:
        gc.callbacks.remove(seen)
    assert set(threads) == {threading.main_thread().name}


def test_installed_once_per_app(installed, qapp) -> None:  # type: ignore[no-untyped-def]
    assert main_thread_gc.install(qapp) is installed
    assert not gc.isenabled()
