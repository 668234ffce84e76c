"""PDF and CSV renderings of what the services return: custody reports and audit exports.

Nothing here touches the database: each renderer takes plain dataclasses from
`cart_chain.services.custody_data` and `cart_chain.services.audit_rows`;
`cart_chain.services.exports` records every export in the ledger.
"""
