"""Barcode symbols as module grids, drawn identically by every renderer.

QR comes from ``qrcode`` at error-correction level Q (25 % recovery: frost and
condensation on a bag). Data Matrix (ECC 200) and Code 128 come from the zxing-cpp
writer: reportlab only makes a fixed 44 x 44 Data Matrix and pylibdmtx needs a
system library, while zxing-cpp is one wheel and is the same project as the
decoder the tests read the labels back with.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Quiet zone in modules on each side: QR 4 (ISO 18004), Code 128 10 (ISBT 128),
#: Data Matrix 2 (ISO 16022 asks for 1).
QUIET = {"qr": 4, "datamatrix": 2, "code128": 10}


@dataclass(frozen=True, slots=True)
class Symbol:
    symbology: str
    data: str
    rows: tuple[tuple[bool, ...], ...]  # True = dark; Code 128 has one row

    @property
    def width(self) -> int:
        return len(self.rows[0])

    @property
    def height(self) -> int:
        return len(self.rows)


def _qr(data: str) -> tuple[tuple[bool, ...], ...]:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_Q

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return tuple(tuple(bool(v) for v in row) for row in qr.get_matrix())


def _zxing(data: str, symbology: str) -> tuple[tuple[bool, ...], ...]:
    import zxingcpp

    if symbology == "datamatrix":
        fmt = zxingcpp.BarcodeFormat.DataMatrix
        barcode = zxingcpp.create_barcode(data, fmt, force_square=True)
    else:
        barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.Code128)
    view = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    height, width = view.shape
    raw = view.tobytes()
    rows = tuple(tuple(raw[r * width + c] < 128 for c in range(width)) for r in range(height))
    return rows[:1] if symbology == "code128" else rows


def make_symbol(symbology: str, data: str) -> Symbol:
    rows = _qr(data) if symbology == "qr" else _zxing(data, symbology)
    return Symbol(symbology, data, rows)
