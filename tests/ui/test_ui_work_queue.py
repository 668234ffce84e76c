"""The case list refreshes itself and shows the work queue (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from cart_chain.store.database import Database
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.models.queue_model import CASE, LEFT, WAITING
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import make_session, settled


def _window(qtbot, opened, user: str) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, user))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settled(qtbot)  # the case list and the queue are read off the GUI thread
    return window


def test_a_case_from_another_workstation_appears_with_its_queue_item(
    qtbot,  # type: ignore[no-untyped-def]
    opened,
    db_path: Path,
) -> None:
    first = enrol(opened.db, "Already Here")
    window = _window(qtbot, opened, "alice")
    home = window.home
    assert home.model.rowCount() == 1 and home.queue.model.rowCount() == 0
    assert home.queue.heading.text() == "Work queue: nothing waiting"
    home.table.selectRow(0)

    other = Database(str(db_path))  # another workstation on the same database
    try:
        coi = enrol(other, "Arrived Later")
        walk(other, unit_of(coi), 11)  # thawed there: the post-thaw clock runs
    finally:
        other.dispose()
    assert home.model.rowCount() == 1  # nothing read yet

    home.refresh_timer.setInterval(50)  # the test's interval; the app's is 30 s
    home.refresh_timer.start()
    qtbot.waitUntil(lambda: home.model.rowCount() == 2, timeout=5000)
    assert home.model.rows[0].coi == coi  # newest first
    assert home.model.data(home.table.currentIndex(), Qt.ItemDataRole.UserRole + 1).coi == first
    assert home.count.text() == "2 cases"
    queue = home.queue.model
    qtbot.waitUntil(lambda: queue.rowCount() == 1, timeout=5000)
    assert queue.data(queue.index(0, CASE)) == home.model.rows[0].grouped
    assert "post-thaw" in queue.data(queue.index(0, WAITING))
    assert queue.data(queue.index(0, LEFT)).endswith("min left")
    assert home.queue.heading.text() == "Work queue: 1 item waiting"

    # Enter on the queue row opens that unit's case.
    home.refresh_timer.stop()
    home.queue.table.setFocus()
    home.queue.table.selectRow(0)
    with qtbot.waitSignal(home.open_case, timeout=2000) as opened_case:
        qtbot.keyClick(home.queue.table, Qt.Key.Key_Return)
    assert opened_case.args == [unit_of(coi)]


def test_the_time_left_is_re_rendered_without_a_read(qtbot) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from cart_chain.services.views import QueueItem
    from cart_chain.ui.models.queue_model import QueueModel

    ends = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    item = QueueItem("C", "C g", "U", "U g", "window", "post-thaw window (Thaw)", ends, 1)
    reads: list[int] = []
    model = QueueModel(lambda: reads.append(1) or [item])
    model.reload()
    changed: list[object] = []
    model.dataChanged.connect(lambda *a: changed.append(a))
    model.rerender(ends - timedelta(minutes=5))
    assert model.data(model.index(0, LEFT)) == "5 min left"
    assert model.data(model.index(0, LEFT), Qt.ItemDataRole.ForegroundRole) is None
    model.rerender(ends + timedelta(minutes=70))
    assert model.data(model.index(0, LEFT)) == "1 h 10 min overdue"
    assert model.data(model.index(0, LEFT), Qt.ItemDataRole.ForegroundRole) is not None
    assert len(changed) == 2 and reads == [1]  # drawn again, not read again


def test_a_long_deviation_wraps_in_its_row_instead_of_an_ellipsis(qtbot, themed) -> None:  # type: ignore[no-untyped-def]
    """At 1280 px the Waiting for column is ~580 px: a deviation's detail is longer."""
    from PySide6.QtCore import QRect

    from cart_chain.services.views import QueueItem
    from cart_chain.ui.work_queue_panel import WorkQueuePanel

    text = (
        "deviation #115 awaiting QA review: cryopreservation at -20 °C, warmer than "
        "-60 °C allowed by the product profile (Kymriah v2, storage_max_c)"
    )
    items = [
        QueueItem("C", "C g", "U", "U g", "release", "QA release pending", None, 1),
        QueueItem("C", "C g", "U", "U g", "deviation", text, None, 2),
    ]
    panel = WorkQueuePanel(lambda: items)
    qtbot.addWidget(panel)
    panel.resize(1248, 300)
    panel.show()
    qtbot.waitExposed(panel)
    panel.reload()
    table = panel.table
    width = table.columnWidth(WAITING)
    metrics = table.fontMetrics()
    one_line = metrics.height()
    wrapped = metrics.boundingRect(QRect(0, 0, width - 12, 10_000), Qt.TextFlag.TextWordWrap, text)
    assert metrics.horizontalAdvance(text) > width  # the case this test is about
    assert wrapped.height() >= 2 * one_line
    assert table.rowHeight(1) >= wrapped.height()  # every line of it is in its row
    assert table.rowHeight(0) < 2 * one_line + 12  # a short item stays one line


def test_the_queue_takes_more_room_on_a_tall_screen(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.ui.work_queue_panel import queue_height

    assert queue_height(690) == 200  # 1280x720 less a task bar: the case list keeps it
    assert queue_height(1050) == 262  # 1920x1080: a quarter, about 6 rows more
    window = MainWindow(make_session(opened, "quinn"))
    qtbot.addWidget(window)
    table = window.home.queue.table
    assert table.maximumHeight() == queue_height(table.screen().availableGeometry().height())
