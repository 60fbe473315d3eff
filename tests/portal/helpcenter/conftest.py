"""Fixtures for the help center pages: a help center in the emulator with published articles,
a draft, a private help center for Acme's tenant, an internal one; the cache emptied per test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from plain_gateway.types import HelpCenterAccess
from tests.portal.support.conftest import acme, alice, alice_client, carol, globex

# The support pages' organisations and users, as fixtures of these tests too.
__all__ = ["acme", "alice", "alice_client", "carol", "globex"]

HOSTILE_HTML = (
    '<h2 onclick="alert(1)">Steps</h2><script>alert("x")</script>'
    '<p>Read <a href="javascript:alert(2)">this</a> and <a href="https://ok.test/">that</a>.</p>'
    '<img src="https://tracker.test/p.gif" onerror="alert(3)"><style>body{}</style>'
    '<iframe src="https://evil.test/"></iframe><ul><li>one</li></ul>'
    "<table><tr><td>cell</td></tr></table><pre><code>code()</code></pre>"
)


@dataclass
class Library:
    public_id: str
    private_id: str
    internal_id: str


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _article(plain: Any, center_id: str, title: str, **kwargs: Any) -> Any:
    kwargs.setdefault("content_html", f"<p>About {title}.</p>")
    kwargs.setdefault("status", "PUBLISHED")
    return plain.upsert_help_center_article(help_center_id=center_id, title=title, **kwargs)


@pytest.fixture
def library(plain, acme) -> Library:
    public = plain.create_help_center(
        public_name="Public help", internal_name="pub", type="PUBLIC", subdomain="pub-help"
    )
    group = plain.create_help_center_article_group(help_center_id=public.id, name="Data")
    _article(
        plain,
        public.id,
        "Export your data as CSV",
        slug="export-data",
        group_id=group,
        description="Download reports",
    )
    _article(plain, public.id, "Reset your password", slug="reset-password")
    _article(plain, public.id, "Hostile article", slug="hostile", content_html=HOSTILE_HTML)
    _article(
        plain,
        public.id,
        "Export roadmap secret",
        slug="export-draft",
        status="DRAFT",
        content_html="<p>export csv draftword</p>",
    )

    private = plain.create_help_center(
        public_name="Acme only", internal_name="acme", type="PRIVATE", subdomain="acme-only"
    )
    plain.update_help_center(
        help_center_id=private.id,
        access=HelpCenterAccess(tenant_ids=frozenset({acme.tenant_external_id})),
    )
    _article(
        plain,
        private.id,
        "Acme export contract",
        slug="acme-contract",
        content_html="<p>privateword export</p>",
    )

    internal = plain.create_help_center(
        public_name="Runbooks", internal_name="rb", type="INTERNAL", subdomain="runbooks"
    )
    _article(
        plain,
        internal.id,
        "Restart the export worker",
        slug="runbook",
        content_html="<p>internalword export</p>",
    )
    return Library(public_id=public.id, private_id=private.id, internal_id=internal.id)


@pytest.fixture
def carol_client(client, carol):
    client.force_login(carol)
    return client
