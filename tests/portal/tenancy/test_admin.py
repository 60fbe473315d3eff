"""The organisation admin: members inline, mapping, sync state, sync now, the outbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.tenancy import services
from portal.tenancy.models import Membership, Organization, SyncEvent
from tests.factories import UserFactory
from tests.portal.tenancy.conftest import tenants_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(sync):
    with sync():
        organization = services.organization_create(name="Acme", slug="acme")
    organization.refresh_from_db()
    return organization


@pytest.fixture
def alice(acme, sync):
    user = UserFactory(email="alice@acme.test")
    with sync():
        services.membership_add(user=user, organization=acme, role=Membership.Role.ADMIN)
    user.refresh_from_db()
    return user


def change_url(organization: Organization) -> str:
    return reverse("admin:tenancy_organization_change", args=[organization.pk])


def inline_post(organization: Organization, rows: list[dict], **fields) -> dict:
    data = {
        "name": organization.name,
        "slug": organization.slug,
        "tenant_external_id": organization.tenant_external_id,
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "_save": "Save",
        **fields,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{index}-{key}"] = value
        data[f"memberships-{index}-organization"] = str(organization.pk)
    return data


def test_changelist_shows_member_count_and_sync_state(staff_client, acme, alice):
    globex = Organization.objects.create(name="Globex", slug="globex")  # its row is pending
    SyncEvent.objects.create(
        kind="membership_added", subject="user:999", organization=globex, status="failed"
    )

    response = staff_client.get(reverse("admin:tenancy_organization_changelist"))

    assert response.status_code == 200
    rows = {org.name: org for org in response.context["cl"].result_list}  # annotated queryset
    assert rows["Acme"]._member_count == 1 and rows["Globex"]._member_count == 0
    html = response.content.decode()
    assert "in sync" in html
    assert "failed (1)" in html


@pytest.mark.parametrize("term", ["acm", "org-acme", "ACME"])
def test_changelist_searches_name_slug_and_tenant(staff_client, acme, term):
    Organization.objects.create(name="Globex", slug="globex")
    response = staff_client.get(reverse("admin:tenancy_organization_changelist"), {"q": term})
    assert [org.name for org in response.context["cl"].result_list] == ["Acme"]


def test_change_page_shows_tenant_sync_state_and_outbox_rows(staff_client, acme, alice):
    response = staff_client.get(change_url(acme))

    html = response.content.decode()
    assert response.status_code == 200
    assert acme.plain_tenant_id in html
    assert "in sync" in html
    assert "Membership added" in html and "alice@acme.test" in html
    assert reverse("admin:tenancy_organization_map_tenant", args=[acme.pk]) in html
    assert reverse("admin:tenancy_organization_sync_now", args=[acme.pk]) in html
    form = response.context["adminform"].form
    assert "tenant_external_id" in form.fields
    assert "plain_tenant_id" not in form.fields  # read-only


def test_change_page_shows_a_failure_with_its_error(staff_client, acme):
    SyncEvent.objects.create(
        kind="membership_added",
        subject="user:1",
        organization=acme,
        status="failed",
        attempts=3,
        last_error="PlainMutationError: customer_already_exists_with_email",
    )
    html = staff_client.get(change_url(acme)).content.decode()
    assert "failed (1)" in html
    assert "customer_already_exists_with_email" in html


def test_adding_a_member_inline_reaches_plain(staff_client, acme, alice, sync, plain):
    dora = UserFactory(email="dora@acme.test")
    membership = Membership.objects.get(user=alice)
    data = inline_post(
        acme,
        [
            {"id": str(membership.pk), "user": str(alice.pk), "role": "admin"},
            {"id": "", "user": str(dora.pk), "role": "member"},
        ],
    )
    with sync():
        response = staff_client.post(change_url(acme), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert tenants_of(plain, "dora@acme.test") == {"org-acme"}
    assert SyncEvent.objects.get(user=dora).status == "done"


def test_deleting_a_member_inline_reaches_plain(staff_client, acme, alice, sync, plain):
    membership = Membership.objects.get(user=alice)
    data = inline_post(
        acme, [{"id": str(membership.pk), "user": str(alice.pk), "role": "admin", "DELETE": "on"}]
    )
    with sync():
        response = staff_client.post(change_url(acme), data)

    assert response.status_code == 302
    assert tenants_of(plain, "alice@acme.test") == set()


def test_renaming_and_remapping_in_the_form_reach_plain(staff_client, acme, alice, sync, plain):
    membership = Membership.objects.get(user=alice)
    data = inline_post(
        acme,
        [{"id": str(membership.pk), "user": str(alice.pk), "role": "admin"}],
        name="Acme Europe",
        tenant_external_id="acme-eu",
    )
    with sync():
        response = staff_client.post(change_url(acme), data)

    assert response.status_code == 302
    assert tenants_of(plain, "alice@acme.test") == {"acme-eu"}
    names = {t.external_id: t.name for t in plain.tenants(first=100).items}
    assert names["acme-eu"] == "Acme Europe"


def test_deleting_an_organisation_in_the_admin_reaches_plain(
    staff_client, acme, alice, sync, plain
):
    url = reverse("admin:tenancy_organization_delete", args=[acme.pk])
    with sync():
        response = staff_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Organization.objects.exists()
    assert tenants_of(plain, "alice@acme.test") == set()


def test_map_tenant_page_searches_plain(staff_client, acme, plain):
    plain.upsert_tenant(external_id="hubspot-1", name="ACME Holdings")
    plain.upsert_tenant(external_id="hubspot-2", name="Unrelated")
    url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])

    response = staff_client.get(url, {"q": "acme"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "ACME Holdings" in html and "hubspot-1" in html
    assert "Unrelated" not in html
    assert "current tenant" in html  # Acme's own tenant matches "acme" too


def test_map_tenant_page_without_a_search_lists_nothing(staff_client, acme):
    url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response.context["results"] == []


def test_choosing_a_tenant_maps_the_organisation_and_moves_members(
    staff_client, acme, alice, sync, plain
):
    tenant, _ = plain.upsert_tenant(external_id="hubspot-1", name="ACME Holdings")
    url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])

    with sync():
        response = staff_client.post(url, {"tenant_id": tenant.id, "external_id": "hubspot-1"})

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.tenant_external_id, acme.plain_tenant_id) == ("hubspot-1", tenant.id)
    assert tenants_of(plain, "alice@acme.test") == {"hubspot-1"}


def test_a_tenant_id_plain_does_not_confirm_is_refused(staff_client, acme, plain):
    plain.upsert_tenant(external_id="hubspot-1", name="ACME Holdings")
    url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])

    response = staff_client.post(
        url, {"tenant_id": "te_forged", "external_id": "hubspot-1"}, follow=True
    )

    assert "Plain has no such tenant" in response.content.decode()
    acme.refresh_from_db()
    assert acme.tenant_external_id == "org-acme"


@pytest.mark.parametrize(
    "tenant_id", ["te_forged", "te_" + "0" * 70, "c_01JZZZZZZZZZZZZZZZZZZZZZZZ"]
)
def test_a_posted_tenant_id_not_shaped_like_plains_is_refused_without_asking_plain(
    staff_client, acme, plain, emulator_control, tenant_id
):
    url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])
    emulator_control.clear_requests()

    response = staff_client.post(
        url, {"tenant_id": tenant_id, "external_id": "hubspot-1"}, follow=True
    )

    assert "Plain has no such tenant" in response.content.decode()
    assert [r["operationName"] for r in emulator_control.requests()] == []


def test_a_tenant_another_organisation_maps_to_is_refused(staff_client, acme, sync, plain):
    with sync():
        globex = services.organization_create(name="Globex", slug="globex")
    globex.refresh_from_db()
    url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])

    response = staff_client.post(
        url, {"tenant_id": globex.plain_tenant_id, "external_id": "org-globex"}, follow=True
    )

    assert "Globex already maps" in response.content.decode()


def test_sync_now_repairs_drift_and_retries_failures(staff_client, acme, alice, sync, plain):
    plain.remove_customer_from_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["org-acme"]
    )
    failed = SyncEvent.objects.create(
        kind="membership_added",
        subject=f"user:{alice.pk}",
        organization=acme,
        user=alice,
        payload={"tenants": ["org-acme"]},
        status="failed",
        last_error="boom",
    )

    with sync():
        response = staff_client.post(
            reverse("admin:tenancy_organization_sync_now", args=[acme.pk]), follow=True
        )

    assert response.status_code == 200
    assert tenants_of(plain, "alice@acme.test") == {"org-acme"}
    failed.refresh_from_db()
    assert failed.status == "done"
    assert "Acme" in response.content.decode()


def test_sync_now_needs_post(staff_client, acme):
    response = staff_client.get(reverse("admin:tenancy_organization_sync_now", args=[acme.pk]))
    assert response.status_code == 405


def test_sync_now_action_from_the_changelist(staff_client, acme, alice, sync, plain):
    plain.remove_customer_from_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["org-acme"]
    )
    with sync():
        response = staff_client.post(
            reverse("admin:tenancy_organization_changelist"),
            {"action": "sync_now", "_selected_action": [str(acme.pk)]},
            follow=True,
        )
    assert response.status_code == 200
    assert "repaired 1 customers" in response.content.decode()
    assert tenants_of(plain, "alice@acme.test") == {"org-acme"}


def test_outbox_changelist_filters_by_organisation_and_retries(staff_client, acme, alice, sync):
    with sync():
        globex = services.organization_create(name="Globex", slug="globex")
    SyncEvent.objects.filter(user=alice).update(status="failed", last_error="boom")
    url = reverse("admin:tenancy_syncevent_changelist")

    response = staff_client.get(url, {"organization__id__exact": acme.pk})
    shown = {row.organization_id for row in response.context["cl"].result_list}
    assert shown == {acme.pk}
    assert globex.pk not in shown

    with sync():
        staff_client.post(
            url,
            {
                "action": "retry",
                "_selected_action": [
                    str(pk) for pk in SyncEvent.objects.values_list("pk", flat=True)
                ],
            },
        )
    assert SyncEvent.objects.get(user=alice).status == "done"


def test_outbox_rows_are_read_only(staff_client, alice):
    row = SyncEvent.objects.get(user=alice)
    response = staff_client.post(
        reverse("admin:tenancy_syncevent_change", args=[row.pk]), {"status": "failed"}
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == "done"
    assert staff_client.get(reverse("admin:tenancy_syncevent_add")).status_code == 403


def test_staff_without_permission_cannot_map_or_sync(client, acme):
    viewer = UserFactory(email="viewer@portal.test", is_staff=True)
    client.force_login(viewer)
    url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])
    assert client.get(url).status_code == 403
    url = reverse("admin:tenancy_organization_sync_now", args=[acme.pk])
    assert client.post(url).status_code == 403


def test_staff_can_give_an_organisation_the_products_id(staff_client, acme):
    response = staff_client.post(change_url(acme), inline_post(acme, [], external_id="prod-7"))

    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.external_id == "prod-7"


def test_two_organisations_cannot_share_the_products_id(staff_client, acme):
    Organization.objects.create(name="Globex", slug="globex", external_id="prod-7")

    response = staff_client.post(change_url(acme), inline_post(acme, [], external_id="prod-7"))

    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors
    acme.refresh_from_db()
    assert acme.external_id == ""
