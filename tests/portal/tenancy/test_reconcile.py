"""Reconciliation (services.tenants_reconcile) and `manage.py sync_tenants`."""

from __future__ import annotations

import io
import math

import pytest
from django.core.management import CommandError, call_command

from portal.tenancy import services, tasks
from portal.tenancy.models import Membership, Organization, RetiredTenant
from tests.factories import UserFactory
from tests.portal.tenancy.conftest import plain_memberships, reads, tenants_of, writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sync):
    """Acme (alice, bob) and Globex (carol), all in sync with Plain."""
    with sync():
        acme = services.organization_create(name="Acme", slug="acme")
        globex = services.organization_create(name="Globex", slug="globex")
        users = {}
        for email, org in (
            ("alice@acme.test", acme),
            ("bob@acme.test", acme),
            ("carol@globex.test", globex),
        ):
            users[email] = UserFactory(email=email)
            services.membership_add(user=users[email], organization=org)
    for user in users.values():
        user.refresh_from_db()
    return {"acme": acme, "globex": globex, **users}


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("sync_tenants", *args, stdout=out, stderr=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


def test_nothing_to_do_makes_no_writes_and_reads_pages_of_100(world, emulator_control):
    emulator_control.clear_requests()

    report = services.tenants_reconcile(apply=True)

    assert report.in_sync and report.writes == 0
    assert writes(emulator_control) == {}
    pages = reads(emulator_control)
    assert pages and all(p["variables"]["first"] == 100 for p in pages)
    assert report.reads == len(pages) == 1


def test_large_tenants_are_read_in_pages_of_100(world, sync, emulator_control):
    acme = world["acme"]
    users = [UserFactory(email=f"member{n}@acme.test") for n in range(230)]
    with sync():
        Membership.objects.bulk_create([Membership(user=u, organization=acme) for u in users])
        # bulk_create sent no signal: this reconciliation is the only way they reach Plain.
        services.tenants_reconcile(apply=True)
    emulator_control.clear_requests()

    code, out = run("--check")

    assert code == 0, out
    assert writes(emulator_control) == {}
    pages = reads(emulator_control)
    assert len(pages) == math.ceil(233 / 100)
    assert all(p["variables"]["first"] == 100 for p in pages)


def test_check_reports_drift_and_exits_1_without_writing(world, plain, emulator_control):
    alice = world["alice@acme.test"]
    plain.remove_customer_from_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["org-acme"]
    )
    emulator_control.clear_requests()

    code, out = run("--check")

    assert code == 1
    assert f"drift: add alice@acme.test ({alice.plain_customer_id}) to org-acme" in out
    assert writes(emulator_control) == {}


def test_check_exits_0_when_in_sync(world):
    code, out = run("--check")
    assert code == 0
    assert "in sync" in out


def test_dry_run_prints_the_writes_and_makes_none(world, plain, emulator_control):
    carol = world["carol@globex.test"]
    plain.add_customer_to_tenants(
        customer_id=carol.plain_customer_id, tenant_external_ids=["org-acme"]
    )
    emulator_control.clear_requests()

    code, out = run("--dry-run")

    assert code == 0
    assert f"would: remove carol@globex.test ({carol.plain_customer_id}) from org-acme" in out
    assert "1 writes would be made." in out
    assert writes(emulator_control) == {}
    assert tenants_of(plain, "carol@globex.test") == {"org-acme", "org-globex"}


def test_repair_uses_one_write_per_drifted_customer(world, plain, emulator_control):
    alice, carol = world["alice@acme.test"], world["carol@globex.test"]
    plain.remove_customer_from_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["org-acme"]
    )
    plain.add_customer_to_tenants(
        customer_id=carol.plain_customer_id, tenant_external_ids=["org-acme"]
    )
    emulator_control.clear_requests()

    code, out = run()

    assert code == 0, out
    assert "2 writes made." in out
    assert writes(emulator_control) == {"addCustomerToTenants": 1, "removeCustomerFromTenants": 1}
    assert plain_memberships(plain) == {
        "alice@acme.test": {"org-acme"},
        "bob@acme.test": {"org-acme"},
        "carol@globex.test": {"org-globex"},
    }
    assert run("--check")[0] == 0


def test_unmanaged_tenants_survive_and_strangers_leave_managed_ones(world, plain):
    alice = world["alice@acme.test"]
    plain.upsert_tenant(external_id="zendesk-org-5", name="Imported")
    stranger, _ = plain.upsert_customer(
        external_id="crm-9", email="stranger@crm.test", full_name="Stranger"
    )
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["zendesk-org-5"]
    )
    plain.add_customer_to_tenants(
        customer_id=stranger.id, tenant_external_ids=["zendesk-org-5", "org-globex"]
    )

    code, out = run()

    assert code == 0, out
    memberships = plain_memberships(plain)
    assert memberships["alice@acme.test"] == {"org-acme", "zendesk-org-5"}
    assert memberships["stranger@crm.test"] == {"zendesk-org-5"}


def test_retired_tenants_are_cleaned_of_portal_customers_only(world, sync, plain):
    acme, alice = world["acme"], world["alice@acme.test"]
    with sync():
        acme.tenant_external_id = "acme-eu"
        acme.save()
    stranger, _ = plain.upsert_customer(
        external_id="crm-9", email="stranger@crm.test", full_name="Stranger"
    )
    plain.add_customer_to_tenants(customer_id=stranger.id, tenant_external_ids=["org-acme"])
    # Someone puts alice back into the old tenant by hand: the portal manages it still.
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["org-acme"]
    )

    code, out = run()

    assert code == 0, out
    memberships = plain_memberships(plain)
    assert memberships["alice@acme.test"] == {"acme-eu"}
    assert memberships["stranger@crm.test"] == {"org-acme"}
    # Once staff forget the retired tenant, it is unmanaged: hand-made memberships stay.
    RetiredTenant.objects.all().delete()
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["org-acme"]
    )
    assert run()[0] == 0
    assert tenants_of(plain, "alice@acme.test") == {"acme-eu", "org-acme"}


def test_a_deleted_users_customer_is_taken_out_by_reconciliation(world, plain):
    # The user went with a bulk delete that the outbox did not see.
    bob = world["bob@acme.test"]
    Membership.objects.filter(user=bob).delete()
    from portal.accounts.models import User

    User.objects.filter(pk=bob.pk)._raw_delete(User.objects.db)
    plain.add_customer_to_tenants(
        customer_id=bob.plain_customer_id, tenant_external_ids=["org-acme"]
    )

    assert run()[0] == 0
    assert tenants_of(plain, "bob@acme.test") == set()


def test_missing_tenants_and_customers_are_created(sync, plain, emulator_control):
    [quiet] = Organization.objects.bulk_create(
        [Organization(name="Quiet", slug="quiet", tenant_external_id="org-quiet")]
    )
    user = UserFactory(email="q@quiet.test")
    Membership.objects.bulk_create([Membership(user=user, organization=quiet)])

    code, out = run("--check")
    assert code == 1
    assert "drift: upsert tenant org-quiet (missing in Plain)" in out
    assert "drift: add q@quiet.test (new customer) to org-quiet" in out
    assert "2 writes would be made." in run("--dry-run")[1]

    emulator_control.clear_requests()
    code, out = run()
    assert code == 0, out
    assert "2 writes made." in out
    assert writes(emulator_control) == {"upsertTenant": 1, "upsertCustomer": 1}
    assert tenants_of(plain, "q@quiet.test") == {"org-quiet"}
    quiet.refresh_from_db()
    assert quiet.plain_tenant_id and quiet.last_synced_at


def test_org_option_limits_the_scope(world, plain, emulator_control):
    alice, carol = world["alice@acme.test"], world["carol@globex.test"]
    for user, tenant in ((alice, "org-acme"), (carol, "org-globex")):
        plain.remove_customer_from_tenants(
            customer_id=user.plain_customer_id, tenant_external_ids=[tenant]
        )

    code, out = run("--org", "globex")

    assert code == 0, out
    assert tenants_of(plain, "carol@globex.test") == {"org-globex"}
    assert tenants_of(plain, "alice@acme.test") == set()
    assert "1 organisations, 1 managed tenants" in out


def test_an_unknown_org_is_an_error(world):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("sync_tenants", "--org", "nope", stdout=io.StringIO())


def test_the_periodic_task_repairs_through_the_outbox(world, sync, plain):
    alice = world["alice@acme.test"]
    plain.remove_customer_from_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["org-acme"]
    )

    with sync():
        assert tasks.tenants_reconcile.delay().get() == 1

    assert tenants_of(plain, "alice@acme.test") == {"org-acme"}
    assert alice.plain_customer_id in {
        row.payload.get("customer_id")
        for row in world["acme"].sync_events.filter(kind="drift_repair", status="done")
    }


def test_plain_unreachable_is_a_command_error(world, emulator_control):
    emulator_control.fail_next(count=100, status=503)
    with pytest.raises(CommandError, match="Plain could not be read"):
        call_command("sync_tenants", "--check", stdout=io.StringIO())
