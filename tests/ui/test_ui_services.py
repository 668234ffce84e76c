"""The service functions added for the GUI, tested without Qt."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.errors import DatabaseUnavailable, InvalidValue
from cart_chain.services import case_list, workstation
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, unit_of, walk


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_new_services_import_without_qt() -> None:
    loaded = _modules_after("import cart_chain.services.case_list, cart_chain.services.workstation")
    assert not any(m.startswith("PySide6") for m in loaded)


def test_login_window_imports_no_database_code() -> None:
    """Start-up cost: the first window must not pay for SQLAlchemy or the store."""
    loaded = _modules_after("import cart_chain.ui.app")
    assert "sqlalchemy" not in loaded
    assert not any(m.startswith("cart_chain.store") for m in loaded)
    assert not any(
        m.startswith("cart_chain.services.") for m in loaded if m != "cart_chain.services.views"
    )


def test_open_database_reports_an_empty_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    opened = workstation.open_database(str(tmp_path / "new.sqlite3"))
    try:
        assert not opened.initialised
        assert opened.inactivity_minutes == 5
    finally:
        opened.db.dispose()


def test_open_database_reads_settings(ready_db: Database) -> None:
    from cart_chain.services.settings import set_setting

    set_setting(ready_db, creds("admin"), "inactivity_minutes", "7")
    opened = workstation.open_database(ready_db.url)
    try:
        assert opened.initialised
        assert opened.inactivity_minutes == 7
        assert opened.facility == "A9999"
    finally:
        opened.db.dispose()


def test_check_location_refuses_an_empty_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseUnavailable):
        workstation.check_location(str(tmp_path / "empty.sqlite3"))


def test_check_location_accepts_a_ready_database(ready_db: Database) -> None:
    assert "database" in workstation.check_location(ready_db.url)


def _three(db: Database) -> list[str]:
    a = enrol(db, "Zoe Zed")
    b = enrol(db, "Adam Abel")
    c = enrol(db, "Mia Mid")
    walk(db, unit_of(b), 2)
    walk(db, unit_of(c), 1)
    return [a, b, c]


def test_case_page_sorts_and_pages(ready_db: Database) -> None:
    a, b, c = _three(ready_db)
    names = [
        s.patient_name for s in case_list.list_case_page(ready_db, sort="patient", descending=False)
    ]
    assert names == ["Adam Abel", "Mia Mid", "Zoe Zed"]
    newest = case_list.list_case_page(ready_db)
    assert [s.coi for s in newest] == [c, b, a]
    oldest = case_list.list_case_page(ready_db, sort="created", descending=False, limit=2)
    assert [s.coi for s in oldest] == [a, b]
    page2 = case_list.list_case_page(ready_db, sort="created", descending=False, after=oldest[-1])
    assert [s.coi for s in page2] == [c]
    by_event = case_list.list_case_page(ready_db, sort="last_event", descending=True)
    assert [s.coi for s in by_event] == [c, b, a]  # c moved last; a has no event yet
    found = case_list.list_case_page(ready_db, search="mia", sort="coi")
    assert [s.coi for s in found] == [c]
    assert found[0].unit_steps == ((unit_of(c), "collection"),)


def test_case_page_matches_list_cases(ready_db: Database) -> None:
    _three(ready_db)
    assert case_list.list_case_page(ready_db, sort="coi", descending=True) == sorted(
        case_list.list_cases(ready_db), key=lambda s: s.coi, reverse=True
    )


def test_case_page_refuses_unknown_sort(ready_db: Database) -> None:
    with pytest.raises(InvalidValue):
        case_list.list_case_page(ready_db, sort="dob")


def test_alerts_for_a_thawed_bag_not_infused(ready_db: Database) -> None:
    coi = enrol(ready_db)  # Kymriah: 30 min from the end of the thaw
    walk(ready_db, unit_of(coi), 11)  # up to thaw
    summary = case_list.list_cases(ready_db)[0]
    assert summary.last_event_at is not None
    at = parse_iso(summary.last_event_at)
    assert case_list.alerts(summary, at + timedelta(minutes=10)) == ()
    alert = case_list.alerts(summary, at + timedelta(minutes=45))
    assert alert == ("U01 post-thaw window overdue by 15 min",)


def _enrol_product(db: Database, product: str) -> str:
    from cart_chain.services.cases import new_case

    return new_case(
        db, creds("alice"), "Profile Patient", "1970-01-01", "MRN-2", product, 1
    ).subject


def test_thaw_alert_follows_the_profile_window_not_a_constant(ready_db: Database) -> None:
    """Carvykti may be infused up to 150 min after thawing: no alert at 45 min (the list
    used a 30 min constant for every product), one once its own window has run out."""
    coi = _enrol_product(ready_db, "Carvykti")
    walk(ready_db, unit_of(coi), 11)
    summary = case_list.list_cases(ready_db)[0]
    at = parse_iso(summary.last_event_at or "")
    assert case_list.alerts(summary, at + timedelta(minutes=45)) == ()
    assert case_list.alerts(summary, at + timedelta(minutes=160)) == (
        "U01 post-thaw window overdue by 10 min",
    )


def test_alerts_for_collection_follow_the_fresh_transit_window(ready_db: Database) -> None:
    kymriah = enrol(ready_db)  # cryopreserved apheresis: no transit clock
    walk(ready_db, unit_of(kymriah), 1)
    summary = case_list.list_cases(ready_db)[0]
    at = parse_iso(summary.last_event_at or "")
    assert case_list.alerts(summary, at + timedelta(hours=30)) == ()
    yescarta = _enrol_product(ready_db, "Yescarta")  # fresh, 48 h from collection
    walk(ready_db, unit_of(yescarta), 2)  # collected and shipped: the clock still runs
    (summary,) = [s for s in case_list.list_cases(ready_db) if s.coi == yescarta]
    at = parse_iso(summary.last_event_at or "")  # shipped, a moment after collection
    assert case_list.alerts(summary, at + timedelta(hours=30)) == ()
    (alert,) = case_list.alerts(summary, at + timedelta(hours=50))
    assert alert.startswith("U01 fresh transit window overdue by ")


def test_ui_sources_never_import_the_store_or_sqlalchemy() -> None:
    """Layers are one-way: the GUI talks to services only."""
    import ast
    from pathlib import Path

    import cart_chain.ui

    root = Path(cart_chain.ui.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.startswith("sqlalchemy") or n.startswith("cart_chain.store")
            ]
    assert offenders == []
