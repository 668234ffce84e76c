"""Tables. The ledger is the record; every other table is a projection of it.

Every table is append-only (database triggers refuse UPDATE and DELETE), except
`CaseIndex`, a fold of the others kept by the same append and checked by `verify`.
The tables that are not projections (the Merkle tree, logger files, the case index)
are defined in `store.derived_models` and re-exported here. Keys are natural (COI,
unit id, user name, ledger sequence) rather than database sequences, so `verify`
can rebuild every projection row from the ledger alone and compare it column by
column. Times are ISO 8601 UTC strings: they sort, hash and compare the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cart_chain.store.base import Base as Base

# Re-exported: importers keep reading every table from here, and importing this module
# registers every table on `Base.metadata` (what Alembic autogenerate compares).
from cart_chain.store.derived_models import CaseIndex as CaseIndex
from cart_chain.store.derived_models import ConditionFile as ConditionFile
from cart_chain.store.derived_models import TreeHash as TreeHash


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    # Unique: two writers that raced would need the same predecessor, and one fails.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


#: An entry's stored columns in `ledger.Entry` order (the payload as its stored text):
#: what `verify`, its resumed walk and the audit export read.
ENTRY_COLUMNS = (
    LedgerEntry.seq,
    LedgerEntry.recorded_at,
    LedgerEntry.kind,
    LedgerEntry.actor,
    LedgerEntry.payload,
    LedgerEntry.prev_hash,
    LedgerEntry.hash,
)


class User(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))


class UserChange(Base):
    """Password, role, lock and unlock facts, in order; a user's state is their fold."""

    __tablename__ = "user_changes"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"))
    change: Mapped[str] = mapped_column(String(20))
    value: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_user_changes_username", "username", "entry_seq"),)


class Setting(Base):
    """Shared workstation-independent settings; the newest entry per key is in force."""

    __tablename__ = "settings"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_settings_key", "key", "entry_seq"),)


class Case(Base):
    __tablename__ = "cases"

    coi: Mapped[str] = mapped_column(String(16), primary_key=True)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    facility: Mapped[str] = mapped_column(String(5))
    year: Mapped[int] = mapped_column(Integer)
    patient_name: Mapped[str] = mapped_column(String(200))
    patient_dob: Mapped[str] = mapped_column(String(10))
    mrn: Mapped[str] = mapped_column(String(64), index=True)
    product: Mapped[str] = mapped_column(String(200))
    profile_id: Mapped[str | None] = mapped_column(String(40))  # (0003)
    profile_version: Mapped[int | None] = mapped_column(Integer)  # (0003)

    __table_args__ = (Index("ix_cases_facility_year", "facility", "year"),)


class Unit(Base):
    __tablename__ = "units"

    unit_code: Mapped[str] = mapped_column(String(19), primary_key=True)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    parent_unit: Mapped[str | None] = mapped_column(ForeignKey("units.unit_code"))


class Event(Base):
    __tablename__ = "events"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.unit_code"), primary_key=True)
    step: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[str] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(200))
    temperature_c: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    by_user: Mapped[str] = mapped_column(ForeignKey("users.username"))
    to_user: Mapped[str | None] = mapped_column(ForeignKey("users.username"))
    started_at: Mapped[str | None] = mapped_column(String(32))  # thaw/infusion start (0003)
    condition: Mapped[str | None] = mapped_column(String(200))  # (0003)
    volume_ml: Mapped[float | None] = mapped_column(Float)  # collection only (0006)
    anticoagulant: Mapped[str | None] = mapped_column(String(40))  # collection only (0006)

    __table_args__ = (Index("ix_events_unit", "unit_code", "entry_seq"),)


class Signature(Base):
    """A Part 11 signature manifestation, bound to the ledger entry it signs."""

    __tablename__ = "signatures"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"))
    printed_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[str] = mapped_column(String(32))


class Correction(Base):
    """One corrected field: the entry it corrects keeps its original value untouched."""

    __tablename__ = "corrections"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class LabelPrint(Base):
    """One printed label, first print or reprint; a scan names it by (unit, serial).

    The serial counts every print of the unit (all kinds), so the pair is unique
    and small enough for the QR payload.
    """

    __tablename__ = "label_prints"

    unit_code: Mapped[str] = mapped_column(ForeignKey("units.unit_code"), primary_key=True)
    serial: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    layout: Mapped[str] = mapped_column(String(60))  # template name and revision: "bag@1"
    step: Mapped[str] = mapped_column(String(40))
    printed_by: Mapped[str] = mapped_column(ForeignKey("users.username"))
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_label_prints_unit_kind", "unit_code", "kind"),)


class LabelVoid(Base):
    """A label taken out of use (replaced by a reprint, or destroyed); scans refuse it."""

    __tablename__ = "label_voids"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.unit_code"), primary_key=True)
    serial: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(Text)
    replaced_by: Mapped[int | None] = mapped_column(Integer)  # serial of the reprint, if any

    __table_args__ = (Index("ix_label_voids_unit_serial", "unit_code", "serial"),)


class PatientEvent(Base):
    """Patient-side facts that gate infusion: bridging, lymphodepletion, bedside check."""

    __tablename__ = "patient_events"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.unit_code"))
    detail: Mapped[str | None] = mapped_column(Text)
    by_user: Mapped[str] = mapped_column(ForeignKey("users.username"))
    to_user: Mapped[str | None] = mapped_column(ForeignKey("users.username"))

    __table_args__ = (Index("ix_patient_events_coi", "coi", "entry_seq"),)


class Deviation(Base):
    """A breach of the product profile found when a step was recorded; QA must review it."""

    __tablename__ = "deviations"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.unit_code"))
    event_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"))
    step: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    limit_value: Mapped[str] = mapped_column(String(80))
    actual: Mapped[str] = mapped_column(String(80))

    __table_args__ = (Index("ix_deviations_unit", "unit_code", "entry_seq"),)


class DeviationReview(Base):
    __tablename__ = "deviation_reviews"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    deviation_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)


class GateOverride(Base):
    """QA lets one unit past one infusion gate, with a reason; shown on every report."""

    __tablename__ = "gate_overrides"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.unit_code"))
    gate: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_gate_overrides_unit", "unit_code", "gate"),)


class CollectionDin(Base):
    """The ISBT 128 DIN this facility allocated to one collection (a unit at enrolment).

    Unique per facility, year and sequence; bags split from the unit keep its DIN.
    """

    __tablename__ = "dins"

    din: Mapped[str] = mapped_column(String(14), primary_key=True)  # 13 + check character
    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.unit_code"))
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), index=True)
    facility: Mapped[str] = mapped_column(String(5))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("unit_code", name="uq_dins_unit_code"),
        UniqueConstraint("facility", "year", "sequence", name="uq_dins_facility_year_sequence"),
    )


class CaseProfile(Base):
    """The product profile a case is held to: the copy stored in its enrolment entry, as
    canonical JSON (0007). A case enrolled before profiles existed has none (generic)."""

    __tablename__ = "case_profiles"

    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), primary_key=True)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    profile: Mapped[str] = mapped_column(Text)


class CaseLink(Base):
    """A manufacturer's identifier recorded against a case (or one bag of it).

    Kinds: ``manufacturer_coi``, ``din``, ``lot``, ``rfic``. One value *in force*
    names one case; a value corrected away keeps its row and may be linked again, so
    the rule is the service's (`services.links.check_free`), not a constraint.
    """

    __tablename__ = "case_links"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), index=True)
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.unit_code"))

    __table_args__ = (Index("ix_case_links_kind_value", "kind", "value"),)


class ConditionLog(Base):
    """A temperature logger's file imported for one transport leg (a shipping step).

    The file's SHA-256 is unique: the same file imported twice is refused.
    """

    __tablename__ = "condition_logs"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.unit_code"), index=True)
    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), index=True)
    leg_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"))
    step: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    serial: Mapped[str | None] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("sha256", name="uq_condition_logs_sha256"),)


class RefusedScan(Base):
    """A scan the bag check refused, once for each case it concerns (the case expected
    and the case scanned), so a case's custody report reads its near misses by key (0010).
    ``coi`` has no foreign key: a scanned bag may be another site's."""

    __tablename__ = "refused_scans"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    coi: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_code: Mapped[str | None] = mapped_column(String(200))
    scanned: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    by_user: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_refused_scans_coi", "coi", "entry_seq"),)


#: Projection tables in the order `verify` checks them, with their sort keys.
PROJECTIONS: tuple[type[Base], ...] = (
    User,
    UserChange,
    Setting,
    Case,
    Unit,
    Event,
    Signature,
    Correction,
    LabelPrint,
    LabelVoid,
    PatientEvent,
    Deviation,
    DeviationReview,
    GateOverride,
    CollectionDin,
    CaseLink,
    ConditionLog,
    CaseProfile,
    RefusedScan,
)
#: Every table that holds custody facts, ledger included: all are append-only.
APPEND_ONLY_TABLES: tuple[str, ...] = (
    "ledger_entries",
    *(m.__tablename__ for m in PROJECTIONS),
    TreeHash.__tablename__,
    ConditionFile.__tablename__,
)
