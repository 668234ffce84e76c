"""The custody report: what a QA reviewer signs before release and an inspector reads.

It renders a `CustodyReportData` (built by `services.custody_data` from one
snapshot) and nothing else: every event of every unit in order with its
signatures, every correction with the original value, the new value, the
reason and who signed it, reprinted labels and refused scans, the timing
summary, and the ledger checkpoint with the verdict of `verify` - the same
checkpoint in the footer of every page, so a page cannot be swapped in from
another report.

This module only puts the report together: each section is a function
``(data, styles) -> flowables`` in a module of its own job (`custody_case`,
`custody_units`, `custody_records`, `custody_evidence`), listed once in `SECTIONS`; a new section
is a new module and one line there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer
from reportlab.platypus.flowables import Flowable

from cart_chain.domain.evidence import ATTACHMENT
from cart_chain.reports import (
    base,
    custody_case,
    custody_evidence,
    custody_records,
    custody_units,
)
from cart_chain.reports.base import p
from cart_chain.reports.condition_charts import condition_section, journey_section
from cart_chain.reports.custody_layout import duration, step_label
from cart_chain.reports.evidence_pdf import attach

if TYPE_CHECKING:
    # Types only: importing the service module would pull in SQLAlchemy.
    from cart_chain.services.custody_data import CustodyReportData

__all__ = ["SECTIONS", "duration", "render", "step_label", "story"]

Section = Callable[["CustodyReportData", dict], list[Flowable]]  # type: ignore[type-arg]
"""One section of the report: the flowables it adds, from the data and the styles."""


def _heading(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    c = data.case
    events = sum(len(u.events) for u in c.units)
    return [
        p("Chain-of-custody report", st["title"]),
        p(
            f"{len(c.units)} unit(s), {events} custody entries, read from the cart-chain "
            "ledger. Times are local to the workstation that generated the report, with "
            "their zone.",
            st["small"],
        ),
        Spacer(1, 4 * mm),
        custody_case.identity(data, st),
        Spacer(1, 3 * mm),
        custody_case.integrity(data, st),
    ]


def _timing(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    return [KeepTogether([p("Timing summary", st["h2"]), custody_case.timing(data.timings, st)])]


def _journey(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    return journey_section(data.case, st)


def _condition(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """Each imported logger file's temperature curve (issue 15)."""
    return condition_section(data.condition, st)


def _units(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    out: list[Flowable] = []
    for u in data.case.units:
        out += custody_units.unit_section(u, st)
    return out


def _end(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    return [
        CondPageBreak(35 * mm),
        p("Review", st["h2"]),
        custody_records.review(st),
        Spacer(1, 3 * mm),
        p(f"End of report {data.report_id}.", st["small"]),
    ]


#: The report's sections, in the order they print.
SECTIONS: tuple[Section, ...] = (
    _heading,
    custody_evidence.checkpoint_box,
    custody_case.open_deviations,
    custody_case.case_corrections,
    _timing,
    _journey,
    _units,
    _condition,
    custody_records.patient_events,
    custody_records.overrides,
    custody_records.labels,
    custody_records.scans,
    custody_evidence.proven_entries,
    _end,
)


def story(data: CustodyReportData) -> list[Flowable]:
    st = base.styles()
    out: list[Flowable] = []
    for section in SECTIONS:
        out += section(data, st)
    return out


def render(data: CustodyReportData, path: Path) -> None:
    """Write the custody report PDF for ``data`` to ``path``, with its evidence attached."""
    c = data.case
    led = data.ledger
    doc = base.ReportDocument(
        path,
        title=f"Chain-of-custody report {c.coi}",
        subject=f"report {data.report_id}; ledger checkpoint {led.checkpoint}",
        header_left="cart-chain · Chain-of-custody report",
        header_right=f"COI {c.grouped}  ·  {c.patient_name}",
        footer_left=(
            f"Report {data.report_id}  ·  COI {c.coi}  ·  checkpoint {led.seq}:{led.hash[:16]}…"
            f"  ·  verify {'passed' if led.verified else 'FAILED'}"
        ),
        author=f"{data.generated_by_name} ({data.generated_by})",
    )
    doc.render(story(data), base.NumberedCanvas)
    if data.evidence is not None:
        attach(path, ATTACHMENT, data.evidence.attachment)
