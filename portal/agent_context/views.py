"""The endpoint Plain asks for customer cards: verify, read our database, answer. Nothing here
calls Plain.

Answers: 200 with every requested card; 401 for a missing or wrong signature (checked before
the body is parsed, and before anything else is read); 400 for a body that is not Plain's card
request; 413 for a body over PLAIN_CUSTOMER_CARDS_MAX_BYTES (refused on its Content-Length
before it is read, and never read past the limit); 503 while no signing secret is configured
or the card settings are invalid; 405 for anything but POST. Never a redirect. Plain sends no
timestamp with a card request, so there is no replay window: a replayed request only reads.
Each refusal logs one line with its reason, never the body or the secret.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from plain_gateway.webhooks import SIGNATURE_HEADER, WebhookSignatureError, verify_signature
from portal.agent_context.cards import (
    CardRequestError,
    card_definitions,
    card_request_parse,
    cards_answer,
)
from portal.webhooks.services import webhook_secret

logger = logging.getLogger(__name__)


def _refuse(status: int, reason: str, detail: str) -> JsonResponse:
    logger.warning("Plain customer-card request refused (%s, HTTP %d): %s", reason, status, detail)
    return JsonResponse({"error": reason, "detail": detail}, status=status)


@csrf_exempt
@require_POST
def plain_customer_cards(request: HttpRequest) -> JsonResponse:
    limit = int(settings.PLAIN_CUSTOMER_CARDS_MAX_BYTES)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        return _refuse(400, "malformed", "the Content-Length is not a number")
    if int(declared) > limit:
        return _refuse(413, "too_large", f"a body of {declared} bytes is over {limit}")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(413, "too_large", f"the body is over {limit} bytes")
    secret = webhook_secret()
    if not secret:
        return _refuse(503, "not_configured", "PLAIN_HMAC_SECRET is not set")
    try:
        verify_signature(body=body, signature=request.headers.get(SIGNATURE_HEADER), secret=secret)
    except WebhookSignatureError as error:
        return _refuse(401, "bad_signature", str(error))
    try:
        card_request = card_request_parse(body)
    except CardRequestError as error:
        return _refuse(400, "malformed", str(error))
    try:
        definitions = card_definitions()
    except ImproperlyConfigured as error:
        return _refuse(503, "not_configured", str(error))
    return JsonResponse({"cards": cards_answer(request=card_request, definitions=definitions)})
