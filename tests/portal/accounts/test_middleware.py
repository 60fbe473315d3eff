"""An htmx request from a logged-out browser becomes a whole-page visit to the login page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

THREAD_REPLY = "/threads/th_01HZZZZZZZZZZZZZZZZZZZZZZZ/reply/"


def test_an_htmx_request_without_a_session_redirects_the_whole_page(client) -> None:
    response = client.post(THREAD_REPLY, {"text": "Hello"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")
    assert "Location" not in response


def test_a_plain_request_without_a_session_is_redirected_as_usual(client) -> None:
    response = client.post(THREAD_REPLY, {"text": "Hello"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "HX-Redirect" not in response
