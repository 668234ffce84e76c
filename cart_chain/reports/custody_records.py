"""The custody report's record sections: patient events, overridden gates, labels,
refused scans and the reviewer's signature block."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Table
from reportlab.platypus.flowables import Flowable

from cart_chain.reports import base
from cart_chain.reports.base import grid, p, when_local
from cart_chain.reports.custody_layout import signatures, unit_full, unit_short

if TYPE_CHECKING:
    # Types only: importing the service module would pull in SQLAlchemy.
    from cart_chain.services.custody_data import CustodyReportData

PATIENT_EVENT_LABELS = {
    "bridging_start": "Bridging therapy started",
    "bridging_end": "Bridging therapy ended",
    "lymphodepletion_start": "Lymphodepletion started",
    "lymphodepletion_end": "Lymphodepletion ended",
    "bedside_check": "Bedside identity check",
}


def patient_events(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """Bridging, lymphodepletion and bedside identity checks: the patient side of readiness."""
    evs = tuple(getattr(data.case, "patient_events", ()))
    out: list[Flowable] = [p("Patient preparation and bedside checks", st["h2"])]
    if not evs:
        return [*out, p("No patient event is recorded for this case.", st["body"])]
    rows: list[list[object]] = [
        [
            p(h, st["head"])
            for h in ("Entry", "Event", "Date / time", "Unit", "Detail", "Signatures")
        ]
    ]
    for e in evs:
        rows.append(
            [
                p(f"#{e.seq}", st["cell"]),
                p(
                    PATIENT_EVENT_LABELS.get(e.kind, e.kind.replace("_", " ")),
                    st["cellb"],
                    bold=True,
                ),
                p(when_local(e.occurred_at), st["cell"]),
                p(unit_short(e.unit) if e.unit else "—", st["cell"]),
                p(e.detail or "—", st["cell"]),
                signatures(e.signatures, st),
            ]
        )
    widths = [12 * mm, 32 * mm, 30 * mm, 16 * mm, 38 * mm, 50 * mm]
    return [*out, grid(rows, widths)]


def overrides(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    ovs = tuple(getattr(data.case, "overrides", ()))
    if not ovs:
        return []
    rows: list[list[object]] = [
        [p(h, st["head"]) for h in ("Entry", "Unit", "Gate overridden", "Reason", "Signatures")]
    ]
    for o in ovs:
        rows.append(
            [
                p(f"#{o.seq}", st["cell"]),
                p(unit_short(o.unit), st["cell"]),
                p(o.gate.replace("_", " "), st["cellb"], bold=True),
                p(o.reason, st["cell"]),
                signatures(o.signatures, st),
            ]
        )
    widths = [12 * mm, 18 * mm, 34 * mm, 62 * mm, 52 * mm]
    return [p("Infusion gates overridden", st["h2"]), grid(rows, widths)]


def labels(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    out: list[Flowable] = [p("Labels printed, reprinted and voided", st["h2"])]
    if not data.labels:
        return [*out, p("The ledger holds no label print for this case.", st["body"])]
    rows: list[list[object]] = [
        [
            p(h, st["head"])
            for h in (
                "Entry",
                "Recorded",
                "Unit",
                "Label",
                "Serial",
                "Action",
                "By",
                "Reason",
            )
        ]
    ]
    for lp in data.labels:
        flagged = lp.action != "printed"
        rows.append(
            [
                p(f"#{lp.seq}", st["cell"]),
                p(when_local(lp.recorded_at), st["cell"]),
                p(unit_short(lp.unit), st["cell"]),
                p(lp.kind, st["cell"]),
                p(lp.serial or "—", st["cell"]),
                p(lp.action, st["cellb" if flagged else "cell"], bold=flagged),
                p(lp.actor or "—", st["cell"]),
                p(lp.reason or "—", st["cell"]),
            ]
        )
    widths = [12 * mm, 30 * mm, 18 * mm, 30 * mm, 12 * mm, 20 * mm, 16 * mm, 40 * mm]
    return [*out, grid(rows, widths)]


def scans(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    out: list[Flowable] = [p("Refused scans", st["h2"])]
    if not data.refused_scans:
        return [*out, p("The ledger holds no refused scan for this case.", st["body"])]
    rows: list[list[object]] = [
        [p(h, st["head"]) for h in ("Entry", "Recorded", "Unit", "Scanned", "By", "Reason")]
    ]
    for s in data.refused_scans:
        rows.append(
            [
                p(f"#{s.seq}", st["cell"]),
                p(when_local(s.recorded_at), st["cell"]),
                p(unit_full(s.unit), st["cell"]),
                p(s.scanned or "—", st["cell"]),
                p(s.actor or "—", st["cell"]),
                p(s.reason, st["cell"]),
            ]
        )
    widths = [12 * mm, 30 * mm, 34 * mm, 36 * mm, 16 * mm, 50 * mm]
    return [*out, grid(rows, widths)]


def review(st: dict) -> Table:  # type: ignore[type-arg]
    cells = [
        [
            p("Reviewed by (printed name)", st["key"]),
            p("Signature", st["key"]),
            p("Date and time", st["key"]),
        ],
        ["", "", ""],
    ]
    return Table(
        cells,
        colWidths=[70 * mm, 60 * mm, 48 * mm],
        rowHeights=[None, 14 * mm],
        style=base.table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, base.RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, base.RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        ),
    )
