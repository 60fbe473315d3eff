"""SCIM 2.0 under /scim/v2/ (the issue's contract). A trailing slash is accepted everywhere:
identity providers differ on it, and a redirect would lose a POST's body."""

from django.urls import path, re_path

from portal.scim import views

app_name = "scim"

urlpatterns = [
    path("", views.not_found, name="root"),
    re_path(r"^ServiceProviderConfig/?$", views.service_provider_config),
    re_path(r"^ResourceTypes/?$", views.resource_types),
    re_path(r"^ResourceTypes/(?P<name>[^/]+)/?$", views.resource_types),
    re_path(r"^Schemas/?$", views.schemas),
    re_path(r"^Schemas/(?P<urn>[^/]+)/?$", views.schemas),
    re_path(r"^Users/?$", views.users, name="users"),
    re_path(r"^Users/(?P<scim_id>[^/]+)/?$", views.user, name="user"),
    re_path(r"^Groups/?$", views.groups, name="groups"),
    re_path(r"^Groups/(?P<scim_id>[^/]+)/?$", views.group, name="group"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
