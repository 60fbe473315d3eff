"""Single sign-on URLs, mounted at /sso/ (portal/accounts/sso.py, the views in views.py)."""

from django.urls import path

from portal.accounts.views import sso_jwt

urlpatterns = [
    path("jwt/", sso_jwt, name="sso_jwt"),
]
