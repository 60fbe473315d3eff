"""The help center's URLs, namespace "helpcenter", under /help/."""

from django.urls import path

from portal.helpcenter import views

app_name = "helpcenter"
urlpatterns = [
    path("help/", views.help_index, name="index"),
    path("help/suggest/", views.help_suggest, name="suggest"),
    path("help/articles/<slug:slug>/", views.help_article, name="article"),
]
