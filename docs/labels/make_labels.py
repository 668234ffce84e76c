"""Regenerate the example labels in this folder from a fresh demo database.

    .venv/bin/python docs/labels/make_labels.py

Each label is printed through the real service (so it is also recorded in the
throw-away demo ledger) at the template's default resolution, in Central
European time so the local-and-UTC time format shows. The PNGs are at printer
resolution: one pixel is one printer dot.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from cart_chain.domain.identifiers import mod37_2
from cart_chain.labels.printing import print_label
from cart_chain.services import settings
from cart_chain.services.accounts import Credentials
from cart_chain.services.demo import DEMO_USERS, build_demo
from cart_chain.store.database import Database

HERE = Path(__file__).resolve().parent
PASSWORDS = {user: pw for user, _name, _role, pw in DEMO_USERS}

#: (demo case index, bag number, label kind, printed by, file name)
EXAMPLES = (
    (1, 2, "bag", "ines", "bag.png"),
    (1, 1, "transport", "ines", "transport.png"),
    (2, 1, "tube", "lena", "tube.png"),
    (1, 1, "container", "ines", "container.png"),
    (3, 1, "collection", "alice", "collection.png"),
)
#: The site setting a real site fills from its ICCBBA licence. These codes are
#: placeholders for the pictures only, not ICCBBA product description codes.
EXAMPLE_PRODUCT_CODES = {"yescarta": ["S9990V00"], "abecma": ["S9991V00"]}


def main() -> None:
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(str(Path(tmp) / "demo.sqlite3"))
        cases = build_demo(db).cases
        codes = {p: {"product_codes": c} for p, c in EXAMPLE_PRODUCT_CODES.items()}
        settings.set_setting(
            db, Credentials("admin", PASSWORDS["admin"]), "product_identifiers", json.dumps(codes)
        )
        for case, bag, kind, user, name in EXAMPLES:
            unit = f"{cases[case][:15]}U{bag:02d}"
            printed = print_label(
                db, unit + mod37_2(unit), kind, Credentials(user, PASSWORDS[user]), fmt="png"
            )
            (HERE / name).write_bytes(printed.output)
            print(f"{name}: {printed.payload} ({printed.dpi} dpi)")
        db.dispose()


if __name__ == "__main__":
    main()
