"""Customer cards: the card configs Plain keeps, and the card instances it loads from their APIs.

State: configs (at most MAX_CONFIGS, Plain's limits on every field, ordered by `order` then id)
and instances, one per config, customer and thread context (None: no thread), each `loading`,
`loaded` (components, loadedAt, expiresAt) or `error` (one member of Plain's
CustomerCardInstanceErrorDetail). Both persisted.

Just in time, as Plain: `customer_card_instances_load` answers what is cached and valid, and for
a card with nothing valid starts a load (a new `loading` instance, a new id) whose fetch is due
at once; `customer_card_instance_reload` starts one for one card, discarding its cache. Nothing
here does HTTP: plain_gateway/emulator/cards.py claims the due fetches (`customer_card_fetches
_claim`, which batches and signs them), sends them with no lock held and hands each answer back
(`customer_card_fetch_record`), which applies Plain's protocol:
- only 200 is success; the body must be `{"cards": [...]}`; each requested key's card (the first
  with that key; extra cards ignored) is `{key, timeToLiveSeconds?, components | null}`, its
  components read strictly by plain_gateway.components (CustomerCardComponent's members);
- a 5xx, a 429, a timeout or a failed request is retried once, RETRY_DELAY_MS later on the
  emulator's clock; when the retry fails too the card is an error that is not cached;
- any other status, a body that is not that shape, a malformed card or a missing key is an
  error cached INTEGRATION_ERROR_CACHE_MS;
- a card is cached for its `timeToLiveSeconds`, else its config's default.
Configs with the same API details (URL, trimmed and case-sensitive; header names trimmed and
case-insensitive, in any order; values exact) share one request per customer and thread; a
reload's request asks for its one card only.

Conservative rules where Plain does not document its own:
- URLs and header names are stored trimmed; a URL must be absolute https with a host (http too
  when allowed: `card_http_urls`, the same switch as webhook targets); header names must be
  HTTP tokens, unique (case-insensitively), and not one Plain sets itself (RESERVED_HEADERS);
- an answer's timeToLiveSeconds that is not an integer makes the card malformed; an integer is
  held to the configs' range (15 s to a year);
- an instance belongs to its thread context: the same card seen with and without a thread (or
  in two threads) is two instances, each loaded with its own request body;
- an error that is not cached is answered once (so a reader learns of it); the next read starts
  a new load. Changing a config's key, URL or headers drops its cached instances; its default
  TTL applies to loads after the change, as Plain says;
- the customer must exist and a thread given must be that customer's (else not found); only
  users and machine users manage configs; instances are created and updated by the system.
Not emulated: the CardTooBig error (no size limit), mTLS, the customerCardInstanceChanges
subscription, and a permission check on apiUrl and apiHeaders.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway import components as pc
from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import SYSTEM, Actor, Family
from plain_gateway.emulator.families.customers import Customers
from plain_gateway.emulator.families.signing import Signing
from plain_gateway.emulator.families.threads import Threads, components_view
from plain_gateway.emulator.families.webhooks import url_host_allowed
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = [
    "CARD_USER_AGENT",
    "INTEGRATION_ERROR_CACHE_MS",
    "MAX_CONFIGS",
    "REQUEST_TIMEOUT_S",
    "RETRY_DELAY_MS",
    "CardConfig",
    "CardFetch",
    "CardInstance",
    "CustomerCards",
    "FetchResult",
]

MAX_CONFIGS = 25
MAX_TITLE_LENGTH = 500
MAX_KEY_LENGTH = 500
MAX_URL_LENGTH = 600
MAX_HEADERS = 20
MAX_HEADER_NAME_LENGTH = 100
MAX_HEADER_VALUE_LENGTH = 500
TTL_MIN_S = 15
TTL_MAX_S = 31_536_000
ORDER_MIN, ORDER_MAX = 0, 100_000
DEFAULT_ORDER = ORDER_MAX  # new cards go to the bottom
KEY_PATTERN = re.compile(r"[a-zA-Z0-9_-]+")
HEADER_NAME_PATTERN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token
RESERVED_HEADERS = frozenset(
    {
        "accept",
        "connection",
        "content-length",
        "content-type",
        "host",
        "plain-request-signature",
        "plain-workspace-id",
        "transfer-encoding",
        "user-agent",
    }
)
CARD_USER_AGENT = "Plain/1.0 (plain.com; help@plain.com)"
REQUEST_TIMEOUT_S = 15
RETRY_DELAY_MS = 1000
INTEGRATION_ERROR_CACHE_MS = 5 * 60 * 1000
CLAIM_LEASE_MS = 60_000  # a claimed fetch is one worker's for this long (then fetched again)
LOADING_EVENT = "customer_card_instance.customer_card_instance_loading"


@dataclass(slots=True)
class CardConfig:
    id: str
    order: int
    title: str
    key: str
    default_time_to_live_seconds: int
    api_url: str
    api_headers: list[list[str]]  # [name, value] pairs, names trimmed
    is_enabled: bool
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor


@dataclass(slots=True)
class CardInstance:
    id: str
    config_id: str
    customer_id: str
    thread_id: str | None
    state: str  # loading | loaded | error
    created_at: int
    updated_at: int
    components: list[dict[str, Any]] | None = None  # loaded: the input shape, canonical
    loaded_at: int | None = None
    expires_at: int | None = None  # loaded: its TTL's end; error: cached until (None: not)
    error: dict[str, Any] | None = None  # {"typename", "message", and the detail's own fields}
    shown: bool = False  # an error that is not cached has been answered once
    attempt: int = 0  # fetch attempts made for this load
    due_at: int | None = None  # loading: when its next fetch is due (emulator clock)
    claimed_until: int | None = None
    single: bool = False  # a reload: fetched on its own


@dataclass(frozen=True, slots=True)
class CardFetch:
    """One request to make: what cards.py sends (signed; nothing else to look up)."""

    id: str
    attempt: int  # 1, or 2 for the retry
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    card_keys: tuple[str, ...]
    instance_ids: tuple[str, ...]
    customer_id: str
    thread_id: str | None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What came back: a status and body, or `error` ("timeout" | "connection_error")."""

    status_code: int | None = None
    body: bytes = b""
    error: str | None = None
    message: str = ""


def _api_identity(config: CardConfig) -> tuple[str, frozenset[tuple[str, str]]]:
    return config.api_url.strip(), frozenset(
        (name.strip().lower(), value) for name, value in config.api_headers
    )


class CustomerCards(Family):
    """The workspace's customer card configs and the card instances loaded for customers."""

    requires = (Customers, Threads, Signing)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.customer_card_configs = self.store.collection("customer_card_config", CardConfig)
        self.customer_card_instances = self.store.collection("customer_card_instance", CardInstance)
        self._current: dict[tuple[str, str, str | None], str] = {}
        # None: https only (as Plain); webhooks.HTTP_LOOPBACK or HTTP_ANY: http too.
        self.card_http_urls: str | None = None

    def reindex(self) -> None:
        self._current = {
            (i.config_id, i.customer_id, i.thread_id): i.id
            for i in self.customer_card_instances.values()
        }

    # --- configs --------------------------------------------------------------------------------

    def customer_card_config_list(self) -> list[CardConfig]:
        return sorted(self.customer_card_configs.values(), key=lambda c: (c.order, c.id))

    def customer_card_config_get(
        self, config_id: str, *, field_name: str = "customer_card_config_id"
    ) -> CardConfig:
        config = self.customer_card_configs.get(config_id)
        if config is None:
            raise not_found(field_name, "customer card config", config_id)
        return config

    def _title_check(self, title: str) -> str:
        if not title.strip():
            raise invalid("title", "title is required", "REQUIRED")
        if len(title) > MAX_TITLE_LENGTH:
            raise invalid("title", f"title must be at most {MAX_TITLE_LENGTH} characters")
        return title

    def _key_check(self, key: str, *, config_id: str | None = None) -> str:
        if not key:
            raise invalid("key", "key is required", "REQUIRED")
        if len(key) > MAX_KEY_LENGTH:
            raise invalid("key", f"key must be at most {MAX_KEY_LENGTH} characters")
        if not KEY_PATTERN.fullmatch(key):
            raise invalid("key", "key must match [a-zA-Z0-9_-]+")
        if any(c.key == key and c.id != config_id for c in self.customer_card_configs.values()):
            raise invalid("key", f"a customer card with key {key!r} already exists")
        return key

    def _ttl_check(self, seconds: int) -> int:
        if isinstance(seconds, bool) or not TTL_MIN_S <= seconds <= TTL_MAX_S:
            raise invalid(
                "default_time_to_live_seconds",
                f"defaultTimeToLiveSeconds must be from {TTL_MIN_S} to {TTL_MAX_S}",
            )
        return seconds

    def _url_check(self, url: str) -> str:
        url = url.strip()
        if not url:
            raise invalid("api_url", "apiUrl is required", "REQUIRED")
        if len(url) > MAX_URL_LENGTH:
            raise invalid("api_url", f"apiUrl must be at most {MAX_URL_LENGTH} characters")
        if not url_host_allowed(url, self.card_http_urls):
            raise invalid("api_url", "apiUrl must be an absolute https URL")
        return url

    def _headers_check(self, headers: Sequence[tuple[str, str]]) -> list[list[str]]:
        if len(headers) > MAX_HEADERS:
            raise invalid("api_headers", f"at most {MAX_HEADERS} headers are allowed")
        errors: list[FieldError] = []
        seen: set[str] = set()
        checked = []
        for i, (raw_name, value) in enumerate(headers):
            name = raw_name.strip()
            where = f"api_headers[{i}]"
            if not name or len(name) > MAX_HEADER_NAME_LENGTH:
                message = f"a header name has 1 to {MAX_HEADER_NAME_LENGTH} characters"
                errors.append(FieldError(f"{where}.name", message))
            elif not HEADER_NAME_PATTERN.fullmatch(name) or name.lower() in RESERVED_HEADERS:
                errors.append(FieldError(f"{where}.name", f"header {name!r} is not allowed"))
            elif name.lower() in seen:
                errors.append(FieldError(f"{where}.name", f"header {name!r} is given twice"))
            if not value or len(value) > MAX_HEADER_VALUE_LENGTH or "\n" in value or "\r" in value:
                message = f"a header value has 1 to {MAX_HEADER_VALUE_LENGTH} characters, one line"
                errors.append(FieldError(f"{where}.value", message))
            seen.add(name.lower())
            checked.append([name, value])
        if errors:
            raise fields_invalid(errors)
        return checked

    def _order_check(self, order: int, field_name: str = "order") -> int:
        if isinstance(order, bool) or not ORDER_MIN <= order <= ORDER_MAX:
            raise invalid(field_name, f"order must be from {ORDER_MIN} to {ORDER_MAX}")
        return order

    def customer_card_config_create(
        self,
        *,
        actor: Actor,
        title: str,
        key: str,
        default_time_to_live_seconds: int,
        api_url: str,
        api_headers: Sequence[tuple[str, str]] = (),
    ) -> CardConfig:
        checked_title = self._title_check(title)
        checked_key = self._key_check(key)
        ttl = self._ttl_check(default_time_to_live_seconds)
        checked_url = self._url_check(api_url)
        headers = self._headers_check(api_headers)
        if len(self.customer_card_configs) >= MAX_CONFIGS:
            raise StateError(
                "max_customer_card_configs_reached",
                f"a workspace can have at most {MAX_CONFIGS} customer cards",
            )
        now = self.store.now()
        config = CardConfig(
            id=new_id("cc", now),
            order=DEFAULT_ORDER,
            is_enabled=True,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
            title=checked_title,
            key=checked_key,
            default_time_to_live_seconds=ttl,
            api_url=checked_url,
            api_headers=headers,
        )
        self.customer_card_configs[config.id] = config
        self.store.touch("customer_card_config", config.id)
        self.store.emit(
            "customer_card_config.customer_card_config_created", customer_card_config_id=config.id
        )
        return config

    def customer_card_config_update(
        self,
        *,
        actor: Actor,
        config_id: str,
        order: Any = ...,
        title: Any = ...,
        key: Any = ...,
        default_time_to_live_seconds: Any = ...,
        api_url: Any = ...,
        api_headers: Any = ...,
        is_enabled: Any = ...,
    ) -> CardConfig:
        """`...` leaves a field as it is; api_headers replaces the list."""
        config = self.customer_card_config_get(config_id)
        changes: dict[str, Any] = {}
        if order is not ...:
            changes["order"] = self._order_check(order)
        if title is not ...:
            changes["title"] = self._title_check(title)
        if key is not ...:
            changes["key"] = self._key_check(key, config_id=config.id)
        if default_time_to_live_seconds is not ...:
            changes["default_time_to_live_seconds"] = self._ttl_check(default_time_to_live_seconds)
        if api_url is not ...:
            changes["api_url"] = self._url_check(api_url)
        if api_headers is not ...:
            changes["api_headers"] = self._headers_check(api_headers)
        if is_enabled is not ...:
            changes["is_enabled"] = bool(is_enabled)
        previous = {k: getattr(config, k) for k, v in changes.items() if getattr(config, k) != v}
        if not previous:
            return config
        for name, value in changes.items():
            setattr(config, name, value)
        config.updated_at, config.updated_by = self.store.now(), actor
        self.store.touch("customer_card_config", config.id)
        if previous.keys() & {"key", "api_url", "api_headers"}:
            # What was cached came from another key or API: it is no longer this card's.
            self._instances_drop(config.id)
        self.store.emit(
            "customer_card_config.customer_card_config_updated",
            customer_card_config_id=config.id,
            previous=previous,
        )
        return config

    def customer_card_config_delete(self, *, actor: Actor, config_id: str) -> CardConfig:
        config = self.customer_card_config_get(config_id)
        del self.customer_card_configs[config.id]
        self.store.touch("customer_card_config", config.id)
        self._instances_drop(config.id)
        self.store.emit(
            "customer_card_config.customer_card_config_deleted",
            customer_card_config_id=config.id,
            deleted_by=actor,
        )
        return config

    def customer_card_configs_reorder(
        self, *, actor: Actor, orders: Sequence[tuple[str, int]]
    ) -> list[CardConfig]:
        """Set the order of each config named (a partial list is fine; duplicates allowed)."""
        errors = []
        for i, (config_id, order) in enumerate(orders):
            where = f"customer_card_config_orders[{i}]"
            if config_id not in self.customer_card_configs:
                message = f"customer card config {config_id!r} not found"
                errors.append(FieldError(f"{where}.customer_card_config_id", message, "NOT_FOUND"))
            if isinstance(order, bool) or not ORDER_MIN <= order <= ORDER_MAX:
                message = f"order must be from {ORDER_MIN} to {ORDER_MAX}"
                errors.append(FieldError(f"{where}.order", message))
        if errors:
            raise fields_invalid(errors)
        now = self.store.now()
        for config_id, order in orders:
            config = self.customer_card_configs[config_id]
            if config.order != order:
                previous = {"order": config.order}
                config.order, config.updated_at, config.updated_by = order, now, actor
                self.store.touch("customer_card_config", config.id)
                self.store.emit(
                    "customer_card_config.customer_card_config_updated",
                    customer_card_config_id=config.id,
                    previous=previous,
                )
        return self.customer_card_config_list()

    # --- instances ------------------------------------------------------------------------------

    def _instances_drop(self, config_id: str) -> None:
        for instance in list(self.customer_card_instances.values()):
            if instance.config_id == config_id:
                self._instance_forget(instance)

    def _instance_forget(self, instance: CardInstance) -> None:
        del self.customer_card_instances[instance.id]
        self.store.touch("customer_card_instance", instance.id)
        context = (instance.config_id, instance.customer_id, instance.thread_id)
        if self._current.get(context) == instance.id:
            del self._current[context]

    def _context_check(self, customer_id: str, thread_id: str | None) -> None:
        self.state.family(Customers).customer_get(customer_id)
        if thread_id is not None:
            thread = self.state.family(Threads).threads.get(thread_id)
            if thread is None or thread.customer_id != customer_id:
                raise not_found("thread_id", "thread", thread_id)

    def _load_start(
        self, config: CardConfig, customer_id: str, thread_id: str | None, *, single: bool
    ) -> CardInstance:
        old_id = self._current.get((config.id, customer_id, thread_id))
        if old_id is not None:
            self._instance_forget(self.customer_card_instances[old_id])
        now = self.store.now()
        instance = CardInstance(
            id=new_id("cci", now),
            config_id=config.id,
            customer_id=customer_id,
            thread_id=thread_id,
            state="loading",
            created_at=now,
            updated_at=now,
            due_at=now,
            single=single,
        )
        self.customer_card_instances[instance.id] = instance
        self._current[(config.id, customer_id, thread_id)] = instance.id
        self.store.touch("customer_card_instance", instance.id)
        self.store.emit(LOADING_EVENT, customer_card_instance_id=instance.id)
        return instance

    def _answer(self, instance: CardInstance, now: int) -> CardInstance | None:
        """The instance as it stands, or None when a new load must start."""
        if instance.state == "loaded":
            return (
                instance if instance.expires_at is not None and now < instance.expires_at else None
            )
        if instance.state == "error":
            if instance.expires_at is not None:
                return instance if now < instance.expires_at else None
            if instance.shown:
                return None
            instance.shown = True
            self.store.touch("customer_card_instance", instance.id)
        return instance

    def customer_card_instances_load(
        self, *, customer_id: str, thread_id: str | None = None
    ) -> list[CardInstance]:
        """An instance per enabled config, in order: the cached one while valid, else a new
        load started (loading)."""
        self._context_check(customer_id, thread_id)
        now = self.store.clock_read()
        found = []
        for config in self.customer_card_config_list():
            if not config.is_enabled:
                continue
            current = self._current.get((config.id, customer_id, thread_id))
            answer = (
                self._answer(self.customer_card_instances[current], now)
                if current is not None
                else None
            )
            found.append(answer or self._load_start(config, customer_id, thread_id, single=False))
        return found

    def customer_card_instance_reload(
        self, *, customer_id: str, config_id: str, thread_id: str | None = None
    ) -> CardInstance:
        """Discard the card's cache and load it again, on its own (answers it loading)."""
        config = self.customer_card_config_get(config_id)
        self._context_check(customer_id, thread_id)
        return self._load_start(config, customer_id, thread_id, single=True)

    # --- fetching (cards.py sends) --------------------------------------------------------------

    def customer_card_due_at(self) -> int | None:
        """When the next fetch falls due on the emulator's clock (None: none pending)."""
        times = [
            max(i.due_at, i.claimed_until or 0)
            for i in self.customer_card_instances.values()
            if i.state == "loading" and i.due_at is not None
        ]
        return min(times, default=None)

    def customer_card_fetches_claim(self) -> list[CardFetch]:
        """Claim every fetch due now, batched into requests, each built and signed."""
        now = self.store.clock_read()
        due = [
            i
            for i in self.customer_card_instances.values()
            if i.state == "loading"
            and i.due_at is not None
            and i.due_at <= now
            and (i.claimed_until is None or i.claimed_until <= now)
        ]
        groups: dict[tuple[Any, ...], list[tuple[CardConfig, CardInstance]]] = {}
        for instance in due:
            config = self.customer_card_configs.get(instance.config_id)
            customer = self.state.family(Customers).customers.get(instance.customer_id)
            if config is None or customer is None or not config.is_enabled:
                self._instance_forget(instance)
                continue
            group = (
                instance.customer_id,
                instance.thread_id,
                _api_identity(config),
                instance.attempt,
                instance.id if instance.single else None,
            )
            groups.setdefault(group, []).append((config, instance))
        fetches = []
        for members in groups.values():
            members.sort(key=lambda m: (m[0].order, m[0].id))
            for _config, instance in members:
                instance.claimed_until = now + CLAIM_LEASE_MS
                self.store.touch("customer_card_instance", instance.id)
            fetches.append(self._fetch_build(members, now))
        return sorted(fetches, key=lambda f: f.id)

    def _fetch_build(self, members: list[tuple[CardConfig, CardInstance]], now: int) -> CardFetch:
        first_config, first = members[0]
        customer = self.state.family(Customers).customer_get(first.customer_id)
        body: dict[str, Any] = {
            "cardKeys": [config.key for config, _ in members],
            "customer": {
                "id": customer.id,
                "email": customer.email,
                "externalId": customer.external_id,
            },
        }
        if first.thread_id is not None:
            thread = self.state.family(Threads).threads.get(first.thread_id)
            body["thread"] = {
                "id": first.thread_id,
                "externalId": thread.external_id if thread is not None else None,
            }
        raw = json.dumps(body, separators=(",", ":")).encode()
        signing = self.state.family(Signing)
        signature = hmac.new(signing.signing_secret().encode(), raw, hashlib.sha256).hexdigest()
        headers = (
            *((name, value) for name, value in first_config.api_headers),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("Plain-Workspace-Id", signing.signing_workspace_id()),
            ("User-Agent", CARD_USER_AGENT),
            ("Plain-Request-Signature", signature),
        )
        return CardFetch(
            id=new_id("ccReq", now),
            attempt=first.attempt + 1,
            url=first_config.api_url.strip(),
            headers=tuple(headers),
            body=raw,
            card_keys=tuple(body["cardKeys"]),
            instance_ids=tuple(instance.id for _, instance in members),
            customer_id=first.customer_id,
            thread_id=first.thread_id,
        )

    def customer_card_fetch_record(
        self, *, fetch: CardFetch, result: FetchResult
    ) -> dict[str, Any]:
        """Apply one request's result to its cards (those still loading by it); returns the
        outcome: "loaded" (a 200 read: each card loaded or its own error), "retry_scheduled"
        or "failed", and per card key "loaded" | "error" | "retry" | "discarded"."""
        now = self.store.now()
        live = {
            instance.id: instance
            for instance_id in fetch.instance_ids
            if (instance := self.customer_card_instances.get(instance_id)) is not None
            and instance.state == "loading"
        }
        status = result.status_code
        retriable = result.error is not None or (
            status is not None and (status >= 500 or status == 429)
        )
        cards: dict[str, str] = {}
        outcome = "failed"
        if retriable and fetch.attempt < 2:
            outcome = "retry_scheduled"
            for instance in live.values():
                instance.attempt, instance.claimed_until = fetch.attempt, None
                instance.due_at = now + RETRY_DELAY_MS
                self.store.touch("customer_card_instance", instance.id)
        elif retriable:
            detail = _retriable_detail(result)
            for instance in live.values():
                self._fail(instance, detail, cached=False, now=now)
        elif status != 200:
            detail = {
                "typename": "CustomerCardInstanceStatusCodeErrorDetail",
                "message": f"the API answered HTTP {status}, not 200",
                "statusCode": status,
                "responseBody": "",
            }
            for instance in live.values():
                self._fail(instance, detail, cached=True, now=now)
        else:
            outcome = "loaded"
            by_key, problem = _cards_read(result.body)
            for instance in live.values():
                config = self.customer_card_configs.get(instance.config_id)
                if config is None:
                    continue
                self._answer_apply(instance, config, by_key, problem, now)
        for key, instance_id in zip(fetch.card_keys, fetch.instance_ids, strict=True):
            instance = live.get(instance_id)
            if instance is None:
                cards[key] = "discarded"
            else:
                cards[key] = {"loading": "retry", "loaded": "loaded"}.get(instance.state, "error")
        return {"outcome": outcome, "cards": cards}

    def _answer_apply(
        self,
        instance: CardInstance,
        config: CardConfig,
        by_key: dict[str, Any] | None,
        problem: str | None,
        now: int,
    ) -> None:
        if by_key is None:
            detail = _body_detail(problem or "the response body is not valid")
            self._fail(instance, detail, cached=True, now=now)
            return
        card = by_key.get(config.key)
        if card is None:
            detail = {
                "typename": "CustomerCardInstanceMissingCardErrorDetail",
                "message": f"the response has no card with key {config.key!r}",
                "cardKey": config.key,
            }
            self._fail(instance, detail, cached=True, now=now)
            return
        try:
            components, ttl = _card_read(card, config)
        except ValueError as error:
            self._fail(instance, _body_detail(str(error)), cached=True, now=now)
            return
        instance.state, instance.components = "loaded", components
        instance.loaded_at, instance.expires_at = now, now + ttl * 1000
        instance.due_at = instance.claimed_until = None
        instance.updated_at = now
        self.store.touch("customer_card_instance", instance.id)

    def _fail(
        self, instance: CardInstance, detail: dict[str, Any], *, cached: bool, now: int
    ) -> None:
        instance.state, instance.error = "error", dict(detail)
        instance.expires_at = now + INTEGRATION_ERROR_CACHE_MS if cached else None
        instance.due_at = instance.claimed_until = None
        instance.updated_at = now
        self.store.touch("customer_card_instance", instance.id)


def _retriable_detail(result: FetchResult) -> dict[str, Any]:
    if result.error == "timeout":
        return {
            "typename": "CustomerCardInstanceTimeoutErrorDetail",
            "message": f"the API did not answer within {REQUEST_TIMEOUT_S} seconds",
            "timeoutSeconds": REQUEST_TIMEOUT_S,
        }
    if result.error is not None:
        return {
            "typename": "CustomerCardInstanceRequestErrorDetail",
            "message": result.message or "the request to the API failed",
            "errorCode": result.error,
        }
    return {
        "typename": "CustomerCardInstanceStatusCodeErrorDetail",
        "message": f"the API answered HTTP {result.status_code}, not 200",
        "statusCode": result.status_code,
        "responseBody": "",
    }


def _body_detail(message: str) -> dict[str, Any]:
    return {
        "typename": "CustomerCardInstanceResponseBodyErrorDetail",
        "message": message,
        "responseBody": "",
    }


def _cards_read(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The answer's cards by key (the first card of each key), or None and why not."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, "the response body is not JSON"
    cards = data.get("cards") if isinstance(data, dict) else None
    if not isinstance(cards, list):
        return None, 'the response body must be an object with a "cards" list'
    by_key: dict[str, Any] = {}
    for card in cards:
        key = card.get("key") if isinstance(card, dict) else None
        if isinstance(key, str):
            by_key.setdefault(key, card)
    return by_key, None


def _card_read(card: dict[str, Any], config: CardConfig) -> tuple[list[dict[str, Any]] | None, int]:
    """A card's components (input shape, canonical; None: no data) and its TTL in seconds.
    Raises ValueError saying what is malformed."""
    if "components" not in card:
        raise ValueError(f"card {config.key!r} has no components (null for none)")
    raw = card["components"]
    components = None
    if raw is not None:
        if not isinstance(raw, list):
            raise ValueError(f"card {config.key!r}: components must be a list or null")
        try:
            parsed = pc.components_from_input(raw, field_name=f"cards[{config.key}].components")
        except pc.ComponentInputError as error:
            raise ValueError(f"card {config.key!r}: {error}") from None
        components = [pc.customer_card_component(c) for c in parsed]
    ttl = card.get("timeToLiveSeconds")
    if ttl is None:
        return components, config.default_time_to_live_seconds
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise ValueError(f"card {config.key!r}: timeToLiveSeconds must be an integer or null")
    return components, min(max(ttl, TTL_MIN_S), TTL_MAX_S)


# --- resolvers ---------------------------------------------------------------------------------

PATHS = {
    "customer_card_config_id": "customerCardConfigId",
    "default_time_to_live_seconds": "defaultTimeToLiveSeconds",
    "customer_card_config_orders": "customerCardConfigOrders",
}


def _cards(info: GraphQLResolveInfo) -> CustomerCards:
    return graph.ctx(info).state.family(CustomerCards)


def _internal(info: GraphQLResolveInfo) -> CustomerCards:
    context = graph.ctx(info)
    try:
        graph.internal_actor_only(context)
    except StateError as error:
        raise graph.QueryError(error.message, "FORBIDDEN") from None
    return context.state.family(CustomerCards)


def _headers(items: Sequence[dict[str, str]]) -> list[tuple[str, str]]:
    return [(item["name"], item["value"]) for item in items]


@graph.mutation(paths=PATHS)
def m_create_config(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    config = context.state.family(CustomerCards).customer_card_config_create(
        actor=context.actor,
        title=data["title"],
        key=data["key"],
        default_time_to_live_seconds=data["defaultTimeToLiveSeconds"],
        api_url=data["apiUrl"],
        api_headers=_headers(data["apiHeaders"]),
    )
    return {"customerCardConfig": config}


@graph.mutation(paths=PATHS)
def m_update_config(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    headers = data.get("apiHeaders")
    config = context.state.family(CustomerCards).customer_card_config_update(
        actor=context.actor,
        config_id=data["customerCardConfigId"],
        order=graph.optional(data, "order"),
        title=graph.optional(data, "title"),
        key=graph.optional(data, "key"),
        default_time_to_live_seconds=graph.optional(data, "defaultTimeToLiveSeconds"),
        api_url=graph.optional(data, "apiUrl"),
        api_headers=... if headers is None else _headers(headers),
        is_enabled=graph.optional(data, "isEnabled"),
    )
    return {"customerCardConfig": config}


@graph.mutation(paths=PATHS)
def m_delete_config(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    context.state.family(CustomerCards).customer_card_config_delete(
        actor=context.actor, config_id=data["customerCardConfigId"]
    )
    return {}


@graph.mutation(paths=PATHS)
def m_reorder_configs(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    configs = context.state.family(CustomerCards).customer_card_configs_reorder(
        actor=context.actor,
        orders=[(o["customerCardConfigId"], o["order"]) for o in data["customerCardConfigOrders"]],
    )
    return {"customerCardConfigs": configs}


@graph.mutation(paths=PATHS)
def m_reload_instance(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    instance = context.state.family(CustomerCards).customer_card_instance_reload(
        customer_id=data["customerId"],
        config_id=data["customerCardConfigId"],
        thread_id=data.get("threadId"),
    )
    return {"customerCardInstance": instance}


def q_instances(
    _root: Any, info: GraphQLResolveInfo, customerId: str, threadId: str | None = None
) -> list[CardInstance]:
    try:
        return _cards(info).customer_card_instances_load(customer_id=customerId, thread_id=threadId)
    except StateError as error:
        raise graph.QueryError(error.message, "BAD_USER_INPUT") from None


_INSTANCE_TYPES = {
    "loading": "CustomerCardInstanceLoading",
    "loaded": "CustomerCardInstanceLoaded",
    "error": "CustomerCardInstanceError",
}


def _instance_type(instance: CardInstance, *_: Any) -> str:
    return _INSTANCE_TYPES[instance.state]


def _instance_config(instance: CardInstance, info: GraphQLResolveInfo) -> CardConfig:
    return _cards(info).customer_card_config_get(instance.config_id)


def _instance_components(instance: CardInstance, info: GraphQLResolveInfo) -> Any:
    if instance.components is None:
        return None
    return components_view(graph.Payload("", {"components": instance.components}), info)


def _error_detail(instance: CardInstance, _info: GraphQLResolveInfo) -> graph.Payload:
    detail = dict(instance.error or {})
    return graph.Payload(detail.pop("typename"), detail)


_system: Callable[..., Actor] = lambda *_: dict(SYSTEM)  # noqa: E731 - instances are Plain's own
_INSTANCE_RESOLVERS: dict[str, Callable[..., Any]] = {
    "customerCardConfig": _instance_config,
    "createdBy": _system,
    "updatedBy": _system,
}

RESOLVERS: graph.Resolvers = {
    "Query": {
        "customerCardConfigs": lambda _r, i: _internal(i).customer_card_config_list(),
        "customerCardConfig": lambda _r, i, customerCardConfigId: _internal(
            i
        ).customer_card_configs.get(customerCardConfigId),
        "customerCardInstances": q_instances,
    },
    "Mutation": {
        "createCustomerCardConfig": m_create_config,
        "updateCustomerCardConfig": m_update_config,
        "deleteCustomerCardConfig": m_delete_config,
        "reorderCustomerCardConfigs": m_reorder_configs,
        "reloadCustomerCardInstance": m_reload_instance,
    },
    "CustomerCardConfig": {
        "apiHeaders": lambda c, _i: [{"name": n, "value": v} for n, v in c.api_headers],
    },
    "CustomerCardInstanceLoading": dict(_INSTANCE_RESOLVERS),
    "CustomerCardInstanceLoaded": {**_INSTANCE_RESOLVERS, "components": _instance_components},
    "CustomerCardInstanceError": {**_INSTANCE_RESOLVERS, "errorDetail": _error_detail},
}

TYPE_RESOLVERS = {
    "CustomerCardInstance": _instance_type,
    "CustomerCardInstanceErrorDetail": graph.typename,
    "CustomerCardComponent": graph.typename,
}
