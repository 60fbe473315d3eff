"""Authentication URLs, mounted at /accounts/. URL names are Django's own (login, logout, ...).

Logout accepts POST only (Django's LogoutView), then goes to PORTAL_LOGOUT_REDIRECT_URL when
set. Password reset mails go through EMAIL_URL (the console in a checkout; production must choose
a real one, see portal/production.py) and are rate-limited (portal/accounts/throttling.py).
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from portal.accounts.views import (
    LoginView,
    LogoutView,
    PasswordResetConfirmView,
    PasswordResetView,
    time_zone_set,
)

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("time-zone/", time_zone_set, name="time_zone"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
