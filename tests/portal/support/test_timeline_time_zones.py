"""Times on the thread pages in the reader's own time zone: stored on the user, activated for each
of their requests, learnt once from the browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.support.templatetags.support_tags import absolute_time_text, relative_time
from tests.portal.support.pages import elements, page_text

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
TIME_ZONE_URL = "/accounts/time-zone/"


def test_the_time_zone_url_is_the_one_the_script_posts_to():
    assert reverse("time_zone") == TIME_ZONE_URL


def test_a_user_in_new_york_sees_new_york_times(alice_client, alice, acme, make_thread):
    alice.time_zone = "America/New_York"
    alice.save(update_fields=["time_zone"])
    thread = make_thread(user=alice, organization=acme)
    expected = absolute_time_text(thread.created_at, zone=NEW_YORK)
    offset = thread.created_at.astimezone(NEW_YORK).isoformat()[-6:]

    detail = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))
    listing = page_text(alice_client.get(reverse("support:thread_list")))

    for html in (detail, listing):
        assert f'title="{expected}"' in html
        assert expected.endswith(("EST", "EDT"))
        stamps = [time["datetime"] for time in elements(html, "time") if "datetime" in time]
        assert stamps and all(stamp.endswith(offset) for stamp in stamps)


def test_a_user_without_a_zone_sees_the_sites_default(
    settings, alice_client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    expected = absolute_time_text(thread.created_at, zone=ZoneInfo(settings.TIME_ZONE))

    detail = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert f'title="{expected}"' in detail


def test_one_users_zone_does_not_outlive_their_request(settings, alice_client, alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save(update_fields=["time_zone"])

    alice_client.get(reverse("support:thread_list"))

    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_an_unknown_stored_zone_falls_back_to_the_default(
    settings, alice_client, alice, acme, make_thread
):
    alice.time_zone = "Mars/Olympus_Mons"
    alice.save(update_fields=["time_zone"])
    thread = make_thread(user=alice, organization=acme)
    expected = absolute_time_text(thread.created_at, zone=ZoneInfo(settings.TIME_ZONE))

    response = alice_client.get(reverse("support:thread_detail", args=[thread.id]))

    assert response.status_code == 200
    assert f'title="{expected}"' in page_text(response)


def test_the_browser_stores_the_zone_and_the_next_page_uses_it(
    alice_client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.post(TIME_ZONE_URL, {"time_zone": "America/New_York"})
    detail = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    alice.refresh_from_db()
    assert response.status_code == 204
    assert alice.time_zone == "America/New_York"
    assert f'title="{absolute_time_text(thread.created_at, zone=NEW_YORK)}"' in detail


@pytest.mark.parametrize("zone", ["", "Not/AZone", "../../etc/passwd", "EST5EDT" * 20])
def test_an_unknown_zone_is_refused_and_changes_nothing(alice_client, alice, zone):
    response = alice_client.post(TIME_ZONE_URL, {"time_zone": zone})

    alice.refresh_from_db()
    assert response.status_code == 400
    assert alice.time_zone == ""


def test_the_zone_endpoint_takes_posts_from_logged_in_users_only(client, alice):
    assert client.post(TIME_ZONE_URL, {"time_zone": "Europe/Paris"}).status_code == 302
    client.force_login(alice)
    assert client.get(TIME_ZONE_URL).status_code == 405
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_the_script_is_told_where_to_store_the_zone_only_while_none_is_known(alice_client, alice):
    before = page_text(alice_client.get(reverse("support:thread_list")))
    alice.time_zone = "Europe/Paris"
    alice.save(update_fields=["time_zone"])
    after = page_text(alice_client.get(reverse("support:thread_list")))

    assert f'<script src="/static/js/portal.js" defer data-time-zone-url="{TIME_ZONE_URL}">' in (
        before
    )
    assert '<script src="/static/js/portal.js" defer></script>' in after


def test_times_read_relative_with_the_absolute_moment_on_hover():
    moment = datetime(2025, 3, 1, 12, tzinfo=UTC)

    assert relative_time(moment, now=moment + timedelta(hours=3, minutes=5)) == "3 hours ago"
    assert relative_time(moment, now=moment + timedelta(seconds=20)) == "just now"
    assert relative_time(moment, now=moment - timedelta(minutes=5)) == "in 5 minutes"
    assert absolute_time_text(moment, zone=NEW_YORK) == "1 Mar 2025, 07:00 EST"
