"""After a handoff the label the next holder needs is offered; a reprint only when one
of that kind exists for the bag; none after infusion (`services.labels.label_offer`)."""

from __future__ import annotations

from cart_chain.domain.steps import Step
from cart_chain.labels.printing import print_label
from cart_chain.services.labels import label_offer
from tests.helpers import JOURNEY, creds, enrol, record_step, unit_of, walk

EXPECTED = {
    "collection": "collection",
    "ship_to_manufacturing": "transport",
    "receipt_at_manufacturing": "bag",
    "engineering": None,
    "expansion": None,
    "cryopreservation": None,
    "release": "container",
    "storage": None,
    "ship_to_site": "transport",
    "receipt_at_site": "bag",
    "thaw": "bag",
    "infusion": None,
}


def test_each_step_offers_the_next_holders_label(ready_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_db
    coi = enrol(db, "Olga Offer")
    unit = unit_of(coi)
    assert [s for s, _, _ in JOURNEY] == list(EXPECTED)
    for i, (step, _, _) in enumerate(JOURNEY, start=1):
        record_step(db, unit, i)
        offer = label_offer(db, unit, step)
        kind = EXPECTED[step]
        if kind is None:
            assert offer is None, step
            continue
        assert offer is not None and offer.kind == kind and offer.step == step
        # Fresh kinds are a first print; the second transport and bag labels are reprints.
        assert offer.reprint == (step in ("ship_to_site", "receipt_at_site", "thaw")), step
        print_label(db, unit, kind, creds("alice"), reason="again" if offer.reprint else None)


def test_a_reprint_is_offered_only_for_a_kind_already_printed(ready_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_db
    coi = enrol(db, "Rhea Reprint")
    unit = unit_of(coi)
    walk(db, unit, 1)
    print_label(db, unit, "bag", creds("alice"))  # another kind exists: no reprint
    offer = label_offer(db, unit, Step.COLLECTION)
    assert offer is not None and offer.kind == "collection" and not offer.reprint
    print_label(db, unit, "collection", creds("alice"))
    offer = label_offer(db, unit, "collection")
    assert offer is not None and offer.reprint
