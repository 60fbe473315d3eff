"""Shared fixtures: a fresh in-memory Plain emulator, its control API and a client over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

from plain_gateway.emulator import EmulatorApp, EmulatorControl, create_app

EMULATOR_URL = "http://emulator.test/graphql/v1"
EMULATOR_KEY = "test-key"

GraphQL = Callable[..., dict[str, Any]]


@pytest.fixture
def emulator_app() -> EmulatorApp:
    """A fresh emulator with its state in memory, answering to the key "test-key"."""
    return create_app(api_key=EMULATOR_KEY)


@pytest.fixture
def emulator_transport(emulator_app: EmulatorApp) -> httpx.WSGITransport:
    return httpx.WSGITransport(app=emulator_app)


@pytest.fixture
def emulator_control(emulator_transport: httpx.WSGITransport) -> Iterator[EmulatorControl]:
    control = EmulatorControl(url=EMULATOR_URL, api_key=EMULATOR_KEY, transport=emulator_transport)
    yield control
    control.close()


@pytest.fixture
def emulator_http(emulator_transport: httpx.WSGITransport) -> Iterator[httpx.Client]:
    """A bare HTTP client for the emulator (no key: tests add the headers they mean to send)."""
    with httpx.Client(transport=emulator_transport, base_url="http://emulator.test") as client:
        yield client


@pytest.fixture
def graphql(emulator_http: httpx.Client) -> GraphQL:
    """graphql(query, key=..., **variables) -> the response JSON, asserting HTTP 200 and no errors.

    Pass `expect_errors=True` to get a response that has `errors` back instead.
    """

    def run(
        query: str, *, key: str = EMULATOR_KEY, expect_errors: bool = False, **variables: Any
    ) -> dict[str, Any]:
        response = emulator_http.post(
            "/graphql/v1",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if expect_errors:
            assert body.get("errors"), body
        else:
            assert "errors" not in body, body["errors"]
        return body

    return run


@pytest.fixture
def plain(emulator_transport: httpx.WSGITransport) -> Iterator[Any]:
    """The real PlainClient talking to the emulator; retries never really sleep."""
    from plain_gateway import PlainClient

    client = PlainClient(
        api_key=EMULATOR_KEY, url=EMULATOR_URL, transport=emulator_transport, sleep=lambda _s: None
    )
    yield client
    client.close()


class EmulatorFactory:
    """Creates Plain data in the emulator through its GraphQL API (as Plain's clients would)."""

    def __init__(self, graphql: GraphQL) -> None:
        self.graphql = graphql
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def tenant(self, *, external_id: str | None = None, name: str | None = None) -> dict[str, Any]:
        n = self._next()
        external_id = external_id or f"org-{n}"
        data = self.graphql(
            """mutation upsertTenant($input: UpsertTenantInput!) {
                 upsertTenant(input: $input) {
                   result tenant { id externalId name } error { code message }
                 }
               }""",
            input={
                "identifier": {"externalId": external_id},
                "externalId": external_id,
                "name": name or f"Org {n}",
            },
        )["data"]["upsertTenant"]
        assert data["error"] is None, data["error"]
        return data["tenant"]

    def customer(
        self, *, email: str | None = None, full_name: str | None = None, tenants: Sequence[str] = ()
    ) -> dict[str, Any]:
        n = self._next()
        email = email or f"customer{n}@example.test"
        data = self.graphql(
            """mutation upsertCustomer($input: UpsertCustomerInput!) {
                 upsertCustomer(input: $input) {
                   result customer { id fullName email { email } } error { code message }
                 }
               }""",
            input={
                "identifier": {"emailAddress": email},
                "onCreate": {
                    "fullName": full_name or f"Customer {n}",
                    "email": {"email": email, "isVerified": True},
                    "tenantIdentifiers": [{"externalId": t} for t in tenants],
                },
                "onUpdate": {},
            },
        )["data"]["upsertCustomer"]
        assert data["error"] is None, data["error"]
        return data["customer"]

    def thread(
        self,
        *,
        customer_id: str | None = None,
        tenant: str | None = None,
        title: str | None = None,
        text: str = "Something is broken.",
        **extra: Any,
    ) -> dict[str, Any]:
        n = self._next()
        customer_id = customer_id or self.customer(tenants=[tenant] if tenant else ())["id"]
        data = self.graphql(
            """mutation createThread($input: CreateThreadInput!) {
                 createThread(input: $input) {
                   thread { id ref title status priority tenant { externalId } customer { id } }
                   error { code message fields { field message type } }
                 }
               }""",
            input={
                "customerIdentifier": {"customerId": customer_id},
                "title": title or f"Request {n}",
                "components": [{"componentText": {"text": text}}],
                **({"tenantIdentifier": {"externalId": tenant}} if tenant else {}),
                **extra,
            },
        )["data"]["createThread"]
        assert data["error"] is None, data["error"]
        return data["thread"]


@pytest.fixture
def emulator_factory(graphql: GraphQL) -> EmulatorFactory:
    return EmulatorFactory(graphql)
