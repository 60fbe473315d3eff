"""A real OpenID provider for the OIDC tests: panva's certified `oidc-provider` (npm), run by
node from server.js beside this file, on a port of its own on loopback.

`.ci/run` installs it (`npm ci` here) when node is present; a checkout without node or without
the installed package skips the tests that need it, saying how to get it.

    with openid_provider(clients=[...], users=[...]) as provider:
        provider.issuer            # http://127.0.0.1:PORT, discovery under it
"""

from __future__ import annotations

import json
import selectors
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

HERE = Path(__file__).resolve().parent
SERVER = HERE / "server.js"
STARTUP_SECONDS = 30


@dataclass(frozen=True)
class Provider:
    issuer: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def provider_unavailable_reason() -> str | None:
    """Why the provider cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "no `node` on PATH: install Node.js (20.19+) to run the OpenID Connect tests"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return f"the test provider is not installed: run `npm ci` in {HERE}"
    return None


@contextmanager
def openid_provider(
    *, clients: Sequence[dict[str, Any]], users: Sequence[dict[str, Any]]
) -> Iterator[Provider]:
    """Start the provider with these clients ({"client_id", "client_secret", "redirect_uris"})
    and users ({"sub", "email", "password", "name", "orgs"}), wait until its discovery answers,
    yield it, and stop it. Skips the calling test when node or the package is missing."""
    reason = provider_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="oidc-provider-") as folder:
        config = Path(folder) / "config.json"
        config.write_text(json.dumps({"port": 0, "clients": clients, "users": users}))
        log = (Path(folder) / "provider.log").open("w")
        process = subprocess.Popen(
            ["node", str(SERVER), str(config)],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            # The first line names the issuer once it listens (or the process dies: EOF).
            selector = selectors.DefaultSelector()
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(STARTUP_SECONDS)
            selector.close()
            line = process.stdout.readline() if ready else ""
            assert line.startswith("serving http://127.0.0.1:"), (
                line + (Path(folder) / "provider.log").read_text()
            )
            provider = Provider(issuer=line.split()[-1])
            response = httpx.get(provider.discovery_url, timeout=STARTUP_SECONDS)
            assert response.json()["issuer"] == provider.issuer
            yield provider
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


class _Forms(HTMLParser):
    """Each <form>'s action and its named inputs' values, in page order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1][1][values["name"]] = values.get("value", "")


def page_forms(html: str) -> list[tuple[str, dict[str, str]]]:
    """[(action, {name: value})] of every form on the page."""
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return parser.forms
