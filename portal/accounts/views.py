"""Views of the accounts app. Django's auth views, a rate-limited login and password reset, the
single sign-on handoff (/sso/jwt/), and where the browser stores the user's time zone.

PORTAL_PASSWORD_LOGIN off turns the password pages off: the login page points to the product
(and refuses a POST), the reset pages are 404s. Accounts managed by SSO or provisioning never
sign in with a password (portal/accounts/backends.py) nor get a reset email (PasswordResetForm).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts import sso
from portal.accounts.forms import RATE_LIMITED_CODE, LoginForm, ManagedAwarePasswordResetForm
from portal.accounts.models import time_zone_names
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.throttling import password_reset_allowed
from portal.agent_context.services import password_reset_record

logger = logging.getLogger(__name__)


def _password_login_off() -> bool:
    return not settings.PORTAL_PASSWORD_LOGIN


class LoginView(auth_views.LoginView):
    """Email and password login; answers 429 while failed attempts are over the limit.

    With PORTAL_PASSWORD_LOGIN off it shows where to sign in instead, and a POST is a 403 that
    checks no password.
    """

    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _password_login_off():
            return _password_login_off_page(request, refused=True)
        return super().post(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _password_login_off() and not request.user.is_authenticated:
            return _password_login_off_page(request, refused=False)
        return super().get(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, RATE_LIMITED_CODE):
            response.status_code = 429
        return response


def _password_login_off_page(request: HttpRequest, *, refused: bool) -> HttpResponse:
    return render(
        request,
        "sso/password_login_off.html",
        {"refused": refused, "sso_login_url": settings.PORTAL_SSO_LOGIN_URL},
        status=403 if refused else 200,
    )


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), then to PORTAL_LOGOUT_REDIRECT_URL (the product) when set."""

    def get_default_redirect_url(self) -> str:
        if settings.PORTAL_LOGOUT_REDIRECT_URL:
            return str(settings.PORTAL_LOGOUT_REDIRECT_URL)
        return super().get_default_redirect_url()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        if not settings.PORTAL_LOGOUT_REDIRECT_URL:
            # The portal's own page comes next (the login page): it says what happened.
            messages.success(request, "You are signed out.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form; over a limit it sends nothing and answers exactly as when it sends.

    Accounts managed by SSO or provisioning get no mail, with the same answer as for an unknown
    address (ManagedAwarePasswordResetForm). A 404 with PORTAL_PASSWORD_LOGIN off.
    """

    form_class = ManagedAwarePasswordResetForm
    # The brand's HTML version beside the text one (templates/registration/).
    html_email_template_name = "registration/password_reset_email_rich.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if _password_login_off():
            raise Http404("Password reset is off.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if not password_reset_allowed(request=self.request, email=form.cleaned_data["email"]):
            logger.info("Password reset request over the rate limit: no mail sent")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's set-a-new-password step; a completed reset is told to Plain's agents as an
    event (portal/agent_context), recorded in the transaction that saves the password. A 404 with
    PORTAL_PASSWORD_LOGIN off, and for an account managed by SSO or provisioning (a link mailed
    before the account was linked must not set a password on it)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if _password_login_off():
            raise Http404("Password reset is off.")
        return super().dispatch(request, *args, **kwargs)

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        if user is not None and user.auth_source:
            return None  # Django then shows its "invalid link" page
        return user

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            password_reset_record(user=form.user)
        return response


@require_POST
@login_required
def time_zone_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Store the user's IANA time zone (POST time_zone=...), as portal.js detects it: 204.

    An unknown name is a 400 and changes nothing. Times on the following pages are shown in it.
    """
    name = (request.POST.get("time_zone") or "").strip()
    if name not in time_zone_names():
        return HttpResponseBadRequest("Unknown time zone.")
    if request.user.time_zone != name:
        request.user.time_zone = name
        request.user.save(update_fields=["time_zone"])
    return HttpResponse(status=204)


# === single sign-on ==========================================================================

DEFAULT_RETURN_TO = "support:thread_list"
_REFUSED_MESSAGES = {
    sso.EXPIRED: "The sign-in link has expired.",
    sso.INVALID: "The sign-in link is invalid.",
    sso.USED: "The sign-in link has already been used.",
}


@csrf_exempt  # the product posts from its own origin; the signed, single-use token is the proof
@never_cache
@require_http_methods(["GET", "POST"])
def sso_jwt(request: HttpRequest) -> HttpResponse:
    """The signed handoff: `token` (GET or POST) and an optional local `return_to` path.

    A valid token provisions its user (portal/accounts/sso.py) and signs them in, then redirects
    to `return_to` (default: the requests list). A refused one gets the refused page (400 for a
    missing token or a `return_to` off this site, 403 for the token, 503 when tokens cannot be
    checked) and one log line with the reason and the jti/sub it claimed; nothing is written.
    A 404 while SSO is off.
    """
    if not sso.sso_enabled():
        raise Http404("Single sign-on is off.")
    data = request.POST if request.method == "POST" else request.GET
    token = (data.get("token") or "").strip()
    return_to = data.get("return_to") or resolve_url(DEFAULT_RETURN_TO)
    if not token:
        return _sso_refused(request, code="invalid", reason="no token", status=400)
    if not _local_path(return_to):
        jti, sub = sso.token_claimed_ids(token)
        return _sso_refused(
            request, code="invalid", reason="return_to off this site", jti=jti, sub=sub, status=400
        )
    try:
        user = sso.sso_token_use(token=token)
    except sso.SsoUnavailable as error:
        logger.error("SSO unavailable: %s", sso.loggable(str(error)))
        return _sso_refused(request, code="unavailable", reason="", status=503, log=False)
    except sso.SsoRefused as refused:
        return _sso_refused(
            request,
            code=refused.public if refused.public in _REFUSED_MESSAGES else "account",
            message=_REFUSED_MESSAGES.get(refused.public, refused.public),
            reason=refused.reason,
            jti=refused.jti,
            sub=refused.sub,
            status=403,
        )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    logger.info("SSO sign-in: user=%s sub=%s", user.pk, sso.loggable(user.external_id))
    # Forgetting expired jtis costs one indexed delete; doing it here needs no scheduled task.
    sso.sso_tokens_prune()
    return HttpResponseRedirect(return_to)


def _local_path(url: str) -> bool:
    """A path on this site: "/..." with no host or scheme (not "//host", not "/\\host")."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts=None, require_https=False
    )


def _sso_refused(
    request: HttpRequest,
    *,
    code: str,
    reason: str,
    status: int,
    message: str = "",
    jti: str = "",
    sub: str = "",
    log: bool = True,
) -> HttpResponse:
    if log:
        logger.warning(
            "SSO token refused: %s (jti=%s sub=%s)", sso.loggable(reason, limit=300), jti, sub
        )
    if not message:
        message = (
            "Signing in is unavailable right now. Please try again in a few minutes."
            if status == 503
            else _REFUSED_MESSAGES[sso.INVALID]
        )
    return render(
        request,
        "sso/refused.html",
        {"code": code, "message": message, "sso_login_url": settings.PORTAL_SSO_LOGIN_URL},
        status=status,
    )
