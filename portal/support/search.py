"""Search over what customers can see: our own index of each thread's visible content.

Why an index of our own rather than Plain's `searchThreads`: Plain does not say whether that
query matches internal notes (the emulator does, by default), and a hit proven afterwards
against the timeline still leaks through what surrounds it (a short page with a "next" link, a
count, a page of hits that all failed the proof). Here nothing but visible text is ever stored,
so a search cannot match anything else, and it costs Plain nothing: the ids come from our
database, then one `threads` call (threadIds within the user's tenants and the status tab,
through the read cache) reads the rows fresh, so status, tenant and title are Plain's of now.

What is stored (SearchThread, SearchText): the title, and the texts of the entries the thread
page shows, chosen by the same default-deny selection (presentation.timeline_items): chats,
emails of the customer's categories (subject and text, never BCC or addresses), custom entries'
titles and component texts, messages from other channels unless deleted. Never notes, internal
discussions, or anything the gateway parses as hidden. Beside it, the first line of the newest
visible message: the list's preview line, read in one query for a page of rows.

What feeds it: every thread page the portal reads (the newest page, and earlier ones on "show
earlier"), every list page (titles of threads not yet indexed), and Plain's thread events (the
handler reads the thread's newest page again on the worker, one call per event), plus
`manage.py search_index --rebuild` for threads from before the portal listened. Entries older
than the newest page of a thread nobody opened are found once someone reads them.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils.html import strip_tags

from plain_gateway import PlainClient, iter_items, limits
from plain_gateway.types import Page, Thread, ThreadWithTimeline
from portal.support.markdown import markdown_to_html
from portal.support.models import SearchText, SearchThread
from portal.support.presentation import (
    ComponentView,
    TimelineItem,
    thread_last_activity,
    timeline_items,
)

__all__ = [
    "SEARCH_MAX_HITS",
    "SEARCH_MAX_LENGTH",
    "SEARCH_MIN_LENGTH",
    "search_index_drop",
    "search_index_found",
    "search_index_list_page",
    "search_index_page",
    "search_index_rebuild",
    "search_index_refresh",
    "search_previews",
    "search_term_clean",
    "search_thread_ids",
]

logger = logging.getLogger(__name__)

# Plain's own minimum for searchThreads; shorter terms match too much to be useful.
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 200
# Each word must appear somewhere in the thread; more words than this are ignored.
SEARCH_MAX_WORDS = 8
# The most recently active hits a search reads from Plain (threadIds in one `threads` call).
SEARCH_MAX_HITS = 100
PREVIEW_MAX_LENGTH = 200
# One entry's searchable text is cut here: enough for any message a person writes.
TEXT_MAX_LENGTH = 20_000

# search_index_rebuild's bound per organisation.
REBUILD_MAX_THREADS = 2_000
_REBUILD_PAGE_SIZE = 50
# How long a page indexed as it is stays known as done (then one more check costs a few queries).
INDEXED_PAGE_MEMO_SECONDS = 24 * 60 * 60

_MESSAGE_KINDS = frozenset({"chat", "email", "custom", "message"})


def search_term_clean(term: str | None) -> str:
    """The term as searched: whitespace collapsed, at most SEARCH_MAX_LENGTH characters."""
    return " ".join((term or "").split())[:SEARCH_MAX_LENGTH]


def search_thread_ids(*, tenant_ids: Iterable[str], term: str) -> list[str]:
    """Ids of the indexed threads of these tenants whose title or visible entries hold every
    word of `term` (case-insensitive substrings), most recently active first, at most
    SEARCH_MAX_HITS. A term under SEARCH_MIN_LENGTH characters matches nothing."""
    term = search_term_clean(term)
    tenants = sorted(set(tenant_ids))
    if len(term) < SEARCH_MIN_LENGTH or not tenants:
        return []
    query = SearchThread.objects.filter(tenant_external_id__in=tenants)
    for word in term.casefold().split()[:SEARCH_MAX_WORDS]:
        in_texts = SearchText.objects.filter(folded__contains=word).values("thread_id")
        query = query.filter(Q(title_folded__contains=word) | Q(pk__in=in_texts))
    ordered = query.order_by("-activity_at", "-pk").values_list("thread_id", flat=True)
    return list(ordered[:SEARCH_MAX_HITS])


def search_previews(*, thread_ids: Iterable[str]) -> dict[str, str]:
    """thread id -> the first line of its newest visible message, for the threads that have
    one indexed (one query)."""
    rows = SearchThread.objects.filter(thread_id__in=set(thread_ids)).exclude(preview="")
    return dict(rows.values_list("thread_id", "preview"))


def search_index_list_page(*, threads: Sequence[Thread]) -> dict[str, str]:
    """Index the threads of a list page (title and tenant; a thread not indexed yet becomes
    findable by its title) and return their previews (thread id -> first line).

    One query when every thread is indexed and unchanged; writes only what differs.
    """
    wanted = {t.id: t for t in threads if t.tenant is not None}
    if not wanted:
        return {}
    known = {
        row[0]: row[1:]
        for row in SearchThread.objects.filter(thread_id__in=wanted).values_list(
            "thread_id", "title", "tenant_external_id", "preview"
        )
    }
    for thread_id, thread in wanted.items():
        assert thread.tenant is not None
        title, tenant = thread.title or "", thread.tenant.external_id
        if thread_id not in known:
            _thread_row_save(thread, activity_at=thread_last_activity(thread))
        elif known[thread_id][:2] != (title, tenant):
            SearchThread.objects.filter(thread_id=thread_id).update(
                title=title, title_folded=title.casefold(), tenant_external_id=tenant
            )
    return {thread_id: row[2] for thread_id, row in known.items() if row[2]}


def search_index_page(
    *, thread: Thread, items: Sequence[TimelineItem], entry_ids: Iterable[str]
) -> None:
    """Index one page of a thread's timeline as the thread page shows it: `items` are that
    page's presentation.timeline_items (the view passes the ones it renders), `entry_ids` the
    ids of every entry on the page, shown or not.

    Entries on the page that the page does not show with text (notes, internal discussions, a
    deleted message) lose any text stored for them; entries of other pages keep theirs. The
    preview moves only to a newer message, so reading an earlier page never rolls it back. A
    page indexed as it is now is not written again (a cache entry, no database query), so a
    view of an unchanged thread costs the index nothing.
    """
    if thread.tenant is None:
        search_index_drop(thread_id=thread.id)
        return
    on_page = set(entry_ids)
    texts = {item.id: text for item in items if (text := _item_text(item))}
    done_key = _page_key(thread, on_page, texts)
    if cache.get(done_key) is not None:
        return
    newest = _newest_message(items)
    moments = [m for m in (thread_last_activity(thread), *(i.timestamp for i in items)) if m]
    with transaction.atomic():
        row = _thread_row_save(thread, activity_at=max(moments) if moments else None)
        if newest is not None and (
            row.preview_at is None or (newest.timestamp and newest.timestamp > row.preview_at)
        ):
            SearchThread.objects.filter(pk=row.pk).update(
                preview=_first_line(newest), preview_at=newest.timestamp
            )
        SearchText.objects.filter(thread=row, entry_id__in=on_page - texts.keys()).delete()
        stored = dict(
            SearchText.objects.filter(thread=row, entry_id__in=texts).values_list(
                "entry_id", "folded"
            )
        )
        for entry_id, text in texts.items():
            folded = text.casefold()
            if entry_id not in stored:
                SearchText.objects.create(thread=row, entry_id=entry_id, folded=folded)
            elif stored[entry_id] != folded:
                SearchText.objects.filter(thread=row, entry_id=entry_id).update(folded=folded)
    cache.set(done_key, True, INDEXED_PAGE_MEMO_SECONDS)


def _page_key(thread: Thread, on_page: set[str], texts: Mapping[str, str]) -> str:
    assert thread.tenant is not None
    parts = (
        thread.id,
        thread.title,
        thread.tenant.external_id,
        sorted(on_page),
        sorted(texts.items()),
    )
    return f"support:search:indexed:{hashlib.sha256(repr(parts).encode()).hexdigest()[:32]}"


def search_index_refresh(*, thread_id: str) -> None:
    """Index the thread's newest page as Plain has it now (one call; for the worker applying
    Plain's events, never a web request). A thread Plain no longer has is forgotten."""
    from portal.plain import get_plain_client

    found = get_plain_client().thread(thread_id=thread_id, last=limits.TIMELINE_PAGE_SIZE)
    if found is None:
        search_index_drop(thread_id=thread_id)
        return
    search_index_found(found=found)


def search_index_found(*, found: ThreadWithTimeline) -> None:
    """search_index_page for a page read from Plain outside the thread page."""
    starts_thread = not found.timeline.page_info.has_previous_page
    entries = found.timeline.items
    items = timeline_items(entries, thread=found.thread, starts_thread=starts_thread)
    search_index_page(thread=found.thread, items=items, entry_ids=(e.id for e in entries))


def search_index_rebuild(*, max_threads_per_organization: int = REBUILD_MAX_THREADS) -> int:
    """Index the newest page of every thread of every organisation's tenant, most recently
    changed first, at most `max_threads_per_organization` each: for threads from before the
    portal listened to Plain's events. One call per page of threads and one per thread; Plain's
    rate limits are the client's to wait out. Returns how many threads were indexed."""
    from portal.plain import get_plain_client
    from portal.tenancy.models import Organization

    client = get_plain_client()
    indexed = 0
    for organization in Organization.objects.order_by("pk"):
        threads = iter_items(
            functools.partial(
                _threads_after,
                client,
                tenant=organization.tenant_external_id,
            ),
            max_pages=max_threads_per_organization // _REBUILD_PAGE_SIZE + 1,
        )
        for count, thread in enumerate(threads):
            if count >= max_threads_per_organization:
                break
            search_index_refresh(thread_id=thread.id)
            indexed += 1
    return indexed


def _threads_after(client: PlainClient, after: str | None, *, tenant: str) -> Page[Thread]:
    return client.threads(tenant_external_ids=[tenant], first=_REBUILD_PAGE_SIZE, after=after)


def search_index_drop(*, thread_id: str) -> None:
    """Forget a thread (gone from Plain, or in no tenant: no customer can see it)."""
    SearchThread.objects.filter(thread_id=thread_id).delete()


def _thread_row_save(thread: Thread, *, activity_at: datetime | None) -> SearchThread:
    assert thread.tenant is not None
    title = thread.title or ""
    row, created = SearchThread.objects.get_or_create(
        thread_id=thread.id,
        defaults={
            "title": title,
            "title_folded": title.casefold(),
            "tenant_external_id": thread.tenant.external_id,
            "activity_at": activity_at,
        },
    )
    if created:
        return row
    changes: dict[str, object] = {}
    if (row.title, row.tenant_external_id) != (title, thread.tenant.external_id):
        changes.update(
            title=title, title_folded=title.casefold(), tenant_external_id=thread.tenant.external_id
        )
    if activity_at is not None and (row.activity_at is None or activity_at > row.activity_at):
        changes["activity_at"] = activity_at
    if changes:
        SearchThread.objects.filter(pk=row.pk).update(**changes)
        for name, value in changes.items():
            setattr(row, name, value)
    return row


def _component_texts(components: Sequence[ComponentView]) -> list[str]:
    found: list[str] = []
    for component in components:
        # A Text component carries its markdown as `text` and its rendering as `html`.
        if component.text or component.html:
            found.append(component.text or strip_tags(component.html))
        found += _component_texts(component.content) + _component_texts(component.aside)
    return found


def _item_text(item: TimelineItem) -> str:
    """The searchable text of a shown entry ("" for events and deleted messages)."""
    if item.kind not in _MESSAGE_KINDS or item.deleted:
        return ""
    parts = [item.subject or "", item.title, item.text]
    if item.kind == "custom":
        parts += _component_texts(item.components)
    return "\n".join(part for part in parts if part)[:TEXT_MAX_LENGTH]


def _newest_message(items: Sequence[TimelineItem]) -> TimelineItem | None:
    messages = [item for item in items if item.kind in _MESSAGE_KINDS and _first_line(item)]
    return messages[-1] if messages else None


def _first_line(item: TimelineItem) -> str:
    """The first non-empty line of the message's text (a custom entry: of its components)."""
    if item.deleted:
        return ""
    texts: Iterable[str] = [item.text]
    if item.kind == "custom":
        texts = _component_texts(item.components)
    for text in texts:
        for line in text.splitlines():
            line = " ".join(line.split())
            if line and item.markdown:
                # The words as the page shows them, without the markdown's marks.
                line = " ".join(html.unescape(strip_tags(markdown_to_html(line))).split())
            if line:
                return line[:PREVIEW_MAX_LENGTH]
    return ""
