"""The Django admin for users: email is the login; Plain identifiers are shown, never edited.

Memberships are listed here but changed on the organisation's page, where the tenancy services
keep Plain's tenant memberships in step.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from portal.accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from portal.accounts.models import User
from portal.tenancy.models import Membership


def _organisation_link(membership: Membership) -> str:
    label = f"{membership.organization.name} ({membership.get_role_display()})"
    try:
        url = reverse("admin:tenancy_organization_change", args=[membership.organization_id])
    except NoReverseMatch:  # the organisation admin is not registered
        return label
    return format_html('<a href="{}">{}</a>', url, label)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # Plain multiple selects for groups and permissions: the two-box widget's help icons carry
    # ARIA its spans may not have (axe: aria-prohibited-attr), and it sets inline styles the CSP
    # refuses.
    filter_horizontal = ()
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Sign-in", {"fields": ("auth_source", "external_id")}),
        ("Organisations", {"fields": ("organisation_links",)}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Plain", {"fields": ("portal_id", "plain_external_id", "plain_customer_id")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = (
        # Set by provisioning (portal/accounts/provisioning.py): the product owns them.
        "auth_source",
        "external_id",
        "organisation_links",
        "portal_id",
        "plain_external_id",
        "plain_customer_id",
        "last_login",
        "date_joined",
    )
    list_display = (
        "email",
        "full_name",
        "organisation_names",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_filter = (
        "is_staff",
        "is_superuser",
        "is_active",
        "auth_source",
        "memberships__organization",
    )
    search_fields = ("email", "full_name", "external_id")
    ordering = ("email",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        memberships = Membership.objects.select_related("organization").order_by(
            "organization__name"
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("memberships", queryset=memberships))
        )

    @admin.display(description="Organisations")
    def organisation_names(self, user: User) -> str:
        return ", ".join(m.organization.name for m in user.memberships.all()) or "—"

    @admin.display(description="Organisations")
    def organisation_links(self, user: User) -> str:
        memberships = list(user.memberships.all())
        if not memberships:
            return "Not a member of any organisation."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}</li>",
                ((_organisation_link(m),) for m in memberships),
            ),
        )

    @admin.display(description="Plain external id")
    def plain_external_id(self, user: User) -> str:
        return user.plain_external_id
