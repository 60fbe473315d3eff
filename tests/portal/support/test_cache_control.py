"""Pages for a signed-in user are never stored by a browser or a shared cache.

Every response to an authenticated request says `Cache-Control: private, no-store`, unless the
view chose its own; anonymous pages are left to their views.
"""

from __future__ import annotations

import pytest
from django.utils.cache import patch_cache_control

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",") if part}


@pytest.fixture
def thread(make_thread, alice, acme):
    return make_thread(user=alice, organization=acme)


@pytest.mark.parametrize(
    "path",
    [
        "/threads/",
        "/threads/?status=all",
        "/threads/new/",
        "/threads/{thread}/",
        "/threads/does-not-exist/",  # the 404 page too
        "/accounts/password_change/",
        "/help/",
    ],
)
def test_every_page_for_a_signed_in_user_is_private_and_not_stored(alice_client, thread, path):
    response = alice_client.get(path.format(thread=thread.id))

    assert {"private", "no-store"} <= directives(response), (path, response.status_code)


def test_a_post_answer_for_a_signed_in_user_is_not_stored_either(alice_client, thread):
    response = alice_client.post(f"/threads/{thread.id}/reply/", {"text": "Any news?"})

    assert {"private", "no-store"} <= directives(response)


def test_the_admin_for_staff_is_not_stored(client, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)

    assert {"private", "no-store"} <= directives(client.get("/admin/"))


def test_a_page_for_an_anonymous_visitor_is_left_to_its_view(client):
    response = client.get("/accounts/password_reset/")

    assert response.status_code == 200
    assert "no-store" not in directives(response)


def test_a_view_that_chose_its_own_cache_control_keeps_it(rf, alice):
    from portal.accounts.middleware import PrivateCacheMiddleware

    def view(request):
        from django.http import HttpResponse

        response = HttpResponse("a file")
        patch_cache_control(response, private=True, max_age=60)
        return response

    request = rf.get("/")
    request.user = alice
    response = PrivateCacheMiddleware(view)(request)

    assert directives(response) == {"private", "max-age=60"}
