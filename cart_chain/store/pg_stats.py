"""Whether a PostgreSQL server keeps the planner's view of the ledger up to date.

cart-chain keeps its statements prepared on each connection. After a few runs
PostgreSQL may keep one generic plan per statement, made from the tables'
statistics; a plan made while the ledger held a few rows is a sequential scan of
it, and stays one until the tables are analysed again. autovacuum, on by default,
analyses a table once a tenth of it has changed; with it off, someone must run
ANALYZE. On this project's test server, with autovacuum off, handoffs at 10k
entries took 5.9-12.6 ms instead of about 2 ms. `verify` warns of it, so that an
administrator hears of it before the workstations slow down.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: The server's autovacuum setting, and the ledger's row count as of its last
#: analysis (-1: never analysed; PostgreSQL 14 and later), read from the catalogue,
#: which unlike the statistics views is current the moment ANALYZE commits.
_READ = text(
    "SELECT current_setting('autovacuum'), c.reltuples FROM pg_class c "
    "WHERE c.oid = to_regclass('ledger_entries')"
)


def stale(analysed_rows: float, entries: int) -> bool:
    """Whether statistics taken at ``analysed_rows`` rows (-1: never) no longer describe
    a ledger of ``entries``: a fifth more than then, and a thousand at least, which
    autovacuum would have caught up with long before (a tenth, and fifty)."""
    if analysed_rows < 0:
        return entries > 0
    return entries > analysed_rows * 1.2 + 1000


def warning(conn: Connection, entries: int) -> str | None:
    """What to tell the administrator, or None (SQLite; autovacuum on; statistics fresh)."""
    if conn.dialect.name != "postgresql":
        return None
    row = conn.execute(_READ).first()
    if row is None or row[0] != "off" or not stale(float(row[1]), entries):
        return None
    when = "has never been analysed" if row[1] < 0 else f"was last analysed at {row[1]:,.0f} rows"
    return (
        f"this PostgreSQL server runs with autovacuum off, and the ledger ({entries:,} "
        f"entries) {when}: the database's plans may turn to full scans and every "
        "handoff slow down as it grows. Run ANALYZE on this database (or schedule it), "
        "or turn autovacuum on"
    )
