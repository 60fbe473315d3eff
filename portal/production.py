"""What a production process refuses to start with, and the deploy checks that say the same.

With DEBUG off, a serving process refuses to start when:

- SECRET_KEY is the checkout's default (or as weak as Django's check calls it): anyone could
  sign sessions and password-reset tokens;
- the cache the login and reset limits count in is per-process (no REDIS_URL): each worker would
  count on its own, and the limits multiply by the worker count;
- email goes to the console or to files (no EMAIL_URL): reset links would land in the log;
- background work goes through the embedded default's filesystem transport (no
  CELERY_BROKER_URL): it is one machine's folder, with no redelivery, meant for `make run`;
- single sign-on is on with a weak SSO_JWT_SECRET (short, or the demo one): anyone who guesses it
  signs in as anyone; or it is misconfigured (both keys, no audience or issuer), or fetches its
  JWKS over plain http (a network attacker could serve their own keys).

gunicorn and Celery run no system checks, so portal/wsgi.py and the Celery worker
(portal/celery.py) call refuse_unsafe_production() as they start; `manage.py check --deploy`
reports the same problems as errors portal.E001-E006. The test suite runs with DEBUG off and the
checkout defaults but never loads portal.wsgi nor starts a worker in-process, so it is not
refused; tests that start a real server or worker give it a production environment.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

__all__ = ["production_problems", "refuse_unsafe_production"]

EMBEDDED_BROKER_URL = "portal-filesystem://"
_PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
_LOGGING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


def _weak_secret_key(key: str) -> bool:
    # Django's own measure (security.W009), made an error here.
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-")


def production_problems() -> list[tuple[str, str]]:
    """(check id, message) for each unsafe setting; empty with DEBUG on or nothing unsafe.

    Messages name the variable to set and never show a setting's value.
    """
    if settings.DEBUG:
        return []
    problems = []
    if _weak_secret_key(settings.SECRET_KEY):
        problems.append(
            ("portal.E001", "DJANGO_SECRET_KEY is unset or weak: set a long random value.")
        )
    throttle_cache = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend: Any = settings.CACHES.get(throttle_cache, {}).get("BACKEND", "")
    if backend in _PER_PROCESS_CACHES:
        problems.append(
            (
                "portal.E002",
                "The login and password-reset limits would count per process: set REDIS_URL "
                "to a Redis shared by every web process.",
            )
        )
    if settings.EMAIL_BACKEND in _LOGGING_EMAIL_BACKENDS:
        problems.append(
            (
                "portal.E003",
                "Email goes to the console or to files, so password-reset links would be "
                "logged: set EMAIL_URL to your mail server (smtp+tls://...).",
            )
        )
    if settings.CELERY_BROKER_URL == EMBEDDED_BROKER_URL:
        problems.append(
            (
                "portal.E004",
                "Background work would queue in a local folder (the embedded default, for "
                "`make run`): set CELERY_BROKER_URL to the Redis your workers consume.",
            )
        )
    problems.extend(_sso_problems())
    return problems


def _sso_problems() -> list[tuple[str, str]]:
    from portal.accounts.sso import DEMO_SECRET, sso_configuration_problem

    secret: str = settings.SSO_JWT_SECRET
    if secret and (secret == DEMO_SECRET or _weak_secret_key(secret)):
        return [
            (
                "portal.E005",
                "SSO_JWT_SECRET is weak or the demo one: set a long random value (at least 50 "
                "characters) shared with the product only.",
            )
        ]
    problem = sso_configuration_problem()
    if problem:
        return [("portal.E006", f"Single sign-on is misconfigured: {problem}")]
    if settings.SSO_JWT_JWKS_URL and not settings.SSO_JWT_JWKS_URL.startswith("https://"):
        return [("portal.E006", "SSO_JWT_JWKS_URL must be an https:// URL.")]
    return []


def refuse_unsafe_production() -> None:
    """Raise ImproperlyConfigured naming every problem, when there is one. Call once settings
    are loaded, where a serving process starts."""
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG off: "
            + " ".join(f"[{code}] {message}" for code, message in problems)
        )


@checks.register(checks.Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.Error]:
    return [checks.Error(message, id=code) for code, message in production_problems()]
