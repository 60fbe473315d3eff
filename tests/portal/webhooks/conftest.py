"""Fixtures for the webhook tests: a signing secret, a poster, a mapped and an unmapped thread,
and a recording handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from plain_gateway import Thread
from portal.webhooks.handlers import HandlerContext, handler_register, handler_unregister
from tests.factories import OrganizationFactory
from tests.plain_gateway.webhook_bodies import SECRET, encode, signed_headers

WEBHOOK_PATH = "/plain/webhooks/"
MACHINE_USER_ID = "machineUser_01J5Z7Q8W9X0Y1Z2A3B4C5D6E7"


@pytest.fixture(autouse=True)
def hmac_secret(settings):
    settings.PLAIN_HMAC_SECRET = SECRET
    settings.PLAIN_MACHINE_USER_ID = ""
    return SECRET


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """post(body_dict_or_bytes, headers=None, path=WEBHOOK_PATH): a signed POST whose on-commit
    work (the eager outbox task: applying the event) runs before it returns."""

    def run(data: Any, *, headers: dict[str, str] | None = None, path: str = WEBHOOK_PATH):
        raw = data if isinstance(data, bytes) else encode(data)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                path,
                data=raw,
                content_type="application/json",
                headers=signed_headers(raw) if headers is None else headers,
            )

    return run


def _thread(plain, *, tenant: str, email: str) -> Thread:
    plain.upsert_tenant(external_id=tenant, name=tenant)
    customer = plain.upsert_customer(
        external_id=f"user-{email}", email=email, full_name="Alice Example"
    ).item
    return plain.create_thread(
        customer_id=customer.id, tenant_external_id=tenant, title="Cannot export", text="Help"
    )


@pytest.fixture
def acme(db):
    return OrganizationFactory(name="Acme", slug="acme")


@pytest.fixture
def acme_thread(plain, acme) -> Thread:
    """A thread in the tenant Acme maps to."""
    return _thread(plain, tenant=acme.tenant_external_id, email="alice@acme.test")


@pytest.fixture
def stray_thread(plain, db) -> Thread:
    """A thread in a tenant no organisation maps to."""
    return _thread(plain, tenant="not-ours", email="eve@elsewhere.test")


@dataclass
class Recorder:
    calls: list[HandlerContext] = field(default_factory=list)
    fail_times: int = 0

    def __call__(self, context: HandlerContext) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("handler hiccup")
        self.calls.append(context)

    @property
    def event_ids(self) -> list[str]:
        return [context.event.id for context in self.calls]


TYPES = (
    "thread.thread_created",
    "thread.chat_sent",
    "thread.thread_status_transitioned",
    "customer.customer_updated",
)


@pytest.fixture
def recorder():
    """A handler for the four factory types and the reconciliation's, recording each call."""
    from portal.webhooks.handlers import RECONCILED

    record = Recorder()
    handler_register(event_types=(*TYPES, RECONCILED), func=record, name="test.recorder")
    yield record
    handler_unregister("test.recorder")


@pytest.fixture
def only_test_handlers(monkeypatch):
    """The registry without the apps' own handlers (the read cache's, ...), for tests of the
    inbox's mechanics that count handlers. List it before `recorder`."""
    from portal.webhooks import handlers

    monkeypatch.setattr(handlers, "_HANDLERS", {})
