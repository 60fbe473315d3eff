"""No GET writes to Plain (DESIGN, invariant 7): every page a customer can GET asks Plain only
queries, even with saved requests and replies waiting, due, to be sent. Delivery is the workers'.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from plain_gateway._operations import OPERATIONS
from portal.support.models import Submission

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_no_get_route_sends_plain_a_mutation(
    alice_client, alice, acme, make_thread, emulator_control
):
    thread = make_thread(user=alice, organization=acme)
    # A new request and a reply saved while Plain was down, then made due.
    emulator_control.fail_next(count=100, status=503)
    alice_client.post(reverse("support:thread_create"), {"title": "Waiting", "message": "Hi"})
    alice_client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Me too"})
    emulator_control.clear_faults()
    Submission.objects.update(next_attempt_at=None, lease_until=None, lease_owner="")
    saved = Submission.objects.filter(kind=Submission.Kind.THREAD).get()
    emulator_control.clear_requests()

    pages = [
        reverse("support:thread_list"),
        reverse("support:thread_list") + "?status=all",
        reverse("support:thread_list") + "?status=done",
        reverse("support:thread_detail", args=[thread.id]),
        reverse("support:thread_create"),
        reverse("support:submission_detail", args=[saved.key]),
    ]
    for page in pages:
        for headers in ({}, HTMX):
            assert alice_client.get(page, **headers).status_code == 200, page

    asked = [request["operationName"] for request in emulator_control.requests()]
    assert asked, "the pages asked Plain nothing: the test would prove nothing"
    assert [name for name in asked if OPERATIONS[name].is_mutation] == []
    assert set(Submission.objects.values_list("status", flat=True)) == {Submission.Status.PENDING}
