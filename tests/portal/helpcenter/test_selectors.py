"""The deflection measure: opened suggestions not followed by a new request within the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.helpcenter.models import SuggestionOpen
from portal.helpcenter.selectors import deflection_stats
from portal.support.models import Submission

pytestmark = pytest.mark.django_db


def _open(user, *, ago: timedelta) -> SuggestionOpen:
    opened = SuggestionOpen.objects.create(user=user, article_id="hca_1", article_slug="a")
    SuggestionOpen.objects.filter(pk=opened.pk).update(opened_at=timezone.now() - ago)
    return opened


def _request(user, *, ago: timedelta, kind: str = Submission.Kind.THREAD) -> None:
    submission = Submission.objects.create(user=user, kind=kind, payload={})
    Submission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - ago)


def test_an_open_followed_by_a_request_within_the_window_is_not_deflected(settings, alice, carol):
    settings.HELP_CENTER_DEFLECTION_MINUTES = 30
    _open(alice, ago=timedelta(hours=2))
    _request(alice, ago=timedelta(hours=2) - timedelta(minutes=10))
    _open(carol, ago=timedelta(hours=2))
    _request(carol, ago=timedelta(minutes=5))  # long after the window: still deflected

    stats = deflection_stats()

    assert (stats.opened, stats.sent_after, stats.deflected) == (2, 1, 1)
    assert stats.rate == 0.5


def test_a_reply_or_another_users_request_does_not_count_as_sent(settings, alice, carol):
    settings.HELP_CENTER_DEFLECTION_MINUTES = 30
    _open(alice, ago=timedelta(hours=1))
    _request(alice, ago=timedelta(minutes=50), kind=Submission.Kind.REPLY)
    _request(carol, ago=timedelta(minutes=50))

    assert deflection_stats().sent_after == 0


def test_opens_within_the_window_are_pending_not_counted(settings, alice):
    settings.HELP_CENTER_DEFLECTION_MINUTES = 30
    _open(alice, ago=timedelta(minutes=5))

    stats = deflection_stats()

    assert (stats.opened, stats.pending, stats.rate) == (0, 1, None)


def test_the_admin_shows_the_deflection_rate(staff_client, settings, alice):
    settings.HELP_CENTER_DEFLECTION_MINUTES = 30
    _open(alice, ago=timedelta(hours=1))

    response = staff_client.get("/admin/helpcenter/suggestionopen/")

    from tests.portal.helpcenter.html import parse

    shown = parse(response.content).find(id="deflection")
    assert shown is not None
    assert shown.text().startswith("Deflection rate: 100%")
