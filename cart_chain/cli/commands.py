"""The core commands: init, demo, user, case, event, unit, correct, verify, settings.

Handlers import the services lazily so `cart-chain --help` stays instant.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import DatabaseUnavailable, UsageError
from cart_chain.domain.manufacturer import LINK_KINDS

if TYPE_CHECKING:
    from cart_chain.domain.labelcode import ScanSource
    from cart_chain.services.accounts import Credentials
    from cart_chain.services.views import CaseDetail
    from cart_chain.store.database import Database

USER_ENV = "CART_CHAIN_USER"
#: What this workstation's scanner sends (see `domain.labelcode`): keyboard or code128.
SCANNER_ENV = "CART_CHAIN_SCANNER"


# -- helpers shared by command modules ----------------------------------------------


def open_db(
    args: argparse.Namespace,
    *,
    must_exist: bool = True,
    read_only: bool = False,
    verifying: bool = False,
) -> Database:
    """Open the database named on the command line; upgrade an older schema.

    ``read_only`` for commands that only read (list, show, verify, scan): they
    then work from read-only media and on a full disk. ``verifying``: a schema
    version row that cannot be trusted is left for `verify` to report as a
    failed check instead of refusing to open.
    """
    from cart_chain.domain.errors import SchemaMismatch
    from cart_chain.store import schema
    from cart_chain.store.database import Database

    db = Database(args.db, read_only=read_only)
    if must_exist:
        if db.path is not None and not db.path.exists():
            raise DatabaseUnavailable(
                f"no database at {db.path}: create one with "
                "'cart-chain init --admin USER --name \"Full Name\"' or 'cart-chain demo'"
            )
        try:
            status = schema.state(db)
        except SchemaMismatch:
            if not verifying:
                raise
            return db
        if status == "empty":
            raise DatabaseUnavailable(f"{db.where} is not initialised: run 'cart-chain init'")
        if status == "outdated":
            schema.upgrade(Database(args.db) if read_only else db)
    return db


def signer(user: str | None, meaning: str, source: PasswordSource) -> Credentials:
    from cart_chain.services.accounts import Credentials

    name = user or os.environ.get(USER_ENV) or source.ask_user(f"User name ({meaning})")
    if not name:
        raise UsageError(f"{meaning}: a user name is required")
    return Credentials(name, source.ask(f"Password for {name} ({meaning})"))


def scan_source(args: argparse.Namespace) -> ScanSource:
    """The scanner form for this command: ``--scanner``, else $CART_CHAIN_SCANNER, else
    keyboard (a check-less ``&/`` COI is then accepted only behind the AIM id ``]C0``)."""
    from cart_chain.domain.labelcode import SOURCES

    value = getattr(args, "scanner", None) or os.environ.get(SCANNER_ENV) or "keyboard"
    if value not in SOURCES:
        raise UsageError(f"${SCANNER_ENV} must be one of {', '.join(SOURCES)}, not {value!r}")
    return value  # type: ignore[return-value]


def emit_json(value: Any) -> None:
    from cart_chain.services.views import to_json

    json.dump(to_json(value), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def shown(text: str) -> str:
    """Text from the records made safe for a terminal (no escapes, no invisible characters)."""
    from cart_chain.domain.text import printable

    return printable(text)


class _Shown:
    """A stdout that passes everything written through `shown`."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(shown(text))

    def flush(self) -> None:
        self.out.flush()


def when(text: str) -> str:
    from cart_chain.domain.clock import local_display

    return local_display(text)


# -- handlers -----------------------------------------------------------------------


def start_gui(args: argparse.Namespace) -> int:
    try:
        from cart_chain.ui.app import run
    except ImportError:
        print(
            "cart-chain: the desktop app is not part of this build yet; "
            "use the commands listed by 'cart-chain --help'",
            file=sys.stderr,
        )
        return 0
    return run(args.db)


def cmd_init(args: argparse.Namespace) -> int:
    from cart_chain.services.setup import init_database
    from cart_chain.services.workstation import creating

    source = PasswordSource()
    password = source.new_password(f"New password for {args.admin}")
    opened, _ = creating(  # on failure, no new database file is left behind
        args.db, lambda db: init_database(db, args.admin, args.name, password, args.facility)
    )
    opened.db.dispose()
    print(f"initialised {opened.where} with administrator {args.admin}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from cart_chain.services.demo import build_demo
    from cart_chain.services.workstation import creating

    opened, result = creating(args.db, build_demo)  # on failure, no new file is left
    opened.db.dispose()
    print(f"demo database: {opened.where}")
    print("users (user name, role, password):")
    for username, _full, role, password in result.users:
        print(f"  {username:<8} {role:<14} {password}")
    print("cases:")
    for coi in result.cases:
        print(f"  {coi}")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from cart_chain.services.accounts import add_user

    source = PasswordSource()
    admin = signer(args.by, "administrator", source)
    password = source.new_password(f"New password for {args.username}")
    add_user(open_db(args), admin, args.username, args.name, args.role, password)
    print(f"added {args.username} ({args.role})")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from cart_chain.services.accounts import list_users

    users = list_users(open_db(args, read_only=True))
    if args.json:
        emit_json(users)
        return 0
    for u in users:
        state = "locked" if u.locked else ("active" if u.active else "deactivated")
        if u.must_change and u.active:
            state += ", must change password"
        print(f"{u.username:<16} {u.role:<14} {state:<12} {u.full_name}")
    return 0


def _admin_action(args: argparse.Namespace, action: str) -> int:
    from cart_chain.services import accounts

    source = PasswordSource()
    admin = signer(args.by, "administrator", source)
    db = open_db(args)
    if action == "unlock":
        accounts.unlock_user(db, admin, args.username)
    elif action == "role":
        accounts.set_role(db, admin, args.username, args.role)
    elif action in ("activate", "deactivate"):
        accounts.set_active(db, admin, args.username, action == "activate")
    print(f"{action}: {args.username} done")
    return 0


def cmd_user_password(args: argparse.Namespace) -> int:
    """Run by USER: change one's own password. Run by an administrator: a temporary one."""
    from cart_chain.services import accounts

    source = PasswordSource()
    target = args.username.strip().lower()
    name = args.by or os.environ.get(USER_ENV) or source.ask_user("Your user name")
    if not name:
        raise UsageError("a user name is required (--by USER or CART_CHAIN_USER)")
    db = open_db(args)
    if name.strip().lower() == target:
        old = source.ask(f"Current password for {target}")
        new = source.new_password(f"New password for {target}")
        accounts.change_own_password(db, target, old, new)
        print(f"password of {target} changed")
        return 0
    admin = accounts.Credentials(name, source.ask(f"Password for {name} (administrator)"))
    new = source.new_password(f"Temporary password for {target}")
    accounts.reset_password(db, admin, target, new)
    print(
        f"temporary password set for {target}: it signs nothing until {target} changes it "
        f"(at log-in, or 'cart-chain user password {target}')"
    )
    return 0


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
    from cart_chain.services.cases import list_cases

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
    from cart_chain.services.cases import show_case

    detail = show_case(open_db(args, read_only=True), args.coi)
    if args.json:
        emit_json(detail)
    else:
        with contextlib.redirect_stdout(_Shown(sys.stdout)):  # stored text is not terminal code
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


def _temperature(text: str) -> float:
    from cart_chain.domain.errors import InvalidValue
    from cart_chain.domain.temperature import parse_temperature

    try:
        return parse_temperature(text)
    except InvalidValue as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def cmd_event_record(args: argparse.Namespace) -> int:
    from cart_chain.domain.clock import local_display, parse_user_time
    from cart_chain.domain.collection import parse_volume
    from cart_chain.domain.steps import RULES, parse_step
    from cart_chain.services.custody import record_event

    step = parse_step(args.step)
    rule = RULES[step]
    occurred = parse_user_time(args.at) if args.at else None
    started = parse_user_time(args.started) if args.started else None
    source = PasswordSource()
    by = signer(args.by, rule.by_meaning, source)
    to = signer(args.to, rule.to_meaning or "Verified by", source) if args.to else None
    receipt = record_event(
        open_db(args),
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


def read_note(path: str) -> str:
    """A signed checkpoint file's text (exactly: its signature covers every byte)."""
    from pathlib import Path

    try:
        return Path(path).read_bytes().decode("utf-8")
    except OSError as err:
        raise UsageError(f"cannot read the checkpoint file {path} ({err.strerror})") from err
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a signed checkpoint (not UTF-8 text)") from None


def cmd_verify(args: argparse.Namespace) -> int:
    import base64

    from cart_chain.services.verification import (
        is_seq_hash,
        parse_checkpoint,
        parse_tree_head,
        verify_ledger,
    )

    expect = note = None
    if args.checkpoint and is_seq_hash(args.checkpoint):
        expect = parse_checkpoint(args.checkpoint)
    elif args.checkpoint:
        note = read_note(args.checkpoint)
    if (args.root is None) != (args.size is None):
        raise UsageError("--root and --size go together: the tree size the root was printed for")
    head = None if args.root is None else parse_tree_head(args.size, args.root)
    db = open_db(args, read_only=True, verifying=True)
    report = verify_ledger(db, expect, head=head, note=note)
    root = base64.b64encode(report.root).decode("ascii")
    if args.json:
        emit_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "rows": report.rows,
                "checkpoint": {"seq": report.checkpoint.seq, "hash": report.checkpoint.hash},
                "tree": {"size": report.entries, "root": root} if report.ok else None,
                "problem": None
                if report.ok
                else {
                    "seq": report.problem.seq,
                    "table": report.problem.table,  # type: ignore[union-attr]
                    "message": report.problem.message,
                },  # type: ignore[union-attr]
            }
        )
    elif report.ok:
        print(f"ledger intact: {report.entries} entries, {report.rows} projection rows checked")
        print(f"checkpoint {report.checkpoint}")
        print(f"tree head {report.entries} {root} (keep it: verify --size N --root ROOT)")
    else:
        print(f"cart-chain: verification FAILED at {report.problem}", file=sys.stderr)
        print(f"last good checkpoint {report.checkpoint}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cart_chain.services.backup import backup

    db = open_db(args)
    by = signer(args.by, "Performed by (administrator)", PasswordSource())
    result = backup(db, Path(args.out), by)
    print(f"backup written and verified: {result.path}")
    print(f"{result.entries} entries, checkpoint {result.checkpoint}, sha256 {result.sha256}")
    print(f"recorded as entry {result.recorded}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cart_chain.services.backup import restore
    from cart_chain.store.database import Database

    source = PasswordSource()
    by = signer(args.by, "Performed by (administrator)", source)
    qa = signer(args.qa, "Approved by (QA)", source) if args.qa else None
    result = restore(
        Database(args.db), Path(args.file), by, qa=qa, reason=args.reason, replace=args.replace
    )
    print(
        f"restored {result.path} from {args.file}: {result.entries} entries verified, "
        f"checkpoint {result.checkpoint}; recorded as entry {result.recorded}"
    )
    if result.dropped:
        print(f"entries {result.dropped[0]}..{result.dropped[1]} of the replaced ledger dropped")
    if result.replaced:
        print(f"the database it replaced is kept at {result.replaced}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from cart_chain.services import settings

    db = open_db(args)
    if args.key is None:
        for key in settings.SETTINGS:
            print(f"{key} = {settings.get(db, key)}")
        return 0
    if args.value is None:
        print(settings.get(db, args.key))
        return 0
    admin = signer(args.by, "administrator", PasswordSource())
    settings.set_setting(db, admin, args.key, args.value)
    print(f"{args.key} = {settings.get(db, args.key)}")
    return 0


# -- parser -------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="create a database and its first administrator")
    p.add_argument("--admin", required=True, metavar="USER")
    p.add_argument("--name", required=True, metavar="FULL_NAME")
    p.add_argument(
        "--facility", metavar="FIN", help="facility identification number for COIs (e.g. W1234)"
    )
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="a fresh database with demo users and cases")
    p.set_defaults(handler=cmd_demo)

    user = sub.add_parser("user", help="manage users (administrators)")
    us = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = us.add_parser("add", help="add a user")
    p.add_argument("username", metavar="USER")
    p.add_argument("--name", required=True, metavar="FULL_NAME")
    p.add_argument(
        "--role", required=True, help="administrator, apheresis, courier, cell_lab, qa or infusion"
    )
    p.add_argument("--by", metavar="ADMIN", help="administrator making the change")
    p.set_defaults(handler=cmd_user_add)
    p = us.add_parser("list", help="list users")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_user_list)
    for action, help_text in (
        ("unlock", "unlock a locked account"),
        ("activate", "re-activate an account"),
        ("deactivate", "deactivate an account"),
        ("role", "change a user's role"),
    ):
        p = us.add_parser(action, help=help_text)
        p.add_argument("username", metavar="USER")
        if action == "role":
            p.add_argument("role")
        p.add_argument("--by", metavar="ADMIN")
        p.set_defaults(handler=lambda a, action=action: _admin_action(a, action))
    p = us.add_parser(
        "password",
        help="change your own password (run as USER: old, then new), or, as an "
        "administrator, set a temporary one that signs nothing until USER changes it",
    )
    p.add_argument("username", metavar="USER")
    p.add_argument("--by", metavar="USER", help=f"who runs it (default ${USER_ENV})")
    p.set_defaults(handler=cmd_user_password)

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
    p.add_argument("--by", metavar="USER", help="who performs or releases")
    p.add_argument("--to", metavar="USER", help="who receives or witnesses (handoffs)")
    p.add_argument("--location")
    p.add_argument("--temperature", type=_temperature, metavar="C")
    p.add_argument("--note")
    p.add_argument("--at", metavar="TIME", help="when it was complete, ISO 8601 (default: now)")
    p.add_argument("--started", metavar="TIME", help="when it began (thaw, infusion)")
    p.add_argument("--condition", help="condition of the bag and container, e.g. intact")
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

    p = sub.add_parser("verify", help="recompute the hash chain and every projection")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--checkpoint",
        metavar="SEQ:HASH|FILE",
        help="also prove a printed checkpoint (SEQ:HASH) or a signed checkpoint file "
        "(from 'cart-chain checkpoint', checked against the site key) is still in the ledger",
    )
    p.add_argument(
        "--root",
        metavar="B64",
        help="also prove a Merkle tree root you kept (from verify or proof) still heads "
        "the first --size entries: any rewrite of them, even with every later hash "
        "recomputed, fails",
    )
    p.add_argument("--size", type=int, metavar="N", help="the tree size --root is for")
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser(
        "backup", help="consistent, verified copy of a live SQLite database (signed, recorded)"
    )
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--by", metavar="ADMIN", help="the administrator signing the backup")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "restore", help="restore a SQLite database from a backup that verifies (signed, recorded)"
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--by", metavar="ADMIN", help="the administrator signing the restore")
    p.add_argument(
        "--qa",
        metavar="USER",
        help="QA user who also signs: needed when signed entries would be dropped",
    )
    p.add_argument("--reason", metavar="R", help="why (required with --qa)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="restore over an existing database (kept beside it, renamed)",
    )
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("settings", help="show or change shared settings")
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--by", metavar="ADMIN")
    p.set_defaults(handler=cmd_settings)
