"""SCIM's error answers (RFC 7644, section 3.12): every refusal the API gives is one of these."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

__all__ = ["ERROR_SCHEMA", "ScimError"]


class ScimError(Exception):
    """A refusal with its HTTP status, a `scimType` (RFC 7644 table 9) for 400/409, and a detail
    safe to send to the client (it never quotes secrets)."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body

    @classmethod
    def bad(cls, scim_type: str, detail: str) -> ScimError:
        return cls(400, detail, scim_type)

    @classmethod
    def not_found(cls, detail: str = "No such resource.") -> ScimError:
        return cls(404, detail)

    @classmethod
    def conflict(cls, detail: str) -> ScimError:
        return cls(409, detail, "uniqueness")
