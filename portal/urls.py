from django.contrib import admin
from django.urls import include, path

from portal.health import healthz

# Django's default 400 view reads the body again; see portal/errors.py.
handler400 = "portal.errors.bad_request"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("portal.accounts.urls")),
    path("", include("portal.webhooks.urls")),
    path("", include("portal.agent_context.urls")),
    path("", include("portal.notifications.urls")),
    path("", include("portal.support.urls")),
    path("", include("portal.helpcenter.urls")),
    path("", include("portal.brand.urls")),
    path("sso/", include("portal.accounts.sso_urls")),
    path("oidc/", include("portal.accounts.oidc")),
    path("scim/v2/", include("portal.scim.urls")),
]
