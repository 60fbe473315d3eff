"""Attachments: uploaded with new requests and replies within Plain's limits, and downloaded
through the portal with the thread's own access check."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import portal.plain
from portal.support.forms import ATTACHMENT_MAX_COUNT, ATTACHMENT_MAX_TOTAL_BYTES
from portal.support.models import Submission
from portal.tenancy.services import plain_customer_ensure
from tests.portal.conftest import TEST_API_KEY
from tests.portal.support.pages import (
    elements,
    input_value,
    page_text,
    textarea_value,
    without_tokens,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SYSTEM = {"kind": "system", "id": "test"}


def _file(name: str, content: bytes = b"hello", content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _calls(emulator_control) -> list[str]:
    return [request["operationName"] for request in emulator_control.requests()]


def _thread_id(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].rstrip("/").split("/")[-1]


def _attachments_of(plain, thread_id: str):
    return [
        attachment
        for item in plain.thread(thread_id=thread_id).timeline.items
        for attachment in getattr(item.entry, "attachments", ())
    ]


def _uploaded(plain, *, customer_id: str, name: str, content: bytes, kind: str = "CHAT") -> str:
    upload = plain.create_attachment_upload_url(
        customer_id=customer_id, file_name=name, size_bytes=len(content), attachment_type=kind
    )
    plain.upload_attachment(upload=upload, content=content)
    return upload.attachment.id


def _field_group(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    end = html.index("</div>", start)
    return html[html.rindex('<div class="field', 0, start) : end]


class _ErrorItems(HTMLParser):
    """The text of each <li> of the attachments field's error list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self._in_list = False
        self._item: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "ul" and "errorlist" in (dict(attrs).get("class") or "").split():
            self._in_list = True
        elif tag == "li" and self._in_list:
            self._item = []

    def handle_endtag(self, tag):
        if tag == "li" and self._item is not None:
            self.items.append(" ".join("".join(self._item).split()))
            self._item = None
        elif tag == "ul":
            self._in_list = False

    def handle_data(self, data):
        if self._item is not None:
            self._item.append(data)


def _attachment_errors(html: str) -> list[str]:
    parser = _ErrorItems()
    parser.feed(_field_group(html, "attachments"))
    parser.close()
    return parser.items


@pytest.fixture
def thread_with_file(plain, alice, acme):
    """Alice's thread whose first message carries report.pdf."""
    customer_id = plain_customer_ensure(user=alice)
    attachment_id = _uploaded(
        plain,
        customer_id=customer_id,
        name="report.pdf",
        content=b"%PDF-1.4 quarterly",
        kind="CUSTOM_TIMELINE_ENTRY",
    )
    thread = plain.create_thread(
        customer_id=customer_id,
        tenant_external_id=acme.tenant_external_id,
        title="See the report",
        text="Attached.",
        attachment_ids=[attachment_id],
    )
    return thread, attachment_id


# --- uploading ------------------------------------------------------------------------------------


def test_a_new_request_uploads_its_files_to_plain_and_attaches_them(
    alice_client, alice, acme, plain, emulator_control
):
    emulator_control.clear_requests()

    response = alice_client.post(
        reverse("support:thread_create"),
        {
            "title": "Screenshots",
            "message": "See attached",
            "attachments": [
                _file("screen.png", b"\x89PNG fake", "image/png"),
                _file("log.txt", b"line 1\nline 2"),
            ],
        },
    )

    attachments = _attachments_of(plain, _thread_id(response))
    assert [(a.file_name, a.size_bytes) for a in attachments] == [
        ("screen.png", 9),
        ("log.txt", 13),
    ]
    calls = _calls(emulator_control)
    assert calls.count("createAttachmentUploadUrl") == 2
    # Upload URLs first, then one createThread that names them.
    assert calls.index("createThread") > max(
        i for i, name in enumerate(calls) if name == "createAttachmentUploadUrl"
    )
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.DONE
    # Plain has the files: our copies are gone, their names and attachment ids stay.
    assert [file["attachment_id"] for file in submission.files] == [a.id for a in attachments]
    assert not any(default_storage.exists(file["path"]) for file in submission.files)


def test_a_reply_carries_its_files(alice_client, alice, acme, plain, make_thread):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "Here is the log", "attachments": [_file("crash.log", b"boom")]},
        **HTMX,
    )

    assert response.status_code == 200
    last = plain.thread(thread_id=thread.id).timeline.items[-1]
    assert last.entry.text == "Here is the log"
    assert [(a.file_name, a.size_bytes) for a in last.entry.attachments] == [("crash.log", 4)]


@pytest.mark.parametrize(
    ("files", "words"),
    [
        (
            [_file(f"f{i}.txt") for i in range(ATTACHMENT_MAX_COUNT + 1)],
            [
                f"f25.txt was not attached: a message can carry at most {ATTACHMENT_MAX_COUNT} "
                "files.",
                "Nothing was sent; attach these again, they are fine: "
                + ", ".join(f"f{i}.txt" for i in range(ATTACHMENT_MAX_COUNT))
                + ".",
            ],
        ),
        (
            [
                _file("a.bin.txt", b"x" * (ATTACHMENT_MAX_TOTAL_BYTES // 2)),
                _file("b.txt", b"x" * (ATTACHMENT_MAX_TOTAL_BYTES // 2 + 1)),
            ],
            [
                "b.txt was not attached: with it the files would be 6.0 MB and together they "
                "can be at most 6.0 MB.",
                "Nothing was sent; attach these again, they are fine: a.bin.txt.",
            ],
        ),
        (
            [_file("setup.EXE"), _file("notes.txt")],
            [
                "setup.EXE was not attached: files of type .exe cannot be attached.",
                "Nothing was sent; attach these again, they are fine: notes.txt.",
            ],
        ),
        (
            [_file("macro.vbs"), _file("run.bat")],
            [
                "macro.vbs was not attached: files of type .vbs cannot be attached.",
                "run.bat was not attached: files of type .bat cannot be attached.",
            ],
        ),
        (
            [_file("empty.txt", b"")],
            ["empty.txt was not attached: the submitted file is empty."],
        ),
    ],
)
def test_files_plain_would_refuse_are_refused_beside_the_field_before_anything_is_sent(
    alice_client, emulator_control, files, words
):
    emulator_control.clear_requests()

    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "Keep me", "message": "And me", "attachments": files},
    )

    html = page_text(response)
    assert response.status_code == 200
    assert _attachment_errors(html) == words
    assert input_value(html, "title") == "Keep me"
    assert textarea_value(html, "message") == "And me"
    calls = _calls(emulator_control)
    assert "createAttachmentUploadUrl" not in calls and "createThread" not in calls
    assert not Submission.objects.exists()


def test_a_reply_with_too_many_files_keeps_its_text(
    alice_client, alice, acme, make_thread, emulator_control
):
    thread = make_thread(user=alice, organization=acme)
    emulator_control.clear_requests()

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "My words", "attachments": [_file(f"{i}.txt") for i in range(26)]},
        **HTMX,
    )

    html = page_text(response)
    errors = _attachment_errors(html)
    assert errors[0] == "25.txt was not attached: a message can carry at most 25 files."
    assert errors[1].endswith("they are fine: " + ", ".join(f"{i}.txt" for i in range(25)) + ".")
    assert textarea_value(html, "text") == "My words"
    assert "replyToThread" not in _calls(emulator_control)


def test_the_forms_upload_as_multipart_with_and_without_javascript(
    alice_client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)

    for html in (
        page_text(alice_client.get(reverse("support:thread_create"))),
        page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id]))),
    ):
        (form,) = [f for f in elements(html, "form") if "data-upload-progress" in f]
        assert form["enctype"] == form["hx-encoding"] == "multipart/form-data"
        assert form["method"] == "post" and form.get("action")
        (files,) = [i for i in elements(html, "input") if i.get("name") == "attachments"]
        assert files["type"] == "file" and "multiple" in files
        assert "<progress" in html
        assert "js/uploads.js" in html


# --- downloading ----------------------------------------------------------------------------------


def test_an_attachment_downloads_through_the_portal(alice_client, thread_with_file):
    thread, attachment_id = thread_with_file

    response = alice_client.get(
        reverse("support:attachment_download", args=[thread.id, attachment_id])
    )

    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 quarterly"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_another_organisations_attachment_is_the_same_404_as_none(client, carol, thread_with_file):
    thread, attachment_id = thread_with_file
    client.force_login(carol)

    theirs = client.get(reverse("support:attachment_download", args=[thread.id, attachment_id]))
    missing = client.get(
        reverse("support:attachment_download", args=[thread.id, "att_01JZZZZZZZZZZZZZZZZZZZZZZZ"])
    )

    assert theirs.status_code == 404 and missing.status_code == 404
    assert without_tokens(page_text(theirs)) == without_tokens(page_text(missing))


def test_an_attachment_of_another_thread_is_404_even_for_a_member(
    alice_client, alice, acme, make_thread, thread_with_file, emulator_control
):
    _, attachment_id = thread_with_file
    other = make_thread(user=alice, organization=acme, title="Unrelated")
    emulator_control.clear_requests()

    response = alice_client.get(
        reverse("support:attachment_download", args=[other.id, attachment_id])
    )

    assert response.status_code == 404
    assert "createAttachmentDownloadUrl" not in _calls(emulator_control)


def test_an_attachment_on_an_internal_note_is_not_downloadable(
    alice_client, alice, acme, plain, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    customer_id = plain_customer_ensure(user=alice)
    attachment_id = _uploaded(
        plain, customer_id=customer_id, name="internal.txt", content=b"secret", kind="NOTE"
    )
    with portal.plain._embedded_transport().app.state.transaction() as state:
        state.note_create(
            actor=SYSTEM,
            customer_id=customer_id,
            thread_id=thread.id,
            text="for agents",
            attachment_ids=[attachment_id],
        )

    response = alice_client.get(
        reverse("support:attachment_download", args=[thread.id, attachment_id])
    )

    assert response.status_code == 404
    assert b"secret" not in response.content


def test_an_attachment_further_back_than_the_first_timeline_page_is_found(
    alice_client, alice, plain, thread_with_file
):
    thread, attachment_id = thread_with_file
    customer_id = plain_customer_ensure(user=alice)
    for n in range(60):
        plain.send_chat(customer_id=customer_id, thread_id=thread.id, text=f"Update {n}")

    response = alice_client.get(
        reverse("support:attachment_download", args=[thread.id, attachment_id])
    )

    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 quarterly"


def test_the_api_key_never_goes_to_the_download_url(alice_client, thread_with_file, monkeypatch):
    thread, attachment_id = thread_with_file
    seen: list[httpx.Request] = []
    answer = httpx.WSGITransport.handle_request

    def record(transport, request):
        seen.append(request)
        return answer(transport, request)

    monkeypatch.setattr(httpx.WSGITransport, "handle_request", record)

    response = alice_client.get(
        reverse("support:attachment_download", args=[thread.id, attachment_id])
    )

    assert response.status_code == 200
    downloads = [r for r in seen if "/_emulator/downloads/" in r.url.path]
    graphql = [r for r in seen if r.url.path.endswith("/graphql/v1")]
    assert len(downloads) == 1 and graphql
    assert "authorization" not in downloads[0].headers
    assert all(r.headers["authorization"] == f"Bearer {TEST_API_KEY}" for r in graphql)
    assert TEST_API_KEY.encode() not in response.content


def test_a_download_while_plain_fails_says_so_without_a_500(
    alice_client, thread_with_file, emulator_control
):
    thread, attachment_id = thread_with_file
    emulator_control.fail_next(count=20, status=503)

    response = alice_client.get(
        reverse("support:attachment_download", args=[thread.id, attachment_id])
    )

    assert response.status_code == 503
    assert "Our support system is not answering right now" in page_text(response)


def test_a_malformed_attachment_id_never_reaches_plain(
    alice_client, thread_with_file, emulator_control
):
    thread, _ = thread_with_file
    emulator_control.clear_requests()

    response = alice_client.get(f"/threads/{thread.id}/attachments/not-an-attachment/")

    assert response.status_code == 404
    assert _calls(emulator_control) == []


def _submission_folders(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "submissions"
    return sorted(path.name for path in root.iterdir()) if root.exists() else []


def test_once_plain_has_the_files_their_folder_is_gone_too(
    alice_client, alice, acme, make_thread, settings
):
    thread = make_thread(user=alice, organization=acme)

    alice_client.post(
        reverse("support:thread_create"),
        {"title": "Files", "message": "Attached", "attachments": [_file("a.txt")]},
    )
    alice_client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "More", "attachments": [_file("b.txt")]},
    )

    assert Submission.objects.filter(status=Submission.Status.DONE).count() == 2
    assert _submission_folders(settings) == []
