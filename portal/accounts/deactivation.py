"""Ends the session of a user who was deactivated (by SCIM, the admin or anything else).

Django's ModelBackend already treats an inactive user's session as anonymous, but not every
backend does (an OpenID Connect library's may load the user by id alone), and the session itself
would come back to life if the account were reactivated later. This middleware closes both: a
signed-in user who is not active is logged out, and a session that names a user the backends no
longer accept is flushed. It belongs right after AuthenticationMiddleware.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

__all__ = ["DeactivatedUserMiddleware"]


class DeactivatedUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and SESSION_KEY in session:
            if not user.is_authenticated:
                session.flush()  # the session's user is gone or no longer allowed in
            elif not user.is_active:
                logout(request)
        return self.get_response(request)
