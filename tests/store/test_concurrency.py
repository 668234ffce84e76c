"""Two processes appending at once never fork or break the chain."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from cart_chain.services.case_list import list_cases
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database

WRITER = textwrap.dedent("""
    import sys
    from cart_chain.services.accounts import Credentials
    from cart_chain.services.cases import new_case
    from cart_chain.services.custody import record_event
    from cart_chain.domain.identifiers import parse_coi
    from cart_chain.store.database import Database

    db = Database(sys.argv[1])
    alice, anna = Credentials("alice", "alice-secret-1"), Credentials("anna", "anna-secret-1")
    for i in range(int(sys.argv[2])):
        coi = new_case(db, alice, f"Patient {sys.argv[3]}-{i}", "1970-01-01", "M", "K").subject
        record_event(db, parse_coi(coi).unit(1).full, "collection", alice, anna)
""")


def test_two_processes_append_at_once(ready_any_db: Database) -> None:
    n = 8
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, ready_any_db.url, str(n), tag],
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    cases = list_cases(ready_any_db)
    assert len(cases) == 2 * n
    assert len({c.coi for c in cases}) == 2 * n  # no two cases got the same COI
    assert all(c.unit_steps[0][1] == "collection" for c in cases)
    report = verify_ledger(ready_any_db)
    assert report.ok, report.problem
