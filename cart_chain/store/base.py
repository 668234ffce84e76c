"""The declarative base every table derives from.

Its own module so `store.models` (the projections) and `store.derived_models` (the
tables that are not projections) can both define tables on one metadata without
importing each other.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """One metadata for every table: what Alembic autogenerate compares."""
