"""Everything that can go wrong talking to Plain, as one tree of exceptions.

    PlainError                      .operation_name .request_id .status_code .code .retriable
    ├── PlainTransportError         no answer: connecting, sending or reading failed (.request_sent)
    │   └── PlainTimeoutError       no answer in time
    │       └── PlainBudgetExceededError  ... within the caller's budget (plain_gateway.budget)
    ├── PlainAuthenticationError    HTTP 401, or GraphQL UNAUTHENTICATED: the API key is invalid
    ├── PlainForbiddenError         HTTP 403, or GraphQL FORBIDDEN: the key lacks a permission
    ├── PlainRateLimitError         HTTP 429 (.retry_after seconds, .reset_at, .limit, .remaining)
    ├── PlainServerError            HTTP 5xx, or GraphQL INTERNAL_SERVER_ERROR
    ├── PlainResponseError          an answer that is not GraphQL: odd status, no JSON, no data
    ├── PlainGraphQLError           any other top-level `errors` (.errors): GRAPHQL_PARSE_FAILED,
    │   │                           GRAPHQL_VALIDATION_FAILED, ...
    │   └── PlainBadUserInputError  BAD_USER_INPUT: an argument's value was refused (a cursor
    │                               Plain does not know, a page size out of range)
    └── PlainMutationError          a mutation answered with its `error` (.type, .fields)
        ├── PlainNotFoundError      ... because something it referenced does not exist
        └── PlainAlreadyExistsError ... because what it creates exists already (an event's
                                    externalId used before: ALREADY_EXISTS_CODES)

`retriable` follows Plain's error-handling guide: transport failures, timeouts, rate limits and
internal errors may succeed later; parse, validation, bad input, authentication and permission
errors never will. A mutation error of type INTERNAL is retriable too, but the client never repeats
a mutation on its own because of it: whether that is safe is the caller's call.

Every error carries the operation name and Plain's request id (when the response had one) so a
failure can be matched with Plain's logs. Messages never contain the API key: the client scrubs it
from anything Plain sends back before it gets here.

`error_from_response` is the one place that maps an HTTP answer to an error.

Plain documents that an event's externalId must be unique but not the code a repeat answers;
ALREADY_EXISTS_CODES holds the code the emulator answers (an assumption, named like Plain's
documented `customer_already_exists_with_external_id`): correct it here when Plain's is known.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

__all__ = [
    "ALREADY_EXISTS_CODES",
    "GraphQLErrorDetail",
    "MutationFieldError",
    "PlainAlreadyExistsError",
    "PlainAuthenticationError",
    "PlainBadUserInputError",
    "PlainBudgetExceededError",
    "PlainError",
    "PlainForbiddenError",
    "PlainGraphQLError",
    "PlainMutationError",
    "PlainNotFoundError",
    "PlainRateLimitError",
    "PlainResponseError",
    "PlainServerError",
    "PlainTimeoutError",
    "PlainTransportError",
    "error_from_response",
]

# Response headers that may carry the id Plain gives each request, most specific first.
REQUEST_ID_HEADERS = ("x-request-id", "x-plain-request-id", "request-id", "x-amzn-requestid")


class PlainError(Exception):
    """Base of every error the gateway raises about Plain."""

    retriable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        operation_name: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation_name = operation_name
        self.request_id = request_id
        self.status_code = status_code
        self.code = code

    def __str__(self) -> str:
        context = [
            f"{label}={value}"
            for label, value in (
                ("operation", self.operation_name),
                ("status", self.status_code),
                ("code", self.code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} [{', '.join(context)}]" if context else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's default pickling re-calls __init__ with the message alone, which loses the
        # context and breaks subclasses' keyword-only arguments (Celery pickles task errors).
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[PlainError], message: str, state: dict[str, Any]) -> PlainError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class PlainTransportError(PlainError):
    """Plain could not be reached, or the exchange broke before an answer arrived.

    `request_sent` is False only when the request provably never left (the connection was never
    made), which makes even a mutation safe to send again.
    """

    retriable = True

    def __init__(self, message: str, *, request_sent: bool = True, **context: Any) -> None:
        super().__init__(message, **context)
        self.request_sent = request_sent


class PlainTimeoutError(PlainTransportError):
    """No answer within the client's timeout."""


class PlainBudgetExceededError(PlainTimeoutError):
    """The caller's total time budget for Plain ran out (see plain_gateway.budget).

    Either no time was left for another attempt (`request_sent` is False: nothing was sent), or
    an attempt was cut short by the budget (then, as for any timeout, it may have run). Retriable:
    later, with a fresh budget, the call may well succeed.
    """


class PlainAuthenticationError(PlainError):
    """The API key is missing, malformed or revoked."""


class PlainForbiddenError(PlainError):
    """The API key is valid but lacks a permission the operation needs."""


class PlainRateLimitError(PlainError):
    """Plain refused the request for now.

    `retry_after` is how many seconds to wait (from Retry-After, else from x-ratelimit-reset), or
    None when Plain did not say. A rate-limited request was not run, so repeating it is safe.
    """

    retriable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset_at: datetime | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after
        self.reset_at = reset_at
        self.limit = limit
        self.remaining = remaining


class PlainServerError(PlainError):
    """Plain failed internally (HTTP 5xx, or a GraphQL INTERNAL_SERVER_ERROR)."""

    retriable = True


class PlainResponseError(PlainError):
    """Plain answered, but not with a GraphQL response the gateway can use."""


@dataclass(frozen=True, slots=True)
class GraphQLErrorDetail:
    """One entry of a GraphQL response's top-level `errors`."""

    message: str
    code: str | None
    path: tuple[str | int, ...] = ()


class PlainGraphQLError(PlainError):
    """The operation was rejected as a whole: `code` is the first error's `extensions.code`."""

    def __init__(
        self, message: str, *, errors: Sequence[GraphQLErrorDetail] = (), **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.errors = tuple(errors)


class PlainBadUserInputError(PlainGraphQLError):
    """Plain refused an argument's value (BAD_USER_INPUT), such as a paging cursor it did not
    make. Where the value came from a user (a cursor in a URL), it is their mistake, not an
    outage; the same request fails the same way again."""


@dataclass(frozen=True, slots=True)
class MutationFieldError:
    """Why one input field was refused. `type` is VALIDATION, REQUIRED or NOT_FOUND."""

    field: str
    message: str
    type: str


class PlainMutationError(PlainError):
    """A mutation ran and failed; Plain's `error` says why.

    `type` is VALIDATION, FORBIDDEN or INTERNAL; `code` is Plain's error code (input_validation,
    not_found, ...); `fields` holds one MutationFieldError per refused input field.
    """

    def __init__(
        self,
        message: str,
        *,
        type: str,
        fields: Sequence[MutationFieldError] = (),
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.type = type
        self.fields = tuple(fields)

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return self.type == "INTERNAL"


class PlainNotFoundError(PlainMutationError):
    """A mutation referenced an entity (thread, customer, tenant, ...) that does not exist."""


class PlainAlreadyExistsError(PlainMutationError):
    """A create was refused because its idempotency key (an event's externalId) was used
    before: what it asked for was made by an earlier call. Callers retrying a create whose
    answer was lost treat it as success."""


# Mutation error codes that mean "an earlier create with this key succeeded". Plain's code for a
# repeated event externalId is not documented: this one is assumed (see the module docstring).
ALREADY_EXISTS_CODES = frozenset({"event_already_exists_with_external_id"})


# --- mapping an answer to an error ------------------------------------------------------------

_GRAPHQL_CODE_ERRORS: Mapping[str, type[PlainError]] = {
    "UNAUTHENTICATED": PlainAuthenticationError,
    "FORBIDDEN": PlainForbiddenError,
    "INTERNAL_SERVER_ERROR": PlainServerError,
    "BAD_USER_INPUT": PlainBadUserInputError,
}


def error_from_response(
    *,
    status_code: int,
    headers: Mapping[str, str],
    body: Any,
    operation_name: str,
    mutation_field: str | None = None,
    now: datetime | None = None,
) -> PlainError | None:
    """The error an answer from Plain means, or None when it is a success.

    `body` is the decoded JSON (None when the body was not JSON). `mutation_field` names the
    mutation's payload in `data`, whose `error` is checked; `now` is the clock rate-limit resets are
    measured against. Order matters: the HTTP status speaks first (401/403/429/5xx), then top-level
    GraphQL `errors`, then anything that is not a usable GraphQL answer, then the mutation's error.
    """
    context: dict[str, Any] = {
        "operation_name": operation_name,
        "request_id": request_id_from(headers),
        "status_code": status_code,
    }
    errors = _graphql_errors(body)
    detail = "; ".join(error.message for error in errors if error.message)

    def message(default: str) -> str:
        return f"{default}: {detail}" if detail else default

    if status_code == 401:
        return PlainAuthenticationError(message("Plain rejected the API key"), **context)
    if status_code == 403:
        return PlainForbiddenError(message("The API key lacks a permission"), **context)
    if status_code == 429:
        return _rate_limit_error(message("Plain is rate limiting"), headers, now, context)
    if status_code >= 500:
        return PlainServerError(message(f"Plain failed with HTTP {status_code}"), **context)
    if errors:
        code = next((error.code for error in errors if error.code), None)
        error_class = _GRAPHQL_CODE_ERRORS.get(code or "", PlainGraphQLError)
        text = detail or "Plain rejected the operation"
        if issubclass(error_class, PlainGraphQLError):
            return error_class(text, errors=errors, code=code, **context)
        return error_class(text, code=code, **context)
    if not 200 <= status_code < 300:
        return PlainResponseError(f"Unexpected HTTP {status_code} from Plain", **context)
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping):
        return PlainResponseError("Plain's answer has no data", **context)
    if mutation_field is not None:
        payload = data.get(mutation_field)
        if not isinstance(payload, Mapping):
            return PlainResponseError(f"Plain's answer has no {mutation_field}", **context)
        if payload.get("error"):
            return _mutation_error(payload["error"], context)
    return None


def request_id_from(headers: Mapping[str, str]) -> str | None:
    """Plain's id for the request, from the first request-id header present."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def _graphql_errors(body: Any) -> tuple[GraphQLErrorDetail, ...]:
    if not isinstance(body, Mapping) or not isinstance(body.get("errors"), list):
        return ()
    details = []
    for error in body["errors"]:
        if not isinstance(error, Mapping):
            continue
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, Mapping) else None
        path = error.get("path")
        details.append(
            GraphQLErrorDetail(
                message=str(error.get("message") or ""),
                code=str(code) if code else None,
                path=tuple(path) if isinstance(path, list) else (),
            )
        )
    return tuple(details)


def _mutation_error(error: Mapping[str, Any], context: dict[str, Any]) -> PlainMutationError:
    fields = tuple(
        MutationFieldError(
            field=str(field.get("field") or ""),
            message=str(field.get("message") or ""),
            type=str(field.get("type") or ""),
        )
        for field in error.get("fields") or ()
        if isinstance(field, Mapping)
    )
    code = str(error.get("code") or "") or None
    not_found = code == "not_found" or any(field.type == "NOT_FOUND" for field in fields)
    error_class: type[PlainMutationError] = PlainMutationError
    if not_found:
        error_class = PlainNotFoundError
    elif code in ALREADY_EXISTS_CODES:
        error_class = PlainAlreadyExistsError
    return error_class(
        str(error.get("message") or "The mutation failed"),
        type=str(error.get("type") or ""),
        fields=fields,
        code=code,
        **context,
    )


def _rate_limit_error(
    message: str, headers: Mapping[str, str], now: datetime | None, context: dict[str, Any]
) -> PlainRateLimitError:
    now = now or datetime.now(UTC)
    reset_at = parse_reset(headers.get("x-ratelimit-reset"), now=now)
    retry_after = parse_retry_after(headers.get("retry-after"), now=now)
    if retry_after is None and reset_at is not None:
        retry_after = max(0.0, (reset_at - now).total_seconds())
    return PlainRateLimitError(
        message,
        retry_after=retry_after,
        reset_at=reset_at,
        limit=_int_or_none(headers.get("x-ratelimit-limit")),
        remaining=_int_or_none(headers.get("x-ratelimit-remaining")),
        **context,
    )


# Plain's docs do not state x-ratelimit-reset's format. Its TypeScript SDK reads it as a date (an
# ISO 8601 timestamp); other APIs send epoch seconds, epoch milliseconds or seconds to wait. A
# number is read by magnitude, so each of those forms lands on the same instant.
_EPOCH_SECONDS_FROM = 1_000_000_000  # 2001-09-09: smaller numbers are a delay in seconds
_EPOCH_MILLISECONDS_FROM = 100_000_000_000  # ~5138 as epoch seconds: bigger ones are milliseconds


def parse_reset(value: str | None, *, now: datetime) -> datetime | None:
    """When the rate-limit window resets, from x-ratelimit-reset; None if absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    number = _float_or_none(value)
    if number is not None:
        if number < 0:
            return None
        if number >= _EPOCH_MILLISECONDS_FROM:
            return datetime.fromtimestamp(number / 1000, tz=UTC)
        if number >= _EPOCH_SECONDS_FROM:
            return datetime.fromtimestamp(number, tz=UTC)
        return now + timedelta(seconds=number)
    return _parse_date(value)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait, from Retry-After (delay-seconds or an HTTP date); None if unreadable."""
    if not value or not value.strip():
        return None
    number = _float_or_none(value.strip())
    if number is not None:
        return number if number >= 0 else None
    when = _parse_date(value.strip())
    return max(0.0, (when - now).total_seconds()) if when else None


def _parse_date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _float_or_none(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
