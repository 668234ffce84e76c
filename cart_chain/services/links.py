"""A manufacturer's identifiers linked to a case, and scans of them resolved to it.

`link_case` writes one signed ``case_linked`` entry; `check_free`, in the write
transaction, refuses linking an identifier in force to a second case (one
corrected away may be linked again). A wrong link is corrected through
`corrections.correct` (the entry's values, with a reason); only the rows in
force (`IN_FORCE`) are read.
`resolve` is called only by the scan gate (`bags.identify`), so a
scan of a manufacturer's identifier passes the same wrong-patient check, in the
same transaction, as a scan of our own label.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import exists, func, select, text
from sqlalchemy.orm import Session, aliased

from cart_chain.domain.authority import LINK_ROLES
from cart_chain.domain.din import Din
from cart_chain.domain.errors import (
    AlreadyExists,
    IdentifierError,
    InvalidValue,
    MalformedScan,
    NotFound,
    UnknownUnit,
    WrongPatient,
)
from cart_chain.domain.identifiers import Coi, UnitId, parse_any, screen
from cart_chain.domain.isbt128 import ProductCode, parse_isbt, typed_din
from cart_chain.domain.labelcode import Scanned, ScanSource, split_aim
from cart_chain.domain.manufacturer import CASE_LINKED, LINK_KINDS, link_value
from cart_chain.domain.site_products import SETTING, SiteProduct, parse_site_products
from cart_chain.services import dins, shared_settings
from cart_chain.services.accounts import Credentials, authenticate_in, require_role, signed_write
from cart_chain.services.signing import receipt, signature
from cart_chain.services.views import LinkView, Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import Case, CaseLink, Correction, LedgerEntry, Unit


def _shown(coi: str) -> str:
    return Coi(coi[:-1]).grouped()


# -- which rows are in force ----------------------------------------------------------
# A ``case_links`` row is written by the ``case_linked`` entry, or by a correction of it
# (the corrected value, under the correction's entry). Rows are never changed, so the
# one in force per linked entry and kind is the latest: no later correction of that
# entry's kind exists (an empty corrected value takes the identifier off).

_made_by = aliased(Correction)
_later = aliased(Correction)
#: The ``case_linked`` entry a row belongs to (its own, or the one its correction names).
ORIGIN = func.coalesce(
    select(_made_by.target_seq)
    .where(_made_by.entry_seq == CaseLink.entry_seq, _made_by.field == CaseLink.kind)
    .correlate_except(_made_by)
    .scalar_subquery(),
    CaseLink.entry_seq,
)
#: True for the rows in force.
IN_FORCE = ~(
    exists()
    .where(
        _later.target_seq == ORIGIN,
        _later.field == CaseLink.kind,
        _later.entry_seq > CaseLink.entry_seq,
    )
    .correlate_except(_later)
)


#: The first key of the two-key advisory locks on one identifier ("LINK"); the ledger's
#: own lock is a one-key lock, so the two never collide.
_LINK_LOCK = 0x4C494E4B


def _hold(session: Session, kind: str, value: str) -> None:
    """On PostgreSQL, lock (kind, value) until the transaction ends.

    Every write already holds the ledger's lock (`Database.write`), which serialises
    links; this lock keeps the rule safe on its own should that ever be narrowed:
    two links of one value wait for each other, and the second reads the first's row.
    SQLite writes are serialised by ``BEGIN IMMEDIATE``.
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    key = int.from_bytes(
        hashlib.sha256(f"{kind}\0{value}".encode()).digest()[:4], "big", signed=True
    )
    session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _LINK_LOCK, "b": key})


def check_free(session: Session, coi: str, kind: str, value: str) -> None:
    """Refuse linking ``value`` to case ``coi`` when it is ours or in force anywhere.

    Called inside the write transaction, after the lock on (kind, value). A value
    corrected away stays in the record (rows are never deleted) but no longer names
    a case, so it may be linked again, to the right case.
    """
    what = f"{LINK_KINDS[kind]} {value}"
    if kind == "manufacturer_coi" and session.get(Case, value) is not None:
        raise InvalidValue(f"{what} is a COI of this system's own cases, not a manufacturer's")
    if kind == "din":
        own = dins.unit_of(session, Din(value[:-1]))
        if own is not None:
            raise AlreadyExists(
                f"{what} is the DIN this facility gave a collection of case {_shown(own[0])}"
            )
    _hold(session, kind, value)
    holder = session.execute(
        select(CaseLink.coi).where(CaseLink.kind == kind, CaseLink.value == value, IN_FORCE)
    ).scalar()
    if holder is None:
        return
    if holder == coi:
        raise AlreadyExists(f"{what} is already linked to this case")
    raise AlreadyExists(
        f"{what} is already linked to case {_shown(holder)}: one manufacturer "
        "identifier names one patient's product; check the paperwork against both cases"
    )


def check_correction(
    session: Session, seq: int, coi: str, changes: list[dict[str, str | None]]
) -> None:
    """The checks `link_case` makes, for new values of a ``case_linked`` entry ``seq``.

    Only an identifier the entry still links is corrected (another is linked with
    `link_case`); an empty value takes it off.
    """
    for change in changes:
        kind, old, new = str(change["field"]), change["old"], change["new"]
        if not old:
            raise InvalidValue(
                f"entry {seq} links no {LINK_KINDS[kind]} (or it was taken off): link one "
                "with 'cart-chain case link'"
            )
        if new:
            check_free(session, coi, kind, new)
            if kind == "manufacturer_coi":
                _check_pattern(session, coi, new)


def product_codes(session: Session, profile: str) -> tuple[str, ...]:
    """The ISBT 128 product codes the site configured for ``profile`` (none: not configured)."""
    site = site_products(session).get(profile)
    return () if site is None else site.product_codes


def site_products(session: Session) -> dict[str, SiteProduct]:
    """The site's product codes and barcode patterns per profile (a shared setting)."""
    return parse_site_products(shared_settings.get_in(session, SETTING))


def site_identifiers(db: Database, profile: str) -> SiteProduct | None:
    """What this site configured for ``profile`` (None: nothing), for `profile show`."""
    return db.read(lambda s: site_products(s).get(profile))


def _profile_of(session: Session, coi: str) -> str | None:
    case = session.get(Case, coi)
    return None if case is None else case.profile_id


def _check_pattern(session: Session, coi: str, value: str | None) -> None:
    """A manufacturer's own COI (not an ISBT 128 one) must match the site's pattern."""
    if value is None or (len(value) == 16 and value.startswith("CH")):
        return
    profile = _profile_of(session, coi)
    site = site_products(session).get(profile or "")
    if site is not None and not site.matches_barcode(value):
        raise InvalidValue(
            f"manufacturer's COI {value} does not match the site's barcode pattern for "
            f"profile {profile} ({site.barcode}): mistyped, or another product's"
        )


def check_product(session: Session, text: str, expected: Coi | None) -> None:
    """A scanned product code the site gave another profile than the case's is a stop."""
    if expected is None:
        return
    try:
        aim, t = split_aim(screen(text))
        found = parse_isbt(t, aim=aim)
    except IdentifierError:
        return
    if not isinstance(found, ProductCode):
        return
    case_profile = _profile_of(session, expected.full)
    owner = next(
        (p for p, sp in site_products(session).items() if found.code in sp.product_codes), None
    )
    if owner is not None and case_profile is not None and owner != case_profile:
        raise WrongPatient(
            f"WRONG PRODUCT - STOP: product code {found.code} is this site's code for "
            f"profile {owner}, but case {expected.grouped()} is {case_profile}. "
            "Do not use this bag; set it aside and report it"
        )


def link_case(
    db: Database,
    target: str,
    by: Credentials,
    *,
    manufacturer_coi: str | None = None,
    din: str | None = None,
    lot: str | None = None,
    rfic: str | None = None,
) -> Receipt:
    """Record a manufacturer's identifiers against a case (``target`` a COI) or one bag.

    Every value is checked (ISBT 128 COIs and DINs by their check character)
    before anything is written; one in force on any case is refused.
    """
    given = {"manufacturer_coi": manufacturer_coi, "din": din, "lot": lot, "rfic": rfic}
    values = {k: link_value(k, v) for k, v in given.items() if v is not None}
    if not values:
        raise InvalidValue(
            "name at least one identifier to link: --manufacturer-coi, --din, --lot or --rfic"
        )
    ident = parse_any(target)
    coi = (ident if isinstance(ident, Coi) else ident.coi).full
    unit = ident.full if isinstance(ident, UnitId) else None

    def run(session: Session) -> Receipt:
        user = authenticate_in(session, by)
        require_role(user, LINK_ROLES, "link a manufacturer's identifiers to a case")
        if session.get(Case, coi) is None:
            raise NotFound(f"case {_shown(coi)} is not known in this database")
        if unit is not None and session.get(Unit, unit) is None:
            raise NotFound(f"unit {unit} is not known in this database")
        for kind, value in values.items():
            check_free(session, coi, kind, value)
        _check_pattern(session, coi, values.get("manufacturer_coi"))
        entry = ledger.append(
            session,
            CASE_LINKED,
            user.username,
            {
                "coi": coi,
                "unit": unit,
                "links": values,
                "by": user.username,
                "signatures": [signature(user, "Performed by")],
            },
        )
        return receipt(entry, coi)

    return signed_write(db, run)


def of_case(session: Session, coi: str) -> tuple[LinkView, ...]:
    """The identifiers in force for case ``coi``, by the entry that linked them."""
    rows = session.execute(
        select(CaseLink, ORIGIN, LedgerEntry.actor, LedgerEntry.recorded_at)
        .join(LedgerEntry, LedgerEntry.seq == CaseLink.entry_seq)
        .where(CaseLink.coi == coi, IN_FORCE)
    ).all()
    order = list(LINK_KINDS)
    return tuple(
        LinkView(
            origin,
            r.kind,
            r.value,
            r.unit_code,
            actor,
            at,
            corrected_in=None if origin == r.entry_seq else r.entry_seq,
        )
        for r, origin, actor, at in sorted(rows, key=lambda t: (t[1], order.index(t[0].kind)))
    )


def _scanned(coi: str, unit: str | None, kind: str, what: str) -> Scanned:
    return Scanned(
        kind,  # type: ignore[arg-type]
        Coi(coi[:-1]),
        UnitId(unit[:-1]) if unit else None,
        linked=what,
    )


def _din(text: str, source: ScanSource) -> Din | None:
    """The DIN ``text`` holds (a DS 001 symbol or typed with its check), or None."""
    aim, t = split_aim(screen(text))
    found = parse_isbt(t, aim=aim, source=source)
    if isinstance(found, Din):
        return found
    return typed_din(t) if found is None else None


def resolve(session: Session, text: str, source: ScanSource = "keyboard") -> Scanned | None:
    """The case (and bag) a manufacturer's identifier or one of our DINs names, or None.

    A value that reads as a DIN but fails its check is `CheckFailed`, as for our
    own codes, and a valid DIN known nowhere is `UnknownUnit`; a value linked to
    more than one case (as different kinds) is refused.
    """
    try:
        t = split_aim(screen(text))[1].upper()
    except MalformedScan:
        return None
    rows = session.execute(
        select(CaseLink.coi, CaseLink.unit_code, CaseLink.kind).where(CaseLink.value == t, IN_FORCE)
    ).all()
    if not rows:
        din = _din(text, source)
        if din is None:
            return None
        own = dins.unit_of(session, din)
        if own is not None:
            return _scanned(own[0], own[1], "din", f"DIN {din.grouped()}")
        rows = session.execute(
            select(CaseLink.coi, CaseLink.unit_code, CaseLink.kind).where(
                CaseLink.kind == "din", CaseLink.value == din.full, IN_FORCE
            )
        ).all()
        if not rows:
            raise UnknownUnit(
                f"DIN {din.grouped()} is not known in this database: not allocated here "
                "and not linked to a case (cart-chain case link COI --din DIN)"
            )
        t = din.full
    if not rows:
        return None
    if len({r[0] for r in rows}) > 1:
        raise MalformedScan(f"{t!r} is linked to more than one case: type the case's COI")
    coi, unit, kind = rows[0]
    return _scanned(coi, unit, "manufacturer", f"{LINK_KINDS[kind]} {t}")


def resolve_coi(session: Session, coi: Coi) -> Scanned | None:
    """The case a manufacturer's ISBT 128 COI (not one of ours) is linked to, or None."""
    row = session.execute(
        select(CaseLink.coi, CaseLink.unit_code).where(
            CaseLink.kind == "manufacturer_coi", CaseLink.value == coi.full, IN_FORCE
        )
    ).first()
    if row is None:
        return None
    return _scanned(row[0], row[1], "manufacturer", f"manufacturer's COI {coi.grouped()}")
