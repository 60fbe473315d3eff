"""Fixtures for the gateway's tests that need the emulator as a real process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVED_KEY = "served-key"


@pytest.fixture
def served(tmp_path) -> Iterator[str]:
    """`python -m plain_gateway.emulator` on a free loopback port (key "served-key"); yields its
    GraphQL URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plain_gateway.emulator",
            "--port",
            "0",
            "--api-key",
            SERVED_KEY,
            "--data",
            str(tmp_path / "served.sqlite3"),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "serving" in line, process.stderr.read() if process.poll() is not None else line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)
