"""Benchmarks, run with `make bench` (python -m bench). Each module has a run() that prints a table.

They configure Django on their own: a SQLite database in a temporary directory and the embedded
Plain emulator in memory, so they never touch var/ or a real Plain.
"""
