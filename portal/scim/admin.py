"""SCIM clients in the admin: create one to get its token (shown on that one page, never
again), revoke one to refuse its token from then on."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from portal.scim.models import ScimClient
from portal.scim.tokens import client_create, client_revoke


@admin.register(ScimClient)
class ScimClientAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "created_at", "last_used_at", "status")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "key")
    readonly_fields = ("key", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    @admin.display(description="Status", ordering="revoked_at")
    def status(self, client: ScimClient) -> str:
        return "revoked" if client.is_revoked else "active"

    def get_fields(self, request: HttpRequest, obj: ScimClient | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("name",)  # the rest is made with the token
        return ("name", "key", "created_at", "last_used_at", "revoked_at")

    def save_model(
        self, request: HttpRequest, obj: ScimClient, form: ModelForm[ScimClient], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        client, token = client_create(name=obj.name)
        obj.pk = client.pk
        obj.key = client.key
        obj.token_digest = client.token_digest
        obj.created_at = client.created_at
        # Read by response_add on this same request; never stored anywhere.
        request._scim_new_token = token  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ScimClient, post_url_continue: str | None = None
    ) -> HttpResponse:
        token = getattr(request, "_scim_new_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "client": obj,
            "token": token,
            "scim_base_url": request.build_absolute_uri("/scim/v2/"),
            "title": f"Token for {obj.name}",
        }
        response = TemplateResponse(request, "admin/scim/scimclient/token.html", context)
        # The page holds a secret: no cache or history keeps it.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected clients' tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ScimClient]) -> None:
        count = 0
        for client in queryset.filter(revoked_at__isnull=True):
            client_revoke(client=client)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
