"""The webhook endpoint, at /plain/webhooks/ (the path Plain's webhook target names).

The form without the trailing slash is routed to the same view: CommonMiddleware's APPEND_SLASH
would otherwise answer it with a redirect, which Plain counts as a failed delivery.
"""

from django.urls import path

from portal.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("plain/webhooks/", views.plain_webhook, name="plain_webhook"),
    path("plain/webhooks", views.plain_webhook, name="plain_webhook_no_slash"),
]
