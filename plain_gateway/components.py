"""Plain's UI components as frozen dataclasses: one parser, one serialiser per input type.

Plain draws custom timeline entries, thread and customer events and customer cards from the same
small set of components (`ComponentText`, `ComponentRow`, ...). Here each member of Plain's
component unions is one dataclass; everything else in the gateway, the emulator and the portal
passes these around instead of dicts.

Contracts:
- `components_from_graphql(items)` reads GraphQL results (each item with its `__typename`). It
  is default-deny and never raises on what Plain sends: an unknown `__typename`, a non-object, a
  member outside the union it sits in (a container in a container, a row in a row) is dropped;
  an enum value it does not know becomes None; the deprecated fields (`size`, `color`, `url`,
  `label`, `spacingSize`) are read when the new ones are missing.
- `components_from_input(items)` reads the input shape (`{"componentText": {"text": ...}}`),
  strictly: anything malformed raises `ComponentInputError` naming the path, as Plain's
  validation would. The emulator validates mutations with it.
- `component_input(c)` / `event_component_input(c)` / `customer_card_component(c)` serialise
  to Plain's `ComponentInput`, `EventComponentInput` (no Container) and the JSON a customer card
  returns (the ComponentInput shape). Inputs omit fields that are None.
- `COMPONENT_UNIONS` names Plain's component unions this module handles and `COMPONENT_TYPES`
  maps each member's `__typename` to its class; tests check both against Plain's real schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeAlias, TypeGuard, TypeVar

from ._pickling import compact_pickling

__all__ = [
    "COMPONENT_TYPES",
    "COMPONENT_UNIONS",
    "NOT_HANDLED_COMPONENT_UNIONS",
    "Badge",
    "BadgeColor",
    "Component",
    "ComponentInputError",
    "Container",
    "ContainerContent",
    "CopyButton",
    "DateTime",
    "Divider",
    "EventComponent",
    "Leaf",
    "LinkButton",
    "PlainText",
    "Row",
    "Spacer",
    "SpacingSize",
    "Text",
    "TextColor",
    "TextSize",
    "User",
    "WorkflowButton",
    "component_input",
    "components_from_graphql",
    "components_from_input",
    "customer_card_component",
    "event_component_input",
]


class TextSize(StrEnum):
    """ComponentTextSize and ComponentPlainTextSize (the same values)."""

    S = "S"
    M = "M"
    L = "L"


class TextColor(StrEnum):
    """ComponentTextColor and ComponentPlainTextColor (the same values)."""

    NORMAL = "NORMAL"
    MUTED = "MUTED"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"


class BadgeColor(StrEnum):
    GREY = "GREY"
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"
    BLUE = "BLUE"


class SpacingSize(StrEnum):
    """ComponentSpacerSize and ComponentDividerSpacingSize (the same values)."""

    XS = "XS"
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"


@dataclass(frozen=True, slots=True)
class Text:
    """Markdown subset (bold, italic, links)."""

    text: str
    size: TextSize | None = None
    color: TextColor | None = None


@dataclass(frozen=True, slots=True)
class PlainText:
    text: str
    size: TextSize | None = None
    color: TextColor | None = None


@dataclass(frozen=True, slots=True)
class Spacer:
    size: SpacingSize | None = None


@dataclass(frozen=True, slots=True)
class Divider:
    spacing: SpacingSize | None = None


@dataclass(frozen=True, slots=True)
class LinkButton:
    url: str
    label: str


@dataclass(frozen=True, slots=True)
class WorkflowButton:
    """Runs a workflow of the workspace when an agent clicks it (by id or by key)."""

    label: str
    workflow_id: str | None = None
    workflow_key: str | None = None


@dataclass(frozen=True, slots=True)
class Badge:
    label: str
    color: BadgeColor | None = None


@dataclass(frozen=True, slots=True)
class CopyButton:
    value: str
    tooltip: str | None = None


@dataclass(frozen=True, slots=True)
class DateTime:
    """A moment; None when what Plain sent is not one (read side only)."""

    moment: datetime | None


@dataclass(frozen=True, slots=True)
class User:
    """A Plain user. Written by `user_id` or `email`; read back as `public_name` (None: gone)."""

    user_id: str | None = None
    email: str | None = None
    public_name: str | None = None


Leaf: TypeAlias = (
    Text
    | PlainText
    | Spacer
    | Divider
    | LinkButton
    | WorkflowButton
    | Badge
    | CopyButton
    | DateTime
    | User
)
"""A member of ComponentRowContent."""


@dataclass(frozen=True, slots=True)
class Row:
    """Main and aside content side by side (ComponentRowContent: leaves only)."""

    main: tuple[Leaf, ...]
    aside: tuple[Leaf, ...]


ContainerContent: TypeAlias = Leaf | Row


@dataclass(frozen=True, slots=True)
class Container:
    """A boxed group (ComponentContainerContent: leaves and rows)."""

    content: tuple[ContainerContent, ...]


Component: TypeAlias = ContainerContent | Container
"""A member of CustomTimelineEntryComponent and CustomerCardComponent."""
EventComponent: TypeAlias = ContainerContent
"""A member of EventComponent: everything but Container."""

COMPONENT_TYPES: Mapping[str, type] = {
    "ComponentText": Text,
    "ComponentPlainText": PlainText,
    "ComponentSpacer": Spacer,
    "ComponentDivider": Divider,
    "ComponentLinkButton": LinkButton,
    "ComponentWorkflowButton": WorkflowButton,
    "ComponentBadge": Badge,
    "ComponentCopyButton": CopyButton,
    "ComponentDateTime": DateTime,
    "ComponentUser": User,
    "ComponentRow": Row,
    "ComponentContainer": Container,
}
_LEAF_CLASSES: tuple[type, ...] = (
    Text,
    PlainText,
    Spacer,
    Divider,
    LinkButton,
    WorkflowButton,
    Badge,
    CopyButton,
    DateTime,
    User,
)
# Each union of Plain's this module handles, with the classes of its members.
COMPONENT_UNIONS: Mapping[str, tuple[type, ...]] = {
    "ComponentRowContent": _LEAF_CLASSES,
    "ComponentContainerContent": (*_LEAF_CLASSES, Row),
    "EventComponent": (*_LEAF_CLASSES, Row),
    "CustomTimelineEntryComponent": (*_LEAF_CLASSES, Row, Container),
    "CustomerCardComponent": (*_LEAF_CLASSES, Row, Container),
}

# Plain's unions that hold components but are not handled here, each with the reason. None yet:
# a union Plain adds fails tests/plain_gateway/test_components.py until it is decided.
NOT_HANDLED_COMPONENT_UNIONS: Mapping[str, str] = {}

E = TypeVar("E", bound=StrEnum)


# --- reading GraphQL results --------------------------------------------------------------------


def _str(data: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def _enum(kind: type[E], data: Mapping[str, Any], *keys: str) -> E | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value in kind.__members__:
            return kind(value)
    return None


def _moment(raw: Any) -> datetime | None:
    """Plain's DateTime object ({iso8601, unixTimestamp}) or an ISO string; None if neither."""
    try:
        if isinstance(raw, Mapping):
            if isinstance(raw.get("iso8601"), str) and raw["iso8601"]:
                raw = raw["iso8601"]
            elif raw.get("unixTimestamp") is not None:
                return datetime.fromtimestamp(int(raw["unixTimestamp"]) / 1000, tz=UTC)
            else:
                return None
        if not isinstance(raw, str) or not raw:
            return None
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _leaf_from_graphql(typename: str, data: Mapping[str, Any]) -> Leaf | None:
    if typename == "ComponentText":
        text = _str(data, "text")
        if text is None:
            return None
        size = _enum(TextSize, data, "textSize", "size")
        return Text(text=text, size=size, color=_enum(TextColor, data, "textColor", "color"))
    if typename == "ComponentPlainText":
        plain = _str(data, "plainText")
        if plain is None:
            return None
        return PlainText(
            text=plain,
            size=_enum(TextSize, data, "plainTextSize"),
            color=_enum(TextColor, data, "plainTextColor"),
        )
    if typename == "ComponentSpacer":
        return Spacer(size=_enum(SpacingSize, data, "spacerSize", "size"))
    if typename == "ComponentDivider":
        return Divider(spacing=_enum(SpacingSize, data, "dividerSpacingSize", "spacingSize"))
    if typename == "ComponentLinkButton":
        return LinkButton(
            url=_str(data, "linkButtonUrl", "url") or "",
            label=_str(data, "linkButtonLabel", "label") or "",
        )
    if typename == "ComponentWorkflowButton":
        identifier = data.get("workflowButtonWorkflowIdentifier")
        identifier = identifier if isinstance(identifier, Mapping) else {}
        return WorkflowButton(
            label=_str(data, "workflowButtonLabel") or "",
            workflow_id=_str(identifier, "workflowId"),
            workflow_key=_str(identifier, "workflowKey"),
        )
    if typename == "ComponentBadge":
        return Badge(
            label=_str(data, "badgeLabel") or "", color=_enum(BadgeColor, data, "badgeColor")
        )
    if typename == "ComponentCopyButton":
        return CopyButton(
            value=_str(data, "copyButtonValue") or "",
            tooltip=_str(data, "copyButtonTooltipLabel"),
        )
    if typename == "ComponentDateTime":
        return DateTime(moment=_moment(data.get("dateTimeIso8601")))
    if typename == "ComponentUser":
        user = data.get("user")
        user = user if isinstance(user, Mapping) else {}
        return User(user_id=_str(user, "id"), public_name=_str(user, "publicName"))
    return None


def _is_leaf(component: Component) -> TypeGuard[Leaf]:
    return isinstance(component, _LEAF_CLASSES)


def _is_content(component: Component) -> TypeGuard[ContainerContent]:
    return not isinstance(component, Container)


def _leaves(items: Any) -> tuple[Leaf, ...]:
    return tuple(c for c in _parse_all(items) if _is_leaf(c))


def _parse_one(raw: Any) -> Component | None:
    if not isinstance(raw, Mapping):
        return None
    typename = raw.get("__typename")
    if not isinstance(typename, str):
        return None
    if typename == "ComponentRow":
        return Row(
            main=_leaves(raw.get("rowMainContent")), aside=_leaves(raw.get("rowAsideContent"))
        )
    if typename == "ComponentContainer":
        return Container(
            content=tuple(c for c in _parse_all(raw.get("containerContent")) if _is_content(c))
        )
    return _leaf_from_graphql(typename, raw)


def _parse_all(items: Any) -> list[Component]:
    if not isinstance(items, Sequence) or isinstance(items, str):
        return []
    return [c for c in (_parse_one(raw) for raw in items) if c is not None]


def components_from_graphql(items: Iterable[Any] | None) -> tuple[Component, ...]:
    """A CustomTimelineEntryComponent / EventComponent / CustomerCardComponent list, parsed."""
    return tuple(_parse_all(list(items or ())))


# --- reading the input shape (strict) ----------------------------------------------------------


class ComponentInputError(ValueError):
    """A component input Plain would refuse; `path` names the field, `code` Plain's code."""

    def __init__(self, path: str, message: str, code: str = "VALIDATION") -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.code = code


_INPUT_KEYS = {f"component{name.removeprefix('Component')}": name for name in COMPONENT_TYPES}


def _input_enum(kind: type[E], body: Mapping[str, Any], path: str, *keys: str) -> E | None:
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or value not in kind.__members__:
            raise ComponentInputError(f"{path}.{key}", f"not a {kind.__name__} value")
        return kind(value)
    return None


def _input_str(body: Mapping[str, Any], path: str, *keys: str, required: bool = True) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value
    if required:
        raise ComponentInputError(f"{path}.{keys[0]}", f"{keys[0]} is required", "REQUIRED")
    return ""


def _leaf_from_input(name: str, body: Mapping[str, Any], path: str) -> Leaf:
    if name == "ComponentText":
        return Text(
            text=_input_str(body, path, "text"),
            size=_input_enum(TextSize, body, path, "textSize", "size"),
            color=_input_enum(TextColor, body, path, "textColor", "color"),
        )
    if name == "ComponentPlainText":
        return PlainText(
            text=_input_str(body, path, "plainText"),
            size=_input_enum(TextSize, body, path, "plainTextSize"),
            color=_input_enum(TextColor, body, path, "plainTextColor"),
        )
    if name == "ComponentSpacer":
        return Spacer(size=_input_enum(SpacingSize, body, path, "spacerSize", "size"))
    if name == "ComponentDivider":
        spacing = _input_enum(SpacingSize, body, path, "dividerSpacingSize", "spacingSize")
        return Divider(spacing=spacing)
    if name == "ComponentLinkButton":
        url = _input_str(body, path, "linkButtonUrl", "url", required=False)
        label = _input_str(body, path, "linkButtonLabel", "label", required=False)
        if not (url and label):
            raise ComponentInputError(path, "a link button needs a URL and a label", "REQUIRED")
        return LinkButton(url=url, label=label)
    if name == "ComponentWorkflowButton":
        identifier = body.get("workflowButtonWorkflowIdentifier")
        if not isinstance(identifier, Mapping) or not (
            identifier.get("workflowId") or identifier.get("workflowKey")
        ):
            raise ComponentInputError(
                f"{path}.workflowButtonWorkflowIdentifier", "a workflow id or key is required"
            )
        return WorkflowButton(
            label=_input_str(body, path, "workflowButtonLabel"),
            workflow_id=identifier.get("workflowId"),
            workflow_key=identifier.get("workflowKey"),
        )
    if name == "ComponentBadge":
        return Badge(
            label=_input_str(body, path, "badgeLabel"),
            color=_input_enum(BadgeColor, body, path, "badgeColor"),
        )
    if name == "ComponentCopyButton":
        tooltip = body.get("copyButtonTooltipLabel")
        return CopyButton(
            value=_input_str(body, path, "copyButtonValue"),
            tooltip=tooltip if isinstance(tooltip, str) else None,
        )
    if name == "ComponentDateTime":
        moment = _moment(body.get("dateTimeIso8601"))
        if moment is None:
            raise ComponentInputError(f"{path}.dateTimeIso8601", "not an ISO 8601 date-time")
        return DateTime(moment=moment)
    if name == "ComponentUser":
        identifier = body.get("userIdentifier")
        if not isinstance(identifier, Mapping) or not (
            identifier.get("userId") or identifier.get("emailAddress")
        ):
            raise ComponentInputError(f"{path}.userIdentifier", "a user id or email is required")
        return User(user_id=identifier.get("userId"), email=identifier.get("emailAddress"))
    raise ComponentInputError(path, f"{name} is not allowed here")


def _from_input(raw: Any, path: str, allowed: tuple[type, ...]) -> Component:
    present = {k: v for k, v in raw.items() if v is not None} if isinstance(raw, Mapping) else {}
    if len(present) != 1 or not set(present) <= set(_INPUT_KEYS):
        raise ComponentInputError(path, "each component must set exactly one component type")
    ((key, body),) = present.items()
    name = _INPUT_KEYS[key]
    if COMPONENT_TYPES[name] not in allowed:
        raise ComponentInputError(path, f"{key} is not allowed here")
    if not isinstance(body, Mapping):
        raise ComponentInputError(f"{path}.{key}", "must be an object")
    path = f"{path}.{key}"
    # The guards below always hold (_from_input refused anything not allowed); they tell mypy so.
    if name == "ComponentRow":
        main, aside = (
            tuple(
                c
                for i, item in enumerate(_input_list(body, path, field))
                if _is_leaf(c := _from_input(item, f"{path}.{field}[{i}]", _LEAF_CLASSES))
            )
            for field in ("rowMainContent", "rowAsideContent")
        )
        return Row(main=main, aside=aside)
    if name == "ComponentContainer":
        allowed_inside = (*_LEAF_CLASSES, Row)
        content = tuple(
            c
            for i, item in enumerate(_input_list(body, path, "containerContent"))
            if _is_content(c := _from_input(item, f"{path}.containerContent[{i}]", allowed_inside))
        )
        return Container(content=content)
    return _leaf_from_input(name, body, path)


def _input_list(body: Mapping[str, Any], path: str, field: str) -> Sequence[Any]:
    items = body.get(field)
    if items is None:
        return ()
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ComponentInputError(f"{path}.{field}", "must be a list")
    return items


def components_from_input(
    items: Sequence[Any] | None, *, field_name: str = "components", event: bool = False
) -> tuple[Component, ...]:
    """ComponentInput (or, with `event`, EventComponentInput) objects as components.

    Raises ComponentInputError naming `field_name[i]...` for anything Plain would refuse.
    """
    allowed = COMPONENT_UNIONS["EventComponent" if event else "CustomTimelineEntryComponent"]
    return tuple(
        _from_input(item, f"{field_name}[{i}]", allowed) for i, item in enumerate(items or ())
    )


# --- serialising to Plain's input types --------------------------------------------------------


def _compact(body: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def _iso(moment: datetime | None) -> str:
    if moment is None:
        raise ValueError("a DateTime component without a moment cannot be written")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _leaf_input(component: Leaf) -> dict[str, Any]:
    match component:
        case Text(text=text, size=size, color=color):
            return {"componentText": _compact({"text": text, "textSize": size, "textColor": color})}
        case PlainText(text=text, size=size, color=color):
            body = {"plainText": text, "plainTextSize": size, "plainTextColor": color}
            return {"componentPlainText": _compact(body)}
        case Spacer(size=size):
            return {"componentSpacer": _compact({"spacerSize": size})}
        case Divider(spacing=spacing):
            return {"componentDivider": _compact({"dividerSpacingSize": spacing})}
        case LinkButton(url=url, label=label):
            return {"componentLinkButton": {"linkButtonUrl": url, "linkButtonLabel": label}}
        case WorkflowButton(label=label, workflow_id=workflow_id, workflow_key=workflow_key):
            identifier = _compact({"workflowId": workflow_id, "workflowKey": workflow_key})
            return {
                "componentWorkflowButton": {
                    "workflowButtonLabel": label,
                    "workflowButtonWorkflowIdentifier": identifier,
                }
            }
        case Badge(label=label, color=color):
            return {"componentBadge": _compact({"badgeLabel": label, "badgeColor": color})}
        case CopyButton(value=value, tooltip=tooltip):
            body = {"copyButtonValue": value, "copyButtonTooltipLabel": tooltip}
            return {"componentCopyButton": _compact(body)}
        case DateTime(moment=moment):
            return {"componentDateTime": {"dateTimeIso8601": _iso(moment)}}
        case User(user_id=user_id, email=email):
            identifier = _compact({"userId": user_id, "emailAddress": email})
            if not identifier:
                raise ValueError("a User component needs a user_id or an email to be written")
            return {"componentUser": {"userIdentifier": identifier}}
    raise TypeError(f"not a component: {component!r}")


def _content_input(component: ContainerContent) -> dict[str, Any]:
    if isinstance(component, Row):
        return {
            "componentRow": {
                "rowMainContent": [_leaf_input(c) for c in component.main],
                "rowAsideContent": [_leaf_input(c) for c in component.aside],
            }
        }
    return _leaf_input(component)


def component_input(component: Component) -> dict[str, Any]:
    """The ComponentInput object for `component` (threads and custom timeline entries)."""
    if isinstance(component, Container):
        return {
            "componentContainer": {
                "containerContent": [_content_input(c) for c in component.content]
            }
        }
    return _content_input(component)


def event_component_input(component: EventComponent) -> dict[str, Any]:
    """The EventComponentInput object for `component`; a Container raises TypeError."""
    if isinstance(component, Container):
        raise TypeError("events cannot hold a Container component")
    return _content_input(component)


def customer_card_component(component: Component) -> dict[str, Any]:
    """The JSON object a customer card response holds for `component` (ComponentInput's shape)."""
    return component_input(component)


# The read cache pickles these by the hundred (see _pickling).
compact_pickling(globals()[name] for name in __all__)
