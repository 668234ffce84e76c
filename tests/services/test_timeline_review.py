"""A deviation's timeline entry names who decided it and when (issue 11): a decision is
only as good as its signer, and the case view showed the decision alone."""

from __future__ import annotations

import re

from cart_chain.domain.clock import local_display
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import review_deviation
from cart_chain.services.timeline import DEVIATION, case_story
from tests.helpers import creds, enrol, unit_of, walk


def test_a_reviewed_deviation_shows_the_reviewer_and_the_time(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db, "Dora Deviation")
    unit = unit_of(coi)
    walk(ready_db, unit, 7)  # through release
    record_event(ready_db, unit, "storage", creds("leo"), temperature_c=-100.0)  # too warm
    (pending,) = show_case(ready_db, coi).units[0].deviations
    assert pending.reviewed_by is None and pending.reviewed_at is None
    (entry,) = [e for e in case_story(ready_db, coi).timelines[unit] if e.kind == DEVIATION]
    assert not any(line.startswith("Reviewed by") for line in entry.lines)  # not yet

    receipt = review_deviation(
        ready_db, pending.seq, "accept", "within the validated hold", creds("quinn")
    )
    (done,) = show_case(ready_db, coi).units[0].deviations
    assert (done.reviewed_by, done.reviewed_by_name) == ("quinn", "Quinn Quality")
    assert done.reviewed_at == receipt.recorded_at
    (entry,) = [e for e in case_story(ready_db, coi).timelines[unit] if e.kind == DEVIATION]
    line = next(line for line in entry.lines if line.startswith("Reviewed by"))
    assert line == f"Reviewed by Quinn Quality (quinn) · {local_display(receipt.recorded_at)}"
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", line)
