"""``event record``, ``unit split``, ``correct``: the signed custody steps and their corrections."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from cart_chain.cli.common import USER_ENV, open_db, scan_source, signer
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import UsageError

if TYPE_CHECKING:
    from cart_chain.domain.steps import Step
    from cart_chain.store.database import Database


def _temperature(text: str) -> float:
    from cart_chain.domain.errors import InvalidValue
    from cart_chain.domain.temperature import parse_temperature

    try:
        return parse_temperature(text)
    except InvalidValue as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _meanings(db: Database, step: Step, by: str | None, to: str | None) -> tuple[str, str]:
    """The meanings each named signer will sign, by their roles (`steps.meanings_for`), so
    a password is asked under the meaning it gives; as the step names them when a name
    is not known yet (the service refuses an unknown signer anyway)."""
    from cart_chain.domain.roles import Role
    from cart_chain.domain.steps import RULES, meanings_for
    from cart_chain.services.accounts import current_user

    rule = RULES[step]
    known = [current_user(db, n) if n else None for n in (by, to)]
    if known[0] is not None and known[1] is not None and rule.to_meaning is not None:
        first, second = meanings_for(step, Role(known[0].role), Role(known[1].role))
        return first, second or "Verified by"
    return rule.by_meaning, rule.to_meaning or "Verified by"


def cmd_event_record(args: argparse.Namespace) -> int:
    from cart_chain.domain.clock import local_display, parse_user_time
    from cart_chain.domain.collection import parse_volume
    from cart_chain.domain.steps import parse_step
    from cart_chain.services.custody import record_event

    step = parse_step(args.step)
    occurred = parse_user_time(args.at) if args.at else None
    started = parse_user_time(args.started) if args.started else None
    source = PasswordSource()
    db = open_db(args)
    mine, theirs = _meanings(db, step, args.by or os.environ.get(USER_ENV), args.to)
    by = signer(args.by, mine, source)
    to = signer(args.to, theirs, source) if args.to else None
    receipt = record_event(
        db,
        args.unit,
        step,
        by,
        to,
        location=args.location,
        temperature_c=args.temperature,
        note=args.note,
        occurred_at=occurred,
        started_at=started,
        condition=args.condition,
        expect=args.expect,
        source=scan_source(args),
        volume_ml=parse_volume(args.volume_ml),
        anticoagulant=args.anticoagulant,
    )
    print(f"recorded {step.value} for {receipt.subject} as entry {receipt.seq}")
    for s in receipt.signatures:
        print(f"  {s.meaning} {s.printed_name} {local_display(s.signed_at)}")
    for d in receipt.deviations:
        print(
            f"cart-chain: DEVIATION recorded: {d}; QA must review it before the next step",
            file=sys.stderr,
        )
    return 0


def cmd_unit_split(args: argparse.Namespace) -> int:
    from cart_chain.services.custody import split_unit

    by = signer(args.by, "Performed by", PasswordSource())
    db = open_db(args)
    split = split_unit(
        db, args.unit, args.into, by, note=args.note, expect=args.expect, source=scan_source(args)
    )
    for unit in split:
        print(unit)
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from cart_chain.services.corrections import VOID, correct

    changes: dict[str, str] = {}
    for item in args.set or []:
        field, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set takes FIELD=VALUE, got {item!r}")
        changes[field.strip()] = value
    if args.void:
        changes[VOID] = "voided"
    if not changes:
        raise UsageError("say what to correct: --set FIELD=VALUE (repeatable) or --void")
    source = PasswordSource()
    by = signer(args.by, "Performed by", source)
    witness = None if args.witness is None else signer(args.witness, "Verified by", source)
    receipt = correct(open_db(args), args.entry, changes, args.reason, by, witness)
    print(f"correction of entry {args.entry} recorded as entry {receipt.seq}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    event = sub.add_parser("event", help="record custody steps")
    es = event.add_subparsers(dest="event_command", metavar="ACTION", required=True)
    p = es.add_parser("record", help="record one step of one unit, signed")
    p.add_argument("unit", metavar="UNIT", help="unit id with check character, or a label code")
    p.add_argument(
        "--expect",
        metavar="COI",
        help="the case at hand: a bag of another case is refused (and recorded)",
    )
    p.add_argument("--step", required=True)
    p.add_argument(
        "--by", metavar="USER", help="one signer: who performs, releases or (by role) receives"
    )
    p.add_argument(
        "--to",
        metavar="USER",
        help="the second signer (handoffs); each takes the side their role holds",
    )
    p.add_argument("--location")
    p.add_argument("--temperature", type=_temperature, metavar="C")
    p.add_argument("--note")
    p.add_argument("--at", metavar="TIME", help="when it was complete, ISO 8601 (default: now)")
    p.add_argument("--started", metavar="TIME", help="when it began (thaw, infusion)")
    p.add_argument(
        "--condition",
        metavar="TEXT",
        help="what you see of the bag and container, e.g. 'intact, no leaks' "
        "(required for both receipts, thaw and infusion)",
    )
    p.add_argument("--volume-ml", metavar="ML", help="collection only: the collected volume")
    p.add_argument("--anticoagulant", help="collection only: e.g. ACD-A")
    p.set_defaults(handler=cmd_event_record)

    unit = sub.add_parser("unit", help="unit operations")
    uns = unit.add_subparsers(dest="unit_command", metavar="ACTION", required=True)
    p = uns.add_parser("split", help="split a bag in expansion into several bags")
    p.add_argument("unit", metavar="UNIT")
    p.add_argument("--into", type=int, required=True, metavar="N")
    p.add_argument(
        "--expect",
        metavar="COI",
        help="the case at hand: a bag of another case is refused (and recorded)",
    )
    p.add_argument("--by", metavar="USER")
    p.add_argument("--note")
    p.set_defaults(handler=cmd_unit_split)

    p = sub.add_parser("correct", help="correct a ledger entry (a new signed entry)")
    p.add_argument("entry", type=int, metavar="ENTRY")
    p.add_argument("--reason", required=True)
    p.add_argument("--by", metavar="USER")
    p.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="corrected value (location, temperature_c, note, occurred_at, "
        "volume_ml and anticoagulant of a collection, "
        "patient_name, patient_dob, mrn, product, reason)",
    )
    p.add_argument(
        "--witness",
        metavar="USER",
        help="second person verifying a patient_name, patient_dob or mrn correction",
    )
    p.add_argument("--void", action="store_true", help="void a unit's latest step")
    p.set_defaults(handler=cmd_correct)
