"""Gzip for HTML pages where that is safe against BREACH.

BREACH recovers a secret from a compressed response when the same body also reflects text an
attacker chooses, by watching the compressed size across many requests. So compression is for
pages whose only secret is one that changes on every response:
- the support pages (/threads/..., the help centre): their one secret is the CSRF token, in the
  form fields and in `hx-headers` on <body>. Django masks it afresh with a random salt on every
  response (CSRF_USE_SESSIONS is off, so the secret itself lives in the cookie, never in the
  body), and a value that differs on each response cannot be recovered by comparing sizes.
  Django's GZipMiddleware also pads each compressed body with a random length ("Heal The
  Breach"), which blurs the sizes further.
Excluded (served uncompressed):
- /admin/: staff pages show values meant to stay secret (a new SCIM token, once; Plain's
  configuration) on the same pages as reflected input (search boxes, filters, form errors).
- /accounts/: sign-in and password pages reflect what is typed next to one-time values (reset
  links carry tokens in their path), for a user who is not signed in yet.
Only text/html is compressed here: static files come precompressed from WhiteNoise, and the
machine endpoints (webhooks, SCIM) answer small JSON.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

__all__ = ["UNCOMPRESSED_PREFIXES", "CompressionMiddleware"]

UNCOMPRESSED_PREFIXES = ("/admin/", "/accounts/")


class CompressionMiddleware(GZipMiddleware):
    """GZipMiddleware (Vary: Accept-Encoding, weak ETags, random padding) for HTML pages outside
    UNCOMPRESSED_PREFIXES."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.path.startswith(UNCOMPRESSED_PREFIXES):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
