"""The migration that makes submissions and sync events outbox rows keeps the rows that exist."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("support", "0001_initial"),
    ("tenancy", "0002_sync_outbox"),
    ("accounts", "0002_user_time_zone"),
]
AFTER = [("support", "0002_outbox_row"), ("tenancy", "0003_outbox_row")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_submissions_and_sync_rows_survive_with_their_state():
    old = _migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(email="old@acme.test")
    org = old.get_model("tenancy", "Organization").objects.create(
        name="Acme", slug="acme", tenant_external_id="org-acme"
    )
    sent_at = timezone.now()
    Submission = old.get_model("support", "Submission")
    Submission.objects.create(
        key="sub_sent", kind="thread", user=user, organization=org, status="sent",
        attempts=1, sent_at=sent_at, payload={"text": "delivered"},
    )  # fmt: skip
    Submission.objects.create(
        key="sub_waiting", kind="reply", user=user, thread_id="th_1", status="pending",
        attempts=3, last_error="PlainServerError: 503", payload={"text": "waiting"},
    )  # fmt: skip
    old.get_model("tenancy", "SyncEvent").objects.create(
        kind="membership_added", subject=f"user:{user.pk}", organization=org, status="done",
        attempts=2, processed_at=sent_at, payload={"tenants": ["org-acme"]},
    )  # fmt: skip

    new = _migrate(AFTER)

    rows = {row.key: row for row in new.get_model("support", "Submission").objects.all()}
    assert (rows["sub_sent"].status, rows["sub_sent"].done_at) == ("done", sent_at)
    waiting = rows["sub_waiting"]
    assert (waiting.status, waiting.attempts, waiting.last_error, waiting.payload) == (
        "pending", 3, "PlainServerError: 503", {"text": "waiting"},
    )  # fmt: skip
    event = new.get_model("tenancy", "SyncEvent").objects.get()
    assert (event.status, event.attempts, event.done_at) == ("done", 2, sent_at)

    # And back: a delivered submission is "sent" again.
    back = _migrate(BEFORE)
    assert back.get_model("support", "Submission").objects.get(key="sub_sent").status == "sent"
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
