"""Importing a 100,000-sample logger file: parse alone, and the whole signed import.

    python benchmarks/condition.py [--samples 100000] [--runs 3]

Writes two files of N samples one minute apart: UTC with a point decimal, and
Europe/Berlin local time with semicolons and decimal commas (the zone's summer
time ends inside it, so the repeated hour is read). The bare baseline reads the
same file with the csv module, float() and datetime.fromisoformat(): what any
reader must pay. Then the full `condition import` into a fresh SQLite database
(parse, check, one signed entry, the file kept, the deviations opened), which
includes one argon2 password check (timed on its own, so it can be subtracted).
The target is under 2 s per import. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["CART_CHAIN_SITE_KEY"] = str(Path(tempfile.mkdtemp()) / "site-key.pem")

from argon2 import PasswordHasher

from cart_chain.domain.identifiers import parse_coi
from cart_chain.services import setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.cases import new_case
from cart_chain.services.condition import import_condition
from cart_chain.services.condition_formats import read_logger_file
from cart_chain.services.custody import record_event
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.store.database import Database

START = (datetime.now(UTC) - timedelta(days=30)).replace(second=0, microsecond=0)
USERS = (("alice", "apheresis"), ("anna", "apheresis"), ("carl", "courier"), ("lena", "cell_lab"))


def who(user: str) -> Credentials:
    return Credentials(user, f"{user}-secret-1")


def utc_file(n: int) -> bytes:
    out = [
        "Serial Number: BENCH-1",
        "Logging interval: 1 min",
        "Time zone: UTC",
        "",
        "Time,Temp (°C)",
    ]
    for i in range(n):
        at = START + timedelta(minutes=i)
        out.append(f"{at:%Y-%m-%d %H:%M:%S},{4 + (i % 40) / 10:.1f}")
    return ("\n".join(out) + "\n").encode()


def berlin_file(n: int) -> bytes:
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 25, 1, 0, tzinfo=UTC) - timedelta(minutes=n // 2)
    out = ["Serial Number: BENCH-2", "Logging interval: 1 min", "", "Date;Time;Temperature [°C]"]
    for i in range(n):
        at = (start + timedelta(minutes=i)).astimezone(zone)
        value = f"{4 + (i % 40) / 10:.1f}".replace(".", ",")
        out.append(f"{at:%d.%m.%Y};{at:%H:%M:%S};{value}")
    return ("\n".join(out) + "\n").encode()


def bare(data: bytes) -> int:
    """csv + float + fromisoformat over the same rows: the floor for any reader."""
    rows = csv.reader(io.StringIO(data.decode("utf-8")))
    n = 0
    for row in rows:
        if len(row) == 2 and row[0][:1].isdigit():
            datetime.fromisoformat(row[0]).replace(tzinfo=UTC).timestamp()
            float(row[1])
            n += 1
    return n


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    n, runs = args.samples, args.runs
    plain, local = utc_file(n), berlin_file(n)
    figures: dict[str, float] = {}
    figures["bare_csv_s"] = timed(lambda: bare(plain), runs)
    figures["parse_utc_s"] = timed(lambda: read_logger_file(plain), runs)
    figures["parse_local_decimal_comma_s"] = timed(
        lambda: read_logger_file(local, tz="Europe/Berlin"), runs
    )
    print(f"{n} samples, {len(plain)} bytes; median of {runs} runs")
    for k, v in figures.items():
        print(f"  {k:32s} {v:7.3f} s")

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(str(Path(tmp) / "bench.sqlite3"))
        setup.init_database(db, "admin", "Ada Admin", who("admin").password)
        admin = who("admin")
        for user, role in USERS:
            add_user_with_own_password(db, admin, user, user.title(), role, f"{user}-secret-1")
        imports = []
        for k in range(runs):
            coi = new_case(db, who("alice"), f"Bench {k}", "1970-01-01", f"B-{k}", "Yescarta", 1)
            unit_code = parse_coi(coi.subject).unit(1).full
            at = START - timedelta(hours=1)
            record_event(db, unit_code, "collection", who("alice"), who("anna"), occurred_at=at)
            record_event(
                db, unit_code, "ship_to_manufacturing", who("alice"), who("carl"), occurred_at=START
            )
            data = plain.replace(b"BENCH-1", f"BENCH-{k:03d}".encode())  # a different file each run
            t = time.perf_counter()
            import_condition(db, unit_code, data, who("lena"))
            imports.append(time.perf_counter() - t)
        hasher = PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1)
        hashed = hasher.hash("lena-secret-1")
        t = time.perf_counter()
        hasher.verify(hashed, "lena-secret-1")
        argon = time.perf_counter() - t
        db.dispose()
    figures["import_sqlite_s"] = statistics.median(imports)
    figures["argon2_check_s"] = argon
    print(
        f"  {'import_sqlite_s':32s} {figures['import_sqlite_s']:7.3f} s (incl. one password check)"
    )
    print(f"  {'argon2_check_s':32s} {argon:7.3f} s")
    print(json.dumps({"benchmark": "condition", "samples": n, "target_s": 2.0, **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
