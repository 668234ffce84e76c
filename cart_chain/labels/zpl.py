"""ZPL II for Zebra printers, and sending it raw to port 9100.

Barcodes are sent as native ZPL commands (^BQ QR, ^BX Data Matrix, ^BC Code 128)
at the plan's positions and module sizes, so the printer draws them at full
precision. Code 128 is sent in ZPL's automatic mode (^BC...,A), which switches to
subset C for runs of digits as the plan's encoder does, so the printed symbol is
as wide as planned. ZPL's default mode encodes everything in subset B: the unit
barcode came out wider than planned, ran off the label and over the Data Matrix.
A ^BQ QR code placed with ^FO prints ^BY's bar code height lower than its ^FO
(as zebrash and Labelary, which model the firmware, draw it), so the ZPL sets
that height and moves the QR code up by it.

Everything else (text in the shipped fonts, lines, boxes, the check character boxes)
is sent as one ^GFA graphic rendered from the same plan: the printer's built-in
fonts lack the 0/O and 1/I distinctions and most scripts a patient's name may be
written in. The graphic uses ZPL's ASCII compression ("," ends a row with white, ":"
repeats the row above), which every ZPL II printer understands.
"""

from __future__ import annotations

import socket

from cart_chain.domain.errors import InvalidValue
from cart_chain.labels.plan import Plan, SymbolOp
from cart_chain.labels.png import render_image

DEFAULT_PORT = 9100
#: Dots a ^FO-placed ^BQ QR code prints below its ^FO: the ^BY bar code height,
#: set explicitly to its smallest value.
QR_SHIFT = 10


def _graphic(plan: Plan) -> str:
    img = render_image(plan, symbols=False)
    row_bytes = (plan.width + 7) // 8
    raw = img.tobytes()  # mode "1": 1 = white, rows padded to whole bytes
    lines: list[str] = []
    previous = None
    for r in range(plan.height):
        row = bytes(b ^ 0xFF for b in raw[r * row_bytes : (r + 1) * row_bytes])
        pad = row_bytes * 8 - plan.width
        if pad:
            row = row[:-1] + bytes([row[-1] & (0xFF << pad) & 0xFF])
        text = row.hex().upper()
        if text == previous:
            lines.append(":")
            continue
        previous = text
        stripped = text.rstrip("0")
        lines.append(stripped + "," if len(stripped) < len(text) else text)
    total = row_bytes * plan.height
    return f"^FO0,0^GFA,{total},{total},{row_bytes},{''.join(lines)}^FS"


def _symbol(op: SymbolOp) -> str:
    data = op.symbol.data
    if any(c in data for c in "^~"):
        raise InvalidValue("barcode data may not contain ^ or ~ in ZPL")
    if op.symbol.symbology == "qr":
        # Model 2, magnification = module dots, error correction Q, automatic input mode.
        if op.y < QR_SHIFT:
            raise InvalidValue(
                f"a QR code must start at least {QR_SHIFT} dots below the top of a ZPL label"
            )
        return (
            f"^FO{op.x},{op.y - QR_SHIFT}^BY{op.module},3,{QR_SHIFT}"
            f"^BQN,2,{op.module}^FDQA,{data}^FS"
        )
    if op.symbol.symbology == "datamatrix":
        return f"^FO{op.x},{op.y}^BXN,{op.module},200^FD{data}^FS"
    # Code 128, no interpretation line (the label prints the text itself), automatic
    # subsets (the last parameter, A) so it is as wide as planned.
    return f"^FO{op.x},{op.y}^BY{op.module}^BCN,{op.bar_height},N,N,N,A^FD{data}^FS"


def render_zpl(plan: Plan) -> bytes:
    parts = [
        "^XA",
        "^CI28",  # UTF-8 field data
        f"^PW{plan.width}",
        f"^LL{plan.height}",
        "^LH0,0",
        f"^FX cart-chain {plan.layout.ref} {plan.dpi} dpi serial {plan.data.serial}^FS",
        _graphic(plan),
        *(_symbol(op) for op in plan.ops if isinstance(op, SymbolOp)),
        "^PQ1",
        "^XZ",
    ]
    return ("\n".join(parts) + "\n").encode("ascii")


def parse_printer(text: str) -> tuple[str, int]:
    """``host`` or ``host:port`` (IPv6 in brackets), port 9100 by default."""
    t = text.strip()
    if t.startswith("["):
        host, _, rest = t[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = t.rpartition(":") if ":" in t else (t, "", "")
    if not host:
        raise InvalidValue(f"printer {text!r} must be host or host:port")
    try:
        port = int(port_text) if port_text else DEFAULT_PORT
    except ValueError:
        raise InvalidValue(f"printer port {port_text!r} is not a number") from None
    if not 0 < port < 65536:
        raise InvalidValue(f"printer port {port} is out of range")
    return host, port


def send_raw(host: str, port: int, data: bytes, timeout: float = 10.0) -> None:
    """Send ZPL to a printer's raw port; a refused or timed-out connection raises OSError."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
