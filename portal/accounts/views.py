"""Views of the accounts app. Everything but login is Django's auth views, used as they are."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse

from portal.accounts.forms import RATE_LIMITED_CODE, LoginForm


class LoginView(auth_views.LoginView):
    """Email and password login; answers 429 while failed attempts are over the limit."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, RATE_LIMITED_CODE):
            response.status_code = 429
        return response
