"""The emulator's control API: reset, inbound email, agents, faults and the request log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from plain_gateway.emulator import EmulatorControl, EmulatorControlError, create_app
from plain_gateway.emulator.families.customers import CustomerRef
from tests.conftest import EmulatorFactory

URL = "http://emulator.test/graphql/v1"

TIMELINE = """
query q($id: ID!) { thread(threadId: $id) {
  status channel title tenant { externalId } customer { fullName email { email } }
  timelineEntries { edges { node {
    actor { __typename ... on CustomerActor { customerId } }
    entry { __typename ... on EmailEntry {
      subject textContent isStartOfThread receivedAt { iso8601 } sentAt { iso8601 }
      from { email name } to { email }
      additionalRecipients { email name } hiddenRecipients { email name }
    } }
  } } }
} }
"""


def _entries(graphql, thread_id):
    body = graphql(TIMELINE, id=thread_id)["data"]["thread"]
    return body, [edge["node"] for edge in body["timelineEntries"]["edges"]]


def test_reset_forgets_all_data(graphql, emulator_control, emulator_factory):
    emulator_factory.thread()

    emulator_control.reset()

    body = graphql(
        "{ threads { totalCount } customers { totalCount } tenants { edges { cursor } } }"
    )
    assert body["data"] == {
        "threads": {"totalCount": 0},
        "customers": {"totalCount": 0},
        "tenants": {"edges": []},
    }
    # The API key still works after a reset, and refs start again.
    assert emulator_factory.thread()["ref"] == "T-1"


def test_an_inbound_email_creates_the_customer_and_an_email_thread_in_the_tenant(
    graphql, emulator_control, emulator_factory
):
    emulator_factory.tenant(external_id="org-acme")

    ids = emulator_control.inbound_email(
        from_email="dana@acme.test",
        from_name="Dana Scully",
        subject="Invoice missing",
        text="Where is my invoice?",
        tenant_external_id="org-acme",
        cc=["boss@acme.test"],
        bcc=[{"email": "audit@acme.test", "name": "Audit"}],
    )

    thread, entries = _entries(graphql, ids["thread_id"])
    assert ids["thread_id"].startswith("th_") and ids["customer_id"].startswith("c_")
    assert (thread["status"], thread["channel"], thread["title"]) == (
        "TODO",
        "EMAIL",
        "Invoice missing",
    )
    assert thread["tenant"] == {"externalId": "org-acme"}
    assert thread["customer"] == {"fullName": "Dana Scully", "email": {"email": "dana@acme.test"}}
    (entry,) = entries
    assert entry["actor"] == {"__typename": "CustomerActor", "customerId": ids["customer_id"]}
    email = entry["entry"]
    assert email["from"] == {"email": "dana@acme.test", "name": "Dana Scully"}
    assert email["additionalRecipients"] == [{"email": "boss@acme.test", "name": None}]
    assert email["hiddenRecipients"] == [{"email": "audit@acme.test", "name": "Audit"}]
    assert (email["isStartOfThread"], email["sentAt"]) == (True, None)
    assert email["receivedAt"]["iso8601"].endswith("Z")


def test_an_inbound_email_into_a_done_thread_reopens_it_for_the_known_customer(
    graphql, emulator_control
):
    first = emulator_control.inbound_email(from_email="dana@acme.test", subject="Help", text="one")
    graphql(
        "mutation m($id: ID!) { markThreadAsDone(input: { threadId: $id }) { error { code } } }",
        id=first["thread_id"],
    )

    second = emulator_control.inbound_email(
        from_email="DANA@acme.test", subject="Re: Help", text="two", thread_id=first["thread_id"]
    )

    thread, entries = _entries(graphql, first["thread_id"])
    assert second["customer_id"] == first["customer_id"]
    assert second["thread_id"] == first["thread_id"]
    assert thread["status"] == "TODO"
    assert [e["entry"]["__typename"] for e in entries] == [
        "EmailEntry",
        "ThreadStatusTransitionedEntry",
        "EmailEntry",
        "ThreadStatusTransitionedEntry",
    ]
    assert entries[2]["entry"]["isStartOfThread"] is False


def test_an_inbound_email_to_an_unknown_thread_or_tenant_is_refused(emulator_control):
    with pytest.raises(EmulatorControlError) as thread_error:
        emulator_control.inbound_email(
            from_email="a@b.test", subject="x", text="x", thread_id="th_01NOPE"
        )
    with pytest.raises(EmulatorControlError) as tenant_error:
        emulator_control.inbound_email(
            from_email="a@b.test", subject="x", text="x", tenant_external_id="nope"
        )
    with pytest.raises(EmulatorControlError) as email_error:
        emulator_control.inbound_email(from_email="not-an-email", subject="x", text="x")

    assert (thread_error.value.status, thread_error.value.code) == (404, "not_found")
    assert (tenant_error.value.status, tenant_error.value.code) == (404, "not_found")
    assert (email_error.value.status, email_error.value.code) == (400, "input_validation")


def test_the_control_api_needs_the_emulators_own_key(emulator_app, emulator_control):
    agent_key = emulator_control.add_agent(full_name="Sam", public_name="Sam")
    for key in (None, "wrong", agent_key):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        with httpx.Client(transport=httpx.WSGITransport(app=emulator_app)) as client:
            response = client.post("http://emulator.test/_emulator/reset", headers=headers)
        assert response.status_code == 401, key


def test_latency_is_added_to_every_graphql_request():
    slept: list[float] = []
    app = create_app(api_key="k", sleep=slept.append)
    transport = httpx.WSGITransport(app=app)
    control = EmulatorControl(url=URL, api_key="k", transport=transport)
    control.set_latency(ms=250)

    with httpx.Client(transport=transport) as client:
        for _ in range(2):
            client.post(
                URL, json={"query": "{ myUser { id } }"}, headers={"Authorization": "Bearer k"}
            )
    control.clear_faults()
    with httpx.Client(transport=transport) as client:
        client.post(URL, json={"query": "{ myUser { id } }"}, headers={"Authorization": "Bearer k"})

    assert slept == [0.25, 0.25]


def test_fail_next_answers_that_many_requests_with_the_status_then_recovers(
    emulator_control, emulator_http
):
    emulator_control.fail_next(count=2, status=503)

    statuses = [
        emulator_http.post(
            "/graphql/v1",
            json={"query": "{ myUser { id } }"},
            headers={"Authorization": "Bearer test-key"},
        ).status_code
        for _ in range(3)
    ]

    assert statuses == [503, 503, 200]


def test_an_injected_429_carries_retry_after_and_the_rate_limit_reset(
    emulator_control, emulator_http
):
    emulator_control.fail_next(count=1, status=429, retry_after_seconds=7)

    response = emulator_http.post(
        "/graphql/v1",
        json={"query": "{ myUser { id } }"},
        headers={"Authorization": "Bearer test-key"},
    )

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert int(response.headers["x-ratelimit-reset"]) > 1_600_000_000
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_faults_refuse_a_status_that_is_not_429_or_5xx(emulator_control):
    with pytest.raises(EmulatorControlError) as error:
        emulator_control.fail_next(count=1, status=200)

    assert error.value.status == 400


def test_faults_do_not_touch_the_control_api(emulator_control):
    emulator_control.fail_next(count=5, status=500)

    emulator_control.clear_faults()
    emulator_control.reset()


def test_the_request_log_records_graphql_requests_and_can_be_cleared(graphql, emulator_control):
    emulator_control.clear_requests()
    graphql("query tenants($first: Int) { tenants(first: $first) { edges { cursor } } }", first=5)
    emulator_control.fail_next(count=1, status=500)
    with pytest.raises(AssertionError):
        graphql("query again { myUser { id } }")

    log = emulator_control.requests()
    emulator_control.clear_requests()

    assert [(r["operationName"], r["status"]) for r in log] == [(None, 200), (None, 500)]
    assert log[0]["variables"] == {"first": 5}
    assert log[0]["timestamp"].endswith("Z")
    assert "test-key" not in str(log)
    assert emulator_control.requests() == []


def test_the_request_log_keeps_the_operation_name(emulator_http, emulator_control):
    emulator_http.post(
        "/graphql/v1",
        json={
            "query": "query tenants { tenants { edges { cursor } } }",
            "operationName": "tenants",
        },
        headers={"Authorization": "Bearer test-key"},
    )

    assert [r["operationName"] for r in emulator_control.requests()] == ["tenants"]


# --- the clock -----------------------------------------------------------------------------------

DAY = 24 * 60 * 60
THREAD_TIMES = """
query q($id: ID!) { thread(threadId: $id) {
  createdAt { iso8601 } updatedAt { iso8601 }
  timelineEntries { edges { node { timestamp { iso8601 } } } }
} }
"""


def _times(graphql, thread_id: str, key: str = "test-key") -> list[datetime]:
    """The thread's createdAt, updatedAt and its timeline entries' timestamps."""
    thread = graphql(THREAD_TIMES, key=key, id=thread_id)["data"]["thread"]
    isos = [thread["createdAt"]["iso8601"], thread["updatedAt"]["iso8601"]]
    isos += [edge["node"]["timestamp"]["iso8601"] for edge in thread["timelineEntries"]["edges"]]
    return [datetime.fromisoformat(iso.replace("Z", "+00:00")) for iso in isos]


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_a_thread_written_with_the_clock_two_days_back_is_dated_two_days_ago(
    graphql, emulator_control, emulator_factory
):
    emulator_control.set_clock_offset(seconds=-2 * DAY)

    thread = emulator_factory.thread()

    two_days_ago = datetime.now(tz=UTC) - timedelta(days=2)
    times = _times(graphql, thread["id"])
    assert len(times) == 3
    assert all(abs(at - two_days_ago) < timedelta(minutes=1) for at in times), times
    clock = emulator_control.clock()
    assert clock["offset_seconds"] == -2 * DAY
    assert abs(_at(clock["now"]) - two_days_ago) < timedelta(minutes=1)


def test_reset_puts_the_clock_back_to_real_time(graphql, emulator_control, emulator_factory):
    emulator_control.set_clock_offset(seconds=-3 * DAY)
    emulator_factory.thread()

    emulator_control.reset()
    thread = emulator_factory.thread()

    assert emulator_control.clock()["offset_seconds"] == 0
    now = datetime.now(tz=UTC)
    assert all(abs(at - now) < timedelta(minutes=1) for at in _times(graphql, thread["id"]))


def test_a_clock_moved_back_resumes_after_the_newest_thread_activity():
    real = [1_700_000_000.0]
    app = create_app(api_key="k", clock=lambda: real[0])
    transport = httpx.WSGITransport(app=app)
    control = EmulatorControl(url=URL, api_key="k", transport=transport)
    with httpx.Client(transport=transport, base_url="http://emulator.test") as http:

        def graphql(query, *, key="k", **variables):
            response = http.post(
                "/graphql/v1",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 200 and "errors" not in response.json(), response.text
            return response.json()

        factory = EmulatorFactory(graphql)
        # Customers and tenants written at real time do not hold the clock back...
        customer = factory.customer()
        control.set_clock_offset(seconds=-2 * DAY)
        older = factory.thread(customer_id=customer["id"])
        # ...but thread activity does: two days back again is after that thread.
        control.set_clock_offset(seconds=-3 * DAY)
        newer = factory.thread(customer_id=customer["id"])
        real[0] += 1  # a second passes; still behind the newest activity
        newest = factory.thread(customer_id=customer["id"])
        control.set_clock_offset(seconds=0)
        now = factory.thread(customer_id=customer["id"])
        older_times, newer_times, newest_times, now_times = (
            _times(graphql, thread["id"], "k") for thread in (older, newer, newest, now)
        )

    start = datetime.fromtimestamp(real[0] - 1, tz=UTC)
    assert older_times[0] == start - timedelta(days=2)
    assert newer_times[0] == max(older_times) + timedelta(milliseconds=1)
    assert newest_times[0] == max(newer_times) + timedelta(milliseconds=1)
    assert now_times[0] == start + timedelta(seconds=1)


def test_the_clock_never_goes_before_what_another_process_wrote_to_the_file(tmp_path):
    real = [1_700_000_000.0]
    path = str(tmp_path / "plain.sqlite3")
    writer = create_app(api_key="k", data_path=path, clock=lambda: real[0])
    shifted = create_app(api_key="k", data_path=path, clock=lambda: real[0])
    actor = {"kind": "system", "id": "test"}

    def thread_create(app) -> int:
        with app.state.transaction() as state:
            customer, _ = state.customer_upsert(
                actor=actor,
                identifier=CustomerRef(email="a@b.test"),
                on_create={"full_name": "A", "email": "a@b.test"},
                on_update={},
            )
            thread = state.thread_create(
                actor=actor,
                customer=CustomerRef(customer_id=customer.id),
                title="t",
                components=[{"componentText": {"text": "x"}}],
            )
            return thread.created_at

    with shifted.state.transaction() as state:
        state.clock_shift(offset_ms=-DAY * 1000)
    written = thread_create(writer)
    stamped = thread_create(shifted)

    # Without the other process's thread it would have been dated a day ago.
    assert written >= real[0] * 1000
    assert stamped > written


def test_a_clock_moved_forward_wakes_a_snooze_that_has_run_out(
    emulator_control, emulator_factory, plain
):
    thread = emulator_factory.thread()
    plain.snooze_thread(thread_id=thread["id"], duration_seconds=60 * 60)

    emulator_control.set_clock_offset(seconds=2 * 60 * 60)

    assert plain.thread(thread_id=thread["id"]).thread.status == "TODO"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "bad_request"),
        ({"offset_seconds": "-3 days"}, "bad_request"),
        ({"offset_seconds": True}, "bad_request"),
        ({"offset_seconds": 11 * 366 * DAY}, "input_validation"),
    ],
)
def test_the_clock_refuses_an_offset_that_is_not_a_number_of_seconds(emulator_http, body, code):
    response = emulator_http.post(
        "/_emulator/clock", json=body, headers={"Authorization": "Bearer test-key"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


# --- a write applied, its answer lost ----------------------------------------------------------

CREATE_THREAD = """mutation made($input: CreateThreadInput!) {
  createThread(input: $input) { thread { id } error { code } } }"""


def _create_thread(http, customer_id: str, title: str, key: str = "test-key") -> httpx.Response:
    return http.post(
        "/graphql/v1",
        json={
            "query": CREATE_THREAD,
            "operationName": "made",
            "variables": {
                "input": {
                    "customerIdentifier": {"customerId": customer_id},
                    "title": title,
                    "components": [{"componentText": {"text": "hi"}}],
                }
            },
        },
        headers={"Authorization": f"Bearer {key}"},
    )


def _titles(graphql) -> list[str]:
    edges = graphql("{ threads(first: 50) { edges { node { title } } } }")["data"]["threads"]
    return sorted(edge["node"]["title"] for edge in edges["edges"])


@pytest.mark.parametrize("status", [502, 504])
def test_fail_after_apply_runs_the_write_then_loses_its_answer(
    emulator_http, emulator_control, emulator_factory, graphql, status
):
    customer = emulator_factory.customer()
    emulator_control.fail_after_apply(operation="createThread", count=1, status=status)

    # Another operation passes untouched, and does not use the fault up.
    other = emulator_factory.customer()
    lost = _create_thread(emulator_http, customer["id"], "applied")
    answered = _create_thread(emulator_http, customer["id"], "answered")

    assert other["id"].startswith("c_")
    assert lost.status_code == status
    assert lost.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "thread" not in lost.text
    assert answered.status_code == 200
    log = [
        (r["operationName"], r["status"], r.get("answer_lost")) for r in emulator_control.requests()
    ]
    assert log[-2:] == [("made", status, True), ("made", 200, None)]
    assert _titles(graphql) == ["answered", "applied"]
    assert emulator_control.faults()["fail_after_apply"] == {}


def test_fail_after_apply_matches_the_root_field_whatever_the_document_is_named(
    plain, emulator_control, graphql
):
    from plain_gateway.errors import PlainServerError

    customer, _ = plain.upsert_customer(
        external_id="u-lost", email="lost@acme.test", full_name="Lost Answer"
    )
    emulator_control.fail_after_apply(operation="createThread", count=2)

    with pytest.raises(PlainServerError):
        plain.create_thread(
            customer_id=customer.id, tenant_external_id=None, title="Once", text="hello"
        )

    # createThread is not repeated by the client (the first attempt may have run): one thread,
    # and the fault has one lost answer left.
    assert _titles(graphql) == ["Once"]
    assert emulator_control.faults()["fail_after_apply"] == {
        "createThread": {"count": 1, "status": 504}
    }
    emulator_control.clear_faults()
    assert emulator_control.faults()["fail_after_apply"] == {}


@pytest.mark.parametrize(
    "body",
    [
        {"fail_after_apply": {"count": 1}},
        {"fail_after_apply": {"operation": "", "count": 1}},
        {"fail_after_apply": {"operation": "createThread", "count": -1}},
        {"fail_after_apply": {"operation": "createThread", "count": 1, "status": 200}},
        {"fail_after_apply": {"operation": "createThread", "count": 1, "status": "drop"}},
        {"fail_after_apply": "createThread"},
    ],
)
def test_fail_after_apply_refuses_a_fault_it_cannot_inject(emulator_http, body):
    # "drop" needs a real connection to drop: the standalone server's, not WSGITransport's.
    response = emulator_http.post(
        "/_emulator/faults", json=body, headers={"Authorization": "Bearer test-key"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"


def test_the_standalone_server_can_drop_the_connection_after_applying(served):
    with EmulatorControl(url=served, api_key="served-key") as control:
        customer_id = control.inbound_email(from_email="d@acme.test", subject="s", text="t")[
            "customer_id"
        ]
        control.fail_after_apply(operation="createThread", count=1, status="drop")
        with httpx.Client(base_url=served.removesuffix("/graphql/v1"), timeout=10) as http:
            http.headers["Authorization"] = "Bearer served-key"
            with pytest.raises(httpx.TransportError):
                _create_thread(http, customer_id, "dropped", key="served-key")
            titles = http.post(
                "/graphql/v1",
                json={"query": "{ threads { edges { node { title } } } }"},
            ).json()["data"]["threads"]["edges"]

    assert sorted(edge["node"]["title"] for edge in titles) == ["dropped", "s"]


# --- an inbound email's category ---------------------------------------------------------------

CATEGORIES = """query q($id: ID!) { thread(threadId: $id) { timelineEntries { edges { node {
  entry { ... on EmailEntry { textContent category } } } } } } }"""


def test_an_inbound_emails_category_is_set_by_the_control_api(graphql, emulator_control):
    first = emulator_control.inbound_email(from_email="d@acme.test", subject="Hi", text="one")
    for category in ("THREAD_DISCUSSION", "MESSAGING", "USER_HIDDEN"):
        emulator_control.inbound_email(
            from_email="d@acme.test",
            subject="Re: Hi",
            text=category.lower(),
            thread_id=first["thread_id"],
            category=category,
        )

    edges = graphql(CATEGORIES, id=first["thread_id"])["data"]["thread"]["timelineEntries"]
    emails = [edge["node"]["entry"] for edge in edges["edges"] if edge["node"]["entry"]]
    assert emails == [
        {"textContent": "one", "category": "MESSAGING"},
        {"textContent": "thread_discussion", "category": "THREAD_DISCUSSION"},
        {"textContent": "messaging", "category": "MESSAGING"},
        {"textContent": "user_hidden", "category": "USER_HIDDEN"},
    ]


@pytest.mark.parametrize("category", ["DISCUSSION", "messaging", "", 3])
def test_an_inbound_email_with_a_category_plain_does_not_have_is_refused(
    emulator_http, graphql, category
):
    response = emulator_http.post(
        "/_emulator/inbound-email",
        json={"from_email": "d@acme.test", "subject": "s", "text": "t", "category": category},
        headers={"Authorization": "Bearer test-key"},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "input_validation"
    assert [f["field"] for f in error["fields"]] == ["category"]
    assert graphql("{ threads { totalCount } }")["data"] == {"threads": {"totalCount": 0}}
