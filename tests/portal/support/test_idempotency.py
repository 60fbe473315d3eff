"""A new request is made once per form, however often the form is sent (issue 15.9)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from portal.support.models import Submission
from tests.portal.support.pages import input_value

pytestmark = pytest.mark.django_db


def _form_key(client) -> str:
    key = input_value(client.get(reverse("support:thread_create")).content.decode(), "form_key")
    assert key
    return key


def test_each_rendering_of_the_form_has_its_own_key(alice_client):
    assert _form_key(alice_client) != _form_key(alice_client)


def test_the_same_form_sent_twice_makes_one_thread(alice_client, alice, plain):
    form = {"title": "Sent twice", "message": "Double click.", "form_key": _form_key(alice_client)}

    first = alice_client.post(reverse("support:thread_create"), form)
    second = alice_client.post(reverse("support:thread_create"), form)

    submission = Submission.objects.get()
    assert submission.thread_id
    thread_url = reverse("support:thread_detail", args=[submission.thread_id])
    assert first["Location"] == second["Location"] == thread_url
    titles = [thread.title for thread in plain.threads(first=50).items]
    assert titles.count("Sent twice") == 1


def test_a_second_post_while_the_first_is_on_its_way_leads_to_its_saved_page(
    alice_client, alice, acme
):
    key = _form_key(alice_client)
    # The first POST of the form, saved and still being delivered by its own request.
    in_flight = Submission.objects.create(
        kind=Submission.Kind.THREAD,
        user=alice,
        organization=acme,
        form_key=key,
        payload={"title": "In flight", "text": "First"},
    )

    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "In flight", "message": "First", "form_key": key},
        HTTP_HX_REQUEST="true",
    )

    assert response["HX-Redirect"] == reverse("support:submission_detail", args=[in_flight.key])
    assert Submission.objects.count() == 1


def test_the_database_refuses_a_second_submission_of_a_form(alice, acme):
    Submission.objects.create(kind=Submission.Kind.THREAD, user=alice, form_key="fk_x")

    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(kind=Submission.Kind.THREAD, user=alice, form_key="fk_x")
    # Rows without a key (replies, older pages) are not constrained.
    Submission.objects.create(kind=Submission.Kind.REPLY, user=alice)
    Submission.objects.create(kind=Submission.Kind.REPLY, user=alice)


def test_a_malformed_key_is_ignored(alice_client):
    form = {"title": "Old page", "message": "No key", "form_key": "<junk>"}

    alice_client.post(reverse("support:thread_create"), form)
    alice_client.post(reverse("support:thread_create"), form)

    assert Submission.objects.count() == 2
    assert not Submission.objects.exclude(form_key=None).exists()
