"""The emulator's thread assignment: assignThread, unassignThread, additional assignees,
createThread's assignedTo, the timeline entries they write and the events they emit.

Raw GraphQL over httpx.WSGITransport against a fresh emulator; agents come from the control
API. Every write test also subscribes to the store and compares the exact events delivered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from plain_gateway.emulator import EmulatorControl, create_app
from plain_gateway.emulator.families.assignment import Assignments
from plain_gateway.emulator.store import Event
from tests.conftest import EMULATOR_KEY, EMULATOR_URL

ERROR = "error { code message fields { field type } }"
ASSIGNEE = "__typename ... on User { id } ... on MachineUser { id } ... on System { id }"
THREAD = f"""
id assignedTo {{ {ASSIGNEE} }} assignedAt {{ iso8601 }} additionalAssignees {{ {ASSIGNEE} }}
"""
ASSIGN = f"""mutation m($i: AssignThreadInput!) {{ assignThread(input: $i) {{
  thread {{ {THREAD} }} {ERROR} }} }}"""
UNASSIGN = f"""mutation m($i: UnassignThreadInput!) {{ unassignThread(input: $i) {{
  thread {{ {THREAD} }} {ERROR} }} }}"""
ADD = f"""mutation m($i: AddAdditionalAssigneesInput!) {{ addAdditionalAssignees(input: $i) {{
  thread {{ {THREAD} }} {ERROR} }} }}"""
REMOVE = f"""mutation m($i: RemoveAdditionalAssigneesInput!) {{
  removeAdditionalAssignees(input: $i) {{ thread {{ {THREAD} }} {ERROR} }} }}"""
CREATE = f"""mutation m($i: CreateThreadInput!) {{ createThread(input: $i) {{
  thread {{ {THREAD} }} {ERROR} }} }}"""
UPSERT_CUSTOMER = """mutation { upsertCustomer(input: {
  identifier: { emailAddress: "carl@acme.test" },
  onCreate: { fullName: "Carl", email: { email: "carl@acme.test", isVerified: true } },
  onUpdate: {} }) { customer { id } } }"""
TIMELINE = f"""query q($t: ID!, $types: [TimelineEntryType!]) {{ thread(threadId: $t) {{
  timelineEntries(filters: {{ entryTypes: $types }}) {{ edges {{ node {{
    actor {{ __typename ... on UserActor {{ userId }} ... on MachineUserActor {{ machineUserId }} }}
    entry {{ __typename
      ... on ThreadAssignmentTransitionedEntry {{
        previousAssignee {{ {ASSIGNEE} }} nextAssignee {{ {ASSIGNEE} }} }}
      ... on ThreadAdditionalAssigneesTransitionedEntry {{
        previousAssignees {{ {ASSIGNEE} }} nextAssignees {{ {ASSIGNEE} }} }}
    }}
  }} }} }}
}} }}"""


class World:
    """A fresh emulator with one thread, two agents and the machine user; records events."""

    def __init__(self) -> None:
        self.app = create_app(api_key=EMULATOR_KEY)
        self.http = httpx.Client(transport=httpx.WSGITransport(app=self.app))
        self.events: list[Event] = []
        self.app.state.store.subscribe("*", self.events.append)
        control = EmulatorControl(
            url=EMULATOR_URL, api_key=EMULATOR_KEY, transport=httpx.WSGITransport(app=self.app)
        )
        self.ann_key = control.add_agent(full_name="Ann Agent", public_name="Ann")
        control.add_agent(full_name="Bob Agent", public_name="Bob")
        control.close()
        users = self.gql("{ users { edges { node { id } } } }")["users"]["edges"]
        self.ann, self.bob = (edge["node"]["id"] for edge in users)
        self.machine_user = self.gql("{ myMachineUser { id } }")["myMachineUser"]["id"]
        customer = self.gql(UPSERT_CUSTOMER)
        self.customer = customer["upsertCustomer"]["customer"]["id"]
        self.thread = self.create({})["thread"]["id"]

    def gql(self, query: str, *, key: str = EMULATOR_KEY, **variables: Any) -> dict[str, Any]:
        body = self.http.post(
            EMULATOR_URL,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        ).json()
        assert "errors" not in body, body
        return dict(body["data"])

    def run(self, query: str, key: str = EMULATOR_KEY, **input: Any) -> dict[str, Any]:
        """One mutation's payload; its events land in self.events (cleared first)."""
        self.events.clear()
        data = self.gql(query, key=key, i=input)
        return dict(next(iter(data.values())))

    def create(self, extra: dict[str, Any]) -> dict[str, Any]:
        return self.run(
            CREATE, customerIdentifier={"customerId": self.customer}, title="Help", **extra
        )

    def fired(self) -> list[tuple[str, dict[str, Any]]]:
        return [(e.name, e.payload) for e in self.events]

    def entries(self, types: list[str] | None = None) -> list[dict[str, Any]]:
        data = self.gql(TIMELINE, t=self.thread, types=types)
        return [edge["node"] for edge in data["thread"]["timelineEntries"]["edges"]]


@pytest.fixture
def world() -> Iterator[World]:
    found = World()
    yield found
    found.http.close()


def user(user_id: str) -> dict[str, str]:
    return {"__typename": "User", "id": user_id}


def machine(machine_user_id: str) -> dict[str, str]:
    return {"__typename": "MachineUser", "id": machine_user_id}


def fields(error: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["field"], f["type"]) for f in error["fields"]]


# --- assignThread ------------------------------------------------------------------------------


def test_a_new_thread_is_unassigned(world):
    thread = world.gql(
        f"query q($t: ID!) {{ thread(threadId: $t) {{ {THREAD} }} }}", t=world.thread
    )

    assert thread["thread"] == {
        "id": world.thread,
        "assignedTo": None,
        "assignedAt": None,
        "additionalAssignees": [],
    }


def test_assign_thread_to_a_user(world):
    out = world.run(ASSIGN, key=world.ann_key, threadId=world.thread, userId=world.bob)

    assert out["error"] is None
    assert out["thread"]["assignedTo"] == user(world.bob)
    assert out["thread"]["assignedAt"]["iso8601"]
    assert world.fired() == [
        (
            "thread.thread_assignment_transitioned",
            {
                "thread_id": world.thread,
                "previous_assignee": None,
                "assignee": {"kind": "user", "id": world.bob},
            },
        )
    ]
    (entry,) = world.entries(["THREAD_ASSIGNMENT_TRANSITIONED"])
    assert entry["actor"] == {"__typename": "UserActor", "userId": world.ann}
    assert entry["entry"] == {
        "__typename": "ThreadAssignmentTransitionedEntry",
        "previousAssignee": None,
        "nextAssignee": user(world.bob),
    }


def test_reassign_thread_to_a_machine_user_names_the_previous_assignee(world):
    world.run(ASSIGN, threadId=world.thread, userId=world.ann)

    out = world.run(ASSIGN, threadId=world.thread, machineUserId=world.machine_user)

    assert out["thread"]["assignedTo"] == machine(world.machine_user)
    assert world.fired() == [
        (
            "thread.thread_assignment_transitioned",
            {
                "thread_id": world.thread,
                "previous_assignee": {"kind": "user", "id": world.ann},
                "assignee": {"kind": "machine_user", "id": world.machine_user},
            },
        )
    ]
    transitions = [e["entry"] for e in world.entries(["THREAD_ASSIGNMENT_TRANSITIONED"])]
    assert [(t["previousAssignee"], t["nextAssignee"]) for t in transitions] == [
        (None, user(world.ann)),
        (user(world.ann), machine(world.machine_user)),
    ]


def test_assigning_the_current_assignee_again_changes_nothing(world):
    first = world.run(ASSIGN, threadId=world.thread, userId=world.ann)

    again = world.run(ASSIGN, threadId=world.thread, userId=world.ann)

    assert again == first
    assert world.fired() == []
    assert len(world.entries(["THREAD_ASSIGNMENT_TRANSITIONED"])) == 1


@pytest.mark.parametrize(
    "ids",
    [{}, {"userId": "u_x", "machineUserId": "mu_x"}],
    ids=["neither", "both"],
)
def test_assign_thread_needs_exactly_one_assignee(world, ids):
    out = world.run(ASSIGN, threadId=world.thread, **ids)

    assert out["thread"] is None
    assert out["error"]["code"] == "input_validation"
    assert fields(out["error"]) == [("userId", "VALIDATION"), ("machineUserId", "VALIDATION")]
    assert world.fired() == []


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        (lambda w: {"threadId": "th_unknown", "userId": w.ann}, "threadId"),
        (lambda w: {"threadId": w.thread, "userId": "u_unknown"}, "userId"),
        (lambda w: {"threadId": w.thread, "machineUserId": "mu_unknown"}, "machineUserId"),
    ],
    ids=["thread", "user", "machine user"],
)
def test_assign_thread_not_found(world, ids, field):
    out = world.run(ASSIGN, **ids(world))

    assert out["thread"] is None
    assert out["error"]["code"] == "not_found"
    assert fields(out["error"]) == [(field, "NOT_FOUND")]
    assert world.fired() == []
    assert world.entries(["THREAD_ASSIGNMENT_TRANSITIONED"]) == []


# --- unassignThread ----------------------------------------------------------------------------


def test_unassign_thread(world):
    world.run(ASSIGN, threadId=world.thread, userId=world.ann)

    out = world.run(UNASSIGN, threadId=world.thread)

    assert out["error"] is None
    assert (out["thread"]["assignedTo"], out["thread"]["assignedAt"]) == (None, None)
    assert world.fired() == [
        (
            "thread.thread_assignment_transitioned",
            {
                "thread_id": world.thread,
                "previous_assignee": {"kind": "user", "id": world.ann},
                "assignee": None,
            },
        )
    ]
    last = world.entries(["THREAD_ASSIGNMENT_TRANSITIONED"])[-1]["entry"]
    assert (last["previousAssignee"], last["nextAssignee"]) == (user(world.ann), None)


def test_unassigning_an_unassigned_thread_changes_nothing(world):
    out = world.run(UNASSIGN, threadId=world.thread)

    assert out["error"] is None
    assert out["thread"]["assignedTo"] is None
    assert world.fired() == []
    assert world.entries(["THREAD_ASSIGNMENT_TRANSITIONED"]) == []


def test_unassign_thread_not_found(world):
    out = world.run(UNASSIGN, threadId="th_unknown")

    assert out["thread"] is None
    assert out["error"]["code"] == "not_found"
    assert fields(out["error"]) == [("threadId", "NOT_FOUND")]


# --- createThread assignedTo -------------------------------------------------------------------


def test_create_thread_assigned_to_a_user(world):
    out = world.create({"assignedTo": {"userId": world.ann}})

    thread = out["thread"]
    assert out["error"] is None
    assert thread["assignedTo"] == user(world.ann)
    assert [name for name, _ in world.fired()] == [
        "thread.thread_created",
        "thread.thread_assignment_transitioned",
    ]
    assert world.fired()[1][1] == {
        "thread_id": thread["id"],
        "previous_assignee": None,
        "assignee": {"kind": "user", "id": world.ann},
    }


@pytest.mark.parametrize(
    ("assigned_to", "code", "expected"),
    [
        ({"userId": "u_unknown"}, "not_found", [("assignedTo.userId", "NOT_FOUND")]),
        (
            {"machineUserId": "mu_unknown"},
            "not_found",
            [("assignedTo.machineUserId", "NOT_FOUND")],
        ),
        (
            {},
            "input_validation",
            [("assignedTo.userId", "VALIDATION"), ("assignedTo.machineUserId", "VALIDATION")],
        ),
    ],
)
def test_create_thread_with_a_bad_assignee_creates_nothing(world, assigned_to, code, expected):
    out = world.create({"assignedTo": assigned_to})

    assert out["thread"] is None
    assert out["error"]["code"] == code
    assert fields(out["error"]) == expected
    assert world.fired() == []
    assert world.gql("{ threads { totalCount } }")["threads"]["totalCount"] == 1


# --- additional assignees ----------------------------------------------------------------------


def test_add_and_remove_additional_assignees(world):
    added = world.run(
        ADD, threadId=world.thread, userIds=[world.ann], machineUserIds=[world.machine_user]
    )
    add_events = world.fired()
    removed = world.run(REMOVE, threadId=world.thread, userIds=[world.ann])

    ann, bot = {"kind": "user", "id": world.ann}, {"kind": "machine_user", "id": world.machine_user}
    assert added["error"] is None
    assert added["thread"]["additionalAssignees"] == [user(world.ann), machine(world.machine_user)]
    assert removed["thread"]["additionalAssignees"] == [machine(world.machine_user)]
    name = "thread.thread_additional_assignees_transitioned"
    assert add_events == [
        (name, {"thread_id": world.thread, "previous_assignees": [], "assignees": [ann, bot]})
    ]
    assert world.fired() == [
        (name, {"thread_id": world.thread, "previous_assignees": [ann, bot], "assignees": [bot]})
    ]
    entries = [e["entry"] for e in world.entries(["THREAD_ADDITIONAL_ASSIGNEES_TRANSITIONED"])]
    assert [len(e["nextAssignees"]) for e in entries] == [2, 1]


def test_adding_an_additional_assignee_twice_or_removing_an_absent_one_changes_nothing(world):
    world.run(ADD, threadId=world.thread, userIds=[world.ann])

    again = world.run(ADD, threadId=world.thread, userIds=[world.ann, world.ann])
    again_events = world.fired()
    absent = world.run(REMOVE, threadId=world.thread, userIds=[world.bob])

    assert again["thread"]["additionalAssignees"] == [user(world.ann)]
    assert absent["thread"]["additionalAssignees"] == [user(world.ann)]
    assert again_events == world.fired() == []


@pytest.mark.parametrize("query", [ADD, REMOVE], ids=["add", "remove"])
def test_additional_assignees_need_at_least_one_id(world, query):
    out = world.run(query, threadId=world.thread, userIds=[])

    assert out["thread"] is None
    assert out["error"]["code"] == "input_validation"
    assert fields(out["error"]) == [("userIds", "REQUIRED"), ("machineUserIds", "REQUIRED")]
    assert world.fired() == []


@pytest.mark.parametrize("query", [ADD, REMOVE], ids=["add", "remove"])
def test_additional_assignees_not_found(world, query):
    unknown_user = world.run(query, threadId=world.thread, userIds=[world.ann, "u_unknown"])
    unknown_thread = world.run(query, threadId="th_unknown", userIds=[world.ann])

    assert unknown_user["error"]["code"] == "not_found"
    assert fields(unknown_user["error"]) == [("userIds[1]", "NOT_FOUND")]
    assert fields(unknown_thread["error"]) == [("threadId", "NOT_FOUND")]
    assert world.fired() == []


def test_the_assignee_cannot_also_be_an_additional_assignee(world):
    world.run(ASSIGN, threadId=world.thread, userId=world.ann)

    out = world.run(ADD, threadId=world.thread, userIds=[world.bob, world.ann])

    assert out["error"]["code"] == "input_validation"
    assert fields(out["error"]) == [("userIds[1]", "VALIDATION")]
    assert world.fired() == []


def test_assigning_an_additional_assignee_takes_them_off_the_additional_list(world):
    world.run(ADD, threadId=world.thread, userIds=[world.ann, world.bob])

    out = world.run(ASSIGN, threadId=world.thread, userId=world.ann)

    assert out["thread"]["assignedTo"] == user(world.ann)
    assert out["thread"]["additionalAssignees"] == [user(world.bob)]
    assert [name for name, _ in world.fired()] == [
        "thread.thread_additional_assignees_transitioned",
        "thread.thread_assignment_transitioned",
    ]


# --- reads for the threads family, and persistence -------------------------------------------


def test_assigned_thread_ids_answers_is_assigned_and_assigned_to_user(world):
    other = world.create({"assignedTo": {"userId": world.bob}})["thread"]["id"]
    bot = world.create({"assignedTo": {"machineUserId": world.machine_user}})["thread"]["id"]
    family = world.app.state.family(Assignments)

    assert family.assigned_thread_ids() is None
    assert family.assigned_thread_ids(is_assigned=True) == {other, bot}
    assert family.assigned_thread_ids(is_assigned=False) == {world.thread}
    assert family.assigned_thread_ids(user_ids=[world.bob, world.ann]) == {other}
    assert family.assigned_thread_ids(is_assigned=False, user_ids=[world.bob]) == set()


def test_an_assignment_survives_a_restart(tmp_path):
    path = str(tmp_path / "emulator.sqlite3")

    def client() -> httpx.Client:
        app = create_app(api_key=EMULATOR_KEY, data_path=path)
        return httpx.Client(
            transport=httpx.WSGITransport(app=app),
            headers={"Authorization": f"Bearer {EMULATOR_KEY}"},
        )

    def post(http: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
        body = http.post(EMULATOR_URL, json={"query": query, "variables": variables}).json()
        assert "errors" not in body, body
        return dict(body["data"])

    with client() as http:
        machine_user = post(http, "{ myMachineUser { id } }")["myMachineUser"]["id"]
        customer = post(
            http,
            UPSERT_CUSTOMER,
        )["upsertCustomer"]["customer"]["id"]
        created = post(
            http,
            CREATE,
            i={
                "customerIdentifier": {"customerId": customer},
                "title": "Help",
                "assignedTo": {"machineUserId": machine_user},
            },
        )["createThread"]["thread"]
    with client() as http:
        thread = post(
            http, f"query q($t: ID!) {{ thread(threadId: $t) {{ {THREAD} }} }}", t=created["id"]
        )

    assert thread["thread"] == created
