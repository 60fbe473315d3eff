"""The GraphQL documents under plain_gateway/operations: valid against Plain's real schema, every
mutation asking for its error, and the thread document fetching nothing a customer must not see."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    parse,
    validate,
)

from plain_gateway._operations import OPERATIONS, OPERATIONS_DIR
from plain_gateway.emulator.graph import emulator_sdl
from plain_gateway.types import CUSTOMER_VISIBLE_ENTRY_TYPES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED = PROJECT_ROOT.parent / "shared"
CHECKER = SHARED / "tools" / "check_operations.py"
REAL_SCHEMA = SHARED / "plain" / "schema.graphql"

needs_shared = pytest.mark.skipif(
    not CHECKER.is_file() or not REAL_SCHEMA.is_file(),
    reason=f"Plain's real schema and checker live outside the repo, in {SHARED}; not present here",
)

# Entry types a customer may see (the one table, in plain_gateway.types). Anything else must never
# be selected inside `entry`.
CUSTOMER_VISIBLE_ENTRIES = set(CUSTOMER_VISIBLE_ENTRY_TYPES)
MUTATION_ERROR_SELECTION = {"message", "type", "code", "fields"}
FIELD_ERROR_SELECTION = {"field", "message", "type"}


def _document(name: str):
    return parse(OPERATIONS[name].document)


def _fragments(document) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _fields(selection_set: SelectionSetNode, fragments) -> list[FieldNode]:
    """The fields of a selection set, with fragment spreads and inline fragments flattened."""
    fields: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, FragmentSpreadNode):
            fields += _fields(fragments[selection.name.value].selection_set, fragments)
        elif isinstance(selection, InlineFragmentNode):
            fields += _fields(selection.selection_set, fragments)
    return fields


def _walk(selection_set: SelectionSetNode, fragments):
    """Every field reachable from a selection set, through fragments, at any depth."""
    for field in _fields(selection_set, fragments):
        yield field
        if field.selection_set:
            yield from _walk(field.selection_set, fragments)


@pytest.fixture(scope="module")
def real_schema():
    return build_schema(REAL_SCHEMA.read_text())


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_operations", CHECKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_shared
def test_every_document_validates_against_plains_real_schema(real_schema):
    checker = _load_checker()

    problems = checker.check_operations(real_schema, [PROJECT_ROOT / "plain_gateway"])

    assert problems == []


@needs_shared
def test_every_loaded_operation_validates_on_its_own_against_plains_real_schema(real_schema):
    # What the client sends is the operation plus exactly the fragments it needs.
    for name, operation in OPERATIONS.items():
        assert validate(real_schema, parse(operation.document)) == [], name


@needs_shared
def test_the_checker_would_catch_a_field_the_schema_lacks(tmp_path, real_schema):
    # Plain's docs select replyToThread { thread }: the schema has no such field.
    (tmp_path / "replyWithThread.graphql").write_text(
        "mutation replyWithThread($input: ReplyToThreadInput!) {"
        " replyToThread(input: $input) { thread { id } error { message } } }"
    )
    checker = _load_checker()

    problems = checker.check_operations(real_schema, [tmp_path])

    assert len(problems) == 1
    assert "thread" in problems[0]


def test_every_document_validates_against_the_emulators_schema():
    schema = build_schema(emulator_sdl())
    problems = {
        name: [error.message for error in validate(schema, parse(operation.document))]
        for name, operation in OPERATIONS.items()
    }
    assert {name: found for name, found in problems.items() if found} == {}


def test_each_file_is_one_operation_named_after_it():
    files = sorted(path.stem for path in OPERATIONS_DIR.glob("*.graphql"))

    assert files == sorted(OPERATIONS)
    for name in files:
        operations = [
            definition
            for definition in _document(name).definitions
            if isinstance(definition, OperationDefinitionNode)
        ]
        assert [operation.name.value for operation in operations] == [name]


def test_every_operation_the_brief_lists_is_there():
    assert {
        "upsertCustomer",
        "upsertTenant",
        "tenants",
        "searchTenants",
        "addCustomerToTenants",
        "removeCustomerFromTenants",
        "setCustomerTenants",
        "customers",
        "threads",
        "thread",
        "createThread",
        "replyToThread",
        "markThreadAsDone",
        "markThreadAsTodo",
        "labelTypes",
        "threadFieldSchemas",
        "createAttachmentUploadUrl",
        "createAttachmentDownloadUrl",
        "sendChat",
        "createNote",
        "snoozeThread",
        "changeThreadPriority",
        "addLabels",
        "createThreadEvent",
        "createCustomerEvent",
        "createLabelType",
    } <= set(OPERATIONS)


def test_every_mutation_selects_its_error_in_full():
    mutations = [name for name, operation in OPERATIONS.items() if operation.is_mutation]
    assert len(mutations) >= 15

    for name in mutations:
        document = _document(name)
        fragments = _fragments(document)
        operation = document.definitions[0]
        (payload,) = _fields(operation.selection_set, fragments)
        (error,) = [f for f in _fields(payload.selection_set, fragments) if f.name.value == "error"]
        selected = {f.name.value: f for f in _fields(error.selection_set, fragments)}
        assert set(selected) == MUTATION_ERROR_SELECTION, name
        field_errors = _fields(selected["fields"].selection_set, fragments)
        assert {f.name.value for f in field_errors} == FIELD_ERROR_SELECTION, name


def _entry_selection():
    document = _document("thread")
    fragments = _fragments(document)
    # The thread's own `entry` comes first; merged entries nest another one inside it.
    entry = next(
        field
        for field in _walk(document.definitions[0].selection_set, fragments)
        if field.name.value == "entry"
    )
    return entry, fragments


def _flattened(selection_set, fragments):
    """The selections, with spreads of fragments on the Entry union itself replaced by theirs."""
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            assert fragment.type_condition.name.value == "Entry", selection.name.value
            yield from _flattened(fragment.selection_set, fragments)
        else:
            yield selection


def test_the_timeline_selects_entries_only_through_customer_visible_types():
    entry, fragments = _entry_selection()
    selections = list(_flattened(entry.selection_set, fragments))

    direct_fields = {s.name.value for s in selections if isinstance(s, FieldNode)}
    inline = [s for s in selections if isinstance(s, InlineFragmentNode)]

    assert direct_fields == {"__typename"}
    assert {fragment.type_condition.name.value for fragment in inline} == CUSTOMER_VISIBLE_ENTRIES


def test_no_document_ever_mentions_notes_bcc_or_internal_discussions():
    forbidden = ("NoteEntry", "hiddenRecipients", "ThreadDiscussion", "llmText")
    for name, operation in OPERATIONS.items():
        for word in forbidden:
            assert word not in operation.document, (name, word)


def test_actors_are_named_by_public_name_only():
    document = _document("thread")
    fragments = _fragments(document)
    names = {field.name.value for field in _walk(document.definitions[0].selection_set, fragments)}

    assert {"publicName", "fullName"} <= names
    # fullName is only ever the customer's: agents are shown by their public name.
    agent_fields = set()
    for actor_field in _walk(fragments["ActorParts"].selection_set, fragments):
        if actor_field.name.value in {"user", "machineUser"}:
            agent_fields |= {f.name.value for f in _fields(actor_field.selection_set, fragments)}
    assert agent_fields == {"publicName"}


def test_the_thread_document_asks_for_the_last_message_timestamps():
    document = _document("thread")
    names = {
        field.name.value
        for field in _walk(document.definitions[0].selection_set, _fragments(document))
    }
    assert {"lastInboundMessageInfo", "lastOutboundMessageInfo"} <= names


def test_only_queries_and_mutations_exist_and_each_sends_the_fragments_it_needs():
    for name, operation in OPERATIONS.items():
        document = parse(operation.document)
        kinds = [type(d).__name__ for d in document.definitions]
        assert kinds[0] == "OperationDefinitionNode", name
        assert kinds.count("OperationDefinitionNode") == 1, name
        defined = set(_fragments(document))
        used = set()
        for definition in document.definitions:
            stack = [definition.selection_set]
            while stack:
                for selection in stack.pop().selections:
                    if isinstance(selection, FragmentSpreadNode):
                        used.add(selection.name.value)
                    elif selection.selection_set is not None:
                        stack.append(selection.selection_set)
        assert used == defined, name
