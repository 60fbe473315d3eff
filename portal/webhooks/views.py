"""The endpoint Plain delivers webhooks to: verify, store, answer. Nothing here calls Plain.

Answers: 200 once the event is stored (or was already: a redelivery), 401 for a missing or
wrong signature, 400 for a stale or future attempt, an unknown version or a malformed body, 413
for a body over PLAIN_WEBHOOK_MAX_BYTES (refused on its Content-Length before it is read, and
never read past the limit), 503 while no signing secret is configured, 405 for anything but
POST. Never a redirect: Plain counts one as a failure. Each refusal logs one line with its
reason, never the body or the secret.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from plain_gateway.webhooks import (
    SIGNATURE_HEADER,
    WebhookError,
    WebhookSignatureError,
    webhook_parse,
)
from portal.webhooks import services

logger = logging.getLogger(__name__)


def _refuse(status: int, reason: str, detail: str) -> JsonResponse:
    logger.warning("Plain webhook refused (%s, HTTP %d): %s", reason, status, detail)
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
def plain_webhook(request: HttpRequest) -> JsonResponse:
    limit = int(settings.PLAIN_WEBHOOK_MAX_BYTES)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        return _refuse(400, "malformed", "the Content-Length is not a number")
    if int(declared) > limit:
        return _refuse(413, "too_large", f"a body of {declared} bytes is over {limit}")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(413, "too_large", f"the body is over {limit} bytes")
    secret = services.webhook_secret()
    if not secret:
        return _refuse(503, "not_configured", "PLAIN_HMAC_SECRET is not set")
    try:
        event = webhook_parse(
            body=body, signature=request.headers.get(SIGNATURE_HEADER), secret=secret
        )
    except WebhookError as error:
        status = 401 if isinstance(error, WebhookSignatureError) else 400
        return _refuse(status, error.reason, str(error))
    received = services.inbox_receive(event=event)
    return JsonResponse({"received": event.id, "duplicate": not received.created})
