"""Tenant mapping and membership sync, end to end in eager mode over the embedded emulator."""

from __future__ import annotations

import pytest

from portal.tenancy import services
from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.tenancy.conftest import plain_memberships, tenants_of, writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(sync):
    with sync():
        return services.organization_create(name="Acme", slug="acme")


@pytest.fixture
def alice(acme, sync):
    user = UserFactory(email="alice@acme.test", full_name="Alice Archer")
    with sync():
        services.membership_add(user=user, organization=acme)
    user.refresh_from_db()
    return user


def test_creating_an_organisation_upserts_its_tenant(sync, plain):
    with sync():
        organization = services.organization_create(name="Initech", slug="initech")

    organization.refresh_from_db()
    assert organization.tenant_external_id == "org-initech"
    tenants = {t.external_id: t for t in plain.tenants(first=100).items}
    assert tenants["org-initech"].name == "Initech"
    assert organization.plain_tenant_id == tenants["org-initech"].id
    assert organization.last_synced_at is not None
    row = SyncEvent.objects.get(organization=organization)
    assert (row.kind, row.status, row.attempts) == ("tenant_upsert", "done", 1)


def test_the_outbox_row_is_written_but_nothing_sent_until_commit(plain, emulator_control):
    organization = services.organization_create(name="Initech", slug="initech")

    assert SyncEvent.objects.get(organization=organization).status == "pending"
    assert emulator_control.requests() == []  # the test's transaction never committed


def test_adding_a_member_creates_the_customer_and_adds_it_to_the_tenant(acme, sync, plain):
    user = UserFactory(email="dora@acme.test", full_name="Dora D")
    with sync():
        services.membership_add(user=user, organization=acme)

    user.refresh_from_db()
    assert user.plain_customer_id
    assert tenants_of(plain, "dora@acme.test") == {"org-acme"}
    assert SyncEvent.objects.get(user=user).status == "done"


def test_a_brand_new_member_costs_exactly_one_write(acme, sync, plain, emulator_control, settings):
    # The event telling agents she joined is its own write (portal/agent_context), not the sync's.
    settings.PORTAL_AGENT_EVENTS = []
    user = UserFactory(email="erin@acme.test", full_name="Erin E")
    emulator_control.clear_requests()

    with sync():
        services.membership_add(user=user, organization=acme)

    assert writes(emulator_control) == {"upsertCustomer": 1}
    [upsert] = emulator_control.requests()
    on_create = upsert["variables"]["input"]["onCreate"]
    assert on_create["tenantIdentifiers"] == [{"externalId": "org-acme"}]
    user.refresh_from_db()
    assert user.plain_customer_id
    assert tenants_of(plain, "erin@acme.test") == {"org-acme"}


def test_a_customer_already_in_plain_still_joins_the_tenant(acme, sync, plain, emulator_control):
    user = UserFactory(email="fay@acme.test", full_name="Fay F")
    # Made before the portal knew the user (by hand, or an attempt whose answer was lost):
    # upsertCustomer finds it and, as Plain documents, leaves its memberships alone.
    plain.upsert_customer(
        external_id=user.plain_external_id, email=user.email, full_name=user.get_full_name()
    )
    emulator_control.clear_requests()

    with sync():
        services.membership_add(user=user, organization=acme)

    assert writes(emulator_control) == {"upsertCustomer": 1, "addCustomerToTenants": 1}
    assert tenants_of(plain, "fay@acme.test") == {"org-acme"}


def test_a_new_member_of_a_tenant_deleted_in_plain_still_lands_in_it(acme, sync, plain):
    # The database says the tenant exists; Plain says no such tenant (it was deleted there).
    Organization.objects.filter(pk=acme.pk).update(
        tenant_external_id="org-gone", plain_tenant_id="te_01GONE"
    )
    user = UserFactory(email="gus@acme.test")

    with sync():
        services.membership_add(user=user, organization=acme)

    assert tenants_of(plain, "gus@acme.test") == {"org-gone"}
    assert SyncEvent.objects.get(user=user).status == "done"


def test_a_customer_whose_id_was_never_stored_still_leaves_the_tenant(
    alice, acme, sync, plain, emulator_control
):
    # The upsert put the customer in the tenant, then the worker died before storing its id.
    type(alice).objects.filter(pk=alice.pk).update(plain_customer_id="")
    alice.refresh_from_db()
    emulator_control.clear_requests()

    with sync():
        services.membership_remove(user=alice, organization=acme)

    assert writes(emulator_control) == {"removeCustomerFromTenants": 1}
    assert tenants_of(plain, "alice@acme.test") == set()
    alice.refresh_from_db()
    assert alice.plain_customer_id


def test_a_known_customer_joining_costs_exactly_one_write(alice, sync, plain, emulator_control):
    initech = OrganizationFactory(name="Initech", slug="initech")
    plain.upsert_tenant(external_id=initech.tenant_external_id, name="Initech")
    Organization.objects.filter(pk=initech.pk).update(plain_tenant_id="known")
    emulator_control.clear_requests()

    with sync():
        services.membership_add(user=alice, organization=initech)

    assert writes(emulator_control) == {"addCustomerToTenants": 1}
    assert tenants_of(plain, "alice@acme.test") == {"org-acme", "org-initech"}


def test_removing_a_member_leaves_its_unmanaged_tenants_alone(alice, acme, sync, plain):
    plain.upsert_tenant(external_id="crm-import-7", name="Imported by the CRM")
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["crm-import-7"]
    )

    with sync():
        services.membership_remove(user=alice, organization=acme)

    assert tenants_of(plain, "alice@acme.test") == {"crm-import-7"}
    assert not Membership.objects.filter(user=alice).exists()


def test_an_email_change_updates_the_same_customer(alice, sync, plain):
    customer_id = alice.plain_customer_id
    with sync():
        alice.email = "alice@acme.example"
        alice.save()

    customers = {c.id: c for c in plain.customers(first=100).items}
    assert customers[customer_id].email == "alice@acme.example"
    assert len(customers) == 1
    assert SyncEvent.objects.filter(kind="user_email_changed", status="done").count() == 1


def test_a_deactivated_user_leaves_managed_tenants_and_returns_when_reactivated(alice, sync, plain):
    plain.upsert_tenant(external_id="by-hand", name="Made by hand")
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["by-hand"]
    )

    with sync():
        alice.is_active = False
        alice.save()
    assert tenants_of(plain, "alice@acme.test") == {"by-hand"}

    with sync():
        alice.is_active = True
        alice.save()
    assert tenants_of(plain, "alice@acme.test") == {"by-hand", "org-acme"}


def test_a_deleted_user_leaves_every_managed_tenant(alice, acme, sync, plain):
    with sync():
        globex = OrganizationFactory(name="Globex", slug="globex")
        services.membership_add(user=alice, organization=globex)
    plain.upsert_tenant(external_id="by-hand", name="Made by hand")
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["by-hand"]
    )
    assert tenants_of(plain, "alice@acme.test") == {"org-acme", "org-globex", "by-hand"}

    with sync():
        alice.delete()

    assert tenants_of(plain, "alice@acme.test") == {"by-hand"}
    assert not SyncEvent.objects.exclude(status="done").exists()


def test_renaming_an_organisation_renames_its_tenant(acme, sync, plain):
    with sync():
        services.organization_rename(organization=acme, name="Acme Corporation")

    tenants = {t.external_id: t.name for t in plain.tenants(first=100).items}
    assert tenants["org-acme"] == "Acme Corporation"


def test_a_role_change_sends_nothing(alice, acme, sync, emulator_control):
    emulator_control.clear_requests()
    membership = Membership.objects.get(user=alice, organization=acme)
    with sync():
        membership.role = Membership.Role.ADMIN
        membership.save()

    assert writes(emulator_control) == {}


def test_remapping_moves_members_and_keeps_strangers_of_the_old_tenant(alice, acme, sync, plain):
    bob = UserFactory(email="bob@acme.test")
    with sync():
        services.membership_add(user=bob, organization=acme)
    # Someone the portal does not know, put in Acme's tenant by hand.
    stranger, _ = plain.upsert_customer(
        external_id="crm-42", email="stranger@crm.test", full_name="Stranger"
    )
    plain.add_customer_to_tenants(customer_id=stranger.id, tenant_external_ids=["org-acme"])
    old_tenant_id = Organization.objects.get(pk=acme.pk).plain_tenant_id

    with sync():
        acme.refresh_from_db()
        acme.tenant_external_id = "acme-eu"
        acme.save()

    memberships = plain_memberships(plain)
    assert memberships["alice@acme.test"] == {"acme-eu"}
    assert memberships["bob@acme.test"] == {"acme-eu"}
    assert memberships["stranger@crm.test"] == {"org-acme"}
    acme.refresh_from_db()
    assert acme.plain_tenant_id and acme.plain_tenant_id != old_tenant_id
    retired = RetiredTenant.objects.get()
    assert (retired.external_id, retired.plain_tenant_id) == ("org-acme", old_tenant_id)


def test_mapping_onto_an_existing_tenant_keeps_its_name_and_moves_members(
    alice, acme, sync, plain, emulator_control
):
    existing, _ = plain.upsert_tenant(external_id="hubspot-991", name="ACME Inc (HubSpot)")
    emulator_control.clear_requests()

    with sync():
        services.organization_map_to_tenant(
            organization=acme, tenant_id=existing.id, tenant_external_id="hubspot-991"
        )

    acme.refresh_from_db()
    assert (acme.tenant_external_id, acme.plain_tenant_id) == ("hubspot-991", existing.id)
    assert tenants_of(plain, "alice@acme.test") == {"hubspot-991"}
    names = {t.external_id: t.name for t in plain.tenants(first=100).items}
    assert names["hubspot-991"] == "ACME Inc (HubSpot)"
    assert writes(emulator_control) == {
        "addCustomerToTenants": 1,
        "removeCustomerFromTenants": 1,
    }


def test_mapping_onto_a_tenant_another_organisation_uses_is_refused(acme):
    globex = OrganizationFactory(name="Globex", slug="globex")
    with pytest.raises(ValueError, match="Globex already maps"):
        services.organization_map_to_tenant(
            organization=acme, tenant_id="te_x", tenant_external_id=globex.tenant_external_id
        )


def test_mapping_back_onto_a_retired_tenant_manages_it_again(alice, acme, sync, plain):
    with sync():
        acme.tenant_external_id = "acme-eu"
        acme.save()
    with sync():
        acme.tenant_external_id = "org-acme"
        acme.save()

    assert tenants_of(plain, "alice@acme.test") == {"org-acme"}
    assert list(RetiredTenant.objects.values_list("external_id", flat=True)) == ["acme-eu"]


def test_deleting_an_organisation_takes_its_members_out_of_the_tenant(alice, acme, sync, plain):
    plain.upsert_tenant(external_id="by-hand", name="Made by hand")
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["by-hand"]
    )
    with sync():
        acme.delete()

    assert tenants_of(plain, "alice@acme.test") == {"by-hand"}
    assert RetiredTenant.objects.filter(external_id="org-acme").exists()
    assert not SyncEvent.objects.exclude(status="done").exists()


def test_a_membership_moved_to_another_user_in_place_moves_both(alice, acme, sync, plain):
    bob = UserFactory(email="bob@acme.test")
    with sync():
        services.membership_add(user=bob, organization=OrganizationFactory(slug="globex"))
    membership = Membership.objects.get(user=alice, organization=acme)

    with sync():
        membership.user = bob
        membership.save()

    memberships = plain_memberships(plain)
    assert memberships["alice@acme.test"] == set()
    assert memberships["bob@acme.test"] == {"org-acme", "org-globex"}


def test_a_tenant_missing_in_plain_is_created_before_members_are_added(sync, plain):
    # bulk_create sends no signal: the organisation is in the database only.
    [organization] = Organization.objects.bulk_create(
        [Organization(name="Quiet", slug="quiet", tenant_external_id="org-quiet")]
    )
    user = UserFactory(email="q@quiet.test")
    with sync():
        services.membership_add(user=user, organization=organization)

    assert tenants_of(plain, "q@quiet.test") == {"org-quiet"}
    organization.refresh_from_db()
    assert organization.plain_tenant_id


def test_membership_factory_changes_reach_plain_too(sync, plain):
    organization = OrganizationFactory(slug="factory")
    with sync():
        MembershipFactory(organization=organization, user__email="f@factory.test")

    assert tenants_of(plain, "f@factory.test") == {"org-factory"}
