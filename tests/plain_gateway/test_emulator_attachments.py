"""Attachments in the emulator: upload URL, multipart upload, use in messages, download, limits."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

ERROR = "error { message type code fields { field message type } }"

UPLOAD_URL = f"""
mutation createAttachmentUploadUrl($input: CreateAttachmentUploadUrlInput!) {{
  createAttachmentUploadUrl(input: $input) {{
    attachmentUploadUrl {{
      uploadFormUrl uploadFormData {{ key value }} expiresAt {{ iso8601 }}
      attachment {{ id fileName fileExtension fileMimeType type fileSize {{ bytes kiloBytes }} }}
    }}
    {ERROR}
  }}
}}
"""

DOWNLOAD_URL = f"""
mutation createAttachmentDownloadUrl($input: CreateAttachmentDownloadUrlInput!) {{
  createAttachmentDownloadUrl(input: $input) {{
    attachmentDownloadUrl {{ downloadUrl expiresAt {{ iso8601 }} attachment {{ id fileName }} }}
    {ERROR}
  }}
}}
"""

CREATE_THREAD = f"""
mutation createThread($input: CreateThreadInput!) {{
  createThread(input: $input) {{ thread {{ id }} {ERROR} }}
}}
"""

REPLY = f"""
mutation replyToThread($input: ReplyToThreadInput!) {{ replyToThread(input: $input) {{ {ERROR} }} }}
"""

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4 + b"\r\n--not-a-boundary\r\n"
PNG_SIZE = len(PNG)


def _upload_url(graphql, customer_id, *, file_name="screenshot.png", size=PNG_SIZE):
    return graphql(
        UPLOAD_URL,
        input={
            "customerId": customer_id,
            "fileName": file_name,
            "fileSizeBytes": size,
            "attachmentType": "CUSTOM_TIMELINE_ENTRY",
        },
    )["data"]["createAttachmentUploadUrl"]


def _upload(emulator_http, upload, content=PNG, *, token=None):
    fields = {item["key"]: item["value"] for item in upload["uploadFormData"]}
    if token is not None:
        fields["token"] = token
    path = urlsplit(upload["uploadFormUrl"]).path
    return emulator_http.post(
        path, data=fields, files={"file": ("screenshot.png", content, "image/png")}
    )


@pytest.fixture
def customer(emulator_factory):
    return emulator_factory.customer()


def test_an_uploaded_attachment_goes_into_a_thread_and_downloads_byte_for_byte(
    graphql, emulator_http, customer
):
    result = _upload_url(graphql, customer["id"])
    upload = result["attachmentUploadUrl"]
    attachment = upload["attachment"]

    stored = _upload(emulator_http, upload)
    thread = graphql(
        CREATE_THREAD,
        input={
            "customerIdentifier": {"customerId": customer["id"]},
            "title": "See picture",
            "components": [{"componentText": {"text": "attached"}}],
            "attachmentIds": [attachment["id"]],
        },
    )["data"]["createThread"]
    download = graphql(DOWNLOAD_URL, input={"attachmentId": attachment["id"]})["data"][
        "createAttachmentDownloadUrl"
    ]
    url = urlsplit(download["attachmentDownloadUrl"]["downloadUrl"])
    fetched = emulator_http.get(f"{url.path}?{url.query}")

    assert result["error"] is None
    assert attachment["id"].startswith("att_")
    assert (attachment["fileExtension"], attachment["fileMimeType"]) == ("png", "image/png")
    assert attachment["fileSize"]["bytes"] == len(PNG)
    assert upload["uploadFormUrl"] == f"http://emulator.test/_emulator/uploads/{attachment['id']}"
    assert stored.status_code == 204
    assert thread["error"] is None
    assert fetched.status_code == 200
    assert fetched.content == PNG
    assert fetched.headers["content-type"] == "image/png"
    assert "screenshot.png" in fetched.headers["content-disposition"]
    entries = graphql(
        """query q($id: ID!) { thread(threadId: $id) { timelineEntries { edges { node { entry {
             ... on CustomEntry { attachments { id fileName } } } } } } } }""",
        id=thread["thread"]["id"],
    )["data"]["thread"]["timelineEntries"]["edges"]
    assert entries[0]["node"]["entry"]["attachments"] == [
        {"id": attachment["id"], "fileName": "screenshot.png"}
    ]


def test_a_file_over_6mb_is_refused_when_the_url_is_asked_for(graphql, customer):
    result = _upload_url(graphql, customer["id"], size=6 * 1024 * 1024 + 1)

    assert result["attachmentUploadUrl"] is None
    assert result["error"]["code"] == "attachment_file_size_too_large"


@pytest.mark.parametrize("file_name", ["setup.exe", "script.VBS", "a.b.bat"])
def test_a_banned_file_type_is_refused(graphql, customer, file_name):
    result = _upload_url(graphql, customer["id"], file_name=file_name)

    assert result["error"]["code"] == "attachment_file_type_not_allowed"


def test_an_upload_url_for_an_unknown_customer_is_not_found(graphql):
    result = _upload_url(graphql, "c_01UNKNOWN")

    assert result["error"]["code"] == "not_found"


def test_an_attachment_not_yet_uploaded_cannot_be_used(graphql, emulator_factory, customer):
    attachment = _upload_url(graphql, customer["id"])["attachmentUploadUrl"]["attachment"]
    thread = emulator_factory.thread(customer_id=customer["id"])

    created = graphql(
        CREATE_THREAD,
        input={
            "customerIdentifier": {"customerId": customer["id"]},
            "title": "x",
            "components": [{"componentText": {"text": "x"}}],
            "attachmentIds": [attachment["id"]],
        },
    )["data"]["createThread"]
    replied = graphql(
        REPLY,
        input={
            "threadId": thread["id"],
            "textContent": "see file",
            "attachmentIds": [attachment["id"]],
        },
    )["data"]["replyToThread"]

    assert created["error"]["code"] == "attachment_not_uploaded"
    assert replied["error"]["code"] == "attachment_not_uploaded"


def test_a_reply_carries_its_uploaded_attachment(
    graphql, emulator_http, emulator_factory, customer
):
    upload = _upload_url(graphql, customer["id"])["attachmentUploadUrl"]
    _upload(emulator_http, upload)
    thread = emulator_factory.thread(customer_id=customer["id"])

    replied = graphql(
        REPLY,
        input={
            "threadId": thread["id"],
            "textContent": "see file",
            "attachmentIds": [upload["attachment"]["id"]],
            "impersonation": {"asCustomer": {"customerIdentifier": {"customerId": customer["id"]}}},
        },
    )["data"]["replyToThread"]

    assert replied["error"] is None
    edges = graphql(
        """query q($id: ID!) { thread(threadId: $id) {
             timelineEntries(last: 1) { edges { node { entry {
             ... on ChatEntry { attachments { id } } } } } } } }""",
        id=thread["id"],
    )["data"]["thread"]["timelineEntries"]["edges"]
    assert edges[0]["node"]["entry"]["attachments"] == [{"id": upload["attachment"]["id"]}]


def test_an_upload_with_a_wrong_token_is_forbidden(graphql, emulator_http, customer):
    upload = _upload_url(graphql, customer["id"])["attachmentUploadUrl"]

    response = _upload(emulator_http, upload, token="guessed")

    assert response.status_code == 403


def test_an_upload_larger_than_declared_is_refused(graphql, emulator_http, customer):
    upload = _upload_url(graphql, customer["id"], size=10)["attachmentUploadUrl"]

    response = _upload(emulator_http, upload)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "attachment_file_size_too_large"


def test_an_attachment_is_uploaded_only_once(graphql, emulator_http, customer):
    upload = _upload_url(graphql, customer["id"])["attachmentUploadUrl"]
    _upload(emulator_http, upload)

    again = _upload(emulator_http, upload, b"other bytes")

    assert again.status_code == 403


def test_a_tampered_download_url_is_forbidden_and_a_missing_file_is_404(
    graphql, emulator_http, customer
):
    upload = _upload_url(graphql, customer["id"])["attachmentUploadUrl"]
    download = graphql(DOWNLOAD_URL, input={"attachmentId": upload["attachment"]["id"]})["data"][
        "createAttachmentDownloadUrl"
    ]["attachmentDownloadUrl"]
    url = urlsplit(download["downloadUrl"])

    before_upload = emulator_http.get(f"{url.path}?{url.query}")
    tampered = emulator_http.get(f"{url.path}?{url.query.replace('token=', 'token=0')}")

    assert before_upload.status_code == 404
    assert tampered.status_code == 403


def test_a_download_url_for_an_unknown_attachment_is_not_found(graphql):
    result = graphql(DOWNLOAD_URL, input={"attachmentId": "att_01UNKNOWN"})["data"][
        "createAttachmentDownloadUrl"
    ]

    assert result["error"]["code"] == "not_found"
