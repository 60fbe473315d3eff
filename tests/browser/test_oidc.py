"""OpenID Connect sign-in in a real browser, through a real provider (tests/oidc_provider/):
the portal's login page -> the provider's login form -> its consent page -> back to the portal,
signed in, on the threads of the organisations the provider named, and only those."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.accounts.models import User
from portal.tenancy.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.oidc_provider import Provider, openid_provider
from tests.portal.support.conftest import org_in_plain

pytestmark = pytest.mark.browser

CLIENT_ID = "support-portal"
CLIENT_SECRET = "portal-browser-client-secret-0123456789abcdef"
DANA = {
    "sub": "idp-user-dana",
    "email": "dana@initech.test",
    "password": "dana-known-password",
    "name": "Dana Scully",
    "orgs": [{"id": "initech", "name": "Initech", "role": "admin"}],
}


@pytest.fixture(scope="module")
def provider(live_server: LiveServer) -> Iterator[Provider]:
    with openid_provider(
        clients=[
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "client_name": "Support portal",
                "redirect_uris": [f"{live_server.url}/oidc/callback/"],
            }
        ],
        users=[DANA],
    ) as running:
        yield running


@pytest.fixture
def oidc_on(settings, provider: Provider) -> Provider:
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = provider.issuer
    settings.OIDC_RP_SCOPES = "openid email profile orgs"
    settings.OIDC_PROVIDER_NAME = "Initech SSO"
    return provider


def test_signing_in_through_the_provider_shows_the_named_organisations_threads(
    page: Page, oidc_on, plain, make_thread
) -> None:
    # Initech is already in the portal (mapped to the product's id) with a colleague's request;
    # Globex is not Dana's, and its request must stay out of sight.
    initech = org_in_plain(plain, name="Initech", slug="initech")
    initech.external_id = "initech"
    initech.save()
    globex = org_in_plain(plain, name="Globex", slug="globex")
    colleague = UserFactory(email="pat@initech.test")
    MembershipFactory(user=colleague, organization=initech)
    carol = UserFactory(email="carol@globex.test")
    MembershipFactory(user=carol, organization=globex)
    make_thread(user=colleague, organization=initech, title="Initech printer jam")
    make_thread(user=carol, organization=globex, title="Globex launch plan")

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Initech SSO").click()

    # The provider's own pages.
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_on.issuer)}/interaction/"))
    page.get_by_label("Email").fill(DANA["email"])
    page.get_by_label("Password").fill(DANA["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#scopes")).to_have_text("openid email profile orgs")
    page.get_by_role("button", name="Allow").click()

    # Back on the portal, signed in as Dana, on Initech's requests.
    expect(page).to_have_url(re.compile(r"/threads/$"))
    expect(page.get_by_role("heading", name="Support requests")).to_be_visible()
    expect(page.locator(".account__email")).to_have_text(DANA["email"])
    threads = page.get_by_role("region", name="Requests")
    expect(threads.get_by_role("link", name="Initech printer jam")).to_be_visible()
    expect(threads.get_by_role("link", name="Globex launch plan")).to_have_count(0)

    dana = User.objects.get(external_id=DANA["sub"])
    assert dana.auth_source == "oidc"
    assert list(Membership.objects.filter(user=dana).values_list("organization", "role")) == [
        (initech.pk, "admin")
    ]


def test_a_wrong_password_at_the_provider_signs_nobody_in(page: Page, oidc_on) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Initech SSO").click()
    page.get_by_label("Email").fill(DANA["email"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    assert not User.objects.filter(email=DANA["email"]).exists()
