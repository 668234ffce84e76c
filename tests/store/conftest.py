"""Fixtures of tests/store alone, found by pytest for this folder's modules only.

None so far: every fixture these tests share (the databases: ``db``, ``any_db``,
``ready_db``, ...) is one other folders use too, in tests/conftest.py, and a fixture only
one module uses stays in that module. Plain helpers are in tests/helpers.py, the Merkle
tree's in tests/store/helpers.py and an attacker's edits in tests/tamper.py.
"""
