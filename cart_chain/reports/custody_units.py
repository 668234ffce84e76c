"""The custody report's unit sections: each unit's events with their signatures and
corrections, and the deviations from the product's handling profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from cart_chain.reports import base
from cart_chain.reports.base import grid, p, when_local, when_utc
from cart_chain.reports.custody_layout import (
    correction_rows,
    decision_text,
    signatures,
    step_label,
)
from cart_chain.services.views import EventView, UnitView

if TYPE_CHECKING:
    from cart_chain.services.views import DeviationView


def event_rows(
    e: EventView,
    st: dict,
    row: int,  # type: ignore[type-arg]
) -> tuple[list[list[object]], list[tuple[object, ...]]]:
    label = step_label(e.step)
    step_cell: list[Paragraph] = [p(label, st["cellb"], bold=True)]
    if e.voided:
        step_cell.append(p("VOIDED", st["cellb"], bold=True))
    time_cell = [p(when_local(e.occurred_at), st["cell"])]
    started = getattr(e, "started_at", None)
    if started:
        time_cell.insert(0, p(f"started {when_local(started)}", st["small"]))
    time_cell.append(p(f"recorded {when_utc(e.recorded_at)}", st["small"]))
    temp = "—" if e.temperature_c is None else f"{e.temperature_c:g} °C"
    cond = [p(temp, st["cell"])]
    condition = getattr(e, "condition", None)
    if condition:
        cond.append(p(condition, st["cell"]))
    rows: list[list[object]] = [
        [
            p(f"#{e.seq}", st["cell"]),
            step_cell,
            time_cell,
            p(e.location or "—", st["cell"]),
            cond,
            p(e.note or "—", st["cell"]),
            signatures(e.signatures, st),
        ]
    ]
    extra: list[tuple[object, ...]] = []
    if e.voided:
        extra.append(("TEXTCOLOR", (1, row), (1, row), base.ALERT))
        extra.append(("BACKGROUND", (0, row), (-1, row), colors.HexColor("#fbeaea")))
    if e.corrections:
        r = row + 1
        rows.append(["", correction_rows(e.corrections, st), "", "", "", "", ""])
        extra += [
            ("SPAN", (1, r), (-1, r)),
            ("BACKGROUND", (0, r), (-1, r), base.CORRECTION_BG),
            ("LINEBEFORE", (1, r), (1, r), 2, colors.HexColor("#d99a00")),
        ]
    return rows, extra


#: Entry, step, time, location, temperature and condition, note, signatures: 178 mm.
EVENT_WIDTHS = [11 * mm, 30 * mm, 32 * mm, 22 * mm, 18 * mm, 27 * mm, 38 * mm]


def unit_section(u: UnitView, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    holder = f"{u.custodian_name} ({u.custodian})" if u.custodian else "—"
    split = f"; split from {u.parent}" if u.parent else ""
    out: list[Flowable] = [
        CondPageBreak(40 * mm),
        p(f"Unit {u.grouped} — bag {u.number} of {u.of}", st["h2"]),
        p(
            f"Unit id {u.unit}{split}. Current step: "
            f"{step_label(u.current_step) if u.current_step else 'none recorded'}; "
            f"custodian: {holder}; location: {u.location or '—'}.",
            st["body"],
        ),
        Spacer(1, 2 * mm),
    ]
    if not u.events:
        out.append(p("No custody step has been recorded for this unit.", st["body"]))
        return out
    head = [
        p(h, st["head"])
        for h in (
            "Entry",
            "Step",
            "Date / time",
            "Location",
            "Temp. / condition",
            "Note",
            "Signatures",
        )
    ]
    rows: list[list[object]] = [head]
    extra: list[tuple[object, ...]] = []
    for e in u.events:
        r, x = event_rows(e, st, len(rows))
        rows += r
        extra += x
    out.append(grid(rows, EVENT_WIDTHS, extra=extra))
    out += deviations(tuple(getattr(u, "deviations", ())), st)
    return out


def deviations(devs: tuple[DeviationView, ...], st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """Breaches of the product's handling profile and QA's decision on each."""
    if not devs:
        return []
    rows: list[list[object]] = [
        [p(h, st["head"]) for h in ("Entry", "Deviation", "Limit", "Actual", "QA decision")]
    ]
    extra: list[tuple[object, ...]] = []
    for i, d in enumerate(devs, start=1):
        decision = decision_text(d)
        rows.append(
            [
                p(f"#{d.seq}", st["cell"]),
                [
                    p(f"{step_label(d.step)} — {d.rule}", st["cellb"], bold=True),
                    p(d.detail, st["cell"]),
                ],
                p(d.limit, st["cell"]),
                p(d.actual, st["cell"]),
                p(decision, st["cellb" if d.open else "cell"], bold=d.open),
            ]
        )
        if d.open:
            extra.append(("TEXTCOLOR", (4, i), (4, i), base.ALERT))
    widths = [12 * mm, 70 * mm, 26 * mm, 26 * mm, 44 * mm]
    return [
        Spacer(1, 2 * mm),
        p("Deviations from the handling profile", st["h3"]),
        grid(rows, widths, extra=extra),
    ]
