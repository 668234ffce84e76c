"""A report's evidence in and out of its PDF: attach ``custody-evidence.json`` after
rendering, and read it (and the report's text) back for `evidence check`.

reportlab has no embedded-file API, so the attachment is added with pypdf to the
rendered file (an EmbeddedFiles name tree entry any PDF viewer lists). Reading needs
only the PDF: no database, no site key.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.evidence import ATTACHMENT


def attach(path: Path, name: str, data: bytes) -> None:
    """Add the file ``name`` with ``data`` to the PDF at ``path`` (rewritten in place),
    keeping its document information."""
    writer = PdfWriter(clone_from=str(path))
    info = PdfReader(str(path)).metadata
    writer.add_attachment(name, data)
    if info:
        writer.add_metadata({k: str(v) for k, v in info.items()})
    with path.open("wb") as fh:
        writer.write(fh)


def read_report(path: Path) -> tuple[bytes, str]:
    """(the ``custody-evidence.json`` bytes, the report's text) of a report PDF, or
    `InvalidValue` saying why it cannot be read."""
    try:
        reader = PdfReader(str(path))
        found = reader.attachments.get(ATTACHMENT, [])
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except OSError as err:
        raise InvalidValue(f"cannot read {path} ({err.strerror or err})") from None
    except PyPdfError as err:
        raise InvalidValue(f"{path} is not a readable PDF ({err})") from None
    if not found:
        raise InvalidValue(f"{path} carries no {ATTACHMENT}: it is not a self-proving report")
    if len(found) > 1:
        raise InvalidValue(f"{path} carries {len(found)} files named {ATTACHMENT}")
    return found[0], text
