"""Project-wide middleware: refusing unusable values, and the time budget for Plain calls.

UnusableValueMiddleware refuses, as the 400 of a malformed request
(django.core.exceptions.BadRequest) before any view runs, so no view has to remember:
- a NUL (U+0000) in any query-string or form value: PostgreSQL cannot store or compare text
  holding one, so a NUL that reaches a query (an admin search `?q=%00`, a list filter, a raw POST
  value) is a 500 there. Django's form fields refuse NUL already; not every view reads a form.
- a query-string value longer than MAX_QUERY_VALUE_LENGTH: no link of ours carries one (cursors
  are opaque but short, searches are words), and a long one reaching a database LIKE is an error
  (SQLite refuses patterns over 50,000 bytes) or a slow scan.
JSON bodies (webhooks, SCIM) are not parsed here: their views read the raw body themselves and
their parsers validate it.

PlainBudgetMiddleware: see its docstring. MembershipMemoMiddleware: one reading of a user's
memberships per request (portal.tenancy.selectors.memberships_memoised).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from plain_gateway import plain_budget

__all__ = [
    "MAX_QUERY_VALUE_LENGTH",
    "MembershipMemoMiddleware",
    "PlainBudgetMiddleware",
    "UnusableValueMiddleware",
]

_FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_QUERY_VALUE_LENGTH = 2_000


def _holds_nul(data: object) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values if isinstance(value, str))
        for key, values in data.lists()  # type: ignore[attr-defined]
    )


def _holds_long_value(data: object) -> bool:
    return any(
        len(value) > MAX_QUERY_VALUE_LENGTH
        for _, values in data.lists()  # type: ignore[attr-defined]
        for value in values
    )


class UnusableValueMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request.GET):
            raise BadRequest("A query parameter holds a NUL character.")
        if _holds_long_value(request.GET):
            raise BadRequest("A query parameter is too long.")
        is_form = request.method == "POST" and request.content_type in _FORM_CONTENT_TYPES
        if is_form and _holds_nul(request.POST):
            raise BadRequest("A form field holds a NUL character.")
        return self.get_response(request)


class PlainBudgetMiddleware:
    """Bounds the time one web request may spend waiting on Plain (DESIGN, invariant 6).

    Every Plain call the request makes (attempts, retries and their waits) shares one budget of
    PLAIN_REQUEST_BUDGET_SECONDS, kept well under the server's worker timeout: when it runs out
    the gateway raises PlainBudgetExceededError (a retriable PlainError), which the views already
    answer as "Plain is unavailable", and a submission stays pending for a later attempt. Celery
    tasks are outside any request and keep their own time limits.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with plain_budget(settings.PLAIN_REQUEST_BUDGET_SECONDS):
            return self.get_response(request)


class MembershipMemoMiddleware:
    """Every view and template of one request sees one reading of the user's memberships."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from portal.tenancy.selectors import memberships_memoised  # models load after settings

        with memberships_memoised():
            return self.get_response(request)
