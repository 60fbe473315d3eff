"""A bounded fuzz over every route and form: no input is a 5xx, and none leaves garbage behind.

Deterministic (a fixed seed), a few hundred requests through the whole Django stack (middleware,
CSRF, forms, views) against the embedded emulator: odd charsets, NULs, unicode and overlong ids,
huge and malformed multipart bodies, hostile query strings. Run on PostgreSQL too (CI does), where
a NUL or an overlong value that reaches a query is an error rather than a silent truncation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.test import Client

from portal.support.models import Submission
from portal.tenancy.services import plain_customer_ensure
from tests.factories import MembershipFactory, UserFactory
from tests.portal.support.conftest import org_in_plain

pytestmark = pytest.mark.django_db

SEED = 20261201
# A thread id as Plain makes them, and a submission key as the portal makes them.
PLAIN_ID = re.compile(r"[a-z]{1,8}_[0-9A-HJKMNP-TV-Z]{26}")
SUBMISSION_KEY = re.compile(r"sub_[0-9A-HJKMNP-TV-Z]{26}")

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u0000\ufeff",
    "é" * 300,
    "😀" * 50,
    "x" * 70_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
]


def hostile_ids(real: str) -> list[str]:
    return [
        real + "\x00",
        real + "%00",
        real[:-1] + "é",
        real + "A" * 40,  # longer than any column holding it
        "th_" + "A" * 64,
        "th_",
        "TH_" + real[3:],
        "th_" + "😀" * 10,
        "sub_" + "0" * 26,
        "..",
        "%2e%2e",
        "th_" + "0" * 26,
    ]


def path_quote(value: str) -> str:
    """The value as it would appear in a request line (what a browser or attacker sends)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="%")


@pytest.fixture
def world(plain, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    acme = org_in_plain(plain, name="Acme", slug="acme")
    globex = org_in_plain(plain, name="Globex", slug="globex")
    alice = UserFactory(email="alice@acme.test", full_name="Alice Archer")
    MembershipFactory(user=alice, organization=acme)
    carol = UserFactory(email="carol@globex.test", full_name="Carol Cole")
    MembershipFactory(user=carol, organization=globex)
    staff = UserFactory(email="admin@portal.test", is_staff=True, is_superuser=True)
    mine = plain.create_thread(
        customer_id=plain_customer_ensure(user=alice),
        tenant_external_id=acme.tenant_external_id,
        title="Mine",
        text="Hello",
    )
    theirs = plain.create_thread(
        customer_id=plain_customer_ensure(user=carol),
        tenant_external_id=globex.tenant_external_id,
        title="Theirs",
        text="Hello",
    )
    return {"alice": alice, "staff": staff, "mine": mine.id, "theirs": theirs.id}


def clients(user) -> Iterator[Client]:
    """A client that enforces CSRF as browsers meet it, and one that reaches the views."""
    for enforce in (True, False):
        client = Client(enforce_csrf_checks=enforce, raise_request_exception=False)
        client.force_login(user)
        yield client


def urlencoded(fields: dict[str, str], charset: str) -> bytes:
    text = "&".join(
        f"{quote(k, safe='')}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in fields.items()
    )
    codec = charset if charset in {"utf-8", "utf-16", "latin-1", "utf-32"} else "utf-8"
    return text.encode(codec, "replace")


def multipart(fields: dict[str, str], *, boundary: str, files: int, file_size: int) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8", "surrogatepass")
            + b"\r\n"
        )
    for index in range(files):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="f{index}\x00.txt"\r\nContent-Type: text/plain\r\n\r\n'.encode()
            + b"z" * file_size
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


BODY_SHAPES = [
    ("urlencoded", "utf-8"),
    ("urlencoded", "utf-16"),
    ("urlencoded", "utf-32"),
    ("urlencoded", "no-such-charset"),
    ("urlencoded", "latin-1"),
    ("multipart", "ok"),
    ("multipart", "truncated"),
    ("multipart", "no-boundary"),
    ("multipart", "huge"),
    ("raw", "garbage"),
]


def body_for(shape: tuple[str, str], fields: dict[str, str], rng: random.Random):
    kind, variant = shape
    if kind == "urlencoded":
        return (
            urlencoded(fields, variant),
            f"application/x-www-form-urlencoded; charset={variant}",
        )
    if kind == "multipart":
        boundary = "----fuzz" + str(rng.randrange(10**9))
        if variant == "huge":
            body = multipart(fields, boundary=boundary, files=30, file_size=250_000)
        else:
            body = multipart(fields, boundary=boundary, files=rng.randrange(3), file_size=100)
        if variant == "truncated":
            body = body[: len(body) // 2]
        content_type = (
            "multipart/form-data"
            if variant == "no-boundary"
            else f"multipart/form-data; boundary={boundary}"
        )
        return body, content_type
    return bytes(rng.randrange(256) for _ in range(512)), "application/octet-stream"


def post_routes(world) -> list[tuple[str, list[str]]]:
    mine, theirs = world["mine"], world["theirs"]
    return [
        ("/threads/new/", ["title", "message", "priority", "organization", "category"]),
        (f"/threads/{mine}/reply/", ["text"]),
        (f"/threads/{theirs}/reply/", ["text"]),
        (f"/threads/{mine}/resolve/", []),
        (f"/threads/{mine}/reopen/", []),
        ("/accounts/login/", ["username", "password", "next"]),
        ("/accounts/password_reset/", ["email"]),
        ("/accounts/password_change/", ["old_password", "new_password1", "new_password2"]),
        ("/accounts/time-zone/", ["time_zone"]),
        ("/accounts/logout/", []),
    ]


def get_paths(world) -> list[str]:
    mine, theirs = world["mine"], world["theirs"]
    paths = []
    for thread_id in (mine, theirs):
        for bad in hostile_ids(thread_id):
            quoted = path_quote(bad)
            paths += [
                f"/threads/{quoted}/",
                f"/threads/saved/{quoted}/",
                f"/threads/{mine}/attachments/{quoted}/",
                f"/threads/{quoted}/attachments/att_{'0' * 26}/",
            ]
    for value in HOSTILE_TEXT:
        quoted = path_quote(value)
        paths += [
            f"/threads/?status={quoted}",
            f"/threads/?after={quoted}",
            f"/threads/?before={quoted}&after={quoted}",
            f"/threads/{mine}/?before={quoted}",
            f"/threads/{theirs}/?before={quoted}",
            f"/accounts/login/?next={quoted}",
        ]
    return paths


def admin_paths(value: str) -> list[str]:
    quoted = path_quote(value)
    return [
        f"/admin/accounts/user/?q={quoted}",
        f"/admin/tenancy/organization/?q={quoted}",
        f"/admin/support/submission/?q={quoted}",
        f"/admin/accounts/user/{quoted}/change/",
    ]


def test_no_input_is_a_server_error_or_leaves_garbage(world, settings):
    rng = random.Random(SEED)
    failures = []
    sent = 0

    def check(what: str, send, *args, **kwargs) -> None:
        nonlocal sent
        sent += 1
        try:
            response = send(*args, **kwargs)
        except Exception as exc:  # escaped every handler: a bare 500 from the server
            failures.append(f"raised {type(exc).__name__} {what[:160]}")
            return
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {what[:160]}")

    for client in clients(world["alice"]):
        for path in get_paths(world):
            check(f"GET {path!r}", client.get, path)
        for route, names in post_routes(world):
            for shape in BODY_SHAPES:
                fields = {name: rng.choice(HOSTILE_TEXT) for name in names}
                fields["csrfmiddlewaretoken"] = rng.choice(["", "x" * 64, "\x00"])
                body, content_type = body_for(shape, fields, rng)
                check(
                    f"POST {route} {shape}",
                    client.generic,
                    "POST",
                    route,
                    body,
                    content_type=content_type,
                    HTTP_HX_REQUEST="true",
                )
            client.force_login(world["alice"])  # logout and password change end the session
        for thread_id in (world["mine"], world["theirs"]):
            for bad in hostile_ids(thread_id):
                for action in ("reply", "resolve", "reopen"):
                    path = f"/threads/{path_quote(bad)}/{action}/"
                    check(f"POST {path!r}", client.post, path, {"text": "Hello"})

    staff = Client(raise_request_exception=False)
    staff.force_login(world["staff"])
    for value in HOSTILE_TEXT:
        for path in admin_paths(value):
            check(f"GET {path!r}", staff.get, path)

    assert sent == 760
    assert not failures, "\n".join(failures)

    for submission in Submission.objects.all():
        assert SUBMISSION_KEY.fullmatch(submission.key)
        assert submission.thread_id == "" or PLAIN_ID.fullmatch(submission.thread_id), submission
        assert "\x00" not in repr(submission.payload)
