"""A form sent after the session ended: the draft survives the login, `next` is a page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from portal.support.models import Submission
from tests.factories import DEFAULT_PASSWORD
from tests.portal.support.pages import input_value, page_text, textarea_value

pytestmark = pytest.mark.django_db


def _next_of(response) -> str:
    """The login redirect's `next`."""
    location = urlsplit(response["Location"])
    assert location.path == reverse("login")
    return parse_qs(location.query)["next"][0]


def _sign_in(client, user, next_url: str):
    response = client.post(
        reverse("login"), {"username": user.email, "password": DEFAULT_PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    return client.get(response["Location"])


def test_a_reply_sent_after_the_session_ended_is_back_in_the_form_after_login(
    client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    thread_url = reverse("support:thread_detail", args=[thread.id])

    response = client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Still on fire, see logs"}
    )

    # `next` is the thread page, never the POST-only reply URL (a GET there is a 405).
    assert _next_of(response) == thread_url
    page = _sign_in(client, alice, thread_url)
    assert page.status_code == 200
    assert textarea_value(page.content.decode(), "text") == "Still on fire, see logs"
    assert "signed out before your reply was sent" in page_text(page)
    assert not Submission.objects.exists()
    # Taken once: the next visit shows an empty form.
    again = client.get(thread_url)
    assert textarea_value(again.content.decode(), "text") == ""


def test_a_reply_with_files_says_to_attach_them_again(client, alice, acme, make_thread):
    from django.core.files.uploadedfile import SimpleUploadedFile

    thread = make_thread(user=alice, organization=acme)
    thread_url = reverse("support:thread_detail", args=[thread.id])
    client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "logs attached", "attachments": SimpleUploadedFile("log.txt", b"x")},
    )

    page = _sign_in(client, alice, thread_url)

    assert "attach your files again" in page_text(page)


@pytest.mark.parametrize("action", ["thread_resolve", "thread_reopen"])
def test_resolve_or_reopen_after_the_session_ended_lands_on_the_thread_unchanged(
    client, alice, acme, make_thread, plain, action
):
    thread = make_thread(user=alice, organization=acme)
    if action == "thread_reopen":
        plain.mark_thread_as_done(thread_id=thread.id)
    status_before = plain.thread(thread_id=thread.id).thread.status
    thread_url = reverse("support:thread_detail", args=[thread.id])

    response = client.post(reverse(f"support:{action}", args=[thread.id]))

    assert _next_of(response) == thread_url
    page = _sign_in(client, alice, thread_url)
    assert page.status_code == 200
    assert "it was not changed" in page_text(page)
    assert plain.thread(thread_id=thread.id).thread.status == status_before


def test_an_htmx_reply_after_the_session_ended_goes_to_login_as_a_whole_page(
    client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)

    response = client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "typed in the page"},
        HTTP_HX_REQUEST="true",
    )

    location = urlsplit(response["HX-Redirect"])
    assert parse_qs(location.query)["next"] == [reverse("support:thread_detail", args=[thread.id])]
    page = _sign_in(client, alice, reverse("support:thread_detail", args=[thread.id]))
    assert textarea_value(page.content.decode(), "text") == "typed in the page"


def test_a_new_request_sent_after_the_session_ended_comes_back_filled_in(client, alice, acme):
    create_url = reverse("support:thread_create")

    response = client.post(
        create_url, {"title": "Cannot export", "message": "The CSV is empty.", "priority": "1"}
    )

    assert _next_of(response) == create_url
    page = _sign_in(client, alice, create_url)
    html = page.content.decode()
    assert input_value(html, "title") == "Cannot export"
    assert textarea_value(html, "message") == "The CSV is empty."
    assert "signed out before your request was sent" in page_text(page)
    assert not Submission.objects.exists()


def test_a_draft_is_not_shown_on_another_page(client, alice, acme, make_thread):
    first = make_thread(user=alice, organization=acme, title="First")
    second = make_thread(user=alice, organization=acme, title="Second")
    client.post(reverse("support:thread_reply", args=[first.id]), {"text": "for the first"})

    page = _sign_in(client, alice, reverse("support:thread_detail", args=[second.id]))

    assert textarea_value(page.content.decode(), "text") == ""
