"""Every HTML page sends a strict Content-Security-Policy: no inline or eval'd script, no plugins,
no <base>, no framing, forms only to us. Then a slip of escaping somewhere stays inert.

The policy is read the way a browser reads it (directives split on ";", sources on whitespace),
not compared as a string, so reordering it keeps the test green and loosening it does not.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern

from portal.support import views
from tests.factories import UserFactory
from tests.portal.csp import policy_of_header
from tests.portal.support.pages import h1_texts, page_text

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
UNSAFE = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*"}


def policy_of(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} ({response.status_code}) sends no CSP"
    return policy_of_header(header)


class InlineCode(HTMLParser):
    """The inline script and style of a page, which the policy would block: <script> without a
    src (JSON data blocks aside), <style>, style="..." and on...="..." attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and not attributes.get("src"):
            self._in_script = attributes.get("type") != "application/json"
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:40]!r}")


def assert_strict(response) -> None:
    """The response sends the strict policy, and its page has nothing the policy would block."""
    assert InlineCode(response.content.decode()).found == [], response.request["PATH_INFO"]
    policy = policy_of(response)
    where = f"{response.request['PATH_INFO']} ({response.status_code})"
    assert policy["default-src"] == ["'self'"], where
    # Scripts and styles come from our own static files only: no inline code of either.
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive, policy["default-src"])
        assert sources == ["'self'"], (where, directive, sources)
    for directive in ("script-src-attr", "style-src-attr", "script-src-elem", "style-src-elem"):
        assert not set(policy.get(directive, [])) & UNSAFE, (where, directive)
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where
    for sources in policy.values():
        assert not set(sources) & UNSAFE, (where, sources)


def test_every_page_of_the_portal_sends_the_strict_policy(
    alice_client, alice, acme, make_thread, emulator_control
):
    thread = make_thread(user=alice, organization=acme)
    anonymous = Client()
    responses = [
        anonymous.get(reverse("login")),
        anonymous.get(reverse("password_reset")),
        anonymous.get(reverse("password_reset_done")),
        anonymous.get(reverse("password_reset_complete")),
        anonymous.get("/no-such-page/"),
        alice_client.get(reverse("support:thread_list")),
        alice_client.get(reverse("support:thread_list") + "?status=all", **HTMX),
        alice_client.get(reverse("support:thread_create")),
        alice_client.get(reverse("support:thread_detail", args=[thread.id])),
        alice_client.get(reverse("support:thread_detail", args=["th_01JZZZZZZZZZZZZZZZZZZZZZZZ"])),
        alice_client.get(reverse("password_change")),
    ]
    # A request saved while Plain is down has its own page.
    emulator_control.fail_next(count=100, status=503)
    saved = alice_client.post(reverse("support:thread_create"), {"title": "T", "message": "M"})
    responses.append(alice_client.get(saved["Location"]))
    emulator_control.clear_faults()
    for response in responses:
        assert response["Content-Type"].startswith("text/html")
        assert_strict(response)
    assert {r.status_code for r in responses} == {200, 404}
    assert "/threads/saved/" in responses[-1].request["PATH_INFO"]


def _routes_without_parameters(patterns, prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern.pattern, RegexPattern):
            if pattern.pattern.regex.groups:
                continue
            route = route.removeprefix("^").removesuffix("$")
        elif pattern.pattern.converters:
            continue
        if isinstance(pattern, URLResolver):
            routes += _routes_without_parameters(pattern.url_patterns, prefix + route)
        else:
            routes.append("/" + prefix + route)
    return routes


def test_every_route_without_parameters_sends_the_strict_policy(acme):
    """Whatever the URLconf holds now or later: each route a GET can reach, as a staff member
    of Acme, and every page a redirect leads to."""
    staff = UserFactory(email="admin@portal.test", is_staff=True, is_superuser=True)
    acme.memberships.create(user=staff)
    client = Client()
    client.force_login(staff)
    routes = _routes_without_parameters(get_resolver().url_patterns)
    assert {"/threads/", "/threads/new/", "/admin/", "/accounts/login/"} <= set(routes)

    pages = 0
    for route in routes:
        response = client.get(route, follow=True)
        for hop in [*response.redirect_chain, None]:
            final = response if hop is None else client.get(hop[0])
            if final.status_code == 200 and final["Content-Type"].startswith("text/html"):
                pages += 1
            assert_strict(final)
    assert pages >= 20


def test_the_admin_sends_the_strict_policy(staff_client, acme):
    organization_url = reverse("admin:tenancy_organization_change", args=[acme.pk])
    map_url = reverse("admin:tenancy_organization_map_tenant", args=[acme.pk])
    responses = [
        Client().get(reverse("admin:login")),
        staff_client.get(reverse("admin:index")),
        staff_client.get(reverse("admin:tenancy_organization_changelist")),
        staff_client.get(organization_url),
        staff_client.get(map_url + "?q=Acme"),
        staff_client.get(reverse("admin:tenancy_syncevent_changelist")),
        staff_client.get(reverse("admin:accounts_user_changelist")),
    ]
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert_strict(response)


def test_the_error_pages_send_the_strict_policy(alice_client, acme, monkeypatch):
    # A staff member without the right to change organisations is refused (403).
    refused = Client()
    refused.force_login(UserFactory(email="helper@portal.test", is_staff=True))
    forbidden = refused.get(reverse("admin:tenancy_organization_map_tenant", args=[acme.pk]))

    def broken(**_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.selectors, "thread_list_for_user", broken)
    alice_client.raise_request_exception = False
    crashed = alice_client.get(reverse("support:thread_list"))

    # A form posted without its CSRF token gets the site's page, not Django's inline-styled one.
    csrf_checked = Client(enforce_csrf_checks=True)
    csrf_checked.force_login(UserFactory(email="late@portal.test"))
    expired = csrf_checked.post(reverse("support:thread_create"), {"title": "x"})

    assert forbidden.status_code == 403
    assert expired.status_code == 403
    assert h1_texts(page_text(expired)) == ["Form expired"]
    assert crashed.status_code == 500
    assert "Something went wrong" in page_text(crashed)
    # Its style is a file now; the page names it by a fixed path, so it must exist as such.
    (stylesheet,) = re.findall(
        r'<link rel="stylesheet" href="/static/([^"]+)">', page_text(crashed)
    )
    assert finders.find(stylesheet)
    for response in (forbidden, expired, crashed):
        assert_strict(response)
