"""`{% oidc_sign_in next as oidc %}`: the login page's "Sign in with ..." link, or None while
OpenID Connect is off (portal/accounts/oidc.py)."""

from __future__ import annotations

from django import template

from portal.accounts.oidc import oidc_sign_in as _oidc_sign_in

register = template.Library()


@register.simple_tag
def oidc_sign_in(next_url: str = "") -> dict[str, str] | None:
    return _oidc_sign_in(next_url=next_url or "")
