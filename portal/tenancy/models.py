"""Organisations, their members, and the outbox that keeps Plain's tenants in step with them.

An Organization maps onto one Plain tenant (by the tenant's externalId). Every change that Plain
must hear about is written, in the same transaction as the change, as a SyncEvent (the
"tenancy.sync" kind of portal/outbox/); portal/tenancy/signals.py writes them, the outbox's task
delivers them through portal/tenancy/services.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.text import slugify

from portal.outbox.models import OutboxRow


class Organization(models.Model):
    """A customer company of ours, mapped to one Plain tenant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    # The Plain tenant's externalId. Derived from the slug by default; staff may change it to map
    # the organisation onto an existing Plain tenant.
    tenant_external_id = models.CharField(
        "Plain tenant external id",
        max_length=200,
        unique=True,
        blank=True,
        help_text="Leave blank to derive it from the slug.",
    )
    # The product's id of this organisation (a JWT's `orgs[].id`, an identity provider's group):
    # blank for one made by staff; unique otherwise. Provisioning matches organisations on it.
    external_id = models.CharField(
        "external id",
        max_length=255,
        blank=True,
        default="",
        help_text="The product's id of this organisation; single sign-on and provisioning match "
        "on it. Leave blank for an organisation managed here.",
    )
    # Plain's tenant id, once known.
    plain_tenant_id = models.CharField("Plain tenant id", max_length=64, blank=True, default="")
    # When Plain last confirmed this organisation's tenant or memberships (a delivered outbox row
    # or a reconciliation).
    last_synced_at = models.DateTimeField("last synced at", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="unique_organization_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        if not self.tenant_external_id:
            self.tenant_external_id = f"org-{self.slug}"
        # The outbox rows the signals write must commit or roll back with the change itself.
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")
        ]
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # As for Organization: the outbox row shares the change's transaction.
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)


class RetiredTenant(models.Model):
    """A Plain tenant an organisation used to map to (re-mapped away, or the organisation deleted).

    The portal keeps managing it: outbox rows and reconciliation take the portal's own customers
    out of it (and keep them out), while customers the portal does not know stay. Deleting the
    row (staff, in the admin) makes it an ordinary unmanaged tenant again.
    """

    external_id = models.CharField("Plain tenant external id", max_length=200, unique=True)
    plain_tenant_id = models.CharField("Plain tenant id", max_length=64, blank=True, default="")
    # The organisation that mapped to it (a plain id: the organisation may be gone).
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    organization_name = models.CharField(max_length=200, blank=True, default="")
    retired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-retired_at"]

    def __str__(self) -> str:
        return self.external_id


class SyncEvent(OutboxRow):
    """One outbox row: a change Plain must hear about, and how delivering it went.

    `subject` (a `portal.tenancy.subjects.Subject`, stored as its string; the outbox groups rows
    by it) says what is brought in line with the database when the row is processed:
    "org:<id>" (the organisation's tenant: upsertTenant) or "user:<id>" / "customer:<plain id>"
    (a customer's memberships of the managed tenants named in `payload["tenants"]`). Rows of the
    same subject are processed together, and processing reads the current database state, so a
    row is a reminder to look, not an instruction: replaying one, or replaying them out of order,
    converges on the same result.

    The organisation and user are referenced without a database constraint because rows outlive
    them (a deleted user's row still has to remove the customer from its tenants); `payload`
    snapshots what processing needs once they are gone.
    """

    class Kind(models.TextChoices):
        TENANT_UPSERT = "tenant_upsert", "Tenant created or renamed"
        TENANT_REMAP = "tenant_remap", "Organisation re-mapped to another tenant"
        MEMBERSHIP_ADDED = "membership_added", "Membership added"
        MEMBERSHIP_REMOVED = "membership_removed", "Membership removed"
        ORGANIZATION_DELETED = "organization_deleted", "Organisation deleted"
        USER_EMAIL_CHANGED = "user_email_changed", "Email changed"
        USER_ACTIVATED = "user_activated", "User reactivated"
        USER_DEACTIVATED = "user_deactivated", "User deactivated"
        USER_DELETED = "user_deleted", "User deleted"
        DRIFT_REPAIR = "drift_repair", "Drift repair (reconciliation)"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=100, db_index=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="sync_events",
    )
    organization_name = models.CharField(max_length=200, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    user_email = models.CharField(max_length=254, blank=True, default="")
    # {"tenants": [external ids to look at], "customer_id": "c_...", "upsert_customer": bool}
    payload = models.JSONField(default=dict, blank=True)
    # The delivery state (status, attempts, due time, lease, last error) is OutboxRow's.

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "sync outbox row"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="tenancy_sync_due"),
            models.Index(fields=["subject", "status"], name="tenancy_sync_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.subject}, {self.status})"

    @property
    def tenants(self) -> list[str]:
        return list(self.payload.get("tenants", []))
