"""5,000 mutated scans of every accepted form through the real gate: 0 false accepts.

The mutation engine is `benchmarks/scan_fuzz.py` (which runs 100,000); here it
runs against a real database on SQLite and PostgreSQL, and a sample of the
refused inputs also goes through `record_event`, which must store no step and
record each refusal.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from benchmarks.scan_fuzz import build, head, mutations, run
from cart_chain.domain.errors import CartChainError
from cart_chain.services.accounts import Credentials
from cart_chain.services.custody import record_event
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.services.scanning import scan
from cart_chain.store.database import Database
from cart_chain.store.models import Event, LedgerEntry

SEED = "cart-chain scan fuzz, CI"


def _count(db: Database, model: object) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def test_5000_mutated_scans_give_no_false_accept_and_write_nothing(any_db: Database) -> None:
    bases, before = build(any_db)
    assert len({b.form for b in bases}) == 10 and len({b.coi for b in bases}) == 3
    tally = run(any_db, bases, 5_000, SEED)
    assert tally.inputs == 5_000
    assert tally.false_accepts == 0, tally.examples[:5]
    assert tally.crashes == 0, tally.examples[:5]
    assert tally.machine_other == tally.machine_other_refused_with_expect
    assert head(any_db) == before  # not one entry written
    # the run exercised every kind of refusal and still let the harmless variants through
    for code in ("malformed", "check_failed", "wrong_patient"):
        assert tally.refusals[code] > 0, tally.refusals
    assert tally.same > 100 and tally.refused > 3_000


def test_refused_mutations_store_no_step_when_recorded(any_db: Database) -> None:
    bases, _ = build(any_db)
    alice = Credentials("alice", "alice-secret-1")
    add_user_with_own_password(
        any_db,
        Credentials("admin", "admin-secret-1"),
        "anna",
        "Anna A",
        "apheresis",
        "anna-secret-1",
    )
    anna = Credentials("anna", "anna-secret-1")
    refused = []
    for base, text in mutations(random.Random(SEED), bases, 400):
        try:
            scan(any_db, text, expect=base.coi)
        except CartChainError:
            refused.append((base, text))
        if len(refused) == 12:
            break
    entries, events = _count(any_db, LedgerEntry), _count(any_db, Event)
    for base, text in refused:
        with pytest.raises(CartChainError):
            record_event(any_db, text, "collection", alice, anna, expect=base.coi)
    assert _count(any_db, Event) == events
    assert _count(any_db, LedgerEntry) == entries + len(refused)  # one scan_refused each
