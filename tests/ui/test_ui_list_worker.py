"""The case list and the work queue are read off the GUI thread (pytest-qt, offscreen).

The services are the real ones over a real database; where a read must be slow or
fail, only the service function is replaced, by one that waits on a
`threading.Event` or raises, then calls the real one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from cart_chain.domain.errors import DatabaseUnavailable
from cart_chain.services import case_list, work_queue
from cart_chain.services.views import CaseSummary
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.models.cases_model import NAME, CasesModel
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import FakeService, make_session, settled

#: Long enough never to be reached when the code works; a hang would be worse.
WAIT_S = 10


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Released at the end whatever happened, so no worker is left waiting."""
    event = threading.Event()
    yield event
    event.set()


def window_of(qtbot, opened) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, "lena"))
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_list_fills_through_a_worker_thread(qtbot, opened, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Wanda Worker")
    coi = enrol(opened.db, "Tom Thread")
    walk(opened.db, unit_of(coi), 11)  # thawed: a post-thaw clock in the work queue
    threads: dict[str, set[str]] = {"page": set(), "count": set(), "queue": set()}
    real_page, real_count, real_queue = (
        case_list.list_case_page,
        case_list.count_cases,
        work_queue.work_queue,
    )

    def recorded(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            threads[name].add(threading.current_thread().name)
            return real(*args)

        return call

    monkeypatch.setattr(case_list, "list_case_page", recorded("page", real_page))
    monkeypatch.setattr(case_list, "count_cases", recorded("count", real_count))
    monkeypatch.setattr(work_queue, "work_queue", recorded("queue", real_queue))
    window = window_of(qtbot, opened)
    home = window.home
    qtbot.waitUntil(lambda: home.model.rowCount() == 2 and home.queue.model.rowCount() == 1)
    assert home.model.data(home.model.index(1, NAME)) == "Wanda Worker"
    qtbot.waitUntil(lambda: home.count.text() == "2 cases")
    assert home.queue.heading.text() == "Work queue: 1 item waiting"
    gui = threading.main_thread().name
    assert all(names and gui not in names for names in threads.values()), threads


def test_a_slow_read_leaves_the_window_responsive(qtbot, opened, monkeypatch, gate) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Sam Slow")
    entered = threading.Event()
    real_count, real_queue = case_list.count_cases, work_queue.work_queue

    def slow_count(db: Any, search: str = "") -> int:
        entered.set()
        assert gate.wait(WAIT_S), "never released"
        return real_count(db, search)

    def slow_queue(db: Any) -> Any:
        assert gate.wait(WAIT_S), "never released"
        return real_queue(db)

    monkeypatch.setattr(case_list, "count_cases", slow_count)
    monkeypatch.setattr(work_queue, "work_queue", slow_queue)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    window = window_of(qtbot, opened)  # on the GUI thread the read would block right here
    home = window.home
    assert entered.wait(WAIT_S)
    before = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= before + 5)  # the event loop runs meanwhile
    assert not gate.is_set()
    assert home.model.loading and home.model.rowCount() == 0
    home.search.setFocus()
    qtbot.keyClicks(home.search, "sam")  # the user can type while the list is read
    assert home.search.text() == "sam"
    gate.set()
    qtbot.waitUntil(lambda: home.model.rowCount() == 1)
    qtbot.waitUntil(lambda: home.model.search == "sam" and not home.model.loading)
    assert home.model.rows[0].patient_name == "Sam Slow"
    timer.stop()


def test_a_stale_search_result_is_dropped(qtbot, opened, monkeypatch, gate) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Olga Old")
    enrol(opened.db, "Nina New")
    window = window_of(qtbot, opened)
    home = window.home
    settled(qtbot)
    real_page = case_list.list_case_page
    slow_started = threading.Event()
    slow_done = threading.Event()

    def page(db: Any, search: str, *rest: Any) -> list[CaseSummary]:
        if search == "olga":  # the first search: slow
            slow_started.set()
            assert gate.wait(WAIT_S), "never released"
            result = real_page(db, search, *rest)
            slow_done.set()
            return result
        return real_page(db, search, *rest)

    monkeypatch.setattr(case_list, "list_case_page", page)
    home.model.set_search("olga")
    assert slow_started.wait(WAIT_S)
    home.model.set_search("nina")  # asked for after: its rows are the ones to show
    qtbot.waitUntil(lambda: [s.patient_name for s in home.model.rows] == ["Nina New"])
    gate.set()
    assert slow_done.wait(WAIT_S)
    settled(qtbot)  # the slow result has been handed back to the GUI thread, and dropped
    assert [s.patient_name for s in home.model.rows] == ["Nina New"]
    assert home.model.total == 1 and home.count.text() == "1 case"


def test_a_failed_read_is_said_and_what_is_shown_stays(qtbot, opened, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Fred Fail")
    window = window_of(qtbot, opened)
    home = window.home
    settled(qtbot)
    assert home.model.rowCount() == 1

    def down(db: Any, search: str = "") -> int:
        raise DatabaseUnavailable("cannot reach the server")

    monkeypatch.setattr(case_list, "count_cases", down)
    home.refresh()
    settled(qtbot)
    assert home.message.isVisibleTo(home)
    assert home.message.text() == "The list could not be read: the database did not answer."
    assert home.model.rowCount() == 1 and not home.model.loading  # kept; the timer tries again
    monkeypatch.undo()
    home.refresh()
    settled(qtbot)
    assert not home.message.isVisibleTo(home)  # read again: the message goes


def test_a_bug_in_a_read_opens_the_error_dialog(qtbot, opened, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window = window_of(qtbot, opened)
    home = window.home
    settled(qtbot)

    def broken(db: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(work_queue, "work_queue", broken)
    home.refresh()
    settled(qtbot)
    box = home.findChild(QMessageBox, "error-bug")
    assert box is not None and box.isVisible() and "RuntimeError: boom" in box.text()
    assert home.message.text().startswith("The work queue could not be read: an unexpected")


class Deferred:
    """A runner that keeps each job until the test runs it: results arrive in the order
    the test chooses, as they can from a worker."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def __call__(
        self,
        job: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[Exception], None],
    ) -> None:
        self.jobs.append((job, done))

    def finish(self, i: int) -> None:
        job, done = self.jobs[i]
        done(job())


def test_results_arriving_out_of_order_show_the_latest_request(qapp) -> None:  # type: ignore[no-untyped-def]
    svc, run = FakeService(30), Deferred()
    model = CasesModel(svc.fetch, svc.count, page=10, run=run)
    model.reload()
    run.finish(0)
    assert model.rowCount() == 10
    model.set_search("Patient 2")
    model.set_search("Patient 1")
    run.finish(2)  # the newer search answers first
    run.finish(1)  # the older one answers late: dropped
    assert model.search == "Patient 1" and model.total == 11
    assert model.rowCount() == 10 and all("Patient 1" in s.patient_name for s in model.rows)
    assert not model.loading


def test_a_page_asked_before_a_new_sort_is_dropped(qapp) -> None:  # type: ignore[no-untyped-def]
    svc, run = FakeService(30), Deferred()
    model = CasesModel(svc.fetch, svc.count, page=10, run=run)
    model.reload()
    run.finish(0)
    model.fetchMore()
    model.fetchMore()  # still waiting for the first: not asked twice
    assert len(run.jobs) == 2
    model.sort(NAME, Qt.SortOrder.AscendingOrder)
    run.finish(2)  # the sorted first page
    run.finish(1)  # the page of the old order: dropped
    assert model.rowCount() == 10 and model.sort_key == "patient"
    assert [s.coi for s in model.rows] == sorted(s.coi for s in svc.rows)[:10]
    assert model.canFetchMore() and not model.loading
