"""Project-wide middleware: refusing NUL characters, and the time budget for Plain calls.

NulCharacterMiddleware: PostgreSQL cannot store or compare text holding a NUL (U+0000), so a NUL
that reaches a query (an admin search `?q=%00`, a list filter, a raw POST value) is a 500 there.
Django's form fields refuse NUL already; this refuses it for every query-string and form value
before any view runs, as the 400 of a malformed request (django.core.exceptions.BadRequest), so
no view has to remember. JSON bodies (webhooks, SCIM) are not parsed here: their views read the
raw body themselves and their parsers validate it.

PlainBudgetMiddleware: see its docstring.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from plain_gateway import plain_budget

__all__ = ["NulCharacterMiddleware", "PlainBudgetMiddleware"]

_FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _holds_nul(data: object) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values if isinstance(value, str))
        for key, values in data.lists()  # type: ignore[attr-defined]
    )


class NulCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request.GET):
            raise BadRequest("A query parameter holds a NUL character.")
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
