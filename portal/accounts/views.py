"""Views of the accounts app. Django's auth views, a rate-limited login and password reset, and
where the browser stores the user's time zone."""

from __future__ import annotations

import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.views.decorators.http import require_POST

from portal.accounts.forms import RATE_LIMITED_CODE, LoginForm
from portal.accounts.models import time_zone_names
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.throttling import password_reset_allowed
from portal.agent_context.services import password_reset_record

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """Email and password login; answers 429 while failed attempts are over the limit."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, RATE_LIMITED_CODE):
            response.status_code = 429
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form; over a limit it sends nothing and answers exactly as when it sends."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if not password_reset_allowed(request=self.request, email=form.cleaned_data["email"]):
            logger.info("Password reset request over the rate limit: no mail sent")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's set-a-new-password step; a completed reset is told to Plain's agents as an
    event (portal/agent_context), recorded in the transaction that saves the password."""

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
