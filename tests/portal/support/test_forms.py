"""The attachment checks of the new-request and reply forms: every refused file is named with its
reason, and the files that were fine are named too (nothing is sent, so they are attached again)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from portal.support.forms import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_MAX_COUNT,
    ATTACHMENT_MAX_TOTAL_BYTES,
    ReplyForm,
    size_text,
)

MB = 1024 * 1024


def _file(name: str, size: int = 5) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size, content_type="application/octet-stream")


def _errors(files: list[SimpleUploadedFile]) -> list[str]:
    form = ReplyForm({"text": "Hello"}, MultiValueDict({"attachments": files}))
    assert not form.is_valid()
    return list(form.errors["attachments"])


def test_each_refused_file_is_named_with_its_reason_and_the_fine_ones_are_listed():
    errors = _errors(
        [
            _file("notes.txt"),
            _file("setup.EXE"),
            _file("huge.log", ATTACHMENT_MAX_BYTES + 1),
            _file("empty.txt", 0),
            _file("photo.png", 4 * MB),
            _file("video.mp4", 3 * MB),
        ]
    )

    assert errors == [
        "setup.EXE was not attached: files of type .exe cannot be attached.",
        "huge.log was not attached: it is 6.0 MB and a file can be at most 6.0 MB.",
        "empty.txt was not attached: the submitted file is empty.",
        "video.mp4 was not attached: with it the files would be 7.0 MB and together they can "
        "be at most 6.0 MB.",
        "Nothing was sent; attach these again, they are fine: notes.txt, photo.png.",
    ]


def test_files_past_the_count_are_named_one_by_one():
    files = [_file(f"f{i}.txt") for i in range(ATTACHMENT_MAX_COUNT + 2)]

    errors = _errors(files)

    assert errors[:2] == [
        f"f{ATTACHMENT_MAX_COUNT}.txt was not attached: a message can carry at most "
        f"{ATTACHMENT_MAX_COUNT} files.",
        f"f{ATTACHMENT_MAX_COUNT + 1}.txt was not attached: a message can carry at most "
        f"{ATTACHMENT_MAX_COUNT} files.",
    ]
    fine = ", ".join(f"f{i}.txt" for i in range(ATTACHMENT_MAX_COUNT))
    assert errors[2:] == [f"Nothing was sent; attach these again, they are fine: {fine}."]


def test_with_no_fine_file_only_the_refusals_are_said():
    assert _errors([_file("run.bat"), _file("macro.VBS")]) == [
        "run.bat was not attached: files of type .bat cannot be attached.",
        "macro.VBS was not attached: files of type .vbs cannot be attached.",
    ]


def test_files_within_every_limit_pass():
    files = [_file("a.txt", ATTACHMENT_MAX_TOTAL_BYTES // 2), _file("b.txt", 3 * MB)]

    form = ReplyForm({"text": "Hello"}, MultiValueDict({"attachments": files}))

    assert form.is_valid(), form.errors
    assert [file.name for file in form.cleaned_data["attachments"]] == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1.0 KB"),
        (1024 + 51, "1.0 KB"),
        (1024 + 52, "1.1 KB"),
        (MB + MB // 4, "1.3 MB"),  # a tie rounds up, as Math.floor(x + 0.5) does in uploads.js
        (6 * MB, "6.0 MB"),
    ],
)
def test_sizes_are_written_as_the_browser_writes_them(size, text):
    assert size_text(size) == text
