"""Reads from Plain for the customer-facing pages, and the one place that decides access.

Authorization comes from our database, asked again on every call: a thread is the user's when the
tenant Plain reports for it is one of the tenants of the organisations the user belongs to now.
Anything else (another organisation's thread, a thread with no tenant, a malformed id, an id Plain
does not know) raises the same Http404, so a response never tells whether a thread exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import Http404

from plain_gateway.types import PageInfo, Thread, ThreadWithTimeline
from portal.accounts.models import User
from portal.plain import get_plain_client
from portal.support.presentation import ThreadRow, thread_rows
from portal.tenancy.models import Organization
from portal.tenancy.selectors import organization_list_for_user

__all__ = [
    "PAGE_SIZE",
    "STATUS_TABS",
    "TIMELINE_PAGE_SIZE",
    "ThreadListing",
    "thread_get_for_user",
    "thread_list_for_user",
    "user_tenant_external_ids",
]

PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 50
# Tab name -> Plain statuses (None: every status). Snoozed threads are still open to a customer.
STATUS_TABS: dict[str, tuple[str, ...] | None] = {
    "open": ("TODO", "SNOOZED"),
    "done": ("DONE",),
    "all": None,
}
DEFAULT_STATUS_TAB = "open"

# Plain's thread ids are "th_" and a ULID; anything else never reaches Plain.
_THREAD_ID = re.compile(r"th_[0-9A-Za-z]{1,64}")
# Cursors are opaque, but a sane length keeps junk out of the request to Plain.
_MAX_CURSOR_LENGTH = 512


def user_tenant_external_ids(*, user: User) -> frozenset[str]:
    """The Plain tenant external ids of the user's current memberships (a fresh query)."""
    return frozenset(
        organization_list_for_user(user=user).values_list("tenant_external_id", flat=True)
    )


def _clean_cursor(cursor: str | None) -> str | None:
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        return None
    return cursor


@dataclass(frozen=True, slots=True)
class ThreadListing:
    """One page of the user's threads, ready for the list template."""

    status: str
    rows: list[ThreadRow]
    page_info: PageInfo
    # Cursors for the neighbouring pages (None when there is no such page).
    newer_cursor: str | None
    older_cursor: str | None
    organizations: list[Organization]

    @property
    def shows_organization(self) -> bool:
        return len(self.organizations) > 1


def thread_list_for_user(
    *, user: User, status: str | None, after: str | None = None, before: str | None = None
) -> ThreadListing | None:
    """One page of the threads of all the user's organisations, most recent activity first.

    One call to Plain, filtered by every tenant of the user. Returns None when the user belongs to
    no organisation (and then calls Plain not at all). `after` pages towards older threads,
    `before` towards newer ones; an unknown status means the default tab (open).
    """
    organizations = list(organization_list_for_user(user=user))
    if not organizations:
        return None
    tab = status if status in STATUS_TABS else DEFAULT_STATUS_TAB
    after, before = _clean_cursor(after), _clean_cursor(before)
    tenant_ids = [org.tenant_external_id for org in organizations]
    paging: dict[str, object] = (
        {"last": PAGE_SIZE, "before": before}
        if before and not after
        else {"first": PAGE_SIZE, "after": after}
    )
    page = get_plain_client().threads(
        tenant_external_ids=tenant_ids,
        statuses=STATUS_TABS[tab],
        sort_field="STATUS_CHANGED_AT",
        sort_direction="DESC",
        **paging,
    )
    allowed = set(tenant_ids)
    # Plain filtered by tenant already; checking again costs nothing and keeps the rule local.
    threads = [t for t in page.items if t.tenant is not None and t.tenant.external_id in allowed]
    names = (
        {org.tenant_external_id: org.name for org in organizations}
        if len(organizations) > 1
        else None
    )
    info = page.page_info
    # Relay servers may report hasPreviousPage=false when paging forward (and hasNextPage when
    # paging back); having come from a cursor proves the neighbouring page exists.
    has_newer = info.has_previous_page or bool(after)
    has_older = info.has_next_page or bool(before)
    return ThreadListing(
        status=tab,
        rows=thread_rows(threads, organization_names=names),
        page_info=info,
        newer_cursor=info.start_cursor if has_newer and threads else None,
        older_cursor=info.end_cursor if has_older and threads else None,
        organizations=organizations,
    )


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
    (plain_gateway.PlainError) propagate: they say nothing about the thread.
    """
    if not _THREAD_ID.fullmatch(thread_id or ""):
        raise Http404
    tenant_ids = user_tenant_external_ids(user=user)
    if not tenant_ids:
        raise Http404
    before = _clean_cursor(before)
    found = get_plain_client().thread(thread_id=thread_id, last=timeline_size, before=before)
    if found is None or not _belongs_to(found.thread, tenant_ids):
        raise Http404
    return found


def _belongs_to(thread: Thread, tenant_ids: frozenset[str]) -> bool:
    return thread.tenant is not None and thread.tenant.external_id in tenant_ids
