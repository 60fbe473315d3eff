"""The emulator's workspace family: the workspace, users, machine users, API key records, roles.

Raw GraphQL over httpx.WSGITransport against a fresh emulator (the `graphql` fixture); agents
are made through the control API, as a test of a portal would make them.
"""

from __future__ import annotations

import hashlib

import httpx
import pytest

from plain_gateway.emulator import EmulatorControl, EmulatorControlError, create_app
from plain_gateway.emulator.families.threads import SUPPORT_EMAIL
from plain_gateway.emulator.families.workspace import (
    DEFAULT_WORKSPACE_NAME,
    WORKSPACE_NAME_SETTING,
    Workspace,
)
from plain_gateway.emulator.store import Event
from tests.conftest import EMULATOR_KEY, EMULATOR_URL

WORKSPACE = """
{ myWorkspace {
  id name publicName isDemoWorkspace domainName domainNames logo { id }
  workOSOrganizationId workOSHubOrganizationId
  createdAt { iso8601 } createdBy { __typename ... on SystemActor { systemId } }
  updatedBy { __typename }
  workspaceChatSettings { isEnabled }
  workspaceEmailSettings {
    isEnabled bccEmailAddresses
    workspaceEmailDomainSettings {
      domainName supportEmailAddress alternateSupportEmailAddresses isForwardingConfigured
      inboundForwardingEmail isDomainConfigured
      dkimDnsRecord { type name isVerified } returnPathDnsRecord { isVerified }
    }
  }
} }
"""

USER_FIELDS = """
id fullName publicName email status isDeleted deletedAt { iso8601 } avatarUrl avatar { id }
labels { id } slackIdentities { slackUserId } defaultSavedThreadsView { id }
workingHours { id } statusChangedAt { iso8601 } createdBy { __typename }
role { id name key isAssignableToThread isAssignableToCustomer permissions customRole { id } }
roles { key }
"""

API_KEYS = """
{ myMachineUser { id fullName avatar { id }
  apiKeys(first: 10) { edges { node {
    id description permissions isDeleted createdAt { iso8601 } createdBy { __typename }
  } } pageInfo { hasNextPage } }
} }
"""


def _agent(control: EmulatorControl, graphql, name: str, **extra) -> tuple[str, dict]:
    """A new agent's API key and its myUser (every user field)."""
    key = control.add_agent(full_name=name, public_name=name.split()[0], **extra)
    me = graphql(f"{{ myUser {{ {USER_FIELDS} }} myMachineUser {{ id }} }}", key=key)["data"]
    assert me["myMachineUser"] is None
    return key, me["myUser"]


# --- the workspace -----------------------------------------------------------------------------


def test_my_workspace_answers_the_emulated_workspace(graphql):
    first = graphql(WORKSPACE)["data"]["myWorkspace"]
    again = graphql(WORKSPACE)["data"]["myWorkspace"]

    assert first == again
    assert first["id"].startswith("w_")
    assert first["name"] == first["publicName"] == DEFAULT_WORKSPACE_NAME
    assert first["isDemoWorkspace"] is False
    assert first["domainName"] is None
    assert first["domainNames"] == []
    assert first["logo"] is None
    assert first["createdBy"]["__typename"] == "SystemActor"
    assert first["workspaceChatSettings"] == {"isEnabled": True}
    email = first["workspaceEmailSettings"]
    assert email["isEnabled"] is True
    assert email["bccEmailAddresses"] == []
    domain = email["workspaceEmailDomainSettings"]
    # The address threads are emailed from and inbound emails arrive at.
    assert domain["supportEmailAddress"] == SUPPORT_EMAIL
    assert domain["domainName"] == SUPPORT_EMAIL.split("@")[1]
    assert domain["isDomainConfigured"] is False
    assert domain["dkimDnsRecord"]["isVerified"] is False


def test_the_workspace_name_comes_from_the_setting(monkeypatch):
    monkeypatch.setenv(WORKSPACE_NAME_SETTING, "Acme Support")
    app = create_app(api_key=EMULATOR_KEY)
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as http:
        body = http.post(
            EMULATOR_URL,
            json={"query": "{ myWorkspace { name publicName } }"},
            headers={"Authorization": f"Bearer {EMULATOR_KEY}"},
        ).json()

    assert body["data"]["myWorkspace"] == {"name": "Acme Support", "publicName": "Acme Support"}


def test_the_workspace_keeps_its_id_across_a_restart(tmp_path):
    path = str(tmp_path / "emulator.sqlite3")

    def workspace_id() -> str:
        app = create_app(api_key=EMULATOR_KEY, data_path=path)
        with httpx.Client(transport=httpx.WSGITransport(app=app)) as http:
            body = http.post(
                EMULATOR_URL,
                json={"query": "{ myWorkspace { id } }"},
                headers={"Authorization": f"Bearer {EMULATOR_KEY}"},
            ).json()
        return str(body["data"]["myWorkspace"]["id"])

    assert workspace_id() == workspace_id()


# --- machine users and API keys ----------------------------------------------------------------


def test_my_machine_user_answers_the_key_and_its_records_never_the_key(graphql, emulator_http):
    response = emulator_http.post(
        "/graphql/v1",
        json={"query": API_KEYS},
        headers={"Authorization": f"Bearer {EMULATOR_KEY}"},
    )
    body = response.json()
    machine_user = body["data"]["myMachineUser"]

    assert machine_user["avatar"] is None
    keys = [edge["node"] for edge in machine_user["apiKeys"]["edges"]]
    assert len(keys) == 1
    assert keys[0]["id"].startswith("ak_")
    assert keys[0]["isDeleted"] is False
    assert "thread:read" in keys[0]["permissions"]
    assert machine_user["apiKeys"]["pageInfo"]["hasNextPage"] is False
    assert graphql("{ myUser { id } }")["data"]["myUser"] is None
    # Neither the key nor its SHA-256 is anywhere in the answer.
    assert EMULATOR_KEY not in response.text
    assert hashlib.sha256(EMULATOR_KEY.encode()).hexdigest() not in response.text


def test_api_key_finds_a_record_of_this_machine_user_only(graphql, emulator_control, emulator_app):
    machine_user = graphql(API_KEYS)["data"]["myMachineUser"]
    key_id = machine_user["apiKeys"]["edges"][0]["node"]["id"]
    _agent(emulator_control, graphql, "Ann Agent")
    workspace = emulator_app.state.family(Workspace)
    agent_key_id = next(k.key_id for k in workspace.api_keys.values() if k.actor["kind"] == "user")
    query = """query q($m: ID!, $k: ID!) {
      machineUser(machineUserId: $m) { apiKey(apiKeyId: $k) { id description } } }"""

    def api_key(wanted: str):
        return graphql(query, m=machine_user["id"], k=wanted)["data"]["machineUser"]["apiKey"]

    assert api_key(key_id) == {"id": key_id, "description": "The key the emulator was started with"}
    assert api_key("ak_unknown") is None
    assert api_key(agent_key_id) is None  # a user's key is not this machine user's


def test_machine_user_by_id_and_an_unknown_one(graphql):
    machine_user = graphql("{ myMachineUser { id fullName } }")["data"]["myMachineUser"]
    query = "query q($m: ID!) { machineUser(machineUserId: $m) { id fullName type } }"

    found = graphql(query, m=machine_user["id"])["data"]["machineUser"]

    assert found == {**machine_user, "type": "API_USER"}
    assert graphql(query, m="mu_unknown")["data"]["machineUser"] is None


# --- users -------------------------------------------------------------------------------------


def test_an_agent_is_a_full_user_with_the_support_role(graphql, emulator_control):
    _key, me = _agent(emulator_control, graphql, "Ann Agent", email="ann@acme.test")

    assert me["id"].startswith("u_")
    assert me["fullName"] == "Ann Agent"
    assert me["publicName"] == "Ann"
    assert me["email"] == "ann@acme.test"
    assert me["status"] == "ONLINE"
    assert me["isDeleted"] is False
    assert me["deletedAt"] is None
    assert me["avatar"] is None
    assert me["labels"] == []
    assert me["slackIdentities"] == []
    assert me["defaultSavedThreadsView"] is None
    assert me["workingHours"] is None
    assert me["createdBy"]["__typename"] == "SystemActor"
    role = me["role"]
    assert role["key"] == "SUPPORT"
    assert role["name"] == "Support"
    assert role["isAssignableToThread"] is True
    assert role["customRole"] is None
    assert "thread:assign" in role["permissions"]
    assert me["roles"] == [{"key": "SUPPORT"}]


@pytest.mark.parametrize(("role", "name"), [("OWNER", "Owner"), ("ADMIN", "Admin")])
def test_an_agent_can_be_given_another_built_in_role(graphql, emulator_control, role, name):
    _key, me = _agent(emulator_control, graphql, "Olga Owner", role=role)

    assert (me["role"]["key"], me["role"]["name"]) == (role, name)
    assert me["roles"] == [{"key": role}]


def test_the_control_api_refuses_an_unknown_role_and_a_taken_email(graphql, emulator_control):
    _agent(emulator_control, graphql, "Ann Agent", email="ann@acme.test")

    with pytest.raises(EmulatorControlError) as unknown_role:
        emulator_control.add_agent(full_name="Vic", public_name="Vic", role="VIEWER")  # type: ignore[arg-type]
    with pytest.raises(EmulatorControlError) as taken:
        emulator_control.add_agent(full_name="Ann Two", public_name="Ann", email="ANN@acme.test")

    assert (unknown_role.value.status, unknown_role.value.code) == (400, "input_validation")
    assert (taken.value.status, taken.value.code) == (400, "input_validation")
    users = graphql("{ users { edges { node { email } } } }")["data"]["users"]["edges"]
    assert [edge["node"]["email"] for edge in users] == ["ann@acme.test"]


def test_user_and_user_by_email_find_a_user_and_answer_null_for_an_unknown_one(
    graphql, emulator_control
):
    _key, me = _agent(emulator_control, graphql, "Ann Agent", email="ann@acme.test")
    by_id = "query q($u: ID!) { user(userId: $u) { id email } }"
    by_email = "query q($e: String!) { userByEmail(email: $e) { id email } }"
    expected = {"id": me["id"], "email": "ann@acme.test"}

    assert graphql(by_id, u=me["id"])["data"]["user"] == expected
    assert graphql(by_id, u="u_unknown")["data"]["user"] is None
    assert graphql(by_email, e="ann@acme.test")["data"]["userByEmail"] == expected
    assert graphql(by_email, e="Ann@ACME.test")["data"]["userByEmail"] == expected
    assert graphql(by_email, e="bob@acme.test")["data"]["userByEmail"] is None


def test_users_pages_oldest_first(graphql, emulator_control):
    ids = [_agent(emulator_control, graphql, f"Agent {n}")[1]["id"] for n in range(3)]
    query = """query q($after: String) { users(first: 2, after: $after) {
      edges { node { id } } pageInfo { hasNextPage endCursor } } }"""

    first = graphql(query)["data"]["users"]
    second = graphql(query, after=first["pageInfo"]["endCursor"])["data"]["users"]

    assert [e["node"]["id"] for e in first["edges"]] == ids[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in second["edges"]] == ids[2:]
    assert second["pageInfo"]["hasNextPage"] is False


def test_users_refuses_a_page_over_plains_limit(graphql):
    body = graphql("{ users(first: 101) { edges { cursor } } }", expect_errors=True)

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({}, 2),
        ({"isAssignableToThread": True}, 2),
        ({"isAssignableToCustomer": True, "isAssignableToTask": True}, 2),
        ({"isAssignableToThread": False}, 0),
        ({"isAssignableToThread": True, "isAssignableToTask": False}, 0),
    ],
)
def test_users_filters_on_what_a_role_may_be_assigned(graphql, emulator_control, filters, count):
    _agent(emulator_control, graphql, "Ann Agent")
    _agent(emulator_control, graphql, "Olga Owner", role="OWNER")
    query = "query q($f: UsersFilter) { users(filters: $f) { edges { node { id } } } }"

    edges = graphql(query, f=filters)["data"]["users"]["edges"]

    assert len(edges) == count


def test_adding_an_agent_emits_user_created_and_a_refused_one_nothing(
    emulator_app, emulator_control
):
    events: list[Event] = []
    emulator_app.state.store.subscribe("*", events.append)

    emulator_control.add_agent(full_name="Ann Agent", public_name="Ann")
    with pytest.raises(EmulatorControlError):
        emulator_control.add_agent(full_name=" ", public_name="Nobody")

    user_id = next(iter(emulator_app.state.family(Workspace).users))
    assert [(e.name, e.payload) for e in events] == [
        ("workspace.user_created", {"user_id": user_id})
    ]
