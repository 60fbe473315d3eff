"""A deactivated user's session ends on the next request, whichever backend signed them in."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

THREADS = "/threads/"


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "backend",
    [
        "django.contrib.auth.backends.ModelBackend",
        # Loads the user whatever is_active says, as some single sign-on libraries' do.
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
    ],
)
def test_deactivation_ends_the_session_on_the_next_request(client, settings, backend):
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, backend]
    user = UserFactory(email="ada@acme.test")
    client.force_login(user, backend=backend)
    assert client.get(THREADS).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert is_login_redirect(client.get(THREADS))
    assert SESSION_KEY not in client.session


def test_reactivation_does_not_bring_the_old_session_back(client):
    user = UserFactory(email="ada@acme.test")
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    client.get(THREADS)

    user.is_active = True
    user.save(update_fields=["is_active"])

    assert is_login_redirect(client.get(THREADS))


def test_an_active_user_stays_signed_in(client):
    client.force_login(UserFactory(email="ada@acme.test"))

    assert client.get(THREADS).status_code == 200
    assert client.get(THREADS).status_code == 200
