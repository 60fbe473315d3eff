"""A NUL character in a query string or a form, or an overlong query-string value, is the user's
mistake: a 400, never a 500.

PostgreSQL refuses NUL in text, so a NUL that reaches a query is a 500 there (SQLite takes it);
SQLite refuses a LIKE pattern over 50,000 bytes. CI runs this module on both databases.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.middleware import MAX_QUERY_VALUE_LENGTH
from portal.tenancy.models import Organization
from tests.portal.support.pages import h1_texts, page_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "changelist",
    [
        "admin:tenancy_organization_changelist",
        "admin:tenancy_syncevent_changelist",
        "admin:tenancy_retiredtenant_changelist",
        "admin:support_submission_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_a_nul_in_an_admin_search_is_a_400(staff_client, changelist):
    response = staff_client.get(reverse(changelist), {"q": "acme\x00"})

    assert response.status_code == 400
    assert h1_texts(page_text(response)) == ["Bad request"]
    assert staff_client.get(reverse(changelist), {"q": "acme"}).status_code == 200


@pytest.mark.parametrize(
    "changelist",
    ["admin:tenancy_organization_changelist", "admin:accounts_user_changelist"],
)
def test_an_overlong_admin_search_is_a_400(staff_client, changelist):
    response = staff_client.get(reverse(changelist), {"q": "x" * 60_000})

    assert response.status_code == 400
    assert h1_texts(page_text(response)) == ["Bad request"]
    assert (
        staff_client.get(reverse(changelist), {"q": "x" * MAX_QUERY_VALUE_LENGTH}).status_code
        == 200
    )


def test_a_nul_in_the_tenant_search_is_a_400(staff_client, emulator_control):
    organization = Organization.objects.create(
        name="Acme", slug="acme", tenant_external_id="org-acme"
    )
    emulator_control.clear_requests()
    url = reverse("admin:tenancy_organization_map_tenant", args=[organization.pk])

    assert staff_client.get(url, {"q": "ac\x00me"}).status_code == 400
    assert staff_client.post(url, {"tenant_id": "te_\x00", "external_id": "x"}).status_code == 400
    assert emulator_control.requests() == []


def test_a_nul_in_a_list_filter_or_a_login_is_a_400(client, staff_client):
    assert (
        staff_client.get(reverse("admin:support_submission_changelist"), {"status__exact": "\x00"})
    ).status_code == 400
    client.logout()
    assert client.get(reverse("support:thread_list"), {"after": "\x00"}).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tenancy/organization/1%00/change/",
        "/admin/tenancy/organization/1%00/map-tenant/",
        "/admin/support/submission/x%00/change/",
    ],
)
def test_a_nul_in_an_admin_object_id_is_not_a_500(staff_client, path):
    assert staff_client.get(path).status_code in (302, 404)
