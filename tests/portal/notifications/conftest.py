"""Fixtures for the notification tests: a mapped organisation with members linked to Plain
customers, a thread they opened, signed webhook deliveries, time passing for the batch window,
and a reader for the emails sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email import message_from_string, policy
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from plain_gateway import Thread
from portal.notifications import services
from portal.outbox import services as outbox
from portal.tenancy.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.webhooks.conftest import hmac_secret, post  # noqa: F401 - fixtures

PUBLIC_URL = "https://support.example.test"


@pytest.fixture(autouse=True)
def notify_settings(settings):
    settings.PORTAL_PUBLIC_URL = PUBLIC_URL
    settings.PORTAL_NOTIFY_BATCH_MINUTES = 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def customer_for(plain, user, tenant: str) -> str:
    """The user's Plain customer (as the tenancy sync makes it), its id kept on the user."""
    customer = plain.upsert_customer(
        external_id=user.plain_external_id, email=user.email, full_name=user.full_name
    ).item
    plain.add_customer_to_tenants(customer_id=customer.id, tenant_external_ids=[tenant])
    user.plain_customer_id = customer.id
    user.save(update_fields=["plain_customer_id"])
    return customer.id


@dataclass
class World:
    organization: Any
    alice: Any  # the requester
    bob: Any  # another member
    thread: Thread
    plain: Any

    def member(self, email: str, role: str = Membership.Role.MEMBER) -> Any:
        user = UserFactory(email=email)
        MembershipFactory(user=user, organization=self.organization, role=role)
        customer_for(self.plain, user, self.organization.tenant_external_id)
        return user


@pytest.fixture
def world(db, plain) -> World:
    acme = OrganizationFactory(name="Acme", slug="acme")
    plain.upsert_tenant(external_id=acme.tenant_external_id, name="Acme")
    alice = UserFactory(email="alice@acme.test", full_name="Alice Example")
    bob = UserFactory(email="bob@acme.test", full_name="Bob Example")
    for user in (alice, bob):
        MembershipFactory(user=user, organization=acme)
        customer_for(plain, user, acme.tenant_external_id)
    thread = plain.create_thread(
        customer_id=alice.plain_customer_id,
        tenant_external_id=acme.tenant_external_id,
        title="Cannot export invoices",
        text="The export times out.",
    )
    return World(organization=acme, alice=alice, bob=bob, thread=thread, plain=plain)


@pytest.fixture
def later():
    """later(minutes=...): the outbox's sweep as it runs that long from now (eager tasks send)."""

    def run(minutes: float = 4) -> int:
        return outbox.sweep(now=timezone.now() + timedelta(minutes=minutes), only=[services.EMAILS])

    return run


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.blockquotes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)
        if tag == "blockquote":
            self.blockquotes.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "blockquote" in self.stack and self.blockquotes:
            self.blockquotes[-1] += data

    def links(self) -> list[str]:
        return [attrs.get("href") or "" for tag, attrs in self.tags if tag == "a"]

    def tag_names(self) -> list[str]:
        return [tag for tag, _ in self.tags]


@dataclass
class Sent:
    """One email of mail.outbox, read the way a mail client reads it."""

    to: list[str]
    subject: str
    text: str
    html: _Page
    headers: Any

    @classmethod
    def of(cls, message: mail.EmailMultiAlternatives) -> Sent:
        parsed = message_from_string(message.message().as_string(), policy=policy.default)
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        page = _Page()
        page.feed(str(html))
        return cls(
            to=list(message.to),
            subject=message.subject,
            text=message.body,
            html=page,
            headers=parsed,
        )


@pytest.fixture
def sent():
    """sent(): the emails sent so far, parsed."""

    def read() -> list[Sent]:
        return [Sent.of(message) for message in mail.outbox]

    return read
