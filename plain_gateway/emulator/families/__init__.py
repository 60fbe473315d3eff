"""Entity families: each module here is one part of the emulated workspace, found automatically.

A family module holds, side by side:
- its dataclasses, registered with the store under stable kind names in the family's
  `__init__` (`self.things = self.store.collection("thing", Thing)`): the store persists them,
  one JSON row per entity; derived indexes are rebuilt in `reindex()`;
- a `Family` subclass with the family's reads and writes, `<thing>_<verb>` methods taking
  keyword-only plain Python arguments and raising `errors.StateError` with the fields at fault;
  other families are reached through methods, with `self.state.family(Other)`;
- `RESOLVERS`, a dict GraphQL type name -> field name -> resolver, and `TYPE_RESOLVERS`, union or
  interface name -> function naming the object type: few lines each, turning GraphQL input into
  plain arguments (graph.py holds the shared plumbing: `mutation`, paging, converters);
- `ABSENT`, a dict GraphQL type name -> field names the family declares but holds no data for:
  each answers what Plain answers when there is none (null, an empty list, an empty connection;
  a required object of nullable fields answers all of them null). A family that later holds the
  data resolves the field in `RESOLVERS` and the field leaves the ABSENT list (building the
  schema refuses a field both absent and resolved, so the lists stay true);
- its SDL in the sibling `<module>.graphql`: new types, plus `extend type Query { ... }`,
  `extend type Mutation { ... }` and `extend type <AnotherFamily'sType> { ... }` for fields it
  adds to others' types. Every field must exist in Plain's schema with the same type: check with
`python -m plain_gateway.emulator --print-sdl > /tmp/e.graphql` and
`check_operations.py --subset /tmp/e.graphql`.

Building the schema refuses a resolver for a type or field the SDL lacks and a field resolved by
two families; building the state refuses a public name (method or collection) on two families,
since each is also an attribute of `State`.

To add a family: write `families/<name>.py` and `families/<name>.graphql` as above. That is all;
nothing lists the families. A field on another family's type (say `Customer.company`) is an
`extend type Customer { company: Company }` in your SDL, a `RESOLVERS["Customer"]["company"]`
entry in your module, and data in your own collection keyed by the other entity's id (a
`company_id` per customer kept by you, not a new attribute on Customer). Effects on another
family's writes go through the hooks that family documents (e.g.
`Threads.defaults_provider_register`, which lets a tier set the priority of new threads).

Each write emits domain events after its change (`self.store.emit(name, **payload)`), named after
Plain's webhook event types (`thread.thread_created`, `customer.customer_updated`, ...) and
carrying the entity ids and, where Plain's payload has one, the previous value; they reach
`store.subscribe` callbacks when the transaction commits. Add a test that subscribes and sees
exactly your events for one mutation and none for a refused one.

Families are built in module-name order, except that a family's `requires` (the families its
`__init__` calls into, e.g. to register a hook) come first. `create_app(families=...)` takes
another list (`(*discover(), FamilyModule(...))`), to try a family out before it is a module.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State
    from plain_gateway.emulator.store import Store

__all__ = ["SYSTEM", "Actor", "Family", "FamilyModule", "discover", "ordered"]

Actor = dict[str, str]  # {"kind": user|machine_user|customer|system|deleted_customer, "id": ...}
SYSTEM: Actor = {"kind": "system", "id": "emulator"}

Resolvers = dict[str, dict[str, Callable[..., Any]]]


class Family:
    """One entity family over the shared store. Subclasses register their kinds in __init__."""

    requires: ClassVar[tuple[type[Family], ...]] = ()

    def __init__(self, state: State) -> None:
        self.state = state
        self.store: Store = state.store

    def reindex(self) -> None:
        """Rebuild derived indexes from the collections (after a load or a clear)."""

    def bootstrap(self) -> None:
        """Create what a fresh workspace holds (called in a transaction, after reset too)."""


@dataclass(frozen=True, slots=True)
class FamilyModule:
    name: str
    family: type[Family]
    sdl: str
    resolvers: Resolvers
    type_resolvers: dict[str, Callable[..., str]]
    absent: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def _family_class(module: ModuleType) -> type[Family]:
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Family)
        and obj is not Family
        and obj.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise TypeError(f"{module.__name__} must define exactly one Family subclass")
    return found[0]


@functools.lru_cache(maxsize=1)
def discover() -> tuple[FamilyModule, ...]:
    """Every family module of this package, dependencies first."""
    here = Path(__file__).parent
    modules = []
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        sdl_path = here / f"{info.name}.graphql"
        modules.append(
            FamilyModule(
                name=info.name,
                family=_family_class(module),
                sdl=sdl_path.read_text() if sdl_path.is_file() else "",
                resolvers=getattr(module, "RESOLVERS", {}),
                type_resolvers=getattr(module, "TYPE_RESOLVERS", {}),
                absent=getattr(module, "ABSENT", {}),
            )
        )
    return ordered(modules)


def ordered(modules: Iterable[FamilyModule]) -> tuple[FamilyModule, ...]:
    """`modules` with each family after the families it requires (else in the order given)."""
    modules = list(modules)
    result: list[FamilyModule] = []
    by_class = {m.family: m for m in modules}

    def visit(module: FamilyModule, path: tuple[str, ...]) -> None:
        if module in result:
            return
        if module.name in path:
            raise TypeError(f"families require each other in a circle: {path}")
        for needed in module.family.requires:
            if needed not in by_class:
                raise TypeError(f"{module.name} requires {needed.__name__}, which is not given")
            visit(by_class[needed], (*path, module.name))
        result.append(module)

    for found in modules:
        visit(found, ())
    return tuple(result)
