"""Which label the next holder needs after a step: the one rule the app offers by.

A handoff is where a label is printed: the product leaves one holder's hands and the
next one must be able to identify it. Which label depends on what travels next:

- after **collection** the ISBT 128 collection label (ST-018) of the apheresis
  product that goes for manufacturing;
- after each **shipment** (to manufacturing, to the site) the transport (shipper)
  label the courier carries;
- after each **receipt** (at manufacturing, at the site) and after the **thaw** the
  bag label, which names the step the bag is at, for the people who work on it next;
- after **release** the final product's ISBT 128 container label (ST-004);
- after **infusion** none: there is no next holder.

Steps that are no handoff (engineering, expansion, cryopreservation, storage) offer
none either; a label can still be printed from the case view at any time.
"""

from __future__ import annotations

from types import MappingProxyType

from cart_chain.domain.steps import Step

#: The label offered after each step; a step not named offers none.
LABEL_AFTER: MappingProxyType[Step, str] = MappingProxyType(
    {
        Step.COLLECTION: "collection",
        Step.SHIP_TO_MANUFACTURING: "transport",
        Step.RECEIPT_AT_MANUFACTURING: "bag",
        Step.RELEASE: "container",
        Step.SHIP_TO_SITE: "transport",
        Step.RECEIPT_AT_SITE: "bag",
        Step.THAW: "bag",
    }
)


def label_after(step: Step) -> str | None:
    """The label kind the next holder needs after ``step``; None: offer no label."""
    return LABEL_AFTER.get(step)
