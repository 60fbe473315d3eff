"""Email preferences and unsubscribing, namespace "notifications"."""

from django.urls import path

from portal.notifications import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.preferences, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
