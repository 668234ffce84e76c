"""Each label kind printed through the app's Qt print path to a real CUPS queue.

The queue is a cups-pdf printer (Debian's printer-driver-cups-pdf; `.ci/run`
installs CUPS, starts it and adds one). The label is issued by the labels service
as the print dialog issues it, printed by `ui.label_output.print_to_queue` (what
the dialog calls), and the PDF that CUPS writes is checked: its page is the
template's size and every symbol on it decodes to the planned data. Skipped, with
the reason, where no cups-pdf queue is set up.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader

from cart_chain.domain.label_layout import KINDS, load_layout
from cart_chain.labels.plan import SymbolOp, plan
from cart_chain.labels.printing import print_label
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, unit_of, walk
from tests.labels.helpers import decode, pdf_to_image

CONF = Path("/etc/cups/cups-pdf.conf")
FORMATS = {"qr": "QRCode", "datamatrix": "DataMatrix", "code128": "Code128"}


def _queue() -> str:
    """The cups-pdf queue: $CART_CHAIN_CUPS_QUEUE, else the first one `lpstat -v` lists."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        pytest.skip("CUPS is not installed (no lpstat): the CUPS print path is not tested")
    done = subprocess.run([lpstat, "-v"], capture_output=True, text=True, timeout=30)
    queues = re.findall(r"^device for (\S+): cups-pdf:/", done.stdout, re.MULTILINE)
    wanted = os.environ.get("CART_CHAIN_CUPS_QUEUE")
    if wanted:
        if wanted not in queues:
            pytest.fail(f"CART_CHAIN_CUPS_QUEUE={wanted} is not a cups-pdf queue: {done.stdout}")
        return wanted
    if not queues:
        pytest.skip(
            "no cups-pdf queue in CUPS (lpstat -v: "
            f"{(done.stdout or done.stderr).strip() or 'nothing'}): the CUPS print path is "
            "not tested; add one with `lpadmin -p cart-chain-pdf -E -v cups-pdf:/ -m "
            "lsb/usr/cups-pdf/CUPS-PDF_noopt.ppd`"
        )
    return queues[0]


def _output_dir() -> Path:
    """Where cups-pdf writes this user's jobs (its `Out` setting, ${HOME}/PDF by default)."""
    out = "${HOME}/PDF"
    if CONF.exists():
        for line in CONF.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip().startswith("Out "):
                out = line.split(None, 1)[1].strip()
    user = os.environ.get("USER") or Path.home().name
    return Path(out.replace("${HOME}", str(Path.home())).replace("${USER}", user))


def _wait_for_pdf(folder: Path, token: str, timeout: float = 90.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob(f"*{token}*.pdf")) if folder.exists() else []
        if found:
            data = found[0].read_bytes()
            if data.rstrip().endswith(b"%%EOF"):
                found[0].unlink()
                return data
        time.sleep(0.5)
    pytest.fail(f"CUPS wrote no PDF for job {token} into {folder} within {timeout:.0f} s")


@pytest.mark.slow
def test_each_label_kind_prints_through_cups_at_its_size_and_scans(
    qapp: object, ready_db: Database
) -> None:
    from cart_chain.ui.label_output import label_from_png, print_to_queue

    queue = _queue()
    folder = _output_dir()
    unit = unit_of(enrol(ready_db, bags=1))
    walk(ready_db, unit, 1)
    for kind in KINDS:
        layout = load_layout(kind)
        printed = print_label(ready_db, unit, kind, creds("alice"), destination=f"printer {queue}")
        label = label_from_png(
            printed.output, layout.width_mm, layout.height_mm, printed.dpi, str(printed.serial)
        )
        token = f"cart-chain-test-{kind}-{uuid.uuid4().hex[:12]}"
        print_to_queue(queue, label, token)
        pdf = _wait_for_pdf(folder, token)

        (page,) = PdfReader(io.BytesIO(pdf)).pages
        width_pt, height_pt = layout.width_mm / 25.4 * 72, layout.height_mm / 25.4 * 72
        assert float(page.mediabox.width) == pytest.approx(width_pt, abs=1.0), kind
        assert float(page.mediabox.height) == pytest.approx(height_pt, abs=1.0), kind
        ops = [op for op in plan(layout, printed.data, printed.dpi).ops if isinstance(op, SymbolOp)]
        expected = sorted((FORMATS[op.symbol.symbology], op.symbol.data) for op in ops)
        assert decode(pdf_to_image(pdf, printed.dpi)) == expected, kind
