"""The project middleware in place: each web request's Plain calls share one budget.

Over the embedded emulator (httpx.WSGITransport, which cannot time out) only the check before
each attempt can be seen; tests/portal/support/test_server.py covers a slow Plain for real.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from plain_gateway import budget_remaining
from portal.support import selectors
from tests.portal.support.pages import page_text

pytestmark = pytest.mark.django_db


def test_a_web_request_runs_inside_the_budget_and_nothing_else_does(
    alice_client, settings, monkeypatch
):
    settings.PLAIN_REQUEST_BUDGET_SECONDS = 7.5
    seen: list[float | None] = []
    real = selectors.thread_list_for_user

    def spy(**kwargs):
        seen.append(budget_remaining())
        return real(**kwargs)

    monkeypatch.setattr(selectors, "thread_list_for_user", spy)

    assert alice_client.get(reverse("support:thread_list")).status_code == 200
    assert len(seen) == 1 and 0 < seen[0] <= 7.5
    assert budget_remaining() is None


def test_with_the_budget_spent_a_page_says_plain_is_unavailable_without_asking_it(
    alice_client, settings, emulator_control
):
    settings.PLAIN_REQUEST_BUDGET_SECONDS = 1e-9
    emulator_control.clear_requests()

    response = alice_client.get(reverse("support:thread_list"))

    assert response.status_code == 503
    assert "did not answer in time" in page_text(response)
    assert emulator_control.requests() == []
