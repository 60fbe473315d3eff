"""The card selectors read only what they are asked about."""

from __future__ import annotations

import pytest

from portal.agent_context.selectors import (
    customer_activity_get,
    customer_organizations_get,
    customer_user_find,
    organization_members_get,
)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_members_are_read_for_the_organisations_asked_about_only():
    acme, globex = OrganizationFactory(name="Acme"), OrganizationFactory(name="Globex")
    MembershipFactory(organization=acme, user__email="a@acme.test")
    MembershipFactory(organization=globex, user__email="g@globex.test")
    found = organization_members_get(organization_ids=[acme.pk], limit=10)
    assert {org: [m.email for m in members] for org, members in found.items()} == {
        acme.pk: ["a@acme.test"]
    }
    assert organization_members_get(organization_ids=[], limit=10) == {}


def test_organisations_count_every_member_but_list_the_users_own():
    acme, globex = OrganizationFactory(name="Acme"), OrganizationFactory(name="Globex")
    alice = UserFactory(email="alice@acme.test")
    MembershipFactory(organization=acme, user=alice)
    MembershipFactory.create_batch(3, organization=acme)
    MembershipFactory.create_batch(2, organization=globex)
    found = customer_organizations_get(user=alice, limit=5)
    assert [(org.name, org.member_count) for org in found.shown] == [("Acme", 4)]
    assert (found.total, found.hidden) == (1, 0)
    assert customer_organizations_get(user=UserFactory(), limit=5).total == 0


def test_a_user_is_found_by_external_id_then_by_address():
    alice, bob = UserFactory(email="alice@acme.test"), UserFactory(email="bob@acme.test")
    assert customer_user_find(external_id=alice.plain_external_id, email=bob.email) == alice
    assert customer_user_find(external_id="portal-user-not-a-uuid", email="BOB@acme.test") == bob
    assert customer_user_find(external_id=None, email="") is None
    assert customer_user_find(external_id="", email="carol@acme.test") is None


def test_activity_without_submissions_reads_no_list(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(1):
        activity = customer_activity_get(user=user, limit=5)
    assert (activity.total, activity.pending, activity.failed, activity.recent) == (0, 0, 0, ())
