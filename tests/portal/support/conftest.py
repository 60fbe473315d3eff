"""Fixtures for the support pages: two organisations known to Plain, their members, threads."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plain_gateway.types import Thread
from portal.accounts.models import User
from portal.tenancy.models import Organization
from portal.tenancy.services import plain_customer_ensure
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


def org_in_plain(plain, *, name: str, slug: str) -> Organization:
    """An organisation in our database and its tenant in Plain."""
    organization = OrganizationFactory(name=name, slug=slug)
    plain.upsert_tenant(external_id=organization.tenant_external_id, name=organization.name)
    return organization


@pytest.fixture
def acme(plain) -> Organization:
    return org_in_plain(plain, name="Acme", slug="acme")


@pytest.fixture
def globex(plain) -> Organization:
    return org_in_plain(plain, name="Globex", slug="globex")


@pytest.fixture
def alice(acme) -> User:
    user = UserFactory(email="alice@acme.test", full_name="Alice Archer")
    MembershipFactory(user=user, organization=acme)
    return user


@pytest.fixture
def bob(acme) -> User:
    user = UserFactory(email="bob@acme.test", full_name="Bob Baker")
    MembershipFactory(user=user, organization=acme)
    return user


@pytest.fixture
def carol(globex) -> User:
    user = UserFactory(email="carol@globex.test", full_name="Carol Cole")
    MembershipFactory(user=user, organization=globex)
    return user


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def make_thread(plain) -> Callable[..., Thread]:
    """Open a thread in Plain as `user`'s customer, under `organization`'s tenant."""

    def make(
        *,
        user: User,
        organization: Organization | None,
        title: str = "Printer on fire",
        text: str = "It is on fire.",
        priority: int = 2,
    ) -> Thread:
        return plain.create_thread(
            customer_id=plain_customer_ensure(user=user),
            tenant_external_id=organization.tenant_external_id if organization else None,
            title=title,
            text=text,
            priority=priority,
        )

    return make


@pytest.fixture(autouse=True)
def support_isolation(settings, tmp_path):
    """Saved attachments go to a per-test folder, and no cached Plain settings (label types,
    thread fields) outlive the emulator they came from."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    yield
    cache.clear()
