"""A crash log that survives what the ordinary log cannot: a hard crash or an uncaught bug.

``faulthandler`` writes the Python stack of every thread when the process dies of
a signal (a segfault in Qt or a driver, an abort), straight to a file opened at
start-up, because at that point no Python code (and no logging) can run any more.
``sys.excepthook`` and ``threading.excepthook`` write an uncaught exception's
frames there too, through the same redaction as the log file (class, error code,
frames; never a message that could carry a patient's data).

Nothing is lost by a crash: every service call is one database transaction, so the
action under way is rolled back whole, and every record committed before it stays.
The crash report says so (`NOT_SAVED`).
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from cart_chain.logs import log_path, safe_traceback

#: What a crash leaves unsaved, in words a nurse can act on.
NOT_SAVED = (
    "The action you were doing when it happened was not saved: each record is saved "
    "whole or not at all. Every record saved before it is safe. Check the case and "
    "record the step again."
)

OnCrash = Callable[[BaseException, Path], None]
log = logging.getLogger("cart_chain.crash")
_file: IO[str] | None = None


def crash_log_path() -> Path:
    return log_path().with_name("crash.log")


def _open() -> IO[str]:
    global _file
    if _file is None or _file.closed:
        path = crash_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        _file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - kept open
    return _file


def write_report(exc: BaseException, where: str) -> Path:
    """Append one uncaught exception's redacted frames to the crash log; return its path."""
    out = _open()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out.write(f"\n=== {stamp} uncaught error in {where}\n{safe_traceback(exc)}\n")
    out.flush()
    return crash_log_path()


def install(where: str, on_crash: OnCrash | None = None) -> Path:
    """Enable faulthandler and the exception hooks for this process; return the log path.

    ``on_crash`` (the GUI's crash dialog) is called after the report is written; an
    error inside it is written too and never hides the first one.
    """
    faulthandler.enable(file=_open(), all_threads=True)
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, tb)
            return
        path = write_report(exc, where)
        log.error("uncaught error in %s", where, exc_info=(kind, exc, tb))
        if on_crash is not None:
            try:
                on_crash(exc, path)
            except Exception as inner:  # the dialog itself failed: still on record
                write_report(inner, f"{where} (crash dialog)")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            thread = f"{where}, thread {getattr(args.thread, 'name', '?')}"
            write_report(args.exc_value, thread)
            log.error("uncaught error in %s", thread, exc_info=args.exc_value)

    sys.excepthook = hook
    threading.excepthook = thread_hook
    return crash_log_path()
