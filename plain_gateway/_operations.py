"""The GraphQL documents under operations/, loaded once at import.

Each `operations/<name>.graphql` holds exactly one operation called `<name>`; files under
`operations/fragments/` hold shared fragments. Every operation is sent with exactly the fragments it
spreads (transitively), so a document is self-contained and validates on its own. A malformed
folder (a missing fragment, a file whose operation is not named after it) fails at import rather
than at the first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    parse,
    print_ast,
    visit,
)

__all__ = ["OPERATIONS", "OPERATIONS_DIR", "Operation"]

OPERATIONS_DIR = Path(__file__).resolve().parent / "operations"
_FRAGMENTS_DIR = OPERATIONS_DIR / "fragments"


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation, ready to send.

    `root_field` is the response key of its single top-level field (a mutation's payload, whose
    `error` says whether it failed).
    """

    name: str
    is_mutation: bool
    root_field: str
    document: str


def _spread_names(node: object) -> set[str]:
    names: set[str] = set()

    class _Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, _Spreads())  # type: ignore[arg-type]
    return names


def _fragment_closure(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    needed: set[str] = set()
    todo = list(_spread_names(operation))
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in fragments:
            operation_name = operation.name.value if operation.name else None
            raise LookupError(f"operation {operation_name!r}: unknown fragment {name!r}")
        needed.add(name)
        todo.extend(_spread_names(fragments[name]))
    return [fragments[name] for name in sorted(needed)]


def _load(directory: Path) -> Mapping[str, Operation]:
    fragments: dict[str, FragmentDefinitionNode] = {}
    for path in sorted(_FRAGMENTS_DIR.glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if not isinstance(definition, FragmentDefinitionNode):
                raise ValueError(f"{path.name}: only fragments belong in fragments/")
            if definition.name.value in fragments:
                raise ValueError(f"{path.name}: fragment {definition.name.value} defined twice")
            fragments[definition.name.value] = definition

    operations: dict[str, Operation] = {}
    for path in sorted(directory.glob("*.graphql")):
        definitions = parse(path.read_text()).definitions
        if len(definitions) != 1 or not isinstance(definitions[0], OperationDefinitionNode):
            raise ValueError(f"{path.name}: expected exactly one operation")
        operation = definitions[0]
        if operation.name is None or operation.name.value != path.stem:
            raise ValueError(f"{path.name}: the operation must be named {path.stem!r}")
        roots = operation.selection_set.selections
        if len(roots) != 1 or not isinstance(roots[0], FieldNode):
            raise ValueError(f"{path.name}: expected exactly one top-level field")
        root = roots[0]
        document = DocumentNode(definitions=(operation, *_fragment_closure(operation, fragments)))
        operations[path.stem] = Operation(
            name=path.stem,
            is_mutation=operation.operation is OperationType.MUTATION,
            root_field=(root.alias or root.name).value,
            document=print_ast(document),
        )
    return MappingProxyType(operations)


OPERATIONS: Mapping[str, Operation] = _load(OPERATIONS_DIR)
