"""`cart-chain report custody|audit`: PDF custody reports and audit exports.

Every export needs a user (``--by`` or $CART_CHAIN_USER, then a password) because
each one is recorded in the ledger: who exported which report, to which file,
with its SHA-256 and the checkpoint it printed. A report whose `verify` failed
is still written - the reviewer must see the failure - but the command exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cart_chain.cli.common import open_db, signer
from cart_chain.cli.prompt import PasswordSource

if TYPE_CHECKING:
    from cart_chain.services.exports import ExportResult

#: Below this many entries an export is quick and prints no progress.
PROGRESS_FROM = 2000


class TerminalProgress:
    """Progress on stderr: one rewritten line on a terminal, a line per step otherwise."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last = 0.0
        self.shown = False
        self.step = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "verify":
            self._emit(f"verifying the ledger: {done} entries checked", final=False)
            return
        if total < PROGRESS_FROM:
            return
        now = time.monotonic()
        finished = done >= total
        pct = 100 * done // max(total, 1)
        if self.tty:
            if finished or now - self.last >= 0.2:
                self.last = now
                self._emit(f"exporting: {done}/{total} entries ({pct}%)", final=finished)
        elif finished or pct >= self.step:
            self.step = pct - pct % 10 + 10
            self._emit(f"exporting: {done}/{total} entries ({pct}%)", final=True)

    def _emit(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write(f"\r\x1b[2K{text}" + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown = True


def _summary(result: ExportResult, what: str) -> int:
    led = result.ledger
    print(f"wrote {what} {result.path}")
    print(f"  report id   {result.report_id}")
    print(f"  entries     {result.entries}")
    print(f"  sha256      {result.sha256}")
    print(f"  checkpoint  {led.checkpoint}")
    print(f"  verify      {'passed' if led.verified else 'FAILED: ' + str(led.problem)}")
    if led.verified and led.scope:
        print(f"              {led.scope}")
    print(f"  recorded as ledger entry {result.receipt.seq}")
    ev = result.evidence
    if ev is not None:
        print(
            f"  evidence    checkpoint {ev.shown.short} (tree of {ev.shown.head.size}, "
            f"entry {ev.recorded_seq}) proving {len(ev.evidence.entries)} entries; check it "
            f"with 'cart-chain evidence check {result.path} --vkey KEY'"
        )
    if not led.verified:
        print(
            "cart-chain: the ledger failed verification; the report says so on every page",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_report_custody(args: argparse.Namespace) -> int:
    from cart_chain.reports.custody import render
    from cart_chain.services.exports import export_custody

    by = signer(args.by, "exported by", PasswordSource())
    result = export_custody(
        open_db(args), by, args.coi, Path(args.out), render, overwrite=args.overwrite
    )
    return _summary(result, "custody report")


def cmd_report_audit(args: argparse.Namespace) -> int:
    from cart_chain.reports.audit import writer_for
    from cart_chain.services.audit_rows import audit_filters
    from cart_chain.services.exports import export_audit

    out = Path(args.out)
    write = writer_for(out)
    filters = audit_filters(args.start, args.end, args.user, args.case)
    by = signer(args.by, "exported by", PasswordSource())
    result = export_audit(
        open_db(args), by, filters, out, write, TerminalProgress(), overwrite=args.overwrite
    )
    return _summary(result, "audit export")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = sub.add_parser("report", help="PDF custody reports and audit exports")
    rs = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)

    p = rs.add_parser(
        "custody",
        help="custody report of one case (PDF)",
        description="The whole chain of one case, with signatures, corrections, labels, "
        "refused scans, timings and the ledger checkpoint. The export is recorded in "
        "the ledger.",
    )
    p.add_argument("coi", metavar="COI")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--by", metavar="USER", help="who exports (default: $CART_CHAIN_USER)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    p.set_defaults(handler=cmd_report_custody)

    p = rs.add_parser(
        "audit",
        help="audit trail of ledger entries (PDF or CSV)",
        description="Every ledger entry in the range: sequence, time, user, action, case "
        "and unit, before and after values of corrections. DATE is YYYY-MM-DD (a whole "
        "local day) or an ISO 8601 time; both ends are included. CSV is UTF-8 with BOM. "
        "The export is recorded in the ledger.",
    )
    p.add_argument("--from", dest="start", metavar="DATE")
    p.add_argument("--to", dest="end", metavar="DATE")
    p.add_argument("--user", metavar="USER", help="entries made, signed by or about USER")
    p.add_argument("--case", metavar="COI", help="entries about one case")
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.csv")
    p.add_argument("--by", metavar="USER", help="who exports (default: $CART_CHAIN_USER)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    p.set_defaults(handler=cmd_report_audit)
