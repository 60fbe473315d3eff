"""`manage.py plain_webhooks`: exactly one target at our URL, as the settings say, and its drift."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from plain_gateway.webhooks import SUPPORTED_VERSIONS

PUBLIC = "https://portal.test"
OURS = PUBLIC + "/plain/webhooks/"
ELSEWHERE = "https://other-integration.test/hooks"


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.PORTAL_PUBLIC_URL = PUBLIC + "/"  # a trailing slash in the setting is harmless
    settings.PLAIN_WEBHOOK_EVENT_TYPES = ["thread.chat_sent", "thread.thread_status_transitioned"]


def run(*args: str) -> tuple[int, list[str]]:
    out = StringIO()
    try:
        call_command("plain_webhooks", *args, stdout=out)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, out.getvalue().splitlines()


def targets(plain):
    return sorted(plain.webhook_targets().items, key=lambda target: target.url)


def test_ensure_creates_the_target_then_check_finds_no_drift_and_ensure_writes_nothing(plain):
    assert run("--check")[0] == 1

    status, lines = run("--ensure")
    assert status == 0
    [target] = targets(plain)
    assert (target.url, target.event_types, target.version, target.is_enabled) == (
        OURS,
        frozenset({"thread.chat_sent", "thread.thread_status_transitioned"}),
        max(SUPPORTED_VERSIONS),
        True,
    )
    assert f"created target {target.id}" in lines

    status, checked = run("--check")
    assert status == 0
    assert checked[1:] == [f"Target: {target.id}", "In sync."]
    status, again = run("--ensure")
    assert status == 0
    assert [line for line in again if line.startswith(("created", "updated", "deleted"))] == []
    assert targets(plain) == [target]  # not even its updatedAt moved


def test_check_reports_each_difference_and_ensure_repairs_it_in_place(plain):
    run("--ensure")
    [target] = targets(plain)
    plain.update_webhook_target(
        webhook_target_id=target.id,
        event_types=["thread.chat_sent", "thread.note_created"],
        is_enabled=False,
    )
    status, lines = run("--check")
    drift = [line.removeprefix("drift: ") for line in lines if line.startswith("drift: ")]
    assert status == 1
    assert drift == [
        f"target {target.id}: it is disabled",
        f"target {target.id}: it lacks the event types thread.thread_status_transitioned",
        f"target {target.id}: it has event types not in the settings: thread.note_created",
    ]

    status, lines = run("--ensure")
    assert status == 0 and f"updated target {target.id}" in lines
    [repaired] = targets(plain)
    assert repaired.id == target.id and repaired.is_enabled
    assert repaired.event_types == {"thread.chat_sent", "thread.thread_status_transitioned"}
    assert run("--check")[0] == 0


def test_a_second_target_at_our_url_is_deleted_and_another_integrations_is_left(plain):
    run("--ensure")
    [kept] = targets(plain)
    second = plain.create_webhook_target(
        url=OURS, event_types=["thread.chat_sent"], description="a copy"
    )
    theirs = plain.create_webhook_target(
        url=ELSEWHERE, event_types=["thread.chat_sent"], description="someone else's"
    )
    status, lines = run("--check")
    assert status == 1
    assert f"drift: target {second.id} is a second target at our URL" in lines

    run("--ensure")
    assert [target.id for target in targets(plain)] == [theirs.id, kept.id]
    assert run("--check")[0] == 0


def test_delete_removes_ours_only_and_check_then_reports_it_missing(plain):
    run("--ensure")
    theirs = plain.create_webhook_target(
        url=ELSEWHERE, event_types=["thread.chat_sent"], description="someone else's"
    )
    status, lines = run("--delete")
    assert status == 0
    assert [target.id for target in targets(plain)] == [theirs.id]
    status, lines = run("--check")
    assert status == 1 and f"drift: no target at {OURS}" in lines


def test_one_mode_is_required():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("plain_webhooks")


def test_the_embedded_start_ensures_the_target_over_an_emulator_only(plain, settings):
    from portal.plain import reset_plain_client
    from portal.webhooks.target import target_ensure_on_start

    target_line = target_ensure_on_start()
    [target] = targets(plain)
    assert target_line == f"Webhooks: the emulator delivers to {OURS} (created target {target.id})."
    assert target_ensure_on_start() == f"Webhooks: the emulator delivers to {OURS} (in sync)."
    settings.PLAIN_WEBHOOKS_ENSURE_ON_START = False
    assert target_ensure_on_start() == ""
    settings.PLAIN_WEBHOOKS_ENSURE_ON_START = True
    settings.PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"  # real Plain: never
    reset_plain_client()
    assert target_ensure_on_start() == ""
