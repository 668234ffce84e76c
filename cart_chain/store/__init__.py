"""Persistence: SQLAlchemy models, the hash-chained ledger and its projections.

Only `cart_chain.services` writes through this package; everything else reads
what the services return.
"""
