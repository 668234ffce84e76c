"""Two processes linking the same identifiers at once, on SQLite and PostgreSQL: for each
value exactly one link wins and the other is refused; none is in force on two cases."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from cart_chain.services.case_detail import show_case
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from tests.helpers import enrol

LINKER = textwrap.dedent("""
    import sys
    from cart_chain.domain.errors import AlreadyExists
    from cart_chain.services.accounts import Credentials
    from cart_chain.services.links import link_case
    from cart_chain.store.database import Database

    db = Database(sys.argv[1])
    lena = Credentials("lena", "lena-secret-1")
    won = 0
    for i in range(int(sys.argv[3])):
        try:
            link_case(db, sys.argv[2], lena, lot=f"LOT-RACE-{i}")
            won += 1
        except AlreadyExists:
            pass
    print(won)
""")


def test_concurrent_links_of_one_value_cannot_both_win(ready_any_db: Database) -> None:
    db = ready_any_db
    n = 6
    cases = [enrol(db, "Patient A"), enrol(db, "Patient B")]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", LINKER, db.url, coi, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for coi in cases
    ]
    wins = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        wins.append(int(out))
    assert sum(wins) == n  # each value linked exactly once
    held = [lk.value for coi in cases for lk in show_case(db, coi).links]
    assert sorted(held) == sorted(f"LOT-RACE-{i}" for i in range(n))
    assert verify_ledger(db).ok
