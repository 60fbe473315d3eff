"""Helpers for tests that start real processes (gunicorn, Celery workers) of the portal.

A serving process with DEBUG off refuses the checkout's defaults (portal/production.py), so each
gets `serving_env()`: the developer's shell stripped of the portal's settings variables, plus a
production-safe baseline (a strong key, a shared cache, a mail backend that logs nothing) that a
test overrides where its point lies.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SETTINGS_PREFIXES = (
    "DJANGO_",
    "PLAIN_",
    "CELERY_",
    "DATABASE_",
    "REDIS_",
    "EMAIL_",
    "PORTAL_",
    "OIDC_",
)

SERVING_BASELINE = {
    "PYTHONPATH": str(ROOT),
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-serving-key-k3V9pQzw7Lr2xB8nT5yH1uJ6mC4sE0aDfG9hR2tY7iO3",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    # The tests speak plain HTTP to the server.
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    # Production refuses a per-process cache, console email and the embedded default's folder
    # broker; nothing here sends mail, and no worker consumes this broker's queue.
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "EMAIL_URL": "dummymail://",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
}


def serving_env(**overrides: str) -> dict[str, str]:
    """The environment for a real portal process: the shell without the portal's settings
    variables, the production-safe baseline, then `overrides`."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(_SETTINGS_PREFIXES)
    }
    return {**env, **SERVING_BASELINE, **overrides}


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
