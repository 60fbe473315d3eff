"""PlainClient: the typed client for Plain's GraphQL API.

CONTRACT STUB: the signatures below are the public surface the portal builds against. The
implementation replaces the bodies; changing a signature is a change to the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from plain_gateway.types import (
    AttachmentUpload,
    Customer,
    LabelType,
    Page,
    Tenant,
    Thread,
    ThreadFieldSchema,
    ThreadWithTimeline,
)

__all__ = ["PlainClient"]

DEFAULT_URL = "https://core-api.uk.plain.com/graphql/v1"


class PlainClient:
    def __init__(
        self,
        *,
        api_key: str,
        url: str = DEFAULT_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        max_attempts: int = 4,
        sleep: Any = None,  # injectable for tests: a callable(seconds)
    ) -> None:
        raise NotImplementedError

    def close(self) -> None: ...

    # --- customers and tenants -------------------------------------------------------------
    def upsert_customer(
        self, *, external_id: str, email: str, full_name: str, short_name: str | None = None
    ) -> tuple[Customer, str]:
        """Create or update the customer keyed by external_id. Returns (customer, UpsertResult)."""
        raise NotImplementedError

    def upsert_tenant(self, *, external_id: str, name: str, url: str | None = None) -> tuple[Tenant, str]:
        raise NotImplementedError

    def tenants(self, *, first: int = 25, after: str | None = None) -> Page[Tenant]:
        raise NotImplementedError

    def search_tenants(self, *, term: str, first: int = 25, after: str | None = None) -> Page[Tenant]:
        raise NotImplementedError

    def add_customer_to_tenants(self, *, customer_id: str, tenant_external_ids: Sequence[str]) -> None:
        raise NotImplementedError

    def remove_customer_from_tenants(
        self, *, customer_id: str, tenant_external_ids: Sequence[str]
    ) -> None:
        raise NotImplementedError

    def set_customer_tenants(self, *, customer_id: str, tenant_external_ids: Sequence[str]) -> None:
        raise NotImplementedError

    def customers(
        self,
        *,
        tenant_external_ids: Sequence[str] | None = None,
        first: int = 25,
        after: str | None = None,
    ) -> Page[Customer]:
        """Customers (optionally of the given tenants), each with its tenant memberships."""
        raise NotImplementedError

    # --- threads -----------------------------------------------------------------------------
    def threads(
        self,
        *,
        tenant_external_ids: Sequence[str] | None = None,
        customer_ids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        sort_field: str = "STATUS_CHANGED_AT",
        sort_direction: str = "DESC",
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Page[Thread]:
        raise NotImplementedError

    def thread(
        self,
        *,
        thread_id: str,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ThreadWithTimeline | None:
        """The thread and one page of its timeline, or None when no such thread exists.

        With no paging arguments, the newest page (last=50) is returned, oldest entry first.
        """
        raise NotImplementedError

    def create_thread(
        self,
        *,
        customer_id: str,
        tenant_external_id: str | None,
        title: str,
        text: str,
        label_type_ids: Sequence[str] = (),
        priority: int | None = None,
        external_id: str | None = None,
        attachment_ids: Sequence[str] = (),
        thread_fields: Sequence[dict[str, Any]] = (),
    ) -> Thread:
        """Create a thread whose first message is `text` (a Text component, markdown allowed)."""
        raise NotImplementedError

    def reply_to_thread(
        self,
        *,
        thread_id: str,
        text: str,
        markdown: str | None = None,
        as_customer_id: str | None = None,
        attachment_ids: Sequence[str] = (),
    ) -> None:
        """Reply on the thread's channel; as_customer_id impersonates that customer."""
        raise NotImplementedError

    def mark_thread_as_done(self, *, thread_id: str) -> Thread:
        raise NotImplementedError

    def mark_thread_as_todo(self, *, thread_id: str) -> Thread:
        raise NotImplementedError

    def label_types(self, *, first: int = 100, after: str | None = None) -> Page[LabelType]:
        raise NotImplementedError

    def thread_field_schemas(self, *, first: int = 100, after: str | None = None) -> Page[ThreadFieldSchema]:
        raise NotImplementedError

    # --- attachments -------------------------------------------------------------------------
    def create_attachment_upload_url(
        self, *, customer_id: str, file_name: str, size_bytes: int, attachment_type: str = "CUSTOM_TIMELINE_ENTRY"
    ) -> AttachmentUpload:
        raise NotImplementedError

    def create_attachment_download_url(self, *, attachment_id: str) -> str:
        raise NotImplementedError

    # --- the agent side (tests, seed data) -----------------------------------------------------
    def send_chat(self, *, customer_id: str, thread_id: str, text: str) -> None:
        raise NotImplementedError

    def create_note(self, *, customer_id: str, thread_id: str, text: str, markdown: str | None = None) -> None:
        raise NotImplementedError

    def snooze_thread(self, *, thread_id: str, duration_seconds: int) -> Thread:
        raise NotImplementedError

    def change_thread_priority(self, *, thread_id: str, priority: int) -> Thread:
        raise NotImplementedError

    def add_labels(self, *, thread_id: str, label_type_ids: Sequence[str]) -> None:
        raise NotImplementedError

    def create_thread_event(self, *, thread_id: str, title: str, components: Sequence[dict[str, Any]], external_id: str | None = None) -> None:
        raise NotImplementedError

    def create_customer_event(self, *, customer_id: str, title: str, components: Sequence[dict[str, Any]], external_id: str | None = None) -> None:
        raise NotImplementedError
