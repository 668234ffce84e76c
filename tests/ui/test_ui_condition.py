"""The case view's temperature tab: a curve per logger file, limits, excursions, hover."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from cart_chain.services.condition import import_condition
from cart_chain.services.condition_views import condition_of
from cart_chain.ui.case_view import CaseView
from cart_chain.ui.condition_chart import ConditionPanel
from cart_chain.ui.condition_import import ImportLoggerDialog
from tests import logger_files as lf
from tests.helpers import HANDOFF, creds, fresh_leg
from tests.ui.helpers import drop_files, make_session


def test_the_temperature_tab_draws_the_curve_and_hover_names_a_sample(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    unit = fresh_leg(opened.db)
    temps = [5.0] * 53
    temps[26:30] = [10.0, 12.0, 12.0, 10.0]
    samples = lf.regular(HANDOFF - timedelta(minutes=10), 5, temps)
    import_condition(opened.db, unit, lf.delimited(samples, serial="TT-9"), creds("lena"))
    view = CaseView(make_session(opened, "lena"))
    qtbot.addWidget(view)
    view.show_case(condition_of(opened.db, unit).coi)
    titles = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    assert "Temperatures (1)" in titles
    view.tabs.setCurrentIndex(titles.index("Temperatures (1)"))
    panel = view.tabs.currentWidget()
    assert isinstance(panel, ConditionPanel)
    (chart,) = panel.charts
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    image = chart.grab().toImage()
    # the excursion's peak is drawn red; a sample inside the limits dark, on the green band
    peak = chart.to_point(samples[27][0].timestamp(), 12.0)
    red = QColor(image.pixel(round(peak.x()), round(peak.y())))
    assert red.red() > 150 and red.green() < 100, red.name()
    inside = chart.to_point(samples[5][0].timestamp(), 7.0)  # above the 5 °C line, in the band
    band = QColor(image.pixel(round(inside.x()), round(inside.y())))
    assert band.green() > band.red() and band.green() > 200, band.name()
    x = round(chart.to_point(samples[27][0].timestamp(), 12.0).x())
    QTest.mouseMove(chart, QPoint(x, chart.height() // 2))
    qtbot.waitUntil(lambda: "12 °C" in chart.toolTip())
    assert f"{samples[27][0]:%Y-%m-%d %H:%M:%S} UTC" in chart.toolTip()


def test_no_tab_without_a_logger_file(opened, qtbot) -> None:  # type: ignore[no-untyped-def]
    unit = fresh_leg(opened.db)
    view = CaseView(make_session(opened, "lena"))
    qtbot.addWidget(view)
    view.show_case(condition_of(opened.db, unit).coi)
    assert not any(
        view.tabs.tabText(i).startswith("Temperatures") for i in range(view.tabs.count())
    )


def test_a_logger_file_dropped_on_the_dialog_and_signed(opened, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    unit = fresh_leg(opened.db)
    temps = [5.0] * 53
    temps[10] = 9.5
    good = tmp_path / "shipper.csv"
    good.write_bytes(lf.delimited(lf.regular(HANDOFF - timedelta(minutes=10), 5, temps)))
    broken = tmp_path / "broken.csv"
    broken.write_bytes(good.read_bytes()[:-9])
    view = CaseView(make_session(opened, "lena", signed=True))
    qtbot.addWidget(view)
    view.show_case(condition_of(opened.db, unit).coi)
    qtbot.mouseClick(view.logger_button, Qt.MouseButton.LeftButton)
    (dialog,) = view.findChildren(ImportLoggerDialog)

    def drop(path) -> None:  # type: ignore[no-untyped-def]
        assert drop_files(dialog.tz, path)  # on another field: still the file's

    drop(broken)
    assert dialog.path.text() == str(broken)
    qtbot.keyClicks(dialog.signature.password, "lena-secret-1")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "Line 58: the file ends in the middle of a sample (truncated?)"
    assert condition_of(opened.db, unit).legs[0].imports == ()  # nothing recorded
    drop(good)
    qtbot.keyClicks(dialog.signature.password, "lena-secret-1")
    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert saved.args[0].deviations and "9.5 °C" in saved.args[0].deviations[0]
    titles = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    assert "Temperatures (1)" in titles
