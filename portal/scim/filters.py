"""SCIM `filter` expressions (RFC 7644, section 3.4.2.2) as Django Q objects.

scim2-filter-parser parses the text into a tree; this module walks the tree itself instead of
using the library's Django transpiler, because that one drops a comparison on an attribute it
does not know, so `nickName eq "x"` would list every user. Here an unknown attribute, a value of
the wrong kind or an operator we cannot apply is a 400 `invalidFilter`, never a wider answer.

Supported: eq ne co sw ew gt ge lt le pr, and or not, grouping, value paths one level deep
(`members[value eq "..."]`), and attribute names with the resource's core schema URN.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from scim2_filter_parser import ast as scim_ast  # type: ignore[import-untyped]
from scim2_filter_parser.lexer import SCIMLexer  # type: ignore[import-untyped]
from scim2_filter_parser.parser import SCIMParser  # type: ignore[import-untyped]

from portal.scim.errors import ScimError
from portal.scim.models import PLACEHOLDER_PREFIX

__all__ = ["GROUP_FILTERS", "USER_FILTERS", "Attribute", "filter_to_q"]

# Longer filters are refused before parsing; an identity provider's are a few dozen characters.
MAX_FILTER_LENGTH = 1000


@dataclass(frozen=True)
class Attribute:
    """How one SCIM attribute maps onto a model field: `kind` is "str", "uuid", "int" or
    "bool"; a case-exact string compares exactly (externalId), others ignore case."""

    field: str
    kind: str = "str"
    case_exact: bool = False
    # A placeholder value the portal made up counts as absent (an externalId it invented).
    hide_prefix: str = ""


USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"

USER_FILTERS: Mapping[str, Attribute] = {
    "id": Attribute("portal_id", kind="uuid"),
    "username": Attribute("email"),
    "externalid": Attribute("external_id", case_exact=True, hide_prefix=PLACEHOLDER_PREFIX),
    "emails": Attribute("email"),
    "emails.value": Attribute("email"),
    "displayname": Attribute("full_name"),
    "name.formatted": Attribute("full_name"),
    "name.givenname": Attribute("scim_profile__given_name"),
    "name.familyname": Attribute("scim_profile__family_name"),
    "active": Attribute("is_active", kind="bool"),
}
GROUP_FILTERS: Mapping[str, Attribute] = {
    "id": Attribute("pk", kind="int"),
    "displayname": Attribute("name"),
    "externalid": Attribute("external_id", case_exact=True, hide_prefix=PLACEHOLDER_PREFIX),
    "members": Attribute("memberships__user__portal_id", kind="uuid"),
    "members.value": Attribute("memberships__user__portal_id", kind="uuid"),
}

_LOOKUPS = {
    "eq": ("exact", "iexact"),
    "co": ("contains", "icontains"),
    "sw": ("startswith", "istartswith"),
    "ew": ("endswith", "iendswith"),
    "gt": ("gt", "gt"),
    "ge": ("gte", "gte"),
    "lt": ("lt", "lt"),
    "le": ("lte", "lte"),
}


def filter_to_q(*, text: str, attributes: Mapping[str, Attribute], urn: str) -> Q:
    """The Q object selecting what `text` selects; ScimError(400, invalidFilter) otherwise."""
    if len(text) > MAX_FILTER_LENGTH:
        raise ScimError.bad("invalidFilter", f"The filter is over {MAX_FILTER_LENGTH} characters.")
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception:  # the parser's and lexer's own errors, and its recursion on deep nesting
        raise ScimError.bad("invalidFilter", "The filter is not a valid SCIM filter.") from None
    if tree is None:
        raise ScimError.bad("invalidFilter", "The filter is empty.")
    return _Walker(attributes=attributes, urn=urn.lower()).node(tree, prefix="")


class _Walker:
    def __init__(self, *, attributes: Mapping[str, Attribute], urn: str) -> None:
        self.attributes = attributes
        self.urn = urn

    def node(self, node: Any, *, prefix: str) -> Q:
        if isinstance(node, scim_ast.Filter):
            if node.namespace is not None:
                if prefix:
                    raise ScimError.bad("invalidFilter", "Nested value filters are not supported.")
                prefix = self.path_name(node.namespace)
            q = self.node(node.expr, prefix=prefix)
            return ~q if node.negated else q
        if isinstance(node, scim_ast.LogExpr):
            left = self.node(node.expr1, prefix=prefix)
            right = self.node(node.expr2, prefix=prefix)
            return left & right if node.op.lower() == "and" else left | right
        if isinstance(node, scim_ast.AttrExpr):
            return self.comparison(node, prefix=prefix)
        raise ScimError.bad("invalidFilter", "The filter has a part this server cannot apply.")

    def path_name(self, path: Any) -> str:
        if not isinstance(path, scim_ast.AttrPath) or not isinstance(path.attr_name, str):
            raise ScimError.bad(
                "invalidFilter", "Filters inside attribute paths are not supported."
            )
        if path.uri and path.uri.lower() != self.urn:
            raise ScimError.bad("invalidFilter", f"Unknown schema in the filter: {path.uri}.")
        name = path.attr_name.lower()
        if path.sub_attr is not None:
            name = f"{name}.{str(path.sub_attr.value).lower()}"
        return name

    def comparison(self, node: Any, *, prefix: str) -> Q:
        name = self.path_name(node.attr_path)
        if prefix:
            name = f"{prefix}.{name}"
        attribute = self.attributes.get(name)
        if attribute is None:
            raise ScimError.bad("invalidFilter", f"Cannot filter on the attribute {name!r}.")
        op = str(node.value).lower()
        field = attribute.field
        if op == "pr":
            present = ~Q(**{f"{field}__isnull": True})
            if attribute.kind == "str":
                present &= ~Q(**{field: ""})
            if attribute.hide_prefix:
                present &= ~Q(**{f"{field}__startswith": attribute.hide_prefix})
            return present
        if node.comp_value is None:
            raise ScimError.bad("invalidFilter", f"The operator {op!r} needs a value.")
        raw = node.comp_value.value
        if op == "ne":
            return ~self.compare(attribute, "eq", raw)
        if op not in _LOOKUPS:
            raise ScimError.bad("invalidFilter", f"Unknown filter operator {op!r}.")
        return self.compare(attribute, op, raw)

    def compare(self, attribute: Attribute, op: str, raw: Any) -> Q:
        field = attribute.field
        exact_lookup, folded_lookup = _LOOKUPS[op]
        if attribute.kind == "bool":
            if op != "eq" or str(raw).lower() not in {"true", "false"}:
                raise ScimError.bad(
                    "invalidFilter", "A boolean attribute compares with eq true|false."
                )
            return Q(**{field: str(raw).lower() == "true"})
        if attribute.kind in {"uuid", "int"}:
            if op != "eq":
                raise ScimError.bad("invalidFilter", "An id compares with eq only.")
            value: object = _parse_id(str(raw), attribute.kind)
            # An id that cannot exist matches nothing (not an error: it is a valid question).
            return Q(**{field: value}) if value is not None else Q(pk__in=[])
        if raw is None or not isinstance(raw, str):
            raise ScimError.bad("invalidFilter", "This attribute compares with a string.")
        lookup = exact_lookup if attribute.case_exact else folded_lookup
        q = Q(**{f"{field}__{lookup}": raw})
        if attribute.hide_prefix and raw.startswith(attribute.hide_prefix):
            return Q(pk__in=[])
        return q


def _parse_id(raw: str, kind: str) -> object | None:
    if kind == "int":
        return int(raw) if raw.isdigit() and len(raw) < 19 else None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None
