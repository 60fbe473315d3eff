"""Selectors return data: what Plain and our database hold for the user, not what a page shows."""

from __future__ import annotations

import dataclasses

import pytest

from plain_gateway.types import Thread
from portal.support import presentation, selectors

pytestmark = pytest.mark.django_db


def test_the_thread_list_is_threads_and_paging_not_rows(alice, acme, make_thread):
    opened = make_thread(user=alice, organization=acme, title="Printer on fire")

    listing = selectors.thread_list_for_user(user=alice, status="open")

    assert [thread.id for thread in listing.threads] == [opened.id]
    assert all(isinstance(thread, Thread) for thread in listing.threads)
    shown = {type(getattr(listing, f.name)) for f in dataclasses.fields(listing)}
    assert not shown & {presentation.ThreadRow}
    assert "rows" not in {f.name for f in dataclasses.fields(listing)}


def test_one_presentation_step_makes_the_lists_rows(alice, acme, globex, make_thread):
    from portal.tenancy.models import Membership

    Membership.objects.create(user=alice, organization=globex)
    make_thread(user=alice, organization=acme, title="In Acme")
    listing = selectors.thread_list_for_user(user=alice, status="open")

    (row,) = presentation.thread_list_rows(listing=listing)

    assert (row.thread.title, row.organization_name) == ("In Acme", acme.name)


# --- the user's unsent submissions (one statement written out) -----------------------------------


def _saved(user, organization, *, kind, status, thread_id="", age=None, title="t"):
    from django.utils import timezone

    from portal.support.models import Submission

    row = Submission.objects.create(
        kind=kind,
        user=user,
        organization=organization,
        thread_id=thread_id,
        status=status,
        payload={"title": title, "text": title},
    )
    if age is not None:
        moment = timezone.now() - age
        Submission.objects.filter(pk=row.pk).update(created_at=moment, updated_at=moment)
    return row


def test_unsent_lists_hold_pending_and_lately_failed_only_the_users_own_in_order(alice, bob, acme):
    from datetime import timedelta

    from portal.support.models import Submission

    thread, reply = Submission.Kind.THREAD, Submission.Kind.REPLY
    pending, failed, done = (
        Submission.Status.PENDING,
        Submission.Status.FAILED,
        Submission.Status.DONE,
    )
    window = selectors.FAILED_SUBMISSION_VISIBLE_FOR
    old_pending = _saved(alice, acme, kind=thread, status=pending, age=timedelta(days=30))
    new_failed = _saved(alice, acme, kind=thread, status=failed, age=timedelta(days=1))
    _saved(alice, acme, kind=thread, status=failed, age=window + timedelta(days=1))
    _saved(alice, acme, kind=thread, status=done)
    _saved(bob, acme, kind=thread, status=pending)
    first_reply = _saved(
        alice, acme, kind=reply, status=pending, thread_id="th_a", age=timedelta(hours=2)
    )
    second_reply = _saved(
        alice, acme, kind=reply, status=failed, thread_id="th_a", age=timedelta(hours=1)
    )
    _saved(alice, acme, kind=reply, status=pending, thread_id="th_b")

    requests = selectors.submission_list_for_user(user=alice)
    replies = selectors.submission_list_for_thread(user=alice, thread_id="th_a")

    assert [s.pk for s in requests] == [new_failed.pk, old_pending.pk]  # newest first
    assert [s.pk for s in replies] == [first_reply.pk, second_reply.pk]  # oldest first
    # Whole model instances, as a queryset gives them (aware times, decoded JSON).
    assert requests[0].created_at.tzinfo is not None
    assert requests[0].payload == {"title": "t", "text": "t"}
    assert requests[0] == Submission.objects.get(pk=new_failed.pk)


def test_the_memberships_read_once_a_request_are_the_querysets_rows_in_its_order(
    alice, acme, globex, plain
):
    from portal.tenancy.models import Membership
    from portal.tenancy.selectors import (
        memberships_memoised,
        organization_list_for_user,
        organizations_of_user,
    )
    from tests.portal.support.conftest import org_in_plain

    apex = org_in_plain(plain, name="Apex", slug="apex")
    for organization in (globex, apex):
        Membership.objects.create(user=alice, organization=organization)

    with memberships_memoised():
        memoised = organizations_of_user(user=alice)

    assert [org.name for org in memoised] == ["Acme", "Apex", "Globex"]
    assert list(memoised) == list(organization_list_for_user(user=alice))
    assert memoised[0].created_at == acme.created_at  # aware, as the ORM gives it
    alice.is_active = False
    with memberships_memoised():
        assert organizations_of_user(user=alice) == ()
