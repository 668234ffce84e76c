"""A demo database: users of every role and cases at different steps.

Built only through the public services, so the demo is itself a test that the
whole chain can be walked by the rules.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cart_chain.domain.errors import AlreadyExists
from cart_chain.domain.identifiers import parse_coi
from cart_chain.services import accounts, case_detail, cases, custody, readiness, setup
from cart_chain.services.accounts import Credentials
from cart_chain.store.database import Database
from cart_chain.store.schema import state

#: (user name, printed name, role, password). Demo passwords are printed on purpose.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "Ada Administrator", "administrator", "demo-admin-2026"),
    ("alice", "Alice Apheresis", "apheresis", "demo-alice-2026"),
    ("anna", "Anna Apheresis", "apheresis", "demo-anna-2026"),
    ("carl", "Carl Courier", "courier", "demo-carl-2026"),
    ("cora", "Cora Courier", "courier", "demo-cora-2026"),
    ("lena", "Lena Labtech", "cell_lab", "demo-lena-2026"),
    ("leo", "Leo Labtech", "cell_lab", "demo-leo-2026"),
    ("quinn", "Quinn Quality", "qa", "demo-quinn-2026"),
    ("ines", "Ines Infusion", "infusion", "demo-ines-2026"),
    ("ivan", "Ivan Infusion", "infusion", "demo-ivan-2026"),
)

#: The whole journey: step, signer, second signer, location, temperature, hours after
#: collection (a realistic vein-to-vein of about four weeks).
JOURNEY: tuple[tuple[str, str, str | None, str, float | None, float], ...] = (
    ("collection", "alice", "anna", "Apheresis unit, City Hospital", 22.0, 0),
    ("ship_to_manufacturing", "alice", "carl", "Apheresis unit, City Hospital", 4.0, 2),
    ("receipt_at_manufacturing", "carl", "lena", "Cell lab, Manufacturing site", 5.0, 20),
    ("engineering", "lena", None, "Cleanroom B", 37.0, 30),
    ("expansion", "lena", None, "Cleanroom B", 37.0, 80),
    ("cryopreservation", "leo", None, "Cryo suite", -150.0, 240),
    ("release", "quinn", "lena", "QA office, Manufacturing site", None, 400),
    ("storage", "leo", None, "LN2 tank 3, rack 2", -180.0, 401),
    ("ship_to_site", "leo", "cora", "Shipping dock, Manufacturing site", -170.0, 550),
    ("receipt_at_site", "cora", "ines", "Cell therapy lab, City Hospital", -165.0, 574),
    ("thaw", "ines", "ivan", "Ward 7 treatment room", 37.0, 650),
    ("infusion", "ines", "ivan", "Ward 7, bed 4", 22.0, 650.4),
)
#: Lymphodepleting chemotherapy, hours after collection (ends 3 days before infusion).
LYMPHODEPLETION = (556.0, 596.0)

#: Demo cases: patient name, date of birth, MRN, product, bags, steps walked.
DEMO_CASES: tuple[tuple[str, str, str, str, int, int], ...] = (
    ("María José García", "1968-04-12", "MRN-100231", "Kymriah (tisagenlecleucel)", 1, 12),
    ("Jean-Luc Lefèvre", "1975-09-30", "MRN-100232", "Yescarta (axicabtagene)", 2, 10),
    ("Ольга Петрова", "1982-01-17", "MRN-100233", "Carvykti (ciltacabtagene)", 1, 5),
    ("山田 太郎", "1959-06-05", "MRN-100234", "Abecma (idecabtagene)", 1, 2),
    ("Sam O'Neill", "1990-11-23", "MRN-100235", "Breyanzi (lisocabtagene)", 1, 0),
)


@dataclass(frozen=True, slots=True)
class DemoResult:
    users: tuple[tuple[str, str, str, str], ...]
    cases: tuple[str, ...]


def add_user_with_own_password(
    db: Database, admin: Credentials, username: str, full_name: str, role: str, password: str
) -> None:
    """Add a user as an administrator does (a temporary password), then change it to
    ``password`` as the user does at their first log-in: two real service calls, so
    demo, self-test and test users end up as a real user would, with a password of
    their own that can sign."""
    first = f"first-{secrets.token_hex(8)}"
    accounts.add_user(db, admin, username, full_name, role, first)
    accounts.change_own_password(db, username, first, password)


def build_demo(db: Database) -> DemoResult:
    """Fill a fresh database; refuses one that already holds records."""
    if state(db) != "empty":
        raise AlreadyExists(
            f"{db.where} already exists; the demo needs a fresh database (give another --db)"
        )
    admin_name, admin_full, _, admin_pw = DEMO_USERS[0]
    setup.init_database(db, admin_name, admin_full, admin_pw)
    admin = Credentials(admin_name, admin_pw)
    pw = {u: p for u, _, _, p in DEMO_USERS}
    for username, full, role, password in DEMO_USERS[1:]:
        add_user_with_own_password(db, admin, username, full, role, password)

    def creds(user: str | None) -> Credentials | None:
        return None if user is None else Credentials(user, pw[user])

    made = []
    now = datetime.now(UTC)
    for name, dob, mrn, product, bags, walked in DEMO_CASES:
        coi = cases.new_case(
            db, Credentials("alice", pw["alice"]), name, dob, mrn, product, bags
        ).subject
        made.append(coi)
        if not walked:
            continue
        # The last walked step happened an hour ago; earlier ones as far back as the plan says.
        start = now - timedelta(hours=JOURNEY[walked - 1][5] + 1)
        for number in range(1, bags + 1):
            unit = parse_coi(coi).unit(number).full
            for step, by, to, where, temp, hours in JOURNEY[:walked]:
                at = start + timedelta(hours=hours)
                if step == "infusion":
                    _prepare_patient(db, pw, coi, unit, start, at)
                began = at - timedelta(minutes=15) if step in ("thaw", "infusion") else None
                custody.record_event(
                    db,
                    unit,
                    step,
                    creds(by),
                    creds(to),  # type: ignore[arg-type]
                    location=where,
                    temperature_c=temp,
                    occurred_at=at,
                    started_at=began,
                    condition="intact" if to else None,
                )
    return DemoResult(DEMO_USERS, tuple(made))


def _prepare_patient(
    db: Database, pw: dict[str, str], coi: str, unit: str, start: datetime, infusion: datetime
) -> None:
    """Lymphodepletion and the bedside identity check that infusion waits for."""
    ines = Credentials("ines", pw["ines"])
    detail = case_detail.show_case(db, coi)
    if not any(e.kind == "lymphodepletion_end" for e in detail.patient_events):
        ld_start, ld_end = (start + timedelta(hours=h) for h in LYMPHODEPLETION)
        readiness.record_patient_event(
            db,
            coi,
            "lymphodepletion_start",
            ines,
            occurred_at=ld_start,
            detail="fludarabine/cyclophosphamide",
        )
        readiness.record_patient_event(
            db,
            coi,
            "lymphodepletion_end",
            ines,
            occurred_at=ld_end,
            detail="fludarabine/cyclophosphamide",
        )
    readiness.bedside_check(
        db,
        unit,
        detail.patient_name,
        detail.patient_dob,
        ines,
        Credentials("ivan", pw["ivan"]),
        occurred_at=infusion - timedelta(minutes=20),
    )
