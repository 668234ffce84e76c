"""`verify` checks the guards too: append-only triggers and a trustworthy schema version."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from cart_chain.cli.main import main
from cart_chain.domain.errors import SchemaMismatch, SchemaTooNew
from cart_chain.services.verification import verify_ledger
from cart_chain.store import schema
from cart_chain.store.database import Database
from cart_chain.store.models import Base
from tests.helpers import populate


def sql(db: Database, *statements: str) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def db_arg(db: Database) -> str:
    return str(db.path) if db.is_sqlite else db.url


def test_tables_added_per_revision_match_the_migrations(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    for revision in schema.REVISIONS:
        db = Database(str(tmp_path / f"at-{revision}.sqlite3"))
        cfg = Config()
        cfg.set_main_option("script_location", str(schema.MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == schema.tables_at(revision), revision
        db.dispose()
    assert schema.tables_at(schema.HEAD) == set(Base.metadata.tables)


@pytest.mark.parametrize("version", ["0001", "0002", "zz99"])
def test_a_changed_version_row_is_refused_without_upgrading_and_verify_fails(
    any_db: Database, version: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(any_db)
    sql(any_db, f"UPDATE alembic_version SET version_num = '{version}'")
    files = sorted(tmp_path.iterdir())
    for _ in range(2):  # every command: the same refusal, no migration, no new copy
        assert main(["--db", db_arg(any_db), "case", "list"]) == 3
        err = capsys.readouterr().err
        assert version in err and "verify" in err, err
        assert sorted(tmp_path.iterdir()) == files
    with pytest.raises(SchemaMismatch):
        schema.state(any_db)
    assert main(["--db", db_arg(any_db), "verify"]) == 1
    err = capsys.readouterr().err
    assert "alembic_version" in err and version in err, err
    report = verify_ledger(any_db)
    assert not report.ok and report.problem is not None
    assert report.problem.table == "alembic_version"
    with any_db.engine.connect() as conn:  # nothing was migrated or rewritten
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == version


def test_an_unknown_version_is_still_called_newer(db: Database) -> None:
    populate(db)
    sql(db, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaTooNew, match="newer than this cart-chain"):
        schema.state(db)


def test_two_version_rows_are_refused_and_fail_verify(any_db: Database) -> None:
    populate(any_db)
    sql(any_db, f"INSERT INTO alembic_version (version_num) VALUES ('{schema.REVISIONS[0]}')")
    with pytest.raises(SchemaMismatch, match="2 schema version rows"):
        schema.state(any_db)
    report = verify_ledger(any_db)
    assert report.problem is not None and "2 schema version rows" in report.problem.message


def test_an_intact_database_passes_the_guard_checks(ready_any_db: Database) -> None:
    report = verify_ledger(ready_any_db)
    assert report.ok, report.problem


@pytest.mark.parametrize("table", ["ledger_entries", "cases", "gate_overrides"])
def test_verify_fails_naming_a_table_whose_trigger_was_dropped(
    any_db: Database, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(any_db)
    if any_db.is_sqlite:
        sql(any_db, f"DROP TRIGGER {table}_no_delete")
    else:
        sql(any_db, f"DROP TRIGGER {table}_append_only ON {table}")
    report = verify_ledger(any_db)
    assert not report.ok and report.problem is not None
    assert report.problem.table == table and "DELETE" in report.problem.message
    assert main(["--db", db_arg(any_db), "verify"]) == 1
    assert table in capsys.readouterr().err


def test_a_disabled_or_defanged_postgresql_trigger_fails_verify(
    any_db_postgresql: Database,
) -> None:
    db = any_db_postgresql
    populate(db)
    sql(db, "ALTER TABLE cases DISABLE TRIGGER cases_no_truncate")
    report = verify_ledger(db)
    assert report.problem is not None and report.problem.table == "cases"
    assert "TRUNCATE" in report.problem.message
    sql(db, "ALTER TABLE cases ENABLE TRIGGER cases_no_truncate")
    assert verify_ledger(db).ok
    # the same trigger names, but the function they call lets everything through
    sql(
        db,
        "CREATE OR REPLACE FUNCTION cart_chain_append_only() RETURNS trigger AS $$ "
        "BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql",
    )
    report = verify_ledger(db)
    assert report.problem is not None and report.problem.table == "ledger_entries"


def test_a_sqlite_trigger_replaced_by_a_harmless_one_fails_verify(db: Database) -> None:
    populate(db)
    sql(
        db,
        "DROP TRIGGER users_no_update",
        "CREATE TRIGGER users_no_update BEFORE UPDATE ON users BEGIN SELECT 1; END",
    )
    report = verify_ledger(db)
    assert report.problem is not None and report.problem.table == "users"
    assert "UPDATE" in report.problem.message


def test_verify_reports_a_dropped_table_instead_of_crashing(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(db)
    sql(db, "DROP TABLE gate_overrides")
    assert main(["--db", str(db.path), "verify"]) == 1
    assert "gate_overrides" in capsys.readouterr().err
