"""Pages that stay live: the per-thread activity stamp, per-user unread state, and the check for
news that an open page polls.

The check is answered from our database alone: the thread's stamp (ThreadActivity.version,
bumped by the webhook that brings news: portal.activity.handlers) against the version the page
was rendered with. Only when they differ does the view read Plain to render what changed. The
access rule is the one of selectors.thread_get_for_user, asked of our database: the thread's
organisation (recorded beside its stamp) must be one the user belongs to now; anything else,
including a thread the portal holds no stamp for, is the same Http404.

Unread marks are set for an organisation's members when news arrives, never for the one who
made it, and cleared when the user views the thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.http import Http404

from plain_gateway.types import Thread
from portal.accounts.models import User
from portal.activity.models import ThreadActivity, UnreadThread
from portal.tenancy.models import Membership, Organization
from portal.tenancy.selectors import organizations_of_user

__all__ = [
    "ActivityPeek",
    "ListNews",
    "thread_activity_peek",
    "thread_list_news",
    "thread_news_check",
    "thread_news_record",
    "thread_organization_for_user",
    "thread_organization_recorded",
    "thread_seen",
    "thread_unread_mark",
]


# === selectors =================================================================================


@dataclass(frozen=True, slots=True)
class ActivityPeek:
    """What our database holds about a thread for one user, read in one query."""

    version: int
    organization_id: int
    unread: bool


def thread_activity_peek(*, user: User, thread_id: str) -> ActivityPeek | None:
    """The thread's activity stamp, its recorded organisation and whether it is unread for
    `user` (None when nothing is recorded). No access check: read it before the thread is read
    from Plain, so a page is never newer than the version it carries."""
    return _peek(user_id=user.pk, thread_id=thread_id)


def _peek(*, user_id: int, thread_id: str) -> ActivityPeek | None:
    """One statement written out rather than an ORM query: every thread view and every check
    for news runs it, and building the annotated queryset cost twenty times what the database
    takes to answer. thread_id is unique, so there is one row or none. Every value is a
    parameter."""
    quote = connection.ops.quote_name
    activity, unread = ThreadActivity._meta.db_table, UnreadThread._meta.db_table
    sql = (
        f"SELECT a.{quote('version')}, a.{quote('organization_id')}, "  # noqa: S608 - _meta
        f"EXISTS(SELECT 1 FROM {quote(unread)} u WHERE u.{quote('thread_id')} = "
        f"a.{quote('thread_id')} AND u.{quote('user_id')} = %s) "
        f"FROM {quote(activity)} a WHERE a.{quote('thread_id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, thread_id])
        row = cursor.fetchone()
    # SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
    return ActivityPeek(int(row[0]), int(row[1]), bool(row[2])) if row is not None else None


def thread_news_check(*, user: User, thread_id: str) -> ActivityPeek:
    """The thread's record (activity stamp first), for a user allowed to see it by our database
    now; Http404 otherwise (also for a thread the portal has no record of). One query; never
    calls Plain."""
    org_ids = [org.pk for org in organizations_of_user(user=user)]
    peek = _peek(user_id=user.pk, thread_id=thread_id)
    if peek is None or peek.organization_id not in org_ids:
        raise Http404
    return peek


@dataclass(frozen=True, slots=True)
class ListNews:
    """The list page's news token (changes whenever a thread of the user's organisations has
    news or the user's unread marks change) and the user's unread thread ids."""

    version: str
    unread_ids: frozenset[str]


def thread_list_news(*, user: User) -> ListNews:
    """The user's ListNews, from our database in one query (none without an organisation)."""
    org_ids = sorted(org.pk for org in organizations_of_user(user=user))
    total, unread_ids = _news_read(user_id=user.pk, org_ids=org_ids) if org_ids else (0, [])
    marks = hashlib.blake2b("\n".join(sorted(unread_ids)).encode(), digest_size=6).hexdigest()
    return ListNews(
        version=f"{'-'.join(map(str, org_ids))}.{total}.{marks}", unread_ids=frozenset(unread_ids)
    )


def _news_read(*, user_id: int, org_ids: list[int]) -> tuple[int, list[str]]:
    """The sum of the organisations' activity stamps and the user's unread thread ids in them.

    One statement written out rather than two ORM queries: every list view (and every check for
    news on it) runs this, and building the two querysets cost ten times what SQLite takes to
    answer them. The one-row sum is left-joined to the unread marks, so it comes back when there
    are none (then with a NULL thread id). Plain SQL that SQLite and PostgreSQL both speak; every
    value is a parameter.
    """
    quote = connection.ops.quote_name
    activity, unread = ThreadActivity._meta.db_table, UnreadThread._meta.db_table
    in_orgs = ", ".join(["%s"] * len(org_ids))
    sql = (
        f"SELECT t.total, u.{quote('thread_id')} FROM ("  # noqa: S608 - names from _meta
        f"SELECT COALESCE(SUM({quote('version')}), 0) AS total FROM {quote(activity)} "
        f"WHERE {quote('organization_id')} IN ({in_orgs})) t "
        f"LEFT JOIN {quote(unread)} u ON u.{quote('user_id')} = %s "
        f"AND u.{quote('organization_id')} IN ({in_orgs})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*org_ids, user_id, *org_ids])
        rows = cursor.fetchall()
    return int(rows[0][0]), [thread_id for _, thread_id in rows if thread_id is not None]


def thread_organization_recorded(*, thread_id: str) -> Organization | None:
    """The organisation recorded beside the thread's stamp (None when nothing is recorded)."""
    activity = ThreadActivity.objects.filter(thread_id=thread_id).select_related("organization")
    found = activity.first()
    return found.organization if found is not None else None


def thread_organization_for_user(*, user: User, thread: Thread) -> Organization | None:
    """The user's organisation that `thread` (read from Plain, access already checked) is in."""
    tenant = thread.tenant.external_id if thread.tenant is not None else None
    return next(
        (org for org in organizations_of_user(user=user) if org.tenant_external_id == tenant),
        None,
    )


# === services ==================================================================================


def thread_seen(*, user: User, thread: Thread, peek: ActivityPeek | None) -> None:
    """The user has just been shown `thread` (its access checked against Plain's tenant), whose
    record read before was `peek`: its unread mark goes, and its organisation is recorded beside
    its stamp so later checks for news decide access from our database. Usually no query."""
    organization = thread_organization_for_user(user=user, thread=thread)
    if organization is None:
        return
    if peek is None:
        ThreadActivity.objects.get_or_create(
            thread_id=thread.id, defaults={"organization": organization}
        )
    elif peek.organization_id != organization.pk:
        ThreadActivity.objects.filter(thread_id=thread.id).update(organization=organization)
    if peek is None or peek.unread:
        UnreadThread.objects.filter(user=user, thread_id=thread.id).delete()


def thread_news_record(*, thread_id: str, organization: Organization | None) -> None:
    """News on the thread: its stamp moves on. With no organisation (an echo of the portal's
    own write, which is not routed) only a thread already recorded is stamped."""
    with transaction.atomic():
        updates: dict[str, object] = {"version": F("version") + 1}
        if organization is not None:
            updates["organization"] = organization
        if ThreadActivity.objects.filter(thread_id=thread_id).update(**updates):
            return
        if organization is not None:
            ThreadActivity.objects.get_or_create(
                thread_id=thread_id, defaults={"organization": organization, "version": 1}
            )


def thread_unread_mark(
    *, thread_id: str, organization: Organization, actor_customer_id: str | None = None
) -> int:
    """Mark the thread unread for the organisation's members, except the customer who made the
    news (`actor_customer_id`, a Plain customer id). Returns how many members were marked."""
    members = Membership.objects.filter(organization=organization).select_related("user")
    users = [
        m.user
        for m in members
        if not (actor_customer_id and m.user.plain_customer_id == actor_customer_id)
    ]
    UnreadThread.objects.bulk_create(
        [UnreadThread(user=u, thread_id=thread_id, organization=organization) for u in users],
        ignore_conflicts=True,
    )
    return len(users)
