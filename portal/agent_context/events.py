"""Signal receivers that record customer events whoever makes the change (services, the admin,
the shell): joining or leaving an organisation, an email change, a deactivation, and a login
lockout (django-axes' `user_locked_out`). portal/agent_context/services.py writes the rows.

Membership saves and deletions run in a transaction (Membership.save wraps itself; Django
deletes in one), so their rows share it. A User's rows are written in post_save, after the change
and in its transaction when the caller has one (the admin does): never for a save that failed.
An autocommit save has no transaction to share, so a crash between the save and the row loses
that one event; an event is context for agents, not a customer's words, so that is accepted.

Bulk queryset operations (update(), bulk_create()) send no signals and record nothing.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from portal.accounts.models import User
from portal.agent_context import services
from portal.tenancy.models import Membership, Organization

_OLD = "_agent_events_old_state"


# --- memberships ---------------------------------------------------------------------------------


def _membership_record(*, user_id: int, organization_id: int, joined: bool) -> None:
    user = User.objects.filter(pk=user_id).first()
    name = Organization.objects.filter(pk=organization_id).values_list("name", flat=True).first()
    if user is None or name is None:  # pragma: no cover - both exist inside the change
        return
    services.membership_event_record(user=user, organization_name=name, joined=joined)


@receiver(pre_save, sender=Membership, dispatch_uid="agent_context.membership_pre_save")
def _membership_pre_save(sender: Any, instance: Membership, raw: bool, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    setattr(
        instance,
        _OLD,
        Membership.objects.filter(pk=instance.pk).values("user_id", "organization_id").first(),
    )


@receiver(post_save, sender=Membership, dispatch_uid="agent_context.membership_post_save")
def _membership_post_save(
    sender: Any, instance: Membership, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw:
        return
    old = instance.__dict__.pop(_OLD, None)
    now = {"user_id": instance.user_id, "organization_id": instance.organization_id}
    if not created and old is not None:
        if old == now:
            return  # a role change
        # The admin's inline can point an existing row at another user or organisation.
        _membership_record(**old, joined=False)
    _membership_record(**now, joined=True)


@receiver(post_delete, sender=Membership, dispatch_uid="agent_context.membership_post_delete")
def _membership_post_delete(sender: Any, instance: Membership, **kwargs: Any) -> None:
    # Inside the deletion's transaction, before a cascading user or organisation row goes.
    _membership_record(
        user_id=instance.user_id, organization_id=instance.organization_id, joined=False
    )


# --- users ---------------------------------------------------------------------------------------


@receiver(pre_save, sender=User, dispatch_uid="agent_context.user_pre_save")
def _user_pre_save(sender: Any, instance: User, raw: bool, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"email", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: skip the extra read
    old = User.objects.filter(pk=instance.pk).values("email", "is_active").first()
    setattr(instance, _OLD, old)


@receiver(post_save, sender=User, dispatch_uid="agent_context.user_post_save")
def _user_post_save(sender: Any, instance: User, raw: bool, **kwargs: Any) -> None:
    old = instance.__dict__.pop(_OLD, None)
    if raw or old is None:
        return
    if old["email"] != instance.email:
        services.email_changed_record(user=instance, old_email=old["email"])
    if old["is_active"] and not instance.is_active:
        services.account_deactivated_record(user=instance)


# --- login lockouts ------------------------------------------------------------------------------


@receiver(user_locked_out, dispatch_uid="agent_context.user_locked_out")
def _user_locked_out(
    sender: Any, username: str | None = None, ip_address: str | None = None, **kwargs: Any
) -> None:
    services.login_locked_out_record(
        username=username or "",
        ip_address=ip_address,
        cool_off=getattr(settings, "AXES_COOLOFF_TIME", None),
    )
