"""``case new | list | show | link``: enrolment and what a case holds."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING

from cart_chain.cli.common import (
    USER_ENV,
    Shown,
    emit_json,
    open_db,
    shown,
    signer,
    when,
)
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.manufacturer import LINK_KINDS

if TYPE_CHECKING:
    from cart_chain.services.views import CaseDetail


def cmd_case_new(args: argparse.Namespace) -> int:
    from cart_chain.services.cases import new_case

    source = PasswordSource()
    by = signer(args.by, "enrolled by", source)
    receipt = new_case(
        open_db(args),
        by,
        args.name,
        args.dob,
        args.mrn,
        args.product,
        args.bags,
        args.profile,
        indication=args.indication,
    )
    print(receipt.subject)
    return 0


def cmd_case_list(args: argparse.Namespace) -> int:
    from cart_chain.services.case_list import list_cases

    cases = list_cases(open_db(args, read_only=True), search=args.search or "")
    if args.json:
        emit_json(cases)
        return 0
    for c in cases:
        steps = ", ".join(f"U{u[-3:-1]}:{s or 'enrolled'}" for u, s in c.unit_steps)
        print(shown(f"{c.coi}  {c.mrn:<12} {c.patient_name:<28} {c.product:<28} {steps}"))
    return 0


def print_case(d: CaseDetail) -> None:
    print(f"COI       {d.grouped}   ({d.coi})")
    print(f"Patient   {d.patient_name}   born {d.patient_dob}   MRN {d.mrn}")
    print(f"Product   {d.product}   (profile {d.profile_id} v{d.profile_version})")
    if d.profile_warnings:
        print(f"Warnings  {'; '.join(d.profile_warnings)}")
    if d.profile_unconfirmed:
        print(f"Unconfirmed handling values: {', '.join(d.profile_unconfirmed)}")
    print(f"Enrolled  {when(d.created_at)} by {d.created_by}   (entry {d.seq})")
    for link in d.links:
        bag = f" (bag {link.unit})" if link.unit else ""
        fixed = f", corrected in entry {link.corrected_in}" if link.corrected_in else ""
        print(
            f"Linked    {LINK_KINDS[link.kind]} {link.value}{bag}   "
            f"(entry {link.seq}, {link.by}{fixed})"
        )
    for c in d.case_corrections:
        print(
            f"  corrected (entry {c.seq}): {c.field} {c.old_value!r} -> {c.new_value!r}; "
            f"reason: {c.reason}"
        )
    for u in d.units:
        print()
        parent = f", split from {u.parent}" if u.parent else ""
        print(f"Unit {u.grouped}   bag {u.number} of {u.of}{parent}")
        if u.din_grouped:
            print(f"  DIN {u.din_grouped}   ({u.din})")
        holder = f"{u.custodian_name} ({u.custodian})" if u.custodian else "-"
        print(
            f"  current step {u.current_step or 'none yet'};  held by {holder};  "
            f"at {u.location or '-'}"
        )
        print(f"  next: {', '.join(u.next_steps) or 'nothing (chain complete)'}")
        for w in u.windows:
            state = (
                "OVERDUE by " + _minutes(-w.remaining_minutes)
                if w.overdue
                else _minutes(w.remaining_minutes) + " left"
            )
            print(f"  window {w.name}: {state} (ends {when(w.ends)})")
        for dv in u.deviations:
            state = "OPEN" if dv.decision is None else dv.decision.upper()
            print(
                f"  deviation #{dv.seq} [{state}] at {dv.step}: {dv.detail}"
                + (f"; QA: {dv.reason}" if dv.reason else "")
            )
        for e in u.events:
            temp = f"  {e.temperature_c:g} °C" if e.temperature_c is not None else ""
            void = "  [VOIDED]" if e.voided else ""
            print(
                f"  #{e.seq:<5} {when(e.occurred_at)}  {e.step}{void}  at {e.location or '-'}{temp}"
            )
            if e.note:
                print(f"         note: {e.note}")
            for s in e.signatures:
                print(f"         {s.meaning} {s.printed_name} ({s.username}) {when(s.signed_at)}")
            for c in e.corrections:
                signers = "; ".join(f"{s.meaning} {s.printed_name}" for s in c.signatures)
                what = (
                    "voided"
                    if c.field == "void"
                    else f"{c.field} {c.old_value!r} -> {c.new_value!r}"
                )
                print(
                    f"         corrected by #{c.seq} {when(c.recorded_at)}: {what}; "
                    f"reason: {c.reason}; {signers}"
                )


def _minutes(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def _print_readiness(d: CaseDetail) -> None:
    if d.patient_events:
        print()
        print("Patient")
        for p in d.patient_events:
            who = " / ".join(f"{s.meaning} {s.printed_name}" for s in p.signatures)
            unit = f" {p.unit}" if p.unit else ""
            detail = f": {p.detail}" if p.detail else ""
            print(f"  #{p.seq:<5} {when(p.occurred_at)}  {p.kind}{unit}{detail}  ({who})")
    for o in d.overrides:
        signer = ", ".join(s.printed_name for s in o.signatures)
        print(f"  QA OVERRIDE #{o.seq} {o.unit} gate {o.gate}: {o.reason} ({signer})")


def cmd_case_show(args: argparse.Namespace) -> int:
    from cart_chain.services.case_detail import show_case

    detail = show_case(open_db(args, read_only=True), args.coi)
    if args.json:
        emit_json(detail)
    else:
        with contextlib.redirect_stdout(Shown(sys.stdout)):  # stored text is not terminal code
            print_case(detail)
            _print_readiness(detail)
    return 0


def cmd_case_link(args: argparse.Namespace) -> int:
    from cart_chain.services.links import link_case

    by = signer(args.by, "linked by", PasswordSource())
    receipt = link_case(
        open_db(args),
        args.coi,
        by,
        manufacturer_coi=args.manufacturer_coi,
        din=args.din,
        lot=args.lot,
        rfic=args.rfic,
    )
    print(f"linked to {receipt.subject} (entry {receipt.seq})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    case = sub.add_parser("case", help="enrol, list and show cases")
    cs = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    p = cs.add_parser("new", help="enrol a patient; prints the COI")
    p.add_argument("--name", required=True)
    p.add_argument("--dob", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--mrn", required=True)
    p.add_argument("--product", required=True)
    p.add_argument("--bags", type=int, default=1)
    p.add_argument(
        "--profile",
        metavar="ID",
        help="product profile (default: found from the product name, else generic)",
    )
    p.add_argument(
        "--indication",
        help="e.g. ALL, DLBCL, FL for a product whose windows differ by indication "
        "(default: the strictest window of all its indications)",
    )
    p.add_argument("--by", metavar="USER", help=f"enrolling user (default ${USER_ENV})")
    p.set_defaults(handler=cmd_case_new)
    p = cs.add_parser("list", help="list cases, newest first")
    p.add_argument("--json", action="store_true")
    p.add_argument("--search", metavar="TEXT", help="COI, MRN, name or product contains TEXT")
    p.set_defaults(handler=cmd_case_list)
    p = cs.add_parser("show", help="one case: units, events, signatures, custodians")
    p.add_argument("coi", metavar="COI")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_case_show)
    p = cs.add_parser(
        "link",
        help="record a manufacturer's identifiers against a case (or one bag), signed; "
        "scans of them then resolve to it",
    )
    p.add_argument("coi", metavar="COI", help="the case's COI, or a unit id for one bag")
    p.add_argument("--manufacturer-coi", metavar="ID", help="the manufacturer's COI")
    p.add_argument("--din", metavar="DIN", help="ISBT 128 DIN of a collection, with check")
    p.add_argument("--lot", metavar="LOT", help="lot or batch number")
    p.add_argument("--rfic", metavar="REF", help="Release-for-Infusion Certificate reference")
    p.add_argument("--by", metavar="USER", help=f"who records it (default ${USER_ENV})")
    p.set_defaults(handler=cmd_case_link)
