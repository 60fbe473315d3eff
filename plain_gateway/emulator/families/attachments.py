"""Attachments: upload URLs served by the emulator itself, stored blobs, signed download URLs.

Plain's size, type and count limits (plain_gateway.limits) apply; there is no virus scanning.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from graphql import GraphQLResolveInfo

from plain_gateway import limits
from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.customers import Customers
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = [
    "ATTACHMENT_BANNED_EXTENSIONS",
    "ATTACHMENT_MAX_BYTES",
    "Attachment",
    "Attachments",
    "sign_download",
]

ATTACHMENT_MAX_BYTES = limits.ATTACHMENT_MAX_TOTAL_BYTES
ATTACHMENT_MAX_COUNT = limits.ATTACHMENT_MAX_COUNT
ATTACHMENT_BANNED_EXTENSIONS = limits.ATTACHMENT_BANNED_EXTENSIONS
UPLOAD_URL_TTL_MS = 2 * 60 * 60 * 1000
DOWNLOAD_URL_TTL_MS = 60 * 60 * 1000

_MIME_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "zip": "application/zip",
    "log": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(slots=True)
class Attachment:
    id: str
    customer_id: str
    file_name: str
    size_bytes: int
    mime_type: str
    type: str
    created_at: int
    created_by: Actor
    upload_token: str
    upload_expires_at: int
    uploaded_at: int | None = None

    @property
    def extension(self) -> str | None:
        _, dot, ext = self.file_name.rpartition(".")
        return ext.lower() if dot and ext else None


class Attachments(Family):
    requires = (Customers,)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.attachments = self.store.collection("attachment", Attachment)

    def attachment_create(
        self,
        *,
        actor: Actor,
        customer_id: str,
        file_name: str,
        size_bytes: int,
        attachment_type: str,
    ) -> Attachment:
        self.state.family(Customers).customer_get(customer_id)
        if not (file_name or "").strip():
            raise invalid("file_name", "fileName is required", "REQUIRED")
        if size_bytes <= 0:
            raise invalid("size_bytes", "fileSizeBytes must be positive")
        if size_bytes > ATTACHMENT_MAX_BYTES:
            raise StateError(
                "attachment_file_size_too_large",
                f"attachments are limited to {ATTACHMENT_MAX_BYTES} bytes",
                [FieldError("size_bytes", "file is larger than 6MB")],
            )
        _, dot, extension = file_name.rpartition(".")
        if dot and extension.lower() in ATTACHMENT_BANNED_EXTENSIONS:
            raise StateError(
                "attachment_file_type_not_allowed",
                f"files of type .{extension.lower()} are not allowed",
                [FieldError("file_name", f".{extension.lower()} files are not allowed")],
            )
        now = self.store.now()
        attachment = Attachment(
            id=new_id("att", now),
            customer_id=customer_id,
            file_name=file_name.strip(),
            size_bytes=size_bytes,
            mime_type=_MIME_TYPES.get(extension.lower() if dot else "", "application/octet-stream"),
            type=attachment_type,
            created_at=now,
            created_by=actor,
            upload_token=secrets.token_urlsafe(24),
            upload_expires_at=now + UPLOAD_URL_TTL_MS,
        )
        self.attachments[attachment.id] = attachment
        self.store.touch("attachment", attachment.id)
        self.store.emit(
            "attachment.attachment_created", attachment_id=attachment.id, customer_id=customer_id
        )
        return attachment

    def attachment_store(
        self, *, attachment_id: str, token: str, content: bytes, content_type: str | None = None
    ) -> Attachment:
        """Accept an upload to a URL from attachment_create (the S3 form POST's part)."""
        attachment = self.attachments.get(attachment_id)
        if attachment is None or not secrets.compare_digest(token, attachment.upload_token):
            raise StateError("forbidden", "invalid upload credentials", type="FORBIDDEN")
        if self.store.now() > attachment.upload_expires_at:
            raise StateError("forbidden", "the upload URL has expired", type="FORBIDDEN")
        if attachment.uploaded_at is not None:
            raise StateError("forbidden", "this attachment was already uploaded", type="FORBIDDEN")
        if len(content) > min(attachment.size_bytes, ATTACHMENT_MAX_BYTES):
            raise StateError(
                "attachment_file_size_too_large",
                f"the file has {len(content)} bytes, more than {attachment.size_bytes} declared",
            )
        attachment.uploaded_at = self.store.now()
        attachment.size_bytes = len(content)
        if content_type and attachment.mime_type == "application/octet-stream":
            attachment.mime_type = content_type
        self.store.blob_put(attachment.id, content)
        self.store.touch("attachment", attachment.id)
        self.store.emit("attachment.attachment_uploaded", attachment_id=attachment.id)
        return attachment

    def attachment_for_download(self, *, attachment_id: str) -> Attachment:
        attachment = self.attachments.get(attachment_id)
        if attachment is None:
            raise not_found("attachment_id", "attachment", attachment_id)
        # Like a presigned storage URL, it exists before the upload; fetching it 404s until then.
        return attachment

    def attachments_check(
        self, attachment_ids: Sequence[str] | None, *, field_name: str = "attachment_ids"
    ) -> list[str]:
        """The ids of uploaded attachments within Plain's count and size limits, for a message."""
        ids = list(attachment_ids or ())
        if len(ids) > ATTACHMENT_MAX_COUNT:
            raise invalid(field_name, f"at most {ATTACHMENT_MAX_COUNT} attachments are allowed")
        total = 0
        for attachment_id in ids:
            attachment = self.attachments.get(attachment_id)
            if attachment is None:
                raise not_found(field_name, "attachment", attachment_id)
            if attachment.uploaded_at is None:
                raise StateError(
                    "attachment_not_uploaded",
                    f"attachment {attachment_id} was created but never uploaded",
                    [FieldError(field_name, f"{attachment_id} is not uploaded")],
                )
            total += attachment.size_bytes
        if total > ATTACHMENT_MAX_BYTES:
            raise StateError(
                "attachment_file_size_too_large",
                "attachments combined exceed 6MB",
                [FieldError(field_name, "attachments combined exceed 6MB")],
            )
        return ids


# --- resolvers ---------------------------------------------------------------------------------


def sign_download(secret: bytes, attachment_id: str, expires: int) -> str:
    return hmac.new(secret, f"{attachment_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def attachments_of(source: dict[str, Any], info: GraphQLResolveInfo) -> list[Attachment]:
    """The attachments a message's `attachment_ids` name (for any type with `attachments`)."""
    attachments = graph.ctx(info).state.family(Attachments).attachments
    return [attachments[i] for i in source.get("attachment_ids") or () if i in attachments]


@graph.mutation(paths={"size_bytes": "fileSizeBytes"})
def m_create_attachment_upload_url(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    attachment = context.state.family(Attachments).attachment_create(
        actor=context.actor,
        customer_id=data["customerId"],
        file_name=data["fileName"],
        size_bytes=data["fileSizeBytes"],
        attachment_type=data["attachmentType"],
    )
    return {
        "attachmentUploadUrl": {
            "attachment": attachment,
            "upload_form_url": f"{context.base_url}/_emulator/uploads/{attachment.id}",
            "upload_form_data": [
                {"key": "key", "value": attachment.id},
                {"key": "token", "value": attachment.upload_token},
                {"key": "Content-Type", "value": attachment.mime_type},
            ],
            "expires_at": attachment.upload_expires_at,
        }
    }


@graph.mutation
def m_create_attachment_download_url(
    context: graph.Context, data: dict[str, Any]
) -> dict[str, Any]:
    state = context.state
    attachment = state.family(Attachments).attachment_for_download(
        attachment_id=data["attachmentId"]
    )
    expires = state.store.now() + DOWNLOAD_URL_TTL_MS
    token = sign_download(context.url_secret, attachment.id, expires)
    url = (
        f"{context.base_url}/_emulator/downloads/{quote(attachment.id)}"
        f"?expires={expires}&token={token}"
    )
    return {
        "attachmentDownloadUrl": {
            "attachment": attachment,
            "download_url": url,
            "expires_at": expires,
        }
    }


def _file_size(attachment: Attachment, _info: GraphQLResolveInfo) -> dict[str, Any]:
    return {
        "bytes": attachment.size_bytes,
        "kilo_bytes": attachment.size_bytes / 1000,
        "mega_bytes": attachment.size_bytes / 1_000_000,
    }


RESOLVERS: graph.Resolvers = {
    "Mutation": {
        "createAttachmentUploadUrl": m_create_attachment_upload_url,
        "createAttachmentDownloadUrl": m_create_attachment_download_url,
    },
    "Attachment": {
        "fileSize": _file_size,
        "fileExtension": graph.key("extension"),
        "fileMimeType": graph.key("mime_type"),
        "updatedAt": graph.key("created_at"),
        "updatedBy": graph.key("created_by"),
    },
}


# Declared fields this family holds no data for: answered as Plain answers when there is none.
ABSENT: dict[str, tuple[str, ...]] = {
    "CreateAttachmentDownloadUrlOutput": ("attachmentVirusScanResult",),
}
