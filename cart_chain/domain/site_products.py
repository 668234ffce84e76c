"""What a site configures per product profile: its ISBT 128 product codes and the
pattern of the manufacturer's own barcode.

ICCBBA's product description code tables (Data Structure 003) are licensed, so
cart-chain ships none: a site enters the codes it uses for each profile. A
manufacturer's own COI barcode has a format the site knows from the product's
documents; a pattern per profile catches a mistyped or wrong-product identifier
when it is linked to a case. The setting is one JSON object::

    {"kymriah": {"product_codes": ["S1234V00"], "barcode": "KYM-[0-9]{8}"}}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from cart_chain.domain.errors import IdentifierError, InvalidValue
from cart_chain.domain.isbt128 import ProductCode, parse_isbt

#: The shared setting's key.
SETTING = "product_identifiers"
MAX_PATTERN = 200
_PROFILE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass(frozen=True, slots=True)
class SiteProduct:
    product_codes: tuple[str, ...] = ()
    barcode: str | None = None  # a regular expression the whole barcode must match

    def matches_barcode(self, value: str) -> bool:
        return self.barcode is None or re.fullmatch(self.barcode, value) is not None


def _code(text: object, profile: str) -> str:
    if not isinstance(text, str):
        raise InvalidValue(f'{profile}: product codes are strings such as "S1234V00"')
    try:
        found = parse_isbt("=<" + text.strip())
    except IdentifierError as err:
        raise InvalidValue(f"{profile}: {err}") from None
    assert isinstance(found, ProductCode)
    return found.code


def _pattern(text: object, profile: str) -> str:
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_PATTERN:
        raise InvalidValue(f"{profile}: barcode is a pattern of 1 to {MAX_PATTERN} characters")
    try:
        re.compile(text)
    except re.error as err:
        raise InvalidValue(f"{profile}: barcode pattern {text!r} is not valid: {err}") from None
    return text


def parse_site_products(text: str) -> dict[str, SiteProduct]:
    """The setting's value read back, or `InvalidValue` saying what is wrong."""
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        raise InvalidValue(f"{SETTING} must be a JSON object: profile -> codes") from None
    if not isinstance(raw, dict):
        raise InvalidValue(f"{SETTING} must be a JSON object: profile -> codes")
    out: dict[str, SiteProduct] = {}
    for profile, entry in raw.items():
        if not _PROFILE_ID.fullmatch(str(profile)) or not isinstance(entry, dict):
            raise InvalidValue(f"{SETTING}: {profile!r} -> {{product_codes, barcode}} expected")
        unknown = set(entry) - {"product_codes", "barcode"}
        if unknown:
            raise InvalidValue(f"{profile}: unknown field(s) {', '.join(sorted(unknown))}")
        codes = entry.get("product_codes", [])
        if not isinstance(codes, list):
            raise InvalidValue(f"{profile}: product_codes is a list")
        barcode = entry.get("barcode")
        out[profile] = SiteProduct(
            tuple(_code(c, profile) for c in codes),
            None if barcode is None else _pattern(barcode, profile),
        )
    owners: dict[str, str] = {}
    for profile, sp in out.items():
        for code in sp.product_codes:
            if owners.setdefault(code, profile) != profile:
                raise InvalidValue(f"product code {code} is given to {owners[code]} and {profile}")
    return out


def validate_site_products(text: str) -> str:
    """The setting's validator: checked, then stored in one canonical form."""
    parsed = parse_site_products(text)
    return json.dumps(
        {
            p: {"product_codes": list(sp.product_codes)}
            | ({"barcode": sp.barcode} if sp.barcode else {})
            for p, sp in sorted(parsed.items())
        },
        sort_keys=True,
        separators=(",", ":"),
    )
