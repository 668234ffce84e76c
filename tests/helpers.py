"""Plain helpers the tests of every folder share: the test users, the journey, enrolment.

Not fixtures, so they live here rather than in tests/conftest.py (pytest discourages
importing from a conftest module): `creds` and `password` log the test users in,
`populate` makes the administrator and every user in a fresh database (the fixtures
``ready_db`` and ``ready_any_db`` start from it), `enrol` makes a case and `walk`
records its journey, step by step, as the people in `USERS` would. Cases part of the
way: `fresh_leg` (a fresh-apheresis leg shipped at `HANDOFF`, for the logger-file
tests), `received` (at the treatment centre, lymphodepleted), and
`checkpointed_history` (steps either side of a signed checkpoint).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cart_chain.domain.steps import CONDITION_STEPS, Step
from cart_chain.services import setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.demo import JOURNEY as DEMO_JOURNEY
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.store.database import Database

ADMIN = ("admin", "Ada Administrator", "administrator", "admin-secret-1")
#: Test users: one or two per role, so every handoff has two distinct signers.
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


def password(username: str) -> str:
    return f"{username}-secret-1"


def creds(username: str) -> Credentials:
    return Credentials(username, ADMIN[3] if username == ADMIN[0] else password(username))


def populate(database: Database) -> Database:
    """Initialise ``database`` with the administrator and every test user."""
    setup.init_database(database, ADMIN[0], ADMIN[1], ADMIN[3])
    for username, full, role in USERS:
        add_user_with_own_password(
            database, creds("admin"), username, full, role, password(username)
        )
    return database


#: The whole journey in order: step, signer, second signer.
JOURNEY = (
    ("collection", "alice", "anna"),
    ("ship_to_manufacturing", "alice", "carl"),
    ("receipt_at_manufacturing", "carl", "lena"),
    ("engineering", "lena", None),
    ("expansion", "lena", None),
    ("cryopreservation", "leo", None),
    ("release", "quinn", "lena"),
    ("storage", "leo", None),
    ("ship_to_site", "leo", "cora"),
    ("receipt_at_site", "cora", "ines"),
    ("thaw", "ines", "ivan"),
    ("infusion", "ines", "ivan"),
)


#: The bag's condition as a receiver states it (both receipts, thaw, infusion need one).
CONDITION = "intact, no leaks"


def condition_for(step: str) -> str | None:
    """`CONDITION` for a step that must state one (`steps.CONDITION_STEPS`), else None."""
    return CONDITION if Step(step) in CONDITION_STEPS else None


def enrol(database: Database, name: str = "Test Patient", bags: int = 1) -> str:
    from cart_chain.services.cases import new_case

    return new_case(database, creds("alice"), name, "1970-01-01", "MRN-1", "Kymriah", bags).subject


#: A temperature for each step inside every shipped profile's limits: the demo journey's.
TEMPERATURES = {step: temp for step, _by, _to, _where, temp, _hours in DEMO_JOURNEY}


def prepare_patient(database: Database, unit: str) -> None:
    """What must be true before infusion: lymphodepletion in its window, a bedside check."""
    from cart_chain.services.case_detail import show_case
    from cart_chain.services.readiness import bedside_check, record_patient_event

    detail = show_case(database, unit)
    ld = [e.kind for e in detail.patient_events]
    now = datetime.now(UTC)
    if "lymphodepletion_end" not in ld:
        for kind, days in (("lymphodepletion_start", 6), ("lymphodepletion_end", 3)):
            record_patient_event(
                database,
                detail.coi,
                kind,
                creds("ines"),
                occurred_at=now - timedelta(days=days),
                detail="Flu/Cy",
            )
    bedside_check(
        database, unit, detail.patient_name, detail.patient_dob, creds("ines"), creds("ivan")
    )


def walk(database: Database, unit: str, steps: int = len(JOURNEY)) -> list[int]:
    """Record the first ``steps`` steps of the journey for ``unit``; returns entry numbers.

    Temperatures are inside the profile's limits, and before infusion the patient
    is made ready (lymphodepletion ended 3 days ago, bedside check passed).
    """
    return [record_step(database, unit, n) for n in range(1, steps + 1)]


def record_step(database: Database, unit: str, number: int) -> int:
    """Record step ``number`` of the journey (1 is the collection) for ``unit``, the ones
    before it being recorded; returns its entry number."""
    from cart_chain.services.custody import record_event

    step, by, to = JOURNEY[number - 1]
    if step == "infusion":
        prepare_patient(database, unit)
    return record_event(
        database,
        unit,
        step,
        creds(by),
        creds(to) if to else None,
        location=f"{step} room",
        temperature_c=TEMPERATURES[step],
        condition=condition_for(step),
    ).seq


def unit_of(coi: str, number: int = 1) -> str:
    from cart_chain.domain.identifiers import parse_coi

    return parse_coi(coi).unit(number).full


#: The collection, two hours before the shipper leaves; the leg lasts four hours.
_COLLECTED = (datetime.now(UTC) - timedelta(days=2)).replace(second=0, microsecond=0)
HANDOFF = _COLLECTED + timedelta(hours=2)
RECEIPT = HANDOFF + timedelta(hours=4)


def fresh_leg(db: Database, product: str = "Yescarta", receive: bool = True) -> str:
    """A fresh-apheresis unit collected, shipped at HANDOFF and received at RECEIPT."""
    from cart_chain.services.cases import new_case
    from cart_chain.services.custody import record_event

    coi = new_case(db, creds("alice"), "Pat Leg", "1970-01-01", "M-9", product, 1).subject
    unit = unit_of(coi)
    steps = [
        ("collection", "alice", "anna", _COLLECTED),
        ("ship_to_manufacturing", "alice", "carl", HANDOFF),
    ]
    if receive:
        steps.append(("receipt_at_manufacturing", "carl", "lena", RECEIPT))
    for step, by, to, at in steps:
        record_event(
            db,
            unit,
            step,
            creds(by),
            creds(to),
            temperature_c=5.0,
            occurred_at=at,
            condition=condition_for(step),
        )
    return unit


#: Journey steps up to the receipt at the treatment centre: the next is the thaw.
RECEIVED_AT_SITE = 10


def _lymphodepleted(db: Database, coi: str, ended_ago: timedelta) -> None:
    from cart_chain.services.readiness import record_patient_event

    now = datetime.now(UTC)
    record_patient_event(
        db,
        coi,
        "lymphodepletion_start",
        creds("ines"),
        occurred_at=now - ended_ago - timedelta(days=3),
    )
    record_patient_event(db, coi, "lymphodepletion_end", creds("ines"), occurred_at=now - ended_ago)


def received(db: Database, ended_ago: timedelta | None) -> tuple[str, str]:
    """A new case whose bag is received at the site, lymphodepletion ended ``ended_ago``
    (None: not recorded); (COI, unit). The GUI tests of the checklist use it too."""
    coi = enrol(db)  # Kymriah: 30 min from thaw; infusion 2 to 14 days after lymphodepletion
    walk(db, unit_of(coi), RECEIVED_AT_SITE)
    if ended_ago is not None:
        _lymphodepleted(db, coi, ended_ago)
    return coi, unit_of(coi)


def checkpointed_history(db: Database) -> tuple[list[int], int, list[int]]:
    """Steps before a checkpoint, the checkpoint entry, and steps after it."""
    from cart_chain.services import site_key

    before = walk(db, unit_of(enrol(db, "Before Checkpoint")), 3)
    made = site_key.make_checkpoint(db, creds("alice"))
    after = walk(db, unit_of(enrol(db, "After Checkpoint")), 3)
    return before, made.seq, after
