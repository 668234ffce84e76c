"""Fixtures of tests/cli alone, found by pytest for this folder's modules only.

None so far: the CLI tests make their database through the CLI (``cli_db``, which only
test_cli.py uses, stays there), and what they share with every folder (the low-cost
argon2 hashes) is in tests/conftest.py. Plain helpers are in tests/cli/helpers.py (to
run the command line) and tests/helpers.py.
"""
