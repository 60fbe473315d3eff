"""The authentication backend for portal accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from portal.accounts.models import User


class AccountBackend(ModelBackend):
    """Django's ModelBackend, except that an account managed by SSO or provisioning
    (`auth_source` set) never signs in with a password, even one staff gave it in the admin:
    its source decides who it is. Sessions of such accounts (started by portal/accounts/sso.py
    with this backend) are read back as ModelBackend reads them, so deactivating ends them."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user: User | None = super().authenticate(
            request, username=username, password=password, **kwargs
        )
        if user is not None and user.auth_source:
            return None
        return user
