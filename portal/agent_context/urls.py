"""The customer-card endpoint, at /plain/customer-cards/ (the URL Plain's card configs name).

The form without the trailing slash is routed to the same view: CommonMiddleware's APPEND_SLASH
would otherwise answer it with a redirect, which Plain does not follow.
"""

from django.urls import path

from portal.agent_context import views

app_name = "agent_context"
urlpatterns = [
    path("plain/customer-cards/", views.plain_customer_cards, name="plain_customer_cards"),
    path("plain/customer-cards", views.plain_customer_cards, name="plain_customer_cards_no_slash"),
]
