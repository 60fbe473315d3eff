"""With DEBUG off, a weak or misconfigured single sign-on is a production problem (the serving
process refuses to start; `check --deploy` reports it): portal/production.py."""

from __future__ import annotations

import pytest

from portal.accounts.sso import DEMO_SECRET
from portal.production import production_problems

STRONG = "b1f0c8e2d7a94f36a5e0c4d2b8f17e69c3a0d5f4e2b7c6a9d8e1f0a3b5c7d9e2"


@pytest.fixture(autouse=True)
def otherwise_safe(settings):
    """Production settings apart from SSO: only the SSO problems are left to report."""
    settings.DEBUG = False
    settings.SECRET_KEY = STRONG + "-django"
    # A shared cache for the limits, by name only: nothing connects to it here.
    settings.CACHES = {
        **settings.CACHES,
        "limits": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://redis.internal:6379/1",
        },
    }
    settings.RATELIMIT_USE_CACHE = "limits"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.CELERY_BROKER_URL = "redis://redis.internal:6379/0"
    settings.SSO_JWT_SECRET = ""
    settings.SSO_JWT_JWKS_URL = ""


def codes() -> list[str]:
    return [code for code, _ in production_problems()]


def test_sso_off_or_well_configured_is_no_problem(settings):
    assert codes() == []
    settings.SSO_JWT_SECRET = STRONG
    assert codes() == []
    settings.SSO_JWT_SECRET = ""
    settings.SSO_JWT_JWKS_URL = "https://product.test/.well-known/jwks.json"
    assert codes() == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"SSO_JWT_SECRET": DEMO_SECRET}, "portal.E005"),
        ({"SSO_JWT_SECRET": "too-short-0123456789"}, "portal.E005"),
        ({"SSO_JWT_SECRET": "a" * 64}, "portal.E005"),
        ({"SSO_JWT_SECRET": STRONG, "SSO_JWT_JWKS_URL": "https://p.test/jwks"}, "portal.E006"),
        ({"SSO_JWT_SECRET": STRONG, "SSO_JWT_AUDIENCE": ""}, "portal.E006"),
        ({"SSO_JWT_JWKS_URL": "http://product.test/jwks.json"}, "portal.E006"),
    ],
)
def test_a_weak_or_misconfigured_sso_is_refused(settings, overrides, code):
    for name, value in overrides.items():
        setattr(settings, name, value)

    assert codes() == [code]
    [(_, message)] = production_problems()
    secret = overrides.get("SSO_JWT_SECRET", "")
    assert not secret or secret not in message  # the message never shows the value
