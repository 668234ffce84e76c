"""``user add | list | unlock | activate | deactivate | role | password | recover-admin``."""

from __future__ import annotations

import argparse
import os

from cart_chain.cli.common import USER_ENV, emit_json, open_db, signer
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import UsageError


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


def cmd_user_recover_admin(args: argparse.Namespace) -> int:
    """QA and a witness set a temporary password for an administrator who cannot log in."""
    from cart_chain.services.recovery import recover_admin

    target = args.username.strip().lower()
    source = PasswordSource()
    qa = signer(args.by, "Performed by (QA)", source)
    witness = signer(args.witness, "Verified by", source)
    new = source.new_password(f"Temporary password for {target}")
    r = recover_admin(open_db(args), target, qa, witness, args.reason, new)
    print(
        f"entry {r.seq}: temporary password set for administrator {target}, signed by "
        f"{qa.username.strip().lower()} and {witness.username.strip().lower()}. It signs "
        f"nothing: {target} must change it at log-in (or 'cart-chain user password "
        f"{target}'). Administrators and QA see an alert until an administrator clears it "
        f"('cart-chain user unlock {target}')."
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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

    p = us.add_parser(
        "recover-admin",
        help="break-glass when no administrator can log in (forgotten passwords): a QA "
        "user and a second, different user set a temporary password for ADMIN, recorded "
        "as a signed entry and an alert",
    )
    p.add_argument("username", metavar="ADMIN")
    p.add_argument("--by", required=True, metavar="QA_USER", help="the QA user performing it")
    p.add_argument(
        "--witness", required=True, metavar="USER", help="a second, different active user"
    )
    p.add_argument("--reason", required=True, help="why no administrator can log in")
    p.set_defaults(handler=cmd_user_recover_admin)
