"""The outbox's admin is read-only as it says: no delete offered (issue 15.11)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.support.models import Submission
from tests.factories import UserFactory
from tests.portal.support.pages import elements, link_hrefs

pytestmark = pytest.mark.django_db


def test_no_delete_is_offered_on_the_list_or_a_row(staff_client):
    row = Submission.objects.create(
        kind=Submission.Kind.REPLY, user=UserFactory(), payload={"text": "kept"}
    )

    listing = staff_client.get(reverse("admin:support_submission_changelist"))
    change = staff_client.get(reverse("admin:support_submission_change", args=[row.pk]))

    assert listing.status_code == change.status_code == 200
    actions = [o["value"] for o in elements(listing.content.decode(), "option")]
    assert "retry" in actions
    assert "delete_selected" not in actions
    assert not link_hrefs(change.content.decode(), contains="/delete/")
