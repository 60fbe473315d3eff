"""Nothing a customer submits is lost (DESIGN, invariant 6): saved before Plain is called,
delivered with retries, exactly once as far as Plain's API allows."""

from __future__ import annotations

import os
from datetime import timedelta

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.outbox import services as outbox
from portal.outbox import tasks as outbox_tasks
from portal.support import services
from portal.support.models import Submission
from portal.tenancy.models import Membership
from portal.tenancy.services import plain_customer_ensure
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.support.conftest import org_in_plain
from tests.portal.support.pages import input_value, page_text, textarea_value

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SAVED = "Saved - we&#x27;ll send it as soon as our support system is reachable."


def _calls(emulator_control) -> list[str]:
    return [request["operationName"] for request in emulator_control.requests()]


def _make_due() -> None:
    """Let the retry time of every pending row pass (tests never sleep)."""
    Submission.objects.filter(status=Submission.Status.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def _threads_titled(plain, organization, title: str) -> list:
    page = plain.threads(tenant_external_ids=[organization.tenant_external_id], first=100)
    return [thread for thread in page.items if thread.title == title]


def _saved_files(settings) -> list[str]:
    return [
        os.path.join(folder, name)
        for folder, _, names in os.walk(settings.MEDIA_ROOT)
        for name in names
    ]


def _texts(plain, thread_id: str) -> list[str]:
    return [
        getattr(item.entry, "text", None)
        for item in plain.thread(thread_id=thread_id).timeline.items
    ]


@pytest.fixture
def lost_answers(monkeypatch):
    """lost_answers("createThread"): Plain runs that operation, but its answer never arrives."""
    answer = httpx.WSGITransport.handle_request
    lost: set[str] = set()

    def handle(transport, request):
        response = answer(transport, request)
        if request.headers.get("x-graphql-operation-name") in lost:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    monkeypatch.setattr(httpx.WSGITransport, "handle_request", handle)
    return lost.add


# --- new requests ---------------------------------------------------------------------------------


def test_a_request_made_while_plain_is_down_is_saved_shown_and_delivered_once_it_recovers(
    alice_client, alice, acme, plain, emulator_control
):
    emulator_control.fail_next(count=100, status=503)

    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "Server room flooded", "message": "Water **everywhere**.", "priority": "0"},
        follow=True,
    )

    html = page_text(response)
    submission = Submission.objects.get()
    assert response.redirect_chain == [
        (reverse("support:submission_detail", args=[submission.key]), 302)
    ]
    assert SAVED in html
    assert "Server room flooded" in html and "<strong>everywhere</strong>" in html
    assert submission.status == Submission.Status.PENDING
    assert submission.payload["priority"] == 0
    assert "PlainServerError" in submission.last_error
    assert submission.next_attempt_at > timezone.now()

    # Plain is back, the retry is not due yet: the list shows the request as waiting.
    emulator_control.clear_faults()
    emulator_control.clear_requests()
    listing = page_text(alice_client.get(reverse("support:thread_list")))
    assert "Server room flooded" in listing and "Waiting to be sent" in listing
    assert reverse("support:submission_detail", args=[submission.key]) in listing
    assert "createThread" not in _calls(emulator_control)

    _make_due()
    assert services.submissions_sweep() == 1

    threads = _threads_titled(plain, acme, "Server room flooded")
    assert len(threads) == 1
    assert threads[0].priority == 0 and threads[0].external_id == submission.key
    submission.refresh_from_db()
    assert submission.status == Submission.Status.DONE
    assert submission.thread_id == threads[0].id
    assert _calls(emulator_control).count("createThread") == 1
    # The saved page now leads to the thread, and the list has it from Plain.
    detail = alice_client.get(reverse("support:submission_detail", args=[submission.key]))
    assert detail["Location"] == reverse("support:thread_detail", args=[threads[0].id])
    assert "Waiting to be sent" not in page_text(alice_client.get(reverse("support:thread_list")))


def test_the_request_is_in_our_database_before_plain_is_asked(alice_client, acme, monkeypatch):
    seen_when_sent: list[bool] = []
    answer = httpx.WSGITransport.handle_request

    def handle(transport, request):
        if request.headers.get("x-graphql-operation-name") == "createThread":
            seen_when_sent.append(Submission.objects.filter(payload__text="Saved first?").exists())
        return answer(transport, request)

    monkeypatch.setattr(httpx.WSGITransport, "handle_request", handle)

    response = alice_client.post(
        reverse("support:thread_create"), {"title": "Order", "message": "Saved first?"}
    )

    assert response.status_code == 302
    assert seen_when_sent == [True]


def test_no_get_delivers_a_due_submission_the_workers_do(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    """DESIGN, invariant 7: the list, the thread page and the saved page write nothing to
    Plain, however due a saved request or reply is."""
    thread = make_thread(user=alice, organization=acme)
    emulator_control.fail_next(count=100, status=503)
    alice_client.post(reverse("support:thread_create"), {"title": "Later", "message": "Please"})
    alice_client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Me too"})
    emulator_control.clear_faults()
    emulator_control.clear_requests()
    _make_due()
    request, reply = Submission.objects.order_by("pk")

    for url in (
        reverse("support:thread_list"),
        reverse("support:thread_detail", args=[thread.id]),
        reverse("support:submission_detail", args=[request.key]),
        reverse("support:submission_detail", args=[reply.key]),
    ):
        assert alice_client.get(url).status_code == 200

    writes = [name for name in _calls(emulator_control) if name not in {"threads", "thread"}]
    assert writes == []
    assert set(Submission.objects.values_list("status", flat=True)) == {"pending"}
    assert _threads_titled(plain, acme, "Later") == []
    # The worker's sweep delivers them.
    assert services.submissions_sweep() == 2
    assert set(Submission.objects.values_list("status", flat=True)) == {"done"}


def test_a_page_view_with_nothing_due_asks_plain_nothing_extra(
    alice_client, alice, acme, emulator_control
):
    emulator_control.fail_next(count=100, status=503)
    alice_client.post(reverse("support:thread_create"), {"title": "Not yet", "message": "Soon"})
    emulator_control.clear_faults()
    emulator_control.clear_requests()

    alice_client.get(reverse("support:thread_list"))

    assert _calls(emulator_control) == ["threads"]


def test_a_lost_answer_after_plain_made_the_thread_does_not_make_a_second_one(
    alice_client, alice, acme, plain, emulator_control, lost_answers
):
    lost_answers("createThread")

    response = alice_client.post(
        reverse("support:thread_create"), {"title": "Made once", "message": "Only once please"}
    )

    submission = Submission.objects.get()
    assert response["Location"] == reverse("support:submission_detail", args=[submission.key])
    assert submission.status == Submission.Status.PENDING
    made = _threads_titled(plain, acme, "Made once")
    assert len(made) == 1  # Plain has it; we could not know

    emulator_control.clear_requests()
    _make_due()
    services.submissions_sweep()

    submission.refresh_from_db()
    assert submission.status == Submission.Status.DONE
    assert submission.thread_id == made[0].id
    assert len(_threads_titled(plain, acme, "Made once")) == 1
    calls = _calls(emulator_control)
    assert "threadByExternalId" in calls and "createThread" not in calls


def test_a_new_request_whose_first_answer_plain_lost_is_made_exactly_once(
    alice_client, acme, plain, emulator_control
):
    # Plain makes the thread, then its answer is lost on the way back (a 504 from a proxy).
    emulator_control.fail_after_apply(operation="createThread", count=1, status=504)

    alice_client.post(
        reverse("support:thread_create"), {"title": "Lost answer", "message": "Just one"}
    )

    submission = Submission.objects.get()
    assert submission.status == Submission.Status.PENDING
    assert len(_threads_titled(plain, acme, "Lost answer")) == 1
    _make_due()
    services.submissions_sweep()

    submission.refresh_from_db()
    (made,) = _threads_titled(plain, acme, "Lost answer")
    assert submission.status == Submission.Status.DONE
    assert submission.thread_id == made.id
    assert [r["status"] for r in emulator_control.requests() if r.get("answer_lost")] == [504]


def test_if_plain_refuses_a_repeated_external_id_the_existing_thread_is_taken(
    alice, acme, plain, emulator_control, monkeypatch
):
    # A repeat whose look-up missed (say, Plain's search lagging): createThread itself refuses.
    submission = services.thread_submit(
        user=alice, organization=acme, title="Twice?", message="No"
    ).submission
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.PENDING)
    _make_due()
    from portal.plain import get_plain_client

    client = get_plain_client()
    original = client.thread_by_external_id
    lookups: list[dict] = []

    def first_misses(**kwargs):
        lookups.append(kwargs)
        return None if len(lookups) == 1 else original(**kwargs)

    monkeypatch.setattr(client, "thread_by_external_id", first_misses)

    outcome = services.submission_deliver(submission_id=submission.pk)

    assert outcome.status == "done"
    assert outcome.result.id == submission.thread_id
    assert len(lookups) == 2
    assert "createThread" in _calls(emulator_control)
    assert len(_threads_titled(plain, acme, "Twice?")) == 1


def test_a_rate_limit_keeps_the_request_until_plains_reset(
    alice_client, alice, acme, plain, emulator_control
):
    plain_customer_ensure(user=alice)
    emulator_control.fail_next(count=100, status=429, retry_after_seconds=120)
    before = timezone.now()

    alice_client.post(reverse("support:thread_create"), {"title": "Busy", "message": "Wait"})

    submission = Submission.objects.get()
    assert submission.status == Submission.Status.PENDING
    assert "PlainRateLimitError" in submission.last_error
    assert submission.next_attempt_at >= before + timedelta(seconds=120)
    # Before the reset nothing is tried: neither the sweep nor a task calls Plain.
    emulator_control.clear_faults()
    emulator_control.clear_requests()
    assert services.submissions_sweep() == 0
    assert services.submission_deliver(submission_id=submission.pk).status == "skipped"
    assert _calls(emulator_control) == []

    _make_due()
    emulator_control.fail_next(count=100, status=429, retry_after_seconds=300)
    outcome = services.submission_deliver(submission_id=submission.pk)
    assert outcome.status == "pending" and outcome.retry_in >= 300

    emulator_control.clear_faults()
    _make_due()
    assert services.submission_deliver(submission_id=submission.pk).status == "done"
    assert len(_threads_titled(plain, acme, "Busy")) == 1


def test_a_refusal_keeps_the_text_with_field_errors_and_no_row(
    client, plain, emulator_control, settings
):
    # Zeta's tenant was never made in Plain, so createThread refuses its tenantIdentifier.
    acme = org_in_plain(plain, name="Acme", slug="acme")
    zeta = OrganizationFactory(name="Zeta", slug="zeta")
    user = UserFactory()
    MembershipFactory(user=user, organization=acme)
    MembershipFactory(user=user, organization=zeta)
    client.force_login(user)

    response = client.post(
        reverse("support:thread_create"),
        {
            "title": "Keep this",
            "message": "And this",
            "organization": zeta.pk,
            "attachments": [SimpleUploadedFile("a.txt", b"data", content_type="text/plain")],
        },
    )

    html = page_text(response)
    assert response.status_code == 200
    assert input_value(html, "title") == "Keep this"
    assert textarea_value(html, "message") == "And this"
    group_start = html.index('name="organization"')
    assert (
        'class="errorlist' in html[html.rindex('<div class="field', 0, group_start) : group_start]
    )
    assert "Please attach your files again." in html
    assert not Submission.objects.exists()
    assert _saved_files(settings) == []
    # Not even the submission's empty folder.
    assert [folder for folder, _, _ in os.walk(settings.MEDIA_ROOT)][1:] in (
        [],
        [os.path.join(settings.MEDIA_ROOT, "submissions")],
    )


def test_with_a_broker_a_failed_first_attempt_is_queued_for_its_due_time(
    alice_client,
    alice,
    acme,
    emulator_control,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued: list[tuple[list, float | None]] = []
    monkeypatch.setattr(
        outbox_tasks.deliver,
        "apply_async",
        lambda args, countdown=None: queued.append((args, countdown)),
    )
    emulator_control.fail_next(count=100, status=503)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("support:thread_create"), {"title": "Q", "message": "Queued"})

    submission = Submission.objects.get()
    assert queued and queued[0][0] == ["support.submission", submission.pk]
    assert 5 <= queued[0][1] <= 600
    # No page-view delivery with a broker: the worker has it.
    emulator_control.clear_faults()
    _make_due()
    emulator_control.clear_requests()
    alice_client.get(reverse("support:thread_list"))
    assert "createThread" not in _calls(emulator_control)


def test_the_task_retries_a_pending_row_after_its_delay(alice, acme, emulator_control, monkeypatch):
    emulator_control.fail_next(count=100, status=503)
    submission = services.thread_submit(
        user=alice, organization=acme, title="T", message="M"
    ).submission
    _make_due()
    retried: list[float] = []

    def retry(countdown):
        retried.append(countdown)
        return RuntimeError("retry")

    monkeypatch.setattr(outbox_tasks.deliver, "retry", retry)

    with pytest.raises(RuntimeError):
        outbox_tasks.deliver("support.submission", submission.pk)  # as a worker runs it (not eager)

    submission.refresh_from_db()
    assert submission.attempts == 2
    assert retried and retried[0] >= outbox.RETRY_BASE_SECONDS * 2
    assert submission.next_attempt_at >= timezone.now() + timedelta(seconds=retried[0] - 1)


def test_a_row_is_delivered_once_however_often_it_is_enqueued(alice, acme, plain, emulator_control):
    emulator_control.fail_next(count=100, status=503)
    submission = services.thread_submit(
        user=alice, organization=acme, title="Once", message="M"
    ).submission
    emulator_control.clear_faults()
    _make_due()

    assert services.submission_deliver(submission_id=submission.pk).status == "done"
    assert services.submission_deliver(submission_id=submission.pk).status == "skipped"
    assert services.submissions_sweep() == 0
    assert len(_threads_titled(plain, acme, "Once")) == 1


def test_a_request_whose_author_left_the_organisation_is_not_sent(
    alice, acme, plain, emulator_control
):
    emulator_control.fail_next(count=100, status=503)
    submission = services.thread_submit(
        user=alice, organization=acme, title="Left", message="M"
    ).submission
    Membership.objects.filter(user=alice).delete()
    emulator_control.clear_faults()
    emulator_control.clear_requests()
    _make_due()

    assert services.submission_deliver(submission_id=submission.pk).status == "failed"
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED
    assert "createThread" not in _calls(emulator_control)


def test_retriable_failures_are_given_up_after_days_and_shown_as_not_sent(
    alice_client, alice, acme, emulator_control
):
    emulator_control.fail_next(count=100, status=503)
    alice_client.post(reverse("support:thread_create"), {"title": "Old", "message": "Long ago"})
    Submission.objects.update(created_at=timezone.now() - outbox.GIVE_UP_AFTER - timedelta(1))
    _make_due()

    outcome = services.submission_deliver(submission_id=Submission.objects.get().pk)

    assert outcome.status == "failed"
    submission = Submission.objects.get()
    html = page_text(alice_client.get(reverse("support:submission_detail", args=[submission.key])))
    assert "We could not send this request" in html and "Long ago" in html


def test_another_users_saved_page_is_404(client, alice, bob, acme, emulator_control):
    emulator_control.fail_next(count=100, status=503)
    submission = services.thread_submit(
        user=alice, organization=acme, title="Mine", message="Private"
    ).submission
    client.force_login(bob)

    response = client.get(reverse("support:submission_detail", args=[submission.key]))

    assert response.status_code == 404
    assert "Private" not in page_text(response)


# --- replies --------------------------------------------------------------------------------------


def test_a_reply_made_while_plain_is_down_is_saved_shown_in_the_thread_and_delivered_once(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    plain_customer_ensure(user=alice)
    emulator_control.fail_next(count=100, status=503)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "Please do not lose me"},
        follow=True,
    )

    html = page_text(response)
    submission = Submission.objects.get()
    assert response.redirect_chain[0][0] == reverse(
        "support:submission_detail", args=[submission.key]
    )
    assert SAVED in html and "Please do not lose me" in html
    assert submission.kind == Submission.Kind.REPLY and submission.thread_id == thread.id

    # Plain is back, the retry not yet due: the thread page lists the reply as waiting.
    emulator_control.clear_faults()
    page = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))
    pending = page[page.index("Not sent yet") :]
    assert "Please do not lose me" in pending and "Waiting to be sent" in pending

    _make_due()
    outbox_tasks.deliver.delay("support.submission", submission.pk)

    assert _texts(plain, thread.id).count("Please do not lose me") == 1
    submission.refresh_from_db()
    assert submission.status == Submission.Status.DONE
    page = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))
    assert "Not sent yet" not in page


def test_an_htmx_reply_while_plain_is_down_is_listed_as_waiting_and_the_form_emptied(
    alice_client, alice, acme, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    emulator_control.fail_next(count=100, status=503)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Keep me"}, **HTMX
    )

    html = page_text(response)
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "<html" not in html
    assert SAVED in html
    assert "Keep me" in html[html.index("Not sent yet") : html.index('id="reply-heading"')]
    assert textarea_value(html, "text") == ""


def test_a_lost_reply_answer_is_not_posted_again(
    alice_client, alice, acme, plain, emulator_control, make_thread, lost_answers
):
    thread = make_thread(user=alice, organization=acme)
    plain_customer_ensure(user=alice)
    lost_answers("replyToThread")

    alice_client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Exactly once"})

    assert Submission.objects.get().status == Submission.Status.PENDING
    assert _texts(plain, thread.id).count("Exactly once") == 1
    emulator_control.clear_requests()
    _make_due()
    services.submissions_sweep()

    assert Submission.objects.get().status == Submission.Status.DONE
    assert _texts(plain, thread.id).count("Exactly once") == 1
    assert "replyToThread" not in _calls(emulator_control)


def test_a_reply_whose_answer_plain_lost_is_posted_exactly_once(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    plain_customer_ensure(user=alice)
    emulator_control.fail_after_apply(operation="replyToThread", count=1, status=502)

    alice_client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Only once"})

    assert Submission.objects.get().status == Submission.Status.PENDING
    _make_due()
    services.submissions_sweep()

    assert Submission.objects.get().status == Submission.Status.DONE
    assert _texts(plain, thread.id).count("Only once") == 1


def test_a_reply_that_never_reached_plain_is_posted_on_retry(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    plain_customer_ensure(user=alice)
    emulator_control.fail_next(count=100, status=503)
    alice_client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Same words"})
    # The same words earlier on, before this reply was saved, are not mistaken for it.
    emulator_control.clear_faults()
    Submission.objects.update(created_at=timezone.now() + timedelta(minutes=10))
    _make_due()

    services.submissions_sweep()

    assert _texts(plain, thread.id).count("Same words") == 1
    assert Submission.objects.get().status == Submission.Status.DONE


def test_a_reply_saved_for_a_thread_that_is_not_the_users_is_never_sent(
    client, carol, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    client.force_login(carol)
    # Plain is down, so the access check cannot run yet: the reply is kept, unchecked.
    emulator_control.fail_next(count=100, status=503)
    client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Not mine"})
    emulator_control.clear_faults()
    emulator_control.clear_requests()
    _make_due()

    services.submissions_sweep()

    submission = Submission.objects.get()
    assert submission.status == Submission.Status.FAILED
    assert "replyToThread" not in _calls(emulator_control)
    assert "Not mine" not in _texts(plain, thread.id)


def test_a_reply_to_another_organisations_thread_is_404_and_nothing_is_kept(
    client, carol, alice, acme, make_thread, emulator_control
):
    thread = make_thread(user=alice, organization=acme)
    client.force_login(carol)
    emulator_control.clear_requests()

    response = client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Hi"})

    assert response.status_code == 404
    assert not Submission.objects.exists()
    assert "replyToThread" not in _calls(emulator_control)


def test_staff_see_saved_submissions_and_can_send_failed_ones_again(
    client, alice, acme, plain, emulator_control
):
    emulator_control.fail_next(count=100, status=503)
    submission = services.thread_submit(
        user=alice, organization=acme, title="Retry me", message="M"
    ).submission
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.FAILED)
    emulator_control.clear_faults()
    client.force_login(UserFactory(email="staff@portal.test", is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:support_submission_changelist"))
    assert listing.status_code == 200 and submission.key in page_text(listing)
    response = client.post(
        reverse("admin:support_submission_changelist"),
        {"action": "retry", "_selected_action": [submission.pk]},
    )

    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.PENDING
    services.submissions_sweep()
    assert len(_threads_titled(plain, acme, "Retry me")) == 1
