"""The customer-facing pages: thread list, thread page, new thread, reply, resolve and reopen,
attachment downloads, and the page of a saved (not yet sent) request or reply.

Views translate HTTP: they call a selector or a service and render a template, or for htmx the
partial that the page itself includes. When Plain fails they answer with a message and the
user's text kept, never with a 500; what a customer sends is saved first and, while Plain is
unwell, shown as waiting to be sent. No view waits on Plain longer than the request's budget
(PLAIN_REQUEST_BUDGET_SECONDS, portal.middleware); on POST nothing waits on it before the save.
Access is decided in selectors.thread_get_for_user, which every thread route calls first
(directly, or through the service or selector it calls).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header, parse_etags
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from plain_gateway import PlainError, PlainMutationError
from plain_gateway.types import Thread, ThreadWithTimeline
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.support import live, search, selectors, services
from portal.support.drafts import draft_take, login_required_keeping_draft
from portal.support.forms import ReplyForm, ThreadCreateForm, add_plain_field_errors
from portal.support.models import Submission
from portal.support.presentation import (
    opened_by,
    plain_error_message,
    priority_label,
    reply_item,
    request_answers,
    status_change_item,
    status_credits,
    status_label,
    status_tone,
    thread_list_rows,
    timeline_items,
)
from portal.support.selectors import RequestOptions
from portal.tenancy.selectors import organizations_of_user

logger = logging.getLogger(__name__)

# The status of a page that could not be completed because Plain failed.
PLAIN_UNAVAILABLE_STATUS = 503

# The list's orders (the `sort` parameter, selectors.THREAD_SORTS), in the customer's words.
THREAD_SORT_CHOICES = (
    ("activity", "Recently updated"),
    ("newest", "Newest"),
    ("priority", "Priority"),
)
SAVED_MESSAGE = "Saved - we'll send it as soon as our support system is reachable."
ATTACH_AGAIN = " Please attach your files again."
# A MIME type as Plain reports it; anything else is served as opaque bytes.


def _is_partial(request: HttpRequest) -> bool:
    """Whether to answer with a partial: an htmx request that is not a history restore."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


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


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; for htmx, one the browser follows as a whole page (HX-Redirect)."""
    if _is_partial(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


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


def _plain_failure_on_form(
    request: HttpRequest, form: forms.Form, exc: PlainError, *, action: str, had_files: bool
) -> int:
    """Say on `form` why Plain did not take what was sent; returns the status to answer with.

    A refusal (PlainMutationError) is the user's to mend: Plain's field errors go on the fields
    they name, and the answer is 200. Any other failure is a message and 503, or 200 for htmx,
    which swaps only 2xx answers. Either way chosen files must be chosen again (a form never
    keeps uploads), and the failure is logged without its message.
    """
    _log_plain_failure(exc, action=action)
    if isinstance(exc, PlainMutationError):
        add_plain_field_errors(form, exc.fields, fallback=plain_error_message(exc, sending=True))
        if had_files:
            form.add_error(None, ATTACH_AGAIN.strip())
        return 200
    form.add_error(
        None, plain_error_message(exc, sending=True) + (ATTACH_AGAIN if had_files else "")
    )
    return 200 if _is_partial(request) else PLAIN_UNAVAILABLE_STATUS


def _thread_context(thread: Thread) -> dict[str, Any]:
    label = status_label(thread)
    return {
        "thread": thread,
        "status": label,
        "status_tone": status_tone(thread, label=label),
        "priority": priority_label(thread.priority),
        "opened_by": opened_by(thread),
    }


def _timeline_items(request: AuthenticatedHttpRequest, found: ThreadWithTimeline) -> list[Any]:
    """The page of the timeline in `found` as the viewer reads it (status changes made in the
    portal credited to who made them)."""
    entries = found.timeline.items
    credits = status_credits(
        selectors.status_changes_for_timeline(thread_id=found.thread.id, entries=entries),
        viewer_id=request.user.pk,
    )
    return timeline_items(
        entries,
        thread=found.thread,
        starts_thread=not found.timeline.page_info.has_previous_page,
        credits=credits,
    )


def _request_options_for(thread: Thread) -> RequestOptions | None:
    """The workspace's questions, to show the thread's answers under: from the cache, and from
    Plain only when the cache is cold and the thread has something to show."""
    options = selectors.request_options_cached()
    if options is None and (thread.labels or thread.thread_fields):
        options = selectors.request_options_get()
    return options


def _thread_list_context(request: AuthenticatedHttpRequest) -> dict[str, Any] | HttpResponse:
    """The list page's context, or the page to answer with instead (no organisation, or Plain
    failed). The list's news token is read before Plain, so a page is never newer than it."""
    news = live.thread_list_news(user=request.user)
    typed = search.search_term_clean(request.GET.get("q"))
    try:
        listing = selectors.thread_list_for_user(
            user=request.user,
            status=request.GET.get("status"),
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            sort=request.GET.get("sort"),
            term=typed,
            organization=request.GET.get("org") or None,
        )
    except PlainError as exc:
        return _plain_unavailable(request, exc, action="listing threads")
    if listing is None:
        return _render(request, "support/no_organisation.html", {})
    # What the tabs, the pager and the poller carry along, so they stay within the search.
    kept = {"q": listing.term, "org": listing.organization.slug if listing.organization else ""}
    searched = {key: value for key, value in kept.items() if value}
    return {
        "listing": listing,
        # The questions from the cache only: a list view asks Plain one thing, its page.
        "rows": thread_list_rows(
            listing=listing,
            options=selectors.request_options_cached(),
            choices=selectors.request_choices_for_threads(
                thread_ids=[t.id for t in listing.threads if t.labels or t.thread_fields]
            ),
        ),
        "previews": search.search_index_list_page(threads=listing.threads),
        "search_typed": typed,
        "search_too_short": bool(typed) and not listing.term,
        "search_min_length": search.SEARCH_MIN_LENGTH,
        # ...and the order (`sort`); the order's own links carry the rest.
        "list_query": urlencode({**searched, "sort": listing.sort}),
        "search_query": urlencode(searched),
        "unread_ids": news.unread_ids,
        "list_version": news.version,
        "list_cursor": (
            ("after", request.GET["after"])
            if request.GET.get("after")
            else ("before", request.GET["before"])
            if request.GET.get("before")
            else None
        ),
        "tabs": (("open", "Open"), ("done", "Resolved"), ("all", "All")),
        "sorts": THREAD_SORT_CHOICES,
        "user_organizations": listing.organizations,
        # New requests not in Plain yet, atop the first page of the tabs they belong to.
        "pending_submissions": (
            selectors.submission_list_for_user(user=request.user)
            if listing.is_first_page and listing.status != "done" and not listing.term
            else []
        ),
    }


@require_GET
@login_required
def thread_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = _thread_list_context(request)
    if isinstance(context, HttpResponse):
        return context
    return _render(
        request, "support/thread_list.html", context, partial="support/_thread_list.html"
    )


def _unchanged(request: HttpRequest, *, etag: str, version: str) -> HttpResponse | None:
    """The answer to a check for news when nothing changed, else None: 304 to a conditional
    request holding the current ETag, 204 to one whose `v` is the current version (htmx, which
    does not swap a 204). Either way no body, and no call to Plain was made."""
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response: HttpResponse = HttpResponseNotModified()
    elif request.GET.get("v") == version:
        response = HttpResponse(status=204)
    else:
        return None
    return _live_headers(response, etag=etag)


def _live_headers(response: HttpResponse, *, etag: str) -> HttpResponse:
    response["ETag"] = etag
    # Revalidated every time, kept by no shared cache (it is one user's view).
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("HX-Request", "Cookie"))
    return response


@require_GET
@login_required
def thread_list_live(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The list's check for news: 204/304 from our database while nothing changed, else the
    list partial (read from Plain) with the new version in its poller."""
    version = live.thread_list_news(user=request.user).version
    unchanged = _unchanged(request, etag=f'"l{version}"', version=version)
    if unchanged is not None:
        return unchanged
    context = _thread_list_context(request)
    if isinstance(context, HttpResponse):
        # Plain failed or the user has no organisation any more: the page keeps what it shows.
        return _live_headers(HttpResponse(status=204), etag='"l-"')
    response = render(request, "support/_thread_list.html", context)
    return _live_headers(response, etag=f'"l{context["list_version"]}"')


@require_GET
@login_required
def thread_detail(request: AuthenticatedHttpRequest, thread_id: str) -> HttpResponse:
    before = request.GET.get("before") or None
    # Read before Plain is: the page is never newer than the version its poller carries.
    peek = live.thread_activity_peek(user=request.user, thread_id=thread_id)
    try:
        # Through the read cache; while Plain is down, the last known page, marked stale.
        thread_page = selectors.thread_page_for_user(
            user=request.user, thread_id=thread_id, before=before
        )
    except PlainError as exc:
        return _plain_unavailable(request, exc, action="reading a thread")
    found = thread_page.found
    live.thread_seen(user=request.user, thread=found.thread, peek=peek)
    page_info = found.timeline.page_info
    # Read only when there is something to show (a label or a field on the thread).
    choices = selectors.request_choices_for_threads(
        thread_ids=[found.thread.id] if found.thread.labels or found.thread.thread_fields else []
    )
    category, answers = request_answers(
        found.thread,
        options=_request_options_for(found.thread) if choices else None,
        choices=choices.get(found.thread.id),
    )
    items = _timeline_items(request, found)
    if thread_page.stale_as_of is None:
        # What the page shows becomes searchable (portal/support/search.py).
        search.search_index_page(
            thread=found.thread, items=items, entry_ids=(e.id for e in found.timeline.items)
        )
    context = {
        **_thread_context(found.thread),
        "category": category,
        "answers": answers,
        "stale_as_of": thread_page.stale_as_of,
        "items": items,
        "earlier_cursor": page_info.start_cursor if page_info.has_previous_page else None,
        "showing_earlier": before is not None,
        "reply_form": ReplyForm(),
        "thread_id": found.thread.id,
        "pending_replies": selectors.submission_list_for_thread(
            user=request.user, thread_id=found.thread.id
        ),
        "live_version": peek.version if peek is not None else 0,
    }
    if before is None:
        context.update(_draft_restored_on_thread(request))
    # "Show earlier" swaps the older page in place of its own link.
    partial = "support/_timeline_page.html" if before else None
    return _render(request, "support/thread_detail.html", context, partial=partial)


DRAFT_NOTICES = {
    "reply": "You were signed out before your reply was sent. It is below: send it now.",
    "resolve": "You were signed out before this request was marked as resolved; "
    "it was not changed.",
    "reopen": "You were signed out before this request was reopened; it was not changed.",
}


def _draft_restored_on_thread(request: HttpRequest) -> dict[str, Any]:
    """The reply form holding a draft kept over a login (portal.support.drafts), with a message
    saying what happened; nothing when there is no draft. An action is never replayed by a GET:
    the message says it was not done."""
    draft = draft_take(request, page=request.path)
    if draft is None:
        return {}
    action = str(draft.get("action") or "")
    notice = DRAFT_NOTICES.get(action, "")
    context: dict[str, Any] = {}
    if action == "reply":
        text = (draft.get("data") or {}).get("text") or [""]
        context["reply_form"] = ReplyForm(initial={"text": str(text[0])})
        if draft.get("had_files"):
            notice += ATTACH_AGAIN
    if notice:
        messages.warning(request, notice)
    return context


@require_GET
@login_required
def thread_live(request: AuthenticatedHttpRequest, thread_id: str) -> HttpResponse:
    """The thread page's check for news. Access and the activity stamp come from our database
    (Http404 as for any thread not the user's); unchanged is 204/304 with no call to Plain.
    Changed: the newest timeline page and the header, swapped out of band, and a poller with the
    new version. The reply form is not part of the answer, so what is typed stays."""
    peek = live.thread_news_check(user=request.user, thread_id=thread_id)
    version = peek.version
    etag = f'"t{version}"'
    unchanged = _unchanged(request, etag=etag, version=str(version))
    if unchanged is not None:
        return unchanged
    try:
        found = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
    except PlainError as exc:
        # The next check tries again; the page keeps what it shows.
        _log_plain_failure(exc, action="checking a thread for news")
        return _live_headers(HttpResponse(status=204), etag='"t-"')
    live.thread_seen(user=request.user, thread=found.thread, peek=peek)
    page_info = found.timeline.page_info
    context = {
        **_thread_context(found.thread),
        "items": _timeline_items(request, found),
        "earlier_cursor": page_info.start_cursor if page_info.has_previous_page else None,
        "thread_id": found.thread.id,
        "live_version": version,
    }
    return _live_headers(render(request, "support/_thread_live.html", context), etag=etag)


def _create_form_again(
    request: AuthenticatedHttpRequest, *, options: RequestOptions | None
) -> ThreadCreateForm:
    """The posted new-request form, validated against the questions as known now."""
    form = ThreadCreateForm(request.POST, request.FILES, user=request.user, options=options)
    form.is_valid()
    return form


def _draft_restored_on_create(request: HttpRequest) -> dict[str, Any] | None:
    """The new-request form's initial values from a draft kept over a login, with a message;
    None when there is none. The form checks them again when it is sent."""
    draft = draft_take(request, page=request.path)
    if draft is None:
        return None
    data = draft.get("data") or {}
    initial = {name: values[0] for name, values in data.items() if values}
    notice = "You were signed out before your request was sent. It is below: send it now."
    messages.warning(request, notice + (ATTACH_AGAIN if draft.get("had_files") else ""))
    return initial


@require_http_methods(["GET", "POST"])
@login_required_keeping_draft(page="support:thread_create", action="create")
def thread_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not organizations_of_user(user=request.user):
        # Before anything is asked of Plain: there is nothing to ask for.
        return _render(request, "support/no_organisation.html", {})
    if request.method == "POST":
        # Nothing may wait on Plain before the request is saved: the questions come from the
        # cache alone, and with none cached the answers are kept as posted and checked at
        # delivery (services.thread_submit).
        options = selectors.request_options_cached()
        form = ThreadCreateForm(request.POST, request.FILES, user=request.user, options=options)
    else:
        form = ThreadCreateForm(
            user=request.user,
            options=selectors.request_options_get(),
            initial=_draft_restored_on_create(request),
        )
    if request.method != "POST" or not form.is_valid():
        if not form.options_known:
            # Refused, so nothing is saved and the questions may be read now: the form comes
            # back with them and the answers as typed.
            form = _create_form_again(request, options=selectors.request_options_get())
        return _render(request, "support/thread_create.html", {"form": form})
    files = form.cleaned_data.get("attachments") or []
    try:
        result = services.thread_submit(
            user=request.user,
            organization=form.chosen_organization,
            title=form.cleaned_data["title"],
            message=form.cleaned_data["message"],
            priority=form.cleaned_data["priority"],
            label_type_ids=form.label_type_ids(),
            thread_fields=form.thread_field_inputs(),
            files=files,
            posted_request_fields=None if form.options_known else form.posted_request_fields(),
            form_key=form.cleaned_data.get("form_key"),
        )
    except services.RequestFieldsInvalid:
        # The questions are known now (read at delivery): the same form, with them, says what.
        form = _create_form_again(request, options=selectors.request_options_cached())
        if files:
            form.add_error(None, ATTACH_AGAIN.strip())
        return _render(request, "support/thread_create.html", {"form": form})
    except PlainError as exc:
        status = _plain_failure_on_form(
            request, form, exc, action="opening a thread", had_files=bool(files)
        )
        return _render(request, "support/thread_create.html", {"form": form}, status=status)
    if result.duplicate:
        # The same form again: where the first sending of it is (its thread, or its saved
        # page while it is on its way, which leads to the thread once sent).
        submission = result.submission
        if submission.status == Submission.Status.DONE and submission.thread_id:
            return _redirect(request, reverse("support:thread_detail", args=[submission.thread_id]))
        return _redirect(request, reverse("support:submission_detail", args=[submission.key]))
    if result.is_pending:
        messages.info(request, SAVED_MESSAGE)
        return _redirect(
            request, reverse("support:submission_detail", args=[result.submission.key])
        )
    messages.success(request, "Your request has been sent. We will reply here.")
    return _redirect(request, reverse("support:thread_detail", args=[result.submission.thread_id]))


@require_POST
@login_required_keeping_draft(page="support:thread_detail", action="reply")
def thread_reply(request: AuthenticatedHttpRequest, thread_id: str) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)
    context: dict[str, Any] = {"reply_form": form, "thread_id": thread_id}
    if not form.is_valid():
        try:
            # Access first: another organisation's thread is a 404 whatever the form holds.
            found = selectors.thread_get_for_user(
                user=request.user, thread_id=thread_id, timeline_size=1
            )
        except PlainError as exc:
            _log_plain_failure(exc, action="replying")
            form.add_error(None, plain_error_message(exc, sending=True))
            return _reply_form_again(request, context, status=PLAIN_UNAVAILABLE_STATUS)
        context.update(_thread_context(found.thread))
        context["pending_replies"] = selectors.submission_list_for_thread(
            user=request.user, thread_id=found.thread.id
        )
        return _reply_form_again(request, context, status=200)
    files = form.cleaned_data.get("attachments") or []
    try:
        # Saves the reply, then checks access (Http404 for a thread not the user's) and sends it.
        result = services.reply_submit(
            user=request.user, thread_id=thread_id, text=form.cleaned_data["text"], files=files
        )
    except PlainError as exc:
        status = _plain_failure_on_form(
            request, form, exc, action="replying", had_files=bool(files)
        )
        return _reply_form_again(request, context, status=status)
    if result.thread is not None:
        context.update(_thread_context(result.thread))
    if _is_partial(request):
        # The form comes back empty. A sent message joins the timeline out of band; a saved one
        # is listed (with any others) as waiting to be sent.
        context.update(
            {
                "reply_form": ReplyForm(),
                "pending_replies": selectors.submission_list_for_thread(
                    user=request.user, thread_id=thread_id
                ),
            }
        )
        if result.is_pending:
            context["saved_notice"] = SAVED_MESSAGE
        else:
            # The header's status moved with the reply ("Waiting for support", a resolved
            # thread reopened): it is read again and swapped out of band.
            context["header_oob"] = _thread_after_write(request, thread_id)
            context["sent_items"] = [
                reply_item(
                    text=form.cleaned_data["text"],
                    author=request.user.get_full_name(),
                    timestamp=timezone.now(),
                    attachments=result.submission.sent_attachments,
                    thread_id=thread_id,
                )
            ]
        return _render(request, "support/_reply_form.html", context)
    if result.is_pending:
        messages.info(request, SAVED_MESSAGE)
        return redirect("support:submission_detail", key=result.submission.key)
    messages.success(request, "Your reply has been sent.")
    return redirect(reverse("support:thread_detail", args=[thread_id]) + "#reply")


def _thread_after_write(request: AuthenticatedHttpRequest, thread_id: str) -> dict[str, Any]:
    """The header's context for the thread as Plain has it after a write of ours; {} when
    Plain cannot say now (the page's check for news brings it later)."""
    try:
        found = selectors.thread_get_for_user(
            user=request.user, thread_id=thread_id, timeline_size=1
        )
    except PlainError as exc:
        _log_plain_failure(exc, action="reading a thread after a reply")
        return {}
    return _thread_context(found.thread)


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


@require_GET
@login_required
def submission_detail(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """A saved request or reply of the user's: waiting to be sent, or not sent. Once Plain has
    it, the page leads to the thread. Our database only: a GET never delivers (the workers do)."""
    submission = selectors.submission_get_for_user(user=request.user, key=key)
    if submission.status == Submission.Status.DONE and submission.thread_id:
        url = reverse("support:thread_detail", args=[submission.thread_id])
        return redirect(url + ("#reply" if submission.kind == Submission.Kind.REPLY else ""))
    return _render(request, "support/submission_detail.html", {"submission": submission})


@require_GET
@login_required
def attachment_download(
    request: AuthenticatedHttpRequest, thread_id: str, attachment_id: str
) -> HttpResponse:
    """The file, streamed through the portal after the thread's access check.

    Served from here rather than by redirecting to Plain's signed URL: access is checked at
    every download (a URL handed to the browser would work for an hour, for anyone holding it,
    after a membership ends), the embedded emulator's URLs are not reachable by browsers, and
    our headers (download, never rendered inline; nosniff; no caching) apply. Attachments are
    6 MB at most, so relaying them costs little.
    """
    try:
        attachment = selectors.attachment_get_for_user(
            user=request.user, thread_id=thread_id, attachment_id=attachment_id
        )
        content = selectors.attachment_content_get(attachment=attachment)
    except PlainError as exc:
        return _plain_unavailable(request, exc, action="downloading an attachment")
    mime_type = (
        attachment.mime_type if services.MIME_TYPE.fullmatch(attachment.mime_type or "") else ""
    )
    response = HttpResponse(content, content_type=mime_type or "application/octet-stream")
    response["Content-Disposition"] = (
        content_disposition_header(
            as_attachment=True, filename=attachment.file_name or attachment.id
        )
        or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _thread_status_change(
    request: AuthenticatedHttpRequest, thread_id: str, *, resolve: bool
) -> HttpResponse:
    action = "resolving a thread" if resolve else "reopening a thread"
    try:
        thread = selectors.thread_get_for_user(
            user=request.user, thread_id=thread_id, timeline_size=1
        ).thread
        if resolve:
            thread = services.thread_resolve(thread=thread, by=request.user)
        else:
            thread = services.thread_reopen(thread=thread, by=request.user)
    except PlainError as exc:
        if _is_partial(request):
            return _plain_unavailable(request, exc, action=action)
        _log_plain_failure(exc, action=action)
        messages.error(request, plain_error_message(exc, sending=False))
        return redirect("support:thread_detail", thread_id=thread_id)
    done_message = "Marked as resolved." if resolve else "Reopened."
    if _is_partial(request):
        # The header, and out of band: the change in the timeline (credited to the viewer, as
        # the page will show it from Plain) and the confirmation in the message area.
        context = {
            **_thread_context(thread),
            "status_items": [
                status_change_item(
                    resolved=resolve, author="You", timestamp=thread.status_changed_at
                )
            ],
            "done_message": done_message,
        }
        return _render(request, "support/_thread_status_changed.html", context)
    messages.success(request, done_message)
    return redirect("support:thread_detail", thread_id=thread.id)


@require_POST
@login_required_keeping_draft(page="support:thread_detail", action="resolve")
def thread_resolve(request: AuthenticatedHttpRequest, thread_id: str) -> HttpResponse:
    return _thread_status_change(request, thread_id, resolve=True)


@require_POST
@login_required_keeping_draft(page="support:thread_detail", action="reopen")
def thread_reopen(request: AuthenticatedHttpRequest, thread_id: str) -> HttpResponse:
    return _thread_status_change(request, thread_id, resolve=False)
