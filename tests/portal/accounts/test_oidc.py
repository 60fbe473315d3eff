"""OpenID Connect sign-in (portal/accounts/oidc.py) against a real provider, without a browser.

The provider is panva's `oidc-provider` in its own node process (tests/oidc_provider/). An httpx
client plays the browser: requests to http://testserver go to the portal's WSGI app in this
process (so the test's database is the portal's), everything else over loopback HTTP to the
provider, which the portal also calls for tokens, keys and user info. Redirects are followed and
the provider's login and consent forms posted, as a person would.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse

from portal.accounts.models import User
from portal.accounts.oidc import OIDCBackend, OIDCRefused, identity_from_claims
from portal.accounts.provisioning import OrgClaim
from portal.tenancy.models import Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.oidc_provider import Provider, openid_provider, page_forms
from tests.processes import free_port

PORTAL = "http://testserver"
CLIENT_ID = "support-portal"
CLIENT_SECRET = "portal-client-secret-0123456789abcdef0123456789"
OTHER_CLIENT_ID = "another-app"
OTHER_CLIENT_SECRET = "another-app-secret-0123456789abcdef0123456789"
OTHER_REDIRECT = "http://another-app.test/callback"

DANA = {
    "sub": "idp-user-dana",
    "email": "dana@initech.test",
    "password": "dana-known-password",
    "name": "Dana Scully",
    "orgs": [
        {"id": "initech", "name": "Initech", "role": "admin"},
        {"id": "initrode", "name": "Initrode", "role": "member"},
    ],
}
# No orgs claim at all: the portal leaves the memberships as they are.
ERIN = {
    "sub": "idp-user-erin",
    "email": "erin@acme.test",
    "password": "erin-known-password",
    "name": "Erin Example",
}
# Carries the address of a staff account, which provisioning refuses.
MALLORY = {
    "sub": "idp-user-mallory",
    "email": "admin@portal.test",
    "password": "mallory-known-password",
    "name": "Mallory",
    "orgs": [{"id": "initech", "name": "Initech", "role": "admin"}],
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with openid_provider(
        clients=[
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "client_name": "Support portal",
                "redirect_uris": [f"{PORTAL}/oidc/callback/"],
            },
            {
                "client_id": OTHER_CLIENT_ID,
                "client_secret": OTHER_CLIENT_SECRET,
                "redirect_uris": [OTHER_REDIRECT],
            },
        ],
        users=[DANA, ERIN, MALLORY],
    ) as running:
        yield running


@pytest.fixture
def oidc_on(settings, provider: Provider) -> Provider:
    """The portal configured for the provider by discovery only, as a deployment would be."""
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = provider.issuer
    settings.OIDC_RP_SCOPES = "openid email profile orgs"
    settings.OIDC_PROVIDER_NAME = "Initech SSO"
    # httpx, unlike Django's test client, keeps a Secure cookie off plain http.
    settings.SESSION_COOKIE_SECURE = False
    return provider


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A cookie-keeping client: the portal in-process, the provider over loopback."""
    with httpx.Client(
        mounts={PORTAL: httpx.WSGITransport(app=WSGIHandler())}, timeout=30, trust_env=False
    ) as client:
        yield client


def _follow(client: httpx.Client, response: httpx.Response) -> httpx.Response:
    while response.is_redirect:
        response = client.get(response.next_request.url if response.next_request else "")
    return response


def _post_form(client: httpx.Client, page: httpx.Response, data: dict[str, str]) -> httpx.Response:
    """Post the page's first form (with `data` filled in) and follow its redirects."""
    action, values = page_forms(page.text)[0]
    return _follow(client, client.post(page.url.join(action), data={**values, **data}))


def _to_provider_login(client: httpx.Client, next_url: str = "") -> httpx.Response:
    start = reverse("oidc_authentication_init") + (
        f"?{urlencode({'next': next_url})}" if next_url else ""
    )
    page = _follow(client, client.get(f"{PORTAL}{start}"))
    assert page.status_code == 200, page.text
    assert [form[0] for form in page_forms(page.text)] == [f"{page.url.path}/login"]
    return page


def _sign_in_at_provider(client: httpx.Client, user: dict[str, Any]) -> httpx.Response:
    """Log in with the provider's form and allow access: the provider's redirect to the
    portal's callback, not yet followed."""
    page = _to_provider_login(client)
    action, values = page_forms(page.text)[0]
    consent = _follow(
        client,
        client.post(
            page.url.join(action),
            data={**values, "email": user["email"], "password": user["password"]},
        ),
    )
    assert consent.status_code == 200, consent.text
    action, _ = page_forms(consent.text)[0]
    response = client.post(consent.url.join(action))
    while response.is_redirect and not str(response.headers["location"]).startswith(PORTAL):
        response = client.get(response.headers["location"])
    assert str(response.headers["location"]).startswith(f"{PORTAL}/oidc/callback/?")
    return response


class _Page(HTMLParser):
    """The text of the elements with a given id or class, and every link's (href, text)."""

    def __init__(self, mark: str) -> None:
        super().__init__(convert_charrefs=True)
        self.mark = mark
        self.depth = 0
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._link: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.depth:
            self.depth += 1
        elif self.mark in (values.get("id"), *(values.get("class") or "").split()):
            self.depth = 1
        if tag == "a":
            self._link, self._link_text = values.get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1
            if not self.depth:
                self.text.append("\n")
        if tag == "a" and self._link is not None:
            self.links.append((self._link, " ".join("".join(self._link_text).split())))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)
        if self._link is not None:
            self._link_text.append(data)


def _read(html: str, mark: str = "") -> _Page:
    """The page read with `mark` (an id or a class) as the element whose text is collected."""
    parser = _Page(mark)
    parser.feed(html)
    parser.close()
    return parser


def _text(html: str, mark: str) -> str:
    return " ".join(" ".join(_read(html, mark).text).split())


def _refusal(html: str) -> str:
    """The reason a refusal page gives (it must be one)."""
    text = _text(html, "oidc-refused")
    assert text.startswith("We could not sign you in"), html
    return text


def _nothing_provisioned() -> None:
    assert not User.objects.exclude(auth_source="").exists()
    assert not Organization.objects.exclude(external_id="").exists()


# --- the login page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_offers_the_provider_when_configured(client, settings):
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_OP_DISCOVERY_URL = "http://127.0.0.1:9/"  # never asked to render the page
    settings.OIDC_PROVIDER_NAME = "Initech SSO"

    response = client.get(reverse("login") + "?next=/threads/%3Fstatus%3Ddone")

    links = _read(response.content.decode()).links
    assert (
        "/oidc/authenticate/?next=%2Fthreads%2F%3Fstatus%3Ddone",
        "Sign in with Initech SSO",
    ) in links


@pytest.mark.django_db
def test_with_password_login_off_the_provider_is_still_offered(client, settings):
    settings.PORTAL_PASSWORD_LOGIN = False
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_OP_DISCOVERY_URL = "http://127.0.0.1:9/"
    settings.OIDC_PROVIDER_NAME = "Initech SSO"

    response = client.get(reverse("login") + "?next=/threads/")

    assert ("/oidc/authenticate/?next=%2Fthreads%2F", "Sign in with Initech SSO") in _read(
        response.content.decode()
    ).links


@pytest.mark.django_db
def test_without_configuration_there_is_no_button_and_no_oidc_urls(client):
    response = client.get(reverse("login"))

    assert not any(href.startswith("/oidc/") for href, _ in _read(response.content.decode()).links)
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


# --- signing in through the provider ---------------------------------------------------------


@pytest.mark.django_db
def test_signing_in_provisions_the_user_and_organisations_and_lands_on_the_threads(
    oidc_on, browser
):
    callback = _sign_in_at_provider(browser, DANA)

    landing = _follow(browser, callback)

    assert landing.status_code == 200
    assert landing.url == f"{PORTAL}{reverse('support:thread_list')}"
    user = User.objects.get(external_id=DANA["sub"])
    assert (user.email, user.full_name, user.auth_source) == (
        DANA["email"],
        DANA["name"],
        "oidc",
    )
    assert not user.has_usable_password()
    memberships = {
        (m.organization.external_id, m.organization.name, m.role)
        for m in Membership.objects.filter(user=user).select_related("organization")
    }
    assert memberships == {("initech", "Initech", "admin"), ("initrode", "Initrode", "member")}
    # The page is the signed-in user's, in both organisations.
    assert _text(landing.text, "account__email") == DANA["email"]
    assert _text(landing.text, "account__orgs") == "Initech, Initrode"


@pytest.mark.django_db
def test_deactivating_a_signed_in_account_ends_its_session(oidc_on, browser):
    assert _follow(browser, _sign_in_at_provider(browser, DANA)).status_code == 200
    User.objects.filter(external_id=DANA["sub"]).update(is_active=False)

    response = _follow(browser, browser.get(f"{PORTAL}{reverse('support:thread_list')}"))

    assert response.url.path == reverse("login")


@pytest.mark.django_db
def test_the_next_page_asked_for_before_sign_in_is_where_the_user_lands(oidc_on, browser):
    page = _to_provider_login(browser, next_url="/threads/?status=done")
    action, values = page_forms(page.text)[0]
    consent = _follow(
        browser,
        browser.post(
            page.url.join(action),
            data={**values, "email": DANA["email"], "password": DANA["password"]},
        ),
    )
    landing = _follow(browser, browser.post(consent.url.join(page_forms(consent.text)[0][0])))

    assert landing.status_code == 200
    assert (landing.url.path, landing.url.query) == ("/threads/", b"status=done")


@pytest.mark.django_db
def test_a_next_page_on_another_site_is_ignored(oidc_on, browser):
    page = _to_provider_login(browser, next_url="https://evil.test/threads/")
    consent = _post_form(browser, page, {"email": DANA["email"], "password": DANA["password"]})
    landing = _follow(browser, browser.post(consent.url.join(page_forms(consent.text)[0][0])))

    assert landing.url == f"{PORTAL}{reverse('support:thread_list')}"


@pytest.mark.django_db
def test_without_an_orgs_claim_a_linked_local_account_keeps_its_memberships(oidc_on, browser):
    acme = OrganizationFactory(name="Acme", slug="acme")
    local = UserFactory(email=ERIN["email"], full_name="Erin (local)")
    MembershipFactory(user=local, organization=acme, role=Membership.Role.ADMIN)

    landing = _follow(browser, _sign_in_at_provider(browser, ERIN))

    assert landing.status_code == 200
    local.refresh_from_db()
    assert (local.external_id, local.auth_source, local.full_name) == (
        ERIN["sub"],
        "oidc",
        ERIN["name"],
    )
    assert list(
        Membership.objects.filter(user=local).values_list("organization__slug", "role")
    ) == [("acme", "admin")]


# --- refusals: a clear page, nothing written -------------------------------------------------


@pytest.mark.django_db
def test_a_callback_from_another_browser_is_refused(oidc_on, browser):
    callback = _sign_in_at_provider(browser, DANA)

    # The same answer arriving in a session that never started a sign-in (an attacker pasting
    # their own callback into a victim's browser, i.e. login CSRF).
    with httpx.Client(mounts={PORTAL: httpx.WSGITransport(app=WSGIHandler())}) as stranger:
        response = stranger.get(callback.headers["location"])

    assert response.status_code == 400
    assert "not started here" in _refusal(response.text)
    _nothing_provisioned()


@pytest.mark.django_db
def test_a_replayed_callback_is_refused(oidc_on, browser):
    callback = _sign_in_at_provider(browser, DANA)
    assert _follow(browser, callback).status_code == 200
    browser.cookies.clear()  # signed out; the attacker replays the URL from the history

    response = browser.get(callback.headers["location"])

    assert response.status_code == 400
    assert "already been used" in _refusal(response.text)


@pytest.mark.django_db
def test_a_tampered_state_is_refused(oidc_on, browser):
    location = _sign_in_at_provider(browser, DANA).headers["location"]
    query = parse_qs(urlsplit(location).query)
    query["state"] = ["x" + query["state"][0][1:]]

    response = browser.get(f"{PORTAL}/oidc/callback/?{urlencode(query, doseq=True)}")

    assert response.status_code == 400
    _refusal(response.text)
    _nothing_provisioned()


def _other_clients_code(client: httpx.Client, provider: Provider, user: dict[str, Any]) -> str:
    """A code the provider issued to another application, after the user signed in there."""
    params = {
        "client_id": OTHER_CLIENT_ID,
        "response_type": "code",
        "scope": "openid email profile orgs",
        "redirect_uri": OTHER_REDIRECT,
        "nonce": "other-nonce",
        "state": "other-state",
    }
    page = _follow(client, client.get(f"{provider.issuer}/auth?{urlencode(params)}"))
    consent = _post_form(client, page, {"email": user["email"], "password": user["password"]})
    response = client.post(consent.url.join(page_forms(consent.text)[0][0]))
    while not str(response.headers["location"]).startswith(OTHER_REDIRECT):
        response = client.get(response.headers["location"])
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


@pytest.mark.django_db
def test_a_code_issued_to_another_client_is_refused(oidc_on, browser):
    with httpx.Client(timeout=30, trust_env=False) as elsewhere:
        code = _other_clients_code(elsewhere, oidc_on, DANA)
    # The portal's own sign-in is under way (a state of ours in the session)...
    redirect = browser.get(f"{PORTAL}{reverse('oidc_authentication_init')}")
    state = parse_qs(urlsplit(redirect.headers["location"]).query)["state"][0]

    # ...and the other application's code is slipped into its callback.
    response = browser.get(f"{PORTAL}/oidc/callback/?{urlencode({'code': code, 'state': state})}")

    assert response.status_code == 403
    assert "did not confirm this sign-in" in _refusal(response.text)
    _nothing_provisioned()


def _other_clients_id_token(provider: Provider, user: dict[str, Any]) -> str:
    """A genuine ID token (nonce "other-nonce") the provider issued to the other application."""
    with httpx.Client(timeout=30, trust_env=False) as elsewhere:
        code = _other_clients_code(elsewhere, provider, user)
        discovery = elsewhere.get(provider.discovery_url).json()
        tokens = elsewhere.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": OTHER_REDIRECT,
                "client_id": OTHER_CLIENT_ID,
                "client_secret": OTHER_CLIENT_SECRET,
            },
        ).json()
    return str(tokens["id_token"])


@pytest.mark.django_db
def test_an_id_token_is_checked_for_audience_and_issuer(oidc_on, settings):
    id_token = _other_clients_id_token(oidc_on, DANA)
    backend = OIDCBackend()
    backend._configure()

    # Signed by the provider, unexpired, the right nonce: only the audience is wrong.
    with pytest.raises(jwt.InvalidAudienceError):
        backend.verify_token(id_token, nonce="other-nonce")
    # For the client it was issued to it passes...
    backend.OIDC_RP_CLIENT_ID = OTHER_CLIENT_ID
    assert backend.verify_token(id_token, nonce="other-nonce")["sub"] == DANA["sub"]
    # ...unless another issuer is expected, or another nonce.
    backend.issuer = "https://login.example.test"
    with pytest.raises(jwt.InvalidIssuerError):
        backend.verify_token(id_token, nonce="other-nonce")
    backend.issuer = oidc_on.issuer
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        backend.verify_token(id_token, nonce="a-nonce-of-another-sign-in")


@pytest.mark.django_db
def test_an_answer_naming_another_issuer_is_refused(oidc_on, browser):
    location = _sign_in_at_provider(browser, DANA).headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["iss"] == [oidc_on.issuer]  # RFC 9207: the provider says who answers
    query["iss"] = ["https://login.example.test"]

    response = browser.get(f"{PORTAL}/oidc/callback/?{urlencode(query, doseq=True)}")

    assert response.status_code == 400
    _refusal(response.text)
    _nothing_provisioned()


@pytest.mark.django_db
def test_user_info_about_someone_else_is_refused(oidc_on, browser, monkeypatch):
    genuine = OIDCBackend.get_userinfo

    def someone_else(self, access_token, id_token, payload):
        return {**genuine(self, access_token, id_token, payload), "sub": "idp-user-erin"}

    monkeypatch.setattr(OIDCBackend, "get_userinfo", someone_else)

    response = _follow(browser, _sign_in_at_provider(browser, DANA))

    assert response.status_code == 403
    _refusal(response.text)
    _nothing_provisioned()


@pytest.mark.django_db
def test_denying_access_at_the_provider_is_a_clear_page(oidc_on, browser):
    page = _to_provider_login(browser)
    consent = _post_form(browser, page, {"email": DANA["email"], "password": DANA["password"]})
    deny_action = page_forms(consent.text)[1][0]

    response = _follow(browser, browser.post(consent.url.join(deny_action)))

    assert response.status_code == 400
    assert "did not sign you in" in _refusal(response.text)
    _nothing_provisioned()


@pytest.mark.django_db
def test_a_provisioning_refusal_is_shown_and_writes_nothing(oidc_on, browser):
    staff = UserFactory(email=MALLORY["email"], is_staff=True, is_superuser=True)

    response = _follow(browser, _sign_in_at_provider(browser, MALLORY))

    assert response.status_code == 403
    assert "Staff accounts sign in with their password" in _refusal(response.text)
    staff.refresh_from_db()
    assert (staff.external_id, staff.auth_source) == ("", "")
    assert not Organization.objects.exists()
    # And nobody is signed in.
    assert _follow(browser, browser.get(f"{PORTAL}/threads/")).url.path == reverse("login")


@pytest.mark.django_db
def test_a_deactivated_account_is_refused(oidc_on, browser):
    UserFactory(email=DANA["email"], external_id=DANA["sub"], auth_source="oidc", is_active=False)

    response = _follow(browser, _sign_in_at_provider(browser, DANA))

    assert response.status_code == 403
    assert "deactivated" in _refusal(response.text)
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_a_provider_that_does_not_answer_is_a_clear_page(client, settings):
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_OP_DISCOVERY_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens
    settings.OIDC_TIMEOUT = 2.0

    response = client.get(reverse("oidc_authentication_init"))

    assert response.status_code == 503
    assert "cannot be reached" in _refusal(response.content.decode())


# --- claims -> Identity ----------------------------------------------------------------------


def _claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "u-1", "email": "Dana@Initech.test", "name": "Dana", **extra}


def test_claims_become_an_identity(settings):
    settings.OIDC_ORGS_CLAIM = "companies"

    identity = identity_from_claims(
        _claims(
            companies=[{"id": 42, "name": " Initech ", "role": "admin"}, {"id": "b", "name": "B"}]
        )
    )

    assert (identity.source, identity.external_id, identity.email, identity.name) == (
        "oidc",
        "u-1",
        "dana@initech.test",
        "Dana",
    )
    assert identity.orgs == (
        OrgClaim(external_id="42", name="Initech", role="admin"),
        OrgClaim(external_id="b", name="B", role="member"),
    )


def test_an_absent_orgs_claim_leaves_memberships_alone_and_a_json_string_is_read():
    assert identity_from_claims(_claims()).orgs is None
    assert identity_from_claims(_claims(orgs='[{"id": "a", "name": "A"}]')).orgs == (
        OrgClaim(external_id="a", name="A", role="member"),
    )
    assert identity_from_claims(_claims(orgs=[])).orgs == ()


def test_the_name_falls_back_to_given_and_family_names():
    claims = _claims(given_name="Dana", family_name="Scully")
    del claims["name"]

    assert identity_from_claims(claims).name == "Dana Scully"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"email": "dana@initech.test"}, "did not say who you are"),
        ({"sub": "u-1"}, "no usable email"),
        ({"sub": "u-1", "email": "not an address"}, "no usable email"),
        ({"sub": "u-1", "email": "d@i.test", "email_verified": False}, "not verified"),
        ({"sub": "u-1", "email": "d@i.test", "orgs": {"id": "a"}}, "could not be read"),
        ({"sub": "u-1", "email": "d@i.test", "orgs": [{"name": "A"}]}, "could not be read"),
        (
            {
                "sub": "u-1",
                "email": "d@i.test",
                "orgs": [{"id": "a", "name": "A", "role": "owner"}],
            },
            "could not be read",
        ),
    ],
)
def test_unusable_claims_are_refused(claims, reason):
    with pytest.raises(OIDCRefused) as refused:
        identity_from_claims(claims)

    assert reason in refused.value.reason
    assert refused.value.status == 403
