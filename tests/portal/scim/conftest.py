"""Fixtures for SCIM tests: a provisioning client with its token, and `scim`, a small HTTP
client for /scim/v2/ that sends the token and JSON as identity providers do."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from django.test import Client

from portal.scim.tokens import client_create

BASE = "/scim/v2/"
SCIM_JSON = "application/scim+json"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sync(django_capture_on_commit_callbacks):
    """`with sync():` runs what was enqueued on commit (the eager outbox tasks) as the block
    ends: tests run in a transaction that never commits."""
    return functools.partial(django_capture_on_commit_callbacks, execute=True)


class ScimApi:
    """Requests to /scim/v2/ with a bearer token; `.json` of each response is parsed."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def request(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        headers = {}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
        response = getattr(self.client, method)(
            BASE + path.lstrip("/"),
            data=data if data is not None else "",
            content_type=SCIM_JSON,
            headers=headers,
            **extra,
        )
        response.data = (
            json.loads(response.content)
            if response.content and response["Content-Type"].startswith(SCIM_JSON)
            else None
        )
        return response

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token is not None else {}
        response = self.client.get(BASE + path.lstrip("/"), params or {}, headers=headers)
        response.data = (
            json.loads(response.content) if response["Content-Type"].startswith(SCIM_JSON) else None
        )
        return response

    def post(self, path: str, body: Any) -> Any:
        return self.request("post", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("put", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.request("delete", path)


@pytest.fixture
def provisioning_client(db):
    client, token = client_create(name="Test IdP")
    return client, token


@pytest.fixture
def scim(client, provisioning_client) -> ScimApi:
    return ScimApi(client, provisioning_client[1])


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": list(operations),
    }


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(SCIM_JSON)
    assert response.data["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.data["status"] == str(status)
    assert response.data["detail"]
    if scim_type is not None:
        assert response.data["scimType"] == scim_type
