"""archiveLabelType and unarchiveLabelType in the emulator: success, no-ops, not found, what an
archived label type still allows, and the events."""

from __future__ import annotations

from typing import Any

import pytest

ERROR = "error { message type code fields { field message type } }"
LABEL_TYPE = "labelType { id isArchived archivedAt { iso8601 } archivedBy { __typename } }"


def _change(graphql, name: str, label_type_id: str) -> dict[str, Any]:
    input_type = name[0].upper() + name[1:] + "Input"
    return graphql(
        f"mutation m($input: {input_type}!) {{ {name}(input: $input) {{ {LABEL_TYPE} {ERROR} }} }}",
        input={"labelTypeId": label_type_id},
    )["data"][name]


@pytest.fixture
def label_type_id(graphql) -> str:
    return graphql('mutation { createLabelType(input: { name: "Bug" }) { labelType { id } } }')[
        "data"
    ]["createLabelType"]["labelType"]["id"]


@pytest.fixture
def recorded(emulator_app):
    events: list[Any] = []
    emulator_app.state.store.subscribe("*", events.append)
    return events


def test_archive_then_unarchive(graphql, label_type_id, recorded):
    recorded.clear()
    archived = _change(graphql, "archiveLabelType", label_type_id)
    assert archived["error"] is None
    assert archived["labelType"]["isArchived"] is True
    assert archived["labelType"]["archivedAt"]["iso8601"]
    assert archived["labelType"]["archivedBy"]["__typename"] == "MachineUserActor"
    listed = graphql("{ labelTypes(filters: { isArchived: true }) { edges { node { id } } } }")
    assert [e["node"]["id"] for e in listed["data"]["labelTypes"]["edges"]] == [label_type_id]

    restored = _change(graphql, "unarchiveLabelType", label_type_id)
    assert restored["error"] is None
    assert restored["labelType"] == {
        "id": label_type_id,
        "isArchived": False,
        "archivedAt": None,
        "archivedBy": None,
    }
    assert [(e.name, e.payload) for e in recorded] == [
        ("label_type.label_type_archived", {"label_type_id": label_type_id}),
        ("label_type.label_type_unarchived", {"label_type_id": label_type_id}),
    ]


def test_archiving_twice_or_unarchiving_a_live_one_changes_nothing(
    graphql, label_type_id, recorded
):
    recorded.clear()
    assert _change(graphql, "unarchiveLabelType", label_type_id)["labelType"]["isArchived"] is False
    first = _change(graphql, "archiveLabelType", label_type_id)["labelType"]
    again = _change(graphql, "archiveLabelType", label_type_id)
    assert again["error"] is None
    assert again["labelType"] == first
    assert [e.name for e in recorded] == ["label_type.label_type_archived"]


@pytest.mark.parametrize("name", ["archiveLabelType", "unarchiveLabelType"])
def test_an_unknown_label_type_is_not_found(graphql, recorded, name):
    result = _change(graphql, name, "lt_missing")
    assert result["labelType"] is None
    assert result["error"]["code"] == "not_found"
    assert [f["field"] for f in result["error"]["fields"]] == ["labelTypeId"]
    assert recorded == []


def test_an_archived_label_type_stays_on_threads_and_cannot_be_added(
    graphql, emulator_factory, label_type_id
):
    labelled = emulator_factory.thread(labelTypeIds=[label_type_id])
    _change(graphql, "archiveLabelType", label_type_id)
    other = emulator_factory.thread()

    kept = graphql(
        "query q($id: ID!) { thread(threadId: $id) { labels { labelType { id isArchived } } } }",
        id=labelled["id"],
    )["data"]["thread"]["labels"]
    added = graphql(
        f"mutation m($input: AddLabelsInput!) {{ addLabels(input: $input) {{ {ERROR} }} }}",
        input={"threadId": other["id"], "labelTypeIds": [label_type_id]},
    )["data"]["addLabels"]

    assert kept == [{"labelType": {"id": label_type_id, "isArchived": True}}]
    assert added["error"]["code"] == "cannot_add_label_using_archived_label_type"
