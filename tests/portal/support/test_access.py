"""Who may see and change a thread: members of its tenant's organisation, now; nobody else.

Everything else is the 404 of an id that does not exist, on every route.
"""

from __future__ import annotations

import logging

import pytest
from django.http import Http404
from django.urls import reverse

from portal.support.models import Submission
from portal.support.selectors import thread_get_for_user
from portal.tenancy.models import Membership
from portal.tenancy.services import plain_customer_ensure
from tests.factories import MembershipFactory, UserFactory
from tests.portal.support.conftest import org_in_plain
from tests.portal.support.pages import page_text, without_tokens

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NONEXISTENT_ID = "th_01JZZZZZZZZZZZZZZZZZZZZZZZ"
ROUTES = ("thread_detail", "thread_reply", "thread_resolve", "thread_reopen")


def hit(client, route: str, thread_id: str, **extra):
    url = reverse(f"support:{route}", args=[thread_id])
    if route == "thread_detail":
        return client.get(url, **extra)
    return client.post(url, {"text": "Let me in"}, **extra)


def snapshot(plain, thread_id: str):
    found = plain.thread(thread_id=thread_id)
    return found.thread.status, [entry.id for entry in found.timeline.items]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("extra", [{}, HTMX], ids=["plain", "htmx"])
def test_another_organisations_thread_is_the_404_of_a_nonexistent_id(
    client, plain, alice, carol, acme, make_thread, route, extra
):
    acme_thread = make_thread(user=alice, organization=acme, title="Acme internal matter")
    before = snapshot(plain, acme_thread.id)
    client.force_login(carol)

    forbidden = hit(client, route, acme_thread.id, **extra)
    missing = hit(client, route, NONEXISTENT_ID, **extra)

    assert forbidden.status_code == missing.status_code == 404
    assert without_tokens(page_text(forbidden)) == without_tokens(page_text(missing))
    assert "Acme internal matter" not in page_text(forbidden)
    assert snapshot(plain, acme_thread.id) == before


@pytest.mark.parametrize("route", ROUTES)
def test_a_thread_without_tenant_is_nobodys(client, plain, alice, make_thread, route):
    orphan = make_thread(user=alice, organization=None, title="No tenant here")
    before = snapshot(plain, orphan.id)
    client.force_login(alice)  # even the customer who opened it

    response = hit(client, route, orphan.id)

    assert response.status_code == 404
    assert snapshot(plain, orphan.id) == before


ROUTE_PATHS = {
    "thread_detail": "/threads/{}/",
    "thread_reply": "/threads/{}/reply/",
    "thread_resolve": "/threads/{}/resolve/",
    "thread_reopen": "/threads/{}/reopen/",
    "attachment_download": "/threads/{}/attachments/att_01JZZZZZZZZZZZZZZZZZZZZZZZ/",
}
MALFORMED_IDS = [
    "nonsense",
    "th_",
    "th_abc$def",
    "c_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    # A NUL, which PostgreSQL refuses in text (the 500).
    "th_01JZZZZZZZZZZZZZZZZZZZZZZZ%00",
    # Longer than the 64 characters of Submission.thread_id.
    "th_" + "0" * 64,
    # Plain's ULIDs are upper case, and never hold I, L, O or U.
    "th_01jzzzzzzzzzzzzzzzzzzzzzzz",
    "th_01JZZZZZZZZZZZZZZZZZZZZZZO",
]


@pytest.mark.parametrize("route", ROUTE_PATHS)
@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
def test_a_malformed_id_is_a_404_without_asking_plain_or_saving(
    alice_client, emulator_control, route, bad_id
):
    emulator_control.clear_requests()
    path = ROUTE_PATHS[route].format(bad_id)

    if route in ("thread_detail", "attachment_download"):
        response = alice_client.get(path + "?before=x")
    else:
        response = alice_client.post(path, {"text": "Let me in"})

    assert response.status_code == 404
    assert emulator_control.requests() == []
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/threads/saved/sub_01JZZZZZZZZZZZZZZZZZZZZZZZ%00/",
        "/threads/saved/sub_" + "0" * 60 + "/",
        "/threads/saved/nonsense/",
        "/threads/th_01JZZZZZZZZZZZZZZZZZZZZZZZ/attachments/att_01NOSUCH%00/",
    ],
)
def test_a_malformed_submission_key_or_attachment_id_is_a_404(alice_client, path):
    assert alice_client.get(path).status_code == 404


def test_a_member_removed_from_the_organisation_loses_access_on_the_next_request(
    client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme, title="Soon out of reach")
    client.force_login(alice)
    url = reverse("support:thread_detail", args=[thread.id])
    assert client.get(url).status_code == 200

    Membership.objects.filter(user=alice, organization=acme).delete()

    assert client.get(url).status_code == 404
    for route in ("thread_reply", "thread_resolve", "thread_reopen"):
        assert hit(client, route, thread.id).status_code == 404
    listing = client.get(reverse("support:thread_list"))
    assert "Soon out of reach" not in page_text(listing)
    assert "not part of an organisation" in page_text(listing)


def test_another_member_of_the_organisation_sees_and_answers_the_thread(
    client, plain, alice, bob, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme, title="Shared with Bob")
    client.force_login(bob)

    assert "Shared with Bob" in page_text(
        client.get(reverse("support:thread_detail", args=[thread.id]))
    )
    response = hit(client, "thread_reply", thread.id)

    assert response.status_code == 302
    last = plain.thread(thread_id=thread.id).timeline.items[-1]
    assert last.actor.id == plain_customer_ensure(user=bob)


def test_a_forged_tenant_or_customer_in_the_create_form_changes_nothing(
    alice_client, plain, alice, carol, acme, globex
):
    carol_customer = plain_customer_ensure(user=carol)

    response = alice_client.post(
        reverse("support:thread_create"),
        {
            "title": "Forged",
            "message": "Hello",
            "tenant_external_id": globex.tenant_external_id,
            "tenantIdentifier": globex.tenant_external_id,
            "customer_id": carol_customer,
            "customerId": carol_customer,
            "organization": globex.pk,
        },
    )

    thread_id = response["Location"].rstrip("/").split("/")[-1]
    thread = plain.thread(thread_id=thread_id).thread
    assert thread.tenant.external_id == acme.tenant_external_id
    assert thread.customer.id == plain_customer_ensure(user=alice)


def test_an_organisation_the_user_is_not_in_is_refused_in_the_create_form(
    client, plain, emulator_control, acme, globex
):
    initech = org_in_plain(plain, name="Initech", slug="initech")
    user = UserFactory()
    MembershipFactory(user=user, organization=acme)
    MembershipFactory(user=user, organization=initech)
    client.force_login(user)
    emulator_control.clear_requests()

    response = client.post(
        reverse("support:thread_create"),
        {"title": "Sneaky", "message": "Hi", "organization": globex.pk},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in page_text(response)
    assert "createThread" not in [r["operationName"] for r in emulator_control.requests()]


def test_a_forged_customer_in_a_reply_changes_nothing(
    alice_client, plain, alice, carol, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    carol_customer = plain_customer_ensure(user=carol)

    alice_client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "Who am I?", "as_customer_id": carol_customer, "customer_id": carol_customer},
    )

    last = plain.thread(thread_id=thread.id).timeline.items[-1]
    assert last.entry.text == "Who am I?"
    assert last.actor.id == plain_customer_ensure(user=alice)


def test_the_selector_is_the_one_gate(alice, carol, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)

    assert thread_get_for_user(user=alice, thread_id=thread.id).thread.id == thread.id
    with pytest.raises(Http404):
        thread_get_for_user(user=carol, thread_id=thread.id)
    with pytest.raises(Http404):
        thread_get_for_user(user=UserFactory(), thread_id=thread.id)


def test_anonymous_posts_go_to_the_login(client, alice, acme, plain, make_thread):
    thread = make_thread(user=alice, organization=acme)
    before = snapshot(plain, thread.id)

    for route in ("thread_reply", "thread_resolve", "thread_reopen"):
        response = hit(client, route, thread.id)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert snapshot(plain, thread.id) == before


# --- a cursor cannot tell another organisation's thread from none -------------------------------

SIGNIFICANT_HEADERS = ("Content-Type", "Content-Length", "Vary", "Cache-Control", "Location")


@pytest.mark.parametrize("before", ["x", "eyJub3QiOiJhIGxpc3QifQ", ""])
@pytest.mark.parametrize("extra", [{}, HTMX], ids=["plain", "htmx"])
def test_with_any_cursor_another_organisations_thread_is_the_same_404_as_none(
    client, alice, carol, acme, make_thread, before, extra
):
    acme_thread = make_thread(user=alice, organization=acme, title="Acme internal matter")
    client.force_login(carol)

    forbidden = client.get(
        reverse("support:thread_detail", args=[acme_thread.id]), {"before": before}, **extra
    )
    missing = client.get(
        reverse("support:thread_detail", args=[NONEXISTENT_ID]), {"before": before}, **extra
    )

    assert forbidden.status_code == missing.status_code == 404
    assert without_tokens(forbidden.content.decode()) == without_tokens(missing.content.decode())
    for header in SIGNIFICANT_HEADERS:
        assert forbidden.get(header) == missing.get(header), header


def test_a_bad_cursor_on_the_users_own_thread_is_a_400_not_an_outage(
    alice_client, alice, acme, make_thread, caplog
):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.get(reverse("support:thread_detail", args=[thread.id]), {"before": "x"})

    assert response.status_code == 400
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


def _membership_reads(queries) -> int:
    return sum('"tenancy_membership"' in query["sql"] for query in queries)


def test_the_access_check_takes_no_memberships_from_its_caller(alice, carol, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)

    # Carol handing over Acme's organisations gets her nothing: the check reads her own.
    with pytest.raises(TypeError):
        thread_get_for_user(user=carol, thread_id=thread.id, organizations=[acme])


@pytest.mark.parametrize("route", ["thread_detail", "thread_list"])
def test_a_page_reads_the_users_memberships_once(alice_client, acme, make_thread, alice, route):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    thread = make_thread(user=alice, organization=acme)
    url = reverse(f"support:{route}", args=[thread.id] if route == "thread_detail" else [])

    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(url)

    assert response.status_code == 200
    assert _membership_reads(queries.captured_queries) == 1


def test_a_new_request_reads_memberships_once_and_again_when_it_is_delivered(alice_client, acme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = alice_client.post(
            reverse("support:thread_create"), {"title": "Counted", "message": "Once"}
        )

    assert response.status_code == 302
    # The request's one reading (view, form, save), and the delivery's own fresh check.
    assert _membership_reads(queries.captured_queries) == 2


def test_memberships_are_read_afresh_outside_a_request_and_on_the_next_one(
    client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    assert thread_get_for_user(user=alice, thread_id=thread.id).thread.id == thread.id

    Membership.objects.filter(user=alice, organization=acme).delete()

    with pytest.raises(Http404):
        thread_get_for_user(user=alice, thread_id=thread.id)
