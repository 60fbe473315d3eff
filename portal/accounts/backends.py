"""Authentication backends of the portal."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from portal.accounts.models import User


class ManagedAccountGate:
    """Refuses password sign-in for an account managed by SSO or provisioning (`auth_source`
    set), even one staff gave a password in the admin: its source decides who it is.

    Listed before ModelBackend; raising PermissionDenied makes Django's authenticate() stop
    there (answering as for a wrong password, and counting a failure as one). It never signs
    anyone in, so sessions keep ModelBackend's name and stay valid across deploys. Not a
    BaseBackend: without get_user() or permission methods, Django (and the test client's
    force_login) never picks it to read a session or a permission.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username:
            return None
        managed = (
            User.objects.filter(email__iexact=str(username).strip())
            .exclude(auth_source="")
            .exists()
        )
        if managed:
            # As slow as checking a password, so the refusal does not single the account out.
            make_password(password)
            raise PermissionDenied
        return None
