"""Status changes made in the portal are credited to the person who made them (issue 15.2)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.support.models import PortalStatusChange
from tests.portal.support.pages import class_texts

pytestmark = pytest.mark.django_db


def _status_lines(client, thread_id: str) -> list[str]:
    response = client.get(reverse("support:thread_detail", args=[thread_id]))
    assert response.status_code == 200
    return class_texts(response.content.decode(), "entry--status")


def test_the_customers_own_resolve_reads_you(alice_client, alice, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)

    alice_client.post(reverse("support:thread_resolve", args=[thread.id]))

    [line] = _status_lines(alice_client, thread.id)
    assert line.startswith("You marked this as resolved")
    assert PortalStatusChange.objects.get().user == alice


def test_a_colleague_sees_the_name_of_who_resolved_and_reopened(
    client, alice, bob, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    client.force_login(alice)
    client.post(reverse("support:thread_resolve", args=[thread.id]))
    client.force_login(bob)
    client.post(reverse("support:thread_reopen", args=[thread.id]))

    lines = _status_lines(client, thread.id)

    assert [line.split(" ·")[0] for line in lines] == [
        "Alice Archer marked this as resolved",
        "You reopened this",
    ]


def test_a_change_made_in_plain_stays_supports(alice_client, alice, acme, make_thread, plain):
    thread = make_thread(user=alice, organization=acme)
    plain.mark_thread_as_done(thread_id=thread.id)

    [line] = _status_lines(alice_client, thread.id)

    assert not line.startswith("You")
    assert "marked this as resolved" in line


def test_a_second_click_on_a_stale_page_records_nothing(alice_client, alice, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)
    url = reverse("support:thread_resolve", args=[thread.id])

    alice_client.post(url)
    alice_client.post(url)

    assert PortalStatusChange.objects.count() == 1
