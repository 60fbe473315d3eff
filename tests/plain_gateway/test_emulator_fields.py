"""Every field the emulator's SDL declares gets an answer: selecting all of them succeeds."""

from __future__ import annotations

from urllib.parse import urlsplit

from graphql import (
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    is_interface_type,
    is_leaf_type,
    is_non_null_type,
)

from plain_gateway.emulator.graph import build_executable_schema

SCHEMA = build_executable_schema()
ALL_COMPONENTS = [
    {"componentText": {"text": "Hello", "textSize": "L", "textColor": "MUTED"}},
    {"componentPlainText": {"plainText": "plain", "plainTextSize": "S"}},
    {"componentSpacer": {"spacerSize": "XL"}},
    {"componentDivider": {"dividerSpacingSize": "M"}},
    {"componentLinkButton": {"linkButtonUrl": "https://example.test", "linkButtonLabel": "Open"}},
    {"componentBadge": {"badgeLabel": "VIP", "badgeColor": "GREEN"}},
    {"componentCopyButton": {"copyButtonValue": "abc", "copyButtonTooltipLabel": "Copy"}},
    {"componentDateTime": {"dateTimeIso8601": "2024-01-02T03:04:05Z"}},
    {"componentUser": {"userIdentifier": {"emailAddress": "agent@example.test"}}},
    {
        "componentRow": {
            "rowMainContent": [{"componentText": {"text": "main"}}],
            "rowAsideContent": [{"componentBadge": {"badgeLabel": "aside"}}],
        }
    },
    {"componentContainer": {"containerContent": [{"componentText": {"text": "inside"}}]}},
]


def selection(type_name: str, depth: int = 5, seen: tuple[str, ...] = ()) -> str:
    """Every field of the type (and of every union member), `depth` levels deep."""
    graphql_type = SCHEMA.type_map[type_name]
    if isinstance(graphql_type, GraphQLUnionType) or is_interface_type(graphql_type):
        members = (
            graphql_type.types
            if isinstance(graphql_type, GraphQLUnionType)
            else SCHEMA.get_implementations(graphql_type).objects
        )
        parts = [f"... on {m.name} {selection(m.name, depth, seen)}" for m in members]
        return "{ __typename " + " ".join(parts) + " }"
    assert isinstance(graphql_type, GraphQLObjectType)
    fields = []
    for name, field in graphql_type.fields.items():
        if any(is_non_null_type(arg.type) for arg in field.args.values()):
            continue
        named = get_named_type(field.type)
        if is_leaf_type(named):
            fields.append(f"{type_name[0].lower()}{type_name[1:]}_{name}: {name}")
        elif depth > 0 and named.name not in seen:
            fields.append(
                f"{type_name[0].lower()}{type_name[1:]}_{name}: {name} "
                + selection(named.name, depth - 1, (*seen, type_name))
            )
    return "{ " + " ".join(fields or ["__typename"]) + " }"


def test_a_query_selecting_every_field_of_a_busy_thread_is_answered(
    graphql, emulator_control, emulator_factory, emulator_http
):
    agent_key = emulator_control.add_agent(
        full_name="Agent Smith", public_name="Smith", email="agent@example.test"
    )
    emulator_factory.tenant(external_id="org-a")
    customer = emulator_factory.customer(tenants=["org-a"])
    data = graphql(
        """mutation m($c: ID!) {
             createLabelType(input: { name: "Bug" }) { labelType { id } }
             createThreadFieldSchema(input: { label: "Area", key: "area", description: "",
               order: 0, type: STRING, enumValues: [], isRequired: false, isAiAutoFillEnabled: false
             }) { threadFieldSchema { id } }
             createAttachmentUploadUrl(input: { customerId: $c, fileName: "a.txt", fileSizeBytes: 3,
               attachmentType: CUSTOM_TIMELINE_ENTRY
             }) {
               attachmentUploadUrl { uploadFormUrl uploadFormData { key value } attachment { id } }
             }
           }""",
        c=customer["id"],
    )["data"]
    upload = data["createAttachmentUploadUrl"]["attachmentUploadUrl"]
    form = {item["key"]: item["value"] for item in upload["uploadFormData"]}
    emulator_http.post(
        urlsplit(upload["uploadFormUrl"]).path, data=form, files={"file": ("a.txt", b"abc")}
    )
    label_type_id = data["createLabelType"]["labelType"]["id"]
    thread = emulator_factory.thread(
        customer_id=customer["id"],
        tenant="org-a",
        components=ALL_COMPONENTS,
        attachmentIds=[upload["attachment"]["id"]],
        labelTypeIds=[label_type_id],
        threadFields=[{"key": "area", "type": "STRING", "stringValue": "billing"}],
    )
    ids = emulator_control.inbound_email(
        from_email="x@example.test",
        subject="Mail",
        text="Body",
        cc=["cc@example.test"],
        bcc=["bcc@example.test"],
    )
    events = [{"componentText": {"text": "event"}}]
    graphql(
        """mutation m($t: ID!, $c: ID!, $e: [EventComponentInput!]!) {
             sendChat(input: { threadId: $t, customerId: $c, text: "chat" }) { error { code } }
             createNote(input: { threadId: $t, customerId: $c, text: "note" }) { error { code } }
             changeThreadPriority(input: { threadId: $t, priority: 1 }) { error { code } }
             markThreadAsDone(input: { threadId: $t }) { error { code } }
             createThreadEvent(input: { threadId: $t, title: "ev", components: $e }) {
               error { code } }
             createCustomerEvent(input: { customerIdentifier: { customerId: $c }, title: "cev",
               components: $e }) { error { code } }
           }""",
        key=agent_key,
        t=thread["id"],
        c=customer["id"],
        e=events,
    )
    graphql(
        """mutation m($t: ID!) { replyToThread(input: { threadId: $t, textContent: "reply" }) {
             error { code } } }""",
        t=ids["thread_id"],
    )

    for thread_id in (thread["id"], ids["thread_id"]):
        body = graphql(
            f"query q($id: ID!) {{ thread(threadId: $id) {selection('Thread')} }}", id=thread_id
        )
        assert body["data"]["thread"]
    everything = graphql(
        "{ "
        f"customers {selection('CustomerConnection')} "
        f"tenants {selection('TenantConnection')} "
        f"labelTypes {selection('LabelTypeConnection')} "
        f"threadFieldSchemas {selection('ThreadFieldSchemaConnection')} "
        f"myMachineUser {selection('MachineUser')} "
        f"threads(first: 5) {selection('ThreadConnection', depth=3)} "
        "}"
    )
    assert everything["data"]["customers"]["customerConnection_totalCount"] == 2
