"""No page, message or email a customer sees names Plain, and each wears the company's brand.

Every customer-facing page and email is rendered and its visible text read with an HTML parser:
attributes, URLs, scripts and styles are left out (a class or a link may say "plain"; nobody reads
them), what a person reads is kept. The word may not appear in it in any case; the company's name
must (headers, titles, footers, sign-offs), so a page that lost the brand fails too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import csrf, defaults

from plain_gateway.errors import (
    PlainAuthenticationError,
    PlainError,
    PlainForbiddenError,
    PlainMutationError,
    PlainRateLimitError,
    PlainServerError,
    PlainTimeoutError,
    PlainTransportError,
)
from portal.notifications import services as notification_services
from portal.notifications.models import Notification
from portal.outbox import services as outbox
from portal.support.models import Submission
from portal.support.presentation import plain_error_message
from tests.factories import UserFactory

BRAND = "Acme Cloud Support"
HTMX = {"HTTP_HX_REQUEST": "true"}
PLAIN = re.compile(r"\bplain\b", re.IGNORECASE)
_HIDDEN = {"script", "style", "template"}


class _VisibleText(HTMLParser):
    """The text a person reads: element text outside script, style and template elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def test_visible_text_reads_what_a_person_reads_only():
    html = (
        '<p class="c-text--plain" title="Plain">Hi <a href="/plain/">there</a></p>'
        "<script>let plain = 1;</script><style>.plain{}</style><p>Plain &amp; simple</p>"
    )
    assert visible_text(html) == "Hi there Plain & simple"


class Seen:
    """What a customer was shown, by name, checked at the end of each test."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def page(self, name: str, response, *, status: int | set[int] = 200) -> None:
        expected = {status} if isinstance(status, int) else status
        assert response.status_code in expected, (name, response.status_code)
        self.texts[name] = visible_text(response.content.decode())

    def text(self, name: str, text: str) -> None:
        self.texts[name] = " ".join(text.split())

    def email(self, name: str, message: mail.EmailMessage) -> None:
        self.text(f"{name}: subject", message.subject)
        self.text(f"{name}: text", message.body)
        for content, mimetype in getattr(message, "alternatives", []):
            assert mimetype == "text/html"
            self.texts[f"{name}: html"] = visible_text(content)

    def assert_clean(self, *, branded_except: frozenset[str] = frozenset()) -> None:
        naming_plain = {
            name: PLAIN.findall(text) for name, text in self.texts.items() if PLAIN.search(text)
        }
        assert naming_plain == {}
        unbranded = [
            name
            for name, text in self.texts.items()
            if BRAND not in text and name not in branded_except
        ]
        assert unbranded == []


@pytest.fixture(autouse=True)
def brand(settings):
    settings.PORTAL_BRAND_NAME = BRAND
    settings.PORTAL_BRAND_SUPPORT_EMAIL = "help@acme.example"
    settings.PORTAL_BRAND_FOOTER_TEXT = "Acme Cloud, 1 Main Street"
    settings.PORTAL_BRAND_PRIMARY_COLOR = "#ffff00"


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.mark.django_db
def test_the_support_pages(alice_client, alice, acme, make_thread, seen):
    thread = make_thread(user=alice, organization=acme)
    detail = reverse("support:thread_detail", args=[thread.id])

    seen.page("list", alice_client.get(reverse("support:thread_list")))
    seen.page(
        "list, htmx", alice_client.get(reverse("support:thread_list") + "?status=all", **HTMX)
    )
    seen.page("thread", alice_client.get(detail))
    seen.page("new", alice_client.get(reverse("support:thread_create")))
    seen.page(
        "new, refused",
        alice_client.post(reverse("support:thread_create"), {"title": "", "message": ""}),
        status={200, 400},
    )
    seen.page(
        "reply, htmx",
        alice_client.post(
            reverse("support:thread_reply", args=[thread.id]), {"text": "Thanks"}, **HTMX
        ),
    )
    seen.page(
        "resolved, with its message",
        alice_client.post(reverse("support:thread_resolve", args=[thread.id]), follow=True),
    )
    seen.page("preferences", alice_client.get(reverse("notifications:preferences")))
    seen.page(
        "preferences saved",
        alice_client.post(reverse("notifications:preferences"), {"scope": "all"}, follow=True),
    )
    seen.page("not found", alice_client.get("/threads/th_01JZZZZZZZZZZZZZZZZZZZZZZZ/"), status=404)
    seen.page("password change", alice_client.get(reverse("password_change")))

    lonely = Client()
    lonely.force_login(UserFactory(email="lonely@example.test"))
    seen.page("no organisation", lonely.get(reverse("support:thread_list")))

    # Every page the partials of the list and the thread are made of, where the brand is not.
    seen.assert_clean(branded_except=frozenset({"list, htmx", "reply, htmx"}))


@pytest.mark.django_db
def test_the_pages_while_our_support_system_is_down(
    alice_client, alice, acme, make_thread, emulator_control, settings, seen
):
    thread = make_thread(user=alice, organization=acme)
    detail = reverse("support:thread_detail", args=[thread.id])
    settings.SUPPORT_READ_CACHE_TTL_SECONDS = 0  # the fresh entry is gone; the last good stays
    alice_client.get(reverse("support:thread_list"))
    alice_client.get(detail)
    emulator_control.fail_next(count=1000, status=503)

    seen.page("list, stale", alice_client.get(reverse("support:thread_list")))
    seen.page("thread, stale", alice_client.get(detail))
    assert "may be out of date" in seen.texts["list, stale"]
    created = alice_client.post(
        reverse("support:thread_create"), {"title": "Flooded", "message": "Water"}, follow=True
    )
    seen.page("saved request, waiting", created)
    assert "Waiting to be sent" in seen.texts["saved request, waiting"]
    seen.page(
        "reply saved, htmx",
        alice_client.post(
            reverse("support:thread_reply", args=[thread.id]), {"text": "Hi"}, **HTMX
        ),
    )
    seen.page("thread with a waiting reply", alice_client.get(detail))
    seen.page("list with a waiting request", alice_client.get(reverse("support:thread_list")))
    Submission.objects.update(status=Submission.Status.FAILED)
    submission = Submission.objects.filter(kind="thread").get()
    seen.page(
        "saved request, not sent",
        alice_client.get(reverse("support:submission_detail", args=[submission.key])),
    )
    assert "We could not send this request" in seen.texts["saved request, not sent"]
    seen.page("thread with a reply not sent", alice_client.get(detail))

    # Nothing known to show: the unavailable page.
    other = make_thread_while_up(make_thread, emulator_control, alice, acme)
    emulator_control.fail_next(count=1000, status=503)
    seen.page(
        "unavailable",
        alice_client.get(reverse("support:thread_detail", args=[other.id])),
        status=503,
    )
    seen.assert_clean(branded_except=frozenset({"reply saved, htmx"}))


def make_thread_while_up(make_thread, emulator_control, alice, acme):
    emulator_control.clear_faults()
    return make_thread(user=alice, organization=acme, title="Never read")


@pytest.mark.parametrize("sending", [False, True])
def test_every_failure_message_speaks_of_our_support_system(sending):
    failures: list[PlainError] = [
        PlainMutationError("refused", type="VALIDATION"),
        PlainTimeoutError("slow"),
        PlainRateLimitError("busy", retry_after=30),
        PlainRateLimitError("busy"),
        PlainAuthenticationError("key"),
        PlainForbiddenError("key"),
        PlainServerError("down"),
        PlainTransportError("gone"),
    ]
    for error in failures:
        message = plain_error_message(error, sending=sending)
        assert not PLAIN.search(message), message
        assert "support system" in message


@pytest.mark.django_db
def test_the_sign_in_and_password_pages_and_the_reset_emails(alice, seen, settings):
    anonymous = Client()
    seen.page("login", anonymous.get(reverse("login")))
    seen.page(
        "login refused",
        anonymous.post(reverse("login"), {"username": alice.email, "password": "wrong"}),
    )
    seen.page("reset", anonymous.get(reverse("password_reset")))
    seen.page(
        "reset sent",
        anonymous.post(reverse("password_reset"), {"email": alice.email}, follow=True),
    )
    (message,) = mail.outbox
    seen.email("reset email", message)
    (link,) = re.findall(r"https?://\S+/accounts/reset/\S+/", message.body)
    form = anonymous.get(link, follow=True)
    seen.page("new password", form)
    seen.page(
        "password set",
        anonymous.post(
            form.redirect_chain[-1][0],
            {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"},
            follow=True,
        ),
    )
    signed_in = Client()
    signed_in.force_login(alice)
    seen.page("logged out", signed_in.post(reverse("logout"), follow=True))
    seen.text(
        "logged out template",
        visible_text(
            render_to_string("registration/logged_out.html", request=RequestFactory().get("/"))
        ),
    )
    seen.page("not found, anonymous", anonymous.get("/no-such-page/"), status=404)

    settings.PORTAL_PASSWORD_LOGIN = False
    seen.page("login, password off", anonymous.get(reverse("login")))
    settings.PORTAL_PASSWORD_LOGIN = True
    settings.SSO_JWT_SECRET = "s" * 64
    seen.page("sign-in refused", anonymous.get("/sso/jwt/?token=not-a-token"), status={400, 403})

    assert "reset email: html" in seen.texts  # the HTML version beside the text one
    seen.assert_clean()


@pytest.mark.django_db
def test_the_unsubscribe_pages(alice, seen):
    url = reverse(
        "notifications:unsubscribe",
        kwargs={"token": notification_services.unsubscribe_token(user=alice)},
    )
    seen.page("unsubscribe", Client().get(url))
    seen.page("unsubscribed", Client().post(url))
    seen.assert_clean()


@pytest.mark.django_db
def test_the_notification_emails(alice, acme, seen):
    items = {
        "reply": [{"event_id": "e1", "kind": "message", "author": "Dana", "body": "Fixed."}],
        "resolved": [{"event_id": "e2", "kind": "resolved"}],
        "waiting": [{"event_id": "e3", "kind": "waiting"}],
    }
    for name, row_items in items.items():
        mail.outbox.clear()
        row = outbox.row_create(
            of=notification_services.EMAILS,
            enqueue=False,
            user=alice,
            organization=acme,
            thread_id="th_01JABCDEFGHJKMNPQRSTVWXYZ0",
            thread_title="Printer on fire",
            items=row_items,
            as_requester=True,
        )
        outbox.deliver(kind=notification_services.EMAILS, row_id=row.pk)
        (message,) = mail.outbox
        seen.email(f"notification, {name}", message)
    assert Notification.objects.filter(sent_at__isnull=False).count() == 3
    # A subject is the request's title and what happened; the brand is in the body.
    seen.assert_clean(branded_except=frozenset(n for n in seen.texts if n.endswith("subject")))


def test_the_error_pages_need_no_database(seen):
    """400, 403, 404, 500 and the CSRF failure, rendered with the database out of reach (this
    test has no database access: any query would fail it)."""
    request = RequestFactory().get("/threads/")
    seen.page("csrf failure", csrf.csrf_failure(request, reason="no token"), status=403)
    seen.page("server error", defaults.server_error(request), status=500)
    seen.page("bad request", defaults.bad_request(request, Exception("x")), status=400)
    seen.page("forbidden", defaults.permission_denied(request, Exception("x")), status=403)
    seen.page("not found", defaults.page_not_found(request, Exception("x")), status=404)
    assert "help@acme.example" in seen.texts["server error"]
    assert "help@acme.example" in seen.texts["csrf failure"]
    seen.assert_clean()
