"""Label rendering: plain `LabelData` in, PNG / PDF / ZPL II bytes out.

Nothing here reads the database or imports Qt: the services build the data, the
CLI and (later) the GUI's Qt printing reuse the same rendering.
"""
