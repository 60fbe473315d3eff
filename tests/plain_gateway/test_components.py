"""Plain's UI components as dataclasses: every union member decided, parsed once, serialised to
each input type, and the same tree back from the emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from graphql import GraphQLObjectType, GraphQLUnionType, build_schema

from plain_gateway import components as c
from plain_gateway.components import (
    COMPONENT_TYPES,
    COMPONENT_UNIONS,
    NOT_HANDLED_COMPONENT_UNIONS,
    ComponentInputError,
    component_input,
    components_from_graphql,
    components_from_input,
    customer_card_component,
    event_component_input,
)
from plain_gateway.types import CustomEntry

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REAL_SCHEMA = SHARED / "plain" / "schema.graphql"
needs_real_schema = pytest.mark.skipif(
    not REAL_SCHEMA.is_file(), reason=f"Plain's real schema is not at {REAL_SCHEMA}"
)
TYPENAME = {cls: name for name, cls in COMPONENT_TYPES.items()}

EVERY_KIND = (
    c.Text(text="top", size=c.TextSize.L, color=c.TextColor.SUCCESS),
    c.PlainText(text="plain", size=c.TextSize.S, color=c.TextColor.MUTED),
    c.Spacer(size=c.SpacingSize.XS),
    c.Divider(spacing=c.SpacingSize.XL),
    c.LinkButton(url="https://example.test/a", label="Open"),
    c.WorkflowButton(label="Refund", workflow_key="refund"),
    c.Badge(label="VIP", color=c.BadgeColor.GREEN),
    c.CopyButton(value="ORD-1", tooltip="Copy order"),
    c.DateTime(moment=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    c.Row(main=(c.PlainText(text="m"),), aside=(c.CopyButton(value="v"),)),
    c.Container(
        content=(
            c.Badge(label="in", color=c.BadgeColor.RED),
            c.Row(main=(c.Text(text="main"),), aside=(c.Badge(label="aside"),)),
        )
    ),
)


@pytest.fixture(scope="module")
def real_schema():
    return build_schema(REAL_SCHEMA.read_text())


@needs_real_schema
def test_every_component_union_of_plains_schema_is_handled_or_listed_with_a_reason(real_schema):
    component_unions = {
        name: {member.name for member in kind.types}
        for name, kind in real_schema.type_map.items()
        if isinstance(kind, GraphQLUnionType)
        and any(member.name in COMPONENT_TYPES for member in kind.types)
    }

    undecided = set(component_unions) - set(COMPONENT_UNIONS) - set(NOT_HANDLED_COMPONENT_UNIONS)
    assert undecided == set(), "decide in plain_gateway/components.py"
    assert set(COMPONENT_UNIONS) | set(NOT_HANDLED_COMPONENT_UNIONS) <= set(component_unions)
    for reason in NOT_HANDLED_COMPONENT_UNIONS.values():
        assert len(reason.split()) >= 3
    for name, classes in COMPONENT_UNIONS.items():
        assert {TYPENAME[cls] for cls in classes} == component_unions[name], name


@needs_real_schema
def test_every_component_type_of_plains_schema_has_a_dataclass(real_schema):
    component_types = {
        name
        for name, kind in real_schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        and any(
            kind in union.types
            for union in real_schema.type_map.values()
            if isinstance(union, GraphQLUnionType) and union.name in COMPONENT_UNIONS
        )
    }

    assert component_types == set(COMPONENT_TYPES)


def test_input_serialisation_reads_back_to_the_same_components():
    written = [component_input(component) for component in EVERY_KIND]

    assert components_from_input(written) == EVERY_KIND
    assert [customer_card_component(component) for component in EVERY_KIND] == written


def test_events_take_everything_but_a_container():
    *allowed, container = EVERY_KIND

    assert components_from_input(
        [event_component_input(component) for component in allowed], event=True
    ) == tuple(allowed)
    with pytest.raises(TypeError):
        event_component_input(container)
    with pytest.raises(ComponentInputError) as refused:
        components_from_input([component_input(container)], event=True)
    assert refused.value.path == "components[0]"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"componentText": {"text": " "}}, "components[0].componentText.text"),
        ({"componentText": {"text": "t"}, "componentBadge": {"badgeLabel": "b"}}, "components[0]"),
        (
            {"componentBadge": {"badgeLabel": "b", "badgeColor": "PINK"}},
            "components[0].componentBadge.badgeColor",
        ),
        (
            {"componentDateTime": {"dateTimeIso8601": "soon"}},
            "components[0].componentDateTime.dateTimeIso8601",
        ),
        (
            {"componentRow": {"rowMainContent": [{"componentRow": {}}], "rowAsideContent": []}},
            "components[0].componentRow.rowMainContent[0]",
        ),
        ({"componentUser": {"userIdentifier": {}}}, "components[0].componentUser.userIdentifier"),
    ],
)
def test_malformed_input_names_the_field(raw, path):
    with pytest.raises(ComponentInputError) as refused:
        components_from_input([raw])

    assert refused.value.path == path


def test_the_result_parser_is_default_deny_and_never_raises():
    parsed = components_from_graphql(
        [
            {"__typename": "ComponentFromTheFuture", "text": "?"},
            "not a component",
            {"__typename": "ComponentBadge", "badgeLabel": "b", "badgeColor": "PINK"},
            {
                "__typename": "ComponentContainer",
                "containerContent": [{"__typename": "ComponentContainer", "containerContent": []}],
            },
            {"__typename": "ComponentText", "text": "old", "size": "L", "color": "ERROR"},
            {"__typename": "ComponentDateTime", "dateTimeIso8601": {"iso8601": "junk"}},
        ]
    )

    assert parsed == (
        c.Badge(label="b", color=None),
        c.Container(content=()),
        c.Text(text="old", size=c.TextSize.L, color=c.TextColor.ERROR),
        c.DateTime(moment=None),
    )


def test_components_come_back_from_the_emulator_as_the_same_dataclasses(plain):
    customer, _ = plain.upsert_customer(external_id="k-1", full_name="Ann", email="ann@x.test")
    thread = plain.create_thread(
        customer_id=customer.id,
        tenant_external_id=None,
        title="T",
        text="",
        components=[
            component for component in EVERY_KIND if not isinstance(component, c.WorkflowButton)
        ],
    )

    (first,) = plain.thread(thread_id=thread.id).timeline.items

    assert isinstance(first.entry, CustomEntry)
    assert first.entry.components == tuple(
        component for component in EVERY_KIND if not isinstance(component, c.WorkflowButton)
    )
