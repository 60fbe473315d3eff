"""The brand on the pages: /brand.css, the header and footer, the titles and the admin."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core import checks, mail
from django.test import Client
from django.urls import reverse

from portal.brand.colors import color_parse, contrast_ratio
from tests.portal.support.pages import elements, page_text
from tests.portal.support.test_csp import assert_strict

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_brand(settings):
    settings.PORTAL_BRAND_NAME = "Acme Cloud Support"
    settings.PORTAL_BRAND_LOGO_URL = "img/favicon.svg"
    settings.PORTAL_BRAND_PRIMARY_COLOR = "#ffff00"
    settings.PORTAL_BRAND_ACCENT_COLOR = "#ffff00"
    settings.PORTAL_BRAND_SUPPORT_EMAIL = "help@acme.example"
    settings.PORTAL_BRAND_FOOTER_TEXT = "Acme Cloud, 1 Main Street"


def _custom_properties(css: str, selector: str, *, dark: bool = False) -> dict[str, str]:
    if dark:
        css = css[css.index("prefers-color-scheme: dark") :]
    block = re.search(re.escape(selector) + r"\s*\{(.*?)\}", css, re.S)
    assert block, selector
    return dict(re.findall(r"(--[a-z-]+):\s*([^;]+);", block.group(1)))


def _stylesheet_link(html: str) -> str:
    (href,) = [
        link["href"]
        for link in elements(html, "link")
        if link.get("rel") == "stylesheet" and link["href"].startswith("/brand.css")
    ]
    return href


def test_the_page_links_the_current_stylesheet_which_is_kept_a_year(client, acme_brand):
    href = _stylesheet_link(page_text(client.get(reverse("login"))))

    response = client.get(href)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {"public", "max-age=31536000", "immutable"}
    light = _custom_properties(response.content.decode(), ":root")
    # Yellow links would not read: darkened; white text on them.
    assert light["--accent"] == "#757500"
    assert light["--accent-text"] == "#ffffff"
    header = _custom_properties(response.content.decode(), ".site-header")
    assert header["--text"] == "#000000"
    assert contrast_ratio(color_parse(header["--text"]), color_parse("#ffff00")) >= 4.5


def test_another_brand_is_another_url_and_an_old_url_is_revalidated(client, settings):
    before = _stylesheet_link(page_text(client.get(reverse("login"))))
    settings.PORTAL_BRAND_ACCENT_COLOR = "#b42318"
    after = _stylesheet_link(page_text(client.get(reverse("login"))))

    old = client.get(before)

    assert after != before
    assert "no-cache" in old["Cache-Control"] and "immutable" not in old["Cache-Control"]
    assert _custom_properties(old.content.decode(), ":root")["--accent"] == "#b42318"
    again = client.get(after, HTTP_IF_NONE_MATCH=client.get(after)["ETag"])
    assert again.status_code == 304


def test_the_dark_theme_gets_its_own_readable_accent(client, settings):
    settings.PORTAL_BRAND_ACCENT_COLOR = "#111111"
    css = client.get(reverse("brand:stylesheet")).content.decode()
    dark = _custom_properties(css, ":root", dark=True)
    assert contrast_ratio(color_parse(dark["--accent"]), color_parse("#1a2029")) >= 4.5
    assert _custom_properties(css, ":root")["--accent"] == "#111111"
    assert ".site-header" not in css  # no primary colour: the header keeps the page's


class _Header(HTMLParser):
    """The text of <title>, of the header's brand link and of the footer; the logo's src."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.title = self.brand = self.footer = ""
        self.logo: str | None = None
        self._in: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "title":
            self._in.append("title")
        elif tag == "a" and values.get("class") == "brand":
            self._in.append("brand")
        elif tag == "footer":
            self._in.append("footer")
        elif tag == "img" and self._in and self._in[-1] == "brand":
            self.logo = values.get("src")

    def handle_endtag(self, tag):
        if (
            self._in
            and {"title": "title", "a": "brand", "footer": "footer"}.get(tag) == self._in[-1]
        ):
            self._in.pop()

    def handle_data(self, data):
        if self._in:
            setattr(self, self._in[-1], getattr(self, self._in[-1]) + data)


def test_header_footer_and_title_wear_the_brand(alice_client, acme_brand):
    response = alice_client.get(reverse("support:thread_list"))

    page = _Header(page_text(response))
    assert page.title.strip().endswith("· Acme Cloud Support")
    assert page.brand.strip() == "Acme Cloud Support"
    assert page.logo == "/static/img/favicon.svg"
    footer = " ".join(page.footer.split())
    assert "Acme Cloud, 1 Main Street" in footer
    assert "Contact Acme Cloud Support: help@acme.example" in footer
    assert "mailto:help@acme.example" in [a.get("href") for a in elements(page_text(response), "a")]
    assert_strict(response)


def test_without_a_logo_or_address_the_header_and_footer_have_neither(alice_client):
    page = _Header(page_text(alice_client.get(reverse("support:thread_list"))))
    assert page.logo is None
    assert page.brand.strip() == "Support portal"
    assert "Contact" not in page.footer


def test_the_admin_names_the_company_not_django(acme_brand, staff_client):
    login = Client().get(reverse("admin:login"))
    index = staff_client.get(reverse("admin:index"))

    for response in (login, index):
        text = page_text(response)
        assert "Django administration" not in text
        assert "Acme Cloud Support admin" in text


def test_the_check_says_which_colour_is_shown_instead(settings):
    settings.PORTAL_BRAND_ACCENT_COLOR = "#ffff00"
    messages = [m for m in checks.run_checks() if m.id == "brand.I001"]
    (message,) = messages
    assert message.level == checks.INFO
    assert (
        "#ffff00 reads at only 1.00:1" in message.msg and "#757500 is shown instead" in message.msg
    )

    settings.PORTAL_BRAND_ACCENT_COLOR = "#1d4ed8"
    assert [m for m in checks.run_checks() if m.id == "brand.I001"] == []


def test_an_https_logo_is_used_as_it_is(client, settings):
    settings.PORTAL_BRAND_LOGO_URL = "https://cdn.acme.example/brand/logo.svg"
    assert _Header(page_text(client.get(reverse("login")))).logo == (
        "https://cdn.acme.example/brand/logo.svg"
    )


def test_the_reset_email_has_the_band_and_an_absolute_logo(client, alice, acme_brand, settings):
    settings.PORTAL_PUBLIC_URL = "https://support.acme.example"

    client.post(reverse("password_reset"), {"email": alice.email})

    (message,) = mail.outbox
    assert message.subject == "Reset your Acme Cloud Support password"
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    (logo,) = elements(html, "img")
    assert logo["src"] == "https://support.acme.example/static/img/favicon.svg"
    (band,) = [t for t in elements(html, "table") if "background" in t.get("style", "")]
    assert "background: #ffff00; color: #000000;" in band["style"]
    assert "Questions: help@acme.example" in message.body
