"""The custody report's case sections: identity, ledger integrity, open deviations,
corrections of the case record and the timing summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table
from reportlab.platypus.flowables import Flowable

from cart_chain.reports import base
from cart_chain.reports.base import grid, p, when_local
from cart_chain.reports.custody_layout import (
    QR_SIZE,
    QrCode,
    correction_rows,
    decision_text,
    duration,
    step_label,
)

if TYPE_CHECKING:
    # Types only: importing the service module would pull in SQLAlchemy.
    from cart_chain.services.custody_data import CustodyReportData, UnitTiming


def identity(data: CustodyReportData, st: dict) -> Table:  # type: ignore[type-arg]
    c = data.case
    rows = [
        ("COI", [p(c.grouped, st["valueb"]), p(c.coi, st["small"])]),
        ("Product", p(c.product, st["value"])),
        *(
            [
                (
                    "Handling profile",
                    p(f"{c.profile_name} · profile version {c.profile_version}", st["value"]),
                )
            ]
            if getattr(c, "profile_name", "")
            else []
        ),
        *(
            [("Product warnings", p("; ".join(c.profile_warnings), st["value"]))]
            if getattr(c, "profile_warnings", ())
            else []
        ),
        *(
            [
                (
                    "Unconfirmed handling values",
                    p(", ".join(c.profile_unconfirmed), st["small"]),
                )
            ]
            if getattr(c, "profile_unconfirmed", ())
            else []
        ),
        ("Patient", p(c.patient_name, st["valueb"], bold=True)),
        ("Date of birth / MRN", p(f"{c.patient_dob}   ·   MRN {c.mrn}", st["value"])),
        ("Treatment site", p(data.treatment_site, st["value"])),
        (
            "Enrolled",
            p(f"{when_local(c.created_at)} by {c.created_by or '—'} (entry #{c.seq})", st["value"]),
        ),
        ("Units", p(", ".join(u.grouped for u in c.units) or "—", st["value"])),
        (
            "Generated",
            p(
                f"{when_local(data.generated_at)} by {data.generated_by_name} "
                f"({data.generated_by})",
                st["value"],
            ),
        ),
        ("Report identity", p(data.report_id, st["value"])),
    ]
    kv = Table(
        [[p(k, st["key"]), v] for k, v in rows],
        colWidths=[34 * mm, 104 * mm],
        style=base.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        ),
    )
    qr = Table(
        [[QrCode(c.coi, QR_SIZE)], [p("COI " + c.coi, st["small"])]],
        colWidths=[QR_SIZE + 4 * mm],
        style=base.table_style(
            [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        ),
    )
    return Table(
        [[kv, qr]],
        colWidths=[140 * mm, 38 * mm],
        style=base.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.6, base.RULE),
                ("BACKGROUND", (0, 0), (-1, -1), base.BAND),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        ),
    )


def integrity(data: CustodyReportData, st: dict) -> Table:  # type: ignore[type-arg]
    led = data.ledger
    if led.verified:
        verdict = p(
            f"PASSED — all {led.seq} entries and every projection recomputed and matched",
            st["valueb"],
        )
        colour = base.OK
    else:
        verdict = p(f"FAILED — {led.problem}", st["valueb"])
        colour = base.ALERT
    rows = [
        [p("Ledger checkpoint", st["key"]), p(f"entry {led.seq}", st["valueb"])],
        [p("Head hash", st["key"]), p(led.hash, st["value"])],
        [p("Verify at export", st["key"]), verdict],
        [
            "",
            p(
                "The checkpoint is the ledger head when this report was read. The export of "
                "this report is itself recorded as a later ledger entry (after "
                f"#{led.seq}) with this report's identity and SHA-256. To prove later that "
                "nothing was cut off or rewritten, run 'cart-chain verify --checkpoint "
                "ENTRY:HASH' with the two values above.",
                st["small"],
            ),
        ],
    ]
    return Table(
        rows,
        colWidths=[34 * mm, 144 * mm],
        style=base.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBEFORE", (0, 0), (0, -1), 3, colour),
                ("TEXTCOLOR", (1, 2), (1, 2), colour),
                ("BOX", (0, 0), (-1, -1), 0.6, base.RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )


def timing(timings: tuple[UnitTiming, ...], st: dict) -> Table:  # type: ignore[type-arg]
    head = [
        p(h, st["head"])
        for h in (
            "Unit",
            "Transport to manufacturing",
            "Transport to treatment centre",
            "Vein-to-vein",
            "Thaw to infusion",
        )
    ]
    rows: list[list[object]] = [head]
    for t in timings:
        rows.append(
            [
                p(t.grouped, st["cell"]),
                p(duration(t.to_manufacturing), st["cell"]),
                p(duration(t.to_site), st["cell"]),
                p(duration(t.vein_to_vein), st["cellb"], bold=True),
                p(duration(t.thaw_to_infusion), st["cellb"], bold=True),
            ]
        )
    return grid(rows, [58 * mm, 32 * mm, 32 * mm, 28 * mm, 28 * mm])


def open_deviations(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """A reviewer must not miss a deviation that stops a unit: say so on the first page.

    Unreviewed ones await QA; rejected and quarantined ones were decided, by someone,
    at some time, and are printed as such (a rejection is not "awaiting review").
    """
    blocking = [(u, d) for u in data.case.units for d in getattr(u, "deviations", ()) if d.open]
    if not blocking:
        return []
    waiting = [(u, d) for u, d in blocking if d.decision is None]
    decided = [(u, d) for u, d in blocking if d.decision is not None]
    out: list[Flowable] = [Spacer(1, 2 * mm)]
    if waiting:
        where = "; ".join(f"{u.grouped}: {step_label(d.step)} (entry #{d.seq})" for u, d in waiting)
        out.append(
            p(f"{len(waiting)} open deviation(s) await QA review — {where}", st["alert"], bold=True)
        )
    for u, d in decided:
        out.append(p(f"{u.grouped}: {decision_text(d)} (entry #{d.seq})", st["alert"], bold=True))
    return out


def case_corrections(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    cs = data.case.case_corrections
    if not cs:
        return []
    rows: list[list[object]] = [[p("Corrections of the case record", st["head"])]]
    rows += [[c] for c in correction_rows(cs, st)]
    return [
        Spacer(1, 3 * mm),
        grid(rows, [178 * mm], extra=[("BACKGROUND", (0, 1), (-1, -1), base.CORRECTION_BG)]),
    ]
