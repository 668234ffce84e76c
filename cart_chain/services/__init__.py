"""Use cases: the only code that writes.

Each public function is one transaction on a `Database`. The CLI, the GUI,
labels and reports call these and nothing below them, and every one of them is
tested without Qt.
"""
