"""A stateful property test: whatever happens to members, organisations and Plain's availability,
once the outbox is drained Plain's managed memberships equal the database and every membership
of an unmanaged tenant is still there. Eager mode, embedded emulator."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from portal.accounts.models import User
from portal.tenancy import services
from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent
from tests.factories import UserFactory
from tests.portal.tenancy.conftest import plain_memberships

pytestmark = pytest.mark.django_db

USERS = 4
ORGS = 3
UNMANAGED = ("crm-1", "crm-2")

slot_user = st.integers(min_value=0, max_value=USERS - 1)
slot_org = st.integers(min_value=0, max_value=ORGS - 1)


def test_plain_converges_on_the_database(sync, plain, emulator_control):
    counter = itertools.count()

    class MembershipSync(RuleBasedStateMachine):
        @initialize()
        def fresh_world(self):
            Membership.objects.all().delete()
            Organization.objects.all().delete()
            User.objects.all().delete()
            SyncEvent.objects.all().delete()
            RetiredTenant.objects.all().delete()
            emulator_control.reset()
            emulator_control.clear_faults()
            for external_id in UNMANAGED:
                plain.upsert_tenant(external_id=external_id, name=external_id)
            # Hand-made memberships of unmanaged tenants, by Plain customer id.
            self.unmanaged: dict[str, set[str]] = {}
            with sync():
                self.orgs = [self._new_org() for _ in range(ORGS)]
                self.users = [self._new_user() for _ in range(USERS)]

        def _new_org(self) -> Organization:
            n = next(counter)
            return services.organization_create(name=f"Org {n}", slug=f"org{n}")

        def _new_user(self) -> User:
            return UserFactory(email=f"user{next(counter)}@example.test")

        def _user(self, slot: int) -> User:
            return User.objects.get(pk=self.users[slot].pk)

        def _org(self, slot: int) -> Organization:
            return Organization.objects.get(pk=self.orgs[slot].pk)

        @rule(user=slot_user, org=slot_org)
        def join(self, user, org):
            with sync():
                services.membership_add(user=self._user(user), organization=self._org(org))

        @rule(user=slot_user, org=slot_org)
        def leave(self, user, org):
            with sync():
                services.membership_remove(user=self._user(user), organization=self._org(org))

        @rule(user=slot_user)
        def toggle_active(self, user):
            with sync():
                instance = self._user(user)
                instance.is_active = not instance.is_active
                instance.save()

        @rule(user=slot_user)
        def change_email(self, user):
            with sync():
                instance = self._user(user)
                instance.email = f"renamed{next(counter)}@example.test"
                instance.save()

        @rule(user=slot_user)
        def delete_user(self, user):
            with sync():
                self._user(user).delete()
                self.users[user] = self._new_user()

        @rule(org=slot_org)
        def rename(self, org):
            with sync():
                services.organization_rename(
                    organization=self._org(org), name=f"Renamed {next(counter)}"
                )

        @rule(org=slot_org)
        def remap(self, org):
            with sync():
                instance = self._org(org)
                instance.tenant_external_id = f"remap-{next(counter)}"
                instance.save()

        @rule(org=slot_org)
        def delete_org(self, org):
            with sync():
                self._org(org).delete()
                self.orgs[org] = self._new_org()

        @rule(user=slot_user, tenant=st.sampled_from(UNMANAGED))
        def hand_made_membership(self, user, tenant):
            instance = self._user(user)
            if not instance.plain_customer_id:
                return
            emulator_control.clear_faults()  # the agent's own write goes through
            plain.add_customer_to_tenants(
                customer_id=instance.plain_customer_id, tenant_external_ids=[tenant]
            )
            self.unmanaged.setdefault(instance.plain_customer_id, set()).add(tenant)

        @rule(count=st.integers(min_value=1, max_value=12))
        def plain_goes_down(self, count):
            emulator_control.fail_next(count=count, status=503)

        @rule(data=st.data())
        def replay_old_rows(self, data):
            done = list(SyncEvent.objects.filter(status="done").values_list("pk", flat=True))
            if not done:
                return
            chosen = data.draw(st.lists(st.sampled_from(done), max_size=4))
            SyncEvent.objects.filter(pk__in=chosen).update(status="pending")
            with sync():
                for pk in chosen:
                    services.sync_event_process(event_id=pk)

        @rule()
        def check(self):
            self._settle_and_compare()

        def teardown(self):
            self._settle_and_compare()

        def _settle_and_compare(self):
            emulator_control.clear_faults()
            for _ in range(10):
                if not SyncEvent.objects.filter(status="pending").exists():
                    break
                with sync():
                    services.sync_events_sweep(now=timezone.now() + timedelta(days=1))
            assert not SyncEvent.objects.exclude(status="done").exists(), list(
                SyncEvent.objects.exclude(status="done").values("kind", "status", "last_error")
            )
            managed = set(Organization.objects.values_list("tenant_external_id", flat=True))
            managed |= set(RetiredTenant.objects.values_list("external_id", flat=True))
            in_plain = {
                customer.id: {t.external_id for t in customer.tenants}
                for customer in plain.customers(first=100).items
            }
            users = {u.plain_customer_id: u for u in User.objects.exclude(plain_customer_id="")}
            for customer_id, tenants in in_plain.items():
                user = users.get(customer_id)
                expected = set()
                if user is not None and user.is_active:
                    expected = set(
                        Organization.objects.filter(memberships__user=user).values_list(
                            "tenant_external_id", flat=True
                        )
                    )
                assert tenants & managed == expected, (user, tenants, expected)
                assert tenants - managed == self.unmanaged.get(customer_id, set())
            for user in User.objects.filter(is_active=True, memberships__isnull=False).distinct():
                assert user.plain_customer_id in in_plain
            # Emails follow the users.
            emails = {c.id: c.email for c in plain.customers(first=100).items}
            for customer_id, user in users.items():
                assert emails[customer_id] == user.email
            assert plain_memberships(plain) is not None

    run_state_machine_as_test(
        MembershipSync,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
