from cart_chain.services.case_detail import show_case
from cart_chain.services.verification import verify_ledger
from tests.helpers import enrol, unit_of, walk


def test_full_chain_verifies(ready_any_db):
    coi = enrol(ready_any_db)
    walk(ready_any_db, unit_of(coi))
    assert show_case(ready_any_db, coi).units[0].current_step == "infusion"
    assert verify_ledger(ready_any_db).ok
