"""SCIM provisioning clients (bearer tokens) and what SCIM keeps about the users it manages.

A client's token is shown once, when it is created; the database keeps only its key (the
public part that finds the row) and a SHA-256 digest of the whole token. The token is 256 bits
of randomness, so a fast digest is enough: nothing can be guessed from it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The externalId the portal makes up for a user or group an identity provider sent without one
# (provisioning needs an id to match on). SCIM answers never show it.
PLACEHOLDER_PREFIX = "scim-generated:"


class ScimClient(models.Model):
    """An identity provider (or the product) allowed to call /scim/v2/ with its bearer token."""

    name = models.CharField(max_length=200, help_text="Who uses this token, e.g. Okta.")
    # The token's public part (`scim_<key>_<secret>`): finds the row without comparing secrets.
    key = models.CharField(max_length=32, unique=True, editable=False)
    # Hex SHA-256 of the whole token; compared in constant time.
    token_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "SCIM client"

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ScimProfile(models.Model):
    """SCIM's own attributes of a user: the name as sent, and whether SCIM deleted the user.

    The portal keeps one full name; identity providers send given and family names, formatted
    and display names separately (Entra ID patches `name.familyName` alone), so the parts are
    kept here to rebuild it and to answer them back as they were sent.
    A user deleted through SCIM stays in the database, deactivated and without memberships
    (their submissions are kept), but is gone for SCIM: not listed, 404 by id, until a create
    brings them back.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_profile"
    )
    given_name = models.CharField(max_length=200, blank=True, default="")
    family_name = models.CharField(max_length=200, blank=True, default="")
    formatted = models.CharField(max_length=200, blank=True, default="")
    display_name = models.CharField(max_length=200, blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SCIM profile"

    def __str__(self) -> str:
        return f"SCIM profile of {self.user}"
