"""The help center pages: the index (and search, `?q=`), an article, and title suggestions.

Every page needs a signed-in user; what they may read is decided in selectors. When Plain fails
the pages say so (503), never a 500; the suggestions partial, an extra, is then just empty.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from plain_gateway import PlainError
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.helpcenter import selectors, services
from portal.support.markdown import html_to_safe_html
from portal.support.presentation import plain_error_message

logger = logging.getLogger(__name__)

PLAIN_UNAVAILABLE_STATUS = 503
SUGGEST_SOURCE = "suggest"


def _unavailable(
    request: AuthenticatedHttpRequest, exc: PlainError, *, action: str
) -> HttpResponse:
    # The class and Plain's request id trace it; the message might quote the request.
    logger.warning(
        "Plain call failed while %s: %s (request id %s)",
        action,
        type(exc).__name__,
        getattr(exc, "request_id", None),
    )
    context = {"error_message": plain_error_message(exc, sending=False)}
    return render(
        request, "support/plain_unavailable.html", context, status=PLAIN_UNAVAILABLE_STATUS
    )


@require_GET
@login_required
def help_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    term = selectors.search_term_clean(request.GET.get("q", ""))
    try:
        if term:
            context = {
                "term": term,
                "too_short": len(term) < selectors.SEARCH_MIN_LENGTH,
                "results": selectors.help_search_for_user(user=request.user, term=term),
            }
        else:
            context = {"sections": selectors.help_sections_for_user(user=request.user)}
    except PlainError as exc:
        return _unavailable(request, exc, action="reading the help center")
    return render(request, "helpcenter/index.html", {"term": term, **context})


@require_GET
@login_required
def help_article(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    try:
        article = selectors.help_article_for_user(user=request.user, slug=slug)
    except PlainError as exc:
        return _unavailable(request, exc, action="reading a help article")
    if article is None:
        raise Http404("No such article")
    if request.GET.get("from") == SUGGEST_SOURCE:
        services.suggestion_open_record(user=request.user, article=article)
        # To the plain address, so a reload or a shared link does not count the opening again.
        return redirect(reverse("helpcenter:article", args=[article.slug]))
    return render(
        request,
        "helpcenter/article.html",
        {"article": article, "content": html_to_safe_html(article.content_html)},
    )


@require_GET
@login_required
def help_suggest(request: AuthenticatedHttpRequest) -> HttpResponse:
    # The new-request form's title field sends itself as `title`; `q` is the documented name.
    title = request.GET.get("q") or request.GET.get("title") or ""
    try:
        suggestions = selectors.help_suggestions_for_user(user=request.user, title=title)
    except PlainError as exc:
        logger.warning("Plain call failed while suggesting articles: %s", type(exc).__name__)
        suggestions = []
    return render(request, "helpcenter/_suggestions.html", {"suggestions": suggestions})
