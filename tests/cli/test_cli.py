"""The command line, run as a user would run it: a real process, real exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cart_chain.services.demo import DEMO_USERS
from tests.cli.helpers import NEW_CASE, ok, one_line_error, run


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    db = tmp_path / "cli.sqlite3"
    ok(run(db, "init", "--admin", "root", "--name", "Rita Root", stdin="root-secret-1\n"))
    for user, name, role in (
        ("alice", "Alice A", "apheresis"),
        ("anna", "Anna A", "apheresis"),
        ("carl", "Carl C", "courier"),
    ):
        ok(
            run(
                db,
                "user",
                "add",
                user,
                "--name",
                name,
                "--role",
                role,
                "--by",
                "root",
                stdin=f"root-secret-1\n{user}-first-pw-1\n",
            )
        )
        # The administrator's password is temporary: the user sets their own.
        ok(
            run(
                db,
                "user",
                "password",
                user,
                "--by",
                user,
                stdin=f"{user}-first-pw-1\n{user}-secret-1\n",
            )
        )
    return db


def test_enrol_record_show_verify(cli_db: Path) -> None:
    coi = ok(
        run(
            cli_db,
            "case",
            "new",
            "--name",
            "Zoë Ångström",
            "--dob",
            "1980-02-29",
            "--mrn",
            "H-1",
            "--product",
            "Kymriah",
            "--bags",
            "2",
            "--by",
            "alice",
            stdin="alice-secret-1\n",
        )
    ).strip()
    assert len(coi) == 16 and coi.startswith("CH")
    detail = json.loads(ok(run(cli_db, "case", "show", coi, "--json")))
    unit = detail["units"][0]["unit"]
    assert detail["patient_name"] == "Zoë Ångström" and len(detail["units"]) == 2
    out = ok(
        run(
            cli_db,
            "event",
            "record",
            unit,
            "--step",
            "collection",
            "--by",
            "alice",
            "--to",
            "anna",
            "--location",
            "Apheresis 2",
            "--temperature",
            "21.5",
            stdin="alice-secret-1\nanna-secret-1\n",
        )
    )
    assert "Performed by Alice A" in out and "Verified by Anna A" in out
    shown = ok(run(cli_db, "case", "show", coi))
    assert "collection" in shown and "Apheresis 2" in shown and "Verified by Anna A" in shown
    listed = json.loads(ok(run(cli_db, "case", "list", "--json")))
    assert listed[0]["unit_steps"][0] == [unit, "collection"]
    report = json.loads(ok(run(cli_db, "verify", "--json")))
    # 4 users, the site key, 3 own passwords, case, step
    assert report["ok"] and report["entries"] == 10
    seq = json.loads(ok(run(cli_db, "case", "show", coi, "--json")))["units"][0]["events"][0]["seq"]
    ok(
        run(
            cli_db,
            "correct",
            str(seq),
            "--set",
            "location=Apheresis 3",
            "--reason",
            "typo",
            "--by",
            "anna",
            stdin="anna-secret-1\n",
        )
    )
    assert "'Apheresis 2' -> 'Apheresis 3'" in ok(run(cli_db, "case", "show", coi))
    text = ok(run(cli_db, "verify"))
    assert "ledger intact: 11 entries" in text and "checkpoint 11:" in text


def test_rule_failures_exit_1_with_one_line(cli_db: Path) -> None:
    coi = ok(
        run(
            cli_db,
            *NEW_CASE,
            "--by",
            "alice",
            stdin="alice-secret-1\n",
        )
    ).strip()
    unit = json.loads(ok(run(cli_db, "case", "show", coi, "--json")))["units"][0]["unit"]
    line = one_line_error(
        run(
            cli_db,
            "event",
            "record",
            unit,
            "--step",
            "thaw",
            "--by",
            "alice",
            "--to",
            "anna",
            stdin="alice-secret-1\nanna-secret-1\n",
        ),
        1,
    )
    assert "expected collection" in line
    line = one_line_error(
        run(
            cli_db,
            "event",
            "record",
            unit,
            "--step",
            "collection",
            "--by",
            "alice",
            "--to",
            "alice",
            stdin="alice-secret-1\nalice-secret-1\n",
        ),
        1,
    )
    assert "two different people" in line
    line = one_line_error(
        run(
            cli_db,
            "event",
            "record",
            unit,
            "--step",
            "collection",
            "--by",
            "alice",
            "--to",
            "anna",
            stdin="alice-secret-1\nwrong-password\n",
        ),
        1,
    )
    assert "'anna': user name or password is wrong" in line
    line = one_line_error(
        run(cli_db, "case", "show", coi[:-1] + ("A" if coi[-1] != "A" else "B")), 1
    )
    assert "check character" in line


def test_usage_errors_exit_2(cli_db: Path) -> None:
    assert run(cli_db, "case", "new", "--name", "x").returncode == 2
    assert run(cli_db, "frobnicate").returncode == 2
    line = one_line_error(
        run(
            cli_db,
            *NEW_CASE,
        ),
        2,
    )
    assert "--by USER" in line
    line = one_line_error(run(cli_db, "correct", "3", "--reason", "r", "--by", "alice"), 2)
    assert "--set FIELD=VALUE" in line


def test_environment_errors_are_told_apart(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.sqlite3"
    line = one_line_error(run(missing, "case", "list"), 3)
    assert "cart-chain init" in line
    assert not missing.exists()  # a read command never creates a database
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    line = one_line_error(run(junk, "case", "list"), 3)
    assert "not a cart-chain database or is corrupt" in line
    assert junk.read_bytes() == b"this is not a database" * 100


def test_user_from_environment_and_password_on_stdin(cli_db: Path) -> None:
    out = ok(
        run(
            cli_db,
            *NEW_CASE,
            stdin="alice-secret-1\n",
            env={"CART_CHAIN_USER": "alice"},
        )
    )
    assert out.strip().startswith("CH")
    line = one_line_error(
        run(
            cli_db,
            *NEW_CASE,
            "--by",
            "alice",
        ),
        1,
    )
    assert "no password on standard input" in line


def test_demo_builds_a_full_chain_that_verifies(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    out = ok(run(db, "demo"))
    for username, _, role, password in DEMO_USERS:
        assert f"{username}" in out and password in out and role in out
    cases = json.loads(ok(run(db, "case", "list", "--json")))
    steps = {s for c in cases for _, s in c["unit_steps"]}
    assert {"infusion", None, "expansion"} <= steps and len(cases) >= 4
    complete = next(c for c in cases if c["unit_steps"][0][1] == "infusion")
    detail = json.loads(ok(run(db, "case", "show", complete["coi"], "--json")))
    assert len(detail["units"][0]["events"]) == 12
    assert json.loads(ok(run(db, "verify", "--json")))["ok"]
    assert "already exists" in one_line_error(run(db, "demo"), 1)


def test_no_command_and_version(tmp_path: Path) -> None:
    from cart_chain import __version__

    assert __version__ in ok(run(tmp_path / "x.sqlite3", "--version"))


def test_user_password_by_the_user_or_by_an_administrator(cli_db: Path) -> None:
    # An administrator sets a temporary password: it signs nothing.
    out = ok(
        run(
            cli_db,
            "user",
            "password",
            "alice",
            "--by",
            "root",
            stdin="root-secret-1\nalice-temp-pw-1\n",
        )
    )
    assert "temporary" in out
    line = one_line_error(run(cli_db, *NEW_CASE, "--by", "alice", stdin="alice-temp-pw-1\n"), 1)
    assert "change it first" in line and "cart-chain user password alice" in line
    assert "must change password" in ok(run(cli_db, "user", "list"))
    # The user changes it themself (old, then new), after which they sign.
    ok(
        run(
            cli_db,
            "user",
            "password",
            "alice",
            stdin="alice-temp-pw-1\nalice-own-pw-22\n",
            env={"CART_CHAIN_USER": "alice"},
        )
    )
    assert ok(run(cli_db, *NEW_CASE, "--by", "alice", stdin="alice-own-pw-22\n")).startswith("CH")
    # A wrong old password, and a new one that breaks the policy, are refused.
    line = one_line_error(
        run(
            cli_db,
            "user",
            "password",
            "alice",
            "--by",
            "alice",
            stdin="nope-nope-nope\nanother-pass-1\n",
        ),
        1,
    )
    assert "user name or password is wrong" in line
    line = one_line_error(
        run(cli_db, "user", "password", "alice", "--by", "alice", stdin="alice-own-pw-22\nshort\n"),
        1,
    )
    assert "at least 12 characters" in line


def test_the_last_administrator_stays_on_the_command_line(cli_db: Path) -> None:
    line = one_line_error(
        run(cli_db, "user", "role", "root", "qa", "--by", "root", stdin="root-secret-1\n"), 1
    )
    assert "last active administrator" in line


def test_event_record_gives_each_signer_the_side_their_role_holds(cli_db: Path) -> None:
    """The courier names themself first (``--by``) and still signs "Received by"."""
    coi = ok(run(cli_db, *NEW_CASE, "--by", "alice", stdin="alice-secret-1\n")).strip()
    unit = json.loads(ok(run(cli_db, "case", "show", coi, "--json")))["units"][0]["unit"]
    base = ("event", "record", unit, "--location", "Apheresis 2", "--temperature", "4")
    ok(
        run(
            cli_db,
            *base,
            "--step",
            "collection",
            "--by",
            "alice",
            "--to",
            "anna",
            stdin="alice-secret-1\nanna-secret-1\n",
        )
    )
    ok(
        run(
            cli_db,
            *base,
            "--step",
            "ship_to_manufacturing",
            "--by",
            "carl",
            "--to",
            "alice",
            stdin="carl-secret-1\nalice-secret-1\n",
        )
    )
    detail = json.loads(ok(run(cli_db, "case", "show", coi, "--json")))
    last = detail["units"][0]["events"][-1]
    assert [(s["meaning"], s["username"]) for s in last["signatures"]] == [
        ("Released by", "alice"),
        ("Received by", "carl"),
    ]
    assert detail["units"][0]["custodian"] == "carl"
    ok(run(cli_db, "verify"))


def test_event_record_asks_each_password_under_the_meaning_it_will_sign(cli_db: Path) -> None:
    """The courier named first receives: Alice's password is asked as "Released by"."""
    coi = ok(run(cli_db, *NEW_CASE, "--by", "alice", stdin="alice-secret-1\n")).strip()
    unit = json.loads(ok(run(cli_db, "case", "show", coi, "--json")))["units"][0]["unit"]
    base = ("event", "record", unit, "--location", "Apheresis 2", "--temperature", "4")
    collect = ("--step", "collection", "--by", "alice", "--to", "anna")
    ok(run(cli_db, *base, *collect, stdin="alice-secret-1\nanna-secret-1\n"))
    ship = ("--step", "ship_to_manufacturing", "--by", "carl", "--to", "alice")
    line = one_line_error(run(cli_db, *base, *ship, stdin="carl-secret-1\n"), 1)
    assert "Password for alice (Released by)" in line
