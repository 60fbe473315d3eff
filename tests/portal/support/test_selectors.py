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
