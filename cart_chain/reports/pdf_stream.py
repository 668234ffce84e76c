"""A PDF written page by page, so a report of tens of thousands of pages keeps flat memory.

reportlab's canvas keeps every finished page (its objects and compressed
stream, about 5 kB) until the file is saved, and its save then formats the
whole file in memory before writing it: the audit PDF of a 1M-entry ledger
(70,000 pages, 204 MB) peaked at 1.1 GB. `StreamCanvas` writes each page's
content stream and page object as the page ends and keeps only their file
offsets, 16 bytes a page.

It draws what the audit PDF draws, with the same method names as reportlab's
canvas so the drawing code and `fonts.draw_text` work on either: text in the
shipped TrueType fonts, rectangles, lines, colours, and one form XObject filled
in after the last page ("of N" pages). Font metrics and subsetting stay
reportlab's: `TTFont.splitString` gives each character a code in a 256-glyph
subset when it is first drawn, and the subsets (with a ToUnicode map, so the
text can be searched and extracted) are embedded when the file is closed.
Pages, fonts and the shared resources are written as in any PDF 1.4, so any
reader opens the file; the tests read it back with pypdf and poppler.
"""

from __future__ import annotations

import contextlib
import hashlib
import zlib
from array import array
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont, makeToUnicodeCMap

# Objects whose numbers are fixed before the first page, written at the end.
CATALOG, PAGES, RESOURCES, INFO, FORM = 1, 2, 3, 4, 5
FIRST_FREE = 6
#: Page references and xref lines are written this many at a time.
BATCH = 2000


class Colour(Protocol):
    red: float
    green: float
    blue: float


def _escape(b: int) -> str:
    if b in b"()\\":
        return "\\" + chr(b)
    return chr(b) if 32 <= b < 127 else f"\\{b:03o}"


#: Each byte as it is written inside a literal string: parentheses and backslashes
#: escaped, and every byte outside printable ASCII as an octal escape (a raw CR would
#: be read back as LF).
_LITERAL = str.maketrans({chr(b): _escape(b) for b in range(256)})
#: Text runs kept already encoded, per canvas: audit rows repeat names, actions, dates.
SHOWN_CACHE = 20_000


def _literal(data: bytes) -> str:
    """A PDF literal string of ``data``."""
    return "(" + data.decode("latin-1").translate(_LITERAL) + ")"


def _nums(*values: float) -> str:
    """Coordinates to a thousandth of a point (reportlab's `fp_str` was a fifth of the
    time of a page, in Python)."""
    return " ".join([f"{v:.3f}" for v in values])


def _text(value: str) -> bytes:
    """A PDF text string (document information): ASCII as is, else UTF-16BE with a BOM."""
    if value.isascii():
        return _literal(value.encode("ascii")).encode("ascii")
    return b"<feff" + value.encode("utf-16-be").hex().encode() + b">"


def _name(value: str) -> bytes:
    """A PDF name; ours are ASCII letters, digits and ``+``."""
    return b"/" + value.encode("ascii")


class StreamCanvas:
    """A write-only canvas over ``path``; call `save` once, after the last `showPage`."""

    def __init__(self, path: Path | str, pagesize: tuple[float, float]) -> None:
        self._fh: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in save or close
        self._offset = 0
        self._offsets = array("Q", [0] * FIRST_FREE)  # by object number; 0 is the free entry
        self._pages = array("Q")
        #: The page size as written in every page's MediaBox and the form's BBox.
        self._box = b"0 0 " + fp_str(*pagesize).encode()
        self._ops: list[str] = []
        self._target = self._ops  # the page's operators, or the form's while it is drawn
        self._form: list[str] | None = None
        self._form_name = ""
        self._font: tuple[str, float] | None = None
        self._stack: list[tuple[str, float] | None] = []
        self._fonts: dict[str, str] = {}  # reportlab font name -> our PDF name prefix
        self._shown: dict[tuple[str, float, str], str] = {}
        self._info: dict[str, str] = {}
        self._digest = hashlib.sha256()
        self._created = datetime.now(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    # -- document information ---------------------------------------------------

    def setTitle(self, value: str) -> None:
        self._info["Title"] = value

    def setAuthor(self, value: str) -> None:
        self._info["Author"] = value

    def setSubject(self, value: str) -> None:
        self._info["Subject"] = value

    def setCreator(self, value: str) -> None:
        self._info["Creator"] = value

    def setProducer(self, value: str) -> None:
        self._info["Producer"] = value

    # -- drawing ----------------------------------------------------------------

    def setFillColor(self, c: Colour) -> None:
        self._target.append(f"{_nums(c.red, c.green, c.blue)} rg")

    def setStrokeColor(self, c: Colour) -> None:
        self._target.append(f"{_nums(c.red, c.green, c.blue)} RG")

    def setLineWidth(self, width: float) -> None:
        self._target.append(f"{_nums(width)} w")

    def rect(
        self, x: float, y: float, width: float, height: float, stroke: int = 1, fill: int = 0
    ) -> None:
        paint = {(1, 1): "B", (0, 1): "f", (1, 0): "S"}.get((bool(stroke), bool(fill)), "n")
        self._target.append(f"{_nums(x, y, width, height)} re {paint}")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._target.append(f"{_nums(x1, y1)} m {_nums(x2, y2)} l S")

    def setFont(self, name: str, size: float) -> None:
        self._font = (name, size)

    def drawString(self, x: float, y: float, text: str) -> None:
        if self._font is None:
            raise ValueError("setFont before drawString")
        key = (*self._font, text)
        shown = self._shown.get(key)
        if shown is None:
            shown = self._show(*key)
        self._target.append(f"BT 1 0 0 1 {x:.3f} {y:.3f} Tm {shown} ET")

    def _show(self, name: str, size: float, text: str) -> str:
        """``text`` in ``name`` as PDF text operators: a run for each font subset."""
        font = pdfmetrics.getFont(name)
        if not isinstance(font, TTFont):
            raise ValueError(f"{name} is not an embedded TrueType font")
        prefix = self._fonts.setdefault(name, f"F{len(self._fonts) + 1}")
        # The codes splitString gives a character the first time it is drawn are its
        # codes for the whole document, so the operators can be kept and reused.
        shown = " ".join(
            f"/{prefix}+{subset} {size:.3f} Tf {_literal(codes)} Tj"
            for subset, codes in font.splitString(text, self)
        )
        if len(self._shown) >= SHOWN_CACHE:
            self._shown.clear()
        self._shown[(name, size, text)] = shown
        return shown

    def drawRightString(self, x: float, y: float, text: str) -> None:
        if self._font is None:
            raise ValueError("setFont before drawRightString")
        name, size = self._font
        self.drawString(x - pdfmetrics.stringWidth(text, name, size), y, text)

    def saveState(self) -> None:
        self._stack.append(self._font)
        self._target.append("q")

    def restoreState(self) -> None:
        self._font = self._stack.pop()
        self._target.append("Q")

    def translate(self, dx: float, dy: float) -> None:
        self._target.append(f"1 0 0 1 {_nums(dx, dy)} cm")

    def doForm(self, name: str) -> None:
        """Draw the one form, which `beginForm`/`endForm` fill in later."""
        if self._form_name and name != self._form_name:
            raise ValueError(f"one form per document, not {name} beside {self._form_name}")
        self._form_name = name
        self._target.append("/X0 Do")

    def beginForm(self, name: str) -> None:
        if self._form is not None or (self._form_name and name != self._form_name):
            raise ValueError(f"the form {name} is drawn once")
        self._form_name = name
        self._form = self._target = []
        self._stack.append(self._font)

    def endForm(self) -> None:
        self._font = self._stack.pop()
        self._target = self._ops

    def showPage(self) -> None:
        """Write the page just drawn; nothing of it stays in memory."""
        contents = self._stream(b"", "\n".join(self._ops).encode("latin-1"))
        page = self._object(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [%s] /Resources %d 0 R "
            b"/Contents %d 0 R >>" % (PAGES, self._box, RESOURCES, contents)
        )
        self._pages.append(page)
        self._ops.clear()
        self._font = None
        self._stack.clear()

    # -- the file ---------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._fh.write(data)
        self._digest.update(data)
        self._offset += len(data)

    def _object(self, body: bytes, number: int | None = None) -> int:
        if number is None:
            number = len(self._offsets)
            self._offsets.append(self._offset)
        else:
            self._offsets[number] = self._offset
        self._write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        return number

    def _stream(self, entries: bytes, data: bytes, number: int | None = None) -> int:
        packed = zlib.compress(data)
        head = b"<< /Filter /FlateDecode /Length %d %s>>\nstream\n" % (len(packed), entries)
        return self._object(head + packed + b"\nendstream", number)

    def _embed_fonts(self) -> dict[str, int]:
        """Each subset of each font drawn: its glyphs, widths, descriptor and ToUnicode map."""
        refs: dict[str, int] = {}
        for name, prefix in self._fonts.items():
            font = pdfmetrics.getFont(name)
            assert isinstance(font, TTFont)
            face = font.face
            state = font.state.pop(self)
            for n, subset in enumerate(state.subsets):
                base = (SUBSETN(n) + b"+" + face.name + face.subfontNameX).decode("latin-1")
                glyphs = face.makeSubset(subset)
                file = self._stream(b"/Length1 %d " % len(glyphs), glyphs)
                flags = (face.flags & ~32) | 4  # symbolic, as reportlab marks its subsets
                descriptor = self._object(
                    b"<< /Type /FontDescriptor /FontName %s /Flags %d /FontBBox [%s] "
                    b"/ItalicAngle %s /Ascent %s /Descent %s /CapHeight %s /StemV %s "
                    b"/MissingWidth %s /FontFile2 %d 0 R >>"
                    % (
                        _name(base),
                        flags,
                        fp_str(*face.bbox).encode(),
                        fp_str(face.italicAngle).encode(),
                        fp_str(face.ascent).encode(),
                        fp_str(face.descent).encode(),
                        fp_str(face.capHeight).encode(),
                        fp_str(face.stemV).encode(),
                        fp_str(face.defaultWidth).encode(),
                        file,
                    )
                )
                cmap = self._stream(b"", makeToUnicodeCMap(base, subset).encode("latin-1"))
                widths = " ".join(fp_str(face.getCharWidth(c)) for c in subset)
                refs[f"{prefix}+{n}"] = self._object(
                    b"<< /Type /Font /Subtype /TrueType /Name %s /BaseFont %s /FirstChar 0 "
                    b"/LastChar %d /Widths [%s] /FontDescriptor %d 0 R /ToUnicode %d 0 R >>"
                    % (
                        _name(f"{prefix}+{n}"),
                        _name(base),
                        len(subset) - 1,
                        widths.encode(),
                        descriptor,
                        cmap,
                    )
                )
        return refs

    def save(self) -> None:
        """Write the form, fonts, page tree, information and cross-reference table."""
        try:
            if self._ops:
                self.showPage()
            if self._form_name:
                body = "\n".join(self._form or []).encode("latin-1")
                self._stream(
                    b"/Type /XObject /Subtype /Form /BBox [%s] /Resources %d 0 R "
                    % (self._box, RESOURCES),
                    body,
                    FORM,
                )
            else:  # its number was kept for it: an object it must still be
                self._object(b"null", FORM)
            fonts = self._embed_fonts()
            font_dict = b" ".join(b"%s %d 0 R" % (_name(k), v) for k, v in fonts.items())
            xobject = b"/XObject << /X0 %d 0 R >> " % FORM if self._form_name else b""
            self._object(
                b"<< /ProcSet [/PDF /Text] /Font << %s >> %s>>" % (font_dict, xobject), RESOURCES
            )
            self._offsets[PAGES] = self._offset
            self._write(b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [" % (PAGES, len(self._pages)))
            for i in range(0, len(self._pages), BATCH):
                self._write(b"".join(b"%d 0 R " % p for p in self._pages[i : i + BATCH]))
            self._write(b"] >>\nendobj\n")
            dates = {"CreationDate": self._created, "ModDate": self._created}
            info = b" ".join(_name(k) + b" " + _text(v) for k, v in {**self._info, **dates}.items())
            self._object(b"<< %s >>" % info, INFO)
            self._object(b"<< /Type /Catalog /Pages %d 0 R >>" % PAGES, CATALOG)
            self._xref()
        finally:
            self._fh.close()

    def _xref(self) -> None:
        start, count = self._offset, len(self._offsets)
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
        for i in range(1, count, BATCH):
            stop = min(i + BATCH, count)
            self._write(b"".join(b"%010d 00000 n \n" % o for o in self._offsets[i:stop]))
        ident = self._digest.hexdigest()[:32].encode()
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (count, CATALOG, INFO, ident, ident, start)
        )

    def close(self) -> None:
        """Give up the file without finishing it (an error while drawing, a full disk):
        the caller removes it, and the error that stopped it is the one to report."""
        with contextlib.suppress(OSError):
            self._fh.close()
