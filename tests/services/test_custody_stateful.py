"""Random custody sequences against a pure-Python model (Hypothesis stateful testing).

Each sequence starts from a fresh database holding the test users, then runs up to
``STEPS`` random actions: enrol, record the next step (sometimes too warm, which opens
a deviation), record a wrong step, a wrong password, correct or void an entry, split
a bag, print, reprint and void labels, scan live and void labels, review deviations,
override gates, lymphodepletion and bedside checks, backup and restore. The model says
what every action must do (succeed with how many ledger entries, or be refused with
which error and nothing written); after every action `verify` must pass and what the
read services show must equal the model.

How many sequences: ``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs 200 on SQLite and
15 on PostgreSQL; the default is 100 and 10, for developers; ``stress`` runs 1,000 and
50 (benchmarks/custody_stress.py).

Speed: argon2 is made cheap only where hashes are *made* (the users are created once,
in a template database copied for each sequence); every signature still goes through
the real `verify_password`, which reads its cost from the stored hash.
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from cart_chain.domain.errors import (
    AuthenticationError,
    DeviationOpen,
    GateClosed,
    InvalidValue,
    MissingCondition,
    MissingStartTime,
    StepOrderError,
    VoidedLabel,
    WrongPatient,
)
from cart_chain.domain.gates import GATES
from cart_chain.domain.identifiers import UnitId, parse_coi
from cart_chain.domain.labelcode import LabelCode
from cart_chain.domain.steps import CONDITION_STEPS, ORDER, TRANSITIONS, Step
from cart_chain.domain.windows import COLD_STEPS
from cart_chain.services.accounts import Credentials
from cart_chain.store.database import Database
from tests.helpers import (
    JOURNEY,
    TEMPERATURES,
    condition_for,
    creds,
    populate,
)
from tests.pg_server import drop_pg_schema, make_pg_schema

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
#: CI runs a few hundred sequences; the 1,000-sequence run is a stress run
#: (benchmarks/custody_stress.py), kept out of CI's time budget.
SQLITE_SEQUENCES = {"stress": 1000, "ci": 200, "quick": 25}.get(PROFILE, 100)
PG_SEQUENCES = {"stress": 50, "ci": 15, "quick": 3}.get(PROFILE, 10)
STEPS = 10
DOB = "1970-01-01"
PRODUCT = "Kymriah"  # storage at or below -120 °C; apheresis cryopreserved (no fresh clock)
STORAGE_MAX_C = -120.0  # Kymriah's profile
TOO_WARM = -80.0  # a cold step at this temperature breaches the profile
#: Steps with a start time (when the thaw or the infusion began).
TIMED = frozenset({Step.THAW, Step.INFUSION})
#: The timed steps refused without their start: none for Kymriah, whose one limit runs
#: from the thaw's end to the infusion's end. (Products whose limits count from a start
#: are refused without it: tests/services/test_start_required.py.)
NEEDS_START: frozenset[Step] = frozenset()
SIGNERS = {step: (by, to) for step, by, to in JOURNEY}
MAX_CASES, MAX_UNITS = 2, 4


# -- adapter: every service call this test makes, with keyword arguments -------------
# Other branches change some of these signatures; adapt them here, in one place.


def svc_enrol(db: Database, *, by: Credentials, name: str, mrn: str, bags: int) -> Any:
    from cart_chain.services.cases import new_case

    return new_case(db, by, name, DOB, mrn, PRODUCT, bags)


def svc_record(
    db: Database,
    *,
    unit: str,
    step: str,
    by: Credentials,
    to: Credentials | None,
    temperature_c: float | None,
    started_at: datetime | None = None,
    stated: bool = True,
) -> Any:
    from cart_chain.services.custody import record_event

    return record_event(
        db,
        unit,
        step,
        by,
        to,
        location=f"{step} room",
        temperature_c=temperature_c,
        started_at=started_at,
        condition=condition_for(step) if stated else None,
    )


def svc_split(db: Database, *, unit: str, into: int, by: Credentials) -> list[str]:
    from cart_chain.services.custody import split_unit

    return split_unit(db, unit, into, by)


def svc_correct(
    db: Database,
    *,
    seq: int,
    changes: dict[str, str],
    reason: str,
    by: Credentials,
    witness: Credentials | None = None,
) -> Any:
    from cart_chain.services.corrections import correct

    return correct(db, seq, changes, reason, by, witness=witness)


def svc_print_label(
    db: Database, *, unit: str, kind: str, by: Credentials, reason: str | None
) -> Any:
    from cart_chain.services.labels import print_label

    return print_label(db, unit, kind, by, renderer=payload_renderer, fmt="zpl", reason=reason)


def payload_renderer(layout: Any, data: Any, fmt: str, dpi: int) -> bytes:
    """The label's payload as its "drawing": rasterising takes ~0.4 s a label and is
    proven in tests/labels/test_labels_render.py; here only what the ledger records matters."""
    return data.payload.encode()


def svc_void_label(db: Database, *, payload: str, reason: str, by: Credentials) -> Any:
    from cart_chain.services.labels import void_label

    return void_label(db, by, payload, reason)


def svc_scan(db: Database, *, payload: str, expect: str, step: str | None) -> Any:
    from cart_chain.services.scanning import scan

    return scan(db, payload, expect=expect, step=step)


def svc_review(db: Database, *, seq: int, decision: str, reason: str, by: Credentials) -> Any:
    from cart_chain.services.readiness import review_deviation

    return review_deviation(db, seq, decision, reason, by)


def svc_override(db: Database, *, unit: str, gate: str, reason: str, by: Credentials) -> Any:
    from cart_chain.services.readiness import override_gate

    return override_gate(db, unit, gate, reason, by)


def svc_patient_event(
    db: Database, *, coi: str, kind: str, by: Credentials, occurred_at: datetime
) -> Any:
    from cart_chain.services.readiness import record_patient_event

    return record_patient_event(db, coi, kind, by, occurred_at=occurred_at, detail="Flu/Cy")


def svc_bedside(
    db: Database, *, unit: str, name: str, dob: str, by: Credentials, witness: Credentials
) -> Any:
    from cart_chain.services.readiness import bedside_check

    return bedside_check(db, unit, name, dob, by, witness)


def svc_backup(db: Database, *, out: Path) -> Any:
    from cart_chain.services.backup import backup

    return backup(db, out, by=creds("admin"))


def svc_restore(db: Database, *, backup_file: Path) -> Any:
    from cart_chain.services.backup import restore

    return restore(
        db, backup_file, by=creds("admin"), qa=creds("quinn"), reason="disk replaced", replace=True
    )


def svc_check_file(path: Path) -> Any:
    from cart_chain.services.backup import check_file

    return check_file(path)


def svc_verify(db: Database) -> Any:
    from cart_chain.services.verification import verify_ledger

    return verify_ledger(db)


def svc_head(db: Database) -> Any:
    from cart_chain.store.ledger import head

    return db.read(head)


def svc_show_case(db: Database, coi: str) -> Any:
    from cart_chain.services.case_detail import show_case

    return show_case(db, coi)


def svc_labels(db: Database, unit: str) -> Any:
    from cart_chain.services.labels import list_labels

    return list_labels(db, unit)


# -- databases ---------------------------------------------------------------------


@cache
def template_db() -> Path:
    """A SQLite database with every test user, made once per test session."""
    directory = tempfile.mkdtemp(prefix="cart-chain-proofs-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = Path(directory) / "template.sqlite3"
    db = Database(str(path))
    populate(db)  # low-cost hashes, as everywhere in tests (tests/conftest.py)
    db.dispose()
    return path


def wrong(c: Credentials) -> Credentials:
    return Credentials(c.username, c.password + "-typo")


# -- the model -----------------------------------------------------------------------


@dataclass
class EventM:
    seq: int
    step: str
    kind: str  # event_recorded, or unit_split for a child's first step
    note: str | None = None
    voided: bool = False


@dataclass
class UnitM:
    code: str
    coi: str
    events: list[EventM] = field(default_factory=list)
    labels: dict[int, list[Any]] = field(default_factory=dict)  # serial -> [kind, voided]
    deviations: dict[int, str | None] = field(default_factory=dict)  # seq -> decision
    overrides: set[str] = field(default_factory=set)
    bedside: tuple[int, bool] | None = None  # (entry, passed) of the latest check
    split_at: int = 0  # the entry of this bag's latest split (its steps before it are kept)

    @property
    def live(self) -> list[EventM]:
        return [e for e in self.events if not e.voided]

    @property
    def step(self) -> Step | None:
        live = self.live
        return Step(live[-1].step) if live else None

    @property
    def blocked(self) -> bool:
        return any(d != "accept" for d in self.deviations.values())


@dataclass
class CaseM:
    coi: str
    seq: int
    name: str
    units: list[str]
    lymphodepleted: bool = False
    patient_events: int = 0


@dataclass
class Model:
    entries: int
    cases: dict[str, CaseM] = field(default_factory=dict)
    units: dict[str, UnitM] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)


class CustodyMachine(RuleBasedStateMachine):
    """One fresh database per sequence; see the module docstring."""

    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="cart-chain-seq-"))
        self.cleanup: Callable[[], None] = lambda: None
        if self.backend == "sqlite":
            path = self.dir / "cart-chain.sqlite3"
            shutil.copyfile(template_db(), path)
            self.db = Database(str(path))
        else:
            pg = make_pg_schema()
            self.db = Database(pg.url)
            populate(self.db)
            self.cleanup = lambda: drop_pg_schema(pg.schema)
        self.model = Model(entries=svc_verify(self.db).entries)
        self.backups: list[tuple[Path, Model]] = []
        #: Backups whose ledger is a prefix of the current one: only those may be restored.
        self.ancestors: set[Path] = set()
        self.lineage: dict[Path, set[Path]] = {}  # per backup: the ancestors when it was made
        self.kept: list[tuple[Path, int]] = []  # databases a restore replaced, and their size
        self.counter = 0
        self.verified = svc_head(self.db)  # the head the last full verify proved

    def teardown(self) -> None:
        try:
            self.check_everything()
        finally:
            self.db.dispose()
            self.cleanup()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------

    def next_n(self) -> int:
        self.counter += 1
        return self.counter

    def signed(self, *users: str) -> None:
        """A signed action succeeded: each signer with failures got an ``auth_ok`` entry."""
        for u in users:
            if self.model.failures.get(u):
                self.model.entries += 1
                self.model.failures[u] = 0

    def refused(self, exc_type: type[BaseException], fn: Callable[[], Any]) -> BaseException:
        before = self.model.entries
        with pytest.raises(exc_type) as info:
            fn()
        assert svc_head(self.db).seq == before, "a refusal wrote something"
        return info.value

    def pick(self, data: st.DataObject, items: list[Any]) -> Any:
        return data.draw(st.sampled_from(sorted(items)))

    def gates_closed(self, u: UnitM) -> set[str]:
        closed = set()
        if not self.model.cases[u.coi].lymphodepleted:
            closed.add("lymphodepletion")
        thaw = next((e.seq for e in reversed(u.live) if e.step == Step.THAW), 0)
        if u.bedside is None or not u.bedside[1] or u.bedside[0] < thaw:
            closed.add("bedside_check")
        return closed - u.overrides

    def open_units(self) -> list[str]:
        return [c for c, u in self.model.units.items() if TRANSITIONS[u.step]]

    def labelled(self, voided: bool) -> list[tuple[str, int]]:
        return [
            (c, s)
            for c, u in self.model.units.items()
            for s, (_, v) in u.labels.items()
            if v is voided
        ]

    # -- enrol -------------------------------------------------------------------------

    @initialize(bags=st.integers(1, 2), walked=st.lists(st.integers(0, 11), min_size=2))
    def first_case(self, bags: int, walked: list[int]) -> None:
        self.enrol(bags, walked)

    @precondition(lambda self: len(self.model.cases) < MAX_CASES)
    @rule(bags=st.integers(1, 2), walked=st.lists(st.integers(0, 11), min_size=2))
    def enrol(self, bags: int, walked: list[int]) -> None:
        """Enrol a case, then walk each bag some way along the journey (a fast-forward:
        with a few actions per sequence the late steps would otherwise never be reached)."""
        n = self.next_n()
        name = f"Patient {n}"
        r = svc_enrol(self.db, by=creds("alice"), name=name, mrn=f"MRN-{n}", bags=bags)
        self.signed("alice")
        self.model.entries += 1
        coi = parse_coi(r.subject)
        assert coi.full not in self.model.cases
        units = [coi.unit(i).full for i in range(1, bags + 1)]
        self.model.cases[coi.full] = CaseM(coi.full, r.seq, name, units)
        for code, steps in zip(units, walked, strict=False):
            self.model.units[code] = u = UnitM(code, coi.full)
            for step, by, to in JOURNEY[:steps]:
                began = datetime.now(UTC) if Step(step) in TIMED else None  # as the GUI asks
                self.record(u, Step(step), by, to, TEMPERATURES[step], began)
        for code in units[len(walked) :]:
            self.model.units[code] = UnitM(code, coi.full)

    def record(
        self,
        u: UnitM,
        step: Step,
        by: str,
        to: str | None,
        temp: float | None,
        started_at: datetime | None = None,
    ) -> None:
        """Record a step the model says is allowed, and apply it to the model."""
        r = svc_record(
            self.db,
            unit=u.code,
            step=step.value,
            by=creds(by),
            to=creds(to) if to else None,
            temperature_c=temp,
            started_at=started_at,
        )
        self.signed(by, *([to] if to else []))
        self.model.entries += 1
        assert r.seq == self.model.entries
        u.events.append(EventM(r.seq, step.value, "event_recorded"))
        if step in COLD_STEPS and temp is not None and temp > STORAGE_MAX_C:
            self.model.entries += 1
            u.deviations[self.model.entries] = None
            assert r.deviations, "a too-warm cold step must open a deviation"
        else:
            assert not r.deviations

    # -- custody steps ---------------------------------------------------------------

    @precondition(lambda self: self.open_units())
    @rule(data=st.data(), too_warm=st.booleans(), swap=st.booleans(), start=st.booleans())
    def record_next(self, data: st.DataObject, too_warm: bool, swap: bool, start: bool) -> None:
        code = self.pick(data, self.open_units())
        u = self.model.units[code]
        step = data.draw(st.sampled_from(sorted(TRANSITIONS[u.step], key=ORDER.index)))
        by, to = SIGNERS[step]
        if swap and step in (Step.COLLECTION, Step.THAW, Step.INFUSION):
            by, to = to, by  # both signers hold both roles at these steps
        warm = too_warm and step in COLD_STEPS
        temp = TOO_WARM if warm else TEMPERATURES[step]
        began = datetime.now(UTC) if start and step in TIMED else None

        def call() -> Any:
            return self.record_signed_by(code, step, by, to, temp, started_at=began)

        if u.blocked:
            self.refused(DeviationOpen, call)
            return
        if step in NEEDS_START and began is None:
            self.refused(MissingStartTime, call)
            return
        if step is Step.INFUSION and self.gates_closed(u):
            err = self.refused(GateClosed, call)
            for gate in self.gates_closed(u):
                assert gate in str(err)
            return
        self.record(u, step, by, to, temp, began)

    @precondition(lambda self: self.model.units)
    @rule(data=st.data())
    def record_wrong_step(self, data: st.DataObject) -> None:
        code = self.pick(data, list(self.model.units))
        u = self.model.units[code]
        bad = [s for s in Step if s not in TRANSITIONS[u.step]]
        step = data.draw(st.sampled_from(bad))
        by, _ = SIGNERS[step]
        with pytest.raises(StepOrderError):
            self.record_by_its_signers(code, step)
        # Nothing of the step is written; the refusal itself is, as a refused scan.
        self.signed(by)
        self.model.entries += 1

    def _needing_condition(self) -> list[tuple[str, Step]]:
        return [
            (c, s)
            for c in self.open_units()
            if not self.model.units[c].blocked
            for s in sorted(TRANSITIONS[self.model.units[c].step], key=ORDER.index)
            if s in CONDITION_STEPS
        ]

    @precondition(lambda self: self._needing_condition())
    @rule(data=st.data())
    def record_without_condition(self, data: st.DataObject) -> None:
        """A receipt, thaw or infusion with no condition stated: refused, nothing written."""
        code, step = self.pick(data, self._needing_condition())
        began = datetime.now(UTC) if step in TIMED else None
        self.refused(
            MissingCondition,
            lambda: self.record_by_its_signers(code, step, started_at=began, stated=False),
        )

    def record_by_its_signers(self, code: str, step: Step, **extra: Any) -> Any:
        """`svc_record` of ``step`` signed by the people the step's rule wants."""
        by, to = SIGNERS[step]
        return self.record_signed_by(code, step, by, to, TEMPERATURES[step], **extra)

    def record_signed_by(
        self, code: str, step: Step, by: str, to: str | None, temp: float | None, **extra: Any
    ) -> Any:
        """`svc_record` of ``step`` signed by ``by`` (and ``to``) with their own passwords."""
        return svc_record(
            self.db,
            unit=code,
            step=step,
            by=creds(by),
            to=creds(to) if to else None,
            temperature_c=temp,
            **extra,
        )

    def _recordable_without_gates(self) -> list[str]:
        return [
            c
            for c in self.open_units()
            if not self.model.units[c].blocked
            and Step.INFUSION not in TRANSITIONS[self.model.units[c].step]
        ]

    @precondition(lambda self: self._recordable_without_gates())
    @rule(data=st.data())
    def wrong_password(self, data: st.DataObject) -> None:
        """Refused, and the failed attempt itself is recorded (one entry, nothing else)."""
        code = self.pick(data, self._recordable_without_gates())
        u = self.model.units[code]
        step = min(TRANSITIONS[u.step], key=ORDER.index)
        by, to = SIGNERS[step]
        if self.model.failures.get(by, 0) >= 3:
            return  # five failures lock the account; that is tested elsewhere
        with pytest.raises(AuthenticationError):
            svc_record(
                self.db,
                unit=code,
                step=step,
                by=wrong(creds(by)),
                to=creds(to) if to else None,
                temperature_c=TEMPERATURES[step],
            )
        self.model.entries += 1
        self.model.failures[by] = self.model.failures.get(by, 0) + 1

    @precondition(
        lambda self: any(
            u.step is Step.EXPANSION and not u.blocked for u in self.model.units.values()
        )
    )
    @rule(data=st.data(), into=st.integers(2, 3))
    def split(self, data: st.DataObject, into: int) -> None:
        codes = [
            c for c, u in self.model.units.items() if u.step is Step.EXPANSION and not u.blocked
        ]
        code = self.pick(data, codes)
        case = self.model.cases[self.model.units[code].coi]
        if len(case.units) + into - 1 > MAX_UNITS:
            return
        children = svc_split(self.db, unit=code, into=into, by=creds("lena"))
        self.signed("lena")
        self.model.entries += 1
        self.model.units[code].split_at = self.model.entries
        coi = parse_coi(case.coi)
        first = len(case.units) + 1
        assert children == [coi.unit(n).full for n in range(first, first + into - 1)]
        for child in children:
            case.units.append(child)
            self.model.units[child] = UnitM(
                child, case.coi, [EventM(self.model.entries, "expansion", "unit_split")]
            )

    # -- corrections -----------------------------------------------------------------

    @precondition(
        lambda self: any(
            e.kind == "event_recorded" for u in self.model.units.values() for e in u.live
        )
    )
    @rule(data=st.data())
    def correct_note(self, data: st.DataObject) -> None:
        events = [
            e for u in self.model.units.values() for e in u.live if e.kind == "event_recorded"
        ]
        e = data.draw(st.sampled_from(events))
        note = f"corrected note {self.next_n()}"
        corrector = SIGNERS[e.step][0]  # who may sign a step may correct it
        svc_correct(
            self.db, seq=e.seq, changes={"note": note}, reason="typing error", by=creds(corrector)
        )
        self.signed(corrector)
        self.model.entries += 1
        e.note = note

    def _voidable(self) -> list[str]:
        return [
            c
            for c, u in self.model.units.items()
            if u.live and u.live[-1].kind == "event_recorded" and u.live[-1].seq > u.split_at
        ]

    def _split_steps(self) -> list[EventM]:
        return [
            u.live[-1]
            for u in self.model.units.values()
            if u.live and u.live[-1].kind == "event_recorded" and u.live[-1].seq < u.split_at
        ]

    @precondition(lambda self: self._split_steps())
    @rule(data=st.data())
    def void_split_parents_step(self, data: st.DataObject) -> None:
        """The step a bag was split in is the start of its split bags' custody."""
        e = data.draw(st.sampled_from(self._split_steps()))
        self.refused(
            InvalidValue,
            lambda: svc_correct(
                self.db, seq=e.seq, changes={"void": "x"}, reason="x", by=creds("lena")
            ),
        )

    @precondition(lambda self: self._voidable())
    @rule(data=st.data())
    def void_latest_step(self, data: st.DataObject) -> None:
        u = self.model.units[self.pick(data, self._voidable())]
        e = u.live[-1]
        svc_correct(
            self.db,
            seq=e.seq,
            changes={"void": "recorded against the wrong bag"},
            reason="recorded in error",
            by=creds(SIGNERS[e.step][0]),
        )
        self.signed(SIGNERS[e.step][0])
        self.model.entries += 1
        e.voided = True

    @precondition(
        lambda self: any(
            len([e for e in u.live if e.kind == "event_recorded"]) >= 2
            for u in self.model.units.values()
        )
    )
    @rule(data=st.data())
    def void_middle_step(self, data: st.DataObject) -> None:
        """A step in the middle of the chain cannot disappear."""
        earlier = [
            e for u in self.model.units.values() for e in u.live[:-1] if e.kind == "event_recorded"
        ]
        e = data.draw(st.sampled_from(earlier))
        self.refused(
            InvalidValue,
            lambda: svc_correct(
                self.db,
                seq=e.seq,
                changes={"void": "x"},
                reason="x",
                by=creds(SIGNERS[e.step][0]),
            ),
        )

    @precondition(lambda self: self.model.cases)
    @rule(data=st.data())
    def correct_patient_name(self, data: st.DataObject) -> None:
        case = self.model.cases[self.pick(data, list(self.model.cases))]
        name = f"Corrected Patient {self.next_n()}"
        svc_correct(
            self.db,
            seq=case.seq,
            changes={"patient_name": name},
            reason="name misspelt at enrolment",
            by=creds("alice"),
            witness=creds("ines"),  # patient identity: a second person verifies
        )
        self.signed("alice", "ines")
        self.model.entries += 1
        case.name = name

    # -- labels and scans --------------------------------------------------------------

    @precondition(lambda self: self.model.units)
    @rule(data=st.data(), kind=st.sampled_from(["bag", "transport"]), forget=st.booleans())
    def print_label(self, data: st.DataObject, kind: str, forget: bool) -> None:
        u = self.model.units[self.pick(data, list(self.model.units))]
        reprint = any(k == kind for k, _ in u.labels.values())

        def call(reason: str | None) -> Any:
            return svc_print_label(self.db, unit=u.code, kind=kind, by=creds("lena"), reason=reason)

        if reprint and forget:
            self.refused(InvalidValue, lambda: call(None))
            return
        printed = call("damaged in transit" if reprint else None)
        self.signed("lena")
        self.model.entries += 2  # label_printed, and the signed checkpoint that follows it
        serial = max(u.labels, default=0) + 1
        live = sorted(s for s, (k, v) in u.labels.items() if k == kind and not v)
        assert (printed.serial, list(printed.voided)) == (serial, live)
        assert printed.output == printed.payload.encode()
        for s in live:
            u.labels[s][1] = True
        u.labels[serial] = [kind, False]

    @precondition(lambda self: self.labelled(voided=False))
    @rule(data=st.data())
    def void_label(self, data: st.DataObject) -> None:
        code, serial = self.pick(data, self.labelled(voided=False))
        payload = LabelCode(UnitId(code[:-1]), serial).payload
        svc_void_label(self.db, payload=payload, reason="torn", by=creds("leo"))
        self.signed("leo")
        self.model.entries += 1
        self.model.units[code].labels[serial][1] = True

    @precondition(lambda self: self.labelled(voided=True))
    @rule(data=st.data())
    def void_label_again(self, data: st.DataObject) -> None:
        code, serial = self.pick(data, self.labelled(voided=True))
        payload = LabelCode(UnitId(code[:-1]), serial).payload
        self.refused(
            InvalidValue,
            lambda: svc_void_label(self.db, payload=payload, reason="torn", by=creds("leo")),
        )

    @precondition(lambda self: self.labelled(voided=False))
    @rule(data=st.data(), with_step=st.booleans(), allowed=st.booleans())
    def scan_live_label(self, data: st.DataObject, with_step: bool, allowed: bool) -> None:
        code, serial = self.pick(data, self.labelled(voided=False))
        u = self.model.units[code]
        payload = LabelCode(UnitId(code[:-1]), serial).payload
        nexts = TRANSITIONS[u.step]
        if with_step and allowed and not nexts:
            allowed = False
        step = None
        if with_step:
            pool = nexts if allowed else [s for s in Step if s not in nexts]
            step = data.draw(st.sampled_from(sorted(pool, key=ORDER.index))).value
        if step is not None and not allowed:
            self.refused(
                StepOrderError, lambda: svc_scan(self.db, payload=payload, expect=u.coi, step=step)
            )
            return
        result = svc_scan(self.db, payload=payload, expect=u.coi, step=step)
        assert result.unit.unit == code and result.label.serial == serial
        assert not result.label.voided
        assert result.unit.current_step == (u.step.value if u.step else None)
        assert result.patient_name == self.model.cases[u.coi].name

    @precondition(lambda self: self.labelled(voided=True))
    @rule(data=st.data())
    def scan_void_label(self, data: st.DataObject) -> None:
        code, serial = self.pick(data, self.labelled(voided=True))
        payload = LabelCode(UnitId(code[:-1]), serial).payload
        coi = self.model.units[code].coi
        self.refused(VoidedLabel, lambda: svc_scan(self.db, payload=payload, expect=coi, step=None))

    @precondition(lambda self: len(self.model.cases) >= 2 and self.labelled(voided=False))
    @rule(data=st.data())
    def scan_other_patient(self, data: st.DataObject) -> None:
        code, serial = self.pick(data, self.labelled(voided=False))
        other = next(c for c in self.model.cases if c != self.model.units[code].coi)
        payload = LabelCode(UnitId(code[:-1]), serial).payload
        self.refused(
            WrongPatient, lambda: svc_scan(self.db, payload=payload, expect=other, step=None)
        )

    # -- QA and the patient --------------------------------------------------------------

    def _deviations(self, reviewable: bool) -> list[tuple[str, int]]:
        return [
            (c, s)
            for c, u in self.model.units.items()
            for s, d in u.deviations.items()
            if (d in (None, "quarantine")) is reviewable
        ]

    @precondition(lambda self: self._deviations(reviewable=True))
    @rule(data=st.data(), decision=st.sampled_from(["accept", "accept", "reject", "quarantine"]))
    def review_deviation(self, data: st.DataObject, decision: str) -> None:
        code, seq = self.pick(data, self._deviations(reviewable=True))
        svc_review(self.db, seq=seq, decision=decision, reason="assessed", by=creds("quinn"))
        self.signed("quinn")
        self.model.entries += 1
        self.model.units[code].deviations[seq] = decision

    @precondition(lambda self: self._deviations(reviewable=False))
    @rule(data=st.data())
    def review_decided_deviation(self, data: st.DataObject) -> None:
        _, seq = self.pick(data, self._deviations(reviewable=False))
        self.refused(
            InvalidValue,
            lambda: svc_review(self.db, seq=seq, decision="accept", reason="x", by=creds("quinn")),
        )

    @precondition(lambda self: self.model.units)
    @rule(data=st.data(), gate=st.sampled_from(GATES))
    def override_gate(self, data: st.DataObject, gate: str) -> None:
        u = self.model.units[self.pick(data, list(self.model.units))]
        svc_override(self.db, unit=u.code, gate=gate, reason="clinical decision", by=creds("quinn"))
        self.signed("quinn")
        self.model.entries += 1
        u.overrides.add(gate)

    @precondition(lambda self: self.model.cases)
    @rule(data=st.data())
    def lymphodepletion(self, data: st.DataObject) -> None:
        case = self.model.cases[self.pick(data, list(self.model.cases))]
        now = datetime.now(UTC)
        for kind, days in (("lymphodepletion_start", 6), ("lymphodepletion_end", 3)):
            svc_patient_event(
                self.db,
                coi=case.coi,
                kind=kind,
                by=creds("ines"),
                occurred_at=now - timedelta(days=days),
            )
            self.signed("ines")
            self.model.entries += 1
        case.lymphodepleted = True
        case.patient_events += 2

    @precondition(lambda self: self.model.units)
    @rule(data=st.data(), right_patient=st.booleans())
    def bedside_check(self, data: st.DataObject, right_patient: bool) -> None:
        u = self.model.units[self.pick(data, list(self.model.units))]
        case = self.model.cases[u.coi]
        name = case.name if right_patient else case.name + " Other"
        r = svc_bedside(
            self.db, unit=u.code, name=name, dob=DOB, by=creds("ines"), witness=creds("ivan")
        )
        self.signed("ines", "ivan")
        self.model.entries += 1
        assert r.passed is right_patient and r.receipt.seq == self.model.entries
        u.bedside = (r.receipt.seq, right_patient)
        case.patient_events += 1

    # -- backup and restore (SQLite) -------------------------------------------------

    @precondition(lambda self: self.backend == "sqlite" and len(self.backups) < 2)
    @rule()
    def backup(self) -> None:
        out = self.dir / f"backup-{self.next_n()}.sqlite3"
        result = svc_backup(self.db, out=out)
        assert result.entries == self.model.entries
        self.backups.append((out, copy.deepcopy(self.model)))
        self.ancestors.add(out)
        self.lineage[out] = set(self.ancestors)
        self.signed("admin")
        self.model.entries += 1  # backup_made, after the copy's head

    @precondition(lambda self: self.backups)
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        path, snapshot = data.draw(st.sampled_from(self.backups))
        if path not in self.ancestors:  # a copy of another history: restoring it is refused
            self.refused(InvalidValue, lambda: svc_restore(self.db, backup_file=path))
            return
        self.ancestors = set(self.lineage[path])
        result = svc_restore(self.db, backup_file=path)
        assert result.entries == snapshot.entries
        assert result.replaced is not None
        self.signed("admin", "quinn")  # signed in against the database the restore replaces
        self.kept.append((result.replaced, self.model.entries))
        self.model = copy.deepcopy(snapshot)
        self.model.entries += 1  # the restored ledger's first new entry names the restore
        self.check_everything()
        for kept, entries in self.kept:  # a restore never loses the database it replaced
            assert svc_check_file(kept).entries == entries, f"{kept} lost records"

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def check_after_each_action(self) -> None:
        """After a write, verify the whole ledger and compare every case with the model.
        After a read or a refusal the head must still be the one verified last (a stray
        projection row would be caught by the next verify, at the latest at teardown)."""
        if self.model.entries == self.verified.seq and svc_head(self.db) == self.verified:
            return
        self.check_everything()

    def check_ledger(self) -> None:
        report = svc_verify(self.db)
        assert report.ok, report.problem
        assert report.entries == self.model.entries
        self.verified = report.checkpoint

    def check_everything(self) -> None:
        self.check_ledger()
        for case in self.model.cases.values():
            self.check_case(case)

    def check_case(self, case: CaseM) -> None:
        detail = svc_show_case(self.db, case.coi)
        assert detail.patient_name == case.name
        assert [v.unit for v in detail.units] == case.units
        assert len(detail.patient_events) == case.patient_events
        assert {(o.unit, o.gate) for o in detail.overrides} == {
            (c, g) for c in case.units for g in self.model.units[c].overrides
        }
        for view in detail.units:
            u = self.model.units[view.unit]
            assert view.current_step == (u.step.value if u.step else None)
            assert set(view.next_steps) == {s.value for s in TRANSITIONS[u.step]}
            assert [(e.seq, e.step, e.voided) for e in view.events] == [
                (e.seq, e.step, e.voided) for e in u.events
            ]
            for got, want in zip(view.events, u.events, strict=True):
                if want.note is not None:
                    assert got.note == want.note
            assert [(d.seq, d.decision, d.open) for d in view.deviations] == [
                (s, d, d != "accept") for s, d in u.deviations.items()
            ]
            if u.labels:
                labels = svc_labels(self.db, u.code)
                assert [(p.serial, p.kind, p.voided) for p in labels] == [
                    (s, k, v) for s, (k, v) in sorted(u.labels.items())
                ]


_SETTINGS = {
    "stateful_step_count": STEPS,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
    "print_blob": True,
}


class PgCustodyMachine(CustodyMachine):
    backend = "postgresql"


TestCustodySequencesSqlite = CustodyMachine.TestCase
TestCustodySequencesSqlite.settings = settings(max_examples=SQLITE_SEQUENCES, **_SETTINGS)


@pytest.mark.postgres
def test_custody_sequences_postgresql() -> None:
    try:
        drop_pg_schema(make_pg_schema().schema)
    except Exception as exc:  # no server: skip, saying why
        pytest.skip(f"PostgreSQL not reachable: {str(exc).splitlines()[0] if str(exc) else exc}")
    PgCustodyMachine.TestCase.settings = settings(max_examples=PG_SEQUENCES, **_SETTINGS)
    PgCustodyMachine.TestCase().runTest()
