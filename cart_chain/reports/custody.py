"""The custody report: what a QA reviewer signs before release and an inspector reads.

It renders a `CustodyReportData` (built by `services.custody_data` from one
snapshot) and nothing else: every event of every unit in order with its
signatures, every correction with the original value, the new value, the
reason and who signed it, reprinted labels and refused scans, the timing
summary, and the ledger checkpoint with the verdict of `verify` - the same
checkpoint in the footer of every page, so a page cannot be swapped in from
another report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import qrcode
import qrcode.constants
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table
from reportlab.platypus.flowables import Flowable

from cart_chain.domain.errors import CartChainError
from cart_chain.domain.identifiers import UnitId, parse_any
from cart_chain.domain.steps import Step
from cart_chain.reports import base, fonts
from cart_chain.reports.base import grid, p, when_local, when_utc
from cart_chain.services.views import CorrectionView, EventView, SignatureView, UnitView

if TYPE_CHECKING:
    # Types only: importing the service module would pull in SQLAlchemy.
    from cart_chain.services.custody_data import CustodyReportData, UnitTiming
    from cart_chain.services.views import DeviationView

QR_SIZE = 32 * mm


def duration(seconds: float | None) -> str:
    """Elapsed time as days, hours and minutes; an em dash when not (yet) recorded."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    d, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if d:
        return f"{d} d {h:02d} h {m:02d} min"
    if h:
        return f"{h} h {m:02d} min"
    return f"{m} min"


def step_label(step: str) -> str:
    try:
        return Step(step).label
    except ValueError:
        return step


class QrCode(Flowable):
    """A QR symbol of an identifier, drawn as filled squares.

    Drawn directly rather than through reportlab's graphics renderer, which
    declares an unembedded Helvetica in every page it touches. The payload is
    the COI only, never a name (DOMAIN: QR codes carry identifiers only).
    """

    def __init__(self, value: str, size: float, quiet: int = 2) -> None:
        super().__init__()
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=quiet)
        code.add_data(value)
        code.make(fit=True)
        self.matrix: list[list[bool]] = code.get_matrix()
        self.size = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        n = len(self.matrix)
        cell = self.size / n
        c = self.canv
        c.setFillColor(colors.white)
        c.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        c.setFillColor(colors.black)
        path = c.beginPath()
        for r, row in enumerate(self.matrix):
            for col, dark in enumerate(row):
                if dark:
                    path.rect(col * cell, self.size - (r + 1) * cell, cell, cell)
        c.drawPath(path, stroke=0, fill=1)


def _signature(s: SignatureView) -> str:
    return f"{s.meaning}: {s.printed_name} ({s.username}), {when_local(s.signed_at)}"


def _signatures(sigs: tuple[SignatureView, ...], st: dict) -> list[Paragraph]:  # type: ignore[type-arg]
    """Each signature as its manifestation: meaning, printed name (user), date and time."""
    out = []
    for s in sigs:
        out.append(
            Paragraph(
                f"<b>{fonts.markup(s.meaning, bold=True)}:</b> {fonts.markup(s.printed_name)} "
                f"({fonts.markup(s.username)})<br/>"
                f'<font size="6.8" color="#5b6675">{fonts.markup(when_local(s.signed_at))}</font>',
                st["cell"],
            )
        )
    return out or [p("—", st["cell"])]


def unit_short(code: str | None) -> str:
    """``U01 [2]`` for a full unit id: the COI is already in the report header."""
    if not code:
        return "—"
    try:
        ident = parse_any(code)
    except CartChainError:
        return code
    if not isinstance(ident, UnitId):
        return code
    return f"U{ident.number:02d} [{ident.check}]"


def _correction_text(c: CorrectionView) -> str:
    if c.field == "void":
        what = "step voided (struck from the chain; the original stays in the ledger)"
    else:
        old = "—" if c.old_value in (None, "") else c.old_value
        new = "—" if c.new_value in (None, "") else c.new_value
        what = f"{c.field}: original “{old}” → corrected “{new}”"
    return f"Correction entry #{c.seq}, recorded {when_local(c.recorded_at)}: {what}."


def _correction_rows(cs: tuple[CorrectionView, ...], st: dict) -> list[Paragraph]:  # type: ignore[type-arg]
    out = []
    for c in cs:
        out.append(p(_correction_text(c), st["cell"]))
        out.append(p(f"Reason: {c.reason}", st["cell"]))
        for s in c.signatures:
            out.append(p(f"Signed — {_signature(s)}", st["cell"]))
    return out


def _identity(data: CustodyReportData, st: dict) -> Table:  # type: ignore[type-arg]
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


def _integrity(data: CustodyReportData, st: dict) -> Table:  # type: ignore[type-arg]
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


def _timing(timings: tuple[UnitTiming, ...], st: dict) -> Table:  # type: ignore[type-arg]
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


def _event_rows(
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
    if e.note:
        cond.append(p(e.note, st["small"]))
    rows: list[list[object]] = [
        [
            p(f"#{e.seq}", st["cell"]),
            step_cell,
            time_cell,
            p(e.location or "—", st["cell"]),
            cond,
            _signatures(e.signatures, st),
        ]
    ]
    extra: list[tuple[object, ...]] = []
    if e.voided:
        extra.append(("TEXTCOLOR", (1, row), (1, row), base.ALERT))
        extra.append(("BACKGROUND", (0, row), (-1, row), colors.HexColor("#fbeaea")))
    if e.corrections:
        r = row + 1
        rows.append(["", _correction_rows(e.corrections, st), "", "", "", ""])
        extra += [
            ("SPAN", (1, r), (-1, r)),
            ("BACKGROUND", (0, r), (-1, r), base.CORRECTION_BG),
            ("LINEBEFORE", (1, r), (1, r), 2, colors.HexColor("#d99a00")),
        ]
    return rows, extra


EVENT_WIDTHS = [12 * mm, 29 * mm, 37 * mm, 30 * mm, 20 * mm, 50 * mm]


def _unit(u: UnitView, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
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
        for h in ("Entry", "Step", "Date / time", "Location", "Temp. / condition", "Signatures")
    ]
    rows: list[list[object]] = [head]
    extra: list[tuple[object, ...]] = []
    for e in u.events:
        r, x = _event_rows(e, st, len(rows))
        rows += r
        extra += x
    out.append(grid(rows, EVENT_WIDTHS, extra=extra))
    out += _deviations(tuple(getattr(u, "deviations", ())), st)
    return out


def _open_deviations(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """A reviewer must not miss an unreviewed deviation: say so on the first page."""
    open_ = [(u, d) for u in data.case.units for d in getattr(u, "deviations", ()) if d.open]
    if not open_:
        return []
    where = "; ".join(f"{u.grouped}: {step_label(d.step)} (entry #{d.seq})" for u, d in open_)
    return [
        Spacer(1, 2 * mm),
        p(f"{len(open_)} open deviation(s) await QA review — {where}", st["alert"], bold=True),
    ]


def _deviations(devs: tuple[DeviationView, ...], st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """Breaches of the product's handling profile and QA's decision on each."""
    if not devs:
        return []
    rows: list[list[object]] = [
        [p(h, st["head"]) for h in ("Entry", "Deviation", "Limit", "Actual", "QA decision")]
    ]
    extra: list[tuple[object, ...]] = []
    for i, d in enumerate(devs, start=1):
        decision = (
            f"{d.decision}: {d.reason or ''}".rstrip(": ")
            if d.decision
            else "OPEN — not reviewed by QA"
        )
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


PATIENT_EVENT_LABELS = {
    "bridging_start": "Bridging therapy started",
    "bridging_end": "Bridging therapy ended",
    "lymphodepletion_start": "Lymphodepletion started",
    "lymphodepletion_end": "Lymphodepletion ended",
    "bedside_check": "Bedside identity check",
}


def _patient_events(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
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
                _signatures(e.signatures, st),
            ]
        )
    widths = [12 * mm, 32 * mm, 30 * mm, 16 * mm, 38 * mm, 50 * mm]
    return [*out, grid(rows, widths)]


def _overrides(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
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
                _signatures(o.signatures, st),
            ]
        )
    widths = [12 * mm, 18 * mm, 34 * mm, 62 * mm, 52 * mm]
    return [p("Infusion gates overridden", st["h2"]), grid(rows, widths)]


def _labels(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
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


def _scans(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
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
                p(unit_short(s.unit), st["cell"]),
                p(s.scanned or "—", st["cell"]),
                p(s.actor or "—", st["cell"]),
                p(s.reason, st["cell"]),
            ]
        )
    widths = [12 * mm, 30 * mm, 18 * mm, 40 * mm, 18 * mm, 60 * mm]
    return [*out, grid(rows, widths)]


def _case_corrections(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    cs = data.case.case_corrections
    if not cs:
        return []
    rows: list[list[object]] = [[p("Corrections of the case record", st["head"])]]
    rows += [[c] for c in _correction_rows(cs, st)]
    return [
        Spacer(1, 3 * mm),
        grid(rows, [178 * mm], extra=[("BACKGROUND", (0, 1), (-1, -1), base.CORRECTION_BG)]),
    ]


def _review(st: dict) -> Table:  # type: ignore[type-arg]
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


def story(data: CustodyReportData) -> list[Flowable]:
    st = base.styles()
    c = data.case
    events = sum(len(u.events) for u in c.units)
    out: list[Flowable] = [
        p("Chain-of-custody report", st["title"]),
        p(
            f"{len(c.units)} unit(s), {events} custody entries, read from the cart-chain "
            "ledger. Times are local to the workstation that generated the report, with "
            "their zone.",
            st["small"],
        ),
        Spacer(1, 4 * mm),
        _identity(data, st),
        Spacer(1, 3 * mm),
        _integrity(data, st),
        *_open_deviations(data, st),
        *_case_corrections(data, st),
        KeepTogether([p("Timing summary", st["h2"]), _timing(data.timings, st)]),
    ]
    for u in c.units:
        out += _unit(u, st)
    out += _patient_events(data, st)
    out += _overrides(data, st)
    out += _labels(data, st)
    out += _scans(data, st)
    out += [
        CondPageBreak(35 * mm),
        p("Review", st["h2"]),
        _review(st),
        Spacer(1, 3 * mm),
        p(f"End of report {data.report_id}.", st["small"]),
    ]
    return out


def render(data: CustodyReportData, path: Path) -> None:
    """Write the custody report PDF for ``data`` to ``path``."""
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
