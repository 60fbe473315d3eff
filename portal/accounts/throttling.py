"""Who the client is, and how fast it may fail to sign in or ask for password resets.

The client's address: REMOTE_ADDR, unless settings.PORTAL_CLIENT_IP_HEADER names the header a
proxy in front of the portal writes (X-Forwarded-For, X-Real-IP). Then it is the entry that the
outermost of PORTAL_TRUSTED_PROXY_COUNT proxies appended, counted from the right, so whatever the
client itself wrote into the header is ignored (python-ipware does the parsing). Configure the
header only behind a proxy that sets it: without one, any client could name any address.

Failed logins (django-axes, settings AXES_*): each (account, client address) pair is locked for
a cool-off after AXES_FAILURE_LIMIT failures, so an attacker guessing alice's password locks only
themself out, never alice at her own address. The counts live in the database, shared by every
worker. On top of that, one client address may fail LOGIN_FAILURES_PER_CLIENT times over any
accounts before it is refused too (spraying one password over many accounts); that count lives
in the cache, which production requires to be shared (portal/production.py).

Password resets: limited per target address, per (address, client) pair and per client; a
limited request gets the same "if an account exists, we sent a mail" page as any other, and sends
nothing. Every limit fails open on a cache outage (logged): an outage must not lock everyone out.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage
from python_ipware import IpWare

__all__ = [
    "LOGIN_FAILURES_PER_CLIENT",
    "RESET_MAILS_PER_ADDRESS",
    "RESET_MAILS_PER_CLIENT",
    "RESET_MAILS_PER_PAIR",
    "client_ip",
    "login_client_failure_record",
    "login_client_over_limit",
    "login_locked_out",
    "login_username",
    "password_reset_allowed",
]

logger = logging.getLogger(__name__)

# Generous: a client that fails this often over many accounts is spraying, not mistyping.
LOGIN_FAILURES_PER_CLIENT = "100/15m"
# A customer rarely needs more than a couple of reset mails; a mailbox must not be flooded.
RESET_MAILS_PER_PAIR = "3/15m"
RESET_MAILS_PER_ADDRESS = "10/h"
RESET_MAILS_PER_CLIENT = "20/h"


def _meta_key(header: str) -> str:
    return "HTTP_" + header.strip().upper().replace("-", "_")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, as described in the module docstring.

    None for a request that carries no address at all (never one a server passes on).
    """
    remote = request.META.get("REMOTE_ADDR") or None
    header = getattr(settings, "PORTAL_CLIENT_IP_HEADER", None)
    if not header:
        return remote
    proxies = max(int(getattr(settings, "PORTAL_TRUSTED_PROXY_COUNT", 1)), 1)
    # ipware counts the proxies whose own addresses are in the header; the outermost proxy's
    # entry is the client's, so the header holds proxies - 1 proxy addresses after it.
    ipware = IpWare(precedence=(_meta_key(header),), proxy_count=proxies - 1)
    address, _trusted = ipware.get_client_ip(request.META)
    return str(address) if address is not None else remote


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a login attempt names, as the user manager stores it (AXES_USERNAME_CALLABLE)."""
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username", "")
    return str(username).strip().lower()


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AxesMiddleware's answer to a locked-out attempt (AXES_LOCKOUT_CALLABLE).

    The page the login view rendered, which already says why (LoginForm), as a 429.
    """
    if original_response is None:
        original_response = HttpResponse(
            "Too many failed sign-in attempts. Please wait a few minutes and try again.",
            content_type="text/plain; charset=utf-8",
        )
    original_response.status_code = 429
    return original_response


def _client_key(group: str, request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _over(request: HttpRequest, *, group: str, key: Any, rate: str, increment: bool) -> bool:
    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    # limit 0 is the library's way of saying the cache did not answer.
    return usage is not None and bool(usage["limit"]) and usage["should_limit"]


def login_client_over_limit(request: HttpRequest) -> bool:
    """Whether this client has failed too many logins over any accounts lately. Fails open."""
    try:
        usage = get_usage(
            request,
            group="login-client",
            key=_client_key,
            rate=LOGIN_FAILURES_PER_CLIENT,
            increment=False,
        )
        return bool(usage and usage["limit"] and usage["count"] >= usage["limit"])
    except Exception:
        logger.warning("Login rate limit unavailable; allowing the attempt", exc_info=True)
        return False


def login_client_failure_record(request: HttpRequest) -> None:
    try:
        get_usage(
            request,
            group="login-client",
            key=_client_key,
            rate=LOGIN_FAILURES_PER_CLIENT,
            increment=True,
        )
    except Exception:
        logger.warning("Login rate limit unavailable; failure not counted", exc_info=True)


def password_reset_allowed(*, request: HttpRequest, email: str) -> bool:
    """Count a reset request for `email` from this client; False once one of its limits is over.

    The limits are counted in turn and a request stops at the first that is over, so one client
    hammering one address uses up only its own pair's allowance, not the address's: the owner
    asking from elsewhere still gets a mail. Addresses with and without an account count alike,
    so the answer reveals nothing about which exist. Fails open on a cache outage.
    """
    address = email.strip().lower()
    client = client_ip(request) or "unknown"
    limits = (
        ("reset-pair", f"{address} {client}", RESET_MAILS_PER_PAIR),
        ("reset-client", client, RESET_MAILS_PER_CLIENT),
        ("reset-address", address, RESET_MAILS_PER_ADDRESS),
    )
    try:
        for group, value, rate in limits:
            if _over(
                request, group=group, key=lambda _g, _r, v=value: v, rate=rate, increment=True
            ):
                return False
    except Exception:
        logger.warning("Password reset rate limit unavailable; allowing it", exc_info=True)
    return True
