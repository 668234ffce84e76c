"""Command-line interface: the same operations as the desktop app, for scripts and tests."""
