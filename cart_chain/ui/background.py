"""Running a service read off the GUI thread, and handing its result back to it.

The case list's pages and count and the work queue are read on a timer and as the
user types or scrolls; on a busy PostgreSQL server or a big SQLite file a read can
take long enough to freeze the window. So the models take a `Runner`: `run_now` (the
call made at once, for unit tests and benchmarks of the model alone) or
`run_in_pool`, which calls the service in a thread pool of its own and calls ``done``
or ``failed`` back on the GUI thread. Only the service call runs in the worker; the
model is changed on the GUI thread alone. The database is safe to use from a worker:
`store.database.Database` opens a connection and a session per call, and
SQLAlchemy's engines and pools are thread-safe (its SQLite file pool does not pin a
connection to the thread that made it).

Staleness (a newer request made meanwhile) is the caller's to judge: each model
numbers its requests and drops a result that is not its latest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

#: run(job, done, failed): call ``job()``; then ``done(result)`` or ``failed(exc)``.
Runner = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None]], None]


def run_now(
    job: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]
) -> None:
    """Call ``job`` here and now (the model alone, in tests and benchmarks)."""
    try:
        result = job()
    except Exception as exc:  # handed to the caller's failure path, as in a worker
        failed(exc)
        return
    done(result)


class _Dispatcher(QObject):
    """Lives on the GUI thread; a worker emits a call to it, it makes the call there.

    One for the process, never deleted while workers run, so a worker never emits on
    an object that is gone (the widget that asked may be: its callbacks check that).
    """

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._call)  # a bound slot of this object: queued across threads

    def _call(self, fn: Callable[[], None]) -> None:
        fn()


_dispatcher: _Dispatcher | None = None
_pool: QThreadPool | None = None

#: Reads wait on the database, not the CPU: a slow list read must not hold up the
#: queue's (Qt's global pool has one thread per core, two here).
THREADS = 4


def _gui_dispatcher() -> _Dispatcher:
    """The dispatcher, made on first use (always from the GUI thread: `run_in_pool`)."""
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
    return _dispatcher


def _reads_pool() -> QThreadPool:
    """The pool the reads run in: a child of the application, whose end waits for it
    (a QThreadPool waits for its threads when it is destroyed)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool(QCoreApplication.instance())
        _pool.setMaxThreadCount(THREADS)
    return _pool


class _Job(QRunnable):
    """One service call in a pool thread; never touches a widget or a model."""

    def __init__(
        self,
        job: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[Exception], None],
        dispatcher: _Dispatcher,
    ) -> None:
        super().__init__()
        self.job, self.done, self.failed, self.dispatcher = job, done, failed, dispatcher

    def run(self) -> None:
        try:
            result = self.job()
        except Exception as exc:  # shown by the GUI thread, as other errors are
            error = exc
            self.dispatcher.call.emit(lambda: self.failed(error))
            return
        self.dispatcher.call.emit(lambda: self.done(result))


#: Jobs started and not yet handed back (tests wait for none; nothing else reads it).
_running: set[_Job] = set()


def run_in_pool(
    job: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]
) -> None:
    """Call ``job`` in the reads' thread pool; ``done``/``failed`` run on the GUI thread.

    Call from the GUI thread. The pool is waited for when the application ends, so a
    read in flight never outlives the process's Qt objects.
    """
    dispatcher = _gui_dispatcher()
    runnable: _Job

    def finish(then: Callable[[Any], None]) -> Callable[[Any], None]:
        def handed_back(value: Any) -> None:
            _running.discard(runnable)
            then(value)

        return handed_back

    runnable = _Job(job, finish(done), finish(failed), dispatcher)
    runnable.setAutoDelete(False)  # kept in `_running` until handed back, then collected
    _running.add(runnable)
    _reads_pool().start(runnable)


def busy() -> bool:
    """Whether a job started by `run_in_pool` has not yet been handed back."""
    return bool(_running)


def wait_done(msecs: int) -> bool:
    """Wait up to ``msecs`` for the reads in the pool to end (their results are handed
    back by the GUI thread's event loop later); False if some still run."""
    return _pool is None or _pool.waitForDone(msecs)
