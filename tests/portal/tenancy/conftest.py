"""Fixtures for tenancy tests: eager Celery over the per-test embedded emulator (see
tests/portal/conftest.py), plus helpers to read Plain's memberships and count its writes."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from plain_gateway import PlainClient

WRITE_OPERATIONS = frozenset(
    {
        "upsertCustomer",
        "upsertTenant",
        "addCustomerToTenants",
        "removeCustomerFromTenants",
        "setCustomerTenants",
    }
)


@pytest.fixture
def sync(django_capture_on_commit_callbacks):
    """`with sync():` runs what was enqueued on commit (the eager tasks) as the block ends.

    Tests run inside a transaction that never commits, so on-commit callbacks need this.
    """
    return functools.partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def plain_memberships(plain: PlainClient) -> dict[str, set[str]]:
    """Every Plain customer's tenants (by external id), keyed by the customer's email."""
    result: dict[str, set[str]] = {}
    after = None
    while True:
        page = plain.customers(first=100, after=after)
        for customer in page.items:
            result[customer.email or customer.id] = {t.external_id for t in customer.tenants}
        if not page.page_info.has_next_page:
            return result
        after = page.page_info.end_cursor


def tenants_of(plain: PlainClient, email: str) -> set[str]:
    return plain_memberships(plain).get(email, set())


def writes(emulator_control) -> Counter:
    """Writes Plain received since the request log was last cleared, by operation name."""
    return Counter(
        entry["operationName"]
        for entry in emulator_control.requests()
        if entry["operationName"] in WRITE_OPERATIONS
    )


def reads(emulator_control, operation: str = "customers") -> list[dict]:
    return [e for e in emulator_control.requests() if e["operationName"] == operation]
