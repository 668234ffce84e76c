"""The custody report's evidence: the signed checkpoint made for it, printed and as a QR
code, and the entries its embedded ``custody-evidence.json`` proves.

The checkpoint box lets a paper copy alone witness the ledger's head (scan the QR:
it is the signed note, checkable with Go's ``sumdb/note``); the table prints each
proven entry with its SHA-256, which `cart-chain evidence check` compares with the
attachment so that neither can be swapped without the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Spacer, Table
from reportlab.platypus.flowables import Flowable

from cart_chain.domain.evidence import ATTACHMENT
from cart_chain.reports import base
from cart_chain.reports.base import grid, p
from cart_chain.reports.custody_layout import QrCode

if TYPE_CHECKING:
    # Types only: importing the service module would pull in SQLAlchemy.
    from cart_chain.services.custody_data import CustodyReportData

QR_SIZE = 44 * mm
#: The column of the checkpoint's values. A root hash that wrapped here (a proportional
#: font, wide letters) was read back split, and `evidence check` refused a genuine
#: report; in the "hash" style every 44-character root fits on one line.
VALUE_WIDTH = 100 * mm


def _missing(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    return [
        Spacer(1, 3 * mm),
        p(f"This report carries no signed checkpoint: {data.no_evidence}.", st["alert"], bold=True),
    ]


def checkpoint_box(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """The signed checkpoint in words and as a QR code of its full text."""
    ev = data.evidence
    if ev is None:
        return _missing(data, st)
    shown = ev.shown
    rows = [
        [p("Log origin", st["key"]), p(shown.origin, st["value"])],
        [p("Tree size", st["key"]), p(str(shown.head.size), st["valueb"], bold=True)],
        [p("Root hash", st["key"]), p(shown.root_b64, st["hash"])],
        [p("Key fingerprint", st["key"]), p(ev.fingerprint, st["value"])],
        [p("Verifier key", st["key"]), p(ev.evidence.vkey, st["small"])],
        [
            "",
            p(
                f"Signed checkpoint recorded as ledger entry {ev.recorded_seq}; the QR code holds "
                f"its full signed note. The file {ATTACHMENT} attached to this PDF proves "
                f"each of the {len(ev.evidence.entries)} entries this report shows is in "
                "that tree. Check it offline, with no database: 'cart-chain evidence check "
                "REPORT.pdf --vkey KEY' with the site's verifier key obtained from the site "
                "itself (the key printed here only proves the file is self-consistent).",
                st["small"],
            ),
        ],
    ]
    words = Table(
        rows,
        colWidths=[28 * mm, VALUE_WIDTH],
        style=base.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        ),
    )
    box = Table(
        [[words, QrCode(ev.evidence.checkpoint, QR_SIZE)]],
        colWidths=[130 * mm, 48 * mm],
        style=base.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.6, base.RULE),
                ("LINEBEFORE", (0, 0), (0, -1), 3, base.ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
    )
    return [Spacer(1, 3 * mm), p("Signed checkpoint", st["h3"]), box]


def proven_entries(data: CustodyReportData, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """Every entry the attachment proves, with its SHA-256 (the Merkle leaf data)."""
    ev = data.evidence
    if ev is None:
        return []
    rows: list[list[object]] = [
        [p(h, st["head"]) for h in ("Entry", "SHA-256 of the entry (Merkle leaf data)")]
    ]
    for e in ev.evidence.entries:
        rows.append([p(f"#{e.seq}", st["cell"]), p(e.leaf_data.hex(), st["cell"])])
    return [
        CondPageBreak(30 * mm),
        p("Entries proven by the signed checkpoint", st["h2"]),
        p(
            f"Each is in the tree of {ev.shown.head.size} entries whose root the checkpoint "
            f"signs; the inclusion proofs are in {ATTACHMENT}.",
            st["small"],
        ),
        Spacer(1, 2 * mm),
        grid(rows, [16 * mm, 162 * mm]),
    ]
