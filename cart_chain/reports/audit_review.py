"""What the audit PDF prints besides its rows: ids grouped for reading, and the
review block QA signs on paper at the end of an audit.

Kept out of `audit` (the streaming writer) so that module stays about paging rows.
"""

from __future__ import annotations

import functools

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from cart_chain.domain.errors import CartChainError
from cart_chain.domain.identifiers import parse_any
from cart_chain.reports import base, fonts
from cart_chain.reports.pdf_stream import StreamCanvas

#: Title, column labels and the empty row to sign in, with the space under it.
REVIEW_HEIGHT = 34 * mm
#: The review block's boxes: what each holds and its share of the width.
REVIEW_BOXES = (("Reviewed by (printed name)", 0.4), ("Signature", 0.35), ("Date and time", 0.25))


@functools.lru_cache(maxsize=4096)
def grouped(code: str) -> str:
    """A COI or unit id in the groups staff read aloud (``CH A9999 26 …``); as is otherwise.

    An auditor compares ids across rows and with labels: a 20-character run is
    easy to misread, and the labels and the custody report print them grouped.
    """
    try:
        return parse_any(code).grouped()
    except (CartChainError, ValueError):
        return code


def draw_review(canvas: Canvas | StreamCanvas, x: float, top: float, width: float) -> float:
    """Draw the review block with its top at ``top``; returns the y under it.

    The audit trail is filed with QA's signature: who reviewed it, their
    signature and the date, as on the custody report.
    """
    canvas.setFillColor(base.ACCENT)
    fonts.draw_text(canvas, x, top - 10, "Review", 10, bold=True)
    label_y = top - 24
    box_top = label_y + 9
    box_bottom = label_y - 3 - 14 * mm
    canvas.setStrokeColor(base.RULE)
    canvas.setLineWidth(0.6)
    canvas.rect(x, box_bottom, width, box_top - box_bottom, stroke=1, fill=0)
    canvas.setLineWidth(0.4)
    canvas.line(x, label_y - 3, x + width, label_y - 3)
    left = x
    for i, (label, share) in enumerate(REVIEW_BOXES):
        if i:
            canvas.line(left, box_top, left, box_bottom)
        canvas.setFillColor(base.MUTED)
        fonts.draw_text(canvas, left + 4, label_y, label, 8)
        left += share * width
    return box_bottom - 6
