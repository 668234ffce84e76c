"""Ledger figures: storing a signed handoff and verifying, against bare baselines.

    python benchmarks/ledger.py [--sizes 10000 100000] [--samples 200] [--pg URL]
                                [--no-pg | --no-sqlite] [--keep DIR]

Prints, for SQLite (and PostgreSQL when reachable), measured in the same run:
- a bare durable SQLite insert+commit (WAL, synchronous=FULL) and a bare SHA-256 chain step;
- the time to store a signed handoff once its signers' passwords are checked (p50, p99),
  at each ledger size; argon2id password checking is slow on purpose and timed apart;
- verify throughput in entries per second (the Merkle tree's stored hashes recomputed too),
  and `verify --quick` resumed at a checkpoint the full run passed (right after it, and
  after another ``--samples`` handoffs, which it checks in full), over the whole ledger;
- a scan resolved to its case, unit and next step (`scanning.scan` of a bag's unit code,
  checked against the step after its last), p50, next to a bare primary-key read of the
  unit row with the sqlite3 module (SQLite) in the same run;
- the Merkle tree's share of each append (reading the siblings, writing its hashes), and
  at the largest size the inclusion and consistency proofs: hashes, bytes and time;
- checkpoint signing: the signed note alone and recorded in a write, next to a bare
  Ed25519 signature (``--sizes 1000000`` gives the issue's 1M-entry proof figures).
``--keep DIR`` keeps the SQLite database in DIR (``bench.sqlite3``) and the PostgreSQL
schema (its name is printed), to rerun `verify` or another benchmark on them.
The last line is JSON: {"bare_chain_per_s", "sqlite": {SIZE: {"handoff_p50_ms",
"bare_commit_p50_ms", "verify_per_s", "verify_quick_per_s",
"verify_quick_after_handoffs_per_s", "scan_p50_ms", "bare_scan_p50_ms"}}, "postgresql":
{...}, "merkle": {backend: figures at the largest size}}.
Goals (issue 14): a handoff within 3x the bare commit at 10k, 100k and 1M entries; verify
at least 25% of the bare chain's rate; a scan to case, unit and next step under 2 ms p50.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from cart_chain.domain.identifiers import Coi
from cart_chain.domain.steps import RULES, Step
from cart_chain.services import passwords, setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.checkpoints import checkpoint_in
from cart_chain.services.custody import record_event
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger, tree
from cart_chain.store.database import Database

PW = "bench-secret-1"
#: Seconds per bare SHA-256 chain step, measured first in `main`.
hash_step = 1e-6


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1e3:7.2f} ms   p99 {pct(values, 0.99) * 1e3:7.2f} ms"


def bare_sqlite_commit(directory: Path) -> Callable[[int], list[float]]:
    """A durable one-row insert+commit on a plain table: the floor for any stored record."""
    conn = sqlite3.connect(str(directory / "bare.sqlite3"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, payload TEXT, hash TEXT)")
    counter = iter(range(10**9))

    def commit(n: int) -> list[float]:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?, ?, ?)", (next(counter), "x" * 600, "h" * 64))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - t0)
        return times

    return commit


def bare_pg_commit(url: str, schema: str) -> Callable[[int], list[float]]:
    import psycopg

    c = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)
    table = f"{schema}.bare"
    c.execute(f"CREATE TABLE {table} (seq bigint PRIMARY KEY, payload text, hash text)")
    counter = iter(range(10**9))

    def commit(n: int) -> list[float]:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            with c.transaction():
                c.execute(
                    f"INSERT INTO {table} VALUES (%s, %s, %s)", (next(counter), "x" * 600, "h" * 64)
                )
            times.append(time.perf_counter() - t0)
        return times

    return commit


def bare_chain(n: int) -> float:
    prev, payload = b"0" * 64, b"x" * 600
    t0 = time.perf_counter()
    for _ in range(n):
        prev = hashlib.sha256(prev + payload).hexdigest().encode()
    return (time.perf_counter() - t0) / n


#: Two bench users per signing role, so every bulk entry is signed as the services would.
BENCH_ROLES = ("apheresis", "courier", "cell_lab", "qa", "infusion")


def _sig(role: str, n: int, meaning: str) -> dict[str, str]:
    return {
        "username": f"{role}{n}",
        "printed_name": f"Bench {role} {n}",
        "meaning": meaning,
        "signed_at": "2026-01-01T00:00:00.000000Z",
    }


def _step_sigs(step: str) -> list[dict[str, str]]:
    """Signatures the authority table allows for ``step`` (first and second signer)."""
    rule = RULES[Step(step)]
    first = sorted(rule.by_roles)[0]
    sigs = [_sig(first, 1, rule.by_meaning)]
    if rule.to_meaning is not None:
        sigs.append(_sig(sorted(rule.to_roles)[0], 2, rule.to_meaning))
    return sigs


def fill(db: Database, target: int, state: dict[str, int]) -> None:
    """Grow the ledger to ``target`` entries with realistic cases and events (bulk, no argon2)."""
    sig = [_sig("apheresis", 1, "Performed by")]
    while state["entries"] < target:

        def batch(session) -> int:  # type: ignore[no-untyped-def]
            made = 0
            for _ in range(100):
                state["seq"] += 1
                coi = Coi.build("B0001", 2026, state["seq"])
                unit = coi.unit(1).full
                ledger.append(
                    session,
                    "case_created",
                    "apheresis1",
                    {
                        "coi": coi.full,
                        "facility": "B0001",
                        "year": 26,
                        "patient": {"name": "Bench", "dob": "1970-01-01", "mrn": "M"},
                        "product": "K",
                        "units": [unit],
                        "signatures": sig,
                    },
                )
                made += 1
                for step in (
                    "collection",
                    "ship_to_manufacturing",
                    "receipt_at_manufacturing",
                    "engineering",
                    "expansion",
                    "cryopreservation",
                    "release",
                    "storage",
                    "ship_to_site",
                ):
                    sigs = _step_sigs(step)
                    ledger.append(
                        session,
                        "event_recorded",
                        sigs[0]["username"],
                        {
                            "unit": unit,
                            "coi": coi.full,
                            "step": step,
                            "occurred_at": "2026-01-01T00:00:00.000000Z",
                            "location": "L",
                            "temperature_c": 4.0,
                            "note": None,
                            "by": sigs[0]["username"],
                            "to": sigs[-1]["username"] if len(sigs) > 1 else None,
                            "signatures": sigs,
                        },
                    )
                    made += 1
            return made

        state["entries"] += db.write(batch)


def settle(db: Database) -> None:
    """Flush the fill before anything is timed: its last writes (a gigabyte at 1M) were
    still in the SQLite WAL or the server's buffers and the kernel's dirty pages, so
    the first WAL checkpoints and fsyncs of the timed handoffs waited for them (a p99
    of 61 ms at 1M). The bare commit, on a file of its own, never saw that.

    On PostgreSQL, also ANALYZE, as autovacuum would have after such a fill. Without
    it (a server with autovacuum off, as the test server here), the plans cached for
    statements first run on a ledger of a few rows stay those of a few rows: sequential
    scans of the ledger, 5.9-12.6 ms handoffs at 10k entries instead of about 2."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.exec_driver_sql("ANALYZE")
            try:
                conn.exec_driver_sql("CHECKPOINT")  # a superuser's; else left to the server
            except DBAPIError:  # not a superuser: a figure taken without it is still one
                conn.rollback()
        conn.commit()
    os.sync()


def store_handoffs(
    db: Database, samples: int, state: dict[str, int], bare: Callable[[int], list[float]]
) -> tuple[list[float], list[float]]:
    """Time `record_event` for a two-signature handoff with password checks taken out.

    A bare commit is timed between handoffs, so both see the same disk and load.
    """
    from cart_chain.services.cases import new_case

    b1, b2 = Credentials("b1", PW), Credentials("b2", PW)
    units = []
    for _ in range(samples):
        coi = new_case(db, Credentials("b3", PW), "Bench", "1970-01-01", "M", "K").subject
        units.append(Coi(coi[:-1]).unit(1).full)
    state["entries"] += samples
    real_verify = passwords.verify_password
    passwords.verify_password = lambda stored, given: True  # timed apart below
    times, base = [], []
    tree_times.clear()
    ledger.leaf_rows = _timed_leaf_rows  # type: ignore[assignment]
    try:
        for unit in units:
            base += bare(1)
            t0 = time.perf_counter()
            record_event(db, unit, "collection", b1, b2, location="Bench", temperature_c=20.0)
            times.append(time.perf_counter() - t0)
    finally:
        passwords.verify_password = real_verify
        ledger.leaf_rows = tree.leaf_rows  # type: ignore[assignment]
    state["entries"] += samples
    return times, base


#: Time spent working out each entry's Merkle tree hashes during the timed handoffs (their
#: rows are then written with the entry's others, in the same batch).
tree_times: list[float] = []


def _timed_leaf_rows(conn, seq: int, entry_hash: str, prev_hash: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    rows = tree.leaf_rows(conn, seq, entry_hash, prev_hash)
    tree_times.append(time.perf_counter() - t0)
    return rows


def scan_figures(db: Database, runs: int = 200) -> tuple[list[float], list[float]]:
    """`scanning.scan` of bench bags spread over the ledger, checked against their next
    step (each bag's last is ship_to_site), and on SQLite a bare read of the unit row."""
    from cart_chain.services.scanning import scan
    from cart_chain.store.models import Event

    units = db.read(
        lambda s: list(
            s.execute(
                select(Event.unit_code)
                .where(Event.step == "ship_to_site")
                .order_by(Event.entry_seq)
            ).scalars()
        )
    )
    picked = [units[(i * 7919) % len(units)] for i in range(runs)]
    times, bare = [], []
    raw = None
    if db.engine.dialect.name == "sqlite":
        raw = sqlite3.connect(f"file:{db.engine.url.database}?mode=ro", uri=True)
    for unit in picked:
        t0 = time.perf_counter()
        result = scan(db, unit, step="receipt_at_site")
        times.append(time.perf_counter() - t0)
        assert result.unit is not None and result.unit.unit == unit
        if raw is not None:
            t0 = time.perf_counter()
            raw.execute("SELECT * FROM units WHERE unit_code = ?", (unit,)).fetchall()
            bare.append(time.perf_counter() - t0)
    if raw is not None:
        raw.close()
    return times, bare


def proof_figures(db: Database, size: int, runs: int = 50) -> dict[str, float | int]:
    """Inclusion (a middle entry) and consistency (half to all) proofs at ``size`` entries."""
    from cart_chain.services.proofs import consistency_proof, inclusion_proof

    inc_t, con_t = [], []
    for i in range(runs):
        seq = 1 + (i * 7919) % size
        t0 = time.perf_counter()
        inc = inclusion_proof(db, seq, size)
        inc_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        con = consistency_proof(db, max(1, size // 2 - i), size)
        con_t.append(time.perf_counter() - t0)
    return {
        "tree_size": size,
        "inclusion_hashes": len(inc.proof),
        "inclusion_bytes": 32 * len(inc.proof),
        "inclusion_p50_ms": round(pct(inc_t, 0.5) * 1e3, 3),
        "consistency_hashes": len(con.proof),
        "consistency_bytes": 32 * len(con.proof),
        "consistency_p50_ms": round(pct(con_t, 0.5) * 1e3, 3),
    }


def quick_figures(
    db: Database, samples: int, state: dict[str, int], bare: Callable[[int], list[float]]
) -> tuple[float, float]:
    """`verify --quick` (entries per second over the whole ledger) resumed at the checkpoint
    the full run just passed; then again after ``samples`` more handoffs, which it checks in
    full. The second run moves the mark on; the next size's fill goes past it."""
    rates = []
    for tail in (False, True):
        if tail:
            store_handoffs(db, samples, state, bare)
        t0 = time.perf_counter()
        report = verify_ledger(db, quick=True, remember=True)
        elapsed = time.perf_counter() - t0
        assert report.ok and report.since > 1, (report.problem, report.since)
        rates.append(report.entries / elapsed)
    return rates[0], rates[1]


def checkpoint_figures(db: Database, runs: int = 30) -> dict[str, float]:
    """Signing a checkpoint: the note alone, and recorded in a write (witness delivery
    included, none configured here), next to a bare Ed25519 signature in the same run."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cart_chain.domain.merkle import TreeHead
    from cart_chain.domain.signed_note import sign

    key = Ed25519PrivateKey.generate()
    bare_t, note_t, write_t = [], [], []
    head = TreeHead(1_000_000, b"\x01" * 32)
    for _ in range(runs):
        t0 = time.perf_counter()
        key.sign(b"cart-chain.A9999.00000000\n1000000\n" + b"A" * 44 + b"\n")
        bare_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sign("cart-chain.A9999.00000000", head, key)
        note_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        db.write(lambda s: checkpoint_in(s, "admin"))
        write_t.append(time.perf_counter() - t0)
    print(f"bare Ed25519 signature               {fmt(bare_t)}")
    print(f"checkpoint note signed               {fmt(note_t)}")
    print(f"checkpoint signed and recorded       {fmt(write_t)}   (one write transaction)")
    return {
        "ed25519_bare_p50_ms": round(pct(bare_t, 0.5) * 1e3, 3),
        "checkpoint_sign_p50_ms": round(pct(note_t, 0.5) * 1e3, 3),
        "checkpoint_recorded_p50_ms": round(pct(write_t, 0.5) * 1e3, 3),
    }


def read_floors(db: Database) -> dict[str, float]:
    """What reading the stored ledger costs before any rule is checked, in bare loops
    over the same database: its rows read; read and parsed (json); read with each hash
    recomputed and linked and the Merkle root rebuilt (what proving the records alone
    takes). With the bare chain these bound what any verify in Python can reach."""
    from cart_chain.domain import merkle
    from cart_chain.store.ledger import GENESIS, entry_hash

    conn = db.engine.raw_connection()
    try:
        cur = conn.cursor()
        sql = (
            "SELECT seq, recorded_at, kind, actor, payload, prev_hash, hash "
            "FROM ledger_entries ORDER BY seq"
        )
        out: dict[str, float] = {}
        t0 = time.perf_counter()
        cur.execute(sql)
        n = sum(1 for _ in cur)
        out["rows read"] = n / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        cur.execute(sql)
        for row in cur:
            json.loads(row[4])
        out["rows read and their payloads parsed"] = n / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        cur.execute(sql)
        prev, frontier = GENESIS, merkle.Frontier()
        for seq, at, kind, actor, text, prev_hash, digest in cur:
            if prev_hash != prev or entry_hash(seq, at, kind, actor, prev_hash, text) != digest:
                raise SystemExit(f"entry {seq} does not verify")
            frontier.add(merkle.leaf_hash(bytes.fromhex(digest)))
            prev = digest
        frontier.root()
        out["rows read, hashes and Merkle root redone"] = n / (time.perf_counter() - t0)
        cur.close()
    finally:
        conn.close()
    return out


def signer_check_seconds(db: Database) -> float:
    """Time `SignerCheck` alone over the ledger (entries read and parsed beforehand)."""
    from cart_chain.store.ledger import Entry
    from cart_chain.store.models import LedgerEntry
    from cart_chain.store.signers import SignerCheck

    rows = db.read(
        lambda s: [
            Entry(r.seq, r.recorded_at, r.kind, r.actor, json.loads(r.payload), r.prev_hash, r.hash)
            for r in s.query(LedgerEntry).order_by(LedgerEntry.seq)
        ]
    )
    check = SignerCheck()
    t0 = time.perf_counter()
    for entry in rows:
        wrong = check.check(entry)
        assert wrong is None, (entry.seq, wrong)
    return time.perf_counter() - t0


def tree_check_seconds(db: Database) -> float:
    """Time the Merkle tree part of verify alone (entry hashes read beforehand)."""
    from cart_chain.store.models import LedgerEntry

    hashes = db.read(
        lambda s: list(
            s.execute(select(LedgerEntry.seq, LedgerEntry.hash).order_by(LedgerEntry.seq))
        )
    )

    def run(session) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        check = tree.TreeCheck(session)
        for seq, digest in hashes:
            wrong = check.check(seq, digest)
            assert wrong is None, (seq, wrong)
        return time.perf_counter() - t0

    return db.read(run)


def run_backend(
    name: str, db: Database, sizes: list[int], samples: int, bare: Callable[[int], list[float]]
) -> tuple[dict[str, dict[str, float]], dict[str, float | int]]:
    """Per size: handoff and bare commit p50, verify rate; then the proof and signing
    figures at the largest size."""
    print(f"\n== {name} ==")
    setup.init_database(db, "admin", "Bench Admin", PW)
    admin = Credentials("admin", PW)
    add_user_with_own_password(db, admin, "b1", "Bench One", "apheresis", PW)
    add_user_with_own_password(db, admin, "b2", "Bench Two", "apheresis", PW)
    add_user_with_own_password(db, admin, "b3", "Bench Three", "apheresis", PW)
    for role in BENCH_ROLES:
        for n in (1, 2):
            add_user_with_own_password(db, admin, f"{role}{n}", f"Bench {role} {n}", role, PW)
    state = {"entries": 4 + 2 * len(BENCH_ROLES), "seq": 100000}
    per_size: dict[str, dict[str, float]] = {}
    for size in sizes:
        t0 = time.perf_counter()
        fill(db, size, state)
        filled = time.perf_counter() - t0
        settle(db)
        times, base = store_handoffs(db, samples, state, bare)
        ratio = pct(times, 0.5) / pct(base, 0.5)
        print(f"bare durable insert+commit           {fmt(base)}   (interleaved)")
        print(
            f"signed handoff at {size:>7,} entries   {fmt(times)}   "
            f"{ratio:4.1f}x bare p50 (goal <= 3x)   [filled in {filled:.0f} s]"
        )
        db.write(lambda s: checkpoint_in(s, "admin"))  # where verify --quick resumes
        t0 = time.perf_counter()
        report = verify_ledger(db, remember=True)
        elapsed = time.perf_counter() - t0
        assert report.ok, report.problem
        rate = report.entries / elapsed
        goal = 0.25 / hash_step
        print(
            f"verify {report.entries:>9,} entries      {rate:12,.0f} entries/s "
            f"(goal >= {goal:,.0f}: 25% of the bare chain)  {report.rows:,} projection rows"
        )
        quick_rate, quick_tail = quick_figures(db, samples, state, bare)
        print(
            f"verify --quick, at the checkpoint       {quick_rate:12,.0f} entries/s "
            f"(same goal); {samples} handoffs later {quick_tail:,.0f} entries/s"
        )
        floors = read_floors(db)
        for what, per_s in floors.items():
            print(f"  floor: {what:<38} {per_s:12,.0f} entries/s")
        share = signer_check_seconds(db) / elapsed
        print(f"  of which the signers' authority check {share:5.1%} of verify time")
        tree_share = tree_check_seconds(db) / elapsed
        print(f"  of which the Merkle tree check        {tree_share:5.1%} of verify time")
        scans, bare_scans = scan_figures(db)
        bare_note = f"   bare unit-row read {fmt(bare_scans)}" if bare_scans else ""
        print(f"scan to case, unit and next step     {fmt(scans)}   (goal < 2 ms){bare_note}")
        per_size[str(size)] = {
            "handoff_p50_ms": round(pct(times, 0.5) * 1e3, 3),
            "bare_commit_p50_ms": round(pct(base, 0.5) * 1e3, 3),
            "verify_per_s": round(rate),
            "verify_quick_per_s": round(quick_rate),
            "verify_quick_after_handoffs_per_s": round(quick_tail),
            "verify_floors_per_s": {k: round(v) for k, v in floors.items()},
            "scan_p50_ms": round(pct(scans, 0.5) * 1e3, 3),
        }
        if bare_scans:
            per_size[str(size)]["bare_scan_p50_ms"] = round(pct(bare_scans, 0.5) * 1e3, 3)
        in_tree = pct(tree_times, 0.5) / pct(times, 0.5)
        print(
            f"  Merkle tree per append               {fmt(tree_times)}   "
            f"{in_tree:5.1%} of a handoff p50 (entries appended: {len(tree_times)})"
        )
    figures = proof_figures(db, report.entries)
    print(
        f"proofs at {figures['tree_size']:,} entries: inclusion {figures['inclusion_hashes']} "
        f"hashes ({figures['inclusion_bytes']} B) p50 {figures['inclusion_p50_ms']:.2f} ms; "
        f"consistency {figures['consistency_hashes']} hashes ({figures['consistency_bytes']} B) "
        f"p50 {figures['consistency_p50_ms']:.2f} ms"
    )
    signing = checkpoint_figures(db)
    return per_size, {
        **figures,
        **signing,
        "handoff_p50_ms": round(pct(times, 0.5) * 1e3, 3),
        "tree_append_p50_ms": round(pct(tree_times, 0.5) * 1e3, 3),
        "tree_append_p99_ms": round(pct(tree_times, 0.99) * 1e3, 3),
        "verify_entries_per_s": round(rate),
        "verify_tree_share": round(tree_share, 3),
    }


def main() -> int:
    # A key of this run: a benchmark never signs with (or writes) the user's site key.
    os.environ["CART_CHAIN_SITE_KEY"] = str(Path(tempfile.mkdtemp()) / "site-key.pem")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "CART_CHAIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--no-pg", action="store_true", help="SQLite only (a 1M PostgreSQL fill takes an hour)"
    )
    parser.add_argument(
        "--no-sqlite", action="store_true", help="PostgreSQL only (its 1M fill alone)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the SQLite database in DIR (bench.sqlite3) and the PostgreSQL schema",
    )
    args = parser.parse_args()
    # verify --quick's marks go to a folder of this run, never the user's own
    os.environ["CART_CHAIN_VERIFY_MARKS"] = str(Path(tempfile.mkdtemp()) / "verified.json")

    global hash_step
    hash_step = bare_chain(100_000)
    print(
        f"bare SHA-256 chain step              {hash_step * 1e6:7.2f} us ({1 / hash_step:,.0f} /s)"
    )
    t0 = time.perf_counter()
    stored = passwords.hash_password(PW)
    for _ in range(5):
        passwords.verify_password(stored, PW)
    print(
        f"argon2id password check (apart)      {(time.perf_counter() - t0) / 6 * 1e3:7.1f} ms "
        "per check; a handoff checks two"
    )

    merkle: dict[str, dict[str, float | int]] = {}
    summary: dict[str, object] = {"bare_chain_per_s": round(1 / hash_step)}
    summary["note"] = "figures above are from one run on this machine"
    summary["merkle"] = merkle
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        kept = args.keep
        if kept is not None:
            kept.mkdir(parents=True, exist_ok=True)
            if (kept / "bench.sqlite3").exists():
                print(f"--keep: {kept / 'bench.sqlite3'} exists; choose an empty folder")
                return 2
        if args.no_sqlite:
            print("\n== SQLite == skipped: --no-sqlite")
        else:
            db = Database(str((kept or directory) / "bench.sqlite3"))
            bare = bare_sqlite_commit(directory)
            summary["sqlite"], merkle["sqlite"] = run_backend(
                "SQLite", db, args.sizes, args.samples, bare
            )
            db.dispose()
            if kept is not None:
                print(f"kept: {kept / 'bench.sqlite3'}")

    if args.no_pg:
        print("\n== PostgreSQL == skipped: --no-pg")
        print(json.dumps(summary))
        return 0
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        raw = args.pg.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(raw, autocommit=True, connect_timeout=3) as c:
            c.execute(f"CREATE SCHEMA {schema}")
    except Exception as exc:
        print(f"\n== PostgreSQL == skipped: {str(exc).splitlines()[0] if str(exc) else exc}")
        print(json.dumps(summary))
        return 0
    sep = "&" if "?" in args.pg else "?"
    db = Database(f"{args.pg}{sep}options=-csearch_path%3D{schema}")
    try:
        bare = bare_pg_commit(args.pg, schema)
        summary["postgresql"], merkle["postgresql"] = run_backend(
            "PostgreSQL", db, args.sizes, args.samples, bare
        )
    finally:
        db.dispose()
        if args.keep is not None:
            print(f"kept: PostgreSQL schema {schema} (options=-csearch_path={schema})")
        else:
            with psycopg.connect(raw, autocommit=True) as c:
                c.execute(f"DROP SCHEMA {schema} CASCADE")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
