"""Crash test: SIGKILL a writer at random moments; no acknowledged entry may be lost.

    python benchmarks/crash.py [--kills 1000] [--pg-kills 100] [--pg URL] [--seed N]

A forked child appends signed handoffs through the real service path (`record_event`:
two signers, courier-to-courier legs of one shipment, each a hash-chained entry with
its projections, one transaction each). After each commit returns it appends
``seq:hash`` to an acknowledgement file and fsyncs it: from then on the entry was
promised to a user. The parent SIGKILLs the child after a random delay (most land
inside a write transaction or its commit, where the child spends its time), reopens
the database, runs `verify`, and checks that every acknowledged entry is there with
the same hash. Then it forks the next writer on the same, growing database.

Prints per backend: kills, acknowledged entries, acknowledged entries lost (must be
0), verify failures (must be 0), and ends with one JSON line. Password hashes are
made cheap once at set-up so a child gets many writes in before it dies; every
signature still runs the real argon2 check against the stored hash.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher

from cart_chain.domain.identifiers import parse_coi
from cart_chain.services import passwords, setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.cases import new_case
from cart_chain.services.custody import record_event
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry

PW = "crash-secret-1"
USERS = (("alice", "apheresis"), ("anna", "apheresis"), ("carl", "courier"), ("cora", "courier"))
MAX_DELAY_S = {"sqlite": 0.2, "postgresql": 0.3}


@dataclass
class Figures:
    backend: str
    kills: int = 0
    acknowledged: int = 0
    lost: int = 0
    verify_failures: int = 0
    entries: int = 0
    seconds: float = 0.0
    first_problem: str | None = None


def prepare(db: Database) -> str:
    """Users with cheap hashes, and one unit on its way to manufacturing."""
    real = passwords.hash_password
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords.hash_password = cheap.hash
    try:
        setup.init_database(db, "admin", "Crash Admin", PW)
        admin = Credentials("admin", PW)
        for name, role in USERS:
            # A password an administrator sets is temporary: each user then sets their own.
            add_user_with_own_password(db, admin, name, name.title(), role, PW)
    finally:
        passwords.hash_password = real
    alice, anna, carl = (Credentials(n, PW) for n in ("alice", "anna", "carl"))
    coi = new_case(db, alice, "Crash Test", "1970-01-01", "MRN-CRASH", "Kymriah").subject
    unit = parse_coi(coi).unit(1).full
    record_event(db, unit, "collection", alice, anna, temperature_c=22.0)
    record_event(db, unit, "ship_to_manufacturing", alice, carl, temperature_c=4.0)
    return unit


def writer(url: str, unit: str, acks: Path, ready: int) -> None:
    """The child: hand the unit from courier to courier forever, acknowledging each commit.

    It says it is ready once connected, so the random delay starts when writing does
    (a loaded machine may need longer to start a child than the longest delay)."""
    db = Database(url)
    db.read(lambda s: s.query(LedgerEntry.seq).limit(1).all())
    os.write(ready, b"1")
    os.close(ready)
    couriers = [Credentials("carl", PW), Credentials("cora", PW)]
    fd = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    i = 0
    while True:
        by, to = couriers[i % 2], couriers[(i + 1) % 2]
        r = record_event(db, unit, "ship_to_manufacturing", by, to, temperature_c=4.0)
        os.write(fd, f"{r.seq}:{r.hash}\n".encode())
        os.fsync(fd)
        i += 1


def read_acks(acks: Path) -> dict[int, str]:
    """Acknowledged entries: complete lines only (a torn last line was never promised)."""
    if not acks.exists():
        return {}
    out = {}
    for line in acks.read_text().splitlines(keepends=True):
        if line.endswith("\n"):
            seq, _, digest = line.strip().partition(":")
            out[int(seq)] = digest
    return out


def missing(db: Database, acked: dict[int, str]) -> list[int]:
    """Acknowledged entries that are absent or carry another hash."""
    stored = dict(db.read(lambda s: s.query(LedgerEntry.seq, LedgerEntry.hash).all()))
    return sorted(seq for seq, digest in acked.items() if stored.get(seq) != digest)


def run(url: str, backend: str, kills: int, rng: random.Random, work: Path) -> Figures:
    figures = Figures(backend)
    db = Database(url)
    unit = prepare(db)
    db.dispose()
    acks = work / f"acks-{backend}.txt"
    acks.unlink(missing_ok=True)
    t0 = time.perf_counter()
    for _ in range(kills):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns: it is killed
            os.close(r)
            try:
                writer(url, unit, acks, w)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(70)
        os.close(w)
        os.read(r, 1)  # connected (or dead: then the wait below says why)
        os.close(r)
        time.sleep(rng.uniform(0, MAX_DELAY_S[backend]))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            raise SystemExit(f"the writer ended by itself (status {status}): see its error above")
        figures.kills += 1
        db = Database(url)
        try:
            report = verify_ledger(db)
            if not report.ok:
                figures.verify_failures += 1
                figures.first_problem = figures.first_problem or str(report.problem)
            acked = read_acks(acks)
            lost = missing(db, acked)
            figures.lost = len(lost)  # cumulative: every acknowledgement is checked every time
            if lost and figures.first_problem is None:
                figures.first_problem = f"acknowledged entries lost: {lost[:5]}"
            figures.acknowledged = len(acked)
            figures.entries = report.entries
        finally:
            db.dispose()
    figures.seconds = round(time.perf_counter() - t0, 1)
    return figures


def show(f: Figures) -> None:
    print(f"== {f.backend} ==")
    print(f"kills                          {f.kills:8,}")
    print(f"acknowledged entries           {f.acknowledged:8,}   (ledger holds {f.entries:,})")
    print(f"acknowledged entries lost      {f.lost:8,}   (must be 0)")
    print(f"verify failures                {f.verify_failures:8,}   (must be 0)")
    print(f"time                           {f.seconds:8.1f} s")
    if f.first_problem:
        print(f"first problem: {f.first_problem}")


def main(argv: list[str] | None = None) -> int:
    # A key of this run: a benchmark never signs with (or writes) the user's site key.
    os.environ["CART_CHAIN_SITE_KEY"] = str(Path(tempfile.mkdtemp()) / "site-key.pem")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000, help="kills on SQLite")
    parser.add_argument("--pg-kills", type=int, default=100, help="kills on PostgreSQL (0: skip)")
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "CART_CHAIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    print(f"seed {seed}")
    results = []
    with tempfile.TemporaryDirectory(prefix="cart-chain-crash-") as tmp:
        work = Path(tmp)
        if args.kills:
            results.append(run(str(work / "crash.sqlite3"), "sqlite", args.kills, rng, work))
            show(results[-1])
        pg_note = None
        if args.pg_kills:
            try:
                import psycopg

                raw = args.pg.replace("postgresql+psycopg", "postgresql")
                schema = f"crash_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(raw, autocommit=True, connect_timeout=3) as c:
                    c.execute(f"CREATE SCHEMA {schema}")
            except Exception as exc:
                pg_note = f"skipped: {str(exc).splitlines()[0] if str(exc) else exc}"
                print(f"== postgresql == {pg_note}")
            else:
                sep = "&" if "?" in args.pg else "?"
                url = f"{args.pg}{sep}options=-csearch_path%3D{schema}"
                try:
                    results.append(run(url, "postgresql", args.pg_kills, rng, work))
                    show(results[-1])
                finally:
                    with psycopg.connect(raw, autocommit=True) as c:
                        c.execute(f"DROP SCHEMA {schema} CASCADE")
    summary = {
        "seed": seed,
        "results": [asdict(r) for r in results],
        "lost": sum(r.lost for r in results),
        "verify_failures": sum(r.verify_failures for r in results),
        "postgresql": (pg_note or "ran") if args.pg_kills else "not asked",
    }
    print(json.dumps(summary))
    return 0 if summary["lost"] == 0 and summary["verify_failures"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
