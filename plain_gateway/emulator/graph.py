"""The GraphQL plumbing the families' resolvers share, and the executable schema.

The schema is shared.graphql plus every family's `<family>.graphql` (which may `extend` the types
of base or of other families); `emulator_sdl()` prints it merged as one SDL. Each family's
`RESOLVERS` and `TYPE_RESOLVERS` are attached to it. Fields no resolver names are read from the
source object by name (`fullName` -> `full_name`, or the camelCase key of a dict). A field the
emulator has no data for raises `QueryError`, so a query it cannot answer fails loudly instead
of returning a silent null.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    get_named_type,
    get_nullable_type,
    is_list_type,
    is_non_null_type,
    lexicographic_sort_schema,
    print_schema,
)

from plain_gateway.emulator.errors import FieldError, StateError
from plain_gateway.emulator.families import Actor, FamilyModule, Resolvers, discover, ordered
from plain_gateway.emulator.paging import Connection, PagingError, paginate

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = [
    "BASE_SDL_PATH",
    "SCHEMA_FILE",
    "Context",
    "Payload",
    "QueryError",
    "Resolvers",
    "build_executable_schema",
    "default_resolver",
    "emulator_sdl",
    "mutation",
    "schema_file_text",
]

BASE_SDL_PATH = Path(__file__).with_name("shared.graphql")
# The whole schema as one file, for readers and for ../shared/tools/check_operations.py --subset.
SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
_SCHEMA_FILE_HEADER = (
    "# The emulator's whole schema: a faithful subset of Plain's.\n"
    "# GENERATED from shared.graphql and families/*.graphql by\n"
    "#   python -m plain_gateway.emulator --print-sdl > plain_gateway/emulator/schema.graphql\n"
    "# Edit those, not this: a test fails when this file is stale.\n\n"
)


class QueryError(Exception):
    """A query-level error, reported in `errors` with extensions.code."""

    def __init__(self, message: str, code: str = "INTERNAL_SERVER_ERROR") -> None:
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class Context:
    state: State
    actor: Actor
    base_url: str  # scheme://host[/prefix] of this emulator, for upload and download URLs
    url_secret: bytes  # signs download URLs


class Payload(dict[str, Any]):
    """A dict that also says which GraphQL object type it is (for unions).

    `entry` is the timeline entry it was built from, if any."""

    __slots__ = ("entry", "typename")

    def __init__(self, typename: str, data: dict[str, Any], entry: Any = None):
        super().__init__(data)
        self.typename = typename
        self.entry = entry


# --- default resolution ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def default_resolver(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    name = info.field_name
    if isinstance(source, dict):
        if name in source:
            return source[name]
        snake = _snake(name)
        if snake in source:
            return source[snake]
    else:
        snake = _snake(name)
        try:
            return getattr(source, snake)
        except AttributeError:
            pass
    raise QueryError(f"the emulator cannot answer {info.parent_type.name}.{name}")


def ctx(info: GraphQLResolveInfo) -> Context:
    context: Context = info.context
    return context


def none(*_: Any, **__: Any) -> None:
    return None


def empty(*_: Any, **__: Any) -> list[Any]:
    return []


def const(value: Any) -> Callable[..., Any]:
    return lambda *_, **__: value


def key(name: str) -> Callable[..., Any]:
    return lambda source, _info, **__: (
        source[name] if isinstance(source, dict) else getattr(source, name)
    )


def typename(value: Payload, *_: Any) -> str:
    return value.typename


def page(
    items: list[Any],
    sort_key: Callable[[Any], tuple[Any, ...]],
    args: dict[str, Any],
    *,
    descending: bool = False,
    presorted: bool = False,
) -> Connection[Any]:
    try:
        return paginate(
            items,
            key=sort_key,
            descending=descending,
            presorted=presorted,
            first=args.get("first"),
            after=args.get("after"),
            last=args.get("last"),
            before=args.get("before"),
        )
    except PagingError as exc:
        raise QueryError(str(exc), "BAD_USER_INPUT") from exc


def iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def ms(moment: str) -> int:
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def ms_input(value: str | None, *, field_name: str, message: str, field_message: str) -> int | None:
    """An ISO 8601 input as ms; one that is not is input_validation on `field_name`."""
    if value is None:
        return None
    try:
        return ms(value)
    except ValueError:
        raise StateError(
            "input_validation", message, [FieldError(field_name, field_message)]
        ) from None


def timestamp_input(data: dict[str, Any]) -> int | None:
    """An input's optional `timestamp` (ISO 8601) as ms."""
    return ms_input(
        data.get("timestamp"),
        field_name="timestamp",
        message="timestamp is not ISO 8601",
        field_message="not an ISO 8601 date-time",
    )


def optional(container: dict[str, Any], name: str, wrapped: bool = True) -> Any:
    """`...` when the key is absent (leave as is), else its value (unwrapping {value})."""
    if container.get(name) is None:
        return ...
    return container[name]["value"] if wrapped else container[name]


def internal_actor_only(context: Context) -> None:
    if context.actor["kind"] not in ("user", "machine_user"):
        raise StateError("forbidden", "only users and machine users can do this", type="FORBIDDEN")


# --- mutations ---------------------------------------------------------------------------------


def _error_view(error: StateError, paths: Mapping[str, str]) -> dict[str, Any]:
    return {
        "message": error.message,
        "type": error.type,
        "code": error.code,
        "fields": [
            {"field": _path(f.field, paths), "message": f.message, "type": f.type}
            for f in error.fields
        ],
    }


def _path(field_name: str, paths: Mapping[str, str]) -> str:
    """The input path of a state field: the state's snake_case names in camelCase, except where
    `paths` names the field (or a dotted prefix of it) differently."""
    parts = field_name.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in paths:
            return ".".join((paths[head], *map(camel, parts[cut:])))
    return ".".join(map(camel, parts))


@functools.lru_cache(maxsize=1024)
def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


MutationBody = Callable[[Context, dict[str, Any]], dict[str, Any]]
MutationResolver = Callable[..., dict[str, Any]]


@overload
def mutation(fn: MutationBody) -> MutationResolver: ...


@overload
def mutation(*, paths: Mapping[str, str]) -> Callable[[MutationBody], MutationResolver]: ...


def mutation(
    fn: MutationBody | None = None, *, paths: Mapping[str, str] | None = None
) -> MutationResolver | Callable[[MutationBody], MutationResolver]:
    """Run a mutation body; a StateError becomes the payload's `error`, as Plain reports it.

    `paths` renames the state's field names into the input's paths (`{"customer":
    "customerIdentifier"}`; a dotted prefix renames everything under it); other names are
    camelCased (`thread_fields[0].string_value` -> `threadFields[0].stringValue`). Events the
    body emitted before it was refused are dropped. Use as `@mutation` or
    `@mutation(paths={...})`.
    """

    def wrap(body: MutationBody) -> MutationResolver:
        renames = dict(paths or {})

        @functools.wraps(body)
        def resolve(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            context = ctx(info)
            store = context.state.store
            mark = store.events_mark()
            try:
                return {"error": None, **body(context, input)}
            except StateError as error:
                store.discard_events_since(mark)
                # The other output fields are null when the mutation failed.
                output = get_nullable_type(info.return_type)  # type: ignore[arg-type]
                assert isinstance(output, GraphQLObjectType)  # a mutation answers a payload type
                return {**dict.fromkeys(output.fields, None), "error": _error_view(error, renames)}

        return resolve

    if fn is not None:
        return wrap(fn)
    return wrap


# --- the schema --------------------------------------------------------------------------------

# Resolvers of shared.graphql's own types.
BASE_RESOLVERS: Resolvers = {
    "DateTime": {
        "iso8601": lambda moment, _i: iso(moment),
        "unixTimestamp": lambda moment, _i: str(moment),
    },
}
BASE_TYPE_RESOLVERS: dict[str, Callable[..., str]] = {
    "CustomTimelineEntryComponent": typename,
    "EventComponent": typename,
    "ComponentRowContent": typename,
    "ComponentContainerContent": typename,
}


def _absent_resolver(field_type: GraphQLOutputType, where: str) -> Callable[..., Any]:
    """What Plain answers for `field_type` when there is nothing: null, [], an empty connection,
    or (a required object whose fields are all nullable) that object with every field null."""
    if not is_non_null_type(field_type):
        return none
    inner = get_nullable_type(field_type)  # type: ignore[arg-type]
    if is_list_type(inner):
        return empty
    named = get_named_type(inner)
    if isinstance(named, GraphQLObjectType):
        if named.name.endswith("Connection"):
            # Still Plain's paging rules: a page size over the limit is refused, as for any list.
            return lambda _source, _info, **args: page([], lambda item: (item,), args)
        if all(not is_non_null_type(f.type) for f in named.fields.values()):
            return lambda *_, **__: dict.fromkeys(named.fields)
    raise TypeError(f"{where} is required ({field_type}): it cannot be absent, it needs data")


def _modules(families: Sequence[FamilyModule] | None) -> tuple[FamilyModule, ...]:
    return discover() if families is None else ordered(families)


def _combined_sdl(families: Sequence[FamilyModule] | None) -> str:
    return "\n".join([BASE_SDL_PATH.read_text(), *(m.sdl for m in _modules(families))])


def emulator_sdl(families: Sequence[FamilyModule] | None = None) -> str:
    """The emulator's whole schema as one SDL, types in name order (for the subset checker)."""
    if families is None:
        return _default_sdl()
    return _merged_sdl(families)


def schema_file_text() -> str:
    """What schema.graphql holds: the header and emulator_sdl()."""
    return _SCHEMA_FILE_HEADER + emulator_sdl()


@functools.lru_cache(maxsize=1)
def _default_sdl() -> str:
    return _merged_sdl(None)


def _merged_sdl(families: Sequence[FamilyModule] | None) -> str:
    return print_schema(lexicographic_sort_schema(build_schema(_combined_sdl(families))))


def build_executable_schema(families: Sequence[FamilyModule] | None = None) -> GraphQLSchema:
    """The SDL with every family's resolvers attached (for the discovered families, built once:
    resolvers keep no state, the context does).

    Raises KeyError if a resolver names a type or field the SDL lacks, and ValueError if two
    families resolve the same field."""
    if families is None:
        return _default_schema()
    return _schema_build(families)


@functools.lru_cache(maxsize=1)
def _default_schema() -> GraphQLSchema:
    return _schema_build(None)


def _schema_build(families: Sequence[FamilyModule] | None) -> GraphQLSchema:
    schema = build_schema(_combined_sdl(families))
    owners: dict[tuple[str, str], str] = {}
    parts = [("base", BASE_RESOLVERS, BASE_TYPE_RESOLVERS)]
    parts += [(m.name, m.resolvers, m.type_resolvers) for m in _modules(families)]
    for name, resolvers, type_resolvers in parts:
        for type_name, fields in resolvers.items():
            graphql_type = schema.type_map.get(type_name)
            for field_name, resolve in fields.items():
                if graphql_type is None or field_name not in graphql_type.fields:  # type: ignore[attr-defined]
                    raise KeyError(f"{name} resolves {type_name}.{field_name}: not in the SDL")
                if (type_name, field_name) in owners:
                    raise ValueError(
                        f"{type_name}.{field_name} is resolved by both "
                        f"{owners[type_name, field_name]} and {name}"
                    )
                owners[type_name, field_name] = name
                graphql_type.fields[field_name].resolve = resolve  # type: ignore[attr-defined]
        for type_name, resolve_type in type_resolvers.items():
            if type_name not in schema.type_map:
                raise KeyError(f"{name} resolves the type of {type_name}: not in the SDL")
            schema.type_map[type_name].resolve_type = resolve_type  # type: ignore[attr-defined]
    for module in _modules(families):
        for type_name, field_names in module.absent.items():
            graphql_type = schema.type_map.get(type_name)
            for field_name in field_names:
                if graphql_type is None or field_name not in graphql_type.fields:  # type: ignore[attr-defined]
                    raise KeyError(f"{module.name} lists {type_name}.{field_name}: not in the SDL")
                if (type_name, field_name) in owners:
                    raise ValueError(
                        f"{module.name} lists {type_name}.{field_name} as absent, but "
                        f"{owners[type_name, field_name]} resolves it: drop it from ABSENT"
                    )
                field = graphql_type.fields[field_name]  # type: ignore[attr-defined]
                field.resolve = _absent_resolver(field.type, f"{type_name}.{field_name}")
                owners[type_name, field_name] = module.name
    return schema
