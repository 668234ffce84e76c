"""``user recover-admin``: the break-glass recovery of an administrator's account.

Kept apart from `cli.commands` (already long); listed after it in `cli.main`, it adds
its action to the ``user`` command that module created.
"""

from __future__ import annotations

import argparse

from cart_chain.cli.commands import open_db, signer
from cart_chain.cli.prompt import PasswordSource


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
    user = sub.choices["user"]
    us = next(a for a in user._actions if isinstance(a, argparse._SubParsersAction))
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
