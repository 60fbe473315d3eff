"""Forms of the accounts app: the rate-limited login form and the admin's user forms."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, AuthenticationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django_ratelimit.core import get_usage

from portal.accounts.models import User

logger = logging.getLogger(__name__)

# Failed logins allowed per window. Per account: slows guessing one person's password without
# locking them out for long. Per client address: slows spraying one password over many accounts,
# generous because offices share an address.
LOGIN_FAILURES_PER_ACCOUNT = "10/5m"
LOGIN_FAILURES_PER_ADDRESS = "50/5m"
RATE_LIMITED_CODE = "rate_limited"


def _login_account_key(group: str, request: Any) -> str:
    return request.POST.get("username", "").strip().lower()


# (group, key, rate): every failure counts against the account and the address alike.
_LOGIN_LIMITS = (
    ("login-account", _login_account_key, LOGIN_FAILURES_PER_ACCOUNT),
    ("login-address", "ip", LOGIN_FAILURES_PER_ADDRESS),
)


def login_failures_exceeded(request: Any) -> bool:
    """Whether this request's account or address has used up its failed logins for now.

    Fails open: a cache outage must not lock every user out, so it only logs.
    """
    try:
        for group, key, rate in _LOGIN_LIMITS:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
            # limit 0 is the library's way of saying the cache did not answer.
            if usage is not None and usage["limit"] and usage["count"] >= usage["limit"]:
                return True
    except Exception:
        logger.warning("Login rate limit unavailable; allowing the attempt", exc_info=True)
    return False


def login_failure_record(request: Any) -> None:
    try:
        for group, key, rate in _LOGIN_LIMITS:
            get_usage(request, group=group, key=key, rate=rate, increment=True)
    except Exception:
        logger.warning("Login rate limit unavailable; failure not counted", exc_info=True)


class LoginForm(AuthenticationForm):
    """Django's login form, refusing every attempt once too many have failed recently.

    A refused attempt does not check the password, so a guess made while limited learns nothing.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        RATE_LIMITED_CODE: (
            "Too many failed sign-in attempts. Please wait a few minutes and try again."
        ),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels read as the rest of the site writes them
        super().__init__(request, *args, **kwargs)

    def clean(self) -> dict[str, Any]:
        if self.request is not None and login_failures_exceeded(self.request):
            raise ValidationError(self.error_messages[RATE_LIMITED_CODE], code=RATE_LIMITED_CODE)
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None:
                login_failure_record(self.request)
            raise


def _clean_unique_email(form: forms.ModelForm) -> str:
    # The manager lowercases addresses; the admin must too, or "Alice@" and "alice@" coexist.
    email = form.cleaned_data["email"].strip().lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise ValidationError("A user with this email address already exists.", code="unique")
    return email


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class UserAdminChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_unique_email(self)
