"""Forms of the accounts app: the rate-limited login form and the admin's user forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordResetForm,
    UserChangeForm,
)
from django.core.exceptions import ValidationError

from portal.accounts.models import User
from portal.accounts.throttling import login_client_failure_record, login_client_over_limit

RATE_LIMITED_CODE = "rate_limited"


class LoginForm(AuthenticationForm):
    """Django's login form, refusing attempts once too many have failed recently.

    The (account, client) lock is django-axes' (portal/accounts/throttling.py): its backend
    refuses before any password is checked, so a guess made while locked learns nothing, and
    this form says why. The per-client cap is checked here, before authenticating.
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
        # The login is an email address: the right keyboard on a phone, and the browser's check.
        username = self.fields["username"].widget
        username.input_type = "email"
        username.attrs["autocomplete"] = "email"

    def clean(self) -> dict[str, Any]:
        if self.request is not None and login_client_over_limit(self.request):
            raise ValidationError(self.error_messages[RATE_LIMITED_CODE], code=RATE_LIMITED_CODE)
        try:
            return super().clean()
        except ValidationError:
            if self.request is None:
                raise
            login_client_failure_record(self.request)
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(
                    self.error_messages[RATE_LIMITED_CODE], code=RATE_LIMITED_CODE
                ) from None
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


class ManagedAwarePasswordResetForm(PasswordResetForm):
    """Django's reset form, mailing no account managed by SSO or provisioning: their source
    decides who they are, so a reset link would be a way to take them over. The view answers
    exactly as for an unknown address."""

    def get_users(self, email: str) -> Iterator[Any]:
        return (user for user in super().get_users(email) if not user.auth_source)
