"""Reading a Content-Security-Policy header in tests."""

from __future__ import annotations


def policy_of_header(header: str | None) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [source, ...]}, as a browser reads it."""
    assert header, "no Content-Security-Policy header"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        if not part.strip():
            continue
        name, *sources = part.split()
        assert name.lower() not in directives, f"{name} given twice"
        directives[name.lower()] = sources
    return directives
