from __future__ import annotations

import uuid
import zoneinfo
from functools import lru_cache
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this system knows (read once: listing them scans the disk)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in time_zone_names():
        raise ValidationError("%(value)s is not a known time zone.", params={"value": value})


# Every Plain customer the portal makes has an externalId starting so; reconciliation tells the
# portal's customers from others by it.
PLAIN_CUSTOMER_PREFIX = "portal-user-"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        # Addresses are stored lowercased; "Alice@Acme.test" must log in as alice@acme.test.
        return self.get(email__iexact=(username or "").strip())

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in to the portal. The email address is the login.

    An account with an `auth_source` is managed by the company's product or identity provider
    (portal/accounts/provisioning.py): it signs in only through that source, never with a
    password, and its email, name and memberships follow what the source says.
    """

    class AuthSource(models.TextChoices):
        LOCAL = "", "Portal password"
        JWT = "jwt", "Single sign-on (signed handoff)"
        OIDC = "oidc", "OpenID Connect"
        SCIM = "scim", "SCIM provisioning"

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Stable id sent to Plain as the customer's externalId; never changes, unlike the email.
    portal_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Plain's customer id (c_...), kept once the customer has been upserted.
    plain_customer_id = models.CharField(max_length=64, blank=True, default="")
    # IANA name the user's times are shown in; blank until known, meaning settings.TIME_ZONE.
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
        help_text="An IANA name such as Europe/Paris; blank for the site's default.",
    )
    # The product's (or identity provider's) id of this person: the JWT `sub`. Blank for a local
    # account; unique otherwise, so one subject is always one account.
    external_id = models.CharField("external id", max_length=255, blank=True, default="")
    # Where the account is managed; blank: a local account with a password.
    auth_source = models.CharField(
        "managed by", max_length=16, blank=True, default="", choices=AuthSource.choices
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="unique_user_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_externally_managed(self) -> bool:
        """Whether the account comes from SSO or provisioning (no password login, no reset)."""
        return bool(self.auth_source)

    @property
    def plain_external_id(self) -> str:
        return f"{PLAIN_CUSTOMER_PREFIX}{self.portal_id}"

    def get_full_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    def get_short_name(self) -> str:
        return self.get_full_name().split(" ")[0]


class UsedSsoToken(models.Model):
    """The id (`jti`) of a single sign-on token that has been accepted, kept until it expires.

    The unique jti makes a replay fail on insert; the insert shares the transaction that
    provisions and signs the user in, so of two concurrent uses of one token exactly one commits.
    Rows past `expires_at` are pruned: by then the token itself is refused as expired.
    """

    jti = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=255, blank=True, default="")
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "used single sign-on token"

    def __str__(self) -> str:
        return self.jti
