from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from portal.health import healthz


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and tools ask for whatever the page's <link rel=icon> says:
    the site's icon (static/img/favicon.svg), rather than a 404 in every log."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# Django's default 400 view reads the body again; see portal/errors.py.
handler400 = "portal.errors.bad_request"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
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
