from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import slugify


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
    # Plain's tenant id, once known.
    plain_tenant_id = models.CharField("Plain tenant id", max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        if not self.tenant_external_id:
            self.tenant_external_id = f"org-{self.slug}"
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
