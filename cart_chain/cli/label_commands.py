"""`cart-chain label` (print a label, recorded in the ledger) and `cart-chain scan`.

`scan` only reads: every refusal is one line on stderr and exit status 1, with
``--json`` also a JSON object on stdout naming the refusal, so scripts and
scanner stations can tell the refusals apart without parsing messages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cart_chain.cli.common import USER_ENV, emit_json, open_db, scan_source, signer, when
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import CartChainError, UsageError

if TYPE_CHECKING:
    from cart_chain.services.scanning import ScanResult


def _deliver(
    out: Path | None, printer: tuple[str, int] | None, overwrite: bool
) -> Callable[[bytes], None]:
    from cart_chain.services.outfiles import write_export

    def deliver(data: bytes) -> None:
        if out is not None:  # private temporary file, flushed, then named
            write_export(out, data, overwrite=overwrite)
        if printer is not None:
            from cart_chain.labels.zpl import send_raw

            send_raw(printer[0], printer[1], data)

    return deliver


def cmd_label(args: argparse.Namespace) -> int:
    from cart_chain.labels.printing import print_label
    from cart_chain.labels.render import format_of
    from cart_chain.labels.zpl import parse_printer
    from cart_chain.services.outfiles import target

    if args.out is None and args.printer is None:
        raise UsageError("say where the label goes: --out FILE (.png, .pdf, .zpl) or --printer")
    out = Path(args.out) if args.out else None
    fmt = format_of(out) if out is not None else "zpl"
    printer = parse_printer(args.printer) if args.printer else None
    if printer is not None and fmt != "zpl":
        raise UsageError("--printer sends ZPL: give --out a .zpl file or leave --out out")
    if out is not None:  # refused before anyone signs: a missing folder, an existing file
        target(out, overwrite=args.overwrite)
    by = signer(args.by, "printed by", PasswordSource())
    destination = f"{args.printer}" if printer else None
    if out is not None:
        destination = f"{out.name}" + (f" + {destination}" if destination else "")
    printed = print_label(
        open_db(args),
        args.unit,
        args.kind,
        by,
        fmt=fmt,
        dpi=args.dpi,
        reason=args.reason,
        step=args.step,
        layout_path=args.layout,
        destination=destination,
        deliver=_deliver(out, printer, args.overwrite),
        expect=args.expect,
        source=scan_source(args),
    )
    if args.json:
        emit_json(
            {
                "entry": printed.receipt.seq,
                "payload": printed.payload,
                "unit": printed.unit,
                "kind": printed.kind,
                "serial": printed.data.serial,
                "voided": printed.voided,
                "format": printed.fmt,
                "dpi": printed.dpi,
                "out": str(out) if out else None,
                "printer": args.printer,
            }
        )
        return 0
    where = " and ".join(
        x for x in (str(out) if out else "", f"printer {args.printer}" if printer else "") if x
    )
    print(
        f"printed {printed.kind} label {printed.data.serial} of {printed.data.unit_grouped} "
        f"[{printed.data.unit_check}] ({printed.fmt.upper()}, {printed.dpi} dpi) to {where}; "
        f"ledger entry {printed.receipt.seq}"
    )
    if printed.voided:
        from cart_chain.domain.labelcode import to_base36

        voided = ", ".join(to_base36(s) for s in printed.voided)
        print(f"voided earlier {printed.kind} label(s): {voided}")
    return 0


def cmd_label_void(args: argparse.Namespace) -> int:
    from cart_chain.services.labels import void_label

    by = signer(args.by, "voided by", PasswordSource())
    receipt = void_label(
        open_db(args), by, args.payload, args.reason, expect=args.expect, source=scan_source(args)
    )
    print(f"label {args.payload.strip()} voided; ledger entry {receipt.seq}")
    return 0


def cmd_label_list(args: argparse.Namespace) -> int:
    from cart_chain.services.labels import list_labels

    labels = list_labels(open_db(args), args.unit)
    if args.json:
        emit_json(labels)
        return 0
    for lbl in labels:
        state = f"VOID ({lbl.void_reason})" if lbl.voided else "valid"
        why = f"  reason: {lbl.reason}" if lbl.reason else ""
        print(
            f"{lbl.serial_text}  {lbl.layout:<24} {when(lbl.printed_at)}  {lbl.printed_by:<10} "
            f"at {lbl.step:<24} {lbl.payload}  {state}{why}"
        )
    return 0


def _read_scan() -> str:
    """One scan from standard input: the first non-blank line (a wedge types it + Enter)."""
    for line in sys.stdin:
        if line.strip():
            return line
    return ""


def print_scan(r: ScanResult, expect: str | None) -> None:
    head = f"unit {r.unit.grouped}   bag {r.unit.number} of {r.unit.of}" if r.unit else "case"
    print(f"OK  {head}")
    print(f"COI       {r.coi_grouped}" + ("   (matches the expected COI)" if expect else ""))
    print(f"Patient   {r.patient_name}   born {r.patient_dob}   (compare with the wristband)")
    print(f"Product   {r.product}")
    if r.label is not None:
        lbl = r.label
        print(
            f"Label     {lbl.serial_text}, {lbl.kind} label printed {when(lbl.printed_at)} "
            f"by {lbl.printed_by_name} at {lbl.step}: valid"
        )
    units = (r.unit,) if r.unit else r.units
    for u in units:
        holder = f"{u.custodian_name} ({u.custodian})" if u.custodian else "-"
        prefix = "" if r.unit else f"U{u.number:02d}  "
        print(
            f"{prefix}Step      {u.current_step or 'none yet'};  held by {holder};  "
            f"at {u.location or '-'}"
        )
        print(f"{prefix}Next      {', '.join(u.next_steps) or 'nothing (chain complete)'}")
    if r.step:
        print(f"Checked   {r.step} is allowed next")


def cmd_scan(args: argparse.Namespace) -> int:
    from cart_chain.services.scanning import refusal_code, scan

    text = args.payload if args.payload is not None else _read_scan()
    try:
        db = open_db(args, read_only=True)
        result = scan(db, text, expect=args.expect, step=args.step, source=scan_source(args))
    except CartChainError as exc:
        if args.json:
            emit_json(
                {
                    "ok": False,
                    "refusal": refusal_code(exc) or type(exc).__name__,
                    "message": str(exc),
                }
            )
        raise
    if args.json:
        emit_json({"ok": True, **_as_dict(result)})
    else:
        print_scan(result, args.expect)
    return 0


def _as_dict(result: ScanResult) -> dict[str, object]:
    from cart_chain.services.views import to_json

    value = to_json(result)
    assert isinstance(value, dict)
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from cart_chain.domain.label_layout import DPIS, KINDS

    p = sub.add_parser(
        "label",
        help="print a unit's label to a file or a Zebra printer (recorded in the ledger)",
        description="Print a label. The format follows the file extension: .png (at the "
        "printer resolution), .pdf (exact label size) or .zpl (ZPL II). A second label of "
        "the same kind for a unit is a reprint: it needs --reason and voids the earlier one.",
    )
    p.add_argument("unit", metavar="UNIT", help="unit id with check character, or a label code")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument(
        "--expect",
        metavar="COI",
        help="the case at hand: a bag of another case is refused (and recorded)",
    )
    p.add_argument("--out", metavar="FILE", help="write the label to FILE (.png, .pdf, .zpl)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    p.add_argument("--dpi", type=int, choices=DPIS, help="printer resolution (default: template)")
    p.add_argument("--by", metavar="USER", help=f"who prints (default ${USER_ENV})")
    p.add_argument("--reason", help="why a label is reprinted (required for a reprint)")
    p.add_argument(
        "--printer", metavar="HOST[:PORT]", help="send ZPL raw over TCP (port 9100 by default)"
    )
    p.add_argument("--step", help="the step the label is printed at (default: the current one)")
    p.add_argument("--layout", metavar="FILE", help="use this template file instead of the shipped")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_label)

    p = sub.add_parser(
        "label-void", help="void a printed label (destroyed, spoiled) without reprinting"
    )
    p.add_argument("payload", metavar="LABEL_CODE", help="the label's code as scanned")
    p.add_argument("--reason", required=True)
    p.add_argument(
        "--expect",
        metavar="COI",
        help="the case at hand: a bag of another case is refused (and recorded)",
    )
    p.add_argument("--by", metavar="USER", help=f"who voids it (default ${USER_ENV})")
    p.set_defaults(handler=cmd_label_void)

    p = sub.add_parser("label-list", help="every label printed for a unit, with its status")
    p.add_argument("unit", metavar="UNIT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_label_list)

    p = sub.add_parser(
        "scan",
        help="resolve a scanned or typed code and check it against the case (writes nothing)",
        description="Resolve a label code, unit id or COI to its case and unit. Refuses, with "
        "exit status 1: malformed input, a failed check character, an unknown unit or label, "
        "a unit of another patient than --expect, a step not allowed next, a voided label. "
        "Without PAYLOAD, reads one scan from standard input.",
    )
    p.add_argument("payload", metavar="PAYLOAD", nargs="?")
    p.add_argument("--expect", metavar="COI", help="the case being worked on; another refuses")
    p.add_argument("--step", help="the step about to be recorded; refused if not allowed next")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_scan)
