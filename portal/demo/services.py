"""Seeding the demo: accounts and organisations in the database, conversations in Plain.

`demo_seed` is idempotent. It reads first and writes only what is missing, so a second run makes
no write to the database, to Plain or to the emulator:
- users, organisations and memberships are looked up by email and slug;
- then every demo organisation's tenant and every member's tenant membership is checked in Plain
  (reads) and written directly when missing: Plain lost it (a reset emulator under a kept
  database), or the sync of a change just made has not reached Plain yet (it runs on commit, and
  on a worker when a broker is configured);
- threads carry the externalId "demo-<key>" and are looked up among the tenant's threads.
  Threads opened by inbound email cannot be given an externalId, so they are recognised by
  their title within the tenant.
New organisations and memberships go through portal.tenancy.services (organization_create,
membership_add), so they get their outbox rows like any other change; the direct writes above
only make sure the threads created next find their tenant and customers. Both are upserts, so
the sync arriving later changes nothing.

With the emulator's control API the missing threads get a past: each is opened `opened_ago`
before the run and its steps follow at their gaps, all threads' messages played oldest first
with the emulator's clock moved to each one's time (it never goes back before the newest thread
activity, hence the order), then put back to real time. Against real Plain each thread is played
in full, one after another, now. A run interrupted halfway leaves the threads it had opened short
rather than duplicated.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from plain_gateway import PlainClient, iter_items
from plain_gateway.emulator import EmulatorControl
from plain_gateway.types import ThreadStatus
from portal.accounts.models import User
from portal.demo import data
from portal.demo.help_center import demo_help_center_ensure
from portal.tenancy.models import Membership, Organization
from portal.tenancy.services import membership_add, organization_create, plain_customer_ensure

ALL_STATUSES = tuple(ThreadStatus)
PAGE_SIZE = 50
# The time before a step whose script does not say (`after`), in minutes (fewest, most): support
# answers within the hour or so, customers take longer, bookkeeping follows its message closely.
USUAL_GAP_MINUTES: dict[type, tuple[int, int]] = {
    data.Agent: (10, 90),
    data.Customer: (30, 300),
    data.Note: (2, 8),
    data.Priority: (1, 5),
    data.Done: (5, 30),
    data.Snooze: (1, 3),
}
# A colleague chiming in after a customer, or an agent following up their own message or note.
FOLLOW_UP_MINUTES = (5, 30)


@dataclass
class SeedSummary:
    """What a run created (and what it found already there)."""

    users_created: list[str] = field(default_factory=list)
    organizations_created: list[str] = field(default_factory=list)
    memberships_created: list[str] = field(default_factory=list)
    # Tenants and memberships the database has but Plain had lost (a reset emulator).
    restored_in_plain: list[str] = field(default_factory=list)
    threads_created: list[str] = field(default_factory=list)
    threads_present: list[str] = field(default_factory=list)
    threads_skipped: list[str] = field(default_factory=list)
    help_articles_created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.users_created
            or self.organizations_created
            or self.memberships_created
            or self.restored_in_plain
            or self.threads_created
            or self.help_articles_created
        )


def demo_seed(
    *,
    client: PlainClient,
    control: EmulatorControl | None,
    agent_client: Callable[[str], PlainClient],
) -> SeedSummary:
    """Create whatever of the demo is missing, and say what was done.

    `control` is the emulator's control API, or None against real Plain: then email threads are
    skipped and agent messages come from the API key's machine user. `agent_client(api_key)`
    builds a client for an agent's key, talking to the same Plain as `client`.
    """
    summary = SeedSummary()
    users = _users_ensure(summary=summary)
    organizations = _organizations_ensure(client=client, summary=summary)
    _memberships_ensure(client=client, users=users, organizations=organizations, summary=summary)
    _threads_ensure(
        client=client,
        seeder=_Seeder(client=client, control=control, users=users, agent_client=agent_client),
        organizations=organizations,
        summary=summary,
    )
    summary.help_articles_created = demo_help_center_ensure(client=client)
    return summary


# --- database side ------------------------------------------------------------------------------


def _users_ensure(*, summary: SeedSummary) -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in data.USERS:
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            create = (
                User.objects.create_superuser if spec.is_superuser else User.objects.create_user
            )
            user = create(spec.email, data.DEMO_PASSWORD, full_name=spec.full_name)
            summary.users_created.append(spec.email)
        users[spec.email] = user
    return users


def _organizations_ensure(*, client: PlainClient, summary: SeedSummary) -> dict[str, Organization]:
    organizations: dict[str, Organization] = {}
    for spec in data.ORGANIZATIONS:
        organization = Organization.objects.filter(slug=spec.slug).first()
        if organization is None:
            organization = organization_create(name=spec.name, slug=spec.slug)
            summary.organizations_created.append(spec.name)
        organizations[spec.slug] = organization
    in_plain = {
        tenant.external_id
        for tenant in iter_items(lambda after: client.tenants(first=PAGE_SIZE, after=after))
    }
    for spec in data.ORGANIZATIONS:
        organization = organizations[spec.slug]
        if organization.tenant_external_id not in in_plain:
            _tenant_restore(client=client, organization=organization)
            if spec.name not in summary.organizations_created:
                summary.restored_in_plain.append(f"tenant of {spec.name}")
    return organizations


def _tenant_restore(*, client: PlainClient, organization: Organization) -> None:
    """Upsert the organisation's tenant now, as its sync would."""
    tenant, _ = client.upsert_tenant(
        external_id=organization.tenant_external_id, name=organization.name
    )
    Organization.objects.filter(pk=organization.pk).update(plain_tenant_id=tenant.id)
    organization.plain_tenant_id = tenant.id


def _memberships_ensure(
    *,
    client: PlainClient,
    users: dict[str, User],
    organizations: dict[str, Organization],
    summary: SeedSummary,
) -> None:
    created: set[str] = set()
    for spec in data.USERS:
        if spec.organization is None:
            continue
        organization = organizations[spec.organization]
        user = users[spec.email]
        if not Membership.objects.filter(user=user, organization=organization).exists():
            membership_add(user=user, organization=organization, role=spec.role)
            summary.memberships_created.append(f"{spec.email} in {organization.name}")
            created.add(spec.email)
    for organization in organizations.values():
        in_plain = _tenant_customer_ids(client=client, organization=organization)
        for membership in Membership.objects.filter(organization=organization).select_related(
            "user"
        ):
            user = users.get(membership.user.email, membership.user)
            user.refresh_from_db(fields=["plain_customer_id"])
            if user.plain_customer_id and user.plain_customer_id in in_plain:
                continue
            _membership_restore(client=client, user=user, organization=organization)
            if user.email not in created:
                summary.restored_in_plain.append(f"{user.email} in {organization.name}")


def _membership_restore(*, client: PlainClient, user: User, organization: Organization) -> None:
    """Put the user's customer into the organisation's tenant now, as its sync would.

    The customer id may be stale: it is forgotten so the customer is upserted again (by
    externalId, so a customer Plain still has is reused).
    """
    User.objects.filter(pk=user.pk).update(plain_customer_id="")
    user.plain_customer_id = ""
    customer_id = plain_customer_ensure(user=user)
    client.add_customer_to_tenants(
        customer_id=customer_id, tenant_external_ids=[organization.tenant_external_id]
    )


def _tenant_customer_ids(*, client: PlainClient, organization: Organization) -> set[str]:
    return {
        customer.id
        for customer in iter_items(
            lambda after: client.customers(
                tenant_external_ids=[organization.tenant_external_id], first=PAGE_SIZE, after=after
            )
        )
    }


# --- Plain side ---------------------------------------------------------------------------------


class _Seeder:
    """Plays the thread scripts. Agent clients and label types are fetched on first use only,
    so a run with nothing to create makes no call for them."""

    def __init__(
        self,
        *,
        client: PlainClient,
        control: EmulatorControl | None,
        users: dict[str, User],
        agent_client: Callable[[str], PlainClient],
    ) -> None:
        self.client = client
        self.agent_client = agent_client
        self.control = control
        self.users = users
        self._agents: dict[str, PlainClient] = {}
        self._label_types: dict[str, str] | None = None

    def close(self) -> None:
        for agent_client in self._agents.values():
            agent_client.close()

    def customer_id(self, email: str) -> str:
        user = self.users[email]
        if not user.plain_customer_id:
            # The membership sync may have upserted the customer since the user was loaded.
            user.refresh_from_db(fields=["plain_customer_id"])
        return plain_customer_ensure(user=user)

    def agent(self, name: str) -> PlainClient:
        """A client acting as the named human agent (emulator), else the API key's machine user."""
        if self.control is None:
            return self.client
        if name not in self._agents:
            spec = data.AGENTS[name]
            key = self.control.add_agent(full_name=spec.full_name, public_name=spec.public_name)
            self._agents[name] = self.agent_client(key)
        return self._agents[name]

    def label_type_ids(self, names: tuple[str, ...]) -> list[str]:
        if not names:
            return []
        if self._label_types is None:
            self._label_types = {
                label_type.name.lower(): label_type.id
                for label_type in iter_items(
                    lambda after: self.client.label_types(first=PAGE_SIZE, after=after)
                )
                if not label_type.is_archived
            }
        ids = []
        for name in names:
            if name.lower() not in self._label_types:
                label_type = self.client.create_label_type(name=name)
                self._label_types[name.lower()] = label_type.id
            ids.append(self._label_types[name.lower()])
        return ids

    def threads_create(
        self, *, threads: Sequence[tuple[data.DemoThread, Organization]]
    ) -> dict[str, str | None]:
        """Create and play the threads; their ids by key (None: it cannot be made here).

        With the control API every message is played at its time in the past (see the module
        docstring) and the clock is put back to real time afterwards, whatever happens.
        """
        events: list[tuple[timedelta, int, int, data.DemoThread, Organization]] = [
            (ago, number, step, spec, organization)
            for number, (spec, organization) in enumerate(threads)
            for step, ago in enumerate(_thread_ages(spec=spec), start=-1)
        ]
        if self.control is not None:
            events.sort(key=lambda event: (-event[0], event[1], event[2]))
        ids: dict[str, str | None] = {}
        try:
            for ago, _, step, spec, organization in events:
                if self.control is not None:
                    self.control.set_clock_offset(seconds=-ago.total_seconds())
                if step < 0:
                    ids[spec.key] = self.thread_open(spec=spec, organization=organization)
                elif (thread_id := ids[spec.key]) is not None:
                    self.step_play(
                        step=spec.steps[step],
                        spec=spec,
                        thread_id=thread_id,
                        customer_id=self.customer_id(spec.customer),
                    )
        finally:
            if self.control is not None and events:
                self.control.set_clock_offset(seconds=0)
        return ids

    def thread_open(self, *, spec: data.DemoThread, organization: Organization) -> str | None:
        """Create the thread with its first message; its id, or None when it cannot be made here."""
        customer_id = self.customer_id(spec.customer)
        if spec.channel == "email":
            if self.control is None:
                return None
            user = self.users[spec.customer]
            thread_id = self.control.inbound_email(
                from_email=user.email,
                from_name=user.get_full_name(),
                subject=spec.title,
                text=spec.text,
                tenant_external_id=organization.tenant_external_id,
            )["thread_id"]
            if spec.priority != 2:
                self.client.change_thread_priority(thread_id=thread_id, priority=spec.priority)
            if spec.labels:
                self.client.add_labels(
                    thread_id=thread_id, label_type_ids=self.label_type_ids(spec.labels)
                )
            return thread_id
        thread = self.client.create_thread(
            customer_id=customer_id,
            tenant_external_id=organization.tenant_external_id,
            title=spec.title,
            text=spec.text,
            label_type_ids=self.label_type_ids(spec.labels),
            priority=spec.priority,
            external_id=spec.external_id,
        )
        return thread.id

    def step_play(
        self, *, step: data.Step, spec: data.DemoThread, thread_id: str, customer_id: str
    ) -> None:
        match step:
            case data.Customer(text=text, author=author):
                author_id = self.customer_id(author) if author else customer_id
                self.client.reply_to_thread(
                    thread_id=thread_id, text=text, markdown=text, as_customer_id=author_id
                )
            case data.Agent(text=text):
                agent = self.agent(spec.agent)
                if spec.channel == "email":
                    agent.reply_to_thread(thread_id=thread_id, text=text, markdown=text)
                else:
                    agent.send_chat(customer_id=customer_id, thread_id=thread_id, text=text)
            case data.Note(text=text):
                self.agent(spec.agent).create_note(
                    customer_id=customer_id, thread_id=thread_id, text=text, markdown=text
                )
            case data.Priority(priority=priority):
                self.client.change_thread_priority(thread_id=thread_id, priority=priority)
            case data.Done():
                self.client.mark_thread_as_done(thread_id=thread_id)
            case data.Snooze(hours=hours):
                self.client.snooze_thread(thread_id=thread_id, duration_seconds=hours * 3600)
            case _:
                raise TypeError(f"Unknown demo step {step!r}")


def _threads_ensure(
    *,
    client: PlainClient,
    seeder: _Seeder,
    organizations: dict[str, Organization],
    summary: SeedSummary,
) -> None:
    missing: list[tuple[data.DemoThread, Organization]] = []
    for slug, organization in organizations.items():
        present = _thread_keys(client=client, organization=organization)
        for spec in data.THREADS:
            if spec.organization != slug:
                continue
            if spec.external_id in present or (spec.channel == "email" and spec.title in present):
                summary.threads_present.append(spec.title)
            else:
                missing.append((spec, organization))
    try:
        ids = seeder.threads_create(threads=missing)
    finally:
        seeder.close()
    for spec, _ in missing:
        if ids[spec.key] is None:
            summary.threads_skipped.append(spec.title)
        else:
            summary.threads_created.append(spec.title)
    if summary.threads_skipped:
        summary.notes.append(
            "Email threads need the emulator's control API (inbound email); skipped on real Plain."
        )


def _thread_ages(*, spec: data.DemoThread) -> list[timedelta]:
    """How long before the run the thread is opened, then each step played: oldest first."""
    ages = [spec.opened_ago]
    previous: data.Step | None = None
    for index, step in enumerate(spec.steps):
        gap = (
            step.after
            if step.after is not None
            else _usual_gap(step=step, previous=previous, salt=f"{spec.key}/{index}")
        )
        ages.append(ages[-1] - gap)
        previous = step
    return ages


def _usual_gap(*, step: data.Step, previous: data.Step | None, salt: str) -> timedelta:
    """A gap within the usual range for the step, picked by `salt` (the same one every run)."""
    fewest, most = USUAL_GAP_MINUTES[type(step)]
    if (isinstance(step, data.Customer) and isinstance(previous, data.Customer)) or (
        isinstance(step, data.Agent) and isinstance(previous, data.Agent | data.Note)
    ):
        fewest, most = FOLLOW_UP_MINUTES
    return timedelta(minutes=fewest + zlib.crc32(salt.encode()) % (most - fewest + 1))


def _thread_keys(*, client: PlainClient, organization: Organization) -> set[str]:
    """External ids and titles of the tenant's threads, in every status."""
    keys: set[str] = set()
    for thread in iter_items(
        lambda after: client.threads(
            tenant_external_ids=[organization.tenant_external_id],
            statuses=ALL_STATUSES,
            first=PAGE_SIZE,
            after=after,
        )
    ):
        keys.add(thread.title)
        if thread.external_id:
            keys.add(thread.external_id)
    return keys
