"""The preferences page (logged in) and the one-click unsubscribe (a signed link, no login).

The unsubscribe URL answers GET with a confirmation page and POST by unsubscribing. Mail clients
POST `List-Unsubscribe=One-Click` to it without a CSRF token (RFC 8058), so it is exempt: the
signed token is what authorises the change, and all it can do is stop emails.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal.accounts.requests import AuthenticatedHttpRequest
from portal.notifications import selectors, services
from portal.notifications.forms import FOLLOW_DEFAULT, OrganizationDefaultForm, PreferenceForm
from portal.tenancy.models import Organization


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PreferenceForm(initial={"scope": selectors.preference_of(user=user) or FOLLOW_DEFAULT})
    if request.method == "POST":
        if "organization" in request.POST:
            default_form = OrganizationDefaultForm(request.POST)
            if default_form.is_valid():
                organization = Organization.objects.filter(
                    pk=default_form.cleaned_data["organization"]
                ).first()
                if organization is None:
                    raise Http404
                try:
                    services.organization_default_set(
                        organization=organization,
                        scope=default_form.cleaned_data["scope"],
                        by=user,
                    )
                except PermissionDenied:
                    raise Http404 from None
                messages.success(request, f"Default saved for {organization.name}.")
                return redirect("notifications:preferences")
        else:
            form = PreferenceForm(request.POST)
            if form.is_valid():
                services.preference_set(user=user, scope=form.chosen())
                messages.success(request, "Email preferences saved.")
                return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "defaults": selectors.organization_defaults_for(user=user)},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = services.unsubscribe_user(token=token)
    if user is None:
        raise Http404
    if request.method == "POST":
        services.user_unsubscribe(user=user)
        return render(request, "notifications/unsubscribed.html", {"email": user.email})
    return render(request, "notifications/unsubscribe.html", {"email": user.email})
