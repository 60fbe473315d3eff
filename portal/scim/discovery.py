"""The discovery documents (RFC 7643 sections 5-7, RFC 7644 section 4): what this server does.

They describe what the portal keeps, not the whole core schema: attributes an identity provider
sends beyond these are accepted and ignored (portal/scim/resources.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal.scim.resources import GROUP_SCHEMA, USER_SCHEMA

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

Url = Callable[[str], str]  # a path under /scim/v2/ -> its absolute URL


def service_provider_config(*, url: Url, max_results: int) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token made for this client in the portal's admin "
                "(SCIM clients), sent as Authorization: Bearer <token>.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": url("ServiceProviderConfig")},
    }


def resource_types(*, url: Url) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A person who signs in to the portal; userName is the email address.",
            "schema": USER_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": url("ResourceTypes/User")},
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "An organisation: its members see its support requests.",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": url("ResourceTypes/Group")},
        },
    ]


def _attribute(
    name: str,
    *,
    kind: str = "string",
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    multi: bool = False,
    sub: list[dict[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    }
    if sub is not None:
        attribute["subAttributes"] = sub
    return attribute


def _reference(*, mutability: str) -> list[dict[str, Any]]:
    return [
        _attribute("value", mutability=mutability),
        _attribute("display", mutability="readOnly"),
        {
            **_attribute("$ref", kind="reference", mutability=mutability),
            "referenceTypes": ["User", "Group"],
        },
    ]


def schemas(*, url: Url) -> list[dict[str, Any]]:
    user = {
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A portal user",
        "attributes": [
            _attribute(
                "userName",
                required=True,
                uniqueness="server",
                description="The email address (the login).",
            ),
            _attribute("externalId", case_exact=True, description="The identity provider's id."),
            _attribute(
                "name",
                kind="complex",
                sub=[
                    _attribute("formatted"),
                    _attribute("givenName"),
                    _attribute("familyName"),
                ],
            ),
            _attribute("displayName"),
            _attribute("active", kind="boolean", description="False: the user cannot sign in."),
            _attribute(
                "emails",
                kind="complex",
                multi=True,
                mutability="readOnly",
                description="The userName, as the one work address.",
                sub=[
                    _attribute("value"),
                    _attribute("type"),
                    _attribute("primary", kind="boolean"),
                ],
            ),
            _attribute(
                "groups",
                kind="complex",
                multi=True,
                mutability="readOnly",
                sub=_reference(mutability="readOnly"),
            ),
        ],
        "meta": {"resourceType": "Schema", "location": url(f"Schemas/{USER_SCHEMA}")},
    }
    group = {
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "An organisation",
        "attributes": [
            _attribute("displayName", required=True),
            _attribute("externalId", case_exact=True),
            _attribute(
                "members", kind="complex", multi=True, sub=_reference(mutability="immutable")
            ),
        ],
        "meta": {"resourceType": "Schema", "location": url(f"Schemas/{GROUP_SCHEMA}")},
    }
    return [user, group]
