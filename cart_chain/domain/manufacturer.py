"""The identifiers a commercial product carries beside the case's own COI.

A manufacturer (or sponsor) assigns its own COI (often an ISBT 128 ``&/`` COI
under its own FIN), DINs for the collections, lot or batch numbers, and the
reference of the Release-for-Infusion Certificate. A case records them in a
signed ``case_linked`` entry; a scan of any of them then names the case, and one
of another patient's is a wrong-patient stop like our own labels.

Values are kept in one canonical form, so a scan and the typed link compare
equal: ISBT 128 COIs and DINs with their check character (and refused when it
is wrong), anything else upper-cased, without the edge whitespace a wedge adds.
"""

from __future__ import annotations

import re

from cart_chain.domain.din import parse_din
from cart_chain.domain.errors import IdentifierError
from cart_chain.domain.identifiers import DATA_IDENTIFIER, parse_coi, screen

#: The ledger entry kind that links identifiers to a case (its one definition).
CASE_LINKED = "case_linked"
#: Kinds of identifier, in the order they are shown, with how a person names them.
LINK_KINDS: dict[str, str] = {
    "manufacturer_coi": "manufacturer's COI",
    "din": "DIN",
    "lot": "lot",
    "rfic": "release certificate",
}
MAX_VALUE = 64
#: A manufacturer's own code: letters, digits and the punctuation barcodes carry.
_PLAIN = re.compile(r"[0-9A-Z](?:[0-9A-Z\-./+_:]*[0-9A-Z])?")
_ISBT_COI = re.compile(r"CH[A-Z0-9][0-9]{4}[0-9]{2}[0-9A-Z]{6}.?")


def plain_value(text: str, what: str = "identifier") -> str:
    """A manufacturer's own code as stored and compared: screened, upper-cased."""
    t = screen(text).upper()
    if not 1 <= len(t) <= MAX_VALUE:
        raise IdentifierError(f"a {what} has 1 to {MAX_VALUE} characters, got {len(t)}")
    if not _PLAIN.fullmatch(t):
        raise IdentifierError(
            f"{what} {t!r} may hold only letters, digits and - . / + _ : "
            "(not at either end, no spaces)"
        )
    return t


def link_value(kind: str, text: str) -> str:
    """The canonical form of a typed identifier of ``kind``, or `IdentifierError`."""
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}")
    what = LINK_KINDS[kind]
    if kind == "din":
        return parse_din(text).full
    t = screen(text).upper()
    if kind == "manufacturer_coi" and (
        t.startswith(DATA_IDENTIFIER) or _ISBT_COI.fullmatch(t.replace(" ", ""))
    ):
        try:
            return parse_coi(t).full
        except IdentifierError as err:
            raise IdentifierError(f"the {what} looks like an ISBT 128 COI: {err}") from None
    return plain_value(t, what)
