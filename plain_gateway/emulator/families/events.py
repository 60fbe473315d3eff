"""Thread events and customer events: structured entries an integration writes into timelines.

A thread event is one entry in one thread; a customer event is one entry in each thread the
customer has when it is written (Plain also copies it into threads created later: not emulated).
The entries themselves are the threads family's (`Threads.entry_append`).

A second create with an externalId the target thread(s) already hold an event of the same kind
with is refused with the code DUPLICATE_EXTERNAL_ID_CODE and a field error on externalId. Plain
documents that externalId "must be unique" and that a repeat fails, but not the error's code:
the code is an assumption, named like Plain's documented `customer_already_exists_with_external_id`
(the gateway maps it to PlainAlreadyExistsError). Uniqueness is checked only within the threads
the event reaches, so a customer event for a customer with no threads is never refused (nor
stored: there is no timeline to hold it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, invalid
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.customers import CustomerRef, Customers, customer_ref
from plain_gateway.emulator.families.threads import (
    Threads,
    TimelineEntry,
    components_check,
    components_view,
)
from plain_gateway.emulator.store import new_id

__all__ = ["DUPLICATE_EXTERNAL_ID_CODE", "Events"]

# Assumed, not documented by Plain (see the module docstring).
DUPLICATE_EXTERNAL_ID_CODE = "event_already_exists_with_external_id"


class Events(Family):
    requires = (Customers, Threads)

    def event_create(
        self,
        *,
        actor: Actor,
        title: str,
        components: Sequence[dict[str, Any]],
        external_id: str | None = None,
        thread_id: str | None = None,
        customer: CustomerRef | None = None,
        timestamp: int | None = None,
    ) -> tuple[dict[str, Any], list[TimelineEntry]]:
        """createThreadEvent (thread_id) or createCustomerEvent (customer: one entry in
        each of the customer's threads). Returns the event (id, title, components, external_id,
        customer_id, thread_id, timestamp, actor) and the entries created."""
        if not (title or "").strip():
            raise invalid("title", "title is required", "REQUIRED")
        parts = components_check(components, field_name="components", event=True)
        if not parts:
            raise invalid("components", "at least one component is required", "REQUIRED")
        threads = self.state.family(Threads)
        if thread_id is not None:
            targets = [threads.thread_get(thread_id)]
            customer_id = targets[0].customer_id
            kind = "thread_event"
        else:
            found = self.state.family(Customers).customer_resolve(customer, field_name="customer")
            customer_id = found.id
            targets = threads.threads_of_customer(found.id)
            kind = "customer_event"
        if external_id and any(
            e.kind == kind and e.data.get("external_id") == external_id
            for t in targets
            for e in threads.timeline(t.id)
        ):
            message = f"an event with externalId {external_id!r} already exists"
            raise StateError(
                DUPLICATE_EXTERNAL_ID_CODE, message, [FieldError("external_id", message)]
            )
        at = timestamp if timestamp is not None else self.store.now()
        event_id = new_id("ev", at)
        data = {
            "event_id": event_id,
            "title": title.strip(),
            "components": parts,
            "external_id": external_id,
        }
        entries = [
            threads.entry_append(t, actor=actor, kind=kind, data=dict(data), timestamp=at)
            for t in targets
        ]
        event = {
            **data,
            "id": event_id,
            "customer_id": customer_id,
            "thread_id": thread_id,
            "timestamp": at,
            "actor": actor,
        }
        if thread_id is not None:
            self.store.emit(
                "thread.thread_event_created",
                event_id=event_id,
                thread_id=thread_id,
                timeline_entry_id=entries[0].id,
            )
        else:
            self.store.emit(
                "customer.customer_event_created",
                event_id=event_id,
                customer_id=customer_id,
                thread_ids=[t.id for t in targets],
            )
        return event, entries


# --- resolvers ---------------------------------------------------------------------------------


def _event_view(event: dict[str, Any]) -> dict[str, Any]:
    return {
        **event,
        "created_at": event["timestamp"],
        "created_by": event["actor"],
        "updated_at": event["timestamp"],
        "updated_by": event["actor"],
    }


@graph.mutation
def m_create_thread_event(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    event, _ = context.state.family(Events).event_create(
        actor=context.actor,
        title=data["title"],
        components=data["components"],
        external_id=data.get("externalId"),
        thread_id=data["threadId"],
        timestamp=graph.timestamp_input(data),
    )
    return {"threadEvent": _event_view(event)}


@graph.mutation(paths={"customer": "customerIdentifier"})
def m_create_customer_event(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    event, _ = context.state.family(Events).event_create(
        actor=context.actor,
        title=data["title"],
        components=data["components"],
        external_id=data.get("externalId"),
        customer=customer_ref(data["customerIdentifier"]),
        timestamp=graph.timestamp_input(data),
    )
    return {"customerEvent": _event_view(event)}


def _entry_customer_id(payload: graph.Payload, _info: Any) -> str:
    assert payload.entry is not None
    customer_id: str = payload.entry.customer_id
    return customer_id


RESOLVERS: graph.Resolvers = {
    "Mutation": {
        "createThreadEvent": m_create_thread_event,
        "createCustomerEvent": m_create_customer_event,
    },
    "ThreadEventEntry": {
        "timelineEventId": graph.key("event_id"),
        "components": components_view,
        "customerId": _entry_customer_id,
    },
    "CustomerEventEntry": {
        "timelineEventId": graph.key("event_id"),
        "components": components_view,
        "customerId": _entry_customer_id,
    },
    "ThreadEvent": {"components": components_view},
    "CustomerEvent": {"components": components_view},
}
