"""The signed handoff at /sso/jwt/: valid tokens sign in and provision; refused ones write nothing.

HS256 tokens are checked with SSO_JWT_SECRET; RS256/ES256 ones against a JWKS served over
loopback HTTP by a real server in a thread (PyJWT's PyJWKClient fetches it as in production).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.apps import apps
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from portal.accounts import sso
from portal.accounts.models import UsedSsoToken, User
from portal.tenancy.models import Membership, Organization, SyncEvent
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.accounts.test_throttling import alerts
from tests.portal.support.pages import elements, link_hrefs
from tests.portal.tenancy.conftest import tenants_of

pytestmark = pytest.mark.django_db

SECRET = "test-sso-secret-0123456789-abcdefghijklmnop"
AUDIENCE = "portal-under-test"
ISSUER = "https://product.test"
URL = "/sso/jwt/"


@pytest.fixture(autouse=True)
def hs256(settings):
    settings.SSO_JWT_SECRET = SECRET
    settings.SSO_JWT_JWKS_URL = ""
    settings.SSO_JWT_AUDIENCE = AUDIENCE
    settings.SSO_JWT_ISSUER = ISSUER
    settings.SSO_JWT_MAX_AGE_SECONDS = 300
    settings.SSO_JWT_LEEWAY_SECONDS = 30


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": "user-42",
        "email": "dana@umbrella.test",
        "name": "Dana Doe",
        "orgs": [
            {"id": "org-1", "name": "Umbrella", "role": "admin"},
            {"id": 7, "name": "Initech", "role": "member"},
        ],
        "jti": f"jti-{time.monotonic_ns()}",
        "iat": now,
        "exp": now + 120,
        "aud": AUDIENCE,
        "iss": ISSUER,
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def hs256_token(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), SECRET, algorithm="HS256")


def every_table_count() -> dict[str, int]:
    """Rows in every table of the project's models (users, organisations, memberships, every
    outbox, used tokens, sessions...): a refused token must leave all of them as they were."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def refused_code(response) -> str:
    [section] = [
        s for s in elements(response.content.decode(), "section") if "data-sso-refused" in s
    ]
    return section["data-sso-refused"]


def memberships_of(user: User) -> dict[str, str]:
    return {
        m.organization.external_id: m.role
        for m in Membership.objects.filter(user=user).select_related("organization")
    }


# === a JWKS over loopback HTTP ===============================================================


class JwksServer:
    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server_self.fetches += 1
                body = json.dumps({"keys": server_self.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwks(settings, rsa_key, ec_key) -> Iterator[JwksServer]:
    server = JwksServer()
    rsa_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    ec_jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    server.keys = [
        {**rsa_jwk, "kid": "rsa-1", "use": "sig", "alg": "RS256"},
        {**ec_jwk, "kid": "ec-1", "use": "sig", "alg": "ES256"},
    ]
    settings.SSO_JWT_SECRET = ""
    settings.SSO_JWT_JWKS_URL = server.url
    yield server
    server.close()
    sso._jwks_clients.clear()


def b64(text: str) -> str:
    return jwt.utils.base64url_encode(text.encode()).decode()


def rs256_token(key, kid: str = "rsa-1", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


# === signing in ==============================================================================


def test_a_valid_hs256_token_signs_in_and_provisions(client, sync, plain):
    with sync():
        response = client.get(URL, {"token": hs256_token(), "return_to": "/threads/?status=all"})

    assert response.status_code == 302
    assert response["Location"] == "/threads/?status=all"
    user = get_user(client)
    assert user.is_authenticated
    assert (user.email, user.full_name, user.external_id, user.auth_source) == (
        "dana@umbrella.test",
        "Dana Doe",
        "user-42",
        "jwt",
    )
    assert memberships_of(user) == {"org-1": "admin", "7": "member"}
    assert set(Organization.objects.values_list("external_id", "name")) == {
        ("org-1", "Umbrella"),
        ("7", "Initech"),
    }
    # The outbox rows were written with the change, and delivered: Plain's tenants follow.
    assert SyncEvent.objects.filter(kind="membership_added", user=user).count() == 2
    assert set(SyncEvent.objects.values_list("status", flat=True)) == {"done"}
    assert tenants_of(plain, "dana@umbrella.test") == {"org-umbrella", "org-initech"}
    assert client.get("/threads/").status_code == 200


def test_the_default_return_to_is_the_requests_list(client):
    response = client.post(URL, {"token": hs256_token()})

    assert response.status_code == 302
    assert response["Location"] == reverse("support:thread_list")


def test_a_later_token_makes_memberships_exactly_its_orgs(client, sync, plain):
    with sync():
        client.get(URL, {"token": hs256_token()})
    user = User.objects.get(external_id="user-42")
    MembershipFactory(user=user, organization=OrganizationFactory(name="Local", slug="local"))

    with sync():
        response = client.get(
            URL,
            {
                "token": hs256_token(
                    email="dana@new.test",
                    orgs=[{"id": "org-1", "name": "Umbrella Corp", "role": "member"}],
                )
            },
        )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "dana@new.test"
    assert memberships_of(user) == {"org-1": "member"}
    assert tenants_of(plain, "dana@new.test") == {"org-umbrella"}
    tenants = {t.external_id: t.name for t in plain.tenants(first=100).items}
    assert tenants["org-umbrella"] == "Umbrella Corp"


def test_a_valid_rs256_token_from_the_jwks_signs_in(client, jwks, rsa_key, sync, plain):
    with sync():
        response = client.get(URL, {"token": rs256_token(rsa_key)})

    assert response.status_code == 302
    user = get_user(client)
    assert user.external_id == "user-42"
    assert memberships_of(user) == {"org-1": "admin", "7": "member"}
    assert tenants_of(plain, "dana@umbrella.test") == {"org-umbrella", "org-initech"}


def test_a_valid_es256_token_signs_in_and_the_key_set_is_cached(client, jwks, ec_key, rsa_key):
    es = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert client.get(URL, {"token": es}).status_code == 302
    client.logout()
    assert client.get(URL, {"token": rs256_token(rsa_key)}).status_code == 302

    assert jwks.fetches == 1


def test_a_linked_local_account_keeps_its_id_and_loses_its_password(client):
    local = UserFactory(email="dana@umbrella.test")

    assert client.get(URL, {"token": hs256_token()}).status_code == 302

    local.refresh_from_db()
    assert (local.external_id, local.auth_source) == ("user-42", "jwt")
    assert not local.has_usable_password()
    assert get_user(client).pk == local.pk


# === refused, with nothing written ===========================================================


def _tampered() -> str:
    header, payload, signature = hs256_token().split(".")
    body = json.loads(jwt.utils.base64url_decode(payload))
    body["orgs"] = [{"id": "org-victim", "name": "Victim", "role": "admin"}]
    forged = jwt.utils.base64url_encode(json.dumps(body).encode()).decode()
    return f"{header}.{forged}.{signature}"


def _unsigned() -> str:
    return jwt.encode(claims(), None, algorithm="none")


HS256_REFUSALS = {
    "expired": (
        lambda: hs256_token(iat=int(time.time()) - 400, exp=int(time.time()) - 100),
        "expired",
    ),
    "issued in the future": (
        lambda: hs256_token(iat=int(time.time()) + 120, exp=int(time.time()) + 240),
        "invalid",
    ),
    "lifetime too long": (lambda: hs256_token(exp=int(time.time()) + 3600), "invalid"),
    "wrong audience": (lambda: hs256_token(aud="another-portal"), "invalid"),
    "wrong issuer": (lambda: hs256_token(iss="https://evil.test"), "invalid"),
    "wrong key": (
        lambda: jwt.encode(
            claims(), "another-secret-of-enough-length-1234567890", algorithm="HS256"
        ),
        "invalid",
    ),
    "alg none": (_unsigned, "invalid"),
    "HS512 (not allowed)": (lambda: jwt.encode(claims(), SECRET * 2, algorithm="HS512"), "invalid"),
    "tampered payload": (_tampered, "invalid"),
    "missing jti": (lambda: hs256_token(jti=None), "invalid"),
    "missing sub": (lambda: hs256_token(sub=None), "invalid"),
    "missing email": (lambda: hs256_token(email=None), "invalid"),
    "missing orgs": (lambda: hs256_token(orgs=None), "invalid"),
    "missing exp": (lambda: hs256_token(exp=None), "invalid"),
    "orgs not a list": (
        lambda: hs256_token(orgs={"id": "o", "name": "O", "role": "member"}),
        "invalid",
    ),
    "org without a role": (lambda: hs256_token(orgs=[{"id": "o", "name": "O"}]), "invalid"),
    "org with an unknown role": (
        lambda: hs256_token(orgs=[{"id": "o", "name": "O", "role": "owner"}]),
        "account",
    ),
    "not a JWT": (lambda: "not-a-token", "invalid"),
}


@pytest.mark.parametrize("case", HS256_REFUSALS, ids=list(HS256_REFUSALS))
def test_a_refused_hs256_token_writes_nothing(case, client, caplog):
    make, code = HS256_REFUSALS[case]
    token = make()
    before = every_table_count()

    with caplog.at_level(logging.WARNING, logger="portal.accounts.views"):
        response = client.get(URL, {"token": token})

    assert response.status_code == 403
    assert refused_code(response) == code
    assert every_table_count() == before
    assert not get_user(client).is_authenticated
    [record] = [r for r in caplog.records if r.name == "portal.accounts.views"]
    assert record.getMessage().startswith("SSO token refused")
    assert token not in record.getMessage()


def test_the_refusal_says_expired_and_logs_the_claimed_ids(client, caplog):
    token = hs256_token(jti="jti-expired-1", iat=int(time.time()) - 400, exp=int(time.time()) - 100)

    with caplog.at_level(logging.WARNING, logger="portal.accounts.views"):
        response = client.get(URL, {"token": token})

    assert alerts(response) == ["The sign-in link has expired."]
    [record] = [r for r in caplog.records if r.name == "portal.accounts.views"]
    assert record.getMessage() == "SSO token refused: expired (jti=jti-expired-1 sub=user-42)"


def test_a_replayed_token_is_refused_and_writes_nothing(client, caplog):
    token = hs256_token(jti="once-only")
    assert client.get(URL, {"token": token}).status_code == 302
    client.logout()
    before = every_table_count()

    with caplog.at_level(logging.WARNING, logger="portal.accounts.views"):
        response = client.get(URL, {"token": token})

    assert response.status_code == 403
    assert refused_code(response) == "already used"
    assert alerts(response) == ["The sign-in link has already been used."]
    assert every_table_count() == before
    assert not get_user(client).is_authenticated
    [record] = [
        r for r in caplog.records if r.name == "portal.accounts.views" and r.levelname == "WARNING"
    ]
    assert record.getMessage() == "SSO token refused: jti already used (jti=once-only sub=user-42)"


def test_a_refused_token_leaves_its_jti_unused():
    token = hs256_token(jti="retry-me", email="not-an-address")
    with pytest.raises(sso.SsoRefused):
        sso.sso_token_use(token=token)

    assert not UsedSsoToken.objects.filter(jti="retry-me").exists()


@pytest.mark.parametrize(
    "return_to", ["https://evil.test/", "//evil.test/threads/", "/\\evil.test", "threads/"]
)
def test_a_return_to_off_this_site_is_refused_and_writes_nothing(client, return_to):
    before = every_table_count()

    response = client.get(URL, {"token": hs256_token(), "return_to": return_to})

    assert response.status_code == 400
    assert every_table_count() == before
    assert not get_user(client).is_authenticated


def test_a_missing_token_is_a_400(client):
    response = client.get(URL)

    assert response.status_code == 400
    assert refused_code(response) == "invalid"


def test_an_email_linked_to_another_subject_is_refused(client):
    UserFactory(email="dana@umbrella.test", external_id="someone-else", auth_source="jwt")
    before = every_table_count()

    response = client.get(URL, {"token": hs256_token()})

    assert response.status_code == 403
    assert refused_code(response) == "account"
    assert "another account" in alerts(response)[0]
    assert every_table_count() == before


def test_a_deactivated_account_is_refused_and_nothing_changes(client):
    UserFactory(
        email="dana@umbrella.test", external_id="user-42", auth_source="jwt", is_active=False
    )
    before = every_table_count()

    response = client.get(URL, {"token": hs256_token()})

    assert response.status_code == 403
    assert alerts(response) == ["This account is deactivated."]
    assert every_table_count() == before


def test_a_staff_address_never_signs_in_through_sso(client):
    UserFactory(email="dana@umbrella.test", is_staff=True, is_superuser=True)

    response = client.get(URL, {"token": hs256_token()})

    assert response.status_code == 403
    assert not get_user(client).is_authenticated


JWKS_REFUSALS = {
    # The product's public key used as an HMAC secret: HS256 is not allowed with a JWKS.
    "HS256 signed with the RS public key": "hs-with-public-key",
    "alg none": "none",
    "a key the JWKS does not have": "other-rsa",
    "an unknown kid": "unknown-kid",
    "RS256 header on the EC key": "ec-as-rsa",
}


@pytest.mark.parametrize("case", JWKS_REFUSALS, ids=list(JWKS_REFUSALS))
def test_a_refused_jwks_token_writes_nothing(case, client, jwks, rsa_key, ec_key):
    kind = JWKS_REFUSALS[case]
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if kind == "hs-with-public-key":
        # Signed by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret.
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}))
        payload = b64(json.dumps(claims()))
        signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        token = f"{header}.{payload}.{jwt.utils.base64url_encode(signature).decode()}"
    elif kind == "none":
        token = jwt.encode(claims(), None, algorithm="none", headers={"kid": "rsa-1"})
    elif kind == "other-rsa":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = rs256_token(other)
    elif kind == "unknown-kid":
        token = rs256_token(rsa_key, kid="rotated-away")
    else:  # an RS256 token naming the EC key: the key's own algorithm decides, and refuses
        token = rs256_token(rsa_key, kid="ec-1")
    before = every_table_count()

    response = client.get(URL, {"token": token})

    assert response.status_code == 403
    assert refused_code(response) == "invalid"
    assert every_table_count() == before
    assert not get_user(client).is_authenticated


def test_an_unreachable_jwks_is_a_503_not_the_tokens_fault(client, settings, rsa_key):
    settings.SSO_JWT_SECRET = ""
    settings.SSO_JWT_JWKS_URL = "http://127.0.0.1:9/jwks.json"  # discard port: nothing listens
    before = every_table_count()

    response = client.get(URL, {"token": rs256_token(rsa_key)})

    assert response.status_code == 503
    assert refused_code(response) == "unavailable"
    assert every_table_count() == before
    sso._jwks_clients.clear()


# === configuration ===========================================================================


def test_sso_is_off_without_a_key(client, settings):
    settings.SSO_JWT_SECRET = ""
    settings.SSO_JWT_JWKS_URL = ""

    assert client.get(URL, {"token": hs256_token()}).status_code == 404


def test_the_demo_secret_applies_only_in_debug_over_the_embedded_emulator(client, settings):
    settings.SSO_JWT_SECRET = ""
    demo = jwt.encode(claims(), sso.DEMO_SECRET, algorithm="HS256")
    settings.DEBUG = True
    assert client.get(URL, {"token": demo}).status_code == 302

    client.logout()
    settings.PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"
    assert client.get(URL, {"token": demo}).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"SSO_JWT_SECRET": "short"}, "at least"),
        ({"SSO_JWT_JWKS_URL": "https://product.test/jwks.json"}, "not both"),
        ({"SSO_JWT_ISSUER": ""}, "SSO_JWT_ISSUER"),
    ],
)
def test_a_misconfiguration_is_a_503(client, settings, caplog, overrides, problem):
    for name, value in overrides.items():
        setattr(settings, name, value)

    with caplog.at_level(logging.ERROR, logger="portal.accounts.views"):
        response = client.get(URL, {"token": hs256_token()})

    assert response.status_code == 503
    [record] = [r for r in caplog.records if r.name == "portal.accounts.views"]
    assert problem in record.getMessage()


def test_used_tokens_are_pruned_once_expired(client):
    assert client.get(URL, {"token": hs256_token(jti="old")}).status_code == 302
    row = UsedSsoToken.objects.get(jti="old")

    assert sso.sso_tokens_prune(now=row.expires_at) == 0
    assert sso.sso_tokens_prune(now=row.expires_at + timedelta(seconds=1)) == 1


# === password login, reset and logout =========================================================


def test_an_sso_account_cannot_sign_in_with_a_password_even_one_given_in_the_admin(client):
    user = UserFactory(email="dana@umbrella.test", external_id="user-42", auth_source="jwt")
    user.set_password(DEFAULT_PASSWORD)
    user.save()

    response = client.post(
        reverse("login"), {"username": "dana@umbrella.test", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200  # the form again, with its error
    assert not get_user(client).is_authenticated


def test_a_local_account_still_signs_in_with_its_password(client):
    UserFactory(email="local@example.test")

    response = client.post(
        reverse("login"), {"username": "local@example.test", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert get_user(client).is_authenticated


def test_an_sso_account_gets_no_reset_mail_and_the_same_answer_as_an_unknown_one(client):
    UserFactory(email="dana@umbrella.test", external_id="user-42", auth_source="jwt")
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.test"})

    managed = client.post(reverse("password_reset"), {"email": "dana@umbrella.test"})

    assert (managed.status_code, managed["Location"]) == (unknown.status_code, unknown["Location"])
    assert mail.outbox == []


def test_a_local_account_still_gets_its_reset_mail(client):
    UserFactory(email="local@example.test")

    client.post(reverse("password_reset"), {"email": "local@example.test"})

    assert [m.to for m in mail.outbox] == [["local@example.test"]]


def test_a_reset_link_mailed_before_the_account_was_linked_sets_no_password(client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = UserFactory(email="dana@umbrella.test")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    client.get(URL, {"token": hs256_token()})  # links the account
    client.logout()

    response = client.get(link, follow=True)

    assert not [
        i for i in elements(response.content.decode(), "input") if i.get("name") == "new_password1"
    ]


def test_password_login_off_points_to_the_product_and_refuses_posts(client, settings):
    settings.PORTAL_PASSWORD_LOGIN = False
    settings.PORTAL_SSO_LOGIN_URL = "https://product.test/login?to=support"
    UserFactory(email="local@example.test")

    page = client.get(reverse("login"))
    post = client.post(
        reverse("login"), {"username": "local@example.test", "password": DEFAULT_PASSWORD}
    )

    assert page.status_code == 200
    assert "https://product.test/login?to=support" in link_hrefs(page.content.decode())
    assert not [i for i in elements(page.content.decode(), "input") if i.get("name") == "password"]
    assert post.status_code == 403
    assert alerts(post) == ["Signing in with a password is turned off here."]
    assert not get_user(client).is_authenticated
    assert client.get(reverse("password_reset")).status_code == 404
    assert (
        client.post(reverse("password_reset"), {"email": "local@example.test"}).status_code == 404
    )
    assert mail.outbox == []
    # The handoff still works.
    assert client.get(URL, {"token": hs256_token()}).status_code == 302


def test_logout_goes_to_the_product_when_configured(client, settings):
    settings.PORTAL_LOGOUT_REDIRECT_URL = "https://product.test/signed-out"
    client.get(URL, {"token": hs256_token()})

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == "https://product.test/signed-out"
    assert not get_user(client).is_authenticated


def test_logout_goes_to_the_login_page_by_default(client):
    client.get(URL, {"token": hs256_token()})

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")
