"""PDF and CSV renderings of what the services return: custody reports and audit exports.

Nothing here touches the database: each renderer takes plain dataclasses from
`cart_chain.services.exports`, which also records every export in the ledger.
"""
