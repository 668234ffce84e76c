"""Commands for handling windows, patient readiness, QA review, billing and metrics."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from cart_chain.cli.common import emit_json, open_db, scan_source, signer
from cart_chain.cli.prompt import PasswordSource


def _time(text: str | None):  # type: ignore[no-untyped-def]
    from cart_chain.domain.clock import parse_user_time

    return parse_user_time(text) if text else None


def cmd_patient_event(args: argparse.Namespace) -> int:
    from cart_chain.services.readiness import record_patient_event

    by = signer(args.by, "Performed by", PasswordSource())
    r = record_patient_event(
        open_db(args),
        args.coi,
        args.kind,
        by,
        occurred_at=_time(args.at),
        detail=args.regimen or args.note,
        source=scan_source(args),
    )
    print(f"recorded {args.kind} for {r.subject} as entry {r.seq}")
    return 0


def cmd_patient_check(args: argparse.Namespace) -> int:
    from cart_chain.services.readiness import bedside_check

    source = PasswordSource()
    by = signer(args.by, "Performed by", source)
    witness = signer(args.witness, "Verified by", source)
    result = bedside_check(
        open_db(args),
        args.unit,
        args.name,
        args.dob,
        by,
        witness,
        occurred_at=_time(args.at),
        expect=args.expect,
        source=scan_source(args),
    )
    if result.passed:
        print(f"bedside check PASSED for {result.receipt.subject} (entry {result.receipt.seq})")
        return 0
    print(
        f"cart-chain: STOP - bedside check FAILED for {result.receipt.subject}: "
        f"{' and '.join(result.mismatches)} "
        f"{'does' if len(result.mismatches) == 1 else 'do'} not match this bag's patient; "
        "do not infuse "
        f"(recorded as entry {result.receipt.seq})",
        file=sys.stderr,
    )
    return 1


def cmd_deviation_review(args: argparse.Namespace) -> int:
    from cart_chain.services.readiness import review_deviation

    by = signer(args.by, "Verified by", PasswordSource())
    r = review_deviation(open_db(args), args.deviation, args.decision, args.reason, by)
    print(f"deviation #{args.deviation}: {args.decision} (entry {r.seq})")
    return 0


def cmd_override(args: argparse.Namespace) -> int:
    from cart_chain.services.readiness import override_gate

    by = signer(args.by, "Verified by", PasswordSource())
    r = override_gate(
        open_db(args),
        args.unit,
        args.gate,
        args.reason,
        by,
        expect=args.expect,
        source=scan_source(args),
    )
    print(f"override of {args.gate} for {r.subject} recorded as entry {r.seq}")
    return 0


def cmd_profile_list(args: argparse.Namespace) -> int:
    from cart_chain.services.profiles import all_profiles, view_of

    profiles = all_profiles()
    if args.json:
        emit_json({pid: p.to_dict() for pid, p in sorted(profiles.items())})
        return 0
    for pid, p in sorted(profiles.items()):
        v = view_of(p)
        fresh = (
            f"fresh <= {p.fresh_transit_max_hours:g} h"
            if p.ships_fresh
            else "cryopreserved apheresis"
        )
        flag = f"  ({len(v.unconfirmed)} values unconfirmed)" if v.unconfirmed else ""
        print(
            f"{pid:<10} v{p.version}  {p.name:<40} store <= {p.storage_max_c:g} °C, {fresh}, "
            f"{'; '.join(v.time_limits)}{flag}"
        )
    return 0


def _site_identifiers(args: argparse.Namespace, profile_id: str) -> dict[str, Any] | None:
    """This site's product codes and barcode pattern for the profile; None without a database."""
    from cart_chain.domain.errors import DatabaseUnavailable
    from cart_chain.services.links import site_identifiers

    try:
        db = open_db(args, read_only=True)
    except DatabaseUnavailable:
        return None
    found = site_identifiers(db, profile_id)
    return {
        "product_codes": list(found.product_codes) if found else [],
        "barcode": found.barcode if found else None,
    }


def _print_site(site: dict[str, Any] | None, profile_id: str) -> None:
    if site is None:
        print("  site      (no database here: this site's product codes are not shown)")
        return
    codes = ", ".join(site["product_codes"]) or "none configured"
    print(f"  ISBT 128 product codes at this site: {codes}")
    print(f"  manufacturer barcode pattern: {site['barcode'] or 'none configured'}")
    if not site["product_codes"]:
        print(
            f"  (set with: cart-chain settings product_identifiers "
            f'\'{{"{profile_id}": {{"product_codes": ["..."]}}}}\' --by ADMIN)'
        )


def cmd_profile_show(args: argparse.Namespace) -> int:
    from cart_chain.services.profiles import get_profile, view_of

    profile = get_profile(args.id)
    site = _site_identifiers(args, profile.id)
    if args.json:
        emit_json({"profile": profile.to_dict(), "view": view_of(profile), "site": site})
        return 0
    v = view_of(profile)
    print(f"{v.name}  (profile {v.id} v{v.version})")
    _print_site(site, profile.id)
    for line in v.time_limits:
        print(f"  limit     {line}")
    lo, hi = v.lymphodepletion_days
    print(f"  indications {', '.join(v.indications)}; without one: {lo:g}-{hi:g} days after LD")
    print(f"  doses     day {', day '.join(str(d) for d in v.dose_days)}")
    if v.warnings:
        print(f"  warnings  {'; '.join(v.warnings)}")
    print("  values and sources:")
    for val in v.values:
        where = val.source if not val.unconfirmed else f"UNCONFIRMED: {val.why}"
        print(f"    {val.name} = {val.value!r}")
        print(f"        {where}")
        if val.quote:
            print(f'        "{val.quote}"')
    if v.unconfirmed:
        print(f"Unconfirmed handling values: {', '.join(v.unconfirmed)}")
    return 0


def cmd_patient_checklist(args: argparse.Namespace) -> int:
    from cart_chain.services.checklist import infusion_checklist

    c = infusion_checklist(open_db(args), args.unit, _time(args.at))
    if args.json:
        emit_json(c)
        return 0
    print(f"Infusion checklist for {c.unit} at {c.at} UTC")
    for i in c.items:
        mark = "ok  " if i.ok else ("STOP" if i.blocking else "WARN")
        print(f"  [{mark}] {i.name}: {i.text}")
    for w in c.warnings:
        print(f"  [NOTE] {w}")
    if c.unconfirmed:
        print(f"  Unconfirmed handling values: {', '.join(c.unconfirmed)}")
    return 0 if c.ready else 1


def cmd_billing(args: argparse.Namespace) -> int:
    from cart_chain.domain.billing import MEDICARE_NOTE
    from cart_chain.services.analytics import case_billing

    lines = case_billing(open_db(args), args.coi)
    if args.json:
        emit_json(
            [
                {
                    "code": b.code,
                    "description": b.description,
                    "date_of_service": b.date_of_service.isoformat(),
                    "units": b.units,
                    "events": b.events,
                }
                for b in lines
            ]
        )
    elif args.csv:
        out = csv.writer(sys.stdout)
        out.writerow(["code", "description", "date_of_service", "units", "events"])
        for b in lines:
            out.writerow([b.code, b.description, b.date_of_service.isoformat(), b.units, b.events])
    else:
        for b in lines:
            print(f"{b.date_of_service.isoformat()}  CPT {b.code} x{b.units}  {b.description}")
    # JSON and CSV stay machine-readable: the note goes to standard error there.
    print(f"Note: {MEDICARE_NOTE}", file=sys.stdout if not (args.json or args.csv) else sys.stderr)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from cart_chain.services.analytics import metrics

    figures = metrics(open_db(args))
    if args.json:
        emit_json(figures)
        return 0
    for name, g in [("all cases", figures["all"]), *figures["per_product"].items()]:  # type: ignore[union-attr]
        v2v = g["vein_to_vein_hours"]
        print(f"{name}: {g['cases']} cases; vein-to-vein median {_h(v2v['median'])} (n={v2v['n']})")
        for leg, t in g["transport_hours"].items():
            print(f"    transport {leg}: median {_h(t['median'])} (n={t['n']})")
        if g["deviations_per_step"]:
            print(
                "    deviations: "
                + ", ".join(f"{s} {n}" for s, n in g["deviations_per_step"].items())
            )
    return 0


def _h(hours: float | None) -> str:
    if hours is None:
        return "-"
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from cart_chain.domain.gates import DECISIONS, GATES, PATIENT_EVENTS

    patient = sub.add_parser("patient", help="patient-side events that gate infusion")
    ps = patient.add_subparsers(dest="patient_command", metavar="ACTION", required=True)
    p = ps.add_parser("event", help="bridging, lymphodepletion (start or end), premedication")
    p.add_argument("coi", metavar="COI")
    p.add_argument("--kind", required=True, choices=PATIENT_EVENTS)
    p.add_argument("--by", metavar="USER")
    p.add_argument("--at", metavar="TIME", help="ISO 8601, default now")
    p.add_argument("--regimen", help="e.g. fludarabine/cyclophosphamide")
    p.add_argument("--note")
    p.set_defaults(handler=cmd_patient_event)
    p = ps.add_parser("check", help="bedside identity check of one bag by two people")
    p.add_argument("unit", metavar="UNIT")
    p.add_argument("--name", required=True, help="patient name as read from the wristband")
    p.add_argument("--dob", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--by", metavar="USER")
    p.add_argument("--witness", metavar="USER")
    p.add_argument(
        "--expect",
        metavar="COI",
        help="the case at hand: a bag of another case is refused (and recorded)",
    )
    p.add_argument("--at", metavar="TIME")
    p.set_defaults(handler=cmd_patient_check)
    p = ps.add_parser("checklist", help="infusion checklist: gates, premedication, warnings")
    p.add_argument("unit", metavar="UNIT")
    p.add_argument("--at", metavar="TIME", help="planned infusion start, default now")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_patient_checklist)

    dev = sub.add_parser("deviation", help="QA review of deviations")
    ds = dev.add_subparsers(dest="deviation_command", metavar="ACTION", required=True)
    p = ds.add_parser("review", help="accept, reject or quarantine a deviation")
    p.add_argument("deviation", type=int, metavar="ENTRY")
    p.add_argument("--decision", required=True, choices=DECISIONS)
    p.add_argument("--reason", required=True)
    p.add_argument("--by", metavar="QA_USER")
    p.set_defaults(handler=cmd_deviation_review)

    p = sub.add_parser("override", help="QA override of one infusion gate for one unit")
    p.add_argument("unit", metavar="UNIT")
    p.add_argument("--gate", required=True, choices=GATES)
    p.add_argument(
        "--expect",
        metavar="COI",
        help="the case at hand: a bag of another case is refused (and recorded)",
    )
    p.add_argument("--reason", required=True)
    p.add_argument("--by", metavar="QA_USER")
    p.set_defaults(handler=cmd_override)

    prof = sub.add_parser("profile", help="product profiles (handling limits)")
    prs = prof.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    p = prs.add_parser("list", help="profiles shipped and added by this site")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_profile_list)
    p = prs.add_parser("show", help="one profile with the source of every value")
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_profile_show)

    p = sub.add_parser("billing", help="CPT 38225-38228 lines for one case")
    p.add_argument("coi", metavar="COI")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.set_defaults(handler=cmd_billing)

    p = sub.add_parser("metrics", help="vein-to-vein, transport times, deviations per step")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_metrics)
