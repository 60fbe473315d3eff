"""The preferences page and the one-click unsubscribe (no login, GET confirms, POST applies)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.notifications import services
from portal.notifications.models import OrganizationDefault, Preference, Scope
from portal.tenancy.models import Membership
from tests.portal.notifications.test_handlers import applied, chat

pytestmark = pytest.mark.django_db


def unsubscribe_path(email) -> str:
    header = str(email.headers["List-Unsubscribe"]).strip().strip("<>")
    return header.removeprefix("https://support.example.test")


def test_the_emails_link_unsubscribes_without_login_get_confirms_post_applies(
    world, post, later, sent
):
    applied(post, chat(world))
    later()
    [email] = sent()
    path = unsubscribe_path(email)
    anonymous = Client(enforce_csrf_checks=True)

    page = anonymous.get(path)
    assert page.status_code == 200
    assert page.context["email"] == "alice@acme.test"
    assert not Preference.objects.filter(user=world.alice).exists()  # a GET changes nothing

    # What a mail client's one-click does (RFC 8058): a POST with no cookie and no CSRF token.
    done = anonymous.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert done.status_code == 200
    assert Preference.objects.get(user=world.alice).scope == Scope.NONE

    applied(post, chat(world, text="Another"))
    later()
    assert len(sent()) == 1


def test_the_confirm_pages_button_unsubscribes(world, client):
    path = reverse(
        "notifications:unsubscribe", kwargs={"token": services.unsubscribe_token(user=world.bob)}
    )
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Preference.objects.get(user=world.bob).scope == Scope.NONE
    assert not Preference.objects.filter(user=world.alice).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_altered_token_is_a_404_and_changes_nothing(world, client, method):
    token = services.unsubscribe_token(user=world.alice)
    portal_id, signature = token.split(":", 1)
    forged = f"{world.bob.portal_id}:{signature}"
    for bad in (forged, f"{portal_id}:nope", "garbage"):
        path = reverse("notifications:unsubscribe", kwargs={"token": bad})
        assert getattr(client, method)(path).status_code == 404
    assert not Preference.objects.exists()


def test_the_preferences_page_needs_login(client):
    response = client.get(reverse("notifications:preferences"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_member_chooses_and_can_go_back_to_the_default(world, client):
    client.force_login(world.bob)
    url = reverse("notifications:preferences")
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["scope"] == "default"
    [row] = page.context["defaults"]
    assert (row.name, row.scope, row.can_change) == ("Acme", "mine", False)

    assert client.post(url, {"scope": "all"}).status_code == 302
    assert Preference.objects.get(user=world.bob).scope == Scope.ALL
    assert client.post(url, {"scope": "default"}).status_code == 302
    assert not Preference.objects.filter(user=world.bob).exists()
    assert client.post(url, {"scope": "everything"}).status_code == 200  # invalid: shown again
    assert not Preference.objects.filter(user=world.bob).exists()


def test_an_org_admin_sets_the_default_and_a_member_cannot(world, client):
    url = reverse("notifications:preferences")
    client.force_login(world.bob)
    form = {"organization": world.organization.pk, "scope": "all"}
    assert client.post(url, form).status_code == 404
    assert not OrganizationDefault.objects.exists()

    Membership.objects.filter(user=world.bob).update(role=Membership.Role.ADMIN)
    assert client.post(url, form).status_code == 302
    assert OrganizationDefault.objects.get(organization=world.organization).scope == Scope.ALL
    assert services.scope_effective(user=world.alice, organization=world.organization) == "all"
    [row] = client.get(url).context["defaults"]
    assert (row.scope, row.can_change) == ("all", True)


def test_the_header_links_to_the_preferences_page(world, client):
    client.force_login(world.alice)
    page = client.get(reverse("notifications:preferences"))
    assert reverse("notifications:preferences") in page.content.decode()
