"""Plain's limits are published once, by plain_gateway.limits, and every side enforces them."""

from __future__ import annotations

import pytest

from plain_gateway import limits
from plain_gateway.errors import PlainMutationError


def test_the_client_the_emulator_and_the_forms_read_the_same_limits():
    from plain_gateway import client
    from plain_gateway.emulator import paging, state
    from portal.support import forms

    assert client.DEFAULT_PAGE_SIZE is limits.DEFAULT_PAGE_SIZE
    assert client.DEFAULT_TIMELINE_PAGE_SIZE is limits.TIMELINE_PAGE_SIZE
    assert (paging.DEFAULT_PAGE_SIZE, paging.MAX_PAGE_SIZE) == (
        limits.DEFAULT_PAGE_SIZE,
        limits.MAX_PAGE_SIZE,
    )
    assert state.ATTACHMENT_BANNED_EXTENSIONS is limits.ATTACHMENT_BANNED_EXTENSIONS
    assert state.PRIORITIES is limits.PRIORITIES
    assert forms.ATTACHMENT_BANNED_EXTENSIONS is limits.ATTACHMENT_BANNED_EXTENSIONS


def test_the_forms_refuse_files_exactly_past_plains_limits():
    # Behaviour, not identity: small ints are one object in Python, so `is` could not fail.
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.support.forms import attachments_check

    def files(count: int, size: int = 1) -> list[SimpleUploadedFile]:
        return [SimpleUploadedFile(f"f{n}.txt", b"x" * size) for n in range(count)]

    attachments_check(files(limits.ATTACHMENT_MAX_COUNT))
    with pytest.raises(ValidationError):
        attachments_check(files(limits.ATTACHMENT_MAX_COUNT + 1))
    attachments_check(files(1, limits.ATTACHMENT_MAX_TOTAL_BYTES))
    with pytest.raises(ValidationError):
        attachments_check(files(1, limits.ATTACHMENT_MAX_TOTAL_BYTES + 1))


@pytest.mark.parametrize("priority", [limits.PRIORITY_MIN - 1, limits.PRIORITY_MAX + 1])
def test_the_emulator_refuses_a_priority_outside_plains_range(plain, priority):
    customer, _ = plain.upsert_customer(external_id="l-1", full_name="Ann", email="ann@x.test")

    with pytest.raises(PlainMutationError):
        plain.create_thread(
            customer_id=customer.id, tenant_external_id=None, title="T", text="x", priority=priority
        )


def test_the_emulator_pages_at_most_max_page_size(plain):
    with pytest.raises(Exception, match=str(limits.MAX_PAGE_SIZE)):
        plain.tenants(first=limits.MAX_PAGE_SIZE + 1)
    assert plain.tenants(first=limits.MAX_PAGE_SIZE).items == ()
