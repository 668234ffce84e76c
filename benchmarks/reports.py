"""Report speed: custody report of a 15-event case (goal < 150 ms) and audit export rate.

Run: ``.venv/bin/python benchmarks/reports.py [--entries 100000] [--keep DIR]``

Prints figures; asserts nothing (speed targets are read by people, not tests).
The audit ledger is filled with ``event_recorded`` entries appended straight to
the ledger (realistic payloads, signatures and projections, but without the
step rules), because walking 100,000 steps through the services would take
longer than the benchmark is worth.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The site key and verify's marks of this run, never the user's own.
os.environ["CART_CHAIN_SITE_KEY"] = str(Path(tempfile.mkdtemp()) / "site-key.pem")
os.environ["CART_CHAIN_VERIFY_MARKS"] = str(Path(tempfile.mkdtemp()) / "verified.json")

from cart_chain.domain.identifiers import parse_coi
from cart_chain.domain.steps import CONDITION_STEPS, Step
from cart_chain.reports import audit, custody
from cart_chain.services import setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.audit_rows import audit_filters
from cart_chain.services.cases import new_case
from cart_chain.services.checkpoints import checkpoint_in
from cart_chain.services.custody import record_event
from cart_chain.services.custody_data import custody_report_data
from cart_chain.services.demo import JOURNEY as DEMO_JOURNEY
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.services.exports import AuditWriter, export_audit, export_custody
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database

USERS = (
    ("alice", "Alice Apheresis", "apheresis"),
    ("anna", "Anna Apheresis", "apheresis"),
    ("carl", "Carl Courier", "courier"),
    ("cora", "Cora Courier", "courier"),
    ("lena", "Lena Labtech", "cell_lab"),
    ("leo", "Leo Labtech", "cell_lab"),
    ("quinn", "Quinn Quality", "qa"),
    ("ines", "Ines Infusion", "infusion"),
    ("ivan", "Ivan Infusion", "infusion"),
)
#: 15 events: the 12-step journey with two extra storage moves and a two-leg shipment.
JOURNEY = (
    ("collection", "alice", "anna"),
    ("ship_to_manufacturing", "alice", "carl"),
    ("receipt_at_manufacturing", "carl", "lena"),
    ("engineering", "lena", None),
    ("expansion", "lena", None),
    ("cryopreservation", "leo", None),
    ("release", "quinn", "lena"),
    ("storage", "leo", None),
    ("storage", "leo", None),
    ("storage", "leo", None),
    ("ship_to_site", "leo", "cora"),
    ("ship_to_site", "cora", "carl"),
    ("receipt_at_site", "carl", "ines"),
    ("thaw", "ines", "ivan"),
    ("infusion", "ines", "ivan"),
)


#: A temperature for each step inside every shipped profile's limits: the demo journey's.
TEMPERATURES = {step: temp for step, _by, _to, _where, temp, _hours in DEMO_JOURNEY}


def prepare_patient(db: Database, coi: str, unit: str, patient: str) -> None:
    """Lymphodepletion ended three days ago and a bedside check passed (infusion gates)."""
    try:
        from cart_chain.services.readiness import bedside_check, record_patient_event
    except ImportError:  # a build without infusion gates
        return
    now = datetime.now(UTC)
    for kind, days in (("lymphodepletion_start", 6), ("lymphodepletion_end", 3)):
        record_patient_event(
            db, coi, kind, creds("ines"), occurred_at=now - timedelta(days=days), detail="Flu/Cy"
        )
    bedside_check(db, unit, patient, "1961-03-09", creds("ines"), creds("ivan"))


def creds(user: str) -> Credentials:
    return Credentials(user, f"{user}-bench-pw-1")


def populate(db: Database) -> None:
    setup.init_database(db, "admin", "Ada Administrator", "admin-bench-pw-1")
    for username, full, role in USERS:
        add_user_with_own_password(
            db, creds("admin"), username, full, role, f"{username}-bench-pw-1"
        )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_custody(db: Database, out_dir: Path, runs: int) -> tuple[str, dict[str, float]]:
    patient = "Ελένη Ιβάνοβα-山田"
    coi = new_case(db, creds("alice"), patient, "1961-03-09", "MRN-1", "Kymriah").subject
    unit = parse_coi(coi).unit(1).full
    # The journey ends an hour ago; infusion 20 minutes after the thaw.
    end = datetime.now(UTC) - timedelta(hours=1)
    times = [end - timedelta(hours=9 * (len(JOURNEY) - 2 - i)) for i in range(len(JOURNEY) - 1)]
    times.append(times[-1] + timedelta(minutes=20))
    for (step, by, to), when in zip(JOURNEY, times, strict=True):
        if step == "infusion":
            prepare_patient(db, coi, unit, patient)
        record_event(
            db,
            unit,
            step,
            creds(by),
            creds(to) if to else None,
            location=f"{step} room",
            temperature_c=TEMPERATURES[step],
            occurred_at=when,
            condition="intact, no leaks" if Step(step) in CONDITION_STEPS else None,
        )
    # warm up: fonts registered, CJK font parsed, SQL statements compiled
    first = time.perf_counter()
    custody.render(custody_report_data(db, coi, "quinn"), out_dir / "warm.pdf")
    cold = time.perf_counter() - first

    reads, renders, totals = [], [], []
    for i in range(runs):
        t = time.perf_counter()
        data = custody_report_data(db, coi, "quinn")
        t1 = time.perf_counter()
        custody.render(data, out_dir / f"custody-{i}.pdf")
        t2 = time.perf_counter()
        reads.append(t1 - t)
        renders.append(t2 - t1)
        totals.append(t2 - t)
    t = time.perf_counter()
    export_custody(db, creds("quinn"), coi, out_dir / "custody-export.pdf", custody.render)
    full = time.perf_counter() - t
    entries = db.read(ledger.head).seq
    ms = lambda xs: f"{1000 * statistics.median(xs):.1f} ms"  # noqa: E731
    figures = {
        "report_p50_ms": round(1000 * statistics.median(totals), 1),
        "report_max_ms": round(1000 * max(totals), 1),
        "export_command_ms": round(1000 * full, 1),
    }
    text = (
        f"custody report, 15-event case (ledger of {entries} entries), median of {runs}:\n"
        f"  read + verify     {ms(reads)}\n"
        f"  render PDF        {ms(renders)}\n"
        f"  report total      {ms(totals)}   (goal < 150 ms; max {1000 * max(totals):.1f} ms)\n"
        f"  first report      {1000 * cold:.1f} ms (fonts loaded once per process)\n"
        f"  export command    {1000 * full:.1f} ms (adds password check (argon2) and the "
        "ledger entry)"
    )
    return text, figures


def fill(db: Database, n: int) -> None:
    coi = new_case(db, creds("alice"), "Bulk Patient", "1970-01-01", "MRN-2", "Kymriah", 20).subject

    units = [parse_coi(coi).unit(k).full for k in range(1, 21)]
    done = 0
    while done < n:
        chunk = min(5000, n - done)

        def add(session, start=done, chunk=chunk):  # type: ignore[no-untyped-def]
            for i in range(start, start + chunk):
                at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                ledger.append(
                    session,
                    "event_recorded",
                    "lena",
                    {
                        "unit": units[i % 20],
                        "coi": coi,
                        "step": "storage",
                        "occurred_at": at,
                        "location": f"LN2 tank {i % 7}, rack {i % 13}",
                        "temperature_c": -180.0,
                        "note": None if i % 5 else "temperature logger checked, seal intact",
                        "by": "lena",
                        "to": None,
                        "signatures": [
                            {
                                "username": "lena",
                                "printed_name": "Lena Labtech",
                                "meaning": "Performed by",
                                "signed_at": at,
                            }
                        ],
                    },
                )

        db.write(add)
        done += chunk
        print(f"\r  filling ledger: {done}/{n}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def rss_now_mb() -> float:
    """The resident set now (``ru_maxrss`` only ever grows, so it cannot show flat memory)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def sampled(write: AuditWriter, samples: list[tuple[int, float]]) -> AuditWriter:
    """``write``, with the resident set noted at every progress tick."""

    def run(header, rows, path, tick):  # type: ignore[no-untyped-def]
        def noted(n: int) -> None:
            samples.append((n, rss_now_mb()))
            tick(n)

        return write(header, rows, path, noted)

    return run


def bench_audit(db: Database, out_dir: Path, how: str) -> tuple[str, dict[str, dict[str, float]]]:
    lines, figures = [], {}
    for suffix, write in (("csv", audit.write_csv), ("pdf", audit.write_pdf)):
        before = rss_now_mb()
        samples: list[tuple[int, float]] = []
        t = time.perf_counter()
        target = out_dir / f"audit.{suffix}"
        target.unlink(missing_ok=True)
        r = export_audit(db, creds("quinn"), audit_filters(), target, sampled(write, samples))
        dt = time.perf_counter() - t
        size = (out_dir / f"audit.{suffix}").stat().st_size / 1e6
        # The resident set a tenth of the way in, half-way and at the end: flat memory
        # means the three are about the same, whatever the number of entries.
        at = {q: next(mb for n, mb in samples if n >= q * r.entries) for q in (0.1, 0.5, 1.0)}
        peak = max(mb for _, mb in samples)
        lines.append(
            f"  {suffix.upper()}: {r.entries} entries in {dt:.1f} s = {r.entries / dt:,.0f} "
            f"entries/s (incl. verify); {size:.1f} MB; RSS before {before:.0f} MB, at 10% "
            f"{at[0.1]:.0f} MB, 50% {at[0.5]:.0f} MB, end {at[1.0]:.0f} MB "
            f"(highest seen {peak:.0f} MB); process peak {rss_mb():.0f} MB"
        )
        figures[suffix] = {
            "entries_per_s": round(r.entries / dt),
            "mb": round(size, 1),
            "rss_before_mb": round(before),
            "rss_10pct_mb": round(at[0.1]),
            "rss_50pct_mb": round(at[0.5]),
            "rss_end_mb": round(at[1.0]),
        }
    return f"audit export, {how}:\n" + "\n".join(lines), figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--keep", type=Path, help="keep the database and files in this folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = Database(str(folder / "bench.sqlite3"))
        populate(db)
        text, custody_figures = bench_custody(db, folder, args.runs)
        print(text)
        fill(db, args.entries)
        db.write(lambda s: checkpoint_in(s, "admin"))  # the day's checkpoint, after the fill
        text, full = bench_audit(db, folder, "verify in full (none passed on this workstation yet)")
        print(text)
        t = time.perf_counter()
        entries = verify_ledger(db, remember=True).entries
        verify_s = time.perf_counter() - t
        print(f"verify alone: {entries} entries in {verify_s:.1f} s (remembered)")
        text, resumed = bench_audit(db, folder, "verify resumed at the checkpoint it passed")
        print(text)
        print(f"rss after all: {rss_mb():.0f} MB")
        db.dispose()
    summary = {
        "benchmark": "reports",
        "entries": args.entries,
        "custody": custody_figures,
        "verify_per_s": round(entries / verify_s),
        "audit_verify_full": full,
        "audit_verify_resumed": resumed,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
