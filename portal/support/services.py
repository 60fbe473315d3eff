"""Writes to Plain on behalf of a customer, and the outbox that makes sure they arrive.

The customer and tenant identities sent to Plain come from the logged-in user and our database,
never from the request. Resolve and reopen take the `Thread` returned by
`selectors.thread_get_for_user`, so a caller cannot skip the access check by passing an id.

New requests and replies (DESIGN, invariant 6: nothing a customer submits is lost)
----------------------------------------------------------------------------------
1. `thread_submit` / `reply_submit` save a `Submission` (text, choices, files in the default
   storage) and commit it before Plain is called, leased so no sweep touches it meanwhile.
   Submissions are the "support.submission" kind of the outbox (portal/outbox/), which owns the
   claiming, the retries, giving up, the sweep and pruning; this module owns what a delivery
   does (`_submission_send`, the kind's handler).
2. Delivery is tried at once, in the request, within what is left of the request's budget for
   Plain (PLAIN_REQUEST_BUDGET_SECONDS, portal.middleware): the normal case is one round trip,
   and the user lands on the new thread; an attempt that runs out of budget leaves the row
   pending, and the user lands on its saved page. Access is checked on every attempt: a new
   request's organisation must still be the user's, and a reply goes through
   `selectors.thread_get_for_user`.
3. A retriable failure (Plain slow, down, rate-limiting, or the key misconfigured) leaves the row
   pending with the outbox's due time, and a task is enqueued for that time; the beat sweep
   re-enqueues rows whose due time or lease has passed. Page views never deliver (DESIGN,
   invariant 7): the embedded default has a worker too (`manage.py run_embedded`).
4. A permanent failure during the inline attempt (Plain refused the input; the thread is not the
   user's) deletes the row and raises, so the form comes back with the text and field errors.
   The same failure on a later attempt marks the row failed; the user sees it with their text.
   Retriable failures are given up (failed) by the outbox's give-up rule.

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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
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
from portal.agent_context import services as agent_events
from portal.outbox import services as outbox
from portal.outbox.registry import Attempt, Kind, Permanent
from portal.plain import get_plain_client
from portal.support import cache as read_cache
from portal.support import selectors
from portal.support.models import PortalStatusChange, RequestChoices, Submission
from portal.tenancy.models import Organization
from portal.tenancy.selectors import organization_list_for_user, organizations_of_user
from portal.tenancy.services import plain_customer_ensure

__all__ = [
    "SUBMISSIONS",
    "RequestFieldsInvalid",
    "SubmitResult",
    "reply_submit",
    "submission_deliver",
    "submission_retry",
    "submissions_prune",
    "submissions_sweep",
    "thread_reopen",
    "thread_resolve",
    "thread_submit",
]

logger = logging.getLogger(__name__)

DEFAULT_PRIORITY = limits.DEFAULT_PRIORITY
STORAGE_FOLDER = "submissions"

# Reply de-duplication (see the module docstring).
REPLY_LOOKBACK_ENTRIES = 50
CLOCK_SKEW = timedelta(minutes=5)
# Plain deletes an uploaded attachment nothing references after 24 hours.
ATTACHMENT_REUSE_FOR = timedelta(hours=20)

THREAD_ATTACHMENT_TYPE = "CUSTOM_TIMELINE_ENTRY"
# A MIME type as a browser should send it; anything else travels (both ways) as opaque bytes.
MIME_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]{0,126}/[A-Za-z0-9][\w.+-]{0,126}")


# === new requests and replies ==================================================================


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """A saved submission after its first attempt: SENT, or PENDING (it will be sent later)."""

    submission: Submission
    thread: Thread | None = None
    # The form had been sent before: `submission` is that first one, made by another request.
    duplicate: bool = False

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
    form_key: str | None = None,
) -> SubmitResult:
    """Save a new request for the organisation's tenant, then try to open it in Plain at once.

    `posted_request_fields` (form field name -> value as posted) is given instead of
    `label_type_ids` and `thread_fields` when the form could not know the workspace's questions
    (a cold cache: a POST never asks Plain before the row is saved). They are kept in the payload
    as typed and checked against Plain's label types and thread field schemas at delivery; see
    `_request_fields_resolve`.

    `form_key` is the key of the form it came from: when the user already has a submission
    with it (the same form sent twice: a double click, a resend, two tabs), nothing new is made,
    and the result is that submission (`duplicate`), sent or still on its way.

    Raises PermissionDenied when the user is not a member of `organization` now, the PlainError
    when Plain refuses the request for good, and RequestFieldsInvalid when the posted answers do
    not fit the questions; then nothing is kept, and the caller shows the form again.
    """
    if organization.pk not in {org.pk for org in organizations_of_user(user=user)}:
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
    # Twice at most: a first row with the key that is gone by the time it is looked for was
    # refused by Plain and deleted, so this one is the form's only submission after all.
    for _ in range(2):
        try:
            submission = _submission_save(
                kind=Submission.Kind.THREAD,
                user=user,
                organization=organization,
                payload=payload,
                files=files,
                form_key=form_key,
            )
        except IntegrityError:
            if form_key is None:
                raise
            existing = Submission.objects.filter(user=user, form_key=form_key).first()
            if existing is not None:
                return SubmitResult(submission=existing, duplicate=True)
            continue
        return _deliver_inline(submission)
    raise RuntimeError("A form's submission could be neither saved nor found")


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
    form_key: str | None = None,
) -> Submission:
    """Store the files and the row, with the first attempt claimed (leased).

    The row must be committed before Plain is called, so callers hold no transaction (the
    project keeps ATOMIC_REQUESTS off).
    """
    submission = Submission(
        kind=kind, user=user, organization=organization, thread_id=thread_id, form_key=form_key
    )
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
        # Claimed for the inline attempt: counted and leased, as an outbox claim does.
        submission.attempts = 1
        submission.lease_until = submission.next_attempt_at = timezone.now() + outbox.lease()
        with transaction.atomic():
            submission.save()
    except BaseException:
        _files_delete(stored, key=submission.key)
        raise
    return submission


def _deliver_inline(submission: Submission) -> SubmitResult:
    outcome = outbox.attempt(kind=SUBMISSIONS, rows=[submission], row_id=submission.pk)
    if outcome.status == "failed":
        # Refused for good while the user waits: they get the form back, so keep nothing.
        _files_delete(submission.files, key=submission.key)
        Submission.objects.filter(pk=submission.pk).delete()
        error = outcome.exception
        if error is not None:
            raise (error.__cause__ if isinstance(error, Permanent) and error.__cause__ else error)
    if outcome.status == "pending":
        outbox.enqueue_on_commit(
            kind=SUBMISSIONS, row_ids=[submission.pk], countdown=outcome.retry_in
        )
    submission.refresh_from_db()
    return SubmitResult(submission=submission, thread=outcome.result)


def submission_deliver(*, submission_id: int) -> outbox.Outcome:
    """Try to deliver a pending row whose due time has come (the outbox's `deliver`).

    Idempotent: "skipped" when the row is not pending or not due. The outcome's `result` is
    the thread made (new request) or replied to.
    """
    return outbox.deliver(kind=SUBMISSIONS, row_id=submission_id)


def _submission_send(attempt: Attempt) -> Thread:
    """The submissions kind's handler: send the row to Plain; returns the thread.

    Access is checked on every attempt; an answer that no longer fits, or a user who may no
    longer see the thread or organisation, fails the row for good.
    """
    submission: Submission = attempt.row
    try:
        if submission.kind == Submission.Kind.THREAD:
            thread = _thread_send(submission)
        else:
            thread = _reply_send(submission)
    except (Http404, PermissionDenied) as exc:
        raise Permanent("The user may no longer see this thread or organisation.") from exc
    except RequestFieldsInvalid as exc:
        problems = "; ".join(f"{name}: {' '.join(text)}" for name, text in exc.errors.items())
        raise Permanent(f"The answers no longer fit the form ({problems})") from exc
    Submission.objects.filter(pk=submission.pk).update(thread_id=thread.id)
    submission.thread_id = thread.id
    if submission.kind == Submission.Kind.THREAD:
        _request_choices_record(submission)
    _read_cache_forget(thread)
    return thread


def _request_choices_record(submission: Submission) -> None:
    """Remember which categories and fields the customer chose (RequestChoices), for showing
    them back; the submission row itself is pruned after delivery."""
    payload = submission.payload
    RequestChoices.objects.update_or_create(
        thread_id=submission.thread_id,
        defaults={
            "label_type_ids": [str(value) for value in payload.get("label_type_ids") or ()],
            "field_keys": [str(field.get("key")) for field in payload.get("thread_fields") or ()],
        },
    )


def _read_cache_forget(thread: Thread) -> None:
    """What a write of ours changed in the read cache: the thread's timeline and its tenant's
    lists (its webhook would say so too, later; the writer's next page must not wait for it)."""
    scopes = [read_cache.thread_scope(thread.id)]
    if thread.tenant is not None:
        scopes.append(read_cache.tenant_scope(thread.tenant.external_id))
    read_cache.scopes_invalidate(scopes)


def _submission_sent(attempt: Attempt) -> None:
    # Plain has the files now; the names and attachment ids stay in the payload.
    submission: Submission = attempt.row
    _files_delete(submission.files, key=submission.key)
    # In the transaction that marks it delivered: whether it came late, which files it carried.
    agent_events.submission_delivered_record(submission=submission)


def _submission_retriable(error: BaseException) -> bool:
    if isinstance(error, PlainError):
        return _retriable(error)
    return bool(getattr(error, "retriable", True))


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


# === the outbox: this kind, its sweep, staff's retry ==========================================

SUBMISSIONS = Kind(
    name="support.submission",
    model=Submission,
    handler=_submission_send,
    retriable=_submission_retriable,
    on_done=_submission_sent,
)


def submissions_sweep() -> int:
    """Enqueue the submissions that are due (see portal/outbox/services.py `sweep`)."""
    return outbox.sweep(only=[SUBMISSIONS])


def submission_retry(*, submission_ids: Sequence[int]) -> int:
    """Staff's retry (the outbox's): reopen the failed rows, reset them, requeue those."""
    return outbox.retry(kind=SUBMISSIONS, row_ids=submission_ids)


def submissions_prune() -> int:
    """Delete delivered rows past the outbox's keep time (pending and failed rows stay)."""
    return outbox.prune(only=[SUBMISSIONS])


# === resolving and reopening ====================================================================


def thread_resolve(*, thread: Thread, by: User | None = None) -> Thread:
    """Mark the thread as done; returns it as Plain has it now. With `by` (who clicked), an
    event for agents says so (portal/agent_context), and a PortalStatusChange row credits the
    change to them in the customers' timeline."""
    done = get_plain_client().mark_thread_as_done(thread_id=thread.id)
    _read_cache_forget(thread)
    if by is not None:
        _status_change_record(was=thread, now=done, by=by, resolved=True)
        agent_events.thread_status_event_record(
            thread=done, by=by, resolved=True, was=thread.status
        )
    return done


def thread_reopen(*, thread: Thread, by: User | None = None) -> Thread:
    """Mark the thread as to-do again; returns it as Plain has it now. With `by` (who
    clicked), an event for agents says so (portal/agent_context), and a PortalStatusChange row
    credits the change to them in the customers' timeline."""
    todo = get_plain_client().mark_thread_as_todo(thread_id=thread.id)
    _read_cache_forget(thread)
    if by is not None:
        _status_change_record(was=thread, now=todo, by=by, resolved=False)
        agent_events.thread_status_event_record(
            thread=todo, by=by, resolved=False, was=thread.status
        )
    return todo


def _status_change_record(*, was: Thread, now: Thread, by: User, resolved: bool) -> None:
    """Remember that `by` made Plain's status change (only when the status did change: a stale
    page's second click changes nothing, and Plain writes no entry for it)."""
    if was.status == now.status:
        return
    PortalStatusChange.objects.create(
        thread_id=now.id,
        user=by,
        resolved=resolved,
        changed_at=now.status_changed_at or timezone.now(),
    )
