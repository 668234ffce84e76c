"""Pure rules of the custody chain: no database, no Qt, no I/O.

Everything here can be imported and tested on its own; the layers above
(store, services, cli, ui, labels, reports) depend on it and never the reverse.
"""
