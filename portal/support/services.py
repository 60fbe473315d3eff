"""Writes to Plain on behalf of a customer, and the outbox that makes sure they arrive.

The customer and tenant identities sent to Plain come from the logged-in user and our database,
never from the request. Resolve and reopen take the `Thread` returned by
`selectors.thread_get_for_user`, so a caller cannot skip the access check by passing an id.

New requests and replies (DESIGN, invariant 6: nothing a customer submits is lost)
----------------------------------------------------------------------------------
1. `thread_submit` / `reply_submit` save a `Submission` (text, choices, files in the default
   storage) and commit it before Plain is called, leased so no sweep touches it meanwhile.
2. Delivery is tried at once, in the request, within what is left of the request's budget for
   Plain (PLAIN_REQUEST_BUDGET_SECONDS, portal.middleware): the normal case is one round trip,
   and the user lands on the new thread; an attempt that runs out of budget leaves the row
   pending, and the user lands on its saved page. Access is checked on every attempt: a new
   request's organisation must still be the user's, and a reply goes through
   `selectors.thread_get_for_user`.
3. A retriable failure (Plain slow, down, rate-limiting, or the key misconfigured) leaves the row
   pending with a due time (capped exponential backoff, never before Plain's rate-limit reset).
   With a broker, a Celery task is enqueued for that time (portal/support/tasks.py); the beat
   sweep re-enqueues rows whose due time or lease has passed. In eager mode (no broker) the
   inline attempt has just failed, so nothing loops: the row waits for the sweep, or for the
   user's next page view (`submissions_retry_for_user`, a database query unless a row is due).
4. A permanent failure during the inline attempt (Plain refused the input; the thread is not the
   user's) deletes the row and raises, so the form comes back with the text and field errors.
   The same failure on a later attempt marks the row failed; the user sees it with their text.
   Retriable failures are given up (failed) after GIVE_UP_AFTER.

Exactly once, as far as Plain's API allows
------------------------------------------
- createThread carries externalId = the submission's key. Before any attempt after the first,
  `threadByExternalId` is asked for that key, so a retry after a lost answer (a timeout after
  Plain made the thread, a worker killed mid-call) finds the thread instead of making another.
  Should Plain refuse a repeated externalId, the thread is looked up the same way.
- replyToThread has no idempotency key. Before a repeat, the newest REPLY_LOOKBACK_ENTRIES
  entries of the thread are searched for the customer's message with the same text since the
  submission was made (less CLOCK_SKEW); if found, it counts as sent. Residual risk: a reply
  whose first attempt landed but is not recognisable (Plain changed the text, e.g. an email
  channel quoting it, or more than REPLY_LOOKBACK_ENTRIES entries arrived since) is posted
  twice; and a customer who really sends the same text twice within CLOCK_SKEW of an uncertain
  attempt sees it once.
- Files are uploaded once per submission: each file's attachment id is saved as soon as it is
  uploaded, and reused unless older than ATTACHMENT_REUSE_FOR (Plain deletes attachments nothing
  references after 24 hours).
"""

from __future__ import annotations

import logging
import os
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from plain_gateway import (
    PlainAuthenticationError,
    PlainError,
    PlainForbiddenError,
    PlainMutationError,
    PlainResponseError,
    limits,
)
from plain_gateway.inputs import ThreadFieldInput
from plain_gateway.types import Thread, TimelineEntry
from portal.accounts.models import User
from portal.plain import get_plain_client
from portal.support import selectors
from portal.support.models import Submission
from portal.tenancy.models import Organization
from portal.tenancy.selectors import organization_list_for_user
from portal.tenancy.services import plain_customer_ensure

__all__ = [
    "DeliveryOutcome",
    "RequestFieldsInvalid",
    "SubmitResult",
    "reply_submit",
    "submission_deliver",
    "submission_retry",
    "submissions_prune",
    "submissions_retry_for_user",
    "submissions_sweep",
    "thread_reopen",
    "thread_resolve",
    "thread_submit",
]

logger = logging.getLogger(__name__)

DEFAULT_PRIORITY = limits.DEFAULT_PRIORITY
STORAGE_FOLDER = "submissions"

# --- timing knobs: retry delays and the lease stay below the broker's visibility timeout -------
RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 600.0
# Plain's rate-limit reset is honoured up to this long (far above its per-minute windows).
RATE_LIMIT_MAX_WAIT_SECONDS = 1800.0
# A row failing for retriable reasons this long after it was saved is marked failed.
GIVE_UP_AFTER = timedelta(days=3)
# A task may claim a row this early (its countdown and our clock may disagree a little).
CLAIM_SLACK = timedelta(seconds=2)
# Rows delivered per page view in eager mode, and per sweep.
PAGE_VIEW_RETRY_LIMIT = 3
SWEEP_LIMIT = 500
# Delivered rows are kept (without their files) this long, for support staff.
PRUNE_SENT_AFTER = timedelta(days=30)

# Reply de-duplication (see the module docstring).
REPLY_LOOKBACK_ENTRIES = 50
CLOCK_SKEW = timedelta(minutes=5)
# Plain deletes an uploaded attachment nothing references after 24 hours.
ATTACHMENT_REUSE_FOR = timedelta(hours=20)

THREAD_ATTACHMENT_TYPE = "CUSTOM_TIMELINE_ENTRY"
# A MIME type as a browser should send it; anything else travels (both ways) as opaque bytes.
MIME_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]{0,126}/[A-Za-z0-9][\w.+-]{0,126}")


def _lease() -> timedelta:
    """How long an attempt under way keeps the sweep off its row (the task's hard time limit)."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True))


def retry_delay(*, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before attempt `attempts + 1`: capped exponential backoff with jitter, and never
    before Plain's rate-limit reset (up to RATE_LIMIT_MAX_WAIT_SECONDS)."""
    delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    delay *= 1 + random.uniform(0, 0.2)  # noqa: S311 - spreading retries, not cryptography
    if retry_after is not None:
        delay = max(delay, min(retry_after, RATE_LIMIT_MAX_WAIT_SECONDS))
    return delay


# === new requests and replies ==================================================================


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """How one delivery attempt went. `retry_in` is set when the row stays pending."""

    status: str  # "sent", "pending", "failed" or "skipped" (not pending, or not due)
    retry_in: float | None = None
    error: str = ""
    # The thread made (new request) or replied to, when sent in this attempt.
    thread: Thread | None = None


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """A saved submission after its first attempt: SENT, or PENDING (it will be sent later)."""

    submission: Submission
    thread: Thread | None = None

    @property
    def is_pending(self) -> bool:
        return self.submission.is_pending


def thread_submit(
    *,
    user: User,
    organization: Organization,
    title: str,
    message: str,
    priority: int = DEFAULT_PRIORITY,
    label_type_ids: Sequence[str] = (),
    thread_fields: Sequence[ThreadFieldInput] = (),
    files: Sequence[UploadedFile] = (),
    posted_request_fields: Mapping[str, str] | None = None,
) -> SubmitResult:
    """Save a new request for the organisation's tenant, then try to open it in Plain at once.

    `posted_request_fields` (form field name -> value as posted) is given instead of
    `label_type_ids` and `thread_fields` when the form could not know the workspace's questions
    (a cold cache: a POST never asks Plain before the row is saved). They are kept in the payload
    as typed and checked against Plain's label types and thread field schemas at delivery; see
    `_request_fields_resolve`.

    Raises PermissionDenied when the user is not a member of `organization` now, the PlainError
    when Plain refuses the request for good, and RequestFieldsInvalid when the posted answers do
    not fit the questions; then nothing is kept, and the caller shows the form again.
    """
    if not organization_list_for_user(user=user).filter(pk=organization.pk).exists():
        raise PermissionDenied
    payload = {
        "title": title,
        "text": message,
        "priority": priority,
        "label_type_ids": list(label_type_ids),
        "thread_fields": [field.to_json() for field in thread_fields],
    }
    if posted_request_fields is not None:
        payload["request_fields"] = dict(posted_request_fields)
    submission = _submission_save(
        kind=Submission.Kind.THREAD,
        user=user,
        organization=organization,
        payload=payload,
        files=files,
    )
    return _deliver_inline(submission)


def reply_submit(
    *, user: User, thread_id: str, text: str, files: Sequence[UploadedFile] = ()
) -> SubmitResult:
    """Save a reply to the thread, then try to post it at once, as the user's customer.

    Every attempt first checks access through selectors.thread_get_for_user: Http404 when the
    thread is not the user's (then nothing is kept). Raises the PlainError when Plain refuses the
    reply for good. Saved while Plain is down, a reply waits for the check like everything else.
    """
    submission = _submission_save(
        kind=Submission.Kind.REPLY,
        user=user,
        thread_id=thread_id,
        payload={"text": text},
        files=files,
    )
    return _deliver_inline(submission)


def _submission_save(
    *,
    kind: str,
    user: User,
    payload: dict[str, Any],
    files: Sequence[UploadedFile],
    organization: Organization | None = None,
    thread_id: str = "",
) -> Submission:
    """Store the files and the row, with the first attempt claimed (leased).

    The row must be committed before Plain is called, so callers hold no transaction (the
    project keeps ATOMIC_REQUESTS off).
    """
    submission = Submission(kind=kind, user=user, organization=organization, thread_id=thread_id)
    stored = []
    try:
        for index, upload in enumerate(files):
            # The file's own name (the browser's) goes to Plain from the payload, never into a
            # path on our disk.
            path = default_storage.save(f"{STORAGE_FOLDER}/{submission.key}/{index:02d}", upload)
            content_type = upload.content_type or ""
            stored.append(
                {
                    "name": upload.name,
                    "path": path,
                    "size": upload.size,
                    "content_type": (
                        content_type
                        if MIME_TYPE.fullmatch(content_type)
                        else "application/octet-stream"
                    ),
                    "attachment_id": "",
                    "uploaded_at": "",
                }
            )
        submission.payload = {**payload, "files": stored}
        submission.attempts = 1
        submission.next_attempt_at = timezone.now() + _lease()
        with transaction.atomic():
            submission.save()
    except BaseException:
        _files_delete(stored, key=submission.key)
        raise
    return submission


def _deliver_inline(submission: Submission) -> SubmitResult:
    outcome, error = _attempt(submission)
    if outcome.status == "failed":
        # Refused for good while the user waits: they get the form back, so keep nothing.
        _files_delete(submission.files, key=submission.key)
        Submission.objects.filter(pk=submission.pk).delete()
        if error is not None:
            raise error
    if outcome.status == "pending" and not _eager():
        _enqueue_on_commit(submission.pk, countdown=outcome.retry_in)
    submission.refresh_from_db()
    return SubmitResult(submission=submission, thread=outcome.thread)


def submission_deliver(*, submission_id: int) -> DeliveryOutcome:
    """Try to deliver a pending row whose due time has come. Idempotent.

    Returns "skipped" when the row is not pending or not due (another attempt holds it, or
    its retry is later). The caller (task, sweep, page view) schedules nothing itself but
    may use `retry_in`.
    """
    now = timezone.now()
    claimed = (
        Submission.objects.filter(pk=submission_id, status=Submission.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLAIM_SLACK))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + _lease(), updated_at=now)
    )
    if not claimed:
        return DeliveryOutcome("skipped")
    submission = Submission.objects.select_related("user", "organization").get(pk=submission_id)
    outcome, _ = _attempt(submission)
    return outcome


def _attempt(submission: Submission) -> tuple[DeliveryOutcome, BaseException | None]:
    try:
        if submission.kind == Submission.Kind.THREAD:
            thread = _thread_send(submission)
        else:
            thread = _reply_send(submission)
    except (Http404, PermissionDenied) as exc:
        return _failed(submission, "The user may no longer see this thread or organisation."), exc
    except RequestFieldsInvalid as exc:
        problems = "; ".join(f"{name}: {' '.join(text)}" for name, text in exc.errors.items())
        return _failed(submission, f"The answers no longer fit the form ({problems})"), exc
    except PlainError as exc:
        if _retriable(exc):
            return _pending(submission, exc), exc
        return _failed(submission, _describe(exc)), exc
    except Exception as exc:
        # Not Plain's doing (storage, database, a bug): keep the row and retry, loudly.
        logger.exception("Submission %s failed unexpectedly", submission.pk)
        return _pending(submission, exc), exc
    _sent(submission, thread)
    return DeliveryOutcome("sent", thread=thread), None


def _retriable(error: PlainError) -> bool:
    """Whether a later attempt may succeed. The customer's text is never at fault for a key
    Plain rejects (our configuration, fixed by us), so those rows wait too."""
    if isinstance(error, PlainAuthenticationError | PlainForbiddenError):
        return True
    if isinstance(error, PlainResponseError):
        # A 4xx from storage (a refused upload) stays refused; anything else may be a hiccup.
        return not (error.status_code is not None and 400 <= error.status_code < 500)
    return bool(error.retriable)


def _thread_send(submission: Submission) -> Thread:
    user = submission.user
    organization = submission.organization
    if (
        organization is None
        or not organization_list_for_user(user=user).filter(pk=organization.pk).exists()
    ):
        raise PermissionDenied
    client = get_plain_client()
    customer_id = plain_customer_ensure(user=user)
    if submission.attempts > 1:
        existing = client.thread_by_external_id(customer_id=customer_id, external_id=submission.key)
        if existing is not None:
            return existing
    if "request_fields" in submission.payload:
        _request_fields_resolve(submission)
    payload = submission.payload
    attachment_ids = _attachments_upload(
        submission, customer_id=customer_id, attachment_type=THREAD_ATTACHMENT_TYPE
    )
    try:
        return client.create_thread(
            customer_id=customer_id,
            tenant_external_id=organization.tenant_external_id,
            title=payload.get("title") or "",
            text=payload.get("text") or "",
            priority=payload.get("priority", DEFAULT_PRIORITY),
            label_type_ids=payload.get("label_type_ids") or (),
            thread_fields=[
                ThreadFieldInput.from_json(field) for field in payload.get("thread_fields") or ()
            ],
            attachment_ids=attachment_ids,
            external_id=submission.key,
        )
    except PlainMutationError as exc:
        if any((field.field or "").lower() == "externalid" for field in exc.fields):
            existing = client.thread_by_external_id(
                customer_id=customer_id, external_id=submission.key
            )
            if existing is not None:
                return existing
        raise


class RequestFieldsInvalid(Exception):
    """A request's answers, saved before the questions were known, do not fit them.

    `errors` maps form field names to messages (RequestFieldsForm's errors).
    """

    def __init__(self, errors: Mapping[str, Iterable[object]]) -> None:
        super().__init__("The answers do not fit the workspace's questions")
        self.errors = {name: [str(m) for m in messages] for name, messages in errors.items()}


def _request_fields_resolve(submission: Submission) -> None:
    """Turn the posted answers into createThread's labelTypeIds and threadFields, on record.

    The questions are read from Plain (through the cache) with selectors.request_options_fetch,
    whose PlainError leaves the row pending like any failure to reach Plain. Answers that do not
    fit (a choice no longer offered, a required field left empty) raise RequestFieldsInvalid: a
    permanent failure, so inline the form comes back with the errors, later the row is failed
    with the customer's text kept.
    """
    from portal.support.forms import RequestFieldsForm  # forms imports the selectors

    options = selectors.request_options_fetch()
    form = RequestFieldsForm(submission.payload["request_fields"], options=options)
    if not form.is_valid():
        raise RequestFieldsInvalid(form.errors)
    payload = {key: value for key, value in submission.payload.items() if key != "request_fields"}
    payload["label_type_ids"] = form.label_type_ids()
    payload["thread_fields"] = [field.to_json() for field in form.thread_field_inputs()]
    submission.payload = payload
    # On record at once: a retry sends what this attempt resolved.
    Submission.objects.filter(pk=submission.pk).update(payload=payload)


def _reply_send(submission: Submission) -> Thread:
    first_attempt = submission.attempts <= 1
    # The access check; on a repeat, its page of the timeline is where an earlier attempt's
    # reply would be.
    found = selectors.thread_get_for_user(
        user=submission.user,
        thread_id=submission.thread_id,
        timeline_size=1 if first_attempt else REPLY_LOOKBACK_ENTRIES,
    )
    customer_id = plain_customer_ensure(user=submission.user)
    if not first_attempt and _reply_found(
        found.timeline.items, submission=submission, customer_id=customer_id
    ):
        return found.thread
    attachment_type = "EMAIL" if found.thread.channel == "EMAIL" else "CHAT"
    attachment_ids = _attachments_upload(
        submission, customer_id=customer_id, attachment_type=attachment_type
    )
    get_plain_client().reply_to_thread(
        thread_id=found.thread.id,
        text=submission.text,
        # The reply box takes markdown; email threads render markdownContent for the customer.
        markdown=submission.text,
        as_customer_id=customer_id,
        attachment_ids=attachment_ids,
    )
    return found.thread


def _reply_found(
    entries: Sequence[TimelineEntry], *, submission: Submission, customer_id: str
) -> bool:
    """Whether an earlier attempt's reply is already on the thread (see the module docstring)."""
    since = submission.created_at - CLOCK_SKEW
    text = submission.text.strip()
    return any(
        entry.actor.kind == "customer"
        and entry.actor.id == customer_id
        and (entry.timestamp is None or entry.timestamp >= since)
        and (getattr(entry.entry, "text", None) or "").strip() == text
        for entry in entries
    )


def _attachments_upload(
    submission: Submission, *, customer_id: str, attachment_type: str
) -> list[str]:
    """Upload the submission's files not uploaded yet (or too long ago); their attachment ids."""
    client = get_plain_client()
    files = submission.files
    ids = []
    for file in files:
        uploaded_at = parse_datetime(file.get("uploaded_at") or "")
        if file.get("attachment_id") and _fresh(uploaded_at):
            ids.append(file["attachment_id"])
            continue
        with default_storage.open(file["path"], "rb") as handle:
            content = handle.read()
        upload = client.create_attachment_upload_url(
            customer_id=customer_id,
            file_name=file["name"],
            size_bytes=len(content),
            attachment_type=attachment_type,
        )
        client.upload_attachment(
            upload=upload, content=content, content_type=file.get("content_type") or ""
        )
        file["attachment_id"] = upload.attachment.id
        file["uploaded_at"] = timezone.now().isoformat()
        ids.append(upload.attachment.id)
        # On record at once: should a later step fail, the retry does not upload it again.
        submission.payload = {**submission.payload, "files": files}
        Submission.objects.filter(pk=submission.pk).update(payload=submission.payload)
    return ids


def _fresh(uploaded_at: datetime | None) -> bool:
    return uploaded_at is not None and timezone.now() - uploaded_at < ATTACHMENT_REUSE_FOR


def _sent(submission: Submission, thread: Thread) -> None:
    now = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.SENT,
        thread_id=thread.id,
        sent_at=now,
        next_attempt_at=None,
        last_error="",
        updated_at=now,
    )
    # Plain has the files now; the names and attachment ids stay in the payload.
    _files_delete(submission.files, key=submission.key)


def _pending(submission: Submission, error: Exception) -> DeliveryOutcome:
    message = _describe(error)
    now = timezone.now()
    if now - submission.created_at > GIVE_UP_AFTER:
        return _failed(submission, f"Gave up after {submission.attempts} attempts: {message}")
    delay = retry_delay(
        attempts=submission.attempts, retry_after=getattr(error, "retry_after", None)
    )
    Submission.objects.filter(pk=submission.pk, status=Submission.Status.PENDING).update(
        last_error=message, next_attempt_at=now + timedelta(seconds=delay), updated_at=now
    )
    logger.warning(
        "Submission %s stays pending; next attempt in %.0fs: %s", submission.pk, delay, message
    )
    return DeliveryOutcome("pending", retry_in=delay, error=message)


def _failed(submission: Submission, message: str) -> DeliveryOutcome:
    now = timezone.now()
    Submission.objects.filter(pk=submission.pk, status=Submission.Status.PENDING).update(
        status=Submission.Status.FAILED, last_error=message, next_attempt_at=None, updated_at=now
    )
    logger.error("Submission %s failed: %s", submission.pk, message)
    return DeliveryOutcome("failed", error=message)


def _describe(error: BaseException) -> str:
    # PlainError's str() carries operation, status, code and request id, and never the API key.
    return f"{type(error).__name__}: {error}"[:2000]


def _files_delete(files: Sequence[dict[str, Any]], *, key: str) -> None:
    """Delete the submission's saved files, and then its folder under STORAGE_FOLDER."""
    for file in files:
        path = file.get("path")
        if path:
            try:
                default_storage.delete(path)
            except OSError:
                logger.warning("Could not delete the saved file %s", path)
    _folder_delete(key)


def _folder_delete(key: str) -> None:
    """Remove the submission's folder once it is empty. Storages without folders (object
    stores, whose `path` raises NotImplementedError) have nothing to remove."""
    try:
        folder = default_storage.path(f"{STORAGE_FOLDER}/{key}")
    except NotImplementedError:
        return
    try:
        os.rmdir(folder)
    except FileNotFoundError:
        pass
    except OSError:
        # Not empty: a file could not be deleted (logged above); it stays with its folder.
        logger.warning("Could not remove the folder of submission %s", key)


# === retries: tasks, the sweep, page views =====================================================


def _enqueue_on_commit(submission_id: int, *, countdown: float | None = None) -> None:
    transaction.on_commit(partial(_enqueue, submission_id, countdown=countdown))


def _enqueue(submission_id: int, *, countdown: float | None = None) -> None:
    from portal.support import tasks  # tasks imports this module

    try:
        tasks.submission_deliver.apply_async(args=[submission_id], countdown=countdown)
    except Exception:
        # Broker down (or, eager, the task itself blew up): the row is durable and the sweep
        # enqueues it again. The request that saved it must not fail because of it.
        logger.exception("Could not run or enqueue submission %s", submission_id)


def submissions_sweep(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Enqueue pending rows whose due time (retry or lease) has passed. Returns how many.

    Enqueuing a row twice is harmless: only one attempt can claim it.
    """
    now = now or timezone.now()
    due = list(
        Submission.objects.filter(status=Submission.Status.PENDING)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for submission_id in due:
        _enqueue(submission_id)
    return len(due)


def submissions_retry_for_user(*, user: User, limit: int = PAGE_VIEW_RETRY_LIMIT) -> int:
    """Eager mode only: deliver the user's due pending rows now. Returns how many were sent.

    One database query when nothing is due (the usual case); Plain is called only for a due
    row, and after one that stays pending the rest wait (Plain is still unwell).
    Called by GET views, so it runs inside the request's budget for Plain, which it shares with
    the page it comes before.
    """
    if not _eager() or not user.is_authenticated:
        return 0
    due = list(
        Submission.objects.filter(
            user=user, status=Submission.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for submission_id in due:
        outcome = submission_deliver(submission_id=submission_id)
        if outcome.status == "sent":
            sent += 1
        elif outcome.status == "pending":
            break
    return sent


def submission_retry(*, submission_ids: Sequence[int]) -> int:
    """Put failed rows back to pending, due now, and enqueue them on commit (staff action)."""
    now = timezone.now()
    with transaction.atomic():
        count = Submission.objects.filter(
            pk__in=submission_ids, status=Submission.Status.FAILED
        ).update(status=Submission.Status.PENDING, next_attempt_at=now, updated_at=now)
        for submission_id in submission_ids:
            _enqueue_on_commit(submission_id)
    return count


def submissions_prune(*, older_than: timedelta = PRUNE_SENT_AFTER) -> int:
    """Delete delivered rows sent longer ago than `older_than` (pending and failed rows stay)."""
    cutoff = timezone.now() - older_than
    deleted, _ = Submission.objects.filter(
        status=Submission.Status.SENT, sent_at__lt=cutoff
    ).delete()
    return deleted


# === resolving and reopening ====================================================================


def thread_resolve(*, thread: Thread) -> Thread:
    """Mark the thread as done; returns it as Plain has it now."""
    return get_plain_client().mark_thread_as_done(thread_id=thread.id)


def thread_reopen(*, thread: Thread) -> Thread:
    """Mark the thread as to-do again; returns it as Plain has it now."""
    return get_plain_client().mark_thread_as_todo(thread_id=thread.id)
