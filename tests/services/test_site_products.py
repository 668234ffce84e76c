"""Per-profile site settings: ISBT 128 product codes (licensed, so entered by the site)
and the pattern of a manufacturer's own barcode."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from cart_chain.domain.errors import InvalidValue, MalformedScan, WrongPatient
from cart_chain.domain.site_products import parse_site_products, validate_site_products
from cart_chain.services import settings
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.services.links import link_case
from cart_chain.services.scanning import scan
from cart_chain.store.database import Database
from cart_chain.store.ledger import get_entry
from cart_chain.store.models import LedgerEntry
from tests.helpers import creds, enrol

SITE = {
    "kymriah": {"product_codes": ["S1234V00"], "barcode": "KYM-[0-9]{6}"},
    "yescarta": {"product_codes": ["S2000V00", " S2001V0a"]},
}


def test_the_setting_is_checked_and_stored_in_one_form() -> None:
    stored = validate_site_products(json.dumps(SITE))
    assert json.loads(stored)["yescarta"]["product_codes"] == ["S2000V00", "S2001V0a"]
    assert parse_site_products(stored)["kymriah"].matches_barcode("KYM-123456")
    assert not parse_site_products(stored)["kymriah"].matches_barcode("KYM-12345")
    for bad, why in (
        ("[]", "JSON object"),
        ('{"kymriah": {"product_codes": ["S123"]}}', "Data Structure 003"),
        ('{"kymriah": {"barcode": "KYM-[0-9"}}', "not valid"),
        ('{"kymriah": {"codes": []}}', "unknown field"),
        (
            '{"a": {"product_codes": ["S1234V00"]}, "b": {"product_codes": ["S1234V00"]}}',
            "given to a and b",
        ),
    ):
        with pytest.raises(InvalidValue, match=why):
            validate_site_products(bad)


@pytest.fixture
def site(ready_db: Database) -> Database:
    settings.set_setting(ready_db, creds("admin"), "product_identifiers", json.dumps(SITE))
    return ready_db


def test_a_manufacturer_coi_must_match_the_profiles_pattern(site: Database) -> None:
    coi = enrol(site)
    assert show_case(site, coi).profile_id == "kymriah"
    with pytest.raises(InvalidValue, match="does not match the site's barcode pattern"):
        link_case(site, coi, creds("alice"), manufacturer_coi="KYM-12345")
    link_case(site, coi, creds("alice"), manufacturer_coi="kym-123456")
    assert [lk.value for lk in show_case(site, coi).links] == ["KYM-123456"]


def test_another_products_code_is_a_stop_and_is_recorded(site: Database) -> None:
    coi = enrol(site)
    with pytest.raises(WrongPatient, match=r"WRONG PRODUCT.*profile yescarta"):
        scan(site, "]C0=<S2000V00", expect=coi)
    with pytest.raises(MalformedScan, match="not whose it is"):  # its own code names no bag
        scan(site, "]C0=<S1234V00", expect=coi)
    with pytest.raises(MalformedScan):  # a code no profile has: nothing to compare
        scan(site, "]C0=<S9999V00", expect=coi)
    count = site.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar())
    with pytest.raises(WrongPatient):
        record_event(site, "=<S2001V0a", "collection", creds("alice"), creds("anna"), expect=coi)
    last = site.read(lambda s: get_entry(s, int(count or 0) + 1))
    assert last is not None and last.kind == "scan_refused"
    assert last.payload["reason"].startswith("wrong_patient: WRONG PRODUCT")


def test_profile_show_names_the_sites_product_codes(site: Database) -> None:
    import subprocess
    import sys

    def show(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cart_chain", "--db", str(site.path), "profile", "show", *args],
            capture_output=True,
            text=True,
        )

    out = show("kymriah")
    assert out.returncode == 0, out.stderr
    assert "ISBT 128 product codes at this site: S1234V00" in out.stdout
    assert "manufacturer barcode pattern: KYM-[0-9]{6}" in out.stdout
    assert json.loads(show("yescarta", "--json").stdout)["site"] == {
        "product_codes": ["S2000V00", "S2001V0a"],
        "barcode": None,
    }
    bare = show("breyanzi")
    assert "product codes at this site: none configured" in bare.stdout
    assert "cart-chain settings product_identifiers" in bare.stdout
