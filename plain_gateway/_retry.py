"""When the client sends an operation again, and how long it waits first. All the knobs are here.

What is retried, following Plain's error-handling guide:
- rate limits (429): always, since Plain did not run the request; after the wait Plain asks for
  (Retry-After, else x-ratelimit-reset), unless that is longer than MAX_RATE_LIMIT_WAIT_SECONDS,
  in which case the error is raised at once so the caller can reschedule rather than block;
- failures to connect: always, since the request never left;
- other transport failures, timeouts and server errors (5xx, INTERNAL_SERVER_ERROR): only for
  operations that are safe to repeat, i.e. queries and the mutations in REPEATABLE_MUTATIONS,
  because the first attempt may have run;
- nothing else: authentication, permission, validation and mutation errors fail the same way again.
"""

from __future__ import annotations

import random

from plain_gateway.errors import (
    PlainError,
    PlainRateLimitError,
    PlainServerError,
    PlainTransportError,
)

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "INITIAL_BACKOFF_SECONDS",
    "JITTER_RATIO",
    "MAX_BACKOFF_SECONDS",
    "MAX_RATE_LIMIT_WAIT_SECONDS",
    "REPEATABLE_MUTATIONS",
    "backoff",
    "jitter",
    "retry_delay",
]

DEFAULT_MAX_ATTEMPTS = 4
INITIAL_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
# Waits are stretched by up to this fraction, never shortened: clients that failed together do not
# retry together, and nobody wakes before a rate-limit reset.
JITTER_RATIO = 0.25
MAX_RATE_LIMIT_WAIT_SECONDS = 30.0

# Mutations whose repetition leaves Plain as one run would: upserts, set-style changes and
# membership edits. Anything that creates something (threads, replies, chats, notes, events,
# label types, upload URLs) is absent: a repeat after a lost answer would post it twice. Plain does
# not document createThread's externalId as an idempotency key, so createThread stays out too.
REPEATABLE_MUTATIONS = frozenset(
    {
        "upsertCustomer",
        "upsertTenant",
        "addCustomerToTenants",
        "removeCustomerFromTenants",
        "setCustomerTenants",
        "markThreadAsDone",
        "markThreadAsTodo",
        "changeThreadPriority",
        "snoozeThread",
        "createAttachmentDownloadUrl",
        "updateCustomerCardConfig",
        "reorderCustomerCardConfigs",
        "reloadCustomerCardInstance",
    }
)


def jitter(seconds: float) -> float:
    """`seconds` stretched by a random fraction of up to JITTER_RATIO."""
    return seconds * (1.0 + random.uniform(0.0, JITTER_RATIO))  # noqa: S311 - not cryptographic


def backoff(attempt: int) -> float:
    """The wait after failed attempt number `attempt` (1-based): capped exponential, jittered."""
    return jitter(min(MAX_BACKOFF_SECONDS, INITIAL_BACKOFF_SECONDS * 2 ** (attempt - 1)))


def retry_delay(
    *,
    error: PlainError,
    attempt: int,
    max_attempts: int,
    repeatable: bool,
    max_rate_limit_wait: float = MAX_RATE_LIMIT_WAIT_SECONDS,
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None to raise `error` now.

    `repeatable` says whether the operation may safely run twice (see the module docstring).
    """
    if attempt >= max_attempts:
        return None
    if isinstance(error, PlainRateLimitError):
        if error.retry_after is None:
            return backoff(attempt)
        if error.retry_after > max_rate_limit_wait:
            return None
        return jitter(error.retry_after)
    if isinstance(error, PlainTransportError) and not error.request_sent:
        return backoff(attempt)
    if repeatable and isinstance(error, PlainTransportError | PlainServerError):
        return backoff(attempt)
    return None
