"""Label types and thread field schemas: the workspace's vocabulary for structuring threads.

The labels and field values on a thread are the threads family's (they are the thread's data);
this family says which label types and field schemas exist and checks values against them.

Rules where Plain does not document its behaviour (the conservative choice, tested):
- archiveLabelType on an archived label type, and unarchiveLabelType on one that is not, succeed
  and change nothing (no event); an unknown id is not_found on labelTypeId. An archived label type
  stays on the threads that have it and cannot be added to another (Plain's
  cannot_add_label_using_archived_label_type).
- deleteThreadField, declared here with the thread field schemas, removes a value on a thread:
  the threads family resolves it (the values are its data).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.paging import Connection
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["LabelType", "Labels", "ThreadFieldSchema", "label_view"]


@dataclass(slots=True)
class LabelType:
    id: str
    name: str
    position: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    icon: str | None = None
    color: str | None = None
    type: str = "DEFAULT"
    description: str | None = None
    parent_label_type_id: str | None = None
    external_id: str | None = None
    is_archived: bool = False
    archived_at: int | None = None
    archived_by: Actor | None = None
    is_excluded_from_ai: bool = False


@dataclass(slots=True)
class ThreadFieldSchema:
    id: str
    label: str
    key: str
    description: str
    order: int
    type: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    enum_values: list[str] = field(default_factory=list)
    is_required: bool = False
    is_ai_auto_fill_enabled: bool = False
    is_client_readonly: bool = False
    default_string_value: str | None = None
    default_boolean_value: bool | None = None
    default_number_value: float | None = None
    default_date_value: int | None = None


# Which value slot a thread field of each schema type fills.
_VALUE_SLOTS = {
    "STRING": "string_value",
    "ENUM": "string_value",
    "BOOL": "boolean_value",
    "NUMBER": "number_value",
    "CURRENCY": "number_value",
    "DATE": "date_value",
}


class Labels(Family):
    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.label_types = self.store.collection("label_type", LabelType)
        self.thread_field_schemas = self.store.collection("thread_field_schema", ThreadFieldSchema)

    # --- label types ----------------------------------------------------------------------------

    def label_type_create(
        self,
        *,
        actor: Actor,
        name: str,
        icon: str | None = None,
        color: str | None = None,
        description: str | None = None,
        external_id: str | None = None,
        type: str | None = None,
        is_excluded_from_ai: bool | None = None,
        parent_label_type_id: str | None = None,
    ) -> LabelType:
        if not (name or "").strip():
            raise invalid("name", "name is required", "REQUIRED")
        if parent_label_type_id is not None and parent_label_type_id not in self.label_types:
            raise not_found("parent_label_type_id", "label type", parent_label_type_id)
        if external_id and any(lt.external_id == external_id for lt in self.label_types.values()):
            raise invalid("external_id", f"externalId {external_id!r} is already used")
        now = self.store.now()
        label_type = LabelType(
            id=new_id("lt", now),
            name=name.strip(),
            icon=icon,
            color=color,
            description=description,
            external_id=external_id,
            type=type or "DEFAULT",
            is_excluded_from_ai=bool(is_excluded_from_ai),
            parent_label_type_id=parent_label_type_id,
            position=f"{len(self.label_types):06d}",
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.label_types[label_type.id] = label_type
        self.store.touch("label_type", label_type.id)
        self.store.emit("label_type.label_type_created", label_type_id=label_type.id)
        return label_type

    def label_type_get(self, label_type_id: str, *, field_name: str = "label_type_id") -> LabelType:
        label_type = self.label_types.get(label_type_id)
        if label_type is None:
            raise not_found(field_name, "label type", label_type_id)
        return label_type

    def label_type_archive(self, *, actor: Actor, label_type_id: str) -> LabelType:
        """Archive a label type: it stays on the threads that have it, and can be added to no
        more. Archiving an archived one changes nothing and emits nothing."""
        label_type = self.label_type_get(label_type_id)
        if label_type.is_archived:
            return label_type
        now = self.store.now()
        label_type.is_archived, label_type.archived_at, label_type.archived_by = True, now, actor
        label_type.updated_at, label_type.updated_by = now, actor
        self.store.touch("label_type", label_type.id)
        self.store.emit("label_type.label_type_archived", label_type_id=label_type.id)
        return label_type

    def label_type_unarchive(self, *, actor: Actor, label_type_id: str) -> LabelType:
        """Undo an archive (one that is not archived is left as is, nothing emitted)."""
        label_type = self.label_type_get(label_type_id)
        if not label_type.is_archived:
            return label_type
        label_type.is_archived, label_type.archived_at, label_type.archived_by = False, None, None
        label_type.updated_at, label_type.updated_by = self.store.now(), actor
        self.store.touch("label_type", label_type.id)
        self.store.emit("label_type.label_type_unarchived", label_type_id=label_type.id)
        return label_type

    def label_types_check(
        self,
        label_type_ids: Sequence[str] | None,
        *,
        existing: Iterable[str],
        field_name: str = "label_type_ids",
    ) -> list[LabelType]:
        """The label types to add to a thread that has `existing` ones, as Plain checks them."""
        found = []
        existing = set(existing)
        for label_type_id in label_type_ids or ():
            label_type = self.label_types.get(label_type_id)
            if label_type is None:
                raise not_found(field_name, "label type", label_type_id)
            if label_type.is_archived:
                raise StateError(
                    "cannot_add_label_using_archived_label_type",
                    f"label type {label_type_id} is archived",
                    [FieldError(field_name, f"{label_type_id} is archived")],
                )
            if label_type_id in existing:
                raise StateError(
                    "label_with_given_type_already_added_to_thread",
                    f"label type {label_type_id} is already on the thread",
                    [FieldError(field_name, f"{label_type_id} is already on the thread")],
                )
            if label_type not in found:
                found.append(label_type)
        return found

    # --- thread field schemas -------------------------------------------------------------------

    def thread_field_schema_create(
        self,
        *,
        actor: Actor,
        label: str,
        key: str,
        type: str,
        description: str = "",
        order: int = 0,
        enum_values: Sequence[str] = (),
        is_required: bool = False,
        is_ai_auto_fill_enabled: bool = False,
        is_client_readonly: bool | None = None,
        default_string_value: str | None = None,
        default_boolean_value: bool | None = None,
        default_number_value: float | None = None,
    ) -> ThreadFieldSchema:
        errors = []
        if not (label or "").strip():
            errors.append(FieldError("label", "label is required", "REQUIRED"))
        if not (key or "").strip():
            errors.append(FieldError("key", "key is required", "REQUIRED"))
        elif any(s.key == key for s in self.thread_field_schemas.values()):
            errors.append(FieldError("key", f"key {key!r} is already used"))
        if type == "ENUM" and not enum_values:
            errors.append(FieldError("enum_values", "an ENUM field needs enumValues"))
        if errors:
            raise fields_invalid(errors)
        now = self.store.now()
        schema = ThreadFieldSchema(
            id=new_id("tfs", now),
            label=label.strip(),
            key=key.strip(),
            description=description or "",
            order=order,
            type=type,
            enum_values=list(enum_values),
            is_required=is_required,
            is_ai_auto_fill_enabled=is_ai_auto_fill_enabled,
            is_client_readonly=bool(is_client_readonly),
            default_string_value=default_string_value,
            default_boolean_value=default_boolean_value,
            default_number_value=default_number_value,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.thread_field_schemas[schema.id] = schema
        self.store.touch("thread_field_schema", schema.id)
        self.store.emit("thread_field_schema.thread_field_schema_created", schema_id=schema.id)
        return schema

    def thread_field_value_check(self, value: dict[str, Any], *, field_name: str) -> dict[str, Any]:
        """One thread field value (key, type, <type>_value) checked against its schema; returns
        it with only its type's slot set. Errors name `field_name`.key, .type or .<slot>."""
        schema = next(
            (s for s in self.thread_field_schemas.values() if s.key == value.get("key")), None
        )
        if schema is None:
            raise not_found(f"{field_name}.key", "thread field schema", value.get("key"))
        if value.get("type") != schema.type:
            raise invalid(f"{field_name}.type", f"field {schema.key!r} is of type {schema.type}")
        slot = _VALUE_SLOTS[schema.type]
        if value.get(slot) is None:
            raise invalid(
                f"{field_name}.{slot}",
                f"{graph.camel(slot)} is required for {schema.type}",
                "REQUIRED",
            )
        if schema.type == "ENUM" and value[slot] not in schema.enum_values:
            raise invalid(
                f"{field_name}.string_value",
                f"{value[slot]!r} is not one of {schema.enum_values}",
            )
        return {
            "key": schema.key,
            "type": schema.type,
            **{name: value.get(name) if name == slot else None for name in _SLOT_NAMES},
        }


_SLOT_NAMES = ("string_value", "boolean_value", "number_value", "date_value")


# --- resolvers ---------------------------------------------------------------------------------


def _labels(info: GraphQLResolveInfo) -> Labels:
    return graph.ctx(info).state.family(Labels)


def label_view(label: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    """A label on a thread ({"id", "label_type_id", "created_at", "created_by"}) as a Label."""
    return {
        **label,
        "label_type": _labels(info).label_types[label["label_type_id"]],
        "updated_at": label["created_at"],
        "updated_by": label["created_by"],
    }


def q_label_types(
    _root: Any, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **paging: Any
) -> Connection[LabelType]:
    label_types = list(_labels(info).label_types.values())
    if filters and filters.get("isArchived") is not None:
        label_types = [lt for lt in label_types if lt.is_archived == filters["isArchived"]]
    return graph.page(label_types, lambda lt: (lt.position, lt.id), paging)


def q_thread_field_schemas(_root: Any, info: GraphQLResolveInfo, **paging: Any) -> Connection[Any]:
    schemas = list(_labels(info).thread_field_schemas.values())
    return graph.page(schemas, lambda s: (s.order, s.id), paging)


@graph.mutation
def m_create_label_type(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    label_type = context.state.family(Labels).label_type_create(
        actor=context.actor,
        name=data["name"],
        icon=data.get("icon"),
        color=data.get("color"),
        description=data.get("description"),
        external_id=data.get("externalId"),
        type=data.get("type"),
        is_excluded_from_ai=data.get("isExcludedFromAi"),
        parent_label_type_id=data.get("parentLabelTypeId"),
    )
    return {"labelType": label_type}


def _archive_mutation(archived: bool) -> graph.MutationResolver:
    @graph.mutation
    def resolve(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
        labels = context.state.family(Labels)
        change = labels.label_type_archive if archived else labels.label_type_unarchive
        return {"labelType": change(actor=context.actor, label_type_id=data["labelTypeId"])}

    return resolve


@graph.mutation
def m_create_thread_field_schema(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    schema = context.state.family(Labels).thread_field_schema_create(
        actor=context.actor,
        label=data["label"],
        key=data["key"],
        type=data["type"],
        description=data["description"],
        order=data["order"],
        enum_values=data["enumValues"],
        is_required=data["isRequired"],
        is_ai_auto_fill_enabled=data["isAiAutoFillEnabled"],
        is_client_readonly=data.get("isClientReadonly"),
        default_string_value=data.get("defaultStringValue"),
        default_boolean_value=data.get("defaultBooleanValue"),
        default_number_value=data.get("defaultNumberValue"),
    )
    return {"threadFieldSchema": schema}


RESOLVERS: graph.Resolvers = {
    "Query": {
        "labelTypes": q_label_types,
        "labelType": lambda _r, i, labelTypeId: _labels(i).label_types.get(labelTypeId),
        "threadFieldSchemas": q_thread_field_schemas,
        "threadFieldSchema": lambda _r, i, threadFieldSchemaId: _labels(i).thread_field_schemas.get(
            threadFieldSchemaId
        ),
    },
    "Mutation": {
        "createLabelType": m_create_label_type,
        "createThreadFieldSchema": m_create_thread_field_schema,
        "archiveLabelType": _archive_mutation(True),
        "unarchiveLabelType": _archive_mutation(False),
    },
    "LabelType": {
        "parentLabelType": lambda lt, i: _labels(i).label_types.get(lt.parent_label_type_id or ""),
    },
}


# Declared fields this family holds no data for: answered as Plain answers when there is none.
ABSENT: dict[str, tuple[str, ...]] = {
    "ThreadFieldSchema": (
        "dependsOnThreadField",
        "dependsOnLabels",
    ),
}
