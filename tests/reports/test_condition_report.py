"""The custody report draws each leg's logger curve and the journey, as vector graphics."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader

from cart_chain.reports import custody
from cart_chain.reports.condition_charts import MAX_POINTS, reduce
from cart_chain.services.condition import import_condition
from cart_chain.services.condition_views import condition_of
from cart_chain.services.exports import export_custody
from cart_chain.store.database import Database
from tests import logger_files as lf
from tests.helpers import HANDOFF, creds, fresh_leg

_PATH = re.compile(rb"((?:-?[\d.]+ -?[\d.]+ [ml]\s+){8,})")


def polylines(pdf: Path) -> list[list[tuple[float, float]]]:
    """Every stroked path of 8+ points in the PDF's page content streams."""
    out = []
    for page in PdfReader(str(pdf)).pages:
        data = page.get_contents().get_data()  # type: ignore[union-attr]
        for m in _PATH.finditer(data):
            nums = re.findall(rb"(-?[\d.]+) (-?[\d.]+) [ml]", m.group(1))
            out.append([(float(a), float(b)) for a, b in nums])
    return out


def normalised(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    xs, ys = [x for x, _ in points], [y for _, y in points]

    def n(v: float, lo: float, hi: float) -> float:
        return round((v - lo) / ((hi - lo) or 1), 2)

    return [(n(x, min(xs), max(xs)), n(y, min(ys), max(ys))) for x, y in points]


def test_the_curves_data_points_are_in_the_pdf(ready_db: Database, tmp_path: Path) -> None:
    unit = fresh_leg(ready_db)
    temps = [5.0, 5.5, 6.0, 7.5, 9.5, 11.0, 7.0, 6.0, 4.0, 3.0, 2.5, 5.0] * 5
    samples = lf.regular(HANDOFF - timedelta(minutes=10), 5, temps)
    import_condition(ready_db, unit, lf.delimited(samples), creds("lena"))
    out = tmp_path / "custody.pdf"
    export_custody(ready_db, creds("quinn"), condition_of(ready_db, unit).coi, out, custody.render)
    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    assert "Chain of condition (temperature loggers)" in text and "Journey (vein to vein)" in text
    assert "logger LOG-0001" in text and f"{len(temps)} samples" in text
    want = normalised([(at.timestamp(), t) for at, t in samples])
    curves = [pl for pl in polylines(out) if len(pl) == len(samples)]
    assert curves, "no path with one point per sample in the PDF"
    assert any(normalised(pl) == want for pl in curves)
    for page in PdfReader(str(out)).pages:  # the charts bring no unembedded font
        for ref in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in ref.get_object()["/FontDescriptor"]


def test_a_long_file_keeps_every_peak_when_reduced() -> None:
    times = [float(i * 60) for i in range(50_000)]
    temps = [5.0] * 50_000
    temps[12_345] = 12.5  # one sample outside
    temps[40_000] = 1.0
    points = reduce(times, temps, 400)
    assert len(points) <= 4 * 400 and len(times) > MAX_POINTS
    assert (times[12_345], 12.5) in points and (times[40_000], 1.0) in points
    assert [t for t, _ in points] == sorted(t for t, _ in points)
