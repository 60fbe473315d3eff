"""What a customer typed when their session had ended: kept through the login round trip.

A POST that reaches a form view without a signed-in user (the session expired while the page
was open) is not lost: its text fields are kept in the (anonymous) session, and the browser goes
to the login page with `next` set to the page the form lives on (the thread, or the new-request
page), never to the POST-only URL, which would answer 405 to the browser's GET. Django's login
keeps the session's data (it cycles the key), so the page finds the draft and fills its form.

Only text travels: files cannot be kept (a browser never resubmits them), so the page says to
attach them again; and an action (resolve, reopen) is never replayed by a GET, so the page says
it was not done. A draft is kept for one page, at most one per page, and is bounded in size.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

__all__ = ["DRAFT_SESSION_KEY", "draft_take", "login_required_keeping_draft"]

DRAFT_SESSION_KEY = "support_drafts"
# Fields never kept: the CSRF token (the login issues a new one) and the idempotency key of a
# form (a restored form is a new submission, with a new key).
_SKIPPED_FIELDS = frozenset({"csrfmiddlewaretoken", "form_key"})
# Bounds on what one draft holds (the forms' own limits are smaller than these).
_MAX_FIELDS = 60
_MAX_VALUE_LENGTH = 25_000
_MAX_PAGES = 5

P = ParamSpec("P")
R = TypeVar("R", bound=HttpRequest)


def _page_url(view_name: str, kwargs: Mapping[str, Any]) -> str:
    return reverse(view_name, kwargs=dict(kwargs))


def _draft_keep(request: HttpRequest, *, page: str, action: str, had_files: bool) -> None:
    """Keep the POST's text fields in the session, for `page` (its path)."""
    data = {
        name: [value[:_MAX_VALUE_LENGTH] for value in request.POST.getlist(name)]
        for name in list(request.POST)[:_MAX_FIELDS]
        if name not in _SKIPPED_FIELDS
    }
    drafts = dict(request.session.get(DRAFT_SESSION_KEY) or {})
    drafts.pop(page, None)
    # The newest pages are kept; a draft for a page never visited again does not pile up.
    while len(drafts) >= _MAX_PAGES:
        drafts.pop(next(iter(drafts)))
    drafts[page] = {"action": action, "data": data, "had_files": had_files}
    request.session[DRAFT_SESSION_KEY] = drafts


def draft_take(request: HttpRequest, *, page: str) -> dict[str, Any] | None:
    """The draft kept for `page` ({"action", "data": {name: [values]}, "had_files"}), removed
    from the session; None when there is none."""
    drafts = request.session.get(DRAFT_SESSION_KEY)
    if not drafts or page not in drafts:
        return None
    drafts = dict(drafts)
    draft = drafts.pop(page)
    if drafts:
        request.session[DRAFT_SESSION_KEY] = drafts
    else:
        del request.session[DRAFT_SESSION_KEY]
    return draft if isinstance(draft, dict) else None


def login_required_keeping_draft(
    *, page: str, action: str
) -> Callable[
    [Callable[Concatenate[R, P], HttpResponse]],
    Callable[Concatenate[R, P], HttpResponse],
]:
    """login_required for a form's POST view: without a user, the draft is kept and the login
    page's `next` is `page` (a URL name, reversed with the view's own arguments).

    `action` names what the POST would have done ("reply", "resolve", "reopen", "create"); the
    page reads it back from the draft. A GET (or HEAD) without a user goes to the login page with
    `next` set to `page` as well.
    """

    def decorator(
        view: Callable[Concatenate[R, P], HttpResponse],
    ) -> Callable[Concatenate[R, P], HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: R, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if request.user.is_authenticated:
                return view(request, *args, **kwargs)
            url = _page_url(page, kwargs)
            if request.method == "POST":
                _draft_keep(request, page=url, action=action, had_files=bool(request.FILES))
                messages.info(
                    request,
                    "Your session had ended. Sign in again to continue: "
                    + (
                        "what you typed is kept."
                        if action in ("reply", "create")
                        else "nothing was changed yet."
                    ),
                )
            return redirect_to_login(url)

        return wrapped

    return decorator
