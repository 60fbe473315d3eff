"""Opening a request: with and without htmx, what reaches Plain, and where the user lands."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.support.forms import CREATE_MESSAGE_MAX_LENGTH
from portal.support.models import Submission
from tests.portal.support.pages import input_value, page_text, textarea_value

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _request_log(emulator_control, operation: str) -> list[dict]:
    return [r for r in emulator_control.requests() if r["operationName"] == operation]


def test_create_sends_the_submission_key_as_the_threads_external_id(
    alice_client, alice, acme, plain, emulator_control
):
    emulator_control.clear_requests()

    response = alice_client.post(
        reverse("support:thread_create"), {"title": "Keyed", "message": "Hello"}
    )

    submission = Submission.objects.get()
    (sent,) = _request_log(emulator_control, "createThread")
    assert sent["variables"]["input"]["externalId"] == submission.key
    thread_id = response["Location"].rstrip("/").split("/")[-1]
    assert submission.status == Submission.Status.DONE and submission.thread_id == thread_id
    assert plain.thread(thread_id=thread_id).thread.external_id == submission.key
    # The normal case is one createThread and no look-up.
    assert _request_log(emulator_control, "threadByExternalId") == []


def test_create_with_htmx_redirects_the_whole_page_to_the_new_thread(
    alice_client, alice, acme, plain
):
    response = alice_client.post(
        reverse("support:thread_create"), {"title": "By htmx", "message": "Hi"}, **HTMX
    )

    assert response.status_code == 200
    thread_id = Submission.objects.get().thread_id
    assert response["HX-Redirect"] == reverse("support:thread_detail", args=[thread_id])
    assert plain.thread(thread_id=thread_id).thread.title == "By htmx"


def test_create_with_htmx_while_plain_is_down_leads_to_the_saved_page(
    alice_client, alice, acme, emulator_control
):
    emulator_control.fail_next(count=100, status=503)

    response = alice_client.post(
        reverse("support:thread_create"), {"title": "Saved", "message": "Kept"}, **HTMX
    )

    key = Submission.objects.get().key
    assert response["HX-Redirect"] == reverse("support:submission_detail", args=[key])


def test_create_with_htmx_and_a_mistake_answers_the_form_with_the_text_kept(alice_client):
    response = alice_client.post(
        reverse("support:thread_create"), {"title": "", "message": "Long story"}, **HTMX
    )

    html = page_text(response)
    assert response.status_code == 200
    assert 'id="create-form"' in html and 'hx-select="#create-form"' in html
    assert "This field is required." in html
    assert textarea_value(html, "message") == "Long story"


def test_a_message_longer_than_plain_takes_is_refused_beside_it(alice_client, emulator_control):
    emulator_control.clear_requests()

    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "Essay", "message": "x" * (CREATE_MESSAGE_MAX_LENGTH + 1)},
    )

    html = page_text(response)
    start = html.index('name="message"')
    group = html[html.rindex('<div class="field', 0, start) : start]
    assert f"at most {CREATE_MESSAGE_MAX_LENGTH} characters" in group
    assert input_value(html, "title") == "Essay"
    assert _request_log(emulator_control, "createThread") == []


def test_a_saved_request_shows_on_the_first_page_of_open_and_all_only(
    alice_client, alice, acme, emulator_control, make_thread
):
    make_thread(user=alice, organization=acme, title="Already in Plain")
    emulator_control.fail_next(count=100, status=503)
    alice_client.post(reverse("support:thread_create"), {"title": "Queued one", "message": "M"})
    emulator_control.clear_faults()

    open_tab = page_text(alice_client.get(reverse("support:thread_list")))
    all_tab = page_text(alice_client.get(reverse("support:thread_list") + "?status=all"))
    done_tab = page_text(alice_client.get(reverse("support:thread_list") + "?status=done"))

    assert "Queued one" in open_tab and "Already in Plain" in open_tab
    assert open_tab.index("Queued one") < open_tab.index("Already in Plain")
    assert "Queued one" in all_tab
    assert "Queued one" not in done_tab


def test_a_request_that_could_not_be_sent_is_listed_as_not_sent(
    alice_client, alice, acme, emulator_control
):
    emulator_control.fail_next(count=100, status=503)
    alice_client.post(reverse("support:thread_create"), {"title": "Gave up", "message": "M"})
    Submission.objects.update(status=Submission.Status.FAILED)
    emulator_control.clear_faults()

    html = page_text(alice_client.get(reverse("support:thread_list")))

    assert "Gave up" in html and "Not sent" in html
    assert "Waiting to be sent" not in html


def test_another_users_saved_request_is_not_in_my_list(client, alice, bob, acme, emulator_control):
    emulator_control.fail_next(count=100, status=503)
    client.force_login(alice)
    client.post(reverse("support:thread_create"), {"title": "Alice only", "message": "M"})
    emulator_control.clear_faults()
    client.force_login(bob)

    assert "Alice only" not in page_text(client.get(reverse("support:thread_list")))
