"""The customer-facing URLs, namespace "support". "/" leads to the thread list."""

from django.urls import path, register_converter
from django.views.generic import RedirectView

from portal.support import views
from portal.support.converters import (
    AttachmentIdConverter,
    SubmissionKeyConverter,
    ThreadIdConverter,
)

# Ids are checked at routing: a malformed one is a 404 before any view runs.
register_converter(ThreadIdConverter, "thread_id")
register_converter(AttachmentIdConverter, "attachment_id")
register_converter(SubmissionKeyConverter, "submission_key")

app_name = "support"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="support:thread_list"), name="home"),
    path("threads/", views.thread_list, name="thread_list"),
    path("threads/new/", views.thread_create, name="thread_create"),
    # Checks for news that open pages poll (204/304 from our database while nothing changed).
    path("threads/live/", views.thread_list_live, name="thread_list_live"),
    # A request or reply saved while Plain was unreachable (its key, not a Plain id).
    path("threads/saved/<submission_key:key>/", views.submission_detail, name="submission_detail"),
    path("threads/<thread_id:thread_id>/", views.thread_detail, name="thread_detail"),
    path("threads/<thread_id:thread_id>/live/", views.thread_live, name="thread_live"),
    path("threads/<thread_id:thread_id>/reply/", views.thread_reply, name="thread_reply"),
    path("threads/<thread_id:thread_id>/resolve/", views.thread_resolve, name="thread_resolve"),
    path("threads/<thread_id:thread_id>/reopen/", views.thread_reopen, name="thread_reopen"),
    path(
        "threads/<thread_id:thread_id>/attachments/<attachment_id:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
]
