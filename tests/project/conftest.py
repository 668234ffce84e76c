"""Fixtures of tests/project alone, found by pytest for this folder's modules only.

None so far: the whole-project checks share ``any_db`` and ``ready_any_db`` with other
folders (tests/conftest.py), and a fixture only one module uses (``log_dir``) stays in
that module. Plain helpers are in tests/helpers.py.
"""
