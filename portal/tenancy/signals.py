"""Model signals that write the sync outbox, whoever makes the change (services, admin, shell).

Every row is written inside the transaction of the change it reports: Organization and
Membership wrap their save() in atomic(), deletions always run in one, and a User's row is written
in pre_save, before the change, so that even an autocommit save never changes a user without
leaving a row behind (a row for a save that then fails is harmless: processing finds nothing to
do). Rows are enqueued on commit (portal/tenancy/services.py).

Bulk queryset operations (update(), bulk_create()) send no signals and so write no rows; the
periodic reconciliation repairs whatever they leave behind.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from portal.tenancy import services
from portal.tenancy.models import Membership, Organization, SyncEvent

User = get_user_model()

_OLD = "_tenancy_old_state"
_PENDING_ROWS = "_tenancy_pending_rows"


# --- organisations ---------------------------------------------------------------------------


@receiver(pre_save, sender=Organization, dispatch_uid="tenancy.organization_pre_save")
def _organization_pre_save(sender: Any, instance: Organization, raw: bool, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    old = (
        Organization.objects.filter(pk=instance.pk)
        .values("name", "tenant_external_id", "plain_tenant_id")
        .first()
    )
    setattr(instance, _OLD, old)
    if (
        old
        and old["tenant_external_id"] != instance.tenant_external_id
        and instance.plain_tenant_id == old["plain_tenant_id"]
    ):
        # The tenant id belonged to the old tenant; the next upsert finds the new one's.
        instance.plain_tenant_id = ""


@receiver(post_save, sender=Organization, dispatch_uid="tenancy.organization_post_save")
def _organization_post_save(
    sender: Any, instance: Organization, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw:
        return
    old = getattr(instance, _OLD, None)
    if hasattr(instance, _OLD):
        delattr(instance, _OLD)
    if created or old is None:
        services.outbox_organization_created(organization=instance)
        return
    if old["tenant_external_id"] != instance.tenant_external_id:
        services.outbox_organization_remapped(
            organization=instance,
            old_external_id=old["tenant_external_id"],
            old_plain_tenant_id=old["plain_tenant_id"],
        )
    elif old["name"] != instance.name:
        services.outbox_organization_renamed(organization=instance)


@receiver(post_delete, sender=Organization, dispatch_uid="tenancy.organization_post_delete")
def _organization_post_delete(sender: Any, instance: Organization, **kwargs: Any) -> None:
    # The memberships went first (each wrote its own row); what is left is to keep managing the
    # tenant so that those rows, and reconciliation, may still clean it.
    services.outbox_organization_deleted(organization=instance)


# --- memberships -----------------------------------------------------------------------------


@receiver(pre_save, sender=Membership, dispatch_uid="tenancy.membership_pre_save")
def _membership_pre_save(sender: Any, instance: Membership, raw: bool, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    setattr(
        instance,
        _OLD,
        Membership.objects.filter(pk=instance.pk).values("user_id", "organization_id").first(),
    )


@receiver(post_save, sender=Membership, dispatch_uid="tenancy.membership_post_save")
def _membership_post_save(
    sender: Any, instance: Membership, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw:
        return
    old = getattr(instance, _OLD, None)
    if hasattr(instance, _OLD):
        delattr(instance, _OLD)
    if created or old is None:
        services.outbox_membership_changed(
            kind=SyncEvent.Kind.MEMBERSHIP_ADDED,
            user_id=instance.user_id,
            organization_id=instance.organization_id,
        )
        return
    if (old["user_id"], old["organization_id"]) == (instance.user_id, instance.organization_id):
        return  # a role change: nothing Plain knows about
    # An existing row pointed at another user or organisation (possible in the admin's inline).
    services.outbox_membership_changed(
        kind=SyncEvent.Kind.MEMBERSHIP_REMOVED,
        user_id=old["user_id"],
        organization_id=old["organization_id"],
    )
    services.outbox_membership_changed(
        kind=SyncEvent.Kind.MEMBERSHIP_ADDED,
        user_id=instance.user_id,
        organization_id=instance.organization_id,
    )


@receiver(post_delete, sender=Membership, dispatch_uid="tenancy.membership_post_delete")
def _membership_post_delete(sender: Any, instance: Membership, **kwargs: Any) -> None:
    # Runs inside the deletion's transaction, before a cascading user or organisation row goes,
    # so both can still be read.
    services.outbox_membership_changed(
        kind=SyncEvent.Kind.MEMBERSHIP_REMOVED,
        user_id=instance.user_id,
        organization_id=instance.organization_id,
    )


# --- users -----------------------------------------------------------------------------------


@receiver(pre_save, sender=User, dispatch_uid="tenancy.user_pre_save")
def _user_pre_save(sender: Any, instance: Any, raw: bool, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"email", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: skip the extra read
    old = User.objects.filter(pk=instance.pk).values("email", "is_active").first()
    if old is None:
        return
    rows = services.outbox_user_changed(
        user=instance,
        email_changed=old["email"] != instance.email,
        activated=instance.is_active and not old["is_active"],
        deactivated=old["is_active"] and not instance.is_active,
    )
    if rows:
        setattr(instance, _PENDING_ROWS, [row.pk for row in rows])


@receiver(post_save, sender=User, dispatch_uid="tenancy.user_post_save")
def _user_post_save(sender: Any, instance: Any, raw: bool, **kwargs: Any) -> None:
    row_ids = getattr(instance, _PENDING_ROWS, None)
    if row_ids:
        delattr(instance, _PENDING_ROWS)
        # Enqueued only now: in autocommit the task could otherwise read the user before the save.
        services.outbox_enqueue_on_commit(event_ids=row_ids)


@receiver(pre_delete, sender=User, dispatch_uid="tenancy.user_pre_delete")
def _user_pre_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    services.outbox_user_deleted(user=instance)
