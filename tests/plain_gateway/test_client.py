"""PlainClient against the emulator (through httpx.WSGITransport), plus the retry policy and the
failure modes the emulator cannot produce (timeouts, dropped connections) over httpx transports."""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

import httpx
import pytest

from plain_gateway import (
    ChatEntry,
    CustomEntry,
    HiddenEntry,
    PlainAuthenticationError,
    PlainClient,
    PlainMutationError,
    PlainNotFoundError,
    PlainRateLimitError,
    PlainResponseError,
    PlainServerError,
    PlainTimeoutError,
    PlainTransportError,
    StatusChangeEntry,
    Upserted,
    UpsertResult,
    _retry,
    iter_items,
    iter_pages,
)
from plain_gateway._operations import OPERATIONS
from plain_gateway.components import Text

API_KEY = "test-key"
URL = "http://plain-emulator.test/graphql/v1"
_unique = count(1)


# --- helpers -------------------------------------------------------------------------------------


class Sleeps(list):
    """An injectable sleep that records how long it was asked to wait, and never waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client_for(emulator_app, sleeps) -> Callable[..., PlainClient]:
    """Build a client on the emulator with a recording sleep (and any other option)."""
    made: list[PlainClient] = []

    def make(**options) -> PlainClient:
        options.setdefault("api_key", API_KEY)
        options.setdefault("transport", httpx.WSGITransport(app=emulator_app))
        options.setdefault("sleep", sleeps)
        client = PlainClient(url=URL, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _operation_log(emulator_control, name: str) -> list[dict]:
    return [r for r in emulator_control.requests() if r.get("operationName") == name]


def _customer(plain, *, name: str = "Ada Lovelace") -> str:
    n = next(_unique)
    customer, _ = plain.upsert_customer(
        external_id=f"user-{n}", email=f"user{n}@example.test", full_name=name
    )
    return customer.id


def _tenant(plain, *, name: str | None = None) -> str:
    n = next(_unique)
    tenant, _ = plain.upsert_tenant(external_id=f"org-{n}", name=name or f"Org {n}")
    return tenant.external_id


def _member(plain, *, tenant: str | None = None) -> tuple[str, str]:
    """A customer who is a member of a tenant: (customer id, tenant external id)."""
    tenant = tenant or _tenant(plain)
    customer_id = _customer(plain)
    plain.add_customer_to_tenants(customer_id=customer_id, tenant_external_ids=[tenant])
    return customer_id, tenant


def _thread(plain, *, customer_id: str, tenant: str | None, title: str = "Help", **extra):
    return plain.create_thread(
        customer_id=customer_id, tenant_external_id=tenant, title=title, text="It broke.", **extra
    )


# --- customers and tenants -----------------------------------------------------------------------


def test_upsert_customer_creates_then_updates_the_same_customer(plain):
    created, result = plain.upsert_customer(
        external_id="user-upsert", email="grace@example.test", full_name="Grace Hopper"
    )
    updated, second = plain.upsert_customer(
        external_id="user-upsert",
        email="grace@example.test",
        full_name="Grace B. Hopper",
        short_name="Grace",
    )

    assert result is UpsertResult.CREATED
    assert second is UpsertResult.UPDATED
    assert updated.id == created.id
    assert (updated.external_id, updated.email) == ("user-upsert", "grace@example.test")
    assert (updated.full_name, updated.short_name) == ("Grace B. Hopper", "Grace")


def test_upsert_customer_joins_its_tenants_only_when_it_creates_the_customer(
    plain, emulator_control
):
    acme, globex = _tenant(plain), _tenant(plain)
    emulator_control.clear_requests()

    created, result = plain.upsert_customer(
        external_id="user-joins",
        email="joan@example.test",
        full_name="Joan Clarke",
        tenant_external_ids=[acme],
    )
    again, second = plain.upsert_customer(
        external_id="user-joins",
        email="joan@example.test",
        full_name="Joan Clarke",
        tenant_external_ids=[globex],
    )

    assert (result, second) == (UpsertResult.CREATED, UpsertResult.NOOP)
    assert again.id == created.id
    [first_request, _] = _operation_log(emulator_control, "upsertCustomer")
    on_create = first_request["variables"]["input"]["onCreate"]
    assert on_create["tenantIdentifiers"] == [{"externalId": acme}]
    assert [c.id for c in plain.customers(tenant_external_ids=[acme]).items] == [created.id]
    assert plain.customers(tenant_external_ids=[globex]).items == ()


def test_upsert_customer_into_an_unknown_tenant_is_not_found_and_creates_nothing(plain):
    with pytest.raises(PlainNotFoundError):
        plain.upsert_customer(
            external_id="user-lost",
            email="lost@example.test",
            full_name="Lost",
            tenant_external_ids=["org-nowhere"],
        )

    assert [c.external_id for c in plain.customers().items] == []


def test_upsert_tenant_creates_then_reports_noop(plain):
    tenant, result = plain.upsert_tenant(
        external_id="org-acme", name="Acme", url="https://acme.test"
    )
    again, second = plain.upsert_tenant(
        external_id="org-acme", name="Acme", url="https://acme.test"
    )

    assert result is UpsertResult.CREATED
    assert second is UpsertResult.NOOP
    assert again.id == tenant.id
    assert (tenant.external_id, tenant.name, tenant.url) == (
        "org-acme",
        "Acme",
        "https://acme.test",
    )


def test_tenants_page_forward_across_page_boundaries(plain):
    created = {_tenant(plain) for _ in range(7)}

    seen, after, pages = [], None, 0
    while True:
        page = plain.tenants(first=3, after=after)
        pages += 1
        seen += [tenant.external_id for tenant in page.items]
        if not page.page_info.has_next_page:
            break
        after = page.page_info.end_cursor

    assert pages == 3
    assert len(seen) == len(set(seen))
    assert created <= set(seen)


def test_search_tenants_finds_by_name(plain):
    wanted = _tenant(plain, name="Globex Corporation")
    _tenant(plain, name="Initech")

    page = plain.search_tenants(term="globex")

    assert [tenant.external_id for tenant in page.items] == [wanted]


def test_memberships_add_remove_and_set(plain):
    one, two, three = _tenant(plain), _tenant(plain), _tenant(plain)
    customer_id = _customer(plain)

    def tenants_of_customer() -> set[str]:
        found = set()
        for tenant in (one, two, three):
            page = plain.customers(tenant_external_ids=[tenant])
            if customer_id in {customer.id for customer in page.items}:
                found.add(tenant)
        return found

    plain.add_customer_to_tenants(customer_id=customer_id, tenant_external_ids=[one, two])
    assert tenants_of_customer() == {one, two}

    plain.remove_customer_from_tenants(customer_id=customer_id, tenant_external_ids=[one])
    assert tenants_of_customer() == {two}

    plain.set_customer_tenants(customer_id=customer_id, tenant_external_ids=[one, three])
    assert tenants_of_customer() == {one, three}


def test_customers_of_a_tenant_come_with_their_tenant_memberships(plain):
    tenant, other = _tenant(plain), _tenant(plain)
    inside, _ = _member(plain, tenant=tenant)
    plain.add_customer_to_tenants(customer_id=inside, tenant_external_ids=[other])
    _member(plain, tenant=other)

    page = plain.customers(tenant_external_ids=[tenant])

    assert [customer.id for customer in page.items] == [inside]
    assert page.total_count == 1
    assert {t.external_id for t in page.items[0].tenants} == {tenant, other}


def test_filtering_by_no_tenant_at_all_matches_nothing_and_asks_nobody(plain, emulator_control):
    customer_id, tenant = _member(plain)
    _thread(plain, customer_id=customer_id, tenant=tenant)
    emulator_control.clear_requests()

    assert plain.threads(tenant_external_ids=[]).items == ()
    assert plain.threads(customer_ids=[]).items == ()
    assert plain.customers(tenant_external_ids=[]).items == ()
    assert emulator_control.requests() == []


# --- threads -------------------------------------------------------------------------------------


def test_create_thread_with_everything_it_takes(plain):
    customer_id, tenant = _member(plain)
    label_type = plain.create_label_type(name=f"Bug {next(_unique)}")

    thread = plain.create_thread(
        customer_id=customer_id,
        tenant_external_id=tenant,
        title="Export fails",
        text="The **export** button does nothing.",
        label_type_ids=[label_type.id],
        priority=1,
        external_id="ticket-42",
    )

    assert thread.id.startswith("th_")
    assert (thread.title, thread.priority, thread.status) == ("Export fails", 1, "TODO")
    assert thread.external_id == "ticket-42"
    assert thread.customer.id == customer_id
    assert thread.tenant.external_id == tenant
    assert [label.label_type.id for label in thread.labels] == [label_type.id]
    assert thread.created_at is not None and thread.created_at.tzinfo is not None

    found = plain.thread(thread_id=thread.id)
    (first,) = [item for item in found.timeline.items if isinstance(item.entry, CustomEntry)]
    assert first.entry.components[0] == Text(text="The **export** button does nothing.")


def test_threads_filter_by_tenant_customer_and_status(plain):
    alice, acme = _member(plain)
    bob, _ = _member(plain, tenant=acme)
    carol, globex = _member(plain)
    a1 = _thread(plain, customer_id=alice, tenant=acme)
    b1 = _thread(plain, customer_id=bob, tenant=acme)
    c1 = _thread(plain, customer_id=carol, tenant=globex)
    plain.mark_thread_as_done(thread_id=b1.id)

    def ids(**filters) -> set[str]:
        return {thread.id for thread in plain.threads(**filters).items}

    assert ids(tenant_external_ids=[acme]) == {a1.id, b1.id}
    assert ids(tenant_external_ids=[acme, globex]) == {a1.id, b1.id, c1.id}
    assert ids(tenant_external_ids=[acme], statuses=["TODO", "SNOOZED"]) == {a1.id}
    assert ids(tenant_external_ids=[acme], statuses=["DONE"]) == {b1.id}
    assert ids(customer_ids=[carol]) == {c1.id}
    assert plain.threads(tenant_external_ids=[acme]).total_count == 2


def test_threads_filter_by_thread_ids_within_the_tenants(plain):
    alice, acme = _member(plain)
    carol, globex = _member(plain)
    a1 = _thread(plain, customer_id=alice, tenant=acme)
    a2 = _thread(plain, customer_id=alice, tenant=acme)
    c1 = _thread(plain, customer_id=carol, tenant=globex)

    def ids(**filters) -> set[str]:
        return {thread.id for thread in plain.threads(**filters).items}

    assert ids(thread_ids=[a1.id, c1.id]) == {a1.id, c1.id}
    # Every filter holds: another tenant's id named in thread_ids stays out.
    assert ids(tenant_external_ids=[acme], thread_ids=[a1.id, c1.id]) == {a1.id}
    assert a2.id not in ids(tenant_external_ids=[acme], thread_ids=[a1.id])
    # No ids: no thread, and Plain is not asked for every thread.
    assert plain.threads(tenant_external_ids=[acme], thread_ids=[]).items == ()


def test_threads_updated_after_keeps_what_plain_changed_since(plain):
    alice, acme = _member(plain)
    old = _thread(plain, customer_id=alice, tenant=acme)
    touched = _thread(plain, customer_id=alice, tenant=acme)
    since = plain.threads(tenant_external_ids=[acme]).items[0].updated_at
    assert since is not None
    plain.mark_thread_as_done(thread_id=touched.id)
    changed = plain.thread(thread_id=touched.id)
    assert changed is not None

    def ids(moment) -> set[str]:
        page = plain.threads(tenant_external_ids=[acme], updated_after=moment)
        return {thread.id for thread in page.items}

    assert ids(changed.thread.updated_at) == {touched.id}  # `after` is inclusive
    assert ids(changed.thread.updated_at + timedelta(milliseconds=1)) == set()
    assert old.id in ids(since - timedelta(days=1))
    with pytest.raises(ValueError):
        plain.threads(tenant_external_ids=[acme], updated_after=datetime(2026, 1, 1))


def test_threads_page_both_ways_across_page_boundaries(plain):
    customer_id, tenant = _member(plain)
    made = [_thread(plain, customer_id=customer_id, tenant=tenant, title=f"T{i}") for i in range(7)]
    newest_first = [thread.id for thread in reversed(made)]

    forward, after = [], None
    while True:
        page = plain.threads(
            tenant_external_ids=[tenant], sort_field="CREATED_AT", first=3, after=after
        )
        forward.append([thread.id for thread in page.items])
        if not page.page_info.has_next_page:
            break
        after = page.page_info.end_cursor

    assert forward == [newest_first[0:3], newest_first[3:6], newest_first[6:7]]

    backward, before = [], page.page_info.start_cursor
    while before is not None:
        page = plain.threads(
            tenant_external_ids=[tenant], sort_field="CREATED_AT", last=3, before=before
        )
        backward.insert(0, [thread.id for thread in page.items])
        before = page.page_info.start_cursor if page.page_info.has_previous_page else None

    assert backward == [newest_first[0:3], newest_first[3:6]]


def test_threads_sort_ascending_when_asked(plain):
    customer_id, tenant = _member(plain)
    made = [_thread(plain, customer_id=customer_id, tenant=tenant) for _ in range(3)]

    page = plain.threads(
        tenant_external_ids=[tenant], sort_field="CREATED_AT", sort_direction="ASC"
    )

    assert [thread.id for thread in page.items] == [thread.id for thread in made]


def test_thread_returns_none_for_an_unknown_id(plain):
    assert plain.thread(thread_id="th_01JZZZZZZZZZZZZZZZZZZZZZZZ") is None


def test_thread_returns_the_newest_timeline_page_oldest_first_and_pages_back(plain):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)
    for i in range(55):
        plain.send_chat(customer_id=customer_id, thread_id=thread.id, text=f"chat {i}")

    newest = plain.thread(thread_id=thread.id)

    texts = [item.entry.text for item in newest.timeline.items if isinstance(item.entry, ChatEntry)]
    assert len(newest.timeline.items) == 50
    assert texts[-1] == "chat 54"
    assert texts == sorted(texts, key=lambda text: int(text.split()[1]))
    stamps = [item.timestamp for item in newest.timeline.items]
    assert stamps == sorted(stamps)
    assert newest.timeline.page_info.has_previous_page

    older = plain.thread(
        thread_id=thread.id, last=50, before=newest.timeline.page_info.start_cursor
    )
    older_ids = [item.id for item in older.timeline.items]
    assert not set(older_ids) & {item.id for item in newest.timeline.items}
    assert len(older_ids) + len(newest.timeline.items) == len(
        plain.thread(thread_id=thread.id, first=100).timeline.items
    )
    assert older.timeline.items[-1].timestamp < newest.timeline.items[0].timestamp


def test_thread_timeline_pages_forward_with_first_and_after(plain):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)
    for i in range(4):
        plain.send_chat(customer_id=customer_id, thread_id=thread.id, text=f"chat {i}")

    first = plain.thread(thread_id=thread.id, first=2)
    second = plain.thread(thread_id=thread.id, first=2, after=first.timeline.page_info.end_cursor)

    assert first.timeline.page_info.has_next_page
    assert isinstance(first.timeline.items[0].entry, CustomEntry)  # the first message
    assert [item.entry.text for item in second.timeline.items] == ["chat 1", "chat 2"]


def test_notes_and_events_are_hidden_entries_whose_content_never_arrives(plain, emulator_control):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)
    plain.create_note(customer_id=customer_id, thread_id=thread.id, text="SECRET note text")
    plain.create_thread_event(
        thread_id=thread.id,
        title="SECRET event",
        components=[Text(text="SECRET event body")],
    )
    plain.send_chat(customer_id=customer_id, thread_id=thread.id, text="Hello from support")

    timeline = plain.thread(thread_id=thread.id).timeline.items

    hidden = {item.entry.typename for item in timeline if isinstance(item.entry, HiddenEntry)}
    assert {"NoteEntry", "ThreadEventEntry"} <= hidden
    assert "SECRET" not in repr([item.entry for item in timeline])
    chat = next(item for item in timeline if isinstance(item.entry, ChatEntry))
    assert chat.entry.text == "Hello from support"
    assert chat.actor.kind == "machine_user"


def test_reply_as_the_customer_appears_in_the_timeline_as_theirs(plain):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)
    plain.send_chat(customer_id=customer_id, thread_id=thread.id, text="Any news?")
    before = plain.thread(thread_id=thread.id).thread

    plain.reply_to_thread(thread_id=thread.id, text="Still broken.", as_customer_id=customer_id)

    found = plain.thread(thread_id=thread.id)
    last = found.timeline.items[-1]
    assert last.is_visible
    assert "Still broken." in getattr(last.entry, "text", "")
    assert (last.actor.kind, last.actor.id) == ("customer", customer_id)
    assert last.actor.name == "Ada Lovelace"
    assert found.thread.last_inbound_at > before.last_outbound_at


def test_mark_done_and_todo_record_status_changes(plain):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)

    done = plain.mark_thread_as_done(thread_id=thread.id)
    todo = plain.mark_thread_as_todo(thread_id=thread.id)

    assert (done.status, todo.status) == ("DONE", "TODO")
    changes = [
        (item.entry.previous_status, item.entry.next_status)
        for item in plain.thread(thread_id=thread.id).timeline.items
        if isinstance(item.entry, StatusChangeEntry)
    ]
    assert changes[-2:] == [("TODO", "DONE"), ("DONE", "TODO")]


def test_snooze_priority_and_labels(plain):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)
    label_type = plain.create_label_type(name=f"Billing {next(_unique)}", color="#ff0000")

    assert plain.snooze_thread(thread_id=thread.id, duration_seconds=3600).status == "SNOOZED"
    assert plain.change_thread_priority(thread_id=thread.id, priority=0).priority == 0
    labels = plain.add_labels(thread_id=thread.id, label_type_ids=[label_type.id])

    assert [label.label_type.name for label in labels] == [label_type.name]
    assert label_type.id in {lt.id for lt in plain.label_types().items}
    assert [label.label_type.id for label in plain.thread(thread_id=thread.id).thread.labels] == [
        label_type.id
    ]


def test_thread_field_schemas_is_a_page(plain):
    page = plain.thread_field_schemas()
    assert page.page_info.has_next_page is False
    assert all(schema.key for schema in page.items)


def test_customer_events_reach_plain_and_stay_hidden(plain, emulator_control):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)

    plain.create_customer_event(
        customer_id=customer_id,
        title="API key rotated",
        components=[Text(text="internal detail")],
        external_id=f"event-{next(_unique)}",
    )

    assert len(_operation_log(emulator_control, "createCustomerEvent")) == 1
    entries = plain.thread(thread_id=thread.id).timeline.items
    assert "internal detail" not in repr([item.entry for item in entries])


def test_attachment_upload_and_download_urls(plain):
    customer_id = _customer(plain)

    upload = plain.create_attachment_upload_url(
        customer_id=customer_id, file_name="screenshot.png", size_bytes=1234
    )

    assert upload.attachment.id
    assert (upload.attachment.file_name, upload.attachment.size_bytes) == ("screenshot.png", 1234)
    assert upload.upload_form_url.startswith("http")
    assert upload.form_data
    assert upload.expires_at > datetime.now(UTC)

    plain.upload_attachment(upload=upload, content=b"x" * 1234, content_type="image/png")

    download = plain.create_attachment_download_url(attachment_id=upload.attachment.id)
    assert plain.download_attachment(url=download) == b"x" * 1234


def test_a_download_is_refused_past_its_size_limit_or_off_http(plain):
    upload = plain.create_attachment_upload_url(
        customer_id=_customer(plain), file_name="big.log", size_bytes=1000
    )
    plain.upload_attachment(upload=upload, content=b"y" * 1000)
    download = plain.create_attachment_download_url(attachment_id=upload.attachment.id)

    with pytest.raises(PlainResponseError, match="larger than 999 bytes"):
        plain.download_attachment(url=download, max_bytes=999)
    with pytest.raises(PlainResponseError, match="not an http"):
        plain.download_attachment(url="ftp://storage.example/big.log")


def test_an_upload_never_carries_the_api_key(emulator_app, sleeps):
    seen: list[httpx.Request] = []
    inner = httpx.WSGITransport(app=emulator_app)

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return inner.handle_request(request)

    with PlainClient(
        api_key=API_KEY, url=URL, transport=httpx.MockTransport(spy), sleep=sleeps
    ) as client:
        upload = client.create_attachment_upload_url(
            customer_id=_customer(client), file_name="notes.txt", size_bytes=5
        )
        client.upload_attachment(upload=upload, content=b"hello", content_type="text/plain")

    graphql = [r for r in seen if r.url.path.endswith("/graphql/v1")]
    others = [r for r in seen if not r.url.path.endswith("/graphql/v1")]
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in graphql)
    assert len(others) == 1
    assert "authorization" not in others[0].headers


# --- wire protocol -------------------------------------------------------------------------------


def test_every_request_names_its_operation(plain, emulator_control):
    emulator_control.clear_requests()
    _customer(plain)
    plain.tenants()

    names = [request["operationName"] for request in emulator_control.requests()]
    assert names == ["upsertCustomer", "tenants"]


def test_requests_carry_bearer_auth_operation_header_and_user_agent():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"tenants": {"edges": [], "pageInfo": {}}}})

    with PlainClient(api_key=API_KEY, url=URL, transport=httpx.MockTransport(handler)) as client:
        client.tenants()

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["x-graphql-operation-name"] == "tenants"
    assert request.headers["user-agent"].startswith("plain-support-portal-gateway/")
    body = httpx.Response(200, content=request.content).json()
    assert body["operationName"] == "tenants"
    assert body["query"] == OPERATIONS["tenants"].document


def test_one_client_serves_many_threads_at_once(plain):
    customer_id, tenant = _member(plain)
    thread = _thread(plain, customer_id=customer_id, tenant=tenant)
    results, failures = [], []

    def work() -> None:
        try:
            for _ in range(5):
                results.append(plain.thread(thread_id=thread.id).thread.id)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert results == [thread.id] * 40


# --- errors --------------------------------------------------------------------------------------


def test_a_bad_key_is_an_authentication_error_and_is_not_retried(
    client_for, emulator_control, sleeps
):
    client = client_for(api_key="not-the-key")
    emulator_control.clear_requests()

    with pytest.raises(PlainAuthenticationError) as caught:
        client.tenants()

    assert "not-the-key" not in str(caught.value)
    assert sleeps == []
    assert len(emulator_control.requests()) <= 1


def test_a_validation_error_carries_its_field_errors(plain):
    customer_id, tenant = _member(plain)

    with pytest.raises(PlainMutationError) as caught:
        plain.create_thread(
            customer_id=customer_id, tenant_external_id=tenant, title="  ", text="x", priority=9
        )

    error = caught.value
    assert error.type == "VALIDATION"
    assert error.code == "input_validation"
    assert {(field.field, field.type) for field in error.fields} >= {
        ("title", "REQUIRED"),
        ("priority", "VALIDATION"),
    }


def test_a_missing_entity_in_a_mutation_is_a_not_found_error(plain):
    with pytest.raises(PlainNotFoundError) as caught:
        plain.mark_thread_as_done(thread_id="th_01JZZZZZZZZZZZZZZZZZZZZZZZ")

    assert caught.value.operation_name == "markThreadAsDone"


def test_a_rate_limit_waits_for_the_reset_plain_gives(client_for, emulator_control, sleeps):
    client = client_for()
    emulator_control.fail_next(count=1, status=429, retry_after_seconds=7)

    assert client.tenants().items is not None

    assert len(sleeps) == 1
    assert 7 <= sleeps[0] <= 7 * (1 + _retry.JITTER_RATIO)


def test_without_retry_after_the_wait_is_read_from_the_ratelimit_reset(
    client_for, emulator_control, sleeps
):
    # The emulator then sends only x-ratelimit-reset: the next whole second, as epoch seconds.
    # A client clock 10 s behind makes that reset 10-11 s away, far from any backoff wait.
    client = client_for(clock=lambda: time.time() - 10)
    emulator_control.fail_next(count=1, status=429)

    client.tenants()

    assert len(sleeps) == 1
    assert 10 < sleeps[0] <= 11 * (1 + _retry.JITTER_RATIO)


def test_a_rate_limit_longer_than_the_cap_is_raised_at_once(client_for, emulator_control, sleeps):
    client = client_for(max_rate_limit_wait=5)
    emulator_control.fail_next(count=1, status=429, retry_after_seconds=60)

    with pytest.raises(PlainRateLimitError) as caught:
        client.tenants()

    assert caught.value.retry_after == 60
    assert sleeps == []


def test_a_rate_limited_mutation_is_retried_even_if_unsafe_to_repeat(
    client_for, emulator_control, sleeps
):
    # A 429 means Plain did not run the request, so sending it again cannot duplicate anything.
    client = client_for()
    customer_id, tenant = _member(client)
    emulator_control.clear_requests()
    emulator_control.fail_next(count=1, status=429, retry_after_seconds=1)

    client.create_thread(customer_id=customer_id, tenant_external_id=tenant, title="T", text="x")

    assert len(_operation_log(emulator_control, "createThread")) == 2
    assert len(client.threads(tenant_external_ids=[tenant]).items) == 1


def test_a_503_is_retried_then_succeeds(client_for, emulator_control, sleeps):
    client = client_for()
    emulator_control.clear_requests()
    emulator_control.fail_next(count=2, status=503)

    client.tenants()

    assert len(_operation_log(emulator_control, "tenants")) == 3
    assert len(sleeps) == 2
    assert sleeps[0] <= sleeps[1] * (1 + _retry.JITTER_RATIO)


def test_a_503_forever_gives_up_after_the_configured_attempts(client_for, emulator_control, sleeps):
    client = client_for(max_attempts=3)
    emulator_control.clear_requests()
    emulator_control.fail_next(count=10, status=503)

    with pytest.raises(PlainServerError) as caught:
        client.tenants()

    assert caught.value.status_code == 503
    assert len(_operation_log(emulator_control, "tenants")) == 3
    assert len(sleeps) == 2


def test_a_mutation_unsafe_to_repeat_is_never_retried(client_for, emulator_control, sleeps):
    client = client_for()
    customer_id, tenant = _member(client)
    thread = _thread(client, customer_id=customer_id, tenant=tenant)
    emulator_control.clear_requests()

    emulator_control.fail_next(count=1, status=503)
    with pytest.raises(PlainServerError):
        client.create_thread(
            customer_id=customer_id, tenant_external_id=tenant, title="T", text="x"
        )
    emulator_control.fail_next(count=1, status=502)
    with pytest.raises(PlainServerError):
        client.reply_to_thread(thread_id=thread.id, text="hi", as_customer_id=customer_id)

    emulator_control.clear_faults()
    assert len(_operation_log(emulator_control, "createThread")) == 1
    assert len(_operation_log(emulator_control, "replyToThread")) == 1
    assert sleeps == []


def test_an_idempotent_mutation_is_retried(client_for, emulator_control, sleeps):
    client = client_for()
    customer_id, tenant = _member(client)
    thread = _thread(client, customer_id=customer_id, tenant=tenant)
    emulator_control.clear_requests()
    emulator_control.fail_next(count=1, status=503)

    assert client.mark_thread_as_done(thread_id=thread.id).status == "DONE"

    assert len(_operation_log(emulator_control, "markThreadAsDone")) == 2
    assert len(sleeps) == 1


def _raising_transport(exc_type: type[httpx.TransportError], calls: list) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["x-graphql-operation-name"])
        raise exc_type("simulated", request=request)

    return httpx.MockTransport(handler)


def test_a_timeout_is_retried_for_queries_then_raised(sleeps):
    calls: list[str] = []
    client = PlainClient(
        api_key=API_KEY,
        url=URL,
        transport=_raising_transport(httpx.ReadTimeout, calls),
        max_attempts=3,
        sleep=sleeps,
    )

    with pytest.raises(PlainTimeoutError) as caught:
        client.tenants()

    assert calls == ["tenants"] * 3
    assert caught.value.request_sent is True
    assert isinstance(caught.value, PlainTransportError)
    assert [round(s / _retry.INITIAL_BACKOFF_SECONDS) for s in sleeps] == [1, 2]


def test_a_timeout_on_an_unsafe_mutation_is_raised_at_once(sleeps):
    calls: list[str] = []
    client = PlainClient(
        api_key=API_KEY,
        url=URL,
        transport=_raising_transport(httpx.ReadTimeout, calls),
        sleep=sleeps,
    )

    with pytest.raises(PlainTimeoutError):
        client.create_thread(customer_id="c_1", tenant_external_id=None, title="T", text="x")

    assert calls == ["createThread"]
    assert sleeps == []


def test_a_refused_connection_is_retried_even_for_unsafe_mutations(sleeps):
    # The request never left, so it cannot have run.
    calls: list[str] = []
    client = PlainClient(
        api_key=API_KEY,
        url=URL,
        transport=_raising_transport(httpx.ConnectError, calls),
        max_attempts=2,
        sleep=sleeps,
    )

    with pytest.raises(PlainTransportError) as caught:
        client.reply_to_thread(thread_id="th_1", text="hi")

    assert calls == ["replyToThread"] * 2
    assert caught.value.request_sent is False


def test_a_real_timeout_over_loopback(emulator_app, emulator_control):
    """The client gives up on a slow Plain within its timeout (a real socket, the real clock)."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = make_server("127.0.0.1", 0, emulator_app, handler_class=QuietHandler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    emulator_control.set_latency(ms=300)
    try:
        client = PlainClient(
            api_key=API_KEY,
            url=f"http://127.0.0.1:{server.server_port}/graphql/v1",
            timeout=0.05,
            max_attempts=1,
        )
        with pytest.raises(PlainTimeoutError):
            client.tenants()
        client.close()
    finally:
        emulator_control.set_latency(ms=0)
        server.shutdown()
        server.server_close()


# --- retry policy --------------------------------------------------------------------------------


def test_backoff_doubles_and_is_capped():
    lower_bounds = [
        min(_retry.MAX_BACKOFF_SECONDS, _retry.INITIAL_BACKOFF_SECONDS * 2**n) for n in range(10)
    ]
    for attempt, lower in enumerate(lower_bounds, start=1):
        waited = _retry.backoff(attempt)
        assert lower <= waited <= lower * (1 + _retry.JITTER_RATIO)
    assert _retry.backoff(50) <= _retry.MAX_BACKOFF_SECONDS * (1 + _retry.JITTER_RATIO)


def test_jitter_spreads_waits_and_never_shortens_them():
    waits = {_retry.jitter(10.0) for _ in range(200)}
    assert all(10.0 <= wait <= 10.0 * (1 + _retry.JITTER_RATIO) for wait in waits)
    assert len(waits) > 100


@pytest.mark.parametrize(
    ("error", "repeatable", "retried"),
    [
        (PlainServerError("x"), True, True),
        (PlainServerError("x"), False, False),
        (PlainTimeoutError("x"), True, True),
        (PlainTimeoutError("x"), False, False),
        (PlainTransportError("x", request_sent=False), False, True),
        (PlainRateLimitError("x", retry_after=2), False, True),
        (PlainRateLimitError("x"), False, True),
        (PlainAuthenticationError("x"), True, False),
        (PlainMutationError("x", type="INTERNAL"), True, False),
    ],
)
def test_what_the_policy_retries(error, repeatable, retried):
    delay = _retry.retry_delay(error=error, attempt=1, max_attempts=4, repeatable=repeatable)
    assert (delay is not None) is retried


def test_no_retry_once_the_attempts_are_spent():
    error = PlainServerError("x")
    assert _retry.retry_delay(error=error, attempt=4, max_attempts=4, repeatable=True) is None


def test_the_repeatable_mutations_exist_and_creations_are_not_among_them():
    mutations = {name for name, operation in OPERATIONS.items() if operation.is_mutation}
    assert mutations >= _retry.REPEATABLE_MUTATIONS
    assert (
        not {
            "createThread",
            "replyToThread",
            "sendChat",
            "createNote",
            "createAttachmentUploadUrl",
            "createThreadEvent",
            "createCustomerEvent",
            "createLabelType",
            "addLabels",
        }
        & _retry.REPEATABLE_MUTATIONS
    )


def test_a_reset_timestamp_is_measured_against_the_injected_clock(sleeps):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    reset = (now + timedelta(seconds=4)).isoformat()
    responses = iter(
        [
            httpx.Response(429, headers={"x-ratelimit-reset": reset}),
            httpx.Response(200, json={"data": {"tenants": {"edges": [], "pageInfo": {}}}}),
        ]
    )
    client = PlainClient(
        api_key=API_KEY,
        url=URL,
        transport=httpx.MockTransport(lambda request: next(responses)),
        sleep=sleeps,
        clock=now.timestamp,
    )

    client.tenants()

    assert len(sleeps) == 1
    assert 4 <= sleeps[0] <= 4 * (1 + _retry.JITTER_RATIO)


# --- the API key stays secret --------------------------------------------------------------------

SECRET = "plainApiKey_super-secret-value"


def test_the_key_never_shows_in_errors_reprs_or_logs(caplog, sleeps):
    def handler(request: httpx.Request) -> httpx.Response:
        # A server that echoes the key back: the client must scrub it.
        return httpx.Response(
            401,
            headers={"x-request-id": "req_1"},
            json={"errors": [{"message": f"bad key {SECRET}", "extensions": {"code": "X"}}]},
        )

    client = PlainClient(
        api_key=SECRET, url=URL, transport=httpx.MockTransport(handler), sleep=sleeps
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PlainAuthenticationError) as caught:
        client.tenants()

    error = caught.value
    assert error.request_id == "req_1"
    assert "[redacted]" in str(error)
    for text in (str(error), repr(error), repr(client), repr(vars(error)), caplog.text):
        assert SECRET not in text
    assert SECRET not in " ".join(record.getMessage() for record in caplog.records)


def test_the_key_never_shows_when_a_transport_fails(caplog, sleeps):
    client = PlainClient(
        api_key=SECRET,
        url=URL,
        transport=_raising_transport(httpx.ReadTimeout, []),
        sleep=sleeps,
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PlainTimeoutError) as caught:
        client.tenants()

    cause = caught.value.__cause__
    assert isinstance(cause, httpx.ReadTimeout)
    for text in (str(caught.value), repr(caught.value), str(cause), repr(cause.request.headers)):
        assert SECRET not in text
    assert caplog.records  # the retries were logged ...
    assert SECRET not in caplog.text  # ... without the key


def test_a_client_cannot_be_pickled_into_a_task_message():
    client = PlainClient(api_key=SECRET, url=URL)
    with pytest.raises(TypeError) as caught:
        pickle.dumps(client)
    assert SECRET not in str(caught.value)
    client.close()


def test_a_client_needs_a_key():
    with pytest.raises(ValueError, match="API key"):
        PlainClient(api_key="", url=URL)


def test_iter_items_follows_the_cursors_and_stops_at_max_pages(plain):
    for n in range(5):
        plain.upsert_tenant(external_id=f"iter-{n}", name=f"Iter {n}")

    def fetch(after):
        return plain.tenants(first=2, after=after)

    assert [page.page_info.has_next_page for page in iter_pages(fetch)] == [True, True, False]
    assert sorted(t.external_id for t in iter_items(fetch)) == [f"iter-{n}" for n in range(5)]
    assert len(list(iter_items(fetch, max_pages=2))) == 4


def test_an_upsert_answers_a_named_typed_result(plain):
    upserted = plain.upsert_tenant(external_id="org-named", name="Named")

    assert isinstance(upserted, Upserted)
    assert upserted.result is UpsertResult.CREATED
    assert upserted.item.external_id == "org-named"


def test_an_upsert_result_plain_does_not_define_is_a_response_error(plain, monkeypatch):
    real = plain._payload

    def payload(operation_name, variables):
        return {**real(operation_name, variables), "result": "MAYBE"}

    monkeypatch.setattr(plain, "_payload", payload)

    with pytest.raises(PlainResponseError):
        plain.upsert_tenant(external_id="org-odd", name="Odd")


@pytest.mark.parametrize(
    "arguments",
    [
        {"statuses": ["OPEN"]},
        {"sort_field": "UPDATED_AT"},
        {"sort_direction": "UP"},
    ],
)
def test_a_value_outside_plains_enumerations_is_refused_before_asking_plain(
    plain, emulator_control, arguments
):
    with pytest.raises(ValueError):
        plain.threads(tenant_external_ids=["org-x"], **arguments)

    assert emulator_control.requests() == []


def test_plains_enumerations_are_accepted_as_enums(plain):
    from plain_gateway.types import SortDirection, ThreadsSortField, ThreadStatus

    page = plain.threads(
        tenant_external_ids=["org-x"],
        statuses=[ThreadStatus.TODO],
        sort_field=ThreadsSortField.CREATED_AT,
        sort_direction=SortDirection.ASC,
    )

    assert page.items == ()
