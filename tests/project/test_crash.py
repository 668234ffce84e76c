"""An uncaught bug or a hard crash leaves a crash log, without patient data; the GUI says so."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SECRET = "Jane Q Patient MRN 0049281"


def _run(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    code = textwrap.dedent(
        """
        from cart_chain import crash
        from cart_chain.logs import setup_logging
        setup_logging()
        path = crash.install("a test process")
        print(path)
        """
    ) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    return done, Path(done.stdout.splitlines()[0])


def test_an_uncaught_error_is_written_to_the_crash_log_without_its_message(
    tmp_path: Path,
) -> None:
    done, path = _run(
        tmp_path,
        f"""
        def record_infusion():
            raise RuntimeError({SECRET!r})
        record_infusion()
        """,
    )
    assert done.returncode == 1
    assert path.is_relative_to(tmp_path / "state")
    text = path.read_text(encoding="utf-8")
    assert "uncaught error in a test process" in text
    assert "builtins.RuntimeError" in text
    assert "record_infusion" in text  # the frames, so the bug can be found
    assert "Jane" not in text and "0049281" not in text
    log = (path.parent / "cart-chain.log").read_text(encoding="utf-8")
    assert "uncaught error in a test process" in log and "Jane" not in log


def test_an_error_in_a_thread_is_written_too(tmp_path: Path) -> None:
    done, path = _run(
        tmp_path,
        f"""
        import threading
        def work():
            raise ValueError({SECRET!r})
        t = threading.Thread(target=work, name="exporter")
        t.start(); t.join()
        """,
    )
    assert done.returncode == 0
    text = path.read_text(encoding="utf-8")
    assert "thread exporter" in text and "builtins.ValueError" in text
    assert "Jane" not in text


@pytest.mark.skipif(sys.platform == "win32", reason="SIGSEGV via ctypes is POSIX-specific")
def test_a_hard_crash_leaves_every_threads_stack_in_the_crash_log(tmp_path: Path) -> None:
    done, path = _run(
        tmp_path,
        """
        import ctypes
        def print_label_natively():
            ctypes.string_at(0)
        print_label_natively()
        """,
    )
    assert done.returncode != 0
    text = path.read_text(encoding="utf-8")
    assert "Segmentation fault" in text
    assert "print_label_natively" in text


def test_the_gui_shows_where_the_log_is_and_what_was_not_saved(
    qtbot: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from cart_chain import crash
    from cart_chain.ui.crash_dialog import CrashNotifier

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(crash, "_file", None)
    notifier = CrashNotifier()
    path = crash.install("the desktop app", notifier.report)

    def slot() -> None:
        raise KeyError(SECRET)

    # A slot that raises: PySide6 hands the exception to sys.excepthook and goes on.
    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: bool(notifier.shown), timeout=5000)  # type: ignore[attr-defined]
    box = notifier.shown[0]
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "not saved" in box.text() and "Every record saved before it is safe" in box.text()
    assert str(path) in box.text() and "KeyError" in box.text()
    assert "Jane" not in box.text()
    assert "builtins.KeyError" in path.read_text(encoding="utf-8")
    box.close()
    QApplication.processEvents()
