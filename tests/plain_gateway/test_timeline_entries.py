"""Which timeline entries and UI components reach the portal: one table, decided for every member
of Plain's unions, selected by the thread document exactly, and parsed default-deny."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    build_schema,
    parse,
)

from plain_gateway import components as pc
from plain_gateway._operations import OPERATIONS
from plain_gateway.emulator.graph import emulator_sdl
from plain_gateway.types import (
    CUSTOMER_VISIBLE_COMPONENT_TYPES,
    CUSTOMER_VISIBLE_ENTRY_TYPES,
    HIDDEN_COMPONENT_TYPES,
    HIDDEN_ENTRY_TYPES,
    MERGEABLE_ENTRY_TYPES,
    ChatEntry,
    CustomEntry,
    EmailEntry,
    HiddenEntry,
    MergedEntry,
    MessageEntry,
    StatusChangeEntry,
    SurveyRequestEntry,
    Thread,
    entry_from_graphql,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REAL_SCHEMA = SHARED / "plain" / "schema.graphql"

needs_real_schema = pytest.mark.skipif(
    not REAL_SCHEMA.is_file(),
    reason=f"Plain's real schema lives outside the repo, in {REAL_SCHEMA}; not present here, so "
    "the union cannot be enumerated",
)
COMPONENT_UNIONS = (
    "CustomTimelineEntryComponent",
    "ComponentRowContent",
    "ComponentContainerContent",
)


@pytest.fixture(scope="module")
def real_schema() -> GraphQLSchema:
    return build_schema(REAL_SCHEMA.read_text())


def union_members(schema: GraphQLSchema, name: str) -> set[str]:
    return {member.name for member in schema.type_map[name].types}


# --- one decision per type ------------------------------------------------------------------------


def test_no_type_is_both_visible_and_hidden():
    assert not set(CUSTOMER_VISIBLE_ENTRY_TYPES) & set(HIDDEN_ENTRY_TYPES)
    assert not set(CUSTOMER_VISIBLE_COMPONENT_TYPES) & set(HIDDEN_COMPONENT_TYPES)
    assert set(CUSTOMER_VISIBLE_ENTRY_TYPES) > MERGEABLE_ENTRY_TYPES


def test_every_hidden_type_says_why():
    for typename, reason in {**HIDDEN_ENTRY_TYPES, **HIDDEN_COMPONENT_TYPES}.items():
        assert len(reason.split()) >= 3, typename


@needs_real_schema
def test_every_member_of_plains_entry_union_is_shown_or_deliberately_hidden(real_schema):
    members = union_members(real_schema, "Entry")

    undecided = members - set(CUSTOMER_VISIBLE_ENTRY_TYPES) - set(HIDDEN_ENTRY_TYPES)
    stale = (set(CUSTOMER_VISIBLE_ENTRY_TYPES) | set(HIDDEN_ENTRY_TYPES)) - members

    assert undecided == set(), "decide in plain_gateway/types.py whether a customer sees these"
    assert stale == set(), "Plain's Entry union has no such member"


@needs_real_schema
def test_every_ui_component_is_shown_or_deliberately_hidden(real_schema):
    members = set().union(*(union_members(real_schema, name) for name in COMPONENT_UNIONS))

    assert members == set(CUSTOMER_VISIBLE_COMPONENT_TYPES) | set(HIDDEN_COMPONENT_TYPES)


# --- the thread document selects exactly that -----------------------------------------------------


def thread_document():
    document = parse(OPERATIONS["thread"].document)
    fragments = {d.name.value: d for d in document.definitions if hasattr(d, "type_condition")}
    return document, fragments


def fields(selection_set: SelectionSetNode, fragments) -> list[FieldNode]:
    """The fields of a selection set, through fragment spreads and inline fragments."""
    found: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, FragmentSpreadNode):
            found += fields(fragments[selection.name.value].selection_set, fragments)
        elif isinstance(selection, InlineFragmentNode):
            found += fields(selection.selection_set, fragments)
    return found


# Abstract types a fragment may be spread on; every other type condition names a concrete type.
ABSTRACT = {"Entry", *COMPONENT_UNIONS}


def type_conditions(selection_set: SelectionSetNode, fragments) -> dict[str, list[FieldNode]]:
    """Concrete type name -> the fields selected for it, over the inline fragments and fragment
    spreads of a selection set (looking through those on abstract types)."""
    found: dict[str, list[FieldNode]] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            condition, inner = fragment.type_condition.name.value, fragment.selection_set
        elif isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition.name.value, selection.selection_set
        else:
            continue
        if condition in ABSTRACT:
            for name, selected in type_conditions(inner, fragments).items():
                found.setdefault(name, []).extend(selected)
        else:
            found.setdefault(condition, []).extend(fields(inner, fragments))
    return found


def field_named(selection_set: SelectionSetNode, fragments, name: str) -> FieldNode:
    (found,) = [f for f in fields(selection_set, fragments) if f.name.value == name]
    return found


def timeline_entry_selection():
    document, fragments = thread_document()
    thread = field_named(document.definitions[0].selection_set, fragments, "thread")
    timeline = field_named(thread.selection_set, fragments, "timelineEntries")
    edges = field_named(timeline.selection_set, fragments, "edges")
    node = field_named(edges.selection_set, fragments, "node")
    return node, fragments


def test_the_thread_document_selects_entries_through_exactly_the_visible_types():
    node, fragments = timeline_entry_selection()
    entry = field_named(node.selection_set, fragments, "entry")

    direct = [s.name.value for s in entry.selection_set.selections if isinstance(s, FieldNode)]
    selected = type_conditions(entry.selection_set, fragments)

    assert direct == ["__typename"]
    assert set(selected) == set(CUSTOMER_VISIBLE_ENTRY_TYPES)


def test_a_merged_entry_selects_its_inner_entry_through_message_types_only():
    node, fragments = timeline_entry_selection()
    entry = field_named(node.selection_set, fragments, "entry")
    merged = type_conditions(entry.selection_set, fragments)["MergedThreadMessageEntry"]
    (child,) = [f for f in merged if f.name.value == "childTimelineEntry"]
    inner = field_named(child.selection_set, fragments, "entry")

    assert set(type_conditions(inner.selection_set, fragments)) == MERGEABLE_ENTRY_TYPES
    assert "customerId" in {f.name.value for f in fields(child.selection_set, fragments)}


def component_levels():
    """Each component list of a custom entry: top level, a row's two sides, a container's."""
    _node, fragments = timeline_entry_selection()
    components = field_named(fragments["CustomEntryParts"].selection_set, fragments, "components")
    top = type_conditions(components.selection_set, fragments)
    (row_main,) = [f for f in top["ComponentRow"] if f.name.value == "rowMainContent"]
    (row_aside,) = [f for f in top["ComponentRow"] if f.name.value == "rowAsideContent"]
    (container,) = [f for f in top["ComponentContainer"] if f.name.value == "containerContent"]
    return fragments, {
        "CustomTimelineEntryComponent": components,
        "ComponentRowContent": row_main,
        "ComponentRowContent (aside)": row_aside,
        "ComponentContainerContent": container,
    }


@needs_real_schema
def test_every_component_list_selects_exactly_the_visible_components_with_their_type(
    real_schema,
):
    fragments, levels = component_levels()

    for level, field in levels.items():
        members = union_members(real_schema, level.split(" ")[0])
        selected = type_conditions(field.selection_set, fragments)
        assert set(selected) == members & set(CUSTOMER_VISIBLE_COMPONENT_TYPES), level
        # Every member says what it is, rows and containers too: __typename is selected on the
        # list's own union, not only in a fragment on the leaf union, which rows do not belong to.
        assert "__typename" in union_level_fields(field.selection_set, fragments, level), level


def union_level_fields(selection_set: SelectionSetNode, fragments, level: str) -> set[str]:
    """Names of the fields selected for every member of the list's union."""
    union = level.split(" ")[0]
    names: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            if fragment.type_condition.name.value == union:
                names |= union_level_fields(fragment.selection_set, fragments, union)
        elif selection.type_condition.name.value == union:
            names |= union_level_fields(selection.selection_set, fragments, union)
    return names


def test_a_user_component_fetches_the_public_name_only():
    fragments, levels = component_levels()
    selected = type_conditions(levels["CustomTimelineEntryComponent"].selection_set, fragments)
    (user,) = [f for f in selected["ComponentUser"] if f.name.value == "user"]

    assert {f.name.value for f in fields(user.selection_set, fragments)} == {"publicName"}


def test_no_document_names_a_hidden_type_or_bcc():
    for name, operation in OPERATIONS.items():
        for word in (*HIDDEN_ENTRY_TYPES, *HIDDEN_COMPONENT_TYPES, "hiddenRecipients"):
            assert word not in operation.document, (name, word)


def test_the_emulator_declares_every_visible_entry_type():
    emulator = build_schema(emulator_sdl())

    assert set(CUSTOMER_VISIBLE_ENTRY_TYPES) <= union_members(emulator, "Entry")


# --- parsing, default-deny ---------------------------------------------------------------------


@pytest.mark.parametrize("typename", sorted(HIDDEN_ENTRY_TYPES))
def test_hidden_types_parse_as_hidden_even_with_content(typename):
    parsed = entry_from_graphql({"__typename": typename, "text": "secret", "markdown": "secret"})

    assert parsed == HiddenEntry(typename=typename)


def test_unknown_and_missing_types_are_hidden():
    assert entry_from_graphql({"__typename": "NewPlainEntry", "text": "x"}) == HiddenEntry(
        "NewPlainEntry"
    )
    assert entry_from_graphql(None) == HiddenEntry("Unknown")


def email_data(**changes):
    return {
        "__typename": "EmailEntry",
        "subject": "Hi",
        "category": "MESSAGING",
        "isStartOfThread": False,
        "markdownContent": "new *part*",
        "textContent": "new part",
        "hasMoreMarkdownContent": True,
        "hasMoreTextContent": True,
        "fullMarkdownContent": "new *part*\n\n> quoted",
        "fullTextContent": "new part\n\n> quoted",
        "from": {"email": "a@x.test", "name": "A"},
        "to": {"email": "s@x.test", "name": None},
        "additionalRecipients": [{"email": "cc@x.test", "name": None}],
        "attachments": [],
        **changes,
    }


def test_an_email_carries_its_newest_part_and_its_whole_text():
    parsed = entry_from_graphql(email_data())

    assert isinstance(parsed, EmailEntry)
    assert (parsed.markdown, parsed.text) == ("new *part*", "new part")
    assert parsed.has_more and parsed.full_markdown.endswith("> quoted")
    assert parsed.full_text.endswith("> quoted")
    assert [cc.email for cc in parsed.cc] == ["cc@x.test"]


@pytest.mark.parametrize(
    "category", ["THREAD_DISCUSSION", "USER_HIDDEN", "UNREAD_CHAT_MESSAGES", "X"]
)
def test_emails_outside_the_customers_categories_are_hidden(category):
    assert isinstance(entry_from_graphql(email_data(category=category)), HiddenEntry)


def test_channel_messages_keep_their_markup_edits_and_deletions():
    moment = {"iso8601": "2025-01-01T12:00:00.000Z"}
    slack = entry_from_graphql(
        {"__typename": "SlackReplyEntry", "text": "*hi*", "lastEditedOnSlackAt": moment}
    )
    teams = entry_from_graphql(
        {"__typename": "MSTeamsMessageEntry", "text": "hi", "markdownContent": "**hi**"}
    )
    discord = entry_from_graphql(
        {"__typename": "DiscordMessageEntry", "markdownContent": "x", "deletedOnDiscordAt": moment}
    )
    ai = entry_from_graphql(
        {"__typename": "HelpCenterAiConversationMessageEntry", "markdown": "_ai_"}
    )

    assert (slack.channel, slack.text, slack.markdown) == ("slack", "*hi*", None)
    assert slack.edited_at is not None and slack.deleted_at is None
    assert (teams.channel, teams.text, teams.markdown) == ("ms_teams", "hi", "**hi**")
    assert (discord.channel, discord.text, discord.deleted_at is not None) == ("discord", "x", True)
    assert isinstance(ai, MessageEntry) and (ai.channel, ai.markdown) == ("help_center", "_ai_")


def test_survey_requests_and_status_changes_parse():
    assert entry_from_graphql({"__typename": "CustomerSurveyRequestedEntry"}) == (
        SurveyRequestEntry()
    )
    assert entry_from_graphql(
        {
            "__typename": "ThreadStatusTransitionedEntry",
            "previousStatus": "TODO",
            "nextStatus": "DONE",
        }
    ) == StatusChangeEntry("TODO", "DONE")


def merged_data(child_entry):
    return {
        "__typename": "MergedThreadMessageEntry",
        "childThreadDetails": {"ref": "T-7", "title": "Old"},
        "childTimelineEntry": {
            "id": "ti_c",
            "customerId": "c_1",
            "timestamp": {"iso8601": "2025-01-01T12:00:00.000Z"},
            "actor": {
                "__typename": "CustomerActor",
                "customerId": "c_1",
                "customer": {"fullName": "A"},
            },
            "entry": child_entry,
        },
    }


def test_a_merged_entry_carries_its_inner_message_and_whose_thread_it_was():
    parsed = entry_from_graphql(merged_data({"__typename": "ChatEntry", "chatText": "hello"}))

    assert isinstance(parsed, MergedEntry)
    assert (parsed.child_thread_ref, parsed.child_thread_title) == ("T-7", "Old")
    assert parsed.child.customer_id == "c_1"
    assert parsed.child.entry == ChatEntry(text="hello")


@pytest.mark.parametrize(
    "inner",
    [
        {"__typename": "NoteEntry", "text": "secret"},
        {"__typename": "ThreadStatusTransitionedEntry", "previousStatus": "A", "nextStatus": "B"},
        {"__typename": "MergedThreadMessageEntry"},
    ],
)
def test_a_merged_entrys_inner_entry_is_a_message_or_hidden(inner):
    parsed = entry_from_graphql(merged_data(inner))

    assert isinstance(parsed.child.entry, HiddenEntry)


def test_a_merged_entry_without_its_inner_entry_has_none():
    data = {**merged_data({}), "childTimelineEntry": None}

    assert entry_from_graphql(data).child is None


def test_threads_carry_the_source_of_their_last_messages():
    thread = Thread.from_graphql(
        {
            "id": "th_1",
            "customer": {"id": "c_1"},
            "lastInboundMessageInfo": {
                "timestamp": {"iso8601": "2025-01-01T12:00:00.000Z"},
                "messageSource": "EMAIL",
            },
            "lastOutboundMessageInfo": {
                "timestamp": {"iso8601": "2025-01-01T13:00:00.000Z"},
                "messageSource": "API",
            },
        }
    )

    assert (thread.last_inbound_source, thread.last_outbound_source) == ("EMAIL", "API")
    assert thread.last_outbound_at > thread.last_inbound_at


# --- through the emulator ----------------------------------------------------------------------


def test_nested_components_come_back_typed_at_every_level(plain, emulator_control):
    customer, _ = plain.upsert_customer(external_id="e-1", full_name="Ann", email="ann@x.test")
    customer_id = customer.id
    components = [
        pc.Text(text="top", size=pc.TextSize.L, color=pc.TextColor.SUCCESS),
        pc.Container(
            content=(
                pc.Badge(label="in", color=pc.BadgeColor.RED),
                pc.Row(main=(pc.PlainText(text="m"),), aside=(pc.CopyButton(value="v"),)),
            )
        ),
        pc.DateTime(moment=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        pc.Spacer(size=pc.SpacingSize.XS),
        pc.Divider(spacing=pc.SpacingSize.XL),
    ]
    thread = plain.create_thread(
        customer_id=customer_id, tenant_external_id=None, title="T", text="", components=components
    )

    (first,) = plain.thread(thread_id=thread.id).timeline.items
    body = first.entry

    assert isinstance(body, CustomEntry)
    text, container, date, spacer, divider = body.components
    assert text == pc.Text(text="top", size=pc.TextSize.L, color=pc.TextColor.SUCCESS)
    assert isinstance(container, pc.Container)
    badge, row = container.content
    assert badge == pc.Badge(label="in", color=pc.BadgeColor.RED)
    assert isinstance(row, pc.Row)
    assert row.main == (pc.PlainText(text="m"),)
    assert row.aside == (pc.CopyButton(value="v", tooltip=None),)
    assert date == pc.DateTime(moment=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert (spacer, divider) == (
        pc.Spacer(size=pc.SpacingSize.XS),
        pc.Divider(spacing=pc.SpacingSize.XL),
    )


def test_hidden_entries_reach_the_client_as_their_type_name_only(plain):
    customer, _ = plain.upsert_customer(external_id="e-2", full_name="Bo", email="bo@x.test")
    customer_id = customer.id
    thread = plain.create_thread(
        customer_id=customer_id, tenant_external_id=None, title="T", text="hello"
    )
    plain.create_note(customer_id=customer_id, thread_id=thread.id, text="NOTE-MARKER")
    plain.change_thread_priority(thread_id=thread.id, priority=0)

    entries = plain.thread(thread_id=thread.id).timeline.items
    hidden = [e.entry for e in entries if not e.is_visible]

    assert {h.typename for h in hidden} >= {"NoteEntry", "ThreadPriorityChangedEntry"}
    assert "NOTE-MARKER" not in repr(entries)
