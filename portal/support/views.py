"""The customer-facing pages: thread list, thread page, new thread, reply, resolve and reopen.

Views translate HTTP: they call a selector or a service and render a template, or for htmx the
partial that the page itself includes. When Plain fails they answer with a message and the
user's text kept, never with a 500. Access is decided in selectors.thread_get_for_user, which
every thread route calls first.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from plain_gateway import PlainError, PlainMutationError
from plain_gateway.types import Thread
from portal.support import selectors, services
from portal.support.forms import ReplyForm, ThreadCreateForm, add_plain_field_errors
from portal.support.presentation import (
    opened_by,
    plain_error_message,
    priority_label,
    reply_item,
    status_label,
    status_tone,
    timeline_items,
)

logger = logging.getLogger(__name__)

# The status of a page that could not be completed because Plain failed.
PLAIN_UNAVAILABLE_STATUS = 503


def _is_partial(request: HttpRequest) -> bool:
    """Whether to answer with a partial: an htmx request that is not a history restore."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, or its partial for htmx. htmx swaps only 2xx answers, so partials answer 200."""
    if partial is not None and _is_partial(request):
        response = render(request, partial, context)
    else:
        response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _log_plain_failure(exc: PlainError, *, action: str) -> None:
    # The class and Plain's request id trace a failure; the message might quote the request, so
    # it stays out of the log.
    logger.warning(
        "Plain call failed while %s: %s (request id %s)",
        action,
        type(exc).__name__,
        getattr(exc, "request_id", None),
    )


def _plain_unavailable(request: HttpRequest, exc: PlainError, *, action: str) -> HttpResponse:
    """A page (or for htmx, a message in the page's message area) saying Plain failed."""
    _log_plain_failure(exc, action=action)
    context = {"error_message": plain_error_message(exc, sending=False)}
    if _is_partial(request):
        response = render(request, "support/_flash.html", context)
        return reswap(retarget(response, "#flash"), "innerHTML")
    return _render(
        request, "support/plain_unavailable.html", context, status=PLAIN_UNAVAILABLE_STATUS
    )


def _thread_context(thread: Thread) -> dict[str, Any]:
    return {
        "thread": thread,
        "status": status_label(thread),
        "status_tone": status_tone(thread),
        "priority": priority_label(thread.priority),
        "opened_by": opened_by(thread),
    }


@require_GET
@login_required
def thread_list(request: HttpRequest) -> HttpResponse:
    try:
        listing = selectors.thread_list_for_user(
            user=request.user,
            status=request.GET.get("status"),
            after=request.GET.get("after"),
            before=request.GET.get("before"),
        )
    except PlainError as exc:
        return _plain_unavailable(request, exc, action="listing threads")
    if listing is None:
        return _render(request, "support/no_organisation.html", {})
    return _render(
        request,
        "support/thread_list.html",
        {
            "listing": listing,
            "tabs": (("open", "Open"), ("done", "Resolved"), ("all", "All")),
            "user_organizations": listing.organizations,
        },
        partial="support/_thread_list.html",
    )


@require_GET
@login_required
def thread_detail(request: HttpRequest, thread_id: str) -> HttpResponse:
    before = request.GET.get("before") or None
    try:
        found = selectors.thread_get_for_user(user=request.user, thread_id=thread_id, before=before)
    except PlainError as exc:
        return _plain_unavailable(request, exc, action="reading a thread")
    page_info = found.timeline.page_info
    context = {
        **_thread_context(found.thread),
        "items": timeline_items(
            found.timeline.items,
            thread=found.thread,
            starts_thread=not page_info.has_previous_page,
        ),
        "earlier_cursor": page_info.start_cursor if page_info.has_previous_page else None,
        "showing_earlier": before is not None,
        "reply_form": ReplyForm(),
        "thread_id": found.thread.id,
    }
    # "Show earlier" swaps the older page in place of its own link.
    partial = "support/_timeline_page.html" if before else None
    return _render(request, "support/thread_detail.html", context, partial=partial)


@require_http_methods(["GET", "POST"])
@login_required
def thread_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ThreadCreateForm(request.POST, user=request.user)
    else:
        form = ThreadCreateForm(user=request.user)
    if not form.organizations:
        return _render(request, "support/no_organisation.html", {})
    if request.method != "POST" or not form.is_valid():
        return _render(request, "support/thread_create.html", {"form": form})
    try:
        thread = services.thread_create(
            user=request.user,
            organization=form.chosen_organization,
            title=form.cleaned_data["title"],
            message=form.cleaned_data["message"],
            priority=form.cleaned_data["priority"],
        )
    except PlainMutationError as exc:
        _log_plain_failure(exc, action="opening a thread")
        add_plain_field_errors(form, exc.fields, fallback=plain_error_message(exc, sending=True))
        return _render(request, "support/thread_create.html", {"form": form})
    except PlainError as exc:
        _log_plain_failure(exc, action="opening a thread")
        form.add_error(None, plain_error_message(exc, sending=True))
        return _render(
            request, "support/thread_create.html", {"form": form}, status=PLAIN_UNAVAILABLE_STATUS
        )
    messages.success(request, "Your request has been sent. We will reply here.")
    return redirect("support:thread_detail", thread_id=thread.id)


@require_POST
@login_required
def thread_reply(request: HttpRequest, thread_id: str) -> HttpResponse:
    form = ReplyForm(request.POST)
    context: dict[str, Any] = {"reply_form": form, "thread_id": thread_id}
    try:
        # Access first: another organisation's thread is a 404 whatever the form holds.
        found = selectors.thread_get_for_user(
            user=request.user, thread_id=thread_id, timeline_size=1
        )
        context.update(_thread_context(found.thread))
        if not form.is_valid():
            return _reply_form_again(request, context, status=200)
        services.thread_reply(
            user=request.user, thread=found.thread, text=form.cleaned_data["text"]
        )
    except PlainMutationError as exc:
        _log_plain_failure(exc, action="replying")
        add_plain_field_errors(form, exc.fields, fallback=plain_error_message(exc, sending=True))
        return _reply_form_again(request, context, status=200)
    except PlainError as exc:
        _log_plain_failure(exc, action="replying")
        form.add_error(None, plain_error_message(exc, sending=True))
        return _reply_form_again(request, context, status=PLAIN_UNAVAILABLE_STATUS)
    if _is_partial(request):
        # The form comes back empty, and the new message joins the timeline out of band.
        sent = reply_item(
            text=form.cleaned_data["text"],
            author=request.user.get_full_name(),
            timestamp=timezone.now(),
        )
        return _render(
            request,
            "support/_reply_form.html",
            {**context, "reply_form": ReplyForm(), "sent_items": [sent]},
        )
    messages.success(request, "Your reply has been sent.")
    return redirect(reverse("support:thread_detail", args=[found.thread.id]) + "#reply")


def _reply_form_again(
    request: HttpRequest, context: dict[str, Any], *, status: int
) -> HttpResponse:
    """The reply form again, holding the text the user typed and saying what went wrong."""
    return _render(
        request,
        "support/thread_reply.html",
        context,
        partial="support/_reply_form.html",
        status=status,
    )


def _thread_status_change(request: HttpRequest, thread_id: str, *, resolve: bool) -> HttpResponse:
    action = "resolving a thread" if resolve else "reopening a thread"
    try:
        thread = selectors.thread_get_for_user(
            user=request.user, thread_id=thread_id, timeline_size=1
        ).thread
        if resolve:
            thread = services.thread_resolve(thread=thread)
        else:
            thread = services.thread_reopen(thread=thread)
    except PlainError as exc:
        if _is_partial(request):
            return _plain_unavailable(request, exc, action=action)
        _log_plain_failure(exc, action=action)
        messages.error(request, plain_error_message(exc, sending=False))
        return redirect("support:thread_detail", thread_id=thread_id)
    if _is_partial(request):
        return _render(request, "support/_thread_header.html", _thread_context(thread))
    messages.success(request, "Marked as resolved." if resolve else "Reopened.")
    return redirect("support:thread_detail", thread_id=thread.id)


@require_POST
@login_required
def thread_resolve(request: HttpRequest, thread_id: str) -> HttpResponse:
    return _thread_status_change(request, thread_id, resolve=True)


@require_POST
@login_required
def thread_reopen(request: HttpRequest, thread_id: str) -> HttpResponse:
    return _thread_status_change(request, thread_id, resolve=False)
