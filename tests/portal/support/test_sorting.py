"""The list's order (issue 15.3): sorted by what each row shows, chosen by `sort`, kept across
tabs, paging and the list's check for news."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from portal.support.selectors import PAGE_SIZE
from tests.portal.support.pages import class_texts, elements, link_hrefs

pytestmark = pytest.mark.django_db

HOUR = 3600


def _row_moments(html: str) -> list[datetime]:
    return [datetime.fromisoformat(time["datetime"]) for time in elements(html, "time")]


@pytest.fixture
def three_threads(alice, acme, make_thread, plain, emulator_control):
    """Opened an hour apart (oldest "Old, answered late"), the oldest one answered by support
    last: by last activity it is the newest, by status change the oldest."""
    emulator_control.set_clock_offset(seconds=-3 * HOUR)
    old = make_thread(user=alice, organization=acme, title="Old, answered late", priority=3)
    emulator_control.set_clock_offset(seconds=-2 * HOUR)
    make_thread(user=alice, organization=acme, title="Middle, urgent", priority=0)
    emulator_control.set_clock_offset(seconds=-1 * HOUR)
    make_thread(user=alice, organization=acme, title="Newest, high", priority=1)
    emulator_control.set_clock_offset(seconds=-10 * 60)
    plain.reply_to_thread(thread_id=old.id, text="Here is what we found.")
    emulator_control.set_clock_offset(seconds=0)


@pytest.mark.parametrize("sort", ["", "activity", "newest"])
def test_rows_are_in_the_order_of_the_date_they_show(alice_client, three_threads, sort):
    response = alice_client.get(reverse("support:thread_list"), {"sort": sort} if sort else {})

    moments = _row_moments(response.content.decode())
    assert len(moments) == 3
    assert moments == sorted(moments, reverse=True)


def test_newest_puts_the_last_opened_first(alice_client, three_threads):
    response = alice_client.get(reverse("support:thread_list"), {"sort": "newest"})

    titles = class_texts(response.content.decode(), "thread-row__title")
    assert titles == ["Newest, high", "Middle, urgent", "Old, answered late"]


def test_priority_puts_the_most_urgent_first(alice_client, three_threads):
    response = alice_client.get(reverse("support:thread_list"), {"sort": "priority"})

    titles = class_texts(response.content.decode(), "thread-row__title")
    assert titles == ["Middle, urgent", "Newest, high", "Old, answered late"]


def test_an_unknown_sort_is_the_default(alice_client, three_threads):
    default = alice_client.get(reverse("support:thread_list"))
    junk = alice_client.get(reverse("support:thread_list"), {"sort": "<script>"})

    assert junk.status_code == 200
    assert class_texts(junk.content.decode(), "thread-row__title") == class_texts(
        default.content.decode(), "thread-row__title"
    )


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_the_sort_is_kept_by_the_tabs_the_pager_and_the_check_for_news(
    alice_client, alice, acme, make_thread
):
    for number in range(PAGE_SIZE + 1):
        make_thread(user=alice, organization=acme, title=f"Request {number}")

    response = alice_client.get(reverse("support:thread_list"), {"sort": "newest"})
    html = response.content.decode()

    tabs = [link["href"] for link in elements(html, "a") if "tab" in link.get("class", "").split()]
    assert len(tabs) == 3
    assert all(_query(href)["sort"] == ["newest"] for href in tabs)
    [older] = link_hrefs(html, rel="next")
    assert _query(older)["sort"] == ["newest"]
    [poller] = [p for p in elements(html, "p") if p.get("id") == "list-live"]
    assert _query(poller["hx-get"])["sort"] == ["newest"]
    # The chooser keeps the tab and marks the current order.
    choices = [a for a in elements(html, "a") if "sort-choice__option" in a.get("class", "")]
    assert [_query(a["href"])["sort"][0] for a in choices] == ["activity", "newest", "priority"]
    assert all(_query(a["href"])["status"] == ["open"] for a in choices)
    assert [a.get("aria-current") for a in choices] == [None, "true", None]

    # The next page is in the same order.
    page_two = alice_client.get(older)
    assert class_texts(page_two.content.decode(), "thread-row__title") == ["Request 0"]
