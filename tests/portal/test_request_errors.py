"""Malformed requests get the site's 400 page, never a 500: form bodies in another charset.

The CSRF check reads request.POST, which raises BadRequest for a urlencoded body that is not
UTF-8; the error handler must not read it again. Through the real middleware stack, with CSRF
checks enforced and a CSRF cookie, as a browser would post.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.portal.support.pages import h1_texts

pytestmark = pytest.mark.django_db

POST_ROUTES = [
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/password_reset/",
    "/accounts/password_change/",
    "/accounts/time-zone/",
    "/threads/new/",
    "/threads/th_01JABCDEFGHJKMNPQRSTVWXYZ0/reply/",
    "/threads/th_01JABCDEFGHJKMNPQRSTVWXYZ0/resolve/",
    "/threads/th_01JABCDEFGHJKMNPQRSTVWXYZ0/reopen/",
    "/admin/login/",
    "/admin/accounts/user/add/",
]

ODD_BODIES = [
    ("application/x-www-form-urlencoded; charset=utf-16", "username=a&password=b".encode("utf-16")),
    ("application/x-www-form-urlencoded; charset=latin-1", b"username=\xe9&password=b"),
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"username=a&password=b"),
    (
        "multipart/form-data; boundary=BOUNDARY; charset=utf-16",
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="username"\r\n\r\na\r\n'
        b"--BOUNDARY--\r\n",
    ),
    ("multipart/form-data; charset=utf-16", b"no boundary at all"),
]


@pytest.fixture(params=[False, True], ids=["anonymous", "signed-in"])
def browser(request) -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    # A CSRF cookie first, so the check goes on to read the body.
    client.get("/accounts/login/")
    if request.param:
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "csrftoken" in client.cookies
    return client


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize(("content_type", "body"), ODD_BODIES, ids=lambda v: str(v)[:40])
def test_a_form_body_in_another_charset_is_a_400_page_not_a_500(browser, path, content_type, body):
    response = browser.generic("POST", path, data=body, content_type=content_type)

    assert response.status_code in {400, 403}, (response.status_code, path)
    assert response["Content-Type"].startswith("text/html")
    assert h1_texts(response.content.decode())  # the site's page, not an empty body


@pytest.mark.parametrize("path", POST_ROUTES[:3])
def test_a_utf16_body_gets_the_sites_bad_request_page(browser, path):
    response = browser.generic(
        "POST",
        path,
        data="username=a".encode("utf-16"),
        content_type="application/x-www-form-urlencoded; charset=utf-16",
    )

    assert response.status_code == 400
    assert h1_texts(response.content.decode()) == ["Bad request"]
