"""Single sign-on by a signed handoff (JWT) from the company's product: verification and use.

The product signs a short-lived token naming the user and their organisations and sends the
browser to `/sso/jwt/?token=...` (or POSTs it there). `sso_token_verify` checks it; `sso_token_use`
remembers its `jti` and provisions the user (portal/accounts/provisioning.py) in one transaction.

Keys and algorithms come from settings, never from the token:
- `SSO_JWT_SECRET`: HS256 only, with that shared secret;
- `SSO_JWT_JWKS_URL`: RS256 or ES256 only, with the public key the product's JWKS names by the
  token's `kid` (fetched with PyJWT's PyJWKClient, cached for JWKS_CACHE_SECONDS; an unknown
  `kid` refetches, at most once per JWKS_COOLDOWN_SECONDS).
So `alg: none` and an HS256 token "signed" with the product's public key are refused by the
allow-list before any key is used. Setting both is a configuration error (SsoUnavailable).

Claims (all required): `sub`, `email`, `name`, `orgs` (a list of {"id", "name", "role"}), `jti`,
`iat`, `exp`, `aud` (= SSO_JWT_AUDIENCE), `iss` (= SSO_JWT_ISSUER). `exp - iat` is at most
SSO_JWT_MAX_AGE_SECONDS; `iat` may be at most SSO_JWT_LEEWAY_SECONDS in the future and `exp` that
much in the past (clock skew). A `jti` is accepted once: the UsedSsoToken row that remembers it
is kept until the token has expired (plus the leeway), then pruned.

With DEBUG on over the embedded emulator and no key configured, the demo secret DEMO_SECRET is
used so that `make run` and `manage.py sso_token` work in a fresh clone; production refuses it
(portal/production.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.accounts.models import UsedSsoToken, User
from portal.accounts.provisioning import Identity, OrgClaim, ProvisioningError, identity_provision

__all__ = [
    "DEMO_SECRET",
    "MIN_SECRET_LENGTH",
    "SsoRefused",
    "SsoUnavailable",
    "loggable",
    "sso_configuration_problem",
    "sso_enabled",
    "sso_token_mint",
    "sso_token_use",
    "sso_token_verify",
    "sso_tokens_prune",
    "token_claimed_ids",
]

logger = logging.getLogger(__name__)

# For `make run` only: DEBUG, the embedded emulator, and no key configured.
DEMO_SECRET = "portal-demo-sso-secret-for-make-run-only-never-in-production"
# HS256 wants a key at least as long as its output (RFC 7518, 3.2).
MIN_SECRET_LENGTH = 32
HMAC_ALGORITHMS = ("HS256",)
JWKS_ALGORITHMS = ("RS256", "ES256")
JWKS_CACHE_SECONDS = 300
JWKS_COOLDOWN_SECONDS = 30
JWKS_TIMEOUT_SECONDS = 5
REQUIRED_CLAIMS = ("sub", "email", "name", "orgs", "jti", "iat", "exp", "aud", "iss")
MAX_JTI_LENGTH = 255
# What a person is told; the log line carries the precise reason.
EXPIRED, INVALID, USED = "expired", "invalid", "already used"


class SsoRefused(Exception):
    """A token (or what it names) is refused. `public` is what the person may be told: EXPIRED,
    INVALID or USED, or a provisioning message; `reason` is for the log only."""

    def __init__(self, public: str, reason: str, *, jti: str = "", sub: str = "") -> None:
        super().__init__(reason)
        self.public = public
        self.reason = reason
        self.jti = jti
        self.sub = sub


class SsoUnavailable(Exception):
    """Single sign-on cannot verify tokens right now (misconfigured, or the JWKS unreachable);
    not the token's fault."""


@dataclass(frozen=True)
class VerifiedToken:
    identity: Identity
    jti: str
    expires_at: datetime


# === configuration ===========================================================================


def _demo_mode() -> bool:
    from portal.plain import is_embedded  # late: portal.plain reads settings at import

    return bool(settings.DEBUG) and is_embedded()


def _secret() -> str:
    secret: str = settings.SSO_JWT_SECRET
    if not secret and not settings.SSO_JWT_JWKS_URL and _demo_mode():
        return DEMO_SECRET
    return secret


def sso_enabled() -> bool:
    """Whether /sso/jwt/ exists: a key setting is set (or the demo secret applies)."""
    return bool(_secret() or settings.SSO_JWT_JWKS_URL)


def sso_configuration_problem() -> str:
    """Why the configured SSO cannot work safely ("" when it can, or when it is off)."""
    secret, jwks_url = _secret(), settings.SSO_JWT_JWKS_URL
    if secret and jwks_url:
        return "Set SSO_JWT_SECRET or SSO_JWT_JWKS_URL, not both."
    if secret and len(secret) < MIN_SECRET_LENGTH:
        return f"SSO_JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters."
    if (secret or jwks_url) and not (settings.SSO_JWT_AUDIENCE and settings.SSO_JWT_ISSUER):
        return "Set SSO_JWT_AUDIENCE and SSO_JWT_ISSUER."
    return ""


_jwks_lock = threading.Lock()
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One client per URL for the process: it caches the key set between requests."""
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(
                url,
                cache_jwk_set=True,
                lifespan=JWKS_CACHE_SECONDS,
                timeout=JWKS_TIMEOUT_SECONDS,
                cooldown_duration=JWKS_COOLDOWN_SECONDS,
            )
            _jwks_clients[url] = client
        return client


# === verification ============================================================================


def token_claimed_ids(token: str) -> tuple[str, str]:
    """(jti, sub) as the token claims them, for the log line of a refusal; never trusted."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "", ""
    if not isinstance(claims, dict):
        return "", ""
    return loggable(claims.get("jti")), loggable(claims.get("sub"))


def loggable(value: object, *, limit: int = 80) -> str:
    """`value` fit for one log line: a string or integer, printable characters, at most `limit`
    long ("" otherwise). Claims and error messages carry the sender's text."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return ""
    return "".join(c if c.isprintable() else "?" for c in str(value))[:limit]


def _key_and_algorithms(token: str) -> tuple[Any, tuple[str, ...]]:
    problem = sso_configuration_problem()
    if problem:
        raise SsoUnavailable(problem)
    secret = _secret()
    if secret:
        return secret, HMAC_ALGORITHMS
    try:
        signing_key = _jwks_client(settings.SSO_JWT_JWKS_URL).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError as error:
        raise SsoUnavailable(f"JWKS unreachable: {error}") from None
    except jwt.PyJWTError as error:
        # Malformed token, or no key with its kid even after a refresh.
        raise SsoRefused(INVALID, f"no signing key: {error}") from None
    return signing_key, JWKS_ALGORITHMS


def sso_token_verify(*, token: str, now: datetime | None = None) -> VerifiedToken:
    """The identity a token names, once signature, audience, issuer, times and claim shapes are
    checked. Raises SsoRefused (with the jti/sub it claimed, for the log) or SsoUnavailable.

    Writes nothing: single use is checked by `sso_token_use`.
    """
    jti, sub = token_claimed_ids(token)
    try:
        return _verify(token=token, now=now)
    except SsoRefused as refused:
        refused.jti, refused.sub = refused.jti or jti, refused.sub or sub
        raise


def _verify(*, token: str, now: datetime | None) -> VerifiedToken:
    key, algorithms = _key_and_algorithms(token)
    leeway = settings.SSO_JWT_LEEWAY_SECONDS
    moment = (now or timezone.now()).timestamp()
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=list(algorithms),
            audience=settings.SSO_JWT_AUDIENCE,
            issuer=settings.SSO_JWT_ISSUER,
            leeway=leeway,
            # Times are checked below, against `now` (so the command and tests can set it).
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "enforce_minimum_key_length": True,
            },
        )
    except jwt.ImmatureSignatureError:
        raise SsoRefused(INVALID, "not yet valid (nbf)") from None
    except jwt.PyJWTError as error:
        raise SsoRefused(INVALID, f"{type(error).__name__}: {error}") from None

    iat, exp = claims["iat"], claims["exp"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, exp)):
        raise SsoRefused(INVALID, "iat or exp not a number")
    if iat > moment + leeway:
        raise SsoRefused(INVALID, "issued in the future")
    if exp <= moment - leeway:
        raise SsoRefused(EXPIRED, "expired")
    if exp - iat > settings.SSO_JWT_MAX_AGE_SECONDS:
        raise SsoRefused(INVALID, f"lifetime {exp - iat:.0f} s over the maximum")

    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise SsoRefused(INVALID, "bad jti")
    identity = Identity(
        source="jwt",
        external_id=_text(claims, "sub"),
        email=_text(claims, "email"),
        name=_text(claims, "name"),
        orgs=_orgs(claims["orgs"]),
    )
    expires_at = datetime.fromtimestamp(exp, tz=UTC)
    return VerifiedToken(identity=identity, jti=jti, expires_at=expires_at)


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims[name]
    if not isinstance(value, str):
        raise SsoRefused(INVALID, f"claim {name} not a string")
    return value


def _orgs(value: object) -> tuple[OrgClaim, ...]:
    if not isinstance(value, list):
        raise SsoRefused(INVALID, "orgs not a list")
    orgs = []
    for item in value:
        if not isinstance(item, dict) or set(item) < {"id", "name", "role"}:
            raise SsoRefused(INVALID, "an org lacks id, name or role")
        org_id, name, role = item["id"], item["name"], item["role"]
        # Products often number their organisations: an integer id is taken as its digits.
        if isinstance(org_id, int) and not isinstance(org_id, bool):
            org_id = str(org_id)
        if not all(isinstance(v, str) for v in (org_id, name, role)):
            raise SsoRefused(INVALID, "an org's id, name or role is not a string")
        orgs.append(OrgClaim(external_id=org_id, name=name, role=role))
    return tuple(orgs)


# === use =====================================================================================


def sso_token_use(*, token: str, now: datetime | None = None) -> User:
    """Verify the token, remember its jti and provision its identity, all or nothing.

    Returns the user to sign in. Raises SsoRefused for a refused token (expired, invalid, already
    used), an identity provisioning refuses, or a deactivated account, with nothing written;
    SsoUnavailable when tokens cannot be checked now.
    """
    verified = sso_token_verify(token=token, now=now)
    identity = verified.identity
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():  # a savepoint: the replay's IntegrityError is caught
                    UsedSsoToken.objects.create(
                        jti=verified.jti,
                        subject=identity.external_id[:255],
                        expires_at=verified.expires_at
                        + timedelta(seconds=settings.SSO_JWT_LEEWAY_SECONDS),
                    )
            except IntegrityError:
                raise SsoRefused(USED, "jti already used") from None
            user = identity_provision(identity=identity)
            if not user.is_active:
                raise SsoRefused("This account is deactivated.", "account deactivated")
    except ProvisioningError as error:
        raise SsoRefused(str(error), f"provisioning refused: {error}") from None
    except SsoRefused as refused:
        refused.jti, refused.sub = verified.jti, identity.external_id
        raise
    return user


def sso_tokens_prune(*, now: datetime | None = None) -> int:
    """Forget the jtis of tokens that have expired (they are refused as expired anyway)."""
    deleted, _ = UsedSsoToken.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


# === minting (the demo command; tests) =======================================================


def sso_token_mint(
    *,
    user: User,
    orgs: list[dict[str, str]],
    lifetime_seconds: int = 120,
    jti: str = "",
) -> str:
    """A token for `user` signed with the configured secret, as the product would sign it.

    For the demo command: only with a shared secret (the product holds the private key of a
    JWKS). Raises SsoUnavailable when there is none.
    """
    import secrets

    secret = _secret()
    if not secret or settings.SSO_JWT_JWKS_URL:
        raise SsoUnavailable("Minting needs SSO_JWT_SECRET (or the demo secret in DEBUG).")
    now = int(timezone.now().timestamp())
    claims = {
        "sub": user.external_id or f"demo-{user.portal_id}",
        "email": user.email,
        "name": user.get_full_name(),
        "orgs": orgs,
        "jti": jti or secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + lifetime_seconds,
        "aud": settings.SSO_JWT_AUDIENCE,
        "iss": settings.SSO_JWT_ISSUER,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
