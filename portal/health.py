"""Liveness and readiness: GET /healthz answers 200 "ok" when the database answers.

It is also the container's HEALTHCHECK: `python -m portal.health` asks the running server, with a
Host header the site accepts and X-Forwarded-Proto set so the HTTPS redirect does not answer
instead. It reads only the environment, never Django settings, so it stays cheap.
"""

from __future__ import annotations

import logging
import os
import sys
import urllib.request

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 "ok" when the database answers a query, 503 otherwise. Says nothing more."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: the database did not answer")
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _probe_host() -> str:
    """A host name the site accepts: the first of DJANGO_ALLOWED_HOSTS, made concrete."""
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    return host.lstrip(".")  # ".example.com" allows example.com too


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": _probe_host(), "X-Forwarded-Proto": "https"},
    )
    try:
        # A fixed http URL on loopback, never a user-given one.
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
