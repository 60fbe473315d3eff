"""The customer-facing URLs, namespace "support". "/" leads to the thread list."""

from django.urls import path
from django.views.generic import RedirectView

from portal.support import views

app_name = "support"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="support:thread_list"), name="home"),
    path("threads/", views.thread_list, name="thread_list"),
    path("threads/new/", views.thread_create, name="thread_create"),
    # A request or reply saved while Plain was unreachable (its key, not a Plain id).
    path("threads/saved/<str:key>/", views.submission_detail, name="submission_detail"),
    path("threads/<str:thread_id>/", views.thread_detail, name="thread_detail"),
    path("threads/<str:thread_id>/reply/", views.thread_reply, name="thread_reply"),
    path("threads/<str:thread_id>/resolve/", views.thread_resolve, name="thread_resolve"),
    path("threads/<str:thread_id>/reopen/", views.thread_reopen, name="thread_reopen"),
    path(
        "threads/<str:thread_id>/attachments/<str:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
]
