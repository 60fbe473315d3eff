"""Middleware of the accounts app: the user's time zone, htmx login redirects, private pages.

PrivateCacheMiddleware marks every response to a signed-in user `Cache-Control: private,
no-store`, so neither a shared cache nor the browser's history keeps a page with someone's
requests on it, unless the view set a Cache-Control of its own.


TimeZoneMiddleware activates User.time_zone (an IANA name) for the request, so Django's current
time zone, and with it every time the templates show, is the user's. Anonymous users, and users
whose zone is not known yet, get settings.TIME_ZONE. It belongs after AuthenticationMiddleware.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

__all__ = [
    "HtmxLoginRedirectMiddleware",
    "PrivateCacheMiddleware",
    "TimeZoneMiddleware",
    "zone_for",
]


@lru_cache(maxsize=256)
def zone_for(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called `name`, or None for blank or unknown names (then the default applies)."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class TimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = (
            zone_for(getattr(user, "time_zone", "") or "")
            if user is not None and user.is_authenticated
            else None
        )
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # Threads serve many users: never let one's zone outlive their request.
            timezone.deactivate()


class HtmxLoginRedirectMiddleware:
    """Sends an htmx request that needs a login to the login page as a whole-page visit.

    Without it, htmx follows login_required's redirect inside the XHR and swaps the login page
    into a fragment of the current page. It belongs after HtmxMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL))
        ):
            return HttpResponseClientRedirect(response["Location"])
        return response


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on responses to signed-in users (see the module
    docstring). It belongs after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
