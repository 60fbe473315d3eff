"""`manage.py sso_token`: a demo sign-in link that the handoff accepts, DEBUG only."""

from __future__ import annotations

from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user
from django.core.management import CommandError, call_command

from portal.accounts.models import User
from portal.tenancy.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo(settings):
    """A checkout's `make run`: DEBUG over the embedded emulator, no key configured."""
    settings.DEBUG = True
    settings.SSO_JWT_SECRET = ""
    settings.SSO_JWT_JWKS_URL = ""
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"


def sso_token(*args: str) -> str:
    out = StringIO()
    call_command("sso_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def roles(user: User) -> dict[str, str]:
    return {
        m.organization.name: m.role
        for m in Membership.objects.filter(user=user).select_related("organization")
    }


def test_the_link_signs_the_user_in_keeping_their_organisations(client):
    acme = OrganizationFactory(name="Acme", slug="acme")
    alice = UserFactory(email="alice@acme.test")
    MembershipFactory(user=alice, organization=acme, role="admin")

    url = urlsplit(sso_token("alice@acme.test", "--return-to", "/threads/new/"))

    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:8000", "/sso/jwt/")
    query = parse_qs(url.query)
    assert query["return_to"] == ["/threads/new/"]
    response = client.get(url.path, {"token": query["token"][0], "return_to": "/threads/new/"})
    assert response.status_code == 302
    assert response["Location"] == "/threads/new/"
    assert get_user(client).pk == alice.pk
    assert roles(alice) == {"Acme": "admin"}
    acme.refresh_from_db()
    assert acme.external_id == "acme"


def test_orgs_can_be_named(client):
    UserFactory(email="bob@acme.test")

    url = urlsplit(sso_token("bob@acme.test", "--org", "p-9:Wayne: Enterprises:member"))
    client.get(url.path, {"token": parse_qs(url.query)["token"][0]})

    assert roles(User.objects.get(email="bob@acme.test")) == {"Wayne: Enterprises": "member"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@acme.test"], "No user"),
        (["bob@acme.test", "--org", "p-9:Wayne"], "ID:NAME:ROLE"),
        (["bob@acme.test", "--org", "p-9:Wayne:owner"], "ID:NAME:ROLE"),
        (["bob@acme.test", "--return-to", "https://evil.test/"], "path on the portal"),
        (["admin@portal.test"], "Staff"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    UserFactory(email="bob@acme.test")
    UserFactory(email="admin@portal.test", is_staff=True)

    with pytest.raises(CommandError, match=message):
        sso_token(*args)


def test_refused_with_debug_off(settings):
    settings.DEBUG = False
    settings.SSO_JWT_SECRET = "a-real-secret-of-enough-length-0123456789"
    UserFactory(email="bob@acme.test")

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        sso_token("bob@acme.test")
