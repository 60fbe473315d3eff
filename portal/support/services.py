"""Writes to Plain on behalf of a customer.

The customer and tenant identities sent to Plain come from the logged-in user and our database,
never from the request. Functions that act on an existing thread take the `Thread` returned by
`selectors.thread_get_for_user`, so a caller cannot skip the access check by passing an id.
Errors from Plain (plain_gateway.PlainError and its subclasses) propagate to the caller, which
keeps what the user typed and says what happened.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from plain_gateway.types import Thread
from portal.accounts.models import User
from portal.plain import get_plain_client
from portal.tenancy.models import Organization
from portal.tenancy.selectors import organization_list_for_user
from portal.tenancy.services import plain_customer_ensure

__all__ = ["thread_create", "thread_reopen", "thread_reply", "thread_resolve"]

DEFAULT_PRIORITY = 2


def thread_create(
    *,
    user: User,
    organization: Organization,
    title: str,
    message: str,
    priority: int = DEFAULT_PRIORITY,
) -> Thread:
    """Open a thread for the user, as its customer, under the organisation's tenant.

    Raises PermissionDenied when the user is not a member of `organization` now (forms validate
    this already; the check here keeps the rule true for every caller).
    """
    if not organization_list_for_user(user=user).filter(pk=organization.pk).exists():
        raise PermissionDenied
    customer_id = plain_customer_ensure(user=user)
    return get_plain_client().create_thread(
        customer_id=customer_id,
        tenant_external_id=organization.tenant_external_id,
        title=title,
        text=message,
        priority=priority,
    )


def thread_reply(*, user: User, thread: Thread, text: str) -> None:
    """Post `text` on the thread as the user (Plain impersonates the user's customer)."""
    customer_id = plain_customer_ensure(user=user)
    get_plain_client().reply_to_thread(thread_id=thread.id, text=text, as_customer_id=customer_id)


def thread_resolve(*, thread: Thread) -> Thread:
    """Mark the thread as done; returns it as Plain has it now."""
    return get_plain_client().mark_thread_as_done(thread_id=thread.id)


def thread_reopen(*, thread: Thread) -> Thread:
    """Mark the thread as to-do again; returns it as Plain has it now."""
    return get_plain_client().mark_thread_as_todo(thread_id=thread.id)
