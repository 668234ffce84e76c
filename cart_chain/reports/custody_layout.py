"""What every section of the custody report draws with: durations, step names,
short unit ids, signature manifestations, correction rows and the QR symbol.

Kept apart from the sections so that a new section (a module of its own) reuses
them without importing another section.
"""

from __future__ import annotations

import qrcode
import qrcode.constants
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph
from reportlab.platypus.flowables import Flowable

from cart_chain.domain.errors import CartChainError
from cart_chain.domain.identifiers import UnitId, parse_any
from cart_chain.domain.steps import Step
from cart_chain.reports import fonts
from cart_chain.reports.base import p, when_local
from cart_chain.services.views import CorrectionView, DeviationView, SignatureView

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
    """A QR symbol, drawn as filled squares.

    Drawn directly rather than through reportlab's graphics renderer, which
    declares an unembedded Helvetica in every page it touches. Its payload is an
    identifier or a signed checkpoint, never a name (DOMAIN: QR codes carry
    identifiers only).
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


def signatures(sigs: tuple[SignatureView, ...], st: dict) -> list[Paragraph]:  # type: ignore[type-arg]
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


def unit_id(code: str) -> UnitId | None:
    """The unit a stored code names; None for anything else (shown as it was stored)."""
    try:
        ident = parse_any(code)
    except CartChainError:
        return None
    return ident if isinstance(ident, UnitId) else None


def unit_short(code: str | None) -> str:
    """``U01 [2]`` for a full unit id: the COI is already in the report header."""
    if not code:
        return "—"
    ident = unit_id(code)
    return code if ident is None else f"U{ident.number:02d} [{ident.check}]"


def unit_full(code: str | None) -> str:
    """The bag a refused scan named, grouped in full: often another patient's bag, so
    the short ``U01`` form (which assumes the report's own COI) would mislead."""
    if not code:
        return "—"
    ident = unit_id(code)
    return code if ident is None else ident.grouped()


#: QA's decisions as a report states them.
DECISION_WORDS = {
    "accept": "accepted by QA",
    "reject": "REJECTED by QA",
    "quarantine": "in QUARANTINE by QA",
}


def decision_text(d: DeviationView) -> str:
    """QA's decision with who made it and when, or that it is still waiting for one."""
    if d.decision is None:
        return "OPEN — not reviewed by QA"
    text = DECISION_WORDS.get(d.decision, f"{d.decision} by QA")
    if d.reviewed_by:
        text += f" ({d.reviewed_by}"
        text += f", {when_local(d.reviewed_at)})" if d.reviewed_at else ")"
    elif d.reviewed_at:
        text += f" ({when_local(d.reviewed_at)})"
    return f"{text}: {d.reason}" if d.reason else text


def correction_text(c: CorrectionView) -> str:
    if c.field == "void":
        what = "step voided (struck from the chain; the original stays in the ledger)"
    else:
        old = "—" if c.old_value in (None, "") else c.old_value
        new = "—" if c.new_value in (None, "") else c.new_value
        what = f"{c.field}: original “{old}” → corrected “{new}”"
    return f"Correction entry #{c.seq}, recorded {when_local(c.recorded_at)}: {what}."


def correction_rows(cs: tuple[CorrectionView, ...], st: dict) -> list[Paragraph]:  # type: ignore[type-arg]
    out = []
    for c in cs:
        out.append(p(correction_text(c), st["cell"]))
        out.append(p(f"Reason: {c.reason}", st["cell"]))
        for s in c.signatures:
            out.append(p(f"Signed — {_signature(s)}", st["cell"]))
    return out
