"""Reads of Plain's help center for one signed-in user, cached, and the deflection measure.

Plain answers every help center and every article, drafts included, to our API key: what a user
may read is decided here, from our database, on every view.
- A help center is shown when it is PUBLIC; when it is PRIVATE and its access names one of the
  user's organisations' tenants (by external id or Plain tenant id) or the user's Plain customer
  id; never when it is INTERNAL (or of a type Plain adds later). Access by tier or company is
  not read (the portal does not know them): a PRIVATE help center naming only those is shown to
  nobody.
- Only PUBLISHED articles are shown. Drafts are dropped when the index is read (Plain has no
  status filter), and an article fetched by slug or found by search is shown only when it is
  published and in the index of a help center the user may read.

The catalog (every non-internal help center with its groups and published articles) is cached
for HELP_CENTER_CACHE_SECONDS, and so is each article; a warm view asks Plain nothing. Search
asks Plain (searchKnowledgeSources, cached briefly per query) and keeps only the hits the catalog
proves visible. Suggestions while a customer types a title are matched against the cached
catalog alone, so typing costs Plain nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils import timezone

from plain_gateway import iter_items
from plain_gateway.types import (
    HelpCenter,
    HelpCenterArticle,
    HelpCenterIndexItem,
    HelpCenterType,
)
from portal.accounts.models import User
from portal.helpcenter.models import SuggestionOpen
from portal.plain import get_plain_client
from portal.support.models import Submission
from portal.tenancy.selectors import organizations_of_user

__all__ = [
    "CatalogCenter",
    "DeflectionStats",
    "HelpSection",
    "deflection_stats",
    "help_article_for_user",
    "help_catalog",
    "help_catalog_clear",
    "help_centers_for_user",
    "help_search_for_user",
    "help_sections_for_user",
    "help_suggestions_for_user",
]

_PREFIX = "helpcenter:v1"
_CATALOG_KEY = f"{_PREFIX}:catalog"
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 200
SEARCH_PAGE_SIZE = 20
SUGGESTION_LIMIT = 3
# Help centers read per catalog load (pages of 50): a workspace has a handful.
_MAX_HELP_CENTER_PAGES = 4
_WORD = re.compile(r"\w+")
# Words too common to say what a request is about.
_STOP_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "what",
        "when",
        "where",
        "how",
        "why",
        "can",
        "cannot",
        "can't",
        "not",
        "our",
        "your",
        "you",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "does",
        "did",
        "doing",
        "into",
        "out",
        "about",
        "please",
        "help",
        "need",
        "want",
        "get",
        "got",
        "will",
        "would",
        "could",
        "should",
        "there",
        "their",
        "them",
        "they",
        "its",
        "it's",
        "any",
        "all",
        "some",
    ]
)


@dataclass(frozen=True, slots=True)
class CatalogCenter:
    """A help center that is not internal, with its groups and its published articles only."""

    help_center: HelpCenter
    items: tuple[HelpCenterIndexItem, ...]

    def published(self) -> tuple[HelpCenterIndexItem, ...]:
        return tuple(i for i in self.items if i.is_published)


@dataclass(frozen=True, slots=True)
class HelpSection:
    """A heading of the index page (a group, or the help center itself for loose articles)."""

    title: str
    articles: tuple[HelpCenterIndexItem, ...]


@dataclass(frozen=True, slots=True)
class DeflectionStats:
    opened: int  # suggestions opened whose window has passed
    sent_after: int  # of those, followed by a new request from the same user within the window
    pending: int  # opened within the last window: not counted yet
    window_minutes: int

    @property
    def deflected(self) -> int:
        return self.opened - self.sent_after

    @property
    def rate(self) -> float | None:
        """The share of opened suggestions not followed by a request (None: none opened)."""
        return self.deflected / self.opened if self.opened else None


# --- the catalog -------------------------------------------------------------------------------


def _catalog_load() -> tuple[CatalogCenter, ...]:
    client = get_plain_client()
    centers = list(
        iter_items(
            lambda after: client.help_centers(first=50, after=after),
            max_pages=_MAX_HELP_CENTER_PAGES,
        )
    )
    catalog = []
    for center in centers:
        if center.type == HelpCenterType.INTERNAL:
            continue  # never shown: not even its index is read
        index = client.help_center_index(help_center_id=center.id)
        items = index.items if index else ()
        kept = tuple(i for i in items if i.is_group or i.is_published)
        catalog.append(CatalogCenter(help_center=center, items=kept))
    return tuple(catalog)


def help_catalog() -> tuple[CatalogCenter, ...]:
    """Every help center but the internal ones, with groups and published articles (cached)."""
    found: tuple[CatalogCenter, ...] | None = cache.get(_CATALOG_KEY)
    if found is None:
        found = _catalog_load()
        cache.set(_CATALOG_KEY, found, settings.HELP_CENTER_CACHE_SECONDS)
    return found


def help_catalog_clear() -> None:
    """Forget the cached catalog (articles age out on their own TTL)."""
    cache.delete(_CATALOG_KEY)


def help_center_visible(*, help_center: HelpCenter, user: User) -> bool:
    if help_center.type == HelpCenterType.PUBLIC:
        return True
    if help_center.type != HelpCenterType.PRIVATE:
        return False
    access = help_center.access
    if user.plain_customer_id and user.plain_customer_id in access.customer_ids:
        return True
    tenants: set[str] = set()
    for organization in organizations_of_user(user=user):
        tenants.update((organization.tenant_external_id, organization.plain_tenant_id))
    tenants.discard("")
    return bool(tenants & access.tenant_ids)


def help_centers_for_user(*, user: User) -> tuple[CatalogCenter, ...]:
    return tuple(
        c for c in help_catalog() if help_center_visible(help_center=c.help_center, user=user)
    )


def help_sections_for_user(*, user: User) -> list[HelpSection]:
    """The index page: per visible help center, each group holding published articles, then
    the articles in no group (under the help center's name). Empty groups are left out."""
    sections = []
    for center in help_centers_for_user(user=user):
        groups = {i.id: i for i in center.items if i.is_group}
        by_group: dict[str | None, list[HelpCenterIndexItem]] = {}
        for item in center.published():
            key = item.parent_id if item.parent_id in groups else None
            by_group.setdefault(key, []).append(item)
        for group_id, group in groups.items():
            if by_group.get(group_id):
                sections.append(HelpSection(title=group.title, articles=tuple(by_group[group_id])))
        if by_group.get(None):
            sections.append(
                HelpSection(title=center.help_center.public_name, articles=tuple(by_group[None]))
            )
    return sections


def _visible_published(*, user: User) -> dict[str, tuple[CatalogCenter, HelpCenterIndexItem]]:
    """Published article id -> (its help center, its index item), for the user's help centers."""
    return {
        item.id: (center, item)
        for center in help_centers_for_user(user=user)
        for item in center.published()
    }


# --- one article -------------------------------------------------------------------------------


def _article_cached(article_id: str) -> HelpCenterArticle | None:
    key = f"{_PREFIX}:article:{article_id}"
    found: HelpCenterArticle | None = cache.get(key)
    if found is None:
        found = get_plain_client().help_center_article(article_id=article_id)
        if found is None or not found.is_published:
            return None
        cache.set(key, found, settings.HELP_CENTER_CACHE_SECONDS)
    return found


def help_article_for_user(*, user: User, slug: str) -> HelpCenterArticle | None:
    """The published article with this slug in the first of the user's help centers that has
    one; None (a 404) for a draft, an article of a help center the user may not read, or none."""
    for center in help_centers_for_user(user=user):
        item = next((i for i in center.published() if i.slug == slug), None)
        if item is None:
            continue
        article = _article_cached(item.id)
        # Proved again on what Plain sent: the catalog may be a few minutes older than it.
        if (
            article is not None
            and article.is_published
            and article.help_center_id == center.help_center.id
        ):
            return article
    return None


# --- search and suggestions --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchResult:
    title: str
    slug: str
    excerpt: str  # Plain's text: shown as text


def search_term_clean(term: str) -> str:
    return " ".join(term.split())[:SEARCH_MAX_LENGTH]


def help_search_for_user(*, user: User, term: str) -> list[SearchResult]:
    """Published articles of the user's help centers matching `term` (Plain's ranking); a term
    under SEARCH_MIN_LENGTH characters finds nothing without asking."""
    term = search_term_clean(term)
    if len(term) < SEARCH_MIN_LENGTH:
        return []
    key = f"{_PREFIX}:search:{hashlib.sha256(term.lower().encode()).hexdigest()}"
    hits = cache.get(key)
    if hits is None:
        hits = get_plain_client().search_knowledge_sources(query=term, page_size=SEARCH_PAGE_SIZE)
        cache.set(key, hits, settings.HELP_CENTER_SEARCH_CACHE_SECONDS)
    visible = _visible_published(user=user)
    results = []
    for hit in hits:
        found = visible.get(hit.article_id)
        # A hit counts only when the catalog proves it: published, in a help center the user
        # may read (a draft or a private article never shows, whatever Plain's search matched).
        if found is None or not hit.is_published or found[0].help_center.id != hit.help_center_id:
            continue
        results.append(SearchResult(title=found[1].title, slug=found[1].slug, excerpt=hit.content))
    return results


def _stems(text: str) -> set[str]:
    """Lowercase words of 3+ characters, not stop words, cut to 5 characters so that
    "exporting" meets "export"."""
    words = (m.lower() for m in _WORD.findall(text))
    return {w[:5] for w in words if len(w) > 2 and w not in _STOP_WORDS}


def help_suggestions_for_user(
    *, user: User, title: str, limit: int = SUGGESTION_LIMIT
) -> list[HelpCenterIndexItem]:
    """Published articles of the user's help centers whose title or description shares words
    with `title`, best first (title words count double). From the cached catalog only."""
    wanted = _stems(search_term_clean(title))
    if not wanted:
        return []
    scored = []
    for _center, item in _visible_published(user=user).values():
        score = 2 * len(wanted & _stems(item.title)) + len(wanted & _stems(item.description))
        if score:
            scored.append((-score, item.title.lower(), item.id, item))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored[:limit]]


# --- deflection --------------------------------------------------------------------------------


def deflection_stats(*, now: datetime | None = None) -> DeflectionStats:
    """How often an opened suggestion was not followed by a new request from the same user
    within HELP_CENTER_DEFLECTION_MINUTES. Opens younger than that are pending, not counted."""
    minutes = settings.HELP_CENTER_DEFLECTION_MINUTES
    window = timedelta(minutes=minutes)
    cutoff = (now or timezone.now()) - window
    request_after = Submission.objects.filter(
        kind=Submission.Kind.THREAD,
        user=OuterRef("user"),
        created_at__gt=OuterRef("opened_at"),
        created_at__lte=OuterRef("opened_at") + window,
    )
    settled = SuggestionOpen.objects.filter(opened_at__lte=cutoff)
    opened = settled.count()
    sent_after = settled.filter(Exists(request_after)).count()
    pending = SuggestionOpen.objects.filter(opened_at__gt=cutoff).count()
    return DeflectionStats(
        opened=opened, sent_after=sent_after, pending=pending, window_minutes=minutes
    )
