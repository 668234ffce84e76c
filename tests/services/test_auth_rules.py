"""Issue 10, passwords, lockout and sessions: every rule on SQLite and PostgreSQL.

Temporary passwords sign nothing; one message for every refusal; five failures
lock for a while (an alert), no argon2 runs under the write lock; the last
active administrator stays.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cart_chain.domain.clock import parse_iso, utc_iso
from cart_chain.domain.errors import AuthenticationError, InvalidValue, PermissionDenied
from cart_chain.services import accounts, auth, passwords, settings, setup, user_fold
from cart_chain.services.accounts import Credentials, PasswordChangeRequired
from cart_chain.services.cases import new_case
from cart_chain.services.custody import record_event
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.helpers import ADMIN, creds, password, unit_of

#: A few users: enough for every rule here, cheap enough to build on PostgreSQL per test.
SMALL = (
    ("alice", "Alice Apheresis", "apheresis"),
    ("anna", "Anna Apheresis", "apheresis"),
    ("carl", "Carl Courier", "courier"),
    ("quinn", "Quinn Quality", "qa"),
)


@pytest.fixture
def small_db(any_db: Database) -> Database:
    setup.init_database(any_db, ADMIN[0], ADMIN[1], ADMIN[3])
    for username, full, role in SMALL:
        add_user_with_own_password(any_db, creds("admin"), username, full, role, password(username))
    return any_db


def enrol_by(db: Database, who: Credentials) -> str:
    return new_case(db, who, "Pat Patient", "1970-01-01", "MRN-1", "Kymriah").subject


def travel(monkeypatch: pytest.MonkeyPatch, delta: timedelta, *, ledger_too: bool = True) -> None:
    """Move the clock the account rules (and the ledger, unless not ``ledger_too``) read.

    A ledger clock moved forward may not come back: entries never go back in time.
    """
    from cart_chain.domain import clock

    real = clock.now_iso

    def later() -> str:
        return utc_iso(parse_iso(real()) + delta)

    monkeypatch.setattr(auth, "now_iso", later)  # lock ends
    monkeypatch.setattr(user_fold, "now_iso", later)  # locks and expiry in force
    if ledger_too:
        monkeypatch.setattr(ledger, "now_iso", later)


# -- temporary passwords --------------------------------------------------------------


def test_a_password_an_administrator_sets_signs_nothing_until_changed(small_db) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    accounts.add_user(db, creds("admin"), "nina", "Nina New", "apheresis", "nina-temporary")
    info = accounts.login(db, Credentials("nina", "nina-temporary"))
    assert info.must_change
    with pytest.raises(PasswordChangeRequired, match=r"temporary password.*change it first"):
        enrol_by(db, Credentials("nina", "nina-temporary"))
    with pytest.raises(PasswordChangeRequired):  # also as second signer
        record_event(
            db,
            unit_of(enrol_by(db, creds("alice"))),
            "collection",
            creds("alice"),
            Credentials("nina", "nina-temporary"),
        )
    accounts.change_own_password(db, "nina", "nina-temporary", "nina-own-pass-1")
    assert not accounts.login(db, Credentials("nina", "nina-own-pass-1")).must_change
    assert enrol_by(db, Credentials("nina", "nina-own-pass-1")).startswith("CH")
    with pytest.raises(AuthenticationError):
        accounts.login(db, Credentials("nina", "nina-temporary"))

    # A reset by an administrator is temporary again; the user's own password is gone.
    accounts.reset_password(db, creds("admin"), "nina", "nina-reset-by-admin")
    with pytest.raises(AuthenticationError):
        accounts.login(db, Credentials("nina", "nina-own-pass-1"))
    with pytest.raises(PasswordChangeRequired):
        enrol_by(db, Credentials("nina", "nina-reset-by-admin"))
    assert accounts.login(db, Credentials("nina", "nina-reset-by-admin")).must_change
    assert verify_ledger(db).ok


def test_users_change_their_own_password_any_time(small_db) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    accounts.change_own_password(db, "carl", password("carl"), "carl-second-pass")
    with pytest.raises(AuthenticationError):
        accounts.login(db, creds("carl"))
    assert accounts.login(db, Credentials("carl", "carl-second-pass")).username == "carl"
    for new in ("short-pw-11", "password2026", "carl", "carl-second-pass"):
        with pytest.raises(InvalidValue):
            accounts.change_own_password(db, "carl", "carl-second-pass", new)
    with pytest.raises(AuthenticationError):  # the old password must be right
        accounts.change_own_password(db, "carl", "not-carls-password", "carl-third-pass")
    assert [u.failures for u in accounts.list_users(db) if u.username == "carl"] == [1]


def test_password_expiry_is_off_by_default_and_forces_a_change_when_on(  # type: ignore[no-untyped-def]
    small_db, monkeypatch
) -> None:
    db = small_db
    travel(monkeypatch, timedelta(days=4000), ledger_too=False)  # the clock comes back below
    assert enrol_by(db, creds("alice")).startswith("CH")  # off: never expires
    monkeypatch.undo()
    settings.set_setting(db, creds("admin"), "password_expiry_days", "90")
    travel(monkeypatch, timedelta(days=91))
    with pytest.raises(PasswordChangeRequired, match="expired"):
        enrol_by(db, creds("alice"))
    assert accounts.login(db, creds("alice")).must_change
    accounts.change_own_password(db, "alice", password("alice"), "alice-renewed-1")
    if not db.is_sqlite:  # the server's clock stamped the renewal: it cannot travel
        from cart_chain.domain import clock

        monkeypatch.setattr(auth, "now_iso", clock.now_iso)
        monkeypatch.setattr(user_fold, "now_iso", clock.now_iso)
    assert enrol_by(db, Credentials("alice", "alice-renewed-1")).startswith("CH")


# -- one message, same work -------------------------------------------------------------


def test_one_message_for_unknown_wrong_locked_and_deactivated(small_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    accounts.set_active(db, creds("admin"), "anna", False)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            accounts.login(db, Credentials("carl", "wrong-wrong-wrong"))
    checked: list[str] = []
    real = passwords.verify_password

    def counting(stored: str, pw: str) -> bool:
        checked.append(stored)
        return real(stored, pw)

    monkeypatch.setattr(passwords, "verify_password", counting)
    cases = {
        "mallory": Credentials("mallory", "anything-at-all"),  # unknown
        "alice": Credentials("alice", "not-alices-pass"),  # wrong password
        "carl": creds("carl"),  # locked (right password)
        "anna": creds("anna"),  # deactivated (right password)
    }
    for name, c in cases.items():
        for attempt in (accounts.login, lambda d, c=c: enrol_by(d, c)):
            checked.clear()
            with pytest.raises(AuthenticationError) as info:
                attempt(db, c)
            assert type(info.value) is AuthenticationError
            assert str(info.value) == f"'{name}': {accounts.REFUSED}"
            assert len(checked) == 1  # one argon2 check each, a dummy one for "mallory"
    checked.clear()
    with pytest.raises(AuthenticationError):
        accounts.login(db, cases["mallory"])
    assert checked == [passwords.DUMMY_HASH]


@pytest.mark.real_argon2
def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    params = passwords.DUMMY_HASH.split("$")[3]
    assert passwords.hash_password("any-password-1").split("$")[3] == params
    assert not passwords.verify_password(passwords.DUMMY_HASH, "")


# -- lockout ---------------------------------------------------------------------------


def _fail(db: Database, username: str, times: int = 5) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError):
            accounts.login(db, Credentials(username, "a-wrong-password"))


def test_five_failures_lock_for_the_set_time_and_raise_an_alert(small_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    _fail(db, "carl", 4)
    assert accounts.open_alerts(db) == []
    _fail(db, "carl", 1)
    with pytest.raises(AuthenticationError):
        accounts.login(db, creds("carl"))
    alerts = accounts.open_alerts(db)
    assert [a.username for a in alerts] == ["carl"] and "locked" in alerts[0].text
    travel(monkeypatch, timedelta(minutes=14))
    with pytest.raises(AuthenticationError):
        accounts.login(db, creds("carl"))
    monkeypatch.undo()
    travel(monkeypatch, timedelta(minutes=16))
    assert accounts.login(db, creds("carl")).username == "carl"  # unlocked by time alone
    assert [a.username for a in accounts.open_alerts(db)] == ["carl"]  # still to be seen
    accounts.unlock_user(db, creds("admin"), "carl")
    assert accounts.open_alerts(db) == []
    assert verify_ledger(db).ok


def test_the_lockout_time_is_a_setting(small_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    settings.set_setting(db, creds("admin"), "lockout_minutes", "60")
    _fail(db, "quinn")
    travel(monkeypatch, timedelta(minutes=30))
    with pytest.raises(AuthenticationError):
        accounts.login(db, creds("quinn"))
    monkeypatch.undo()
    travel(monkeypatch, timedelta(minutes=61))
    assert accounts.login(db, creds("quinn")).username == "quinn"
    with pytest.raises(InvalidValue):
        settings.set_setting(db, creds("admin"), "lockout_minutes", "0")


def test_no_guesser_locks_the_administrators_out_for_good(small_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    _fail(db, "admin")
    with pytest.raises(AuthenticationError):
        accounts.login(db, creds("admin"))
    travel(monkeypatch, timedelta(minutes=15, seconds=1))
    assert accounts.login(db, creds("admin")).role == "administrator"
    accounts.unlock_user(db, creds("admin"), "admin")  # and clears the alert
    assert accounts.open_alerts(db) == []


# -- no argon2 under the write lock ---------------------------------------------------------


def test_no_password_is_hashed_or_verified_while_a_write_is_open(small_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    depth = [0]
    inside: list[str] = []
    calls = [0]
    real_write = db.write

    def write(fn, *more):  # type: ignore[no-untyped-def]
        depth[0] += 1
        try:
            return real_write(fn, *more)
        finally:
            depth[0] -= 1

    def watch(name: str, real):  # type: ignore[no-untyped-def]
        def wrapper(*args):  # type: ignore[no-untyped-def]
            calls[0] += 1
            if depth[0]:
                inside.append(name)
            return real(*args)

        return wrapper

    monkeypatch.setattr(db, "write", write)
    monkeypatch.setattr(passwords, "verify_password", watch("verify", passwords.verify_password))
    monkeypatch.setattr(passwords, "hash_password", watch("hash", passwords.hash_password))
    coi = enrol_by(db, creds("alice"))
    record_event(db, unit_of(coi), "collection", creds("alice"), creds("anna"))
    add_user_with_own_password(db, creds("admin"), "nina", "Nina", "courier", "nina-secret-1")
    accounts.reset_password(db, creds("admin"), "nina", "nina-temporary-2")
    accounts.login(db, Credentials("nina", "nina-temporary-2"))
    with pytest.raises(AuthenticationError):
        record_event(
            db,
            unit_of(coi),
            "ship_to_manufacturing",
            creds("alice"),
            Credentials("carl", "not-carls-password"),
        )
    _fail(db, "carl")
    assert calls[0] >= 15
    assert inside == []


# -- the last administrator --------------------------------------------------------------


def test_the_last_active_administrator_cannot_be_demoted_or_deactivated(small_db) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    with pytest.raises(PermissionDenied, match="last active administrator"):
        accounts.set_role(db, creds("admin"), "admin", "qa")
    add_user_with_own_password(
        db, creds("admin"), "root", "Rita Root", "administrator", "root-secret-1"
    )
    root = Credentials("root", "root-secret-1")
    accounts.set_active(db, root, "admin", False)  # two administrators: allowed
    with pytest.raises(PermissionDenied, match="last active administrator"):
        accounts.set_role(db, root, "root", "qa")
    accounts.set_role(db, root, "carl", "administrator")
    accounts.set_role(db, root, "root", "qa")  # carl is an administrator now
    carl = creds("carl")
    with pytest.raises(PermissionDenied, match="last active administrator"):
        accounts.set_role(db, carl, "carl", "courier")
    with pytest.raises(PermissionDenied, match="own account"):
        accounts.set_active(db, carl, "carl", False)
    roles = {u.username: (u.role, u.active) for u in accounts.list_users(db)}
    assert roles["carl"] == ("administrator", True)
    assert roles["admin"] == ("administrator", False)


# -- the GUI's re-read of the user -------------------------------------------------------


def test_current_user_sees_changes_made_elsewhere(small_db) -> None:  # type: ignore[no-untyped-def]
    db = small_db
    assert accounts.current_user(db, "carl") == accounts.login(db, creds("carl"))
    accounts.set_active(db, creds("admin"), "carl", False)
    now = accounts.current_user(db, "carl")
    assert now is not None and not now.active
    accounts.set_role(db, creds("admin"), "quinn", "courier")
    now = accounts.current_user(db, "quinn")
    assert now is not None and now.role == "courier"
    assert accounts.current_user(db, "nobody") is None


# -- PostgreSQL writes state their isolation and lock timeout ---------------------------------


def test_postgresql_writes_set_isolation_and_lock_timeout(any_db_postgresql: Database) -> None:
    from sqlalchemy import text

    # A server whose default is stricter: the write still states READ COMMITTED itself.
    assert any_db_postgresql.url.split("?")[-1].startswith("options=")  # the test schema's
    strict = Database(any_db_postgresql.url + "%20-cdefault_transaction_isolation%3Dserializable")
    try:
        seen = strict.write(
            lambda s: (
                s.execute(text("SHOW transaction_isolation")).scalar(),
                s.execute(text("SHOW lock_timeout")).scalar(),
            )
        )
        outside = strict.read(lambda s: s.execute(text("SHOW lock_timeout")).scalar())
    finally:
        strict.dispose()
    assert seen == ("read committed", "10s")
    assert outside == "0"  # SET LOCAL: only inside the write


# -- four workstations signing at once on SQLite ---------------------------------------------

SIGNER = """
import sys
from cart_chain.services.accounts import Credentials
from cart_chain.services.cases import new_case
from cart_chain.store.database import Database

db = Database(sys.argv[1])
me = Credentials(sys.argv[2], sys.argv[2] + "-secret-1")
for i in range(int(sys.argv[3])):
    new_case(db, me, f"Patient {sys.argv[2]} {i}", "1970-01-01", "M", "K")
"""


def test_four_processes_signing_at_once_are_never_refused(ready_db: Database) -> None:
    import subprocess
    import sys

    from cart_chain.services.case_list import list_cases

    n = 6
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SIGNER, ready_db.url, who, str(n)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("alice", "anna", "ines", "ivan")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert len(list_cases(ready_db)) == 4 * n
    assert verify_ledger(ready_db).ok
