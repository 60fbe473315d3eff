"""The webhook endpoint: what it refuses (storing nothing), what it answers, and that it never
redirects, needs no CSRF token, and never shows the signing secret."""

from __future__ import annotations

import logging
import secrets
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.views.debug import SafeExceptionReporterFilter, technical_500_response

from plain_gateway.webhooks import SIGNATURE_HEADER, sign
from portal.plain import reset_plain_client
from portal.webhooks.models import InboxEvent
from tests.plain_gateway import webhook_bodies as bodies
from tests.plain_gateway.webhook_bodies import SECRET, encode
from tests.portal.webhooks.conftest import WEBHOOK_PATH

pytestmark = pytest.mark.django_db

MARKER = "zebra-marker-in-the-body"


def _raw(**kwargs) -> bytes:
    return encode(bodies.chat_sent(text=f"Reply {MARKER}", **kwargs))


def _refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"error": reason}
    assert InboxEvent.objects.count() == 0


def test_a_signed_event_is_stored_and_answered_200(post):
    data = bodies.chat_sent()
    response = post(data)
    assert response.status_code == 200
    assert response.json() == {"received": data["id"], "duplicate": False}
    row = InboxEvent.objects.get()
    assert (row.event_id, row.event_type, row.thread_id) == (
        data["id"],
        "thread.chat_sent",
        data["payload"]["thread"]["id"],
    )
    assert row.attempt_id == data["webhookMetadata"]["webhookDeliveryAttemptId"]


def test_a_changed_body_is_refused_401(post):
    raw = _raw()
    _refused(
        post(raw.replace(b"Reply", b"Replied"), headers={SIGNATURE_HEADER: sign(raw, SECRET)}),
        401,
        "bad_signature",
    )


def test_a_wrong_signature_is_refused_401(post):
    raw = _raw()
    _refused(
        post(raw, headers={SIGNATURE_HEADER: sign(raw, "not-the-secret")}), 401, "bad_signature"
    )


def test_a_missing_signature_is_refused_401(post):
    _refused(post(_raw(), headers={}), 401, "bad_signature")


@pytest.mark.parametrize("seconds", [-301, 301], ids=["301s old", "301s in the future"])
def test_an_attempt_more_than_300s_away_is_refused_400(post, seconds):
    data = bodies.body(
        "thread.thread_created",
        {"thread": bodies.thread()},
        attempt_at=bodies.now() + timedelta(seconds=seconds),
    )
    _refused(post(data), 400, "stale")


def test_an_unknown_version_is_refused_400(post):
    data = bodies.body("thread.thread_created", {"thread": bodies.thread()}, version="unversioned")
    _refused(post(data), 400, "unknown_version")


def test_malformed_json_is_refused_400(post):
    _refused(post(b'{"id": "pEv_1", '), 400, "malformed")


def test_a_body_over_the_limit_is_refused_413(post, settings):
    settings.PLAIN_WEBHOOK_MAX_BYTES = 4096
    data = bodies.chat_sent(text="x" * 4096)
    raw = encode(data)
    assert len(raw) > 4096
    _refused(post(raw), 413, "too_large")
    # Just under the limit is read.
    settings.PLAIN_WEBHOOK_MAX_BYTES = len(raw)
    assert post(raw).status_code == 200


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(client, settings):
    settings.PLAIN_WEBHOOK_MAX_BYTES = 1024
    raw = _raw()
    # The test client's payload raises if read past what it holds: a view that read the body
    # on the strength of this Content-Length would fail, not answer 413.
    response = client.generic(
        "POST",
        WEBHOOK_PATH,
        data=raw,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(raw, SECRET)},
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    _refused(response, 413, "too_large")


def test_the_default_limit_is_one_mebibyte(settings):
    from django.conf import settings as live

    assert live.PLAIN_WEBHOOK_MAX_BYTES == 1024 * 1024


def test_without_a_secret_every_request_is_refused(post, settings):
    # Against real Plain the secret is never read from the API: it must be configured.
    settings.PLAIN_HMAC_SECRET = ""
    settings.PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"
    reset_plain_client()
    _refused(post(_raw()), 503, "not_configured")


def test_over_the_emulator_an_unset_secret_is_the_emulators_own(post, settings, plain):
    settings.PLAIN_HMAC_SECRET = ""
    secret = plain.workspace_hmac_secret()
    assert secret
    _refused(post(_raw()), 401, "bad_signature")  # signed with another secret
    raw = bodies.encode(bodies.thread_created())
    assert post(raw, headers=bodies.signed_headers(raw, secret)).status_code == 200
    assert InboxEvent.objects.count() == 1


@pytest.mark.parametrize("path", ["/plain/webhooks/", "/plain/webhooks"])
def test_both_slash_forms_are_served_without_a_redirect(post, path):
    response = post(bodies.thread_created(), path=path)
    assert response.status_code == 200
    assert InboxEvent.objects.count() == 1


@pytest.mark.parametrize("path", ["/plain/webhooks/", "/plain/webhooks"])
def test_other_methods_are_405_not_a_redirect(client, path):
    for method in (client.get, client.put, client.delete):
        assert method(path).status_code == 405


def test_the_ssl_redirect_spares_the_webhook_path(post, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301  # everything else is redirected
    for path in ("/plain/webhooks/", "/plain/webhooks"):
        assert post(bodies.thread_created(), path=path).status_code == 200


def test_no_csrf_token_is_needed(settings):
    strict = Client(enforce_csrf_checks=True)
    raw = encode(bodies.thread_created())
    response = strict.post(
        WEBHOOK_PATH,
        data=raw,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(raw, SECRET)},
    )
    assert response.status_code == 200


def test_each_refusal_logs_one_line_without_the_body_or_the_secret(post, caplog):
    raw = _raw()
    with caplog.at_level(logging.INFO):
        post(raw, headers={SIGNATURE_HEADER: sign(raw, "wrong")})
        post(raw, headers={})
        post(
            b"{" + MARKER.encode(), headers={SIGNATURE_HEADER: sign(b"{" + MARKER.encode(), SECRET)}
        )
        stale = bodies.chat_sent(text=MARKER)
        stale["webhookMetadata"]["webhookDeliveryAttemptTimestamp"] = "2020-01-01T00:00:00.000Z"
        post(stale)
    refusals = [r for r in caplog.records if r.name == "portal.webhooks.views"]
    assert [r.levelno for r in refusals] == [logging.WARNING] * 4
    reasons = [r.getMessage().split("(")[1].split(",")[0] for r in refusals]
    assert reasons == ["bad_signature", "bad_signature", "malformed", "stale"]
    for record in caplog.records:
        text = record.getMessage() + str(record.args)
        assert SECRET not in text
        assert MARKER not in text


def test_the_secret_is_masked_in_error_reports(settings, rf):
    # Made at run time and kept in no local variable: the page quotes this test's source lines
    # and its frame's variables, which must not hold it.
    settings.PLAIN_HMAC_SECRET = secrets.token_hex(16)
    reporter = SafeExceptionReporterFilter()
    assert reporter.hidden_settings.search("PLAIN_HMAC_SECRET")
    assert reporter.get_safe_settings()["PLAIN_HMAC_SECRET"] == reporter.cleansed_substitute

    request = rf.post(WEBHOOK_PATH)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        page = technical_500_response(request, *sys.exc_info())
    assert b"PLAIN_HMAC_SECRET" in page.content
    assert settings.PLAIN_HMAC_SECRET.encode() not in page.content


def test_an_event_with_a_nul_in_its_text_is_stored_without_it(post):
    # PostgreSQL's jsonb refuses U+0000; the event must still be stored, not retried for days.
    data = bodies.chat_sent(text="before\u0000after")
    assert post(data).status_code == 200
    assert InboxEvent.objects.get().payload["chat"]["text"] == "beforeafter"


def test_the_endpoint_answers_a_delivery_over_the_wsgi_app_as_the_embedded_emulator_will():
    import httpx
    from django.core.wsgi import get_wsgi_application

    data = bodies.thread_created()
    raw = encode(data)
    transport = httpx.WSGITransport(app=get_wsgi_application())
    with httpx.Client(transport=transport, base_url="http://127.0.0.1") as http:
        response = http.post(
            "/plain/webhooks",
            content=raw,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Plain-Webhooks/1.0 (plain.com; help@plain.com)",
                SIGNATURE_HEADER: sign(raw, SECRET),
            },
        )
    assert response.status_code == 200
    assert not response.is_redirect
    assert InboxEvent.objects.get().event_id == data["id"]
