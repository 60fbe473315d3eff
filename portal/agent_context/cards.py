"""Customer cards: the request Plain sends, the cards settings define, and the answer.

Plain POSTs `{cardKeys, customer {id, email, externalId}, thread? {id, externalId}}` and wants
`{cards: [{key, timeToLiveSeconds, components}]}` back with every requested key present
(Plain's "Protocol" page). Here:

- `card_request_parse(body)` reads a (signature-verified) body into a `CardRequest`, or raises
  `CardRequestError` saying what is wrong with it.
- `card_definitions()` reads settings.PLAIN_CUSTOMER_CARDS: each card's `kind` (which builder
  below draws it), `key`, `title` and `ttl_seconds`, checked as Plain would check a card config;
  `ImproperlyConfigured` when they are not.
- `cards_answer(request=...)` answers every requested key once, in the order asked: a known key
  with its components (None when there is nothing to show, or the customer is not one of ours)
  and its TTL; an unknown key with null components and no TTL. It reads our database only
  (portal/agent_context/selectors.py), and only what the requested cards need.

Everything shown is plain text: names, addresses and titles are other people's text and go into
PlainText components, never into Text (markdown). Nothing of an organisation the customer does
not belong to is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from plain_gateway.components import (
    Badge,
    BadgeColor,
    Component,
    CopyButton,
    DateTime,
    Divider,
    Leaf,
    LinkButton,
    PlainText,
    Row,
    SpacingSize,
    TextColor,
    TextSize,
    customer_card_component,
)
from portal.accounts.models import User
from portal.agent_context import selectors
from portal.support.models import Submission
from portal.tenancy.models import Membership

__all__ = [
    "CARD_KINDS",
    "MAX_CARD_KEYS",
    "CardDefinition",
    "CardRequest",
    "CardRequestError",
    "card_definitions",
    "card_request_parse",
    "cards_answer",
]

# Plain's limits on card configs ("Create a customer card", "Protocol").
KEY_PATTERN: Final = re.compile(r"[a-zA-Z0-9_-]+")
MIN_TTL_SECONDS: Final = 15
MAX_TTL_SECONDS: Final = 31_536_000
MAX_CARDS: Final = 25
# Plain asks for at most its 25 configured keys; a body naming more is not one of Plain's.
MAX_CARD_KEYS: Final = 100
# A submission's title is the customer's text: a card shows its start.
TITLE_CHARS: Final = 80


# === the request ================================================================================


class CardRequestError(ValueError):
    """A card request body that is not the shape Plain sends; the message says where."""


@dataclass(frozen=True, slots=True)
class CardRequest:
    card_keys: tuple[str, ...]  # as asked, duplicates dropped
    customer_id: str
    customer_email: str | None
    customer_external_id: str | None
    thread_id: str | None = None
    thread_external_id: str | None = None


def _optional_text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise CardRequestError(f"{where}.{key} must be a string or null")


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CardRequestError(f"{where} must be an object")
    return value


def card_request_parse(body: bytes) -> CardRequest:
    """The card request in `body`; CardRequestError when it is not JSON of Plain's shape.
    Extra fields are ignored."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CardRequestError("the body is not JSON") from None
    data = _object(data, "the body")
    keys = data.get("cardKeys")
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise CardRequestError("cardKeys must be a list of strings")
    if len(keys) > MAX_CARD_KEYS:
        raise CardRequestError(f"cardKeys names more than {MAX_CARD_KEYS} cards")
    customer = _object(data.get("customer"), "customer")
    customer_id = customer.get("id")
    if not isinstance(customer_id, str) or not customer_id:
        raise CardRequestError("customer.id must be a non-empty string")
    raw_thread = data.get("thread")
    thread = {} if raw_thread is None else _object(raw_thread, "thread")
    thread_id = _optional_text(thread, "id", "thread")
    if raw_thread is not None and not thread_id:
        raise CardRequestError("thread.id must be a non-empty string")
    return CardRequest(
        card_keys=tuple(dict.fromkeys(keys)),
        customer_id=customer_id,
        customer_email=_optional_text(customer, "email", "customer"),
        customer_external_id=_optional_text(customer, "externalId", "customer"),
        thread_id=thread_id,
        thread_external_id=_optional_text(thread, "externalId", "thread"),
    )


# === the cards settings define ==================================================================


@dataclass(frozen=True, slots=True)
class CardDefinition:
    kind: str
    key: str
    title: str
    ttl_seconds: int


def card_definitions() -> tuple[CardDefinition, ...]:
    """The cards of settings.PLAIN_CUSTOMER_CARDS, in order. ImproperlyConfigured when an entry
    names an unknown kind, a key Plain refuses or one used twice, an empty title, a TTL outside
    15 s to a year, or when there are more than Plain's 25."""
    entries = list(getattr(settings, "PLAIN_CUSTOMER_CARDS", []))
    if len(entries) > MAX_CARDS:
        raise ImproperlyConfigured(f"PLAIN_CUSTOMER_CARDS: Plain allows at most {MAX_CARDS} cards")
    found: list[CardDefinition] = []
    for n, entry in enumerate(entries):
        where = f"PLAIN_CUSTOMER_CARDS[{n}]"
        try:
            card = CardDefinition(
                kind=str(entry["kind"]),
                key=str(entry["key"]),
                title=str(entry["title"]).strip(),
                ttl_seconds=int(entry["ttl_seconds"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ImproperlyConfigured(
                f"{where} needs kind, key, title and an integer ttl_seconds ({error!r})"
            ) from None
        if card.kind not in CARD_KINDS:
            known = ", ".join(sorted(CARD_KINDS))
            raise ImproperlyConfigured(f"{where}: unknown kind {card.kind!r} (known: {known})")
        if not KEY_PATTERN.fullmatch(card.key):
            raise ImproperlyConfigured(f"{where}: a key may hold only a-z, A-Z, 0-9, _ and -")
        if any(other.key == card.key for other in found):
            raise ImproperlyConfigured(f"{where}: the key {card.key!r} is used twice")
        if not card.title:
            raise ImproperlyConfigured(f"{where}: the title is empty")
        if not MIN_TTL_SECONDS <= card.ttl_seconds <= MAX_TTL_SECONDS:
            raise ImproperlyConfigured(
                f"{where}: ttl_seconds must be {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS}"
            )
        found.append(card)
    return tuple(found)


# === what the cards show ========================================================================


class _Customer:
    """One customer's data, each part read once and only when a requested card needs it."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def organizations(self) -> selectors.CustomerOrganizations:
        return selectors.customer_organizations_get(
            user=self.user, limit=int(settings.PLAIN_CUSTOMER_CARD_MAX_ORGANISATIONS)
        )

    @cached_property
    def members(self) -> dict[int, tuple[selectors.MemberSummary, ...]]:
        return selectors.organization_members_get(
            organization_ids=[org.id for org in self.organizations.shown],
            limit=int(settings.PLAIN_CUSTOMER_CARD_MAX_MEMBERS),
        )

    @cached_property
    def activity(self) -> selectors.CustomerActivity:
        return selectors.customer_activity_get(
            user=self.user, limit=int(settings.PLAIN_CUSTOMER_CARD_MAX_ACTIVITY)
        )


def _muted(text: str) -> PlainText:
    return PlainText(text=text, size=TextSize.S, color=TextColor.MUTED)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _more_organizations(customer: _Customer) -> list[Component]:
    hidden = customer.organizations.hidden
    if not hidden:
        return []
    return [_muted(f"and {_count(hidden, 'more organisation', 'more organisations')}")]


def _role(role: str) -> Badge:
    admin = role == Membership.Role.ADMIN
    return Badge(
        label=Membership.Role(role).label if role in Membership.Role.values else role,
        color=BadgeColor.BLUE if admin else BadgeColor.GREY,
    )


def organisations_card(customer: _Customer) -> list[Component] | None:
    """Each organisation the customer belongs to: its name, the Plain tenant it maps to (to
    copy), its member count and the customer's role there."""
    orgs = customer.organizations
    if not orgs.total:
        return [_muted("Not a member of any organisation in the portal.")]
    components: list[Component] = []
    for n, org in enumerate(orgs.shown):
        if n:
            components.append(Divider(spacing=SpacingSize.S))
        components.append(
            Row(
                main=(PlainText(text=org.name, size=TextSize.M),),
                aside=(_role(org.role),),
            )
        )
        components.append(
            Row(
                main=(_muted(f"Plain tenant {org.tenant_external_id}"),),
                aside=(CopyButton(value=org.tenant_external_id, tooltip="Copy the tenant id"),),
            )
        )
        components.append(_muted(_count(org.member_count, "member", "members")))
    return components + _more_organizations(customer)


def _member_row(member: selectors.MemberSummary) -> list[Component]:
    aside: list[Leaf] = [_role(member.role)]
    if not member.is_active:
        aside.append(Badge(label="Deactivated", color=BadgeColor.RED))
    name = member.name or member.email
    seen: Leaf = (
        DateTime(moment=member.last_login)
        if member.last_login is not None
        else _muted("Never logged in")
    )
    return [
        Row(main=(PlainText(text=name), _muted(member.email)), aside=tuple(aside)),
        Row(main=(_muted("Last login"),), aside=(seen,)),
    ]


def members_card(customer: _Customer) -> list[Component] | None:
    """The members of each of the customer's organisations (theirs only): name, address, role,
    last login and whether they are active, the first few of each, then "and N more"."""
    orgs = customer.organizations
    if not orgs.total:
        return None
    components: list[Component] = []
    for n, org in enumerate(orgs.shown):
        if n:
            components.append(Divider(spacing=SpacingSize.M))
        members = customer.members.get(org.id, ())
        components.append(PlainText(text=org.name, size=TextSize.M))
        for member in members:
            components.extend(_member_row(member))
        hidden = org.member_count - len(members)
        if hidden > 0:
            components.append(_muted(f"and {_count(hidden, 'more member', 'more members')}"))
    return components + _more_organizations(customer)


_WAITING: Final = Badge(label="Waiting for Plain", color=BadgeColor.YELLOW)
_STATUS_BADGES: Final[Mapping[str, Badge]] = {
    Submission.Status.PENDING: _WAITING,
    Submission.Status.DONE: Badge(label="Delivered", color=BadgeColor.GREEN),
    Submission.Status.FAILED: Badge(label="Failed", color=BadgeColor.RED),
}


def _submission_rows(submission: selectors.RecentSubmission) -> list[Component]:
    if submission.kind == Submission.Kind.THREAD:
        title = submission.title.strip() or "(no title)"
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1] + "…"
        what = f"New request: {title}"
    else:
        what = "Reply"
    badge = _STATUS_BADGES.get(submission.status, _WAITING)
    return [
        Row(main=(PlainText(text=what),), aside=(badge,)),
        Row(main=(_muted("Sent"),), aside=(DateTime(moment=submission.created_at),)),
    ]


def activity_card(customer: _Customer) -> list[Component] | None:
    """The customer's portal account and what they sent through it: last login, whether the
    account is active, how many submissions wait for Plain or failed, the latest few."""
    activity = customer.activity
    components: list[Component] = []
    if not activity.is_active:
        components.append(
            Row(
                main=(PlainText(text="Portal account"),),
                aside=(Badge(label="Deactivated", color=BadgeColor.RED),),
            )
        )
    login: Leaf = (
        DateTime(moment=activity.last_login) if activity.last_login is not None else _muted("Never")
    )
    components.append(Row(main=(PlainText(text="Last login"),), aside=(login,)))
    components.append(
        Row(
            main=(PlainText(text="In the portal since"),),
            aside=(DateTime(moment=activity.date_joined),),
        )
    )
    components.append(
        Row(
            main=(PlainText(text="Requests and replies sent"),),
            aside=(PlainText(text=str(activity.total)),),
        )
    )
    if activity.pending:
        components.append(
            Row(
                main=(PlainText(text="Waiting to reach Plain"),),
                aside=(Badge(label=str(activity.pending), color=BadgeColor.YELLOW),),
            )
        )
    if activity.failed:
        components.append(
            Row(
                main=(PlainText(text="Failed to reach Plain"),),
                aside=(Badge(label=str(activity.failed), color=BadgeColor.RED),),
            )
        )
    for submission in activity.recent:
        components.append(Divider(spacing=SpacingSize.XS))
        components.extend(_submission_rows(submission))
    return components


def _admin_url(name: str, pk: int) -> str:
    return str(settings.PORTAL_PUBLIC_URL).rstrip("/") + reverse(name, args=[pk])


def staff_links_card(customer: _Customer) -> list[Component] | None:
    """Buttons into the portal's admin: the customer's user, and each of their organisations."""
    components: list[Component] = [
        LinkButton(
            url=_admin_url("admin:accounts_user_change", customer.user.pk), label="Portal user"
        )
    ]
    for org in customer.organizations.shown:
        components.append(
            LinkButton(
                url=_admin_url("admin:tenancy_organization_change", org.id),
                label=f"Organisation: {org.name}",
            )
        )
    return components + _more_organizations(customer)


CARD_KINDS: Final[Mapping[str, Callable[[_Customer], list[Component] | None]]] = {
    "organisations": organisations_card,
    "members": members_card,
    "activity": activity_card,
    "staff_links": staff_links_card,
}


# === the answer =================================================================================


def _card(key: str, ttl: int | None, components: Sequence[Component] | None) -> dict[str, Any]:
    return {
        "key": key,
        "timeToLiveSeconds": ttl,
        "components": (
            None if components is None else [customer_card_component(c) for c in components]
        ),
    }


def cards_answer(
    *, request: CardRequest, definitions: Sequence[CardDefinition] | None = None
) -> list[dict[str, Any]]:
    """One card per requested key, in the order asked (see the module's docstring)."""
    known = {
        card.key: card for card in (card_definitions() if definitions is None else definitions)
    }
    user: User | None = None
    if any(key in known for key in request.card_keys):
        user = selectors.customer_user_find(
            external_id=request.customer_external_id, email=request.customer_email
        )
    customer = _Customer(user) if user is not None else None
    answer: list[dict[str, Any]] = []
    for key in request.card_keys:
        card = known.get(key)
        if card is None:
            answer.append(_card(key, None, None))
            continue
        components = CARD_KINDS[card.kind](customer) if customer is not None else None
        answer.append(_card(key, card.ttl_seconds, components))
    return answer
