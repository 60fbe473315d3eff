"""Plain's UI components as the customer sees them: each kind with its sizes and colours, link
buttons that only ever open web pages, copy buttons that work without a script."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from plain_gateway.components import components_from_graphql, components_from_input
from portal.support.presentation import ComponentView, component_views


class Elements(HTMLParser):
    """Every start tag of a fragment as (tag, attributes), and its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data

    def with_class(self, css_class: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(t, a) for t, a in self.tags if css_class in (a.get("class") or "").split()]


def views(components) -> tuple[ComponentView, ...]:
    """Views of components as Plain's GraphQL results hold them (parsed as the gateway does)."""
    return component_views(components_from_graphql(components))


def render(components) -> Elements:
    html = render_to_string(
        "support/components/_components.html", {"components": views(components)}
    )
    return Elements(html)


def one(components) -> ComponentView:
    (view,) = views(components)
    return view


@pytest.mark.parametrize(
    ("component", "css_class"),
    [
        ({"__typename": "ComponentText", "text": "t"}, "c-text c-size-m c-color-normal"),
        (
            {"__typename": "ComponentText", "text": "t", "textSize": "S", "textColor": "MUTED"},
            "c-text c-size-s c-color-muted",
        ),
        (
            {"__typename": "ComponentText", "text": "t", "textSize": "L", "textColor": "SUCCESS"},
            "c-text c-size-l c-color-success",
        ),
        # The deprecated size/color fields, as older entries have them.
        (
            {"__typename": "ComponentText", "text": "t", "size": "L", "color": "WARNING"},
            "c-text c-size-l c-color-warning",
        ),
        (
            {"__typename": "ComponentPlainText", "plainText": "p", "plainTextColor": "ERROR"},
            "c-text c-text--plain c-size-m c-color-error",
        ),
        ({"__typename": "ComponentBadge", "badgeLabel": "b"}, "c-badge c-badge--grey"),
        (
            {"__typename": "ComponentBadge", "badgeLabel": "b", "badgeColor": "BLUE"},
            "c-badge c-badge--blue",
        ),
        ({"__typename": "ComponentDivider"}, "c-divider c-divider--s"),
        (
            {"__typename": "ComponentDivider", "dividerSpacingSize": "XL"},
            "c-divider c-divider--xl",
        ),
        ({"__typename": "ComponentSpacer", "spacerSize": "XS"}, "c-spacer c-spacer--xs"),
        ({"__typename": "ComponentSpacer"}, "c-spacer c-spacer--m"),
    ],
)
def test_sizes_and_colours_become_classes_with_plains_defaults(component, css_class):
    assert one([component]).css_class == css_class


@pytest.mark.parametrize(
    "value", ['M" onmouseover="alert(1)', "huge", None, 3, "m", ["L"], {"L": 1}]
)
def test_only_plains_enum_values_reach_a_class_attribute(value):
    view = one(
        [{"__typename": "ComponentText", "text": "t", "textSize": value, "textColor": value}]
    )
    badge = one([{"__typename": "ComponentBadge", "badgeLabel": "b", "badgeColor": value}])

    assert view.css_class == "c-text c-size-m c-color-normal"
    assert badge.css_class == "c-badge c-badge--grey"


def test_text_takes_its_markdown_subset_and_plain_text_none():
    text = one([{"__typename": "ComponentText", "text": "**b** _i_ [l](https://x.test)\n- li"}])
    plain = one([{"__typename": "ComponentPlainText", "plainText": "**not bold**\nnext"}])

    assert "<strong>b</strong>" in text.html and "<em>i</em>" in text.html
    assert '<a href="https://x.test"' in text.html
    assert "<li>" not in text.html and "- li" in text.html
    elements = render([{"__typename": "ComponentPlainText", "plainText": "**not bold**\nnext"}])
    assert elements.text.strip() == "**not bold**\nnext"
    assert plain.kind == "plain"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.test/path",
        "/threads/",
        "mailto:someone@example.test",
        "https://",
        "https:evil.test",
        "ftp://files.test/x",
        "",
    ],
)
def test_link_buttons_to_anything_but_a_web_page_show_their_label_only(url):
    component = {"__typename": "ComponentLinkButton", "linkButtonUrl": url, "linkButtonLabel": "Go"}

    elements = render([component])

    assert [tag for tag, _ in elements.tags if tag == "a"] == []
    assert elements.text.strip() == "Go"


@pytest.mark.parametrize(
    "url", ["https://example.test/a?b=1&c=2", "http://example.test", "HTTPS://X.TEST"]
)
def test_link_buttons_open_web_pages_in_a_new_tab_without_referrer(url):
    component = {"__typename": "ComponentLinkButton", "linkButtonUrl": url, "linkButtonLabel": "Go"}

    ((tag, attributes),) = render([component]).with_class("c-link-button")

    assert tag == "a"
    assert attributes["href"] == url
    assert attributes["target"] == "_blank"
    assert attributes["rel"] == "noopener noreferrer nofollow"


def test_link_buttons_read_the_deprecated_url_and_label_too():
    view = one([{"__typename": "ComponentLinkButton", "url": "https://x.test", "label": "Old"}])

    assert (view.kind, view.url, view.text) == ("link", "https://x.test", "Old")


def test_a_copy_button_always_shows_its_value_and_carries_it_for_the_script():
    component = {
        "__typename": "ComponentCopyButton",
        "copyButtonValue": 'ord_"123"',
        "copyButtonTooltipLabel": "Copy order id",
    }

    elements = render([component])

    ((value_tag, _),) = elements.with_class("c-copy__value")
    ((tag, button),) = elements.with_class("c-copy__button")
    assert value_tag == "code" and 'ord_"123"' in elements.text
    assert tag == "button" and button["type"] == "button"
    assert button["data-copy"] == 'ord_"123"'
    assert button["title"] == "Copy order id"


def test_a_copy_button_without_tooltip_says_copy():
    assert one([{"__typename": "ComponentCopyButton", "copyButtonValue": "v"}]).tooltip == "Copy"


def test_a_date_time_shows_in_the_readers_time_zone():
    component = {
        "__typename": "ComponentDateTime",
        "dateTimeIso8601": {"iso8601": "2024-07-01T12:30:00.000Z"},
    }

    with timezone.override(ZoneInfo("Asia/Tokyo")):
        elements = render([component])

    ((_, time),) = [(t, a) for t, a in elements.tags if t == "time"]
    assert time["datetime"] == "2024-07-01T21:30:00+09:00"
    assert "1 Jul 2024, 21:30 JST" in elements.text
    assert one([component]).moment == datetime(2024, 7, 1, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", [None, "", "yesterday", {"iso8601": "not a date"}, {"unixTimestamp": "x"}, 42]
)
def test_a_date_time_plain_cannot_have_sent_shows_as_unknown(value):
    elements = render([{"__typename": "ComponentDateTime", "dateTimeIso8601": value}])

    assert elements.text.strip() == "unknown"


def test_a_user_shows_by_public_name_or_as_gone():
    named = one([{"__typename": "ComponentUser", "user": {"publicName": "Sam"}}])
    gone = one([{"__typename": "ComponentUser", "user": None}])

    assert (named.kind, named.text) == ("user", "Sam")
    assert gone.text == "Former team member"


def test_rows_and_containers_render_their_parts_in_place():
    components = [
        {
            "__typename": "ComponentContainer",
            "containerContent": [
                {
                    "__typename": "ComponentRow",
                    "rowMainContent": [{"__typename": "ComponentPlainText", "plainText": "Plan"}],
                    "rowAsideContent": [
                        {"__typename": "ComponentBadge", "badgeLabel": "Pro", "badgeColor": "GREEN"}
                    ],
                },
            ],
        }
    ]

    elements = render(components)

    classes = [(a.get("class") or "") for _, a in elements.tags]
    assert classes[:3] == ["c-container", "c-row", "c-row__main"]
    assert "c-row__aside" in classes
    assert classes.index("c-row__aside") < classes.index("c-badge c-badge--green")
    assert elements.text.split() == ["Plan", "Pro"]


def test_agent_only_unknown_empty_and_too_deep_components_are_left_out():
    deep = {"__typename": "ComponentText", "text": "deep"}
    for _ in range(4):
        deep = {"__typename": "ComponentContainer", "containerContent": [deep]}
    components = [
        {"__typename": "ComponentWorkflowButton", "workflowButtonLabel": "Refund"},
        {"__typename": "ComponentFromTheFuture", "text": "?"},
        {"__typename": "ComponentText", "text": "  "},
        {"__typename": "ComponentRow", "rowMainContent": [], "rowAsideContent": []},
        {"__typename": "ComponentContainer", "containerContent": []},
        "not a component",
        deep,
    ]

    assert views(components) == ()


def test_the_input_shape_is_read_as_well():
    (view,) = component_views(
        components_from_input([{"componentBadge": {"badgeLabel": "In", "badgeColor": "RED"}}])
    )

    assert (view.kind, view.text, view.css_class) == ("badge", "In", "c-badge c-badge--red")
