"""OpenID Connect sign-in with the company's identity provider (mozilla-django-oidc).

Off unless configured: `OIDC_RP_CLIENT_ID` and either `OIDC_OP_DISCOVERY_URL` or the explicit
endpoints (`OIDC_OP_ISSUER`, `OIDC_OP_AUTHORIZATION_ENDPOINT`, `OIDC_OP_TOKEN_ENDPOINT`,
`OIDC_OP_USER_ENDPOINT`, `OIDC_OP_JWKS_ENDPOINT`); explicit settings win over discovery. While off,
both URLs below answer 404 and the login page shows no button.

The flow (authorization code, PKCE, nonce, state):
1. GET /oidc/authenticate/?next=/threads/ stores state, nonce and PKCE verifier in the session and
   redirects to the provider (mozilla-django-oidc's view, told the endpoint found by discovery).
2. The provider signs the user in and redirects to GET /oidc/callback/?code=...&state=... .
   `oidc_callback` takes the state out of the session (once: a replayed callback finds none),
   exchanges the code, and `OIDCBackend` verifies the ID token (RS256 against the provider's JWKS;
   issuer, audience, expiry and nonce), reads the user info (whose `sub` must be the token's),
   turns the claims into an `Identity` and provisions it (portal.accounts.provisioning: one
   transaction, nothing written when refused).
3. Any refusal renders accounts/oidc_refused.html with a user-safe reason (400 for a callback
   that was not ours, 403 for a token or account refused, 503 when the provider cannot be
   reached) and logs why; never a 500.

Organisations come from the claim named by `OIDC_ORGS_CLAIM` (default `orgs`), the signed
handoff's shape `[{"id", "name", "role"}]`; without that claim the user's memberships stay as
they are. The `sub` is the user's external id, as the handoff's `sub` is.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import path
from django.views.decorators.http import require_GET
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from portal.accounts.provisioning import (
    Identity,
    OrgClaim,
    ProvisioningError,
    identity_provision,
)

__all__ = [
    "OIDCBackend",
    "OIDCRefused",
    "ProviderEndpoints",
    "identity_from_claims",
    "oidc_enabled",
    "oidc_endpoints",
    "oidc_sign_in",
    "urlpatterns",
]

logger = logging.getLogger(__name__)

BACKEND_PATH = "portal.accounts.oidc.OIDCBackend"
# Asymmetric only: the brief and the providers we target sign ID tokens with their own key.
SIGNING_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"})
DISCOVERY_CACHE_SECONDS = 60 * 60
# Allowed difference between our clock and the provider's when checking iat/exp.
CLOCK_SKEW_SECONDS = 60
ROLES = frozenset({"member", "admin"})


class OIDCRefused(Exception):
    """A sign-in that must not go on. `reason` is shown to the user; `status` is the page's."""

    def __init__(self, reason: str, *, status: int = 403, log: str = "") -> None:
        super().__init__(log or reason)
        self.reason = reason
        self.status = status


def oidc_enabled() -> bool:
    """Whether this deployment signs in with an OpenID provider."""
    return bool(
        settings.OIDC_RP_CLIENT_ID
        and (settings.OIDC_OP_DISCOVERY_URL or settings.OIDC_OP_AUTHORIZATION_ENDPOINT)
    )


def oidc_sign_in(*, next_url: str = "") -> dict[str, str] | None:
    """What the login page's button needs ({"url", "name"}), or None while OIDC is off."""
    if not oidc_enabled():
        return None
    url = resolve_url("oidc_authentication_init")
    if next_url:
        url = f"{url}?{httpx.QueryParams({'next': next_url})}"
    return {"url": url, "name": settings.OIDC_PROVIDER_NAME}


# --- where the provider is -------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderEndpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


def _discovery_document() -> dict[str, Any]:
    url = settings.OIDC_OP_DISCOVERY_URL
    if "/.well-known/" not in url:
        url = url.rstrip("/") + "/.well-known/openid-configuration"
    key = f"oidc:discovery:{url}"
    document = cache.get(key)
    if isinstance(document, dict):
        return document
    try:
        response = httpx.get(url, timeout=settings.OIDC_TIMEOUT, follow_redirects=True)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OIDCRefused(
            f"{settings.OIDC_PROVIDER_NAME} cannot be reached just now. Please try again shortly.",
            status=503,
            log=f"OIDC discovery failed ({type(exc).__name__})",
        ) from exc
    if not isinstance(document, dict):
        raise OIDCRefused(
            f"{settings.OIDC_PROVIDER_NAME} cannot be reached just now. Please try again shortly.",
            status=503,
            log="OIDC discovery document is not a JSON object",
        )
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def oidc_endpoints() -> ProviderEndpoints:
    """The provider's issuer and endpoints: explicit settings, else its discovery document
    (cached for an hour). Raises OIDCRefused (503) when discovery fails."""
    explicit = {
        "issuer": settings.OIDC_OP_ISSUER,
        "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
        "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
    }
    if settings.OIDC_OP_DISCOVERY_URL and not all(explicit.values()):
        document = _discovery_document()
        for name, value in explicit.items():
            found = document.get(name)
            if not value and isinstance(found, str):
                explicit[name] = found
    missing = sorted(name for name, value in explicit.items() if not value)
    if missing:
        raise OIDCRefused(
            "Sign-in with your identity provider is not set up correctly. Please tell support.",
            status=503,
            log=f"OIDC configuration lacks {', '.join(missing)}",
        )
    return ProviderEndpoints(**explicit)


# --- claims -> Identity ----------------------------------------------------------------------


def _orgs_from_claim(value: object) -> tuple[OrgClaim, ...]:
    if isinstance(value, str):
        # Some providers can only emit custom claims as strings: accept JSON text too.
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, list):
        raise ValueError("not a list")
    orgs: dict[str, OrgClaim] = {}
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("an entry is not an object")
        external_id, name = item.get("id"), item.get("name")
        role = item.get("role") or "member"
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if not isinstance(external_id, str) or not external_id.strip():
            raise ValueError("an entry has no id")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("an entry has no name")
        if role not in ROLES:
            raise ValueError("an entry has an unknown role")
        orgs[external_id.strip()] = OrgClaim(
            external_id=external_id.strip(), name=name.strip(), role=role
        )
    return tuple(orgs.values())


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """The portal's view of a user the provider vouched for. Raises OIDCRefused (403) for claims
    the portal cannot use: no `sub`, no usable email, an email the provider says is unverified
    (linking it to a local account would hand that account over), or an unreadable orgs claim."""
    provider = settings.OIDC_PROVIDER_NAME
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise OIDCRefused(
            f"{provider} did not say who you are. Please contact support.",
            log="OIDC claims lack a usable sub",
        )
    email = claims.get("email")
    try:
        if not isinstance(email, str):
            raise ValidationError("no email")
        email = email.strip().lower()
        validate_email(email)
    except ValidationError as exc:
        raise OIDCRefused(
            f"Your account at {provider} has no usable email address, which the portal needs.",
            log="OIDC claims lack a usable email",
        ) from exc
    if claims.get("email_verified") is False:
        raise OIDCRefused(
            f"Your email address is not verified at {provider}. Verify it there, then try again.",
            log="OIDC email not verified",
        )
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part.strip() for part in parts if isinstance(part, str))
    orgs: tuple[OrgClaim, ...] | None = None
    claim_name = settings.OIDC_ORGS_CLAIM
    if claim_name and claims.get(claim_name) is not None:
        try:
            orgs = _orgs_from_claim(claims[claim_name])
        except ValueError as exc:
            raise OIDCRefused(
                f"The organisations {provider} sent for you could not be read. "
                "Please contact support.",
                log=f"OIDC {claim_name} claim unreadable: {exc}",
            ) from exc
    return Identity(source="oidc", external_id=sub, email=email, name=name.strip()[:200], orgs=orgs)


def _deactivated(identity: Identity) -> bool:
    """Whether the account this identity would sign in to (by external id, or the local account
    its email would link) is deactivated: refused before provisioning writes anything."""
    return (
        get_user_model()
        .objects.filter(
            Q(external_id=identity.external_id) | Q(email__iexact=identity.email, external_id=""),
            is_active=False,
        )
        .exists()
    )


# --- the backend -----------------------------------------------------------------------------


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, with the checks it leaves to its users and the portal's
    provisioning instead of its own user creation.

    `authenticate(request, nonce=..., code_verifier=...)` exchanges the callback's code and
    returns the provisioned user, or raises OIDCRefused. Called with anything else (a password
    login asks every backend) it returns None.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads every endpoint setting here and raises when one is missing. Django
        # builds each backend for every authenticate() and get_user(), password logins included,
        # so construction must neither require OIDC to be configured nor reach the network.
        self.UserModel = get_user_model()

    def _configure(self) -> ProviderEndpoints:
        endpoints = oidc_endpoints()
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks_uri
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.issuer = endpoints.issuer
        return endpoints

    def get_user(self, user_id: int) -> Any:
        # The parent returns inactive users too; a deactivated account must lose its session.
        return ModelBackend.get_user(self, user_id)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        self._configure()
        self.request = request
        code = request.GET.get("code", "")
        token_request = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.build_absolute_uri(resolve_url("oidc_authentication_callback")),
        }
        if kwargs.get("code_verifier"):
            token_request["code_verifier"] = kwargs["code_verifier"]
        provider = settings.OIDC_PROVIDER_NAME
        try:
            tokens = self.get_token(token_request)
            id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
            if not isinstance(id_token, str) or not isinstance(access_token, str):
                raise SuspiciousOperation("token response lacks id_token or access_token")
            payload = self.verify_token(id_token, nonce=kwargs["nonce"])
            userinfo = self.get_userinfo(access_token, id_token, payload)
        except requests.HTTPError as exc:
            # The provider refused the code (used, expired, or issued to another client).
            status = exc.response.status_code if exc.response is not None else 0
            raise OIDCRefused(
                f"{provider} did not confirm this sign-in. Please start again.",
                log=f"OIDC token or userinfo request refused (HTTP {status})",
            ) from exc
        except requests.RequestException as exc:
            raise OIDCRefused(
                f"{provider} cannot be reached just now. Please try again shortly.",
                status=503,
                log=f"OIDC provider unreachable ({type(exc).__name__})",
            ) from exc
        except (
            SuspiciousOperation,
            jwt.PyJWTError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
        ) as exc:
            # Malformed answers included: a token response or key set of the wrong shape.
            raise OIDCRefused(
                f"{provider} sent a sign-in the portal cannot accept. Please start again.",
                log=f"OIDC token refused: {exc}",
            ) from exc
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: user info about someone else must not be used.
            raise OIDCRefused(
                f"{provider} sent a sign-in the portal cannot accept. Please start again.",
                log="OIDC userinfo sub differs from the ID token's",
            )
        identity = identity_from_claims({**payload, **userinfo})
        if _deactivated(identity):
            raise OIDCRefused(
                "This account is deactivated. Please contact support.",
                log="OIDC sign-in of a deactivated account",
            )
        try:
            user = identity_provision(identity=identity)
        except ProvisioningError as exc:
            raise OIDCRefused(str(exc), log=f"OIDC provisioning refused: {exc}") from exc
        return user

    def get_payload_data(self, token: str, key: Any) -> dict[str, Any]:
        """The ID token's (or signed user info's) claims, verified: signature with the provider's
        key and only the configured algorithm (never `none`), issuer, audience (this client;
        `azp` too when there are several), expiry and issue time."""
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[self.OIDC_RP_SIGN_ALGO],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=self.issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("azp is not this client")
        return claims


# --- views -----------------------------------------------------------------------------------


def _refused(request: HttpRequest, refusal: OIDCRefused) -> HttpResponse:
    logger.warning("OIDC sign-in refused: %s", refusal)
    return render(
        request,
        "accounts/oidc_refused.html",
        {"reason": refusal.reason, "provider_name": settings.OIDC_PROVIDER_NAME},
        status=refusal.status,
    )


class _AuthenticationRequestView(OIDCAuthenticationRequestView):
    """mozilla-django-oidc's redirect to the provider, with the endpoint found by discovery."""

    def __init__(self, **kwargs: Any) -> None:
        # The parent reads the endpoint setting here; it may come from discovery instead.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_endpoints().authorization_endpoint
        except OIDCRefused as refusal:
            return _refused(request, refusal)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponse = super().get(request)
        return response


oidc_authenticate = _AuthenticationRequestView.as_view()


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the user back (the redirect URI to register: /oidc/callback/)."""
    if not oidc_enabled():
        raise Http404
    provider = settings.OIDC_PROVIDER_NAME
    state = request.GET.get("state", "")
    states = request.session.get("oidc_states")
    # Each state is good for one callback: taken out before anything else can fail.
    pending = states.pop(state, None) if isinstance(states, dict) and state else None
    if pending is not None:
        request.session.modified = True
    try:
        if request.GET.get("error"):
            raise OIDCRefused(
                f"{provider} did not sign you in. You can try again.",
                status=400,
                log=f"OIDC provider answered error={request.GET['error'][:64]!r}",
            )
        if not isinstance(pending, dict) or not request.GET.get("code"):
            raise OIDCRefused(
                "This sign-in was not started here or has already been used. Please start again.",
                status=400,
                log="OIDC callback with an unknown, used or missing state",
            )
        issuer = request.GET.get("iss")
        if issuer is not None and issuer != oidc_endpoints().issuer:
            # RFC 9207: the answer comes from another provider than the one we asked.
            raise OIDCRefused(
                f"{provider} did not confirm this sign-in. Please start again.",
                status=400,
                log="OIDC callback iss differs from the configured issuer",
            )
        user = OIDCBackend().authenticate(
            request, nonce=pending.get("nonce"), code_verifier=pending.get("code_verifier")
        )
    except OIDCRefused as refusal:
        return _refused(request, refusal)
    next_url = request.session.pop("oidc_login_next", None)
    login(request, user, backend=BACKEND_PATH)
    logger.info("OIDC sign-in of user %s", user.pk)
    return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


urlpatterns = [
    path("authenticate/", oidc_authenticate, name="oidc_authentication_init"),
    path("callback/", oidc_callback, name="oidc_authentication_callback"),
]
