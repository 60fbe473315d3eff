"""PlainClient: the typed client for Plain's GraphQL API.

Each public method runs one operation from operations/ and returns the frozen dataclasses of
plain_gateway.types; failures raise the errors of plain_gateway.errors. One client is meant to live
for the whole process: it keeps its connections alive, holds no per-request state and is safe to
share between threads.

The API key goes into the Authorization header of each request and nowhere else: not into the
client's repr, log lines or error messages (anything Plain sends back is scrubbed of it), and a
client cannot be pickled (so it cannot ride along in a Celery message).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import httpx

from plain_gateway import _retry, limits
from plain_gateway._operations import OPERATIONS, Operation
from plain_gateway.budget import budget_remaining
from plain_gateway.components import (
    Component,
    EventComponent,
    Text,
    component_input,
    event_component_input,
)
from plain_gateway.errors import (
    PlainBudgetExceededError,
    PlainError,
    PlainResponseError,
    PlainTimeoutError,
    PlainTransportError,
    error_from_response,
    request_id_from,
)
from plain_gateway.inputs import ThreadFieldInput, ThreadFieldType
from plain_gateway.types import (
    AttachmentUpload,
    Customer,
    CustomerCardConfig,
    CustomerCardInstance,
    HelpCenter,
    HelpCenterAccess,
    HelpCenterArticle,
    HelpCenterIndex,
    KnowledgeSearchHit,
    Label,
    LabelType,
    MachineUser,
    Page,
    PageInfo,
    SortDirection,
    SubscriptionEventType,
    Tenant,
    Thread,
    ThreadFieldSchema,
    ThreadsSortField,
    ThreadStatus,
    ThreadWithTimeline,
    TimelineEntry,
    Upserted,
    UpsertResult,
    WebhookDeliveryAttempt,
    WebhookDeliveryStatus,
    WebhookTarget,
    WebhookVersion,
)

__all__ = ["DEFAULT_URL", "PlainClient"]

DEFAULT_URL = "https://core-api.uk.plain.com/graphql/v1"
DEFAULT_PAGE_SIZE = limits.DEFAULT_PAGE_SIZE
DEFAULT_TIMELINE_PAGE_SIZE = limits.TIMELINE_PAGE_SIZE
# Memberships listed per customer by customers(); a customer in more tenants than this shows the
# first ones only.
CUSTOMER_TENANTS_PAGE_SIZE = 50
# Plain caps attachments at 6 MB; a download a little longer than that is not an attachment.
ATTACHMENT_DOWNLOAD_MAX_BYTES = limits.ATTACHMENT_MAX_BYTES + 64 * 1024
USER_AGENT = f"plain-support-portal-gateway/1.0 httpx/{httpx.__version__}"
OPERATION_NAME_HEADER = "x-graphql-operation-name"
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})

logger = logging.getLogger("plain_gateway")

_REDACTED = "[redacted]"


class _BearerAuth(httpx.Auth):
    """Adds the Authorization header to requests for the API URL, and to no other URL.

    Its repr, unlike a headers dict in a traceback, is safe.
    """

    def __init__(self, token: str, api_url: str) -> None:
        self._token = token
        self._api_url = httpx.URL(api_url)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.url == self._api_url:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "<_BearerAuth [secure]>"


def _iso8601(moment: datetime) -> str:
    """`moment` as Plain's ISO 8601 (UTC, milliseconds, Z); a naive datetime is refused."""
    if moment.tzinfo is None:
        raise ValueError("a datetime sent to Plain must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _empty_page() -> Page[Any]:
    return Page(items=(), page_info=PageInfo(False, False, None, None), total_count=0)


def _paging(
    first: int | None, after: str | None, last: int | None, before: str | None, size: int
) -> dict[str, Any]:
    """Relay paging variables; with no size given, `size` items forwards (backwards for before)."""
    if first is None and last is None:
        if before is not None and after is None:
            last = size
        else:
            first = size
    return {"first": first, "after": after, "last": last, "before": before}


def _upsert_result(payload: Mapping[str, Any], operation_name: str) -> UpsertResult:
    try:
        return UpsertResult(str(payload.get("result")))
    except ValueError:
        raise PlainResponseError(
            f"Plain's answer has no UpsertResult but {payload.get('result')!r}",
            operation_name=operation_name,
        ) from None


def _tenant_identifiers(external_ids: Sequence[str]) -> list[dict[str, str]]:
    return [{"externalId": external_id} for external_id in external_ids]


@contextmanager
def _storage_errors(what: str, context: dict[str, Any]) -> Iterator[None]:
    """httpx's failures talking to attachment storage, as the gateway's errors."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise PlainTimeoutError(f"The attachment {what} timed out", **context) from exc
    except httpx.TransportError as exc:
        raise PlainTransportError(
            f"The attachment {what} failed ({type(exc).__name__})", **context
        ) from exc


class PlainClient:
    """A client for one Plain workspace (one API key).

    `transport` replaces the network (tests and the embedded emulator pass an
    httpx.WSGITransport). `timeout` bounds each attempt in seconds. `max_attempts` counts the first
    try. `sleep` is called with the seconds to wait between attempts (tests pass a recorder);
    `clock` returns the current POSIX time, for reading rate-limit resets. Retries follow
    plain_gateway._retry. Inside plain_gateway.budget.plain_budget, every call also keeps to the
    budget's total (see that module).
    """

    def __init__(
        self,
        *,
        api_key: str,
        url: str = DEFAULT_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        max_attempts: int = _retry.DEFAULT_MAX_ATTEMPTS,
        sleep: Callable[[float], Any] | None = None,
        clock: Callable[[], float] | None = None,
        max_rate_limit_wait: float = _retry.MAX_RATE_LIMIT_WAIT_SECONDS,
    ) -> None:
        if not api_key:
            raise ValueError("PlainClient needs an API key")
        self._api_key = api_key
        self.url = url
        self.max_attempts = max(1, max_attempts)
        self.max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep if sleep is not None else time.sleep
        self._clock = clock if clock is not None else time.time
        self._timeout = timeout
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            auth=_BearerAuth(api_key, url),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"<PlainClient url={self.url!r}>"

    def __reduce__(self) -> Any:
        raise TypeError("a PlainClient cannot be pickled (it holds an API key)")

    def __enter__(self) -> PlainClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections. The client must not be used afterwards."""
        self._http.close()

    # --- the one way a request is made --------------------------------------------------------
    def _execute(self, operation_name: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """Run one of the operations under operations/ and return its `data`, retrying per policy.

        Raises a PlainError when the operation fails for good (see plain_gateway.errors); for a
        mutation, an answer whose payload has an `error` raises PlainMutationError.
        """
        operation = OPERATIONS[operation_name]
        repeatable = not operation.is_mutation or operation.name in _retry.REPEATABLE_MUTATIONS
        attempt = 1
        while True:
            try:
                return self._attempt(operation, variables)
            except PlainError as error:
                delay = _retry.retry_delay(
                    error=error,
                    attempt=attempt,
                    max_attempts=self.max_attempts,
                    repeatable=repeatable,
                    max_rate_limit_wait=self.max_rate_limit_wait,
                )
                if delay is None:
                    raise
                remaining = budget_remaining()
                if remaining is not None and delay >= remaining:
                    # Waiting would end past the caller's deadline: fail now, as when out of
                    # attempts, with the error that says what Plain did.
                    logger.warning(
                        "Plain %s failed (%s, request id %s); no retry within the time budget",
                        operation.name,
                        type(error).__name__,
                        error.request_id,
                    )
                    raise
                logger.warning(
                    "Plain %s failed (%s, request id %s); attempt %d of %d in %.2fs",
                    operation.name,
                    type(error).__name__,
                    error.request_id,
                    attempt + 1,
                    self.max_attempts,
                    delay,
                )
                self._sleep(delay)
                attempt += 1

    def _attempt_timeout(self, operation_name: str) -> tuple[httpx.Timeout, bool]:
        """This attempt's timeout, and whether the budget (rather than the client) set it.

        Raises PlainBudgetExceededError, before anything is sent, when the budget has run out.
        """
        remaining = budget_remaining()
        if remaining is None or remaining >= self._timeout:
            return httpx.Timeout(self._timeout), False
        if remaining <= 0:
            raise PlainBudgetExceededError(
                "No time left in the budget for Plain calls",
                request_sent=False,
                operation_name=operation_name,
            )
        return httpx.Timeout(remaining), True

    def _attempt(self, operation: Operation, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        timeout, by_budget = self._attempt_timeout(operation.name)
        started = time.monotonic()
        try:
            response = self._http.post(
                self.url,
                json={
                    "query": operation.document,
                    "variables": dict(variables),
                    "operationName": operation.name,
                },
                headers={OPERATION_NAME_HEADER: operation.name},
                timeout=timeout,
            )
        except httpx.TimeoutException as exc:
            # Connect and pool timeouts happen before anything is sent.
            sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            error_class = PlainBudgetExceededError if by_budget else PlainTimeoutError
            raise error_class(
                f"Plain did not answer in time ({type(exc).__name__})",
                request_sent=sent,
                operation_name=operation.name,
            ) from exc
        except httpx.TransportError as exc:
            raise PlainTransportError(
                f"Could not talk to Plain ({type(exc).__name__})",
                request_sent=not isinstance(exc, httpx.ConnectError),
                operation_name=operation.name,
            ) from exc
        body = self._decode(response)
        error = error_from_response(
            status_code=response.status_code,
            headers=response.headers,
            body=body,
            operation_name=operation.name,
            mutation_field=operation.root_field if operation.is_mutation else None,
            now=datetime.fromtimestamp(self._clock(), tz=UTC),
        )
        logger.debug(
            "Plain %s: HTTP %d in %.0f ms (request id %s)",
            operation.name,
            response.status_code,
            (time.monotonic() - started) * 1000,
            request_id_from(response.headers),
        )
        if error is not None:
            raise error
        data: Mapping[str, Any] = body["data"]
        return data

    def _decode(self, response: httpx.Response) -> Any:
        """The JSON body, with the API key scrubbed from it should Plain ever echo it back."""
        text = response.text
        if self._api_key in text:
            text = text.replace(self._api_key, _REDACTED)
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None

    def _payload(self, operation_name: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """The mutation's payload (its error already raised) or the query's root field."""
        operation = OPERATIONS[operation_name]
        payload: Mapping[str, Any] = self._execute(operation_name, variables)[operation.root_field]
        return payload

    def _required(self, payload: Mapping[str, Any], key: str, operation_name: str) -> Any:
        value = payload.get(key)
        if value is None:
            raise PlainResponseError(f"Plain's answer has no {key}", operation_name=operation_name)
        return value

    # --- customers and tenants -----------------------------------------------------------------
    def upsert_customer(
        self,
        *,
        external_id: str,
        email: str,
        full_name: str,
        short_name: str | None = None,
        email_verified: bool = True,
        tenant_external_ids: Sequence[str] = (),
    ) -> Upserted[Customer]:
        """Create or update the customer keyed by external_id: (customer, UpsertResult).

        A customer Plain already knows by this email but without our external id is not adopted:
        Plain answers with the mutation error customer_already_exists_with_email.

        `tenant_external_ids` are joined only when the customer is created (result CREATED), in
        the same write; an existing customer's memberships are left as they are, so on UPDATED or
        NOOP the caller still adds them. A tenant Plain does not know fails the whole upsert
        (PlainNotFoundError) and no customer is created.
        """
        email_input = {"email": email, "isVerified": email_verified}
        on_update: dict[str, Any] = {"fullName": {"value": full_name}, "email": email_input}
        if short_name is not None:
            on_update["shortName"] = {"value": short_name}
        on_create: dict[str, Any] = {
            "externalId": external_id,
            "fullName": full_name,
            "shortName": short_name,
            "email": email_input,
        }
        if tenant_external_ids:
            on_create["tenantIdentifiers"] = _tenant_identifiers(tenant_external_ids)
        payload = self._payload(
            "upsertCustomer",
            {
                "input": {
                    "identifier": {"externalId": external_id},
                    "onCreate": on_create,
                    "onUpdate": on_update,
                }
            },
        )
        customer = self._required(payload, "customer", "upsertCustomer")
        return Upserted(Customer.from_graphql(customer), _upsert_result(payload, "upsertCustomer"))

    def upsert_tenant(
        self, *, external_id: str, name: str, url: str | None = None
    ) -> Upserted[Tenant]:
        """Create or update the tenant keyed by external_id: (tenant, UpsertResult)."""
        tenant_input: dict[str, Any] = {
            "identifier": {"externalId": external_id},
            "externalId": external_id,
            "name": name,
        }
        if url is not None:
            tenant_input["url"] = {"value": url}
        payload = self._payload("upsertTenant", {"input": tenant_input})
        tenant = self._required(payload, "tenant", "upsertTenant")
        return Upserted(Tenant.from_graphql(tenant), _upsert_result(payload, "upsertTenant"))

    def tenants(self, *, first: int = DEFAULT_PAGE_SIZE, after: str | None = None) -> Page[Tenant]:
        data = self._payload("tenants", {"first": first, "after": after})
        return Page.from_connection(data, Tenant.from_graphql)

    def search_tenants(
        self, *, term: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[Tenant]:
        """Tenants whose name contains `term` or whose external id is `term` (Plain: 2+ chars)."""
        data = self._payload(
            "searchTenants",
            {"searchQuery": {"term": term}, "first": first, "after": after},
        )
        return Page.from_connection(data, lambda node: Tenant.from_graphql(node["tenant"]))

    def add_customer_to_tenants(
        self, *, customer_id: str, tenant_external_ids: Sequence[str]
    ) -> None:
        self._membership("addCustomerToTenants", customer_id, tenant_external_ids)

    def remove_customer_from_tenants(
        self, *, customer_id: str, tenant_external_ids: Sequence[str]
    ) -> None:
        self._membership("removeCustomerFromTenants", customer_id, tenant_external_ids)

    def set_customer_tenants(self, *, customer_id: str, tenant_external_ids: Sequence[str]) -> None:
        """Make the customer a member of exactly these tenants (an empty list: of none)."""
        self._membership("setCustomerTenants", customer_id, tenant_external_ids)

    def _membership(
        self, operation_name: str, customer_id: str, tenant_external_ids: Sequence[str]
    ) -> None:
        self._payload(
            operation_name,
            {
                "input": {
                    "customerIdentifier": {"customerId": customer_id},
                    "tenantIdentifiers": _tenant_identifiers(tenant_external_ids),
                }
            },
        )

    def customers(
        self,
        *,
        tenant_external_ids: Sequence[str] | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Page[Customer]:
        """Customers (optionally of the given tenants), each with its tenant memberships.

        An empty `tenant_external_ids` matches no customer, and Plain is not asked.
        """
        filters: dict[str, Any] = {}
        if tenant_external_ids is not None:
            if not tenant_external_ids:
                return _empty_page()
            filters["tenantIdentifiers"] = _tenant_identifiers(tenant_external_ids)
        data = self._payload(
            "customers",
            {
                "filters": filters or None,
                "first": first,
                "after": after,
                "membershipsFirst": CUSTOMER_TENANTS_PAGE_SIZE,
            },
        )
        return Page.from_connection(data, Customer.from_graphql)

    # --- threads ---------------------------------------------------------------------------------
    def threads(
        self,
        *,
        tenant_external_ids: Sequence[str] | None = None,
        customer_ids: Sequence[str] | None = None,
        thread_ids: Sequence[str] | None = None,
        statuses: Sequence[ThreadStatus] | None = None,
        updated_after: datetime | None = None,
        sort_field: ThreadsSortField = ThreadsSortField.STATUS_CHANGED_AT,
        sort_direction: SortDirection = SortDirection.DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Page[Thread]:
        """One page of threads matching every filter given (None: no filter on that);
        `updated_after` keeps threads Plain updated at or after that moment.

        An empty `tenant_external_ids`, `customer_ids` or `thread_ids` matches no thread, and
        Plain is not asked: a caller with no tenants (or no search hits) must never see every
        thread. Without paging arguments, the first
        DEFAULT_PAGE_SIZE threads in sort order; `before` alone pages backwards. A status, sort
        field or direction Plain does not define raises ValueError before Plain is asked.
        """
        # Checked whatever the caller's annotations said: a typo must not become a GraphQL error.
        sort_by = {
            "field": str(ThreadsSortField(sort_field)),
            "direction": str(SortDirection(sort_direction)),
        }
        wanted = None if statuses is None else [str(ThreadStatus(s)) for s in statuses]
        filters: dict[str, Any] = {}
        if tenant_external_ids is not None:
            if not tenant_external_ids:
                return _empty_page()
            filters["tenantIdentifiers"] = _tenant_identifiers(tenant_external_ids)
        if customer_ids is not None:
            if not customer_ids:
                return _empty_page()
            filters["customerIds"] = list(customer_ids)
        if thread_ids is not None:
            if not thread_ids:
                return _empty_page()
            filters["threadIds"] = list(thread_ids)
        if wanted is not None:
            filters["statuses"] = wanted
        if updated_after is not None:
            # Plain's DatetimeFilter: `after` is inclusive (updatedAt >= after).
            filters["updatedAt"] = {"after": _iso8601(updated_after)}
        data = self._payload(
            "threads",
            {
                "filters": filters or None,
                "sortBy": sort_by,
                **_paging(first, after, last, before, DEFAULT_PAGE_SIZE),
            },
        )
        return Page.from_connection(data, Thread.from_graphql)

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
        Timeline entries a customer must not see arrive as HiddenEntry (their content is never
        fetched); see operations/fragments/TimelineEntryParts.graphql.
        """
        if first is None and last is None and after is None:
            last = DEFAULT_TIMELINE_PAGE_SIZE
        data = self._payload(
            "thread",
            {
                "threadId": thread_id,
                **_paging(first, after, last, before, DEFAULT_TIMELINE_PAGE_SIZE),
            },
        )
        if data is None:
            return None
        return ThreadWithTimeline(
            thread=Thread.from_graphql(data),
            timeline=Page.from_connection(
                data.get("timelineEntries") or {}, TimelineEntry.from_graphql
            ),
        )

    def thread_by_external_id(self, *, customer_id: str, external_id: str) -> Thread | None:
        """The customer's thread created with `external_id`, or None when there is none.

        How a caller that lost createThread's answer finds out whether the thread was made.
        """
        data = self._payload(
            "threadByExternalId", {"customerId": customer_id, "externalId": external_id}
        )
        return Thread.from_graphql(data) if data else None

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
        thread_fields: Sequence[ThreadFieldInput] = (),
        components: Sequence[Component] | None = None,
        description: str | None = None,
    ) -> Thread:
        """Create a thread whose first message is `text` (a Text component, markdown allowed).

        `components` replaces that first message with the given UI components; `thread_fields`
        are the answers to the workspace's thread fields. Never retried: a repeat after a lost
        answer would open a second thread.
        """
        thread_input: dict[str, Any] = {
            "customerIdentifier": {"customerId": customer_id},
            "title": title,
            "components": [
                component_input(component)
                for component in (components if components is not None else [Text(text=text)])
            ],
        }
        if tenant_external_id is not None:
            thread_input["tenantIdentifier"] = {"externalId": tenant_external_id}
        optional = {
            "labelTypeIds": list(label_type_ids) or None,
            "priority": priority,
            "externalId": external_id,
            "attachmentIds": list(attachment_ids) or None,
            "threadFields": [field.to_graphql() for field in thread_fields] or None,
            "description": description,
        }
        thread_input.update({key: value for key, value in optional.items() if value is not None})
        return self._thread_mutation("createThread", thread_input)

    def reply_to_thread(
        self,
        *,
        thread_id: str,
        text: str,
        markdown: str | None = None,
        as_customer_id: str | None = None,
        attachment_ids: Sequence[str] = (),
    ) -> None:
        """Reply on the thread's channel; as_customer_id impersonates that customer. Not retried."""
        reply: dict[str, Any] = {"threadId": thread_id, "textContent": text}
        if markdown is not None:
            reply["markdownContent"] = markdown
        if as_customer_id is not None:
            reply["impersonation"] = {
                "asCustomer": {"customerIdentifier": {"customerId": as_customer_id}}
            }
        if attachment_ids:
            reply["attachmentIds"] = list(attachment_ids)
        self._payload("replyToThread", {"input": reply})

    def mark_thread_as_done(self, *, thread_id: str) -> Thread:
        return self._thread_mutation("markThreadAsDone", {"threadId": thread_id})

    def mark_thread_as_todo(self, *, thread_id: str) -> Thread:
        return self._thread_mutation("markThreadAsTodo", {"threadId": thread_id})

    def _thread_mutation(self, operation_name: str, mutation_input: Mapping[str, Any]) -> Thread:
        payload = self._payload(operation_name, {"input": dict(mutation_input)})
        return Thread.from_graphql(self._required(payload, "thread", operation_name))

    def label_types(
        self,
        *,
        first: int = 100,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Page[LabelType]:
        data = self._payload(
            "labelTypes",
            {
                "filters": None if include_archived else {"isArchived": False},
                "first": first,
                "after": after,
            },
        )
        return Page.from_connection(data, LabelType.from_graphql)

    def thread_field_schemas(
        self, *, first: int = 100, after: str | None = None
    ) -> Page[ThreadFieldSchema]:
        data = self._payload("threadFieldSchemas", {"first": first, "after": after})
        return Page.from_connection(data, ThreadFieldSchema.from_graphql)

    # --- attachments ---------------------------------------------------------------------------
    def create_attachment_upload_url(
        self,
        *,
        customer_id: str,
        file_name: str,
        size_bytes: int,
        attachment_type: str = "CUSTOM_TIMELINE_ENTRY",
    ) -> AttachmentUpload:
        """Where to upload one file (a multipart POST of form_data and the file). Not retried."""
        payload = self._payload(
            "createAttachmentUploadUrl",
            {
                "input": {
                    "customerId": customer_id,
                    "fileName": file_name,
                    "fileSizeBytes": size_bytes,
                    "attachmentType": attachment_type,
                }
            },
        )
        upload = self._required(payload, "attachmentUploadUrl", "createAttachmentUploadUrl")
        return AttachmentUpload.from_graphql(upload)

    def upload_attachment(
        self,
        *,
        upload: AttachmentUpload,
        content: bytes,
        content_type: str = "application/octet-stream",
    ) -> None:
        """Send the file to where create_attachment_upload_url said, as a multipart form.

        That URL is storage, not Plain's API, so the API key is not sent to it. One attempt only;
        a failure raises PlainTimeoutError, PlainTransportError or PlainResponseError.
        """
        context: dict[str, Any] = {"operation_name": "uploadAttachment"}
        timeout, _ = self._attempt_timeout("uploadAttachment")
        with _storage_errors("upload", context):
            response = self._http.post(
                upload.upload_form_url,
                data=dict(upload.form_data),
                files={"file": (upload.attachment.file_name, content, content_type)},
                # Storage, not Plain's API: the API key must not go with it. httpx takes None to
                # mean no auth, though its annotation leaves None out.
                auth=None,  # type: ignore[arg-type]
                timeout=timeout,
            )
        if not response.is_success:
            raise PlainResponseError(
                f"The attachment upload was refused with HTTP {response.status_code}",
                status_code=response.status_code,
                request_id=request_id_from(response.headers),
                **context,
            )

    def create_attachment_download_url(self, *, attachment_id: str) -> str:
        """A short-lived URL to download the attachment from."""
        payload = self._payload(
            "createAttachmentDownloadUrl", {"input": {"attachmentId": attachment_id}}
        )
        download = self._required(payload, "attachmentDownloadUrl", "createAttachmentDownloadUrl")
        return str(download["downloadUrl"])

    def download_attachment(
        self, *, url: str, max_bytes: int = ATTACHMENT_DOWNLOAD_MAX_BYTES
    ) -> bytes:
        """The bytes at a URL from create_attachment_download_url.

        Like the upload URL, it is storage rather than Plain's API: no API key is sent to it. Only
        http(s) URLs are fetched, redirects are not followed, and an answer longer than
        `max_bytes` is cut off with PlainResponseError (Plain's own limit is 6 MB). One attempt;
        a failure raises PlainTimeoutError, PlainTransportError or PlainResponseError.
        """
        context: dict[str, Any] = {"operation_name": "downloadAttachment"}
        if httpx.URL(url).scheme not in ("http", "https"):
            raise PlainResponseError("The attachment URL is not an http(s) URL", **context)
        chunks: list[bytes] = []
        size = 0
        timeout, _ = self._attempt_timeout("downloadAttachment")
        with (
            _storage_errors("download", context),
            self._http.stream(
                "GET", url, auth=None, headers={"Accept": "*/*"}, timeout=timeout
            ) as response,
        ):
            if not response.is_success:
                raise PlainResponseError(
                    f"The attachment download was refused with HTTP {response.status_code}",
                    status_code=response.status_code,
                    request_id=request_id_from(response.headers),
                    **context,
                )
            for chunk in response.iter_bytes():
                remaining = budget_remaining()
                if remaining is not None and remaining <= 0:
                    raise PlainBudgetExceededError(
                        "The attachment download ran out of time", **context
                    )
                size += len(chunk)
                if size > max_bytes:
                    raise PlainResponseError(
                        f"The attachment is larger than {max_bytes} bytes", **context
                    )
                chunks.append(chunk)
        return b"".join(chunks)

    # --- the agent side (tests, seed data) -----------------------------------------------------
    def send_chat(self, *, customer_id: str, thread_id: str, text: str) -> None:
        """Post a chat message to the customer on the thread, as the key's machine user."""
        self._payload(
            "sendChat", {"input": {"customerId": customer_id, "threadId": thread_id, "text": text}}
        )

    def create_note(
        self, *, customer_id: str, thread_id: str, text: str, markdown: str | None = None
    ) -> None:
        """Add an internal note (never shown to customers) to the thread."""
        note: dict[str, Any] = {"customerId": customer_id, "threadId": thread_id, "text": text}
        if markdown is not None:
            note["markdown"] = markdown
        self._payload("createNote", {"input": note})

    def snooze_thread(self, *, thread_id: str, duration_seconds: int) -> Thread:
        return self._thread_mutation(
            "snoozeThread", {"threadId": thread_id, "durationSeconds": duration_seconds}
        )

    def change_thread_priority(self, *, thread_id: str, priority: int) -> Thread:
        return self._thread_mutation(
            "changeThreadPriority", {"threadId": thread_id, "priority": priority}
        )

    def add_labels(self, *, thread_id: str, label_type_ids: Sequence[str]) -> tuple[Label, ...]:
        """Attach labels of the given types to the thread; returns the labels added."""
        payload = self._payload(
            "addLabels", {"input": {"threadId": thread_id, "labelTypeIds": list(label_type_ids)}}
        )
        return tuple(Label.from_graphql(label) for label in payload.get("labels") or ())

    def create_label_type(
        self, *, name: str, icon: str | None = None, color: str | None = None
    ) -> LabelType:
        label_input = {"name": name, "icon": icon, "color": color}
        payload = self._payload(
            "createLabelType",
            {"input": {key: value for key, value in label_input.items() if value is not None}},
        )
        return LabelType.from_graphql(self._required(payload, "labelType", "createLabelType"))

    def create_thread_field_schema(
        self,
        *,
        key: str,
        label: str,
        type: ThreadFieldType,
        enum_values: Sequence[str] = (),
        is_required: bool = False,
        description: str = "",
        order: int = 0,
    ) -> ThreadFieldSchema:
        """A thread field customers can fill in (workspace settings; the tests and seed use it)."""
        payload = self._payload(
            "createThreadFieldSchema",
            {
                "input": {
                    "key": key,
                    "label": label,
                    "type": str(ThreadFieldType(type)),
                    "enumValues": list(enum_values),
                    "isRequired": is_required,
                    "description": description,
                    "order": order,
                    "isAiAutoFillEnabled": False,
                }
            },
        )
        schema = self._required(payload, "threadFieldSchema", "createThreadFieldSchema")
        return ThreadFieldSchema.from_graphql(schema)

    def create_thread_event(
        self,
        *,
        thread_id: str,
        title: str,
        components: Sequence[EventComponent],
        external_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> str:
        """An event on the thread's timeline, for agents (customers never see it); its id.

        `external_id` makes the create idempotent: a repeat raises PlainAlreadyExistsError.
        `timestamp` places the event at that moment instead of now (timezone-aware)."""
        event: dict[str, Any] = {
            "threadId": thread_id,
            "title": title,
            "components": [event_component_input(component) for component in components],
        }
        _event_extras(event, external_id=external_id, timestamp=timestamp)
        payload = self._payload("createThreadEvent", {"input": event})
        return str(self._required(payload, "threadEvent", "createThreadEvent")["id"])

    def create_customer_event(
        self,
        *,
        title: str,
        components: Sequence[EventComponent],
        customer_id: str | None = None,
        customer_external_id: str | None = None,
        external_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> str:
        """An event on all of the customer's threads, for agents (customers never see it); its
        id. The customer is named by exactly one of Plain's `customer_id` or our
        `customer_external_id` (PlainNotFoundError when Plain has no such customer).

        `external_id` makes the create idempotent: a repeat raises PlainAlreadyExistsError.
        `timestamp` places the event at that moment instead of now (timezone-aware)."""
        if customer_id is not None and customer_external_id is None:
            identifier = {"customerId": customer_id}
        elif customer_external_id is not None and customer_id is None:
            identifier = {"externalId": customer_external_id}
        else:
            raise ValueError("name the customer by one of customer_id, customer_external_id")
        event: dict[str, Any] = {
            "customerIdentifier": identifier,
            "title": title,
            "components": [event_component_input(component) for component in components],
        }
        _event_extras(event, external_id=external_id, timestamp=timestamp)
        payload = self._payload("createCustomerEvent", {"input": event})
        return str(self._required(payload, "customerEvent", "createCustomerEvent")["id"])

    # --- webhooks: targets, deliveries, the signing secret, who the key is ----------------------
    def webhook_targets(
        self, *, first: int = limits.DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[WebhookTarget]:
        data = self._payload("webhookTargets", {"first": first, "after": after})
        return Page.from_connection(data, WebhookTarget.from_graphql)

    def webhook_target(self, *, webhook_target_id: str) -> WebhookTarget | None:
        data = self._payload("webhookTarget", {"webhookTargetId": webhook_target_id})
        return WebhookTarget.from_graphql(data) if data else None

    def create_webhook_target(
        self,
        *,
        url: str,
        event_types: Sequence[str],
        description: str,
        is_enabled: bool = True,
        version: str | None = None,
    ) -> WebhookTarget:
        """A new target (Plain: https only, at most 25 per workspace). Not retried: a repeat
        after a lost answer would make a second target."""
        target_input: dict[str, Any] = {
            "url": url,
            "eventSubscriptions": _event_subscriptions(event_types),
            "isEnabled": is_enabled,
            "description": description,
        }
        if version is not None:
            target_input["version"] = version
        payload = self._payload("createWebhookTarget", {"input": target_input})
        target = self._required(payload, "webhookTarget", "createWebhookTarget")
        return WebhookTarget.from_graphql(target)

    def update_webhook_target(
        self,
        *,
        webhook_target_id: str,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        is_enabled: bool | None = None,
        version: str | None = None,
    ) -> WebhookTarget:
        """Change what is given (None: leave that as it is); event_types replaces the list."""
        target_input: dict[str, Any] = {"webhookTargetId": webhook_target_id}
        for key, value in (("url", url), ("description", description), ("version", version)):
            if value is not None:
                target_input[key] = {"value": value}
        if is_enabled is not None:
            target_input["isEnabled"] = {"value": is_enabled}
        if event_types is not None:
            target_input["eventSubscriptions"] = _event_subscriptions(event_types)
        payload = self._payload("updateWebhookTarget", {"input": target_input})
        target = self._required(payload, "webhookTarget", "updateWebhookTarget")
        return WebhookTarget.from_graphql(target)

    def delete_webhook_target(self, *, webhook_target_id: str) -> None:
        self._payload("deleteWebhookTarget", {"input": {"webhookTargetId": webhook_target_id}})

    def webhook_delivery_attempts(
        self,
        *,
        webhook_target_id: str,
        event_types: Sequence[str] | None = None,
        status: WebhookDeliveryStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Page[WebhookDeliveryAttempt]:
        """One page of the target's delivery attempts, optionally only of these event types or
        with this result status. A status Plain does not define raises ValueError first."""
        filters: dict[str, Any] = {}
        if event_types is not None:
            filters["eventTypes"] = list(event_types)
        if status is not None:
            filters["resultStatus"] = str(WebhookDeliveryStatus(status))
        data = self._payload(
            "webhookDeliveryAttempts",
            {
                "webhookTargetId": webhook_target_id,
                "filters": filters or None,
                **_paging(first, after, last, before, DEFAULT_PAGE_SIZE),
            },
        )
        return Page.from_connection(data, WebhookDeliveryAttempt.from_graphql)

    def subscription_event_types(self) -> tuple[SubscriptionEventType, ...]:
        data = self._execute("subscriptionEventTypes", {})["subscriptionEventTypes"]
        return tuple(SubscriptionEventType.from_graphql(item) for item in data or ())

    def webhook_versions(
        self, *, first: int = limits.DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[WebhookVersion]:
        data = self._payload("webhookVersions", {"first": first, "after": after})
        return Page.from_connection(data, WebhookVersion.from_graphql)

    def public_event_request_body(self, *, event_id: str) -> str | None:
        """The body Plain sent (or would send) for the event: the raw JSON text, None when
        Plain has no such event. It is unsigned: read it with trust in Plain's API, not in it."""
        body = self._execute("publicEventRequestBody", {"publicEventId": event_id})
        value = body.get("publicEventRequestBody")
        return value if isinstance(value, str) else None

    def workspace_hmac_secret(self) -> str | None:
        """The workspace's request-signing secret (None when none was generated). A secret:
        never log it or show it."""
        data = self._execute("workspaceHmac", {}).get("workspaceHmac") or {}
        secret = data.get("hmacSecret")
        return secret if isinstance(secret, str) and secret else None

    def my_machine_user(self) -> MachineUser | None:
        """The machine user this API key acts as (None for a key that is not one's)."""
        data = self._execute("myMachineUser", {}).get("myMachineUser")
        return MachineUser.from_graphql(data) if data else None

    # --- customer cards: the configs Plain loads from our API, and what it loaded -------------
    def customer_card_configs(self) -> tuple[CustomerCardConfig, ...]:
        """Every card config of the workspace, in Plain's order."""
        data = self._execute("customerCardConfigs", {})["customerCardConfigs"]
        return tuple(CustomerCardConfig.from_graphql(item) for item in data or ())

    def customer_card_config(self, *, customer_card_config_id: str) -> CustomerCardConfig | None:
        data = self._payload(
            "customerCardConfig", {"customerCardConfigId": customer_card_config_id}
        )
        return CustomerCardConfig.from_graphql(data) if data else None

    def create_customer_card_config(
        self,
        *,
        title: str,
        key: str,
        default_time_to_live_seconds: int,
        api_url: str,
        api_headers: Mapping[str, str] = _NO_HEADERS,
    ) -> CustomerCardConfig:
        """A new card config (Plain: https only, at most 25 per workspace, unique keys matching
        [a-zA-Z0-9_-]+, TTL 15 s to a year, at most 20 headers). Not retried: a repeat after a
        lost answer would meet its own key."""
        config_input = {
            "title": title,
            "key": key,
            "defaultTimeToLiveSeconds": default_time_to_live_seconds,
            "apiUrl": api_url,
            "apiHeaders": _api_headers(api_headers),
        }
        payload = self._payload("createCustomerCardConfig", {"input": config_input})
        config = self._required(payload, "customerCardConfig", "createCustomerCardConfig")
        return CustomerCardConfig.from_graphql(config)

    def update_customer_card_config(
        self,
        *,
        customer_card_config_id: str,
        title: str | None = None,
        key: str | None = None,
        default_time_to_live_seconds: int | None = None,
        api_url: str | None = None,
        api_headers: Mapping[str, str] | None = None,
        order: int | None = None,
        is_enabled: bool | None = None,
    ) -> CustomerCardConfig:
        """Change what is given (None: leave that as it is); api_headers replaces them all."""
        config_input: dict[str, Any] = {"customerCardConfigId": customer_card_config_id}
        wrapped: tuple[tuple[str, object], ...] = (
            ("title", title),
            ("key", key),
            ("defaultTimeToLiveSeconds", default_time_to_live_seconds),
            ("apiUrl", api_url),
            ("order", order),
            ("isEnabled", is_enabled),
        )
        for name, value in wrapped:
            if value is not None:
                config_input[name] = {"value": value}
        if api_headers is not None:
            config_input["apiHeaders"] = _api_headers(api_headers)
        payload = self._payload("updateCustomerCardConfig", {"input": config_input})
        config = self._required(payload, "customerCardConfig", "updateCustomerCardConfig")
        return CustomerCardConfig.from_graphql(config)

    def delete_customer_card_config(self, *, customer_card_config_id: str) -> None:
        self._payload(
            "deleteCustomerCardConfig", {"input": {"customerCardConfigId": customer_card_config_id}}
        )

    def reorder_customer_card_configs(
        self, *, orders: Mapping[str, int]
    ) -> tuple[CustomerCardConfig, ...]:
        """Set the order of the configs named (config id -> order, 0 to 100000); answers every
        config in the new order."""
        config_orders = [
            {"customerCardConfigId": config_id, "order": order}
            for config_id, order in orders.items()
        ]
        payload = self._payload(
            "reorderCustomerCardConfigs", {"input": {"customerCardConfigOrders": config_orders}}
        )
        return tuple(
            CustomerCardConfig.from_graphql(item)
            for item in payload.get("customerCardConfigs") or ()
        )

    def customer_card_instances(
        self, *, customer_id: str, thread_id: str | None = None
    ) -> tuple[CustomerCardInstance, ...]:
        """The customer's cards (in a thread's context, if given), one per enabled config. A card
        not in Plain's cache answers loading, and Plain starts loading it from our API."""
        data = self._execute(
            "customerCardInstances", {"customerId": customer_id, "threadId": thread_id}
        )["customerCardInstances"]
        return tuple(CustomerCardInstance.from_graphql(item) for item in data or ())

    def reload_customer_card_instance(
        self, *, customer_id: str, customer_card_config_id: str, thread_id: str | None = None
    ) -> CustomerCardInstance:
        """Discard one card from Plain's cache and load it again (answers it loading)."""
        reload_input: dict[str, Any] = {
            "customerId": customer_id,
            "customerCardConfigId": customer_card_config_id,
        }
        if thread_id is not None:
            reload_input["threadId"] = thread_id
        payload = self._payload("reloadCustomerCardInstance", {"input": reload_input})
        instance = self._required(payload, "customerCardInstance", "reloadCustomerCardInstance")
        return CustomerCardInstance.from_graphql(instance)

    # --- help center: help centers, their index, articles, search; writes for seeding ----------
    def help_centers(
        self, *, first: int = limits.DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[HelpCenter]:
        """One page of the workspace's help centers, every type (the caller decides who may
        read which: Plain answers them all to an API key)."""
        data = self._payload("helpCenters", {"first": first, "after": after})
        return Page.from_connection(data, HelpCenter.from_graphql)

    def help_center_index(self, *, help_center_id: str) -> HelpCenterIndex | None:
        """The help center's groups and articles, drafts included (each item has its status)."""
        data = self._payload("helpCenterIndex", {"id": help_center_id})
        return HelpCenterIndex.from_graphql(data) if data else None

    def help_center_article(self, *, article_id: str) -> HelpCenterArticle | None:
        """The article, whatever its status (drafts too): None when Plain has no such id."""
        data = self._payload("helpCenterArticle", {"id": article_id})
        return HelpCenterArticle.from_graphql(data) if data else None

    def help_center_article_by_slug(
        self, *, help_center_id: str, slug: str
    ) -> HelpCenterArticle | None:
        data = self._payload(
            "helpCenterArticleBySlug", {"helpCenterId": help_center_id, "slug": slug}
        )
        return HelpCenterArticle.from_graphql(data) if data else None

    def search_knowledge_sources(
        self, *, query: str, page_size: int | None = None, include_non_customer_facing: bool = False
    ) -> tuple[KnowledgeSearchHit, ...]:
        """Help center articles matching `query`, Plain's best first. Drafts may be among
        them: each hit carries its status."""
        options: dict[str, Any] = {"types": ["HELP_CENTER_ARTICLE"]}
        if include_non_customer_facing:
            options["includeNonCustomerFacing"] = True
        data = self._execute(
            "searchKnowledgeSources",
            {"searchQuery": query, "pageSize": page_size, "options": options},
        )["searchKnowledgeSources"]
        hits = (KnowledgeSearchHit.from_graphql(item) for item in data or ())
        return tuple(hit for hit in hits if hit is not None)

    def create_help_center(
        self,
        *,
        public_name: str,
        internal_name: str,
        type: str,
        subdomain: str,
        description: str = "",
    ) -> HelpCenter:
        """A new help center. Not retried: a repeat after a lost answer would make another."""
        payload = self._payload(
            "createHelpCenter",
            {
                "input": {
                    "publicName": public_name,
                    "internalName": internal_name,
                    "type": type,
                    "subdomain": subdomain,
                    "description": description,
                }
            },
        )
        return HelpCenter.from_graphql(self._required(payload, "helpCenter", "createHelpCenter"))

    def update_help_center(
        self,
        *,
        help_center_id: str,
        type: str | None = None,
        public_name: str | None = None,
        access: HelpCenterAccess | None = None,
    ) -> HelpCenter:
        """Change what is given (None: leave it); `access` replaces all four lists."""
        update: dict[str, Any] = {"helpCenterId": help_center_id}
        if type is not None:
            update["type"] = type
        if public_name is not None:
            update["publicName"] = public_name
        if access is not None:
            update["access"] = {
                "tierIds": sorted(access.tier_ids),
                "tenantIds": sorted(access.tenant_ids),
                "companyIds": sorted(access.company_ids),
                "customerIds": sorted(access.customer_ids),
            }
        payload = self._payload("updateHelpCenter", {"input": update})
        return HelpCenter.from_graphql(self._required(payload, "helpCenter", "updateHelpCenter"))

    def upsert_help_center_article(
        self,
        *,
        help_center_id: str,
        title: str,
        content_html: str,
        article_id: str | None = None,
        group_id: str | None = None,
        description: str | None = None,
        slug: str | None = None,
        status: str | None = None,
    ) -> HelpCenterArticle:
        """Create an article, or with `article_id` replace that one's title, HTML, group and
        description (a status or slug not given stays as it is)."""
        article: dict[str, Any] = {
            "helpCenterId": help_center_id,
            "title": title,
            "contentHtml": content_html,
        }
        for key, value in (
            ("helpCenterArticleId", article_id),
            ("helpCenterArticleGroupId", group_id),
            ("description", description),
            ("slug", slug),
            ("status", status),
        ):
            if value is not None:
                article[key] = value
        payload = self._payload("upsertHelpCenterArticle", {"input": article})
        found = self._required(payload, "helpCenterArticle", "upsertHelpCenterArticle")
        return HelpCenterArticle.from_graphql(found)

    def create_help_center_article_group(
        self, *, help_center_id: str, name: str, slug: str | None = None
    ) -> str:
        """A new top-level group; returns its id."""
        group: dict[str, Any] = {"helpCenterId": help_center_id, "name": name}
        if slug is not None:
            group["slug"] = slug
        payload = self._payload("createHelpCenterArticleGroup", {"input": group})
        found = self._required(payload, "helpCenterArticleGroup", "createHelpCenterArticleGroup")
        return str(found["id"])


def _api_headers(headers: Mapping[str, str]) -> list[dict[str, str]]:
    if not isinstance(headers, Mapping):
        raise TypeError("api_headers is a mapping of header name to value")
    return [{"name": name, "value": value} for name, value in headers.items()]


def _event_extras(
    event: dict[str, Any], *, external_id: str | None, timestamp: datetime | None
) -> None:
    if external_id is not None:
        event["externalId"] = external_id
    if timestamp is not None:
        event["timestamp"] = _iso8601(timestamp)


def _event_subscriptions(event_types: Sequence[str]) -> list[dict[str, str]]:
    if isinstance(event_types, str):
        raise TypeError("event_types is a sequence of event type names, not one string")
    return [{"eventType": event_type} for event_type in event_types]
