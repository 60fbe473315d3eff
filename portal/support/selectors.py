"""Reads for the customer-facing pages, and the one place that decides access.

Authorization comes from our database, asked again on every call: a thread is the user's when the
tenant Plain reports for it is one of the tenants of the organisations the user belongs to now.
Anything else (another organisation's thread, a thread with no tenant, a malformed id, an id Plain
does not know) raises the same Http404, so a response never tells whether a thread exists.
`thread_get_for_user` is that check; everything that reads or changes a thread, or one of its
attachments, goes through it.

The list and the thread page read through the read cache (portal/support/cache.py): a warm
view asks Plain nothing, and while Plain is down they show the last known content, marked stale.
The access check runs on what the cache returns exactly as on what Plain returns.

Also here: the workspace's request options (categories and thread fields, cached briefly) and the
user's own saved submissions (our database only).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import BadRequest
from django.db import connection
from django.http import Http404
from django.utils import timezone

from plain_gateway import PlainBadUserInputError, PlainError, iter_items, limits
from plain_gateway.ids import id_pattern
from plain_gateway.types import (
    Attachment,
    LabelType,
    Page,
    PageInfo,
    SortDirection,
    StatusChangeEntry,
    Thread,
    ThreadFieldSchema,
    ThreadsSortField,
    ThreadStatus,
    ThreadWithTimeline,
    TimelineEntry,
)
from portal.accounts.models import User
from portal.plain import get_plain_client
from portal.support import cache as read_cache
from portal.support import search
from portal.support.models import PortalStatusChange, RequestChoices, Submission
from portal.support.presentation import STATUS_CREDIT_WINDOW
from portal.tenancy.models import Organization
from portal.tenancy.selectors import organizations_of_user

__all__ = [
    "PAGE_SIZE",
    "REQUEST_OPTIONS_CACHE_KEY",
    "STATUS_TABS",
    "THREAD_SORTS",
    "TIMELINE_PAGE_SIZE",
    "RequestOptions",
    "ThreadListing",
    "ThreadPage",
    "attachment_content_get",
    "attachment_get_for_user",
    "request_choices_for_threads",
    "request_options_cached",
    "request_options_fetch",
    "request_options_get",
    "status_changes_for_timeline",
    "submission_get_for_user",
    "submission_list_for_thread",
    "submission_list_for_user",
    "thread_get_for_user",
    "thread_list_for_user",
    "thread_page_for_user",
    "user_tenant_external_ids",
]

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = limits.TIMELINE_PAGE_SIZE
# Tab name -> Plain statuses (None: every status). Snoozed threads are still open to a customer.
STATUS_TABS: dict[str, tuple[ThreadStatus, ...] | None] = {
    "open": (ThreadStatus.TODO, ThreadStatus.SNOOZED),
    "done": (ThreadStatus.DONE,),
    "all": None,
}
DEFAULT_STATUS_TAB = "open"
# The list's orders (the `sort` parameter) -> Plain's sort. Plain sorts threads by when their
# status changed, when they were made, their priority, their last inbound message, their SLA or
# a thread field: nothing sorts by the last message either way, so "activity" is the last status
# change, and each row shows the moment its list is sorted by (presentation.thread_rows).
THREAD_SORTS: dict[str, tuple[ThreadsSortField, SortDirection]] = {
    "activity": (ThreadsSortField.STATUS_CHANGED_AT, SortDirection.DESC),
    "newest": (ThreadsSortField.CREATED_AT, SortDirection.DESC),
    # Plain's priority 0 is Urgent: ascending puts the most urgent first.
    "priority": (ThreadsSortField.PRIORITY, SortDirection.ASC),
}
DEFAULT_THREAD_SORT = "activity"

# Plain's thread ids are "th_" and a ULID; anything else never reaches Plain (the routes check
# the same shape; this guards the callers that are not views, such as a reply's delivery).
_THREAD_ID = re.compile(id_pattern("th"))
# Cursors are opaque, but a sane length keeps junk out of the request to Plain.
_MAX_CURSOR_LENGTH = 512


def user_tenant_external_ids(*, user: User) -> frozenset[str]:
    """The Plain tenant external ids of the user's current memberships (read once a request)."""
    return frozenset(org.tenant_external_id for org in organizations_of_user(user=user))


def _clean_cursor(cursor: str | None) -> str | None:
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        return None
    return cursor


@dataclass(frozen=True, slots=True)
class ThreadListing:
    """One page of the user's threads (data; presentation.thread_list_rows makes the rows)."""

    status: str
    threads: tuple[Thread, ...]
    page_info: PageInfo
    # Cursors for the neighbouring pages (None when there is no such page).
    newer_cursor: str | None
    older_cursor: str | None
    organizations: list[Organization]
    # The search term the threads matched ("" for none) and the organisation filtered to.
    term: str = ""
    organization: Organization | None = None
    # Whether this is the first page (no cursor given, or a refused one ignored).
    is_first_page: bool = True
    # When Plain could not be asked: the time of the last known content shown instead.
    stale_as_of: datetime | None = None
    # The order (a key of THREAD_SORTS).
    sort: str = DEFAULT_THREAD_SORT

    @property
    def shows_organization(self) -> bool:
        return len(self.organizations) > 1


def thread_list_for_user(
    *,
    user: User,
    status: str | None,
    after: str | None = None,
    before: str | None = None,
    sort: str | None = None,
    term: str = "",
    organization: str | None = None,
) -> ThreadListing | None:
    """One page of the threads of all the user's organisations, in the order `sort` names
    (THREAD_SORTS; an unknown one means the default, the last status change first).

    Through the read cache, keyed by the user's tenants (each tenant's lists are invalidated by
    its threads' events): warm, no call to Plain; cold, one. Returns None when the user belongs to
    no organisation (and then calls Plain not at all). `after` pages towards older threads,
    `before` towards newer ones; an unknown status means the default tab (open). While Plain is
    down the last known page is returned with `stale_as_of` set.

    `organization` (a slug) narrows the list to that one of the user's organisations; any other
    slug, another organisation's or none's, raises Http404 alike. `term` (search.search_term_clean
    first; under search.SEARCH_MIN_LENGTH characters it is ignored) keeps the threads whose
    visible content holds it, found in our own index (portal/support/search.py): no hit, no
    call to Plain; else one, for those threads within the user's tenants and the tab.
    """
    organizations = list(organizations_of_user(user=user))
    if not organizations:
        return None
    chosen: Organization | None = None
    if organization:
        chosen = next((org for org in organizations if org.slug == organization), None)
        if chosen is None:
            raise Http404
    tab = status if status in STATUS_TABS else DEFAULT_STATUS_TAB
    order = sort if sort in THREAD_SORTS else DEFAULT_THREAD_SORT
    after, before = _clean_cursor(after), _clean_cursor(before)
    tenant_ids = sorted(org.tenant_external_id for org in ([chosen] if chosen else organizations))
    term = search.search_term_clean(term)
    if len(term) < search.SEARCH_MIN_LENGTH:
        term = ""
    hits: list[str] | None = None
    if term:
        hits = search.search_thread_ids(tenant_ids=tenant_ids, term=term)
        if not hits:
            return ThreadListing(
                status=tab,
                threads=(),
                page_info=PageInfo(
                    has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
                ),
                newer_cursor=None,
                older_cursor=None,
                organizations=organizations,
                term=term,
                organization=chosen,
                is_first_page=not (after or before),
                sort=order,
            )
    read = read_cache.read_through(
        kind="thread-list" if hits is None else "thread-search",
        scopes=[read_cache.tenant_scope(tenant_id) for tenant_id in tenant_ids],
        params=(tuple(tenant_ids), tab, after, before, order, tuple(hits or ())),
        fetch=functools.partial(
            _thread_list_fetch,
            tenant_ids=tenant_ids,
            tab=tab,
            after=after,
            before=before,
            order=order,
            thread_ids=hits,
        ),
    )
    page, after, before = read.value
    allowed = set(tenant_ids)
    # Plain filtered by tenant already; checking again costs nothing and keeps the rule local
    # (and holds for a cached page as for a fresh one).
    threads = [t for t in page.items if t.tenant is not None and t.tenant.external_id in allowed]
    info = page.page_info
    # Relay servers may report hasPreviousPage=false when paging forward (and hasNextPage when
    # paging back); having come from a cursor proves the neighbouring page exists.
    has_newer = info.has_previous_page or bool(after)
    has_older = info.has_next_page or bool(before)
    return ThreadListing(
        status=tab,
        threads=tuple(threads),
        page_info=info,
        newer_cursor=info.start_cursor if has_newer and threads else None,
        older_cursor=info.end_cursor if has_older and threads else None,
        organizations=organizations,
        term=term,
        organization=chosen,
        is_first_page=not (after or before),
        stale_as_of=read.stale_as_of,
        sort=order,
    )


def _thread_list_fetch(
    *,
    tenant_ids: list[str],
    tab: str,
    after: str | None,
    before: str | None,
    order: str = DEFAULT_THREAD_SORT,
    thread_ids: list[str] | None = None,
) -> tuple[Page[Thread], str | None, str | None]:
    """One page from Plain, and the cursors it was read with (None when Plain refused one)."""
    threads_page = functools.partial(
        get_plain_client().threads,
        tenant_external_ids=tenant_ids,
        thread_ids=thread_ids,
        statuses=STATUS_TABS[tab],
        sort_field=THREAD_SORTS[order][0],
        sort_direction=THREAD_SORTS[order][1],
    )
    try:
        page = (
            threads_page(last=PAGE_SIZE, before=before)
            if before and not after
            else threads_page(first=PAGE_SIZE, after=after)
        )
    except PlainBadUserInputError:
        if not (after or before):
            raise
        # A cursor Plain did not make (edited, or from another list): the user's mistake, so
        # the first page, not an outage.
        logger.info("Ignored a thread-list cursor Plain refused; showing the first page")
        after = before = None
        page = threads_page(first=PAGE_SIZE)
    return page, after, before


def thread_get_for_user(
    *,
    user: User,
    thread_id: str,
    before: str | None = None,
    timeline_size: int = TIMELINE_PAGE_SIZE,
) -> ThreadWithTimeline:
    """The thread and one page of its timeline (the newest, or the one before `before`).

    Raises Http404 unless the thread belongs to a tenant of one of the user's organisations now.
    Every route that reads or changes a thread goes through here first. Errors talking to Plain
    (plain_gateway.PlainError) propagate: they say nothing about the thread. A `before` cursor
    Plain refuses is judged only after access: a thread not the user's is the same Http404 as
    ever, whatever the cursor; on the user's own thread it is BadRequest (a 400). The
    memberships are read here, never taken from the caller (once per request:
    tenancy.selectors.organizations_of_user).
    """
    if not _THREAD_ID.fullmatch(thread_id or ""):
        raise Http404
    tenant_ids = user_tenant_external_ids(user=user)
    if not tenant_ids:
        raise Http404
    before = _clean_cursor(before)
    client = get_plain_client()
    cursor_refused = False
    try:
        found = client.thread(thread_id=thread_id, last=timeline_size, before=before)
    except PlainBadUserInputError:
        if before is None:
            raise
        # Access first: without the cursor, so a refused cursor cannot tell another
        # organisation's thread (which Plain has) from an id Plain does not know.
        cursor_refused = True
        found = client.thread(thread_id=thread_id, last=1)
    if found is None or not _belongs_to(found.thread, tenant_ids):
        raise Http404
    if cursor_refused:
        logger.info("A timeline cursor Plain refused, on a thread the user may see")
        raise BadRequest("The link to earlier messages is not valid.")
    return found


def _belongs_to(thread: Thread, tenant_ids: frozenset[str]) -> bool:
    return thread.tenant is not None and thread.tenant.external_id in tenant_ids


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """What the thread page shows: the thread and a page of its timeline, and, when Plain could
    not be asked, the time of the last known content shown instead (`stale_as_of`)."""

    found: ThreadWithTimeline
    stale_as_of: datetime | None = None


def thread_page_for_user(*, user: User, thread_id: str, before: str | None = None) -> ThreadPage:
    """thread_get_for_user for the thread page, through the read cache (keyed by the thread;
    invalidated by its events): warm, no call to Plain; cold, one.

    The access check is thread_get_for_user's and runs on every call, on the cached thread as
    on a fresh one: its tenant against the user's memberships now. An id Plain does not know
    is never cached (Http404, as ever); a cursor Plain refuses goes to thread_get_for_user,
    which answers it as ever. While Plain is down the last known page is returned, stale.
    """
    if not _THREAD_ID.fullmatch(thread_id or ""):
        raise Http404
    tenant_ids = user_tenant_external_ids(user=user)
    if not tenant_ids:
        raise Http404
    before = _clean_cursor(before)

    try:
        read = read_cache.read_through(
            kind="thread",
            scopes=[read_cache.thread_scope(thread_id)],
            params=(thread_id, TIMELINE_PAGE_SIZE, before),
            fetch=lambda: get_plain_client().thread(
                thread_id=thread_id, last=TIMELINE_PAGE_SIZE, before=before
            ),
            keep=lambda found: found is not None,
        )
    except PlainBadUserInputError:
        if before is None:
            raise
        # A refused cursor: the uncached path judges it, access first.
        return ThreadPage(found=thread_get_for_user(user=user, thread_id=thread_id, before=before))
    found = read.value
    if found is None or not _belongs_to(found.thread, tenant_ids):
        raise Http404
    return ThreadPage(found=found, stale_as_of=read.stale_as_of)


# --- attachments ----------------------------------------------------------------------------------

# Plain's attachment ids ("att_" and a ULID); anything else never reaches Plain.
_ATTACHMENT_ID = re.compile(id_pattern("att"))
# How far back through a thread's timeline an attachment is looked for (pages of
# TIMELINE_PAGE_SIZE entries): a link on the thread page is found on the first page or soon after.
ATTACHMENT_SEARCH_MAX_PAGES = 20


def _visible_attachment(
    entries: tuple[TimelineEntry, ...], attachment_id: str
) -> Attachment | None:
    for entry in entries:
        if not entry.is_visible:
            continue
        for attachment in getattr(entry.entry, "attachments", ()):
            if attachment.id == attachment_id:
                return attachment
    return None


def attachment_get_for_user(*, user: User, thread_id: str, attachment_id: str) -> Attachment:
    """The attachment, when it is on a customer-visible entry of a thread the user may see.

    Access is thread_get_for_user's decision; then the attachment id must appear on a visible
    entry of that thread's timeline (paged backwards from the newest entry), so an id taken from
    the URL is never trusted on its own. Anything else raises the same Http404.
    """
    if not _ATTACHMENT_ID.fullmatch(attachment_id or ""):
        raise Http404
    found = thread_get_for_user(user=user, thread_id=thread_id)
    page = found.timeline
    for _ in range(ATTACHMENT_SEARCH_MAX_PAGES):
        attachment = _visible_attachment(page.items, attachment_id)
        if attachment is not None:
            return attachment
        if not page.page_info.has_previous_page or not page.page_info.start_cursor:
            break
        earlier = get_plain_client().thread(
            thread_id=found.thread.id,
            last=TIMELINE_PAGE_SIZE,
            before=page.page_info.start_cursor,
        )
        if earlier is None:
            break
        page = earlier.timeline
    raise Http404


def attachment_content_get(*, attachment: Attachment) -> bytes:
    """The attachment's bytes, fetched server-side from a fresh download URL.

    Only for an attachment from attachment_get_for_user. Plain calls making the URL a mutation;
    it changes nothing, so it is read here.
    """
    client = get_plain_client()
    url = client.create_attachment_download_url(attachment_id=attachment.id)
    return client.download_attachment(url=url)


# --- what the workspace asks of a new request -------------------------------------------------

REQUEST_OPTIONS_CACHE_KEY = "support:request-options:v1"
# The last good answer, for when Plain cannot be asked.
REQUEST_OPTIONS_STALE_KEY = "support:request-options:v1:stale"
# Set for a while after Plain failed to answer, so pages do not ask it on every view.
REQUEST_OPTIONS_FAILED_KEY = "support:request-options:v1:failed"
REQUEST_OPTIONS_TTL_SECONDS = 5 * 60
# As long as the read cache keeps the last known pages: an outage that long keeps the form whole.
REQUEST_OPTIONS_STALE_TTL_SECONDS = 7 * 24 * 60 * 60
# While Plain fails, ask again at most this often.
REQUEST_OPTIONS_FAILURE_TTL_SECONDS = 30
_OPTIONS_MAX_PAGES = 10
_OPTIONS_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """The categories (Plain's non-archived label types) and thread fields a request may carry."""

    label_types: tuple[LabelType, ...] = ()
    field_schemas: tuple[ThreadFieldSchema, ...] = ()


def request_options_get() -> RequestOptions:
    """The workspace's request options, for showing the form: from a cache shared by all users
    (5 minutes), else from Plain.

    They are workspace settings, alike for every customer, so one answer serves everyone. When
    Plain cannot be asked, the last good answer (a week old at most) or none: the form still works,
    with fewer questions; and Plain is not asked again for REQUEST_OPTIONS_FAILURE_TTL_SECONDS.
    """
    cached = cache.get(REQUEST_OPTIONS_CACHE_KEY)
    if cached is not None:
        return cached
    if cache.get(REQUEST_OPTIONS_FAILED_KEY) is None:
        try:
            return request_options_fetch()
        except PlainError as exc:
            logger.warning(
                "Could not read label types or thread fields from Plain: %s (request id %s)",
                type(exc).__name__,
                exc.request_id,
            )
            cache.set(REQUEST_OPTIONS_FAILED_KEY, True, REQUEST_OPTIONS_FAILURE_TTL_SECONDS)
    return cache.get(REQUEST_OPTIONS_STALE_KEY) or RequestOptions()


def request_options_cached() -> RequestOptions | None:
    """The request options from the cache alone (the fresh answer, else the last good one), or
    None when it holds neither. Never asks Plain: for a POST, which must not wait on Plain before
    its submission is saved (see views.thread_create)."""
    cached = cache.get(REQUEST_OPTIONS_CACHE_KEY)
    return cached if cached is not None else cache.get(REQUEST_OPTIONS_STALE_KEY)


def request_options_fetch() -> RequestOptions:
    """The request options as Plain has them now (the fresh cache, else Plain), cached.

    Raises PlainError when Plain cannot be asked: for delivering a request whose answers must
    be checked against the real questions, where "none" would drop them.
    """
    cached = cache.get(REQUEST_OPTIONS_CACHE_KEY)
    if cached is not None:
        return cached
    options = _request_options_fetch()
    cache.set(REQUEST_OPTIONS_CACHE_KEY, options, REQUEST_OPTIONS_TTL_SECONDS)
    cache.set(REQUEST_OPTIONS_STALE_KEY, options, REQUEST_OPTIONS_STALE_TTL_SECONDS)
    cache.delete(REQUEST_OPTIONS_FAILED_KEY)
    return options


def _request_options_fetch() -> RequestOptions:
    client = get_plain_client()
    label_types = [
        label_type
        for label_type in iter_items(
            lambda after: client.label_types(first=_OPTIONS_PAGE_SIZE, after=after),
            max_pages=_OPTIONS_MAX_PAGES,
        )
        if not label_type.is_archived
    ]
    schemas: list[ThreadFieldSchema] = list(
        iter_items(
            lambda after: client.thread_field_schemas(first=_OPTIONS_PAGE_SIZE, after=after),
            max_pages=_OPTIONS_MAX_PAGES,
        )
    )
    schemas.sort(key=lambda schema: (schema.order, schema.label.lower()))
    return RequestOptions(label_types=tuple(label_types), field_schemas=tuple(schemas))


# --- the user's saved submissions (our database only) --------------------------------------------

# A submission that could not be delivered stays in the user's view this long.
FAILED_SUBMISSION_VISIBLE_FOR = timedelta(days=14)


def _unsent(
    *, user: User, kind: str, thread_id: str | None = None, newest_first: bool
) -> list[Submission]:
    """The user's submissions of `kind` (to `thread_id`, when given) not in Plain: pending, or
    failed within FAILED_SUBMISSION_VISIBLE_FOR.

    Every list and thread view asks this, nearly always to find nothing, so the ids come from
    one statement written out (building the ORM's queryset cost ten times what the database
    takes to answer it; every value is a parameter), and only when there are some are their
    rows read, by the ORM, as the Submission instances a queryset gives.
    """
    quote = connection.ops.quote_name
    failed_since = connection.ops.adapt_datetimefield_value(
        timezone.now() - FAILED_SUBMISSION_VISIBLE_FOR
    )
    params: list[Any] = [user.pk, kind]
    for_thread = ""
    if thread_id is not None:
        for_thread = f"AND {quote('thread_id')} = %s "
        params.append(thread_id)
    params += [Submission.Status.PENDING.value, Submission.Status.FAILED.value, failed_since]
    order = "DESC" if newest_first else "ASC"
    sql = (
        f"SELECT {quote('id')} FROM {quote(Submission._meta.db_table)} "  # noqa: S608 - _meta
        f"WHERE {quote('user_id')} = %s AND {quote('kind')} = %s {for_thread}"
        f"AND ({quote('status')} = %s OR ({quote('status')} = %s "
        f"AND {quote('updated_at')} >= %s)) "
        f"ORDER BY {quote('created_at')} {order}, {quote('id')} {order}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    found = Submission.objects.in_bulk(ids)
    # In the statement's order (a row deleted in between is left out).
    return [found[pk] for pk in ids if pk in found]


def submission_list_for_user(*, user: User) -> list[Submission]:
    """The user's new requests not (yet) in Plain: pending, or failed lately. Newest first."""
    return _unsent(user=user, kind=Submission.Kind.THREAD.value, newest_first=True)


def submission_list_for_thread(*, user: User, thread_id: str) -> list[Submission]:
    """The user's replies to this thread not (yet) in Plain, oldest first.

    Only for a thread the caller has just had through thread_get_for_user.
    """
    return _unsent(
        user=user, kind=Submission.Kind.REPLY.value, thread_id=thread_id, newest_first=False
    )


def submission_get_for_user(*, user: User, key: str) -> Submission:
    """One of the user's own submissions; anyone else's (or none) is Http404."""
    submission = Submission.objects.filter(user=user, key=key).first()
    if submission is None:
        raise Http404
    return submission


def status_changes_for_timeline(
    *, thread_id: str, entries: Sequence[TimelineEntry]
) -> list[PortalStatusChange]:
    """The portal's own records of who resolved or reopened this thread, for crediting the
    machine user's status entries among `entries` (presentation.timeline_items). No query when
    no such entry is there. Only for a thread the caller has just had through
    thread_get_for_user."""
    moments = [
        entry.timestamp
        for entry in entries
        if entry.actor.kind == "machine_user"
        and isinstance(entry.entry, StatusChangeEntry)
        and entry.timestamp is not None
    ]
    if not moments:
        return []
    return list(
        PortalStatusChange.objects.filter(
            thread_id=thread_id,
            changed_at__gte=min(moments) - STATUS_CREDIT_WINDOW,
            changed_at__lte=max(moments) + STATUS_CREDIT_WINDOW,
        ).select_related("user")
    )


def request_choices_for_threads(*, thread_ids: Sequence[str]) -> dict[str, RequestChoices]:
    """What the customers chose when opening these threads in the portal, by thread id (one
    query; threads opened elsewhere have none). Only for threads the caller may show."""
    if not thread_ids:
        return {}
    return {
        choices.thread_id: choices
        for choices in RequestChoices.objects.filter(thread_id__in=list(thread_ids))
    }
