"""The site's error views that Django's defaults do not get right for this portal.

bad_request is handler400. Django's default is wrapped in requires_csrf_token, which runs the CSRF
check again and with it reads request.POST: for the very body that raised BadRequest (a urlencoded
form in a charset other than UTF-8) that raises once more, inside the handler, and the client gets
a bare 500. This view never reads the body.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page. Says nothing of the exception, whose text may echo what the client sent."""
    return render(request, "400.html", status=400)
