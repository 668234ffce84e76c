"""Build a sample case and render the PNG pages shown in docs/reports/README.md.

Run from the repository root (needs poppler's ``pdftoppm``):

    .venv/bin/python docs/reports/make_samples.py

Everything goes through the public services, except the label and scan
entries, which are appended in the shape the labels and scanning services
write them (so the script also runs on a build without those services).
The workstation time zone is set to Europe/Zurich so the pages show local
times with their zone and UTC alongside.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ["TZ"] = "Europe/Zurich"
time.tzset()

from cart_chain.domain.identifiers import parse_coi  # noqa: E402
from cart_chain.domain.steps import CONDITION_STEPS, Step  # noqa: E402
from cart_chain.reports import audit, custody  # noqa: E402
from cart_chain.services import accounts, setup  # noqa: E402
from cart_chain.services.accounts import Credentials  # noqa: E402
from cart_chain.services.cases import new_case  # noqa: E402
from cart_chain.services.corrections import correct  # noqa: E402
from cart_chain.services.custody import record_event  # noqa: E402
from cart_chain.services.exports import audit_filters, export_audit, export_custody  # noqa: E402
from cart_chain.store import ledger  # noqa: E402
from cart_chain.store.database import Database  # noqa: E402

HERE = Path(__file__).resolve().parent
PATIENT, DOB = "山田 花子 (Hanako Yamada)", "1959-06-05"
USERS = (
    ("alice", "Alice Apheresis", "apheresis"),
    ("anna", "Anna Apheresis", "apheresis"),
    ("dima", "Дмитрий Иванов", "courier"),
    ("cora", "Cora Courier", "courier"),
    ("lena", "Lena Labtech", "cell_lab"),
    ("leo", "Leo Labtech", "cell_lab"),
    ("quinn", "Quinn Quality", "qa"),
    ("eleni", "Ελένη Παπαδοπούλου", "infusion"),
    ("yuki", "佐藤 雪", "infusion"),
)
#: step, signer, second signer, location, temperature, hours after collection, note
JOURNEY = (
    ("collection", "alice", "anna", "Apheresis unit, City Hospital", 22.0, 0, None),
    (
        "ship_to_manufacturing",
        "alice",
        "dima",
        "Apheresis unit, City Hospital",
        4.0,
        2.5,
        "Shipper SH-2231, seal 884120, logger TL-77",
    ),
    (
        "receipt_at_manufacturing",
        "dima",
        "lena",
        "Cell lab, Manufacturing site",
        5.0,
        21.0,
        "Seal intact, no logger alarm",
    ),
    ("engineering", "lena", None, "Cleanroom B", 37.0, 26, None),
    ("expansion", "lena", None, "Cleanroom B", 37.0, 50, None),
    ("cryopreservation", "leo", None, "Cryo suite", -150.0, 220, None),
    ("release", "quinn", "lena", "QA office, Manufacturing site", None, 300, "RfIC 2026-118"),
    ("storage", "leo", None, "LN2 tank 3, rack 2", -180.0, 301, None),
    (
        "ship_to_site",
        "leo",
        "dima",
        "Shipping dock, Manufacturing site",
        -170.0,
        380,
        "Dry shipper DS-09, seal 551903",
    ),
    ("receipt_at_site", "dima", "eleni", "Cell therapy lab, City Hospital", -165.0, 404, None),
    ("thaw", "eleni", "yuki", "Ward 7 treatment room", 37.0, 452, "Water bath, 37 °C"),
    ("infusion", "eleni", "yuki", "Ward 7, bed 4", 22.0, 452.4, "Bag and wristband checked"),
)


def pw(user: str) -> Credentials:
    return Credentials(user, f"{user}-sample-pw-1")


def ready(db: Database, coi: str, unit: str, infusion: datetime) -> None:
    """Lymphodepletion 6 to 3 days before infusion and a bedside check after the thaw."""
    try:
        from cart_chain.services.readiness import bedside_check, record_patient_event
    except ImportError:  # a build without infusion gates
        return
    for kind, days in (("lymphodepletion_start", 6), ("lymphodepletion_end", 3)):
        record_patient_event(
            db,
            coi,
            kind,
            pw("eleni"),
            occurred_at=infusion - timedelta(days=days),
            detail="fludarabine / cyclophosphamide",
        )
    bedside_check(
        db, unit, PATIENT, DOB, pw("eleni"), pw("yuki"), occurred_at=infusion - timedelta(minutes=5)
    )


def build(db: Database) -> str:
    setup.init_database(db, "admin", "Ada Administrator", "admin-sample-pw-1")
    for username, full, role in USERS:
        accounts.add_user(db, pw("admin"), username, full, role, f"{username}-sample-pw-1")
    coi = new_case(
        db,
        pw("alice"),
        "山田 花子 (Hanako Yamada)",
        "1959-06-05",
        "MRN-100234",
        "Kymriah (tisagenlecleucel)",
        2,
    ).subject
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=30)
    seqs: dict[tuple[int, str], int] = {}
    for number, steps in ((1, len(JOURNEY)), (2, 8)):
        unit = parse_coi(coi).unit(number).full
        for step, by, to, where, temp, hours, note in JOURNEY[:steps]:
            if step == "infusion":
                ready(db, coi, unit, t0 + timedelta(hours=hours, minutes=7 * number))
            r = record_event(
                db,
                unit,
                step,
                pw(by),
                pw(to) if to else None,
                location=where,
                # bag 2 is stored too warm: an open deviation for QA
                temperature_c=-110.0 if (number, step) == (2, "storage") else temp,
                note=note,
                occurred_at=t0 + timedelta(hours=hours, minutes=7 * number),
                condition="intact, no leaks" if Step(step) in CONDITION_STEPS else None,
            )
            seqs[(number, step)] = r.seq
    correct(
        db,
        seqs[(1, "storage")],
        {"location": "LN2 tank 4, rack 1"},
        "tank number typed wrong; checked against the tank log",
        pw("leo"),
    )
    unit1 = parse_coi(coi).unit(1).full

    def labels(session):  # type: ignore[no-untyped-def]
        base = {
            "coi": coi,
            "unit": unit1,
            "kind": "bag",
            "layout": "bag@1",
            "step": "receipt_at_site",
            "by": "eleni",
        }
        ledger.append(session, "label_printed", "eleni", {**base, "serial": 1, "reason": None})
        ledger.append(
            session,
            "label_printed",
            "eleni",
            {**base, "serial": 2, "reason": "label smudged by condensation", "voids": [1]},
        )
        ledger.append(
            session,
            "scan_refused",
            "yuki",
            {
                "by": "yuki",
                "expected_coi": coi,
                "scanned": f"{unit1}#1",
                "scanned_coi": coi,
                "reason": "voided label (replaced by reprint 2) scanned at the bedside",
            },
        )

    db.write(labels)
    return coi


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(str(Path(tmp) / "sample.sqlite3"))
        coi = build(db)
        pdf = Path(tmp) / "custody.pdf"
        export_custody(db, pw("quinn"), coi, pdf, custody.render)
        apdf = Path(tmp) / "audit.pdf"
        export_audit(db, pw("quinn"), audit_filters(case=coi), apdf, audit.write_pdf)
        for old in HERE.glob("*.png"):
            old.unlink()
        subprocess.run(
            ["pdftoppm", "-png", "-r", "90", str(pdf), str(HERE / "custody-page")], check=True
        )
        subprocess.run(
            ["pdftoppm", "-png", "-r", "90", str(apdf), str(HERE / "audit-page")], check=True
        )
        db.dispose()
    for png in sorted(HERE.glob("*.png")):
        print(png.relative_to(HERE.parent.parent))


if __name__ == "__main__":
    main()
