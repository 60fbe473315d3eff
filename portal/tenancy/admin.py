"""The Django admin for organisations, their Plain tenants, and the sync outbox.

Every change made here (inline memberships, renames, re-maps, deletions) reaches Plain through the
outbox the model signals write, in the admin's own transaction. Reads of Plain (the tenant
search) and writes go through portal/tenancy's selectors and services; nothing here talks to the
gateway directly.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from plain_gateway import PlainError
from portal.outbox.admin import OutboxAdmin
from portal.tenancy import selectors, services
from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent

RECENT_ROWS = 15


def _event_count(status: str) -> Coalesce:
    counts = (
        SyncEvent.objects.filter(organization=OuterRef("pk"), status=status)
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _sync_state_html(state: selectors.OrganizationSyncState) -> str:
    html = format_html('<strong class="sync-state--{}">{}</strong>', state.state, state.label)
    if state.last_error:
        html = format_html("{}<br><small>{}</small>", html, Truncator(state.last_error).chars(300))
    return html


class MembershipInline(admin.StackedInline):
    """Stacked, not tabular: every field keeps its own <label> (a tabular inline's cells have
    none, which axe reports as select-name and label), and it fits a phone. The user is an id
    with a lookup link rather than select2's autocomplete, whose combobox has no name."""

    model = Membership
    extra = 1
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    verbose_name = "member"
    verbose_name_plural = "members"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    change_form_template = "admin/tenancy/organization/change_form.html"
    list_display = (
        "name",
        "slug",
        "tenant_external_id",
        "member_count",
        "sync_state",
        "last_synced_at",
    )
    list_display_links = ("name",)
    search_fields = ("name", "slug", "external_id", "tenant_external_id", "plain_tenant_id")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
    actions = ["sync_now"]
    readonly_fields = (
        "plain_tenant_id",
        "sync_state_detail",
        "last_synced_at",
        "recent_sync_rows",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "slug")}),
        (
            "Product",
            {
                "fields": ("external_id",),
                "description": (
                    "Single sign-on and provisioning find the organisation by this id, and keep "
                    "its name and members as the product says. Set it to let the product take "
                    "over an organisation created here."
                ),
            },
        ),
        (
            "Plain tenant",
            {
                "fields": ("tenant_external_id", "plain_tenant_id"),
                "description": (
                    "Changing the external id re-maps the organisation: its members move out of "
                    "the old tenant and into the new one (created if Plain has none). To pick a "
                    "tenant that already exists in Plain, use “Map to an existing Plain tenant”."
                ),
            },
        ),
        (
            "Sync with Plain",
            {"fields": ("sync_state_detail", "last_synced_at", "recent_sync_rows")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    class Media:
        # The sync states' colours and the "Sync now" button (no inline style: the CSP).
        css = {"all": ("tenancy/admin.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _member_count=Count("memberships", distinct=True),
                _pending=_event_count(SyncEvent.Status.PENDING),
                _failed=_event_count(SyncEvent.Status.FAILED),
            )
        )

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, organization: Organization) -> int:
        return organization._member_count  # type: ignore[attr-defined]  # get_queryset's annotation

    @admin.display(description="Sync")
    def sync_state(self, organization: Organization) -> str:
        # get_queryset's annotations.
        failed = organization._failed  # type: ignore[attr-defined]
        pending = organization._pending  # type: ignore[attr-defined]
        if failed:
            return format_html('<span class="sync-state--failed">failed ({})</span>', failed)
        if pending:
            return format_html('<span class="sync-state--pending">pending ({})</span>', pending)
        return format_html('<span class="sync-state--in_sync">{}</span>', "in sync")

    @admin.display(description="Sync state")
    def sync_state_detail(self, organization: Organization) -> str:
        if organization.pk is None:
            return "Not created yet."
        return _sync_state_html(selectors.organization_sync_state(organization=organization))

    @admin.display(description="Outbox rows")
    def recent_sync_rows(self, organization: Organization) -> str:
        if organization.pk is None:
            return "—"
        rows = list(SyncEvent.objects.filter(organization=organization)[:RECENT_ROWS])
        all_url = (
            reverse("admin:tenancy_syncevent_changelist")
            + f"?organization__id__exact={organization.pk}"
        )
        if not rows:
            return format_html('None yet. <a href="{}">Outbox</a>', all_url)
        body = format_html_join(
            "",
            '<tr><td class="sync-rows__created">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            "<td>{}</td></tr>",
            (
                (
                    row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    row.get_kind_display(),
                    row.user_email or "—",
                    row.get_status_display(),
                    row.attempts,
                    Truncator(row.last_error).chars(200) or "—",
                )
                for row in rows
            ),
        )
        return format_html(
            '<table class="sync-rows"><thead><tr><th>Created</th><th>Change</th><th>User</th>'
            "<th>Status</th><th>Attempts</th><th>Last error</th></tr></thead>"
            "<tbody>{}</tbody></table>"
            '<p><a href="{}">All outbox rows of this organisation</a></p>',
            body,
            all_url,
        )

    # --- sync now ---------------------------------------------------------------------------

    @admin.action(description="Sync now (retry failed rows, repair drift)")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            self._sync_now(request, organization)

    def _sync_now(self, request: HttpRequest, organization: Organization) -> None:
        try:
            report = services.organization_sync_now(organization=organization)
        except PlainError as error:
            self.message_user(
                request,
                f"{organization}: Plain could not be read ({type(error).__name__}); "
                "the outbox keeps retrying.",
                messages.ERROR,
            )
            return
        if report.failed:
            self.message_user(
                request,
                f"{organization}: {len(report.failed)} repairs failed; see the outbox rows.",
                messages.ERROR,
            )
        elif report.drift or report.missing_tenants:
            self.message_user(
                request,
                f"{organization}: repaired {len(report.drift)} customers "
                f"with {report.writes} writes to Plain.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, f"{organization}: in sync with Plain.", messages.SUCCESS)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/sync-now/",
                self.admin_site.admin_view(self.sync_now_view),
                name="tenancy_organization_sync_now",
            ),
            path(
                "<path:object_id>/map-tenant/",
                self.admin_site.admin_view(self.map_tenant_view),
                name="tenancy_organization_map_tenant",
            ),
        ]
        return own + super().get_urls()

    def _get_changeable(self, request: HttpRequest, object_id: str) -> Organization:
        organization = self.get_object(request, unquote(object_id))
        if organization is None:
            raise Http404("No such organisation.")
        if not self.has_change_permission(request, organization):
            raise PermissionDenied
        return organization

    def _change_url(self, organization: Organization) -> str:
        return reverse("admin:tenancy_organization_change", args=[organization.pk])

    def sync_now_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._sync_now_post)(request, object_id)

    def _sync_now_post(self, request: HttpRequest, object_id: str) -> HttpResponse:
        organization = self._get_changeable(request, object_id)
        self._sync_now(request, organization)
        return HttpResponseRedirect(self._change_url(organization))

    # --- map onto an existing Plain tenant --------------------------------------------------

    def map_tenant_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        organization = self._get_changeable(request, object_id)
        if request.method == "POST":
            return self._map_tenant_post(request, organization)
        term = request.GET.get("q", "").strip()
        results: list[dict[str, object]] = []
        error = ""
        if term:
            try:
                tenants = selectors.tenant_search(term=term)
            except PlainError as exc:
                tenants = []
                error = f"Plain could not be searched ({type(exc).__name__}). Try again."
            mapped = dict(
                Organization.objects.filter(
                    tenant_external_id__in=[t.external_id for t in tenants]
                ).values_list("tenant_external_id", "name")
            )
            results = [
                {
                    "tenant": tenant,
                    "mapped_to": mapped.get(tenant.external_id, ""),
                    "current": tenant.external_id == organization.tenant_external_id,
                }
                for tenant in tenants
            ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": organization,
            "organization": organization,
            "title": f"Map {organization} to an existing Plain tenant",
            "term": term,
            "searched": bool(term),
            "too_short": bool(term) and len(term) < 2,
            "results": results,
            "error": error,
            "change_url": self._change_url(organization),
        }
        return TemplateResponse(request, "admin/tenancy/organization/map_tenant.html", context)

    def _map_tenant_post(self, request: HttpRequest, organization: Organization) -> HttpResponse:
        tenant_id = request.POST.get("tenant_id", "")
        external_id = request.POST.get("external_id", "")
        back = reverse("admin:tenancy_organization_map_tenant", args=[organization.pk])
        try:
            # The choice comes from the browser: confirm that Plain has exactly that tenant.
            tenant = selectors.tenant_find(tenant_id=tenant_id, external_id=external_id)
        except PlainError as error:
            self.message_user(
                request, f"Plain could not be searched ({type(error).__name__}).", messages.ERROR
            )
            return HttpResponseRedirect(back)
        if tenant is None:
            self.message_user(request, "Plain has no such tenant.", messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            services.organization_map_to_tenant(
                organization=organization,
                tenant_id=tenant.id,
                tenant_external_id=tenant.external_id,
            )
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(back)
        self.message_user(
            request,
            f"{organization} now maps to the Plain tenant “{tenant.name}” ({tenant.external_id}); "
            "its members are moving there.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(organization))


@admin.register(SyncEvent)
class SyncEventAdmin(OutboxAdmin):
    """The sync kind of the outbox: read-only, with the outbox's retry action for failed rows."""

    list_display = (
        "created_at",
        "kind",
        "organization_name",
        "user_email",
        "status",
        "attempts",
        "short_error",
        "done_at",
    )
    list_filter = ("status", "kind", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("organization_name", "user_email", "subject", "last_error")
    date_hierarchy = "created_at"
    list_select_related = False
    retry_permission = "tenancy.change_organization"


@admin.register(RetiredTenant)
class RetiredTenantAdmin(admin.ModelAdmin):
    """Tenants organisations used to map to; the portal still takes its customers out of them.

    Deleting one here stops that: the tenant becomes unmanaged.
    """

    list_display = ("external_id", "organization_name", "plain_tenant_id", "retired_at")
    search_fields = ("external_id", "organization_name", "plain_tenant_id")
    readonly_fields = ("external_id", "plain_tenant_id", "organization_id", "organization_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
