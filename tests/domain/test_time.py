"""Entries never go back in time: server time on PostgreSQL, never before the head on SQLite."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import text

from cart_chain.domain import clock
from cart_chain.domain.clock import parse_iso
from cart_chain.domain.errors import ClockBehind
from cart_chain.services import settings
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import entry_hash
from tests.helpers import creds, populate


def head_entry(db: Database) -> ledger.Entry:
    def run(session):  # type: ignore[no-untyped-def]
        entry = ledger.get_entry(session, ledger.head(session).seq)
        assert entry is not None
        return entry

    return db.read(run)


def shifted(stamp: str, **delta: float) -> str:
    return clock.utc_iso(clock.parse_iso(stamp) + timedelta(**delta))


def change_facility(db: Database, value: str) -> None:
    settings.set_setting(db, creds("admin"), "facility", value)


def test_a_workstation_clock_a_little_behind_takes_the_heads_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(db)
    last = head_entry(db)
    monkeypatch.setattr(ledger, "now_iso", lambda: shifted(last.recorded_at, seconds=-90))
    change_facility(db, "W1234")
    new = head_entry(db)
    assert new.seq == last.seq + 1 and new.recorded_at == last.recorded_at
    assert verify_ledger(db).ok


def test_a_workstation_clock_far_behind_is_refused_naming_both_times(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(db)
    last = head_entry(db)
    behind = shifted(last.recorded_at, minutes=-3)
    monkeypatch.setattr(ledger, "now_iso", lambda: behind)
    with pytest.raises(ClockBehind) as err:
        change_facility(db, "W1234")
    assert behind in str(err.value) and last.recorded_at in str(err.value)
    assert "workstation" in str(err.value)
    assert head_entry(db) == last  # nothing written


def test_the_cli_says_the_clock_is_behind_with_exit_3(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cart_chain.cli.main import main

    populate(db)
    last = head_entry(db)
    monkeypatch.setattr(ledger, "now_iso", lambda: shifted(last.recorded_at, minutes=-10))
    monkeypatch.setattr("sys.stdin", io.StringIO(creds("admin").password + "\n"))
    code = main(["--db", str(db.path), "settings", "facility", "W1234", "--by", "admin"])
    assert code == 3
    assert last.recorded_at in capsys.readouterr().err
    assert head_entry(db) == last


def _append_at(db: Database, at: str) -> ledger.Entry:
    """An entry stamped ``at``, as one written where the clock ran ahead would be."""
    return db.write(
        lambda s: ledger.append(
            s, "setting_changed", "admin", {"key": "note", "value": "x"}, recorded_at=at
        )
    )


def test_a_head_ahead_of_the_clock_is_never_undercut(any_db: Database) -> None:
    populate(any_db)
    ahead = _append_at(any_db, shifted(head_entry(any_db).recorded_at, seconds=60))
    change_facility(any_db, "W1234")
    assert head_entry(any_db).recorded_at == ahead.recorded_at
    far = _append_at(any_db, shifted(ahead.recorded_at, minutes=10))
    with pytest.raises(ClockBehind, match="clock is more than 2 minutes behind") as err:
        change_facility(any_db, "W2345")
    assert far.recorded_at in str(err.value)
    assert head_entry(any_db) == far


def test_postgresql_takes_recorded_at_from_the_server(
    any_db_postgresql: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = any_db_postgresql
    populate(db)
    # this workstation's clock is years off; the server's is what counts
    monkeypatch.setattr(clock, "datetime", _Year2001)
    server = text(
        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    )
    with db.engine.connect() as conn:
        before = conn.execute(server).scalar()
    change_facility(db, "W1234")
    with db.engine.connect() as conn:
        after = conn.execute(server).scalar()
    at = head_entry(db).recorded_at
    assert before <= at <= after
    clock.parse_iso(at)  # the ledger's own format, to the microsecond


class _Year2001(datetime):
    """A workstation clock stuck in 2001."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _Year2001:
        return cls(2001, 1, 1, tzinfo=UTC)


def _rewrite_last_time(db: Database, at: str) -> None:
    """Re-date the head entry and re-hash it, as someone with write access could."""
    last = head_entry(db)
    digest = entry_hash(
        last.seq, at, last.kind, last.actor, last.prev_hash, ledger.canonical(last.payload)
    )
    sql = (
        f"UPDATE ledger_entries SET recorded_at = '{at}', hash = '{digest}' WHERE seq = {last.seq}"
    )
    if db.is_sqlite:
        conn = sqlite3.connect(str(db.path))
        name = "ledger_entries_no_update"
        (trigger,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = ?", (name,)
        ).fetchone()
        conn.execute(f"DROP TRIGGER {name}")
        conn.execute(sql)
        conn.execute(trigger)  # put back: only the date is the lie
        conn.commit()
        conn.close()
        return
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql))


def test_verify_finds_an_entry_dated_before_the_one_before_it(any_db: Database) -> None:
    populate(any_db)
    change_facility(any_db, "W1234")
    last = head_entry(any_db)
    before = ledger_time(any_db, last.seq - 1)
    earlier = shifted(before, seconds=-1)
    _rewrite_last_time(any_db, earlier)
    report = verify_ledger(any_db)
    assert not report.ok and report.problem is not None
    assert report.problem.seq == last.seq and "time went back" in report.problem.message
    assert earlier in report.problem.message and before in report.problem.message


def ledger_time(db: Database, seq: int) -> str:
    def run(session):  # type: ignore[no-untyped-def]
        entry = ledger.get_entry(session, seq)
        assert entry is not None
        return entry.recorded_at

    return db.read(run)


_STORED = "%Y-%m-%dT%H:%M:%S.%fZ"


def _strptime_or_error(text: str) -> object:
    try:
        return datetime.strptime(text, _STORED).replace(tzinfo=UTC)
    except ValueError:
        return ValueError


def _parse_or_error(text: str) -> object:
    try:
        return parse_iso(text)
    except ValueError:
        return ValueError


@examples(max_examples=400, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
    at=st.integers(0, 26),
    char=st.characters(),
    how=st.sampled_from(["keep", "replace", "insert", "delete"]),
)
def test_parse_iso_reads_exactly_what_strptime_reads(moment, at, char, how) -> None:  # type: ignore[no-untyped-def]
    """Its fast path (`datetime.fromisoformat`) never accepts or reads a stored time
    differently from the strict format it stands in for, however the string is bent."""
    text = moment.strftime(_STORED)
    if how == "replace":
        text = text[:at] + char + text[at + 1 :]
    elif how == "insert":
        text = text[:at] + char + text[at:]
    elif how == "delete":
        text = text[:at] + text[at + 1 :]
    assert _parse_or_error(text) == _strptime_or_error(text)


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), ZoneInfo("Europe/Berlin")]
        ),
    )
)
@example(datetime(1999, 3, 28, 2, 0, tzinfo=ZoneInfo("Europe/Berlin")))  # in the DST gap
def test_utc_iso_is_the_stored_format_read_back_to_the_same_moment(moment: datetime) -> None:
    """`utc_iso` formats by `isoformat` (faster); what it gives is what `strftime` with
    the stored format gave, and `parse_iso` reads it back to the same UTC instant."""
    shown = clock.utc_iso(moment)
    utc = moment.astimezone(UTC)
    assert shown == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # Against the UTC instant: a Berlin time in the spring gap (1999-03-28 02:00) never
    # compares equal to a time in another zone (PEP 495), though it converts to one.
    assert parse_iso(shown) == utc
