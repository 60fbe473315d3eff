"""SCIM's User and Group resources: reading request bodies and PATCH operations into drafts,
and writing the portal's users and organisations out as resources.

A draft is the whole resource as it will be after the request; services.py compares it with the
database and writes the difference. Every check happens while the draft is built, so a request
that fails does so before anything is written.

What the identity providers send that the portal does not keep (enterprise extension
attributes, phone numbers, addresses, title, locale, ...) is accepted and ignored rather than
refused: Entra ID's and Okta's default attribute mappings send them, and a refusal would stop
the whole provisioning run. `userName` is the user's email address (the portal's login);
`emails` is answered from it and ignored on input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from portal.accounts.models import User
from portal.scim.errors import ScimError
from portal.scim.models import PLACEHOLDER_PREFIX, ScimProfile
from portal.tenancy.models import Organization

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# Lengths of the fields the drafts land in.
MAX_NAME_PART = 200
MAX_EXTERNAL_ID = 255
# PATCH requests with more operations are refused; a membership sync sends a handful.
MAX_OPERATIONS = 1000
MAX_MEMBERS = 10000

# attrPath [ "[" attr "eq" "value" "]" ] [ "." subAttr ], optionally behind a schema URN.
_PATH = re.compile(
    r"""^(?:(?P<urn>urn:[^\[\]\s"]+):)?
        (?P<attr>[A-Za-z][\w$-]*)
        (?:\[\s*(?P<fattr>[A-Za-z][\w$-]*)\s+eq\s+"(?P<fvalue>(?:[^"\\]|\\.)*)"\s*\])?
        (?:\.(?P<sub>[A-Za-z][\w$-]*))?$""",
    re.VERBOSE,
)
_IGNORED_TOP_LEVEL = frozenset({"schemas", "id", "meta"})


# === drafts ==================================================================================


@dataclass(frozen=True)
class UserDraft:
    user_name: str
    external_id: str = ""  # "" when the client named none
    given_name: str = ""
    family_name: str = ""
    formatted: str = ""
    display_name: str = ""
    active: bool = True

    @property
    def full_name(self) -> str:
        """The portal's one name: the formatted name, else the display name, else the parts."""
        joined = " ".join(p for p in (self.given_name, self.family_name) if p)
        return (self.formatted or self.display_name or joined).strip()[:MAX_NAME_PART]


@dataclass(frozen=True)
class GroupDraft:
    display_name: str
    external_id: str = ""
    # Portal ids (User.portal_id, as strings) of the members; None: leave them as they are.
    members: frozenset[str] | None = None


@dataclass(frozen=True)
class _Path:
    urn: str
    attr: str  # lowercased
    filter_attr: str  # lowercased, "" without a value filter
    filter_value: str
    sub: str  # lowercased

    @property
    def name(self) -> str:
        return f"{self.attr}.{self.sub}" if self.sub else self.attr


def _parse_path(text: object, *, core_urn: str) -> _Path | None:
    """The parsed path; None for a path into a schema extension (ignored); invalidPath else."""
    if not isinstance(text, str) or not text.strip():
        raise ScimError.bad("invalidPath", "A PATCH path must be a non-empty string.")
    match = _PATH.match(text.strip())
    if match is None:
        raise ScimError.bad("invalidPath", f"The path {text[:100]!r} is not one this server reads.")
    urn = match["urn"] or ""
    if urn and urn.lower() != core_urn.lower():
        return None
    return _Path(
        urn=urn,
        attr=match["attr"].lower(),
        filter_attr=(match["fattr"] or "").lower(),
        filter_value=(match["fvalue"] or "").replace('\\"', '"'),
        sub=(match["sub"] or "").lower(),
    )


def _string(value: object, *, attribute: str, limit: int = MAX_NAME_PART) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScimError.bad("invalidValue", f"{attribute} must be a string.")
    if len(value) > limit:
        raise ScimError.bad("invalidValue", f"{attribute} is over {limit} characters.")
    if "\x00" in value:  # PostgreSQL cannot store it
        raise ScimError.bad("invalidValue", f"{attribute} contains a NUL character.")
    return value.strip()


def _boolean(value: object, *, attribute: str) -> bool:
    # Entra ID sends "True"/"False" as strings unless its SCIM compliance flag is on.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ScimError.bad("invalidValue", f"{attribute} must be true or false.")


def _object(body: object) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise ScimError.bad("invalidSyntax", "The request body must be a JSON object.")
    return body


def _core_items(data: Mapping[str, Any], *, core_urn: str) -> Iterable[tuple[str, Any]]:
    """(lowercased attribute name, value) of a body, with the core schema's URN spelled out or
    not (`urn:...:User:userName`, or the core URN as a key holding an object); extensions and
    read-only keys are left out."""
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered == core_urn.lower() and isinstance(value, dict):
            yield from _core_items(value, core_urn=core_urn)
            continue
        prefix = core_urn.lower() + ":"
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix) :]
        elif lowered.startswith("urn:"):
            continue  # an extension schema: nothing the portal keeps
        if lowered not in _IGNORED_TOP_LEVEL:
            yield lowered, value


# --- users -----------------------------------------------------------------------------------


def user_draft_from_body(body: object) -> UserDraft:
    """The draft a POST or PUT body describes. Attributes it leaves out are empty, except
    `active`, which defaults to true."""
    data = _object(body)
    draft = UserDraft(user_name="")
    for name, value in _core_items(data, core_urn=USER_SCHEMA):
        draft = _user_set(draft, name, value, op="replace")
    if not draft.user_name:
        raise ScimError.bad("invalidValue", "userName (the email address) is required.")
    return draft


def user_draft_of(user: User) -> UserDraft:
    profile: ScimProfile | None = getattr(user, "scim_profile", None)
    external_id = "" if user.external_id.startswith(PLACEHOLDER_PREFIX) else user.external_id
    if profile is None:
        return UserDraft(
            user_name=user.email,
            external_id=external_id,
            formatted=user.full_name,
            active=user.is_active,
        )
    return UserDraft(
        user_name=user.email,
        external_id=external_id,
        given_name=profile.given_name,
        family_name=profile.family_name,
        formatted=profile.formatted,
        display_name=profile.display_name,
        active=user.is_active,
    )


def user_draft_patch(draft: UserDraft, body: object) -> UserDraft:
    """The draft after a PATCH body's operations, applied in order."""
    for op, path, value in _operations(body, core_urn=USER_SCHEMA):
        if path is None:
            for name, item in _core_items(value, core_urn=USER_SCHEMA):
                draft = _user_set(draft, name, item, op=op)
        elif path.filter_attr:
            continue  # emails[type eq "work"].value and the like: not kept (see the docstring)
        else:
            draft = _user_set(draft, path.name, value, op=op)
    if not draft.user_name:
        raise ScimError.bad("invalidValue", "userName (the email address) cannot be removed.")
    return draft


def _user_set(draft: UserDraft, name: str, value: object, *, op: str) -> UserDraft:
    removing = op == "remove"
    if name == "username":
        if removing:
            raise ScimError.bad("mutability", "userName cannot be removed.")
        return replace(draft, user_name=_string(value, attribute="userName", limit=254))
    if name == "externalid":
        external_id = (
            "" if removing else _string(value, attribute="externalId", limit=MAX_EXTERNAL_ID)
        )
        if external_id.startswith(PLACEHOLDER_PREFIX):
            raise ScimError.bad("invalidValue", "That externalId is reserved.")
        return replace(draft, external_id=external_id)
    if name == "active":
        return draft if removing else replace(draft, active=_boolean(value, attribute="active"))
    if name == "displayname":
        return replace(draft, display_name="" if removing else _string(value, attribute=name))
    if name == "name":
        if removing:
            return replace(draft, given_name="", family_name="", formatted="")
        if value is None:
            return draft
        if not isinstance(value, dict):
            raise ScimError.bad("invalidValue", "name must be an object.")
        for key, item in value.items():
            if isinstance(key, str):
                draft = _user_set(draft, f"name.{key.lower()}", item, op=op)
        return draft
    if name not in {"name.givenname", "name.familyname", "name.formatted"}:
        return draft  # an attribute the portal does not keep
    text = "" if removing else _string(value, attribute=name)
    if name == "name.givenname":
        return replace(draft, given_name=text)
    if name == "name.familyname":
        return replace(draft, family_name=text)
    return replace(draft, formatted=text)


# --- groups ----------------------------------------------------------------------------------


def group_draft_from_body(body: object) -> GroupDraft:
    """The draft a POST or PUT body describes; without a `members` key the members stay."""
    data = _object(body)
    draft = GroupDraft(display_name="")
    for name, value in _core_items(data, core_urn=GROUP_SCHEMA):
        if name == "members":
            draft = replace(draft, members=frozenset(_member_ids(value)))
        else:
            draft = _group_set(draft, name, value, op="replace")
    if not draft.display_name:
        raise ScimError.bad("invalidValue", "displayName is required.")
    return draft


def group_draft_of(organization: Organization, *, member_ids: Iterable[str]) -> GroupDraft:
    external_id = organization.external_id
    return GroupDraft(
        display_name=organization.name,
        external_id="" if external_id.startswith(PLACEHOLDER_PREFIX) else external_id,
        members=frozenset(member_ids),
    )


def group_draft_patch(draft: GroupDraft, body: object) -> GroupDraft:
    """The draft after a PATCH body's operations, in order. `draft.members` must be the current
    members (not None): member operations are applied to them."""
    members = set(draft.members or ())
    for op, path, value in _operations(body, core_urn=GROUP_SCHEMA):
        if path is None:
            for name, item in _core_items(value, core_urn=GROUP_SCHEMA):
                if name == "members":
                    _members_apply(members, op=op, value=item, only="")
                else:
                    draft = _group_set(draft, name, item, op=op)
        elif path.attr == "members":
            if path.filter_attr and path.filter_attr != "value":
                raise ScimError.bad("invalidFilter", "Members are selected by value only.")
            if path.sub and path.sub != "value":
                continue  # members[...].display and the like: nothing to keep
            if path.filter_attr and op != "remove":
                raise ScimError.bad("invalidPath", "Add members with the path 'members'.")
            _members_apply(members, op=op, value=value, only=path.filter_value)
        elif not path.filter_attr:
            draft = _group_set(draft, path.name, value, op=op)
        if len(members) > MAX_MEMBERS:
            raise ScimError(413, f"A group has at most {MAX_MEMBERS} members here.")
    if not draft.display_name:
        raise ScimError.bad("invalidValue", "displayName cannot be removed.")
    return replace(draft, members=frozenset(members))


def _group_set(draft: GroupDraft, name: str, value: object, *, op: str) -> GroupDraft:
    removing = op == "remove"
    if name == "displayname":
        if removing:
            raise ScimError.bad("mutability", "displayName cannot be removed.")
        return replace(draft, display_name=_string(value, attribute="displayName"))
    if name == "externalid":
        external_id = (
            "" if removing else _string(value, attribute="externalId", limit=MAX_EXTERNAL_ID)
        )
        if external_id.startswith(PLACEHOLDER_PREFIX):
            raise ScimError.bad("invalidValue", "That externalId is reserved.")
        return replace(draft, external_id=external_id)
    return draft


def _member_ids(value: object) -> list[str]:
    """The `value`s of a members list (a lone object is taken as a list of one)."""
    if value is None:
        return []
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise ScimError.bad("invalidValue", "members must be a list of {value: id} objects.")
    if len(items) > MAX_MEMBERS:
        raise ScimError(413, f"A group has at most {MAX_MEMBERS} members here.")
    ids = []
    for item in items:
        member = item.get("value") if isinstance(item, dict) else None
        if not isinstance(member, str) or not member.strip() or len(member) > 100:
            raise ScimError.bad("invalidValue", "Each member needs its user id as 'value'.")
        ids.append(member.strip())
    return ids


def _members_apply(members: set[str], *, op: str, value: object, only: str) -> None:
    if op == "add":
        members.update(_member_ids(value))
    elif op == "replace":
        members.clear()
        members.update(_member_ids(value))
    elif only:
        members.discard(only)
    elif value is None:
        members.clear()
    else:
        members.difference_update(_member_ids(value))


# --- PATCH operations --------------------------------------------------------------------------


def _operations(body: object, *, core_urn: str) -> Iterable[tuple[str, _Path | None, Any]]:
    """(op, path or None, value) of each operation, checked. A path into an extension schema
    is skipped; an operation without a path carries an object of attributes as its value."""
    data = _object(body)
    operations = next((v for k, v in data.items() if str(k).lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise ScimError.bad("invalidSyntax", "A PATCH body needs a non-empty Operations list.")
    if len(operations) > MAX_OPERATIONS:
        raise ScimError(413, f"A PATCH request has at most {MAX_OPERATIONS} operations here.")
    checked: list[tuple[str, _Path | None, Any]] = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError.bad("invalidSyntax", "Each operation must be an object.")
        fields = {str(k).lower(): v for k, v in operation.items()}
        op = fields.get("op")
        # Entra ID capitalises its operations (Add, Replace, Remove).
        op = op.lower() if isinstance(op, str) else op
        if op not in {"add", "replace", "remove"}:
            raise ScimError.bad("invalidSyntax", "op must be add, replace or remove.")
        raw_path = fields.get("path")
        value = fields.get("value")
        if raw_path is None or raw_path == "":
            if op == "remove":
                raise ScimError.bad("noTarget", "A remove operation needs a path.")
            if not isinstance(value, dict):
                raise ScimError.bad("invalidValue", "Without a path, value must be an object.")
            checked.append((op, None, value))
            continue
        path = _parse_path(raw_path, core_urn=core_urn)
        if op != "remove" and "value" not in fields:
            raise ScimError.bad("invalidValue", f"The {op} operation needs a value.")
        if path is not None:
            checked.append((op, path, value))
    return checked


# === resources ===============================================================================

Locator = Callable[[str, str], str]  # (resource type, id) -> the resource's absolute URL


def user_resource(user: User, *, location: Locator, groups: bool = True) -> dict[str, Any]:
    draft = user_draft_of(user)
    scim_id = str(user.portal_id)
    name: dict[str, str] = {"formatted": user.full_name} if user.full_name else {}
    if draft.given_name:
        name["givenName"] = draft.given_name
    if draft.family_name:
        name["familyName"] = draft.family_name
    profile: ScimProfile | None = getattr(user, "scim_profile", None)
    modified = profile.updated_at if profile is not None else user.date_joined
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "id": scim_id,
        "userName": user.email,
        "displayName": draft.display_name or user.get_full_name(),
        "active": user.is_active,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "lastModified": max(modified, user.date_joined).isoformat(),
            "location": location("Users", scim_id),
        },
    }
    if draft.external_id:
        resource["externalId"] = draft.external_id
    if name:
        resource["name"] = name
    if groups:
        resource["groups"] = [
            {
                "value": str(m.organization_id),
                "display": m.organization.name,
                "$ref": location("Groups", str(m.organization_id)),
            }
            for m in user.memberships.all()
        ]
    return resource


def group_resource(
    organization: Organization,
    *,
    location: Locator,
    members: Iterable[tuple[str, str]] | None,
) -> dict[str, Any]:
    """The organisation as a Group; `members` is (portal id, email) pairs, None to leave the
    attribute out (excludedAttributes=members)."""
    scim_id = str(organization.pk)
    resource: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": scim_id,
        "displayName": organization.name,
        "meta": {
            "resourceType": "Group",
            "created": organization.created_at.isoformat(),
            "lastModified": organization.updated_at.isoformat(),
            "location": location("Groups", scim_id),
        },
    }
    if organization.external_id and not organization.external_id.startswith(PLACEHOLDER_PREFIX):
        resource["externalId"] = organization.external_id
    if members is not None:
        resource["members"] = [
            {"value": portal_id, "display": email, "$ref": location("Users", portal_id)}
            for portal_id, email in members
        ]
    return resource


def project(
    resource: dict[str, Any], *, attributes: frozenset[str], excluded: frozenset[str]
) -> dict[str, Any]:
    """The resource with only the asked-for top-level attributes (RFC 7644, 3.4.2.5); `id`,
    `schemas` and `meta` always stay. Names are lowercased, sub-attributes keep their parent."""
    always = {"id", "schemas", "meta"}
    if attributes:
        return {k: v for k, v in resource.items() if k in always or k.lower() in attributes}
    return {k: v for k, v in resource.items() if k in always or k.lower() not in excluded}


def attribute_names(text: str | None, *, core_urn: str) -> frozenset[str]:
    """`attributes`/`excludedAttributes` as lowercased top-level names."""
    names = set()
    for raw in (text or "").split(","):
        name = raw.strip().lower()
        prefix = core_urn.lower() + ":"
        if name.startswith(prefix):
            name = name[len(prefix) :]
        if name:
            names.add(name.split(".")[0])
    return frozenset(names)
