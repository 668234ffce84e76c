"""Print a label: the recording service with this package's renderer.

`cart_chain.services.labels.print_label` records the print and takes the
drawing function as an argument, so the services layer never imports the
labels layer above it. Callers (CLI, GUI, scripts) use this function.
"""

from __future__ import annotations

from typing import Any

from cart_chain.labels.render import render
from cart_chain.services import labels as service
from cart_chain.services.accounts import Credentials


def print_label(
    db: service.Database, unit: str, kind: str, by: Credentials, **options: Any
) -> service.PrintedLabel:
    """Render, deliver and record one label (see `services.labels.print_label`)."""
    return service.print_label(db, unit, kind, by, renderer=render, **options)
