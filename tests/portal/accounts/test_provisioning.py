"""The provisioning service: users, organisations and memberships follow an identity, in one
transaction, with the sync outbox rows that make Plain's tenants follow too."""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from portal.accounts.provisioning import (
    Identity,
    OrgClaim,
    ProvisioningError,
    identity_provision,
    organization_provision,
)
from portal.tenancy.models import Membership, Organization, SyncEvent
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.tenancy.conftest import tenants_of

pytestmark = pytest.mark.django_db


def identity(**overrides) -> Identity:
    values = {
        "source": "jwt",
        "external_id": "u-1",
        "email": "dana@example.test",
        "name": "Dana Doe",
        "orgs": (OrgClaim(external_id="o-1", name="Umbrella", role="admin"),),
    }
    values.update(overrides)
    return Identity(**values)


def memberships(user: User) -> dict[str, str]:
    """The user's memberships as {organisation external id (or slug): role}."""
    return {
        m.organization.external_id or m.organization.slug: m.role
        for m in Membership.objects.filter(user=user).select_related("organization")
    }


def table_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "organisations": Organization.objects.count(),
        "memberships": Membership.objects.count(),
        "sync rows": SyncEvent.objects.count(),
    }


def test_a_new_identity_creates_the_user_organisations_and_memberships():
    user = identity_provision(
        identity=identity(
            orgs=(
                OrgClaim(external_id="o-1", name="Umbrella", role="admin"),
                OrgClaim(external_id="o-2", name="Initech", role="member"),
            )
        )
    )

    user.refresh_from_db()
    assert (user.email, user.full_name, user.external_id, user.auth_source) == (
        "dana@example.test",
        "Dana Doe",
        "u-1",
        "jwt",
    )
    assert user.is_externally_managed
    assert not user.has_usable_password()
    assert memberships(user) == {"o-1": "admin", "o-2": "member"}
    umbrella = Organization.objects.get(external_id="o-1")
    # The tenant rule of organisations created in the admin.
    assert (umbrella.name, umbrella.slug, umbrella.tenant_external_id) == (
        "Umbrella",
        "umbrella",
        "org-umbrella",
    )
    kinds = sorted(SyncEvent.objects.values_list("kind", flat=True))
    assert kinds == ["membership_added", "membership_added", "tenant_upsert", "tenant_upsert"]


def test_memberships_become_exactly_the_claimed_ones():
    user = identity_provision(
        identity=identity(
            orgs=(
                OrgClaim(external_id="o-1", name="Umbrella", role="admin"),
                OrgClaim(external_id="o-2", name="Initech", role="member"),
            )
        )
    )
    local = OrganizationFactory(name="Staff made", slug="staff-made")
    MembershipFactory(user=user, organization=local)

    identity_provision(
        identity=identity(
            orgs=(
                OrgClaim(external_id="o-1", name="Umbrella", role="member"),
                OrgClaim(external_id="o-3", name="Globex", role="admin"),
            )
        )
    )

    assert memberships(user) == {"o-1": "member", "o-3": "admin"}
    # The organisations left behind stay; only the memberships go.
    assert Organization.objects.filter(external_id="o-2").exists()
    assert Organization.objects.filter(slug="staff-made").exists()


def test_orgs_none_leaves_the_memberships_alone():
    user = identity_provision(identity=identity())
    identity_provision(identity=identity(name="Dana Renamed", orgs=None))

    user.refresh_from_db()
    assert user.full_name == "Dana Renamed"
    assert memberships(user) == {"o-1": "admin"}


def test_an_empty_orgs_list_removes_every_membership():
    user = identity_provision(identity=identity())
    identity_provision(identity=identity(orgs=()))

    assert memberships(user) == {}


def test_the_user_is_found_by_external_id_when_the_email_changes():
    user = identity_provision(identity=identity())
    again = identity_provision(identity=identity(email="Dana.New@Example.test"))

    assert again.pk == user.pk
    again.refresh_from_db()
    assert again.email == "dana.new@example.test"
    assert SyncEvent.objects.filter(kind="user_email_changed", user=user).exists()


def test_a_local_account_with_the_same_email_is_linked():
    local = UserFactory(email="dana@example.test", full_name="Dana Local")
    MembershipFactory(user=local, organization=OrganizationFactory(name="Old", slug="old"))

    user = identity_provision(identity=identity(email="DANA@example.test"))

    assert user.pk == local.pk
    user.refresh_from_db()
    assert (user.external_id, user.auth_source, user.full_name) == ("u-1", "jwt", "Dana Doe")
    assert not user.has_usable_password()
    assert memberships(user) == {"o-1": "admin"}
    assert User.objects.count() == 1


def test_an_email_linked_to_another_subject_is_refused_and_nothing_written():
    identity_provision(identity=identity())
    before = table_counts()

    with pytest.raises(ProvisioningError, match="another account"):
        identity_provision(
            identity=identity(
                external_id="u-2", orgs=(OrgClaim(external_id="o-9", name="New", role="member"),)
            )
        )

    assert table_counts() == before
    assert not Organization.objects.filter(external_id="o-9").exists()


def test_moving_to_an_email_another_user_has_is_refused():
    UserFactory(email="taken@example.test")
    identity_provision(identity=identity())
    before = table_counts()

    with pytest.raises(ProvisioningError, match="another account"):
        identity_provision(identity=identity(email="taken@example.test"))

    assert table_counts() == before
    assert User.objects.get(external_id="u-1").email == "dana@example.test"


def test_a_staff_account_is_never_provisioned():
    UserFactory(email="dana@example.test", is_staff=True)
    before = table_counts()

    with pytest.raises(ProvisioningError, match="Staff"):
        identity_provision(identity=identity())

    assert table_counts() == before
    assert User.objects.get(email="dana@example.test").external_id == ""


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source": "ldap"}, "source"),
        ({"external_id": "  "}, "id"),
        ({"external_id": "x" * 256}, "id"),
        ({"email": "not-an-address"}, "email"),
        ({"name": "n" * 201}, "name"),
        ({"orgs": (OrgClaim(external_id="o-1", name="Umbrella", role="owner"),)}, "role"),
        ({"orgs": (OrgClaim(external_id="", name="Umbrella", role="member"),)}, "id"),
        ({"orgs": (OrgClaim(external_id="o-1", name=" ", role="member"),)}, "name"),
        (
            {
                "orgs": (
                    OrgClaim(external_id="o-1", name="Umbrella", role="member"),
                    OrgClaim(external_id="o-1", name="Umbrella", role="admin"),
                )
            },
            "twice",
        ),
    ],
)
def test_an_invalid_identity_is_refused_with_nothing_written(overrides, message):
    before = table_counts()

    with pytest.raises(ProvisioningError, match=message):
        identity_provision(identity=identity(**overrides))

    assert table_counts() == before


def test_a_new_organisation_never_takes_a_local_one_by_name():
    local = OrganizationFactory(name="Umbrella", slug="umbrella")

    user = identity_provision(identity=identity())

    created = Organization.objects.get(external_id="o-1")
    assert created.pk != local.pk
    assert (created.slug, created.tenant_external_id) == ("umbrella-2", "org-umbrella-2")
    assert memberships(user) == {"o-1": "admin"}


def test_an_organisation_with_an_unsluggable_name_still_gets_a_tenant():
    organization = organization_provision(external_id="Org 77", name="株式会社")

    assert organization.slug == "org-77"
    assert organization.tenant_external_id == "org-org-77"


def test_organization_provision_renames_and_the_tenant_follows():
    organization = organization_provision(external_id="o-1", name="Umbrella")
    again = organization_provision(external_id="o-1", name="Umbrella Corp")

    assert again.pk == organization.pk
    again.refresh_from_db()
    assert again.name == "Umbrella Corp"
    assert SyncEvent.objects.filter(organization=organization, kind="tenant_upsert").count() == 2


def test_plain_tenants_follow_the_provisioned_memberships(sync, plain):
    with sync():
        identity_provision(
            identity=identity(
                orgs=(
                    OrgClaim(external_id="o-1", name="Umbrella", role="admin"),
                    OrgClaim(external_id="o-2", name="Initech", role="member"),
                )
            )
        )
    assert tenants_of(plain, "dana@example.test") == {"org-umbrella", "org-initech"}
    tenants = {t.external_id: t.name for t in plain.tenants(first=100).items}
    assert tenants["org-umbrella"] == "Umbrella"

    with sync():
        identity_provision(
            identity=identity(orgs=(OrgClaim(external_id="o-2", name="Initech", role="admin"),))
        )

    assert tenants_of(plain, "dana@example.test") == {"org-initech"}
    assert set(SyncEvent.objects.values_list("status", flat=True)) == {"done"}
