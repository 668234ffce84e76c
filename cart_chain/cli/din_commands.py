"""``din backfill``: DINs for collections enrolled before DINs existed (signed by an admin).

Kept apart from `cli.commands` (already long).
"""

from __future__ import annotations

import argparse

from cart_chain.cli.common import open_db, signer
from cart_chain.cli.prompt import PasswordSource


def cmd_din_backfill(args: argparse.Namespace) -> int:
    from cart_chain.domain.din import Din
    from cart_chain.services.din_backfill import backfill

    assigned = backfill(open_db(args), signer(args.by, "administrator", PasswordSource()))
    if not assigned:
        print("every collection has a DIN; nothing recorded")
        return 0
    for unit, din in assigned:
        print(f"{unit}  DIN {Din(din[:-1]).grouped()}")
    print(f"gave {len(assigned)} collection(s) a DIN")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    din = sub.add_parser("din", help="ISBT 128 DINs of collections")
    ds = din.add_subparsers(dest="din_command", metavar="ACTION", required=True)
    p = ds.add_parser("backfill", help="give a DIN to each collection enrolled before DINs existed")
    p.add_argument("--by", metavar="ADMIN", required=True)
    p.set_defaults(handler=cmd_din_backfill)
