"""Every ledger entry kind, declared once: import this package to have them all.

Each family module below declares its kinds with `registry.Kind` (payload shape,
projection rows, audit text, correctable fields, case and unit). `ledger.append`
refuses a kind not declared here, `verify` recomputes projections from these
declarations, the audit export describes entries with them and corrections
check new values with them. To add a kind: declare it in its family's module
(or a new module imported below), and give it a row in `domain.authority` if it
is signed.
"""

from __future__ import annotations

from cart_chain.store.kinds import (  # noqa: F401  (imported to register their kinds)
    accounts,
    admin,
    cases,
    condition,
    corrections,
    custody,
    labels,
    readiness,
    reports,
    witness,
)
from cart_chain.store.kinds.registry import (
    AuditText,
    Kind,
    Row,
    all_kinds,
    kind_of,
    signature_rows,
)

__all__ = ["AuditText", "Kind", "Row", "all_kinds", "kind_of", "signature_rows"]
