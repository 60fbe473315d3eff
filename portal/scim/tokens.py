"""Bearer tokens of SCIM clients: made once, stored as a digest, checked in constant time.

A token reads `scim_<key>_<secret>`. The key is public and finds the client's row; the SHA-256
digest of the whole token is then compared with hmac.compare_digest, so how long a check takes
says nothing about how much of a guessed secret was right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from portal.scim.models import ScimClient

__all__ = ["client_authenticate", "client_create", "client_revoke"]

TOKEN_PREFIX = "scim_"
# last_used_at is written at most this often per client, not on every request of a sync run.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Longer headers are refused before any hashing or lookup.
MAX_TOKEN_LENGTH = 200


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_create(*, name: str) -> tuple[ScimClient, str]:
    """A new client and its token. The token is returned this once and never stored."""
    key = secrets.token_hex(8)
    token = f"{TOKEN_PREFIX}{key}_{secrets.token_urlsafe(32)}"
    client = ScimClient.objects.create(name=name, key=key, token_digest=_digest(token))
    return client, token


def client_revoke(*, client: ScimClient) -> None:
    """Refuse the client's token from now on (the row stays, for the record)."""
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])


def client_authenticate(*, authorization: str) -> ScimClient | None:
    """The live client whose token the `Authorization` header carries, or None."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    key = (
        token.removeprefix(TOKEN_PREFIX).partition("_")[0] if token.startswith(TOKEN_PREFIX) else ""
    )
    client = ScimClient.objects.filter(key=key).first() if key else None
    # Digest and compare even when no row matched, so a wrong key costs as long as a wrong secret.
    expected = client.token_digest if client is not None else _digest(secrets.token_hex(16))
    if not hmac.compare_digest(_digest(token), expected) or client is None:
        return None
    if client.revoked_at is not None:
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_RESOLUTION:
        ScimClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client
