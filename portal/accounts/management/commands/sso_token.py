"""`manage.py sso_token EMAIL [--org ID:NAME:ROLE ...] [--return-to PATH]`: a demo sign-in link.

Plays the product's side of the signed handoff (portal/accounts/sso.py) for a local checkout:
mints a short-lived HS256 token for an existing user with the configured secret (the demo secret
with DEBUG over the embedded emulator) and prints the full sign-in URL, PORTAL_PUBLIC_URL +
/sso/jwt/?token=... . The token names the user's current organisations unless `--org` is given;
an organisation of theirs with no external id is given its slug as one (as a product would have
its own id for it), so the handoff keeps them in it rather than creating a new organisation.

Using the link makes the account an SSO account: from then on it signs in through the handoff,
not with its password. Refused with DEBUG off: a production portal's tokens come from the
product, which alone should hold the key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.http import url_has_allowed_host_and_scheme

from portal.accounts import sso
from portal.accounts.models import User
from portal.tenancy.models import Membership, Organization


class Command(BaseCommand):
    help = "Print a single sign-on link for an existing user (a local checkout, DEBUG on, only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The user's email address.")
        parser.add_argument(
            "--org",
            action="append",
            default=None,
            metavar="ID:NAME:ROLE",
            help="An organisation the token names (repeat it); role member or admin. "
            "Default: the user's current organisations.",
        )
        parser.add_argument(
            "--return-to", default="", metavar="PATH", help="Where to land, e.g. /threads/new/."
        )

    def handle(self, *args: Any, email: str, org: list[str] | None, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "sso_token mints demo tokens for a local checkout: run it with DJANGO_DEBUG=true. "
                "In production the product signs the tokens."
            )
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        if user.is_staff or user.is_superuser:
            raise CommandError("Staff accounts sign in with their password, not through SSO.")
        return_to = options["return_to"]
        if return_to and not (
            return_to.startswith("/")
            and url_has_allowed_host_and_scheme(return_to, allowed_hosts=None)
        ):
            raise CommandError("--return-to must be a path on the portal, such as /threads/.")
        orgs = [_org_claim(value) for value in org] if org is not None else _current_orgs(user)
        try:
            token = sso.sso_token_mint(
                user=user, orgs=orgs, lifetime_seconds=settings.SSO_JWT_MAX_AGE_SECONDS
            )
        except sso.SsoUnavailable as error:
            raise CommandError(str(error)) from None
        query = {"token": token, **({"return_to": return_to} if return_to else {})}
        self.stdout.write(f"{settings.PORTAL_PUBLIC_URL.rstrip('/')}/sso/jwt/?{urlencode(query)}")
        self.stderr.write(
            f"Valid for {settings.SSO_JWT_MAX_AGE_SECONDS} s, once. {user.email} then signs in "
            "through single sign-on only (no password)."
        )


def _org_claim(value: str) -> dict[str, str]:
    parts = value.split(":")
    if len(parts) < 3 or not parts[0] or parts[-1] not in Membership.Role.values:
        raise CommandError(f"--org {value!r}: expected ID:NAME:ROLE, role member or admin.")
    return {"id": parts[0], "name": ":".join(parts[1:-1]), "role": parts[-1]}


def _current_orgs(user: User) -> list[dict[str, str]]:
    claims = []
    for membership in Membership.objects.filter(user=user).select_related("organization"):
        organization = membership.organization
        if not organization.external_id:
            external_id = organization.slug
            if Organization.objects.filter(external_id=external_id).exists():
                external_id = f"{organization.slug}-{organization.pk}"
            # update(): no signal; nothing Plain knows changes.
            Organization.objects.filter(pk=organization.pk, external_id="").update(
                external_id=external_id
            )
            organization.refresh_from_db(fields=["external_id"])
        claims.append(
            {"id": organization.external_id, "name": organization.name, "role": membership.role}
        )
    return claims
