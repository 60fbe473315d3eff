"""Help centers: their article groups, articles and navigation index, and knowledge search.

A help center is PUBLIC, PRIVATE or INTERNAL; `access` {tierIds, tenantIds, companyIds,
customerIds} says who may read a PRIVATE one. The emulator, like Plain's API, only stores it:
every query answers every help center and article to an API key, so a portal enforces access
(and hides drafts) itself. Articles are DRAFT or PUBLISHED, each in at most one group of its help
center; groups nest. `helpCenterIndex.navIndex` lists the help center's groups and articles (each
group followed by what it holds, depth first, in creation order), drafts included with their
status, and its `hash` changes whenever the list does.

searchKnowledgeSources answers HelpCenterArticleSearchResult only (no indexed documents are
held): an article matches when every word of the query (case-insensitive, words of 2 characters
or more) occurs in its title, description or text (its HTML without tags); ordered by how many
of the words are in the title, then most recently updated. Plain does not say whether drafts are
searched: they are (the worst case for a portal, which must drop them). Articles of INTERNAL
help centers are included only with `includeNonCustomerFacing`. `content` is the start of the
article's text.

Rules where Plain does not document its own (conservative, tested):
- createHelpCenter: publicName, internalName required; subdomain 3-63 of [a-z0-9-], not
  starting or ending with "-", unique; color #rrggbb when given. domainName is
  `<subdomain>.help.emulator.plain.test`. The auth mechanism answers WORKOS_AUTHKIT.
- upsertHelpCenterArticle: with helpCenterArticleId it updates that article (not_found if it is
  not one of the help center's), else creates one; title required; a slug given must be
  lowercase words of [a-z0-9] joined by "-" and unused by another article of the help center;
  none given derives one from the title (made unique with -2, -3, ...); a new article is DRAFT
  unless a status is given; helpCenterArticleGroupId must be a group of the same help center.
- createHelpCenterArticleGroup: name required, slug as for articles (unique among the help
  center's groups), parent in the same help center.
- deleteHelpCenter removes its groups and articles; deleteHelpCenterArticle removes one article.
- Not emulated (refused when given): images (favicon, logo, agentAvatarImage,
  socialPreviewImage), portalSettings, WorkOS Connect, searchKnowledgeSources' labelTypeIds; nor
  custom domains, index reordering (updateHelpCenterIndex), group updates and deletes,
  generated articles. Portal settings and copy options answer their all-off defaults.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.customers import refuse_unemulated
from plain_gateway.emulator.paging import Connection
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["HelpCenter", "HelpCenterArticle", "HelpCenterArticleGroup", "HelpCenters"]

HELP_CENTER_TYPES = ("PUBLIC", "PRIVATE", "INTERNAL")
ARTICLE_STATUSES = ("DRAFT", "PUBLISHED")
ACCESS_KEYS = ("tier_ids", "tenant_ids", "company_ids", "customer_ids")
DOMAIN_SUFFIX = "help.emulator.plain.test"
SEARCH_PAGE_SIZE = 10
SEARCH_PAGE_SIZE_MAX = 100
SEARCH_CONTENT_CHARS = 300

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_WORD = re.compile(r"\w{2,}")


@dataclass(slots=True)
class HelpCenter:
    id: str
    type: str
    public_name: str
    internal_name: str
    description: str | None
    subdomain: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    index_updated_at: int
    index_updated_by: Actor
    color: str | None = None
    head_custom_js: str | None = None
    body_custom_js: str | None = None
    is_chat_enabled: bool = False
    is_customer_facing_ai_enabled: bool = False
    access: dict[str, list[str]] | None = None


@dataclass(slots=True)
class HelpCenterArticleGroup:
    id: str
    help_center_id: str
    name: str
    slug: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    parent_id: str | None = None


@dataclass(slots=True)
class HelpCenterArticle:
    id: str
    help_center_id: str
    title: str
    content_html: str
    slug: str
    status: str
    status_changed_at: int
    status_changed_by: Actor
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    group_id: str | None = None
    description: str | None = None
    icon: str | None = None
    text: str = field(default="")  # content_html without its tags, for search


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of `html`, whitespace collapsed (script and style text included: it is data)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def slug_from(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:80].strip("-") or "article"


class HelpCenters(Family):
    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.help_centers = self.store.collection("help_center", HelpCenter)
        self.help_center_article_groups = self.store.collection(
            "help_center_article_group", HelpCenterArticleGroup
        )
        self.help_center_articles = self.store.collection("help_center_article", HelpCenterArticle)

    # --- reads ----------------------------------------------------------------------------------

    def help_center_get(self, help_center_id: str, *, field_name: str) -> HelpCenter:
        help_center = self.help_centers.get(help_center_id)
        if help_center is None:
            raise not_found(field_name, "help center", help_center_id)
        return help_center

    def help_center_articles_of(self, help_center_id: str) -> list[HelpCenterArticle]:
        return sorted(
            (a for a in self.help_center_articles.values() if a.help_center_id == help_center_id),
            key=lambda a: (a.created_at, a.id),
        )

    def help_center_groups_of(self, help_center_id: str) -> list[HelpCenterArticleGroup]:
        return sorted(
            (
                g
                for g in self.help_center_article_groups.values()
                if g.help_center_id == help_center_id
            ),
            key=lambda g: (g.created_at, g.id),
        )

    def help_center_article_by_slug(
        self, *, help_center_id: str, slug: str
    ) -> HelpCenterArticle | None:
        return next(
            (a for a in self.help_center_articles_of(help_center_id) if a.slug == slug), None
        )

    def help_center_group_by_slug(
        self, *, help_center_id: str, slug: str
    ) -> HelpCenterArticleGroup | None:
        return next((g for g in self.help_center_groups_of(help_center_id) if g.slug == slug), None)

    def help_center_nav_index(self, help_center_id: str) -> list[dict[str, Any]]:
        """Groups and articles, each group followed by what it holds, depth first."""
        groups = self.help_center_groups_of(help_center_id)
        articles = self.help_center_articles_of(help_center_id)
        items: list[dict[str, Any]] = []

        def add(parent_id: str | None) -> None:
            for group in groups:
                if group.parent_id == parent_id:
                    items.append(
                        {
                            "type": "ARTICLE_GROUP",
                            "id": group.id,
                            "title": group.name,
                            "slug": group.slug,
                            "parentId": parent_id,
                            "status": None,
                            "description": None,
                            "icon": None,
                        }
                    )
                    add(group.id)
            for article in articles:
                if article.group_id == parent_id:
                    items.append(
                        {
                            "type": "ARTICLE",
                            "id": article.id,
                            "title": article.title,
                            "slug": article.slug,
                            "parentId": parent_id,
                            "status": article.status,
                            "description": article.description,
                            "icon": article.icon,
                        }
                    )

        add(None)
        return items

    def help_center_index(self, help_center_id: str) -> dict[str, Any] | None:
        help_center = self.help_centers.get(help_center_id)
        if help_center is None:
            return None
        nav = self.help_center_nav_index(help_center_id)
        digest = hashlib.sha256(json.dumps(nav, sort_keys=True).encode()).hexdigest()[:32]
        return {
            "helpCenterId": help_center.id,
            "hash": digest,
            "navIndex": nav,
            "createdAt": help_center.created_at,
            "createdBy": help_center.created_by,
            "updatedAt": help_center.index_updated_at,
            "updatedBy": help_center.index_updated_by,
        }

    def knowledge_search(
        self, *, query: str, page_size: int | None, include_non_customer_facing: bool
    ) -> list[HelpCenterArticle]:
        """Articles matching every word of `query` (see the module docstring)."""
        size = SEARCH_PAGE_SIZE if page_size is None else page_size
        if not 1 <= size <= SEARCH_PAGE_SIZE_MAX:
            raise graph.QueryError(
                f"pageSize must be between 1 and {SEARCH_PAGE_SIZE_MAX}", "BAD_USER_INPUT"
            )
        words = [w.lower() for w in _WORD.findall(query)]
        if not words:
            return []
        scored = []
        for article in self.help_center_articles.values():
            help_center = self.help_centers[article.help_center_id]
            if help_center.type == "INTERNAL" and not include_non_customer_facing:
                continue
            title = article.title.lower()
            haystack = " ".join((title, (article.description or "").lower(), article.text.lower()))
            if all(word in haystack for word in words):
                in_title = sum(word in title for word in words)
                scored.append((-in_title, -article.updated_at, article.id, article))
        scored.sort(key=lambda s: s[:3])
        return [s[3] for s in scored[:size]]

    # --- writes ---------------------------------------------------------------------------------

    def _touch_index(self, help_center: HelpCenter, *, actor: Actor) -> None:
        help_center.index_updated_at, help_center.index_updated_by = self.store.now(), actor
        self.store.touch("help_center", help_center.id)

    def _check_help_center(
        self,
        *,
        public_name: str | None,
        internal_name: str | None,
        subdomain: str | None,
        color: str | None,
        help_center: HelpCenter | None,
    ) -> None:
        errors = []
        if public_name is not None and not public_name.strip():
            errors.append(FieldError("public_name", "publicName is required", "REQUIRED"))
        if internal_name is not None and not internal_name.strip():
            errors.append(FieldError("internal_name", "internalName is required", "REQUIRED"))
        if subdomain is not None:
            if not _SUBDOMAIN.match(subdomain):
                errors.append(
                    FieldError(
                        "subdomain", "subdomain must be 3-63 of a-z, 0-9 and - (not at the ends)"
                    )
                )
            elif any(
                other.subdomain == subdomain and other is not help_center
                for other in self.help_centers.values()
            ):
                errors.append(FieldError("subdomain", f"subdomain {subdomain!r} is taken"))
        if color is not None and not _COLOR.match(color):
            errors.append(FieldError("color", f"{color!r} is not a #rrggbb colour"))
        if errors:
            raise fields_invalid(errors)

    def help_center_create(
        self,
        *,
        actor: Actor,
        public_name: str,
        internal_name: str,
        type: str,
        description: str,
        subdomain: str,
        color: str | None = None,
        head_custom_js: str | None = None,
        body_custom_js: str | None = None,
        is_chat_enabled: bool = False,
        is_customer_facing_ai_enabled: bool = False,
    ) -> HelpCenter:
        self._check_help_center(
            public_name=public_name,
            internal_name=internal_name,
            subdomain=subdomain,
            color=color,
            help_center=None,
        )
        now = self.store.now()
        help_center = HelpCenter(
            id=new_id("hc", now),
            type=type,
            public_name=public_name.strip(),
            internal_name=internal_name.strip(),
            description=description,
            subdomain=subdomain,
            color=color,
            head_custom_js=head_custom_js,
            body_custom_js=body_custom_js,
            is_chat_enabled=is_chat_enabled,
            is_customer_facing_ai_enabled=is_customer_facing_ai_enabled,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
            index_updated_at=now,
            index_updated_by=actor,
        )
        self.help_centers[help_center.id] = help_center
        self.store.touch("help_center", help_center.id)
        self.store.emit("help_center.help_center_created", help_center_id=help_center.id)
        return help_center

    def help_center_update(
        self, *, actor: Actor, help_center_id: str, changes: dict[str, Any]
    ) -> HelpCenter:
        """Apply `changes` (snake_case names of HelpCenter's fields; `access` a dict of
        ACCESS_KEYS, a key left out keeping its list)."""
        help_center = self.help_center_get(help_center_id, field_name="help_center_id")
        self._check_help_center(
            public_name=changes.get("public_name"),
            internal_name=changes.get("internal_name"),
            subdomain=changes.get("subdomain"),
            color=changes.get("color"),
            help_center=help_center,
        )
        previous = {}
        for name, value in changes.items():
            if name == "access":
                current = help_center.access or {k: [] for k in ACCESS_KEYS}
                value = {k: list(value.get(k, current[k])) for k in ACCESS_KEYS}
            previous[name] = getattr(help_center, name)
            setattr(help_center, name, value)
        help_center.updated_at, help_center.updated_by = self.store.now(), actor
        self.store.touch("help_center", help_center.id)
        self.store.emit(
            "help_center.help_center_updated", help_center_id=help_center.id, previous=previous
        )
        return help_center

    def help_center_delete(self, *, actor: Actor, help_center_id: str) -> HelpCenter:
        help_center = self.help_center_get(help_center_id, field_name="help_center_id")
        for article in self.help_center_articles_of(help_center.id):
            del self.help_center_articles[article.id]
            self.store.touch("help_center_article", article.id)
        for group in self.help_center_groups_of(help_center.id):
            del self.help_center_article_groups[group.id]
            self.store.touch("help_center_article_group", group.id)
        del self.help_centers[help_center.id]
        self.store.touch("help_center", help_center.id)
        self.store.emit("help_center.help_center_deleted", help_center_id=help_center.id)
        return help_center

    def _group_in(self, help_center: HelpCenter, group_id: str, *, field_name: str) -> None:
        group = self.help_center_article_groups.get(group_id)
        if group is None or group.help_center_id != help_center.id:
            raise not_found(field_name, "help center article group", group_id)

    def help_center_article_upsert(
        self,
        *,
        actor: Actor,
        help_center_id: str,
        title: str,
        content_html: str,
        article_id: str | None = None,
        group_id: str | None = None,
        description: str | None = None,
        icon: str | None = None,
        slug: str | None = None,
        status: str | None = None,
    ) -> HelpCenterArticle:
        help_center = self.help_center_get(help_center_id, field_name="help_center_id")
        article = None
        if article_id is not None:
            article = self.help_center_articles.get(article_id)
            if article is None or article.help_center_id != help_center.id:
                raise not_found("help_center_article_id", "help center article", article_id)
        if not (title or "").strip():
            raise invalid("title", "title is required", "REQUIRED")
        if group_id is not None:
            self._group_in(help_center, group_id, field_name="help_center_article_group_id")
        others = {a.slug for a in self.help_center_articles_of(help_center.id) if a is not article}
        if slug is not None:
            if not _SLUG.match(slug):
                raise invalid("slug", "slug must be lowercase words of a-z and 0-9 joined by -")
            if slug in others:
                raise invalid("slug", f"slug {slug!r} is another article's")
        elif article is not None:
            slug = article.slug
        else:
            base = slug_from(title)
            slug, n = base, 1
            while slug in others:
                n += 1
                slug = f"{base}-{n}"
        now = self.store.now()
        if article is None:
            article = HelpCenterArticle(
                id=new_id("hca", now),
                help_center_id=help_center.id,
                title=title.strip(),
                content_html=content_html,
                slug=slug,
                status=status or "DRAFT",
                status_changed_at=now,
                status_changed_by=actor,
                created_at=now,
                created_by=actor,
                updated_at=now,
                updated_by=actor,
                group_id=group_id,
                description=description,
                icon=icon,
                text=html_text(content_html),
            )
            event = "help_center.help_center_article_created"
        else:
            if status is not None and status != article.status:
                article.status, article.status_changed_at, article.status_changed_by = (
                    status,
                    now,
                    actor,
                )
            article.title, article.content_html, article.slug = title.strip(), content_html, slug
            article.text = html_text(content_html)
            article.group_id, article.description, article.icon = group_id, description, icon
            article.updated_at, article.updated_by = now, actor
            event = "help_center.help_center_article_updated"
        self.help_center_articles[article.id] = article
        self.store.touch("help_center_article", article.id)
        self._touch_index(help_center, actor=actor)
        self.store.emit(event, help_center_id=help_center.id, help_center_article_id=article.id)
        return article

    def help_center_article_delete(self, *, actor: Actor, article_id: str) -> HelpCenterArticle:
        article = self.help_center_articles.pop(article_id, None)
        if article is None:
            raise not_found("help_center_article_id", "help center article", article_id)
        self.store.touch("help_center_article", article_id)
        self._touch_index(self.help_centers[article.help_center_id], actor=actor)
        self.store.emit(
            "help_center.help_center_article_deleted",
            help_center_id=article.help_center_id,
            help_center_article_id=article_id,
        )
        return article

    def help_center_group_create(
        self,
        *,
        actor: Actor,
        help_center_id: str,
        name: str,
        slug: str | None = None,
        parent_id: str | None = None,
    ) -> HelpCenterArticleGroup:
        help_center = self.help_center_get(help_center_id, field_name="help_center_id")
        if not (name or "").strip():
            raise invalid("name", "name is required", "REQUIRED")
        if parent_id is not None:
            self._group_in(help_center, parent_id, field_name="parent_help_center_article_group_id")
        taken = {g.slug for g in self.help_center_groups_of(help_center.id)}
        if slug is not None:
            if not _SLUG.match(slug):
                raise invalid("slug", "slug must be lowercase words of a-z and 0-9 joined by -")
            if slug in taken:
                raise invalid("slug", f"slug {slug!r} is another group's")
        else:
            base = slug_from(name)
            slug, n = base, 1
            while slug in taken:
                n += 1
                slug = f"{base}-{n}"
        now = self.store.now()
        group = HelpCenterArticleGroup(
            id=new_id("hcag", now),
            help_center_id=help_center.id,
            name=name.strip(),
            slug=slug,
            parent_id=parent_id,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.help_center_article_groups[group.id] = group
        self.store.touch("help_center_article_group", group.id)
        self._touch_index(help_center, actor=actor)
        self.store.emit(
            "help_center.help_center_article_group_created",
            help_center_id=help_center.id,
            help_center_article_group_id=group.id,
        )
        return group


# --- resolvers ---------------------------------------------------------------------------------


def _family(info: GraphQLResolveInfo) -> HelpCenters:
    return graph.ctx(info).state.family(HelpCenters)


def _page(items: list[Any], paging: dict[str, Any]) -> Connection[Any]:
    return graph.page(items, lambda x: (x.created_at, x.id), paging)


def _access_view(help_center: HelpCenter, _info: GraphQLResolveInfo) -> dict[str, Any] | None:
    if help_center.access is None:
        return None
    return {graph.camel(k): list(help_center.access.get(k, [])) for k in ACCESS_KEYS}


_PORTAL_SETTINGS_OFF = {
    "isEnabled": False,
    "threadVisibility": {
        "customerCompany": False,
        "overrideCustomerCompany": None,
        "customerTenants": False,
        "overrideCustomerTenants": None,
    },
    "formFields": [],
    "isAdditionalRecipientsEnabled": False,
}
_COPY_OPTIONS_OFF = {
    "isEnabled": False,
    "options": {
        "isPlaintextEnabled": False,
        "isMarkdownEnabled": False,
        "isChatgptEnabled": False,
        "isClaudeEnabled": False,
        "isCursorEnabled": False,
    },
}
_UNEMULATED_IMAGES = ("favicon", "logo", "agentAvatarImage", "socialPreviewImage")


def _refuse_unemulated(data: dict[str, Any]) -> None:
    refuse_unemulated(data, *_UNEMULATED_IMAGES, "portalSettings")
    mechanism = data.get("authMechanism") or {}
    refuse_unemulated(mechanism, "workosConnectAuthMechanism", where="input.authMechanism")


def _search(
    _root: Any,
    info: GraphQLResolveInfo,
    searchQuery: str,
    pageSize: int | None = None,
    options: dict[str, Any] | None = None,
) -> list[graph.Payload]:
    options = options or {}
    refuse_unemulated(options, "labelTypeIds", where="options")
    types = options.get("types")
    if types is not None and "HELP_CENTER_ARTICLE" not in types:
        return []
    family = _family(info)
    found = family.knowledge_search(
        query=searchQuery,
        page_size=pageSize,
        include_non_customer_facing=bool(options.get("includeNonCustomerFacing")),
    )
    return [
        graph.Payload(
            "HelpCenterArticleSearchResult",
            {
                "content": a.text[:SEARCH_CONTENT_CHARS],
                "helpCenterArticle": a,
                "helpCenter": family.help_centers[a.help_center_id],
            },
        )
        for a in found
    ]


@graph.mutation
def m_create_help_center(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    _refuse_unemulated(data)
    refuse_unemulated(data, "articleCopyOptions")
    help_center = context.state.family(HelpCenters).help_center_create(
        actor=context.actor,
        public_name=data["publicName"],
        internal_name=data["internalName"],
        type=data["type"],
        description=data["description"],
        subdomain=data["subdomain"],
        color=data.get("color"),
        head_custom_js=data.get("headCustomJs"),
        body_custom_js=data.get("bodyCustomJs"),
        is_chat_enabled=bool(data.get("isChatEnabled")),
        is_customer_facing_ai_enabled=bool(data.get("isCustomerFacingAiEnabled")),
    )
    return {"helpCenter": help_center}


# UpdateHelpCenterInput's plain fields and its StringInput-wrapped ones, by state name.
_UPDATE_PLAIN = {
    "type": "type",
    "publicName": "public_name",
    "internalName": "internal_name",
    "description": "description",
    "subdomain": "subdomain",
    "isChatEnabled": "is_chat_enabled",
    "isCustomerFacingAiEnabled": "is_customer_facing_ai_enabled",
}
_UPDATE_WRAPPED = {
    "headCustomJs": "head_custom_js",
    "bodyCustomJs": "body_custom_js",
    "color": "color",
}


@graph.mutation
def m_update_help_center(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    _refuse_unemulated(data)
    refuse_unemulated(data, "articleCopyOptions")
    changes: dict[str, Any] = {
        state: data[name] for name, state in _UPDATE_PLAIN.items() if data.get(name) is not None
    }
    for name, state in _UPDATE_WRAPPED.items():
        value = graph.optional(data, name)
        if value is not ...:
            changes[state] = value
    if data.get("access") is not None:
        changes["access"] = {
            state: data["access"][graph.camel(state)]
            for state in ACCESS_KEYS
            if data["access"].get(graph.camel(state)) is not None
        }
    help_center = context.state.family(HelpCenters).help_center_update(
        actor=context.actor, help_center_id=data["helpCenterId"], changes=changes
    )
    return {"helpCenter": help_center}


@graph.mutation
def m_delete_help_center(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    context.state.family(HelpCenters).help_center_delete(
        actor=context.actor, help_center_id=data["helpCenterId"]
    )
    return {}


@graph.mutation
def m_upsert_article(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    article = context.state.family(HelpCenters).help_center_article_upsert(
        actor=context.actor,
        help_center_id=data["helpCenterId"],
        article_id=data.get("helpCenterArticleId"),
        group_id=data.get("helpCenterArticleGroupId"),
        title=data["title"],
        description=data.get("description"),
        icon=data.get("icon"),
        content_html=data["contentHtml"],
        slug=data.get("slug"),
        status=data.get("status"),
    )
    return {"helpCenterArticle": article}


@graph.mutation
def m_delete_article(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    context.state.family(HelpCenters).help_center_article_delete(
        actor=context.actor, article_id=data["helpCenterArticleId"]
    )
    return {}


@graph.mutation
def m_create_group(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    group = context.state.family(HelpCenters).help_center_group_create(
        actor=context.actor,
        help_center_id=data["helpCenterId"],
        name=data["name"],
        slug=data.get("slug"),
        parent_id=data.get("parentHelpCenterArticleGroupId"),
    )
    return {"helpCenterArticleGroup": group}


def _help_center_of(entity: Any, info: GraphQLResolveInfo) -> HelpCenter:
    return _family(info).help_centers[entity.help_center_id]


RESOLVERS: graph.Resolvers = {
    "Query": {
        "helpCenters": lambda _r, i, **paging: _page(
            list(_family(i).help_centers.values()), paging
        ),
        "helpCenter": lambda _r, i, id: _family(i).help_centers.get(id),
        "helpCenterArticle": lambda _r, i, id: _family(i).help_center_articles.get(id),
        "helpCenterArticleGroup": lambda _r, i, id: _family(i).help_center_article_groups.get(id),
        "helpCenterIndex": lambda _r, i, id: _family(i).help_center_index(id),
        "helpCenterArticleBySlug": lambda _r, i, helpCenterId, slug: _family(
            i
        ).help_center_article_by_slug(help_center_id=helpCenterId, slug=slug),
        "helpCenterArticleGroupBySlug": lambda _r, i, helpCenterId, slug: _family(
            i
        ).help_center_group_by_slug(help_center_id=helpCenterId, slug=slug),
        "searchKnowledgeSources": _search,
    },
    "Mutation": {
        "createHelpCenter": m_create_help_center,
        "updateHelpCenter": m_update_help_center,
        "deleteHelpCenter": m_delete_help_center,
        "upsertHelpCenterArticle": m_upsert_article,
        "deleteHelpCenterArticle": m_delete_article,
        "createHelpCenterArticleGroup": m_create_group,
    },
    "HelpCenter": {
        "domainSettings": lambda h, _i: {
            "domainName": f"{h.subdomain}.{DOMAIN_SUFFIX}",
            "customDomainName": None,
            "customDomainNameVerificationTxtRecord": None,
            "customDomainNameVerifiedAt": None,
        },
        "portalSettings": graph.const(_PORTAL_SETTINGS_OFF),
        "articleCopyOptions": graph.const(_COPY_OPTIONS_OFF),
        "access": _access_view,
        "authMechanism": graph.const(
            graph.Payload("HelpCenterAuthMechanismWorkosAuthkit", {"type": "WORKOS_AUTHKIT"})
        ),
        "isDeleted": graph.const(False),
        "articleGroups": lambda h, i, **paging: _page(
            _family(i).help_center_groups_of(h.id), paging
        ),
        "articles": lambda h, i, **paging: _page(_family(i).help_center_articles_of(h.id), paging),
    },
    "HelpCenterArticleGroup": {
        "helpCenter": _help_center_of,
        "parentArticleGroup": lambda g, i: _family(i).help_center_article_groups.get(
            g.parent_id or ""
        ),
        "childArticleGroups": lambda g, i, **paging: _page(
            [c for c in _family(i).help_center_groups_of(g.help_center_id) if c.parent_id == g.id],
            paging,
        ),
        "articles": lambda g, i, **paging: _page(
            [a for a in _family(i).help_center_articles_of(g.help_center_id) if a.group_id == g.id],
            paging,
        ),
    },
    "HelpCenterArticle": {
        "helpCenter": _help_center_of,
        "articleGroup": lambda a, i: _family(i).help_center_article_groups.get(a.group_id or ""),
    },
}

TYPE_RESOLVERS = {
    "HelpCenterAuthMechanism": graph.typename,
    "KnowledgeSourceSearchResult": graph.typename,
    "HelpCenterPortalSettingsFormField": graph.typename,
    "IndexedDocumentStatus": graph.typename,
}

# Declared fields this family holds no data for: answered as Plain answers when there is none.
ABSENT: dict[str, tuple[str, ...]] = {
    "HelpCenter": (
        "favicon",
        "agentAvatarImage",
        "logo",
        "socialPreviewImage",
        "publishedAt",
        "publishedBy",
        "deletedAt",
        "deletedBy",
    ),
}
