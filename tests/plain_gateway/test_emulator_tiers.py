"""Tiers, their members and SLAs, and their effects on threads (default priority, Thread.tier,
the SLA summary on the emulator's clock). Raw GraphQL against the emulator through
httpx.WSGITransport."""

from __future__ import annotations

from typing import Any

import pytest

from plain_gateway.emulator import create_app
from tests.plain_gateway.test_emulator_companies import ERROR, KEY, Emulator, _error

TIER = (
    "id name externalId color isDefault defaultPriority defaultThreadPriority isMachineTier "
    "createdBy { __typename } memberships { totalCount edges { node { __typename "
    "... on TenantTierMembership { tierId tenantId } "
    "... on CompanyTierMembership { tierId companyId } } } } "
    "serviceLevelAgreements { __typename id "
    "... on FirstResponseTimeServiceLevelAgreement { firstResponseTimeMinutes } "
    "... on NextResponseTimeServiceLevelAgreement { nextResponseTimeMinutes } } "
)
CREATE = (
    f"mutation m($i: CreateTierInput!) {{ createTier(input: $i) {{ tier {{ {TIER} }} {ERROR} }} }}"
)
UPDATE = (
    f"mutation m($i: UpdateTierInput!) {{ updateTier(input: $i) {{ tier {{ {TIER} }} {ERROR} }} }}"
)
DELETE = f"mutation m($i: DeleteTierInput!) {{ deleteTier(input: $i) {{ tier {{ id }} {ERROR} }} }}"
MEMBERSHIP = (
    "__typename ... on TenantTierMembership { id tierId tenantId } "
    "... on CompanyTierMembership { id tierId companyId }"
)
ADD = (
    "mutation m($i: AddMembersToTierInput!) { addMembersToTier(input: $i) "
    f"{{ memberships {{ {MEMBERSHIP} }} {ERROR} }} }}"
)
REMOVE = (
    "mutation m($i: RemoveMembersFromTierInput!) { removeMembersFromTier(input: $i) "
    f"{{ memberships {{ {MEMBERSHIP} }} {ERROR} }} }}"
)
TENANT_TIER = (
    "mutation m($i: UpdateTenantTierInput!) { updateTenantTier(input: $i) "
    f"{{ tenantTierMembership {{ id tierId tenantId }} {ERROR} }} }}"
)
COMPANY_TIER = (
    "mutation m($i: UpdateCompanyTierInput!) { updateCompanyTier(input: $i) "
    f"{{ companyTierMembership {{ id tierId companyId }} {ERROR} }} }}"
)
CREATE_SLA = (
    "mutation m($i: CreateServiceLevelAgreementInput!) { createServiceLevelAgreement(input: $i) "
    "{ serviceLevelAgreement { __typename id threadPriorityFilter useBusinessHoursOnly "
    f"breachActions {{ __typename }} }} {ERROR} }} }}"
)
DELETE_SLA = (
    "mutation m($i: DeleteServiceLevelAgreementInput!) { deleteServiceLevelAgreement(input: $i) "
    f"{{ serviceLevelAgreement {{ id }} {ERROR} }} }}"
)
DETAIL = (
    "__typename ... on ServiceLevelAgreementStatusDetailPending { breachingAt { unixTimestamp } } "
    "... on ServiceLevelAgreementStatusDetailAchieved { achievedAt { unixTimestamp } } "
    "... on ServiceLevelAgreementStatusDetailBreaching { breachedAt { unixTimestamp } } "
    "... on ServiceLevelAgreementStatusDetailBreached { breachedAt { unixTimestamp } "
    "completedAt { unixTimestamp } }"
)
THREAD = (
    "query q($id: ID!) { thread(threadId: $id) { priority createdAt { unixTimestamp } "
    "tier { id } serviceLevelAgreementStatusSummary { "
    f"firstResponseTime {{ {DETAIL} }} nextResponseTime {{ {DETAIL} }} }} }} }}"
)


class Clock:
    """The emulator's real-time source, moved by the test (seconds)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Emulator:
    return Emulator(create_app(api_key=KEY, clock=clock))


def _tenant(emu: Emulator, external_id: str = "acme") -> str:
    data = emu.gql(
        "mutation m($i: UpsertTenantInput!) { upsertTenant(input: $i) { tenant { id } } }",
        i={"identifier": {"externalId": external_id}, "externalId": external_id, "name": "T"},
    )
    return str(data["upsertTenant"]["tenant"]["id"])


def _tier(emu: Emulator, external_id: str, **extra: Any) -> dict[str, Any]:
    data = emu.gql(
        CREATE,
        i={
            "name": external_id.title(),
            "externalId": external_id,
            "color": "#123456",
            "memberIdentifiers": [],
            **extra,
        },
    )
    assert data["createTier"]["error"] is None, data
    tier: dict[str, Any] = data["createTier"]["tier"]
    return tier


def _thread(emu: Emulator, customer_id: str, tenant_id: str | None = None, **extra: Any) -> str:
    data = emu.gql(
        "mutation m($i: CreateThreadInput!) { createThread(input: $i) "
        f"{{ thread {{ id }} {ERROR} }} }}",
        i={
            "customerIdentifier": {"customerId": customer_id},
            "title": "Help",
            **({"tenantIdentifier": {"tenantId": tenant_id}} if tenant_id else {}),
            **extra,
        },
    )
    return str(data["createThread"]["thread"]["id"])


def _thread_view(emu: Emulator, thread_id: str) -> dict[str, Any]:
    thread: dict[str, Any] = emu.gql(THREAD, id=thread_id)["thread"]
    return thread


# --- tiers -------------------------------------------------------------------------------------


def test_create_tier_with_members_and_read_it_back(emu):
    tenant_id = _tenant(emu)
    company_id = emu.customer("ann@acme.test")["company"]["id"]

    events = emu.run(
        CREATE,
        i={
            "name": "Enterprise",
            "externalId": "ent",
            "color": "#ff00ff",
            "defaultThreadPriority": 0,
            "memberIdentifiers": [{"tenantId": tenant_id}, {"companyId": company_id}],
        },
    )

    tier = emu.last["createTier"]["tier"]
    assert {k: tier[k] for k in ("name", "externalId", "color", "isDefault", "isMachineTier")} == {
        "name": "Enterprise",
        "externalId": "ent",
        "color": "#ff00ff",
        "isDefault": False,
        "isMachineTier": False,
    }
    assert (tier["defaultPriority"], tier["defaultThreadPriority"]) == (0, 0)
    assert tier["memberships"]["totalCount"] == 2
    assert [e["node"] for e in tier["memberships"]["edges"]] == [
        {"__typename": "TenantTierMembership", "tierId": tier["id"], "tenantId": tenant_id},
        {"__typename": "CompanyTierMembership", "tierId": tier["id"], "companyId": company_id},
    ]
    assert tier["serviceLevelAgreements"] == []
    assert [name for name, _ in events] == [
        "tier.tier_created",
        "tier.tier_membership_created",
        "tier.tier_membership_created",
    ]
    assert events[1][1]["tenant_id"] == tenant_id
    assert events[2][1]["company_id"] == company_id
    found = emu.gql(
        "query q($id: ID!, $t: ID!, $c: ID!) { tier(tierId: $id) { id } "
        "tenant(tenantId: $t) { tier { id } } company(companyId: $c) { tier { id } } "
        'tiers { edges { node { id } } } missing: tier(tierId: "tier_x") { id } }',
        id=tier["id"],
        t=tenant_id,
        c=company_id,
    )
    assert found == {
        "tier": {"id": tier["id"]},
        "tenant": {"tier": {"id": tier["id"]}},
        "company": {"tier": {"id": tier["id"]}},
        "tiers": {"edges": [{"node": {"id": tier["id"]}}]},
        "missing": None,
    }


@pytest.mark.parametrize(
    ("changes", "code", "fields"),
    [
        ({"name": ""}, "input_validation", ["name"]),
        ({"externalId": " "}, "input_validation", ["externalId"]),
        ({"color": "blue"}, "input_validation", ["color"]),
        ({"defaultThreadPriority": 4}, "input_validation", ["defaultThreadPriority"]),
        ({"externalId": "taken"}, "input_validation", ["externalId"]),
        (
            {"memberIdentifiers": [{"tenantId": "te_missing"}]},
            "not_found",
            ["memberIdentifiers[0].tenantId"],
        ),
        (
            {"memberIdentifiers": [{"companyId": "co_missing"}]},
            "not_found",
            ["memberIdentifiers[0].companyId"],
        ),
        ({"memberIdentifiers": [{}]}, "input_validation", ["memberIdentifiers[0]"]),
    ],
)
def test_create_tier_refuses_invalid_input_and_creates_nothing(emu, changes, code, fields):
    _tier(emu, "taken")
    events = emu.run(
        CREATE,
        i={
            "name": "New",
            "externalId": "new",
            "color": "#000000",
            "memberIdentifiers": [],
            **changes,
        },
    )

    assert _error(emu.last["createTier"]) == (code, fields)
    assert events == []
    assert len(emu.gql("{ tiers { edges { node { id } } } }")["tiers"]["edges"]) == 1


def test_update_tier_changes_what_is_given_and_one_tier_is_default(emu):
    free = _tier(emu, "free", isDefault=True)
    pro = _tier(emu, "pro")

    events = emu.run(
        UPDATE,
        i={
            "tierId": pro["id"],
            "name": {"value": "Professional"},
            "defaultThreadPriority": {"value": 1},
            "isDefault": {"value": True},
        },
    )

    updated = emu.last["updateTier"]["tier"]
    assert (updated["name"], updated["externalId"], updated["defaultThreadPriority"]) == (
        "Professional",
        "pro",
        1,
    )
    assert updated["isDefault"] is True
    assert emu.gql(f'{{ tier(tierId: "{free["id"]}") {{ isDefault }} }}')["tier"] == {
        "isDefault": False
    }
    assert events == [
        (
            "tier.tier_updated",
            {
                "tier_id": pro["id"],
                "previous": {"name": "Pro", "default_thread_priority": 2, "is_default": False},
            },
        ),
        ("tier.tier_updated", {"tier_id": free["id"], "previous": {"is_default": True}}),
    ]


@pytest.mark.parametrize(
    ("changes", "code", "fields"),
    [
        ({"tierId": "tier_missing"}, "not_found", ["tierId"]),
        ({"name": {"value": ""}}, "input_validation", ["name.value"]),
        ({"color": {"value": "#1"}}, "input_validation", ["color.value"]),
        (
            {"defaultThreadPriority": {"value": -1}},
            "input_validation",
            ["defaultThreadPriority.value"],
        ),
        ({"externalId": {"value": "other"}}, "input_validation", ["externalId.value"]),
    ],
)
def test_update_tier_refuses_invalid_input(emu, changes, code, fields):
    tier = _tier(emu, "pro")
    _tier(emu, "other")

    events = emu.run(UPDATE, i={"tierId": tier["id"], **changes})

    assert _error(emu.last["updateTier"]) == (code, fields)
    assert events == []


def test_delete_tier_removes_it_with_its_memberships(emu):
    tenant_id = _tenant(emu)
    tier = _tier(emu, "pro", memberIdentifiers=[{"tenantId": tenant_id}])

    events = emu.run(DELETE, i={"tierId": tier["id"]})

    assert emu.last["deleteTier"]["tier"]["id"] == tier["id"]
    assert [name for name, _ in events] == ["tier.tier_membership_deleted", "tier.tier_deleted"]
    assert emu.gql(f'{{ tenant(tenantId: "{tenant_id}") {{ tier {{ id }} }} }}') == {
        "tenant": {"tier": None}
    }
    emu.run(DELETE, i={"tierId": tier["id"]})
    assert _error(emu.last["deleteTier"]) == ("not_found", ["tierId"])


# --- members -----------------------------------------------------------------------------------


def test_add_members_to_tier_moves_a_member_from_its_tier(emu):
    tenant_id = _tenant(emu)
    free = _tier(emu, "free", memberIdentifiers=[{"tenantId": tenant_id}])
    pro = _tier(emu, "pro")

    events = emu.run(
        ADD,
        i={"tierIdentifier": {"externalId": "pro"}, "memberIdentifiers": [{"tenantId": tenant_id}]},
    )

    memberships = emu.last["addMembersToTier"]["memberships"]
    assert [(m["__typename"], m["tierId"], m["tenantId"]) for m in memberships] == [
        ("TenantTierMembership", pro["id"], tenant_id)
    ]
    assert [name for name, _ in events] == [
        "tier.tier_membership_deleted",
        "tier.tier_membership_created",
    ]
    assert events[1][1]["previous_tier_id"] == free["id"]
    tiers = emu.gql("{ tiers { edges { node { externalId memberships { totalCount } } } } }")
    assert [
        (e["node"]["externalId"], e["node"]["memberships"]["totalCount"])
        for e in tiers["tiers"]["edges"]
    ] == [("free", 0), ("pro", 1)]

    # Already there: kept, no event.
    events = emu.run(
        ADD,
        i={"tierIdentifier": {"tierId": pro["id"]}, "memberIdentifiers": [{"tenantId": tenant_id}]},
    )
    assert emu.last["addMembersToTier"]["memberships"][0]["id"] == memberships[0]["id"]
    assert events == []


@pytest.mark.parametrize(
    ("tier_identifier", "members", "code", "fields"),
    [
        ({"tierId": "tier_missing"}, [], "not_found", ["tierIdentifier.tierId"]),
        ({"externalId": "missing"}, [], "not_found", ["tierIdentifier.externalId"]),
        ({}, [], "input_validation", ["tierIdentifier"]),
        (
            {"externalId": "pro"},
            [{"tenantId": "te_missing"}],
            "not_found",
            ["memberIdentifiers[0].tenantId"],
        ),
        (
            {"externalId": "pro"},
            [{"tenantId": "te_x", "companyId": "co_x"}],
            "input_validation",
            ["memberIdentifiers[0]"],
        ),
    ],
)
def test_add_members_to_tier_refuses_bad_identifiers(emu, tier_identifier, members, code, fields):
    _tier(emu, "pro")

    events = emu.run(ADD, i={"tierIdentifier": tier_identifier, "memberIdentifiers": members})

    assert _error(emu.last["addMembersToTier"]) == (code, fields)
    assert events == []


def test_remove_members_from_tier_ends_their_memberships(emu):
    tenant_id = _tenant(emu)
    company_id = emu.customer("ann@acme.test")["company"]["id"]
    tier = _tier(emu, "pro", memberIdentifiers=[{"tenantId": tenant_id}])

    events = emu.run(
        REMOVE, i={"memberIdentifiers": [{"tenantId": tenant_id}, {"companyId": company_id}]}
    )

    removed = emu.last["removeMembersFromTier"]["memberships"]
    assert [(m["tierId"], m["tenantId"]) for m in removed] == [(tier["id"], tenant_id)]
    assert [name for name, _ in events] == ["tier.tier_membership_deleted"]
    emu.run(REMOVE, i={"memberIdentifiers": [{"companyId": "co_missing"}]})
    assert _error(emu.last["removeMembersFromTier"]) == (
        "not_found",
        ["memberIdentifiers[0].companyId"],
    )


def test_update_tenant_tier_sets_moves_and_clears(emu):
    tenant_id = _tenant(emu)
    free = _tier(emu, "free")
    pro = _tier(emu, "pro")
    tenant = {"tenantId": tenant_id}

    emu.run(TENANT_TIER, i={"tenantIdentifier": tenant, "tierIdentifier": {"tierId": free["id"]}})
    assert emu.last["updateTenantTier"]["tenantTierMembership"]["tierId"] == free["id"]
    emu.run(TENANT_TIER, i={"tenantIdentifier": tenant, "tierIdentifier": {"externalId": "pro"}})
    assert emu.last["updateTenantTier"]["tenantTierMembership"]["tierId"] == pro["id"]
    events = emu.run(TENANT_TIER, i={"tenantIdentifier": tenant, "tierIdentifier": None})
    assert emu.last["updateTenantTier"] == {"tenantTierMembership": None, "error": None}
    assert [name for name, _ in events] == ["tier.tier_membership_deleted"]
    assert emu.gql(f'{{ tenant(tenantId: "{tenant_id}") {{ tier {{ id }} }} }}') == {
        "tenant": {"tier": None}
    }


@pytest.mark.parametrize(
    ("data", "code", "fields"),
    [
        (
            {"tenantIdentifier": {"tenantId": "te_missing"}, "tierIdentifier": None},
            "not_found",
            ["tenantIdentifier"],
        ),
        (
            {"tenantIdentifier": {"externalId": "acme"}, "tierIdentifier": {"tierId": "tier_x"}},
            "not_found",
            ["tierIdentifier.tierId"],
        ),
    ],
)
def test_update_tenant_tier_refuses_unknown_ones(emu, data, code, fields):
    _tenant(emu)

    events = emu.run(TENANT_TIER, i=data)

    assert _error(emu.last["updateTenantTier"]) == (code, fields)
    assert events == []


def test_update_company_tier_by_domain_and_its_errors(emu):
    company_id = emu.customer("ann@acme.test")["company"]["id"]
    pro = _tier(emu, "pro")

    emu.run(
        COMPANY_TIER,
        i={
            "companyIdentifier": {"companyDomainName": "acme.test"},
            "tierIdentifier": {"externalId": "pro"},
        },
    )
    assert emu.last["updateCompanyTier"]["companyTierMembership"] == {
        "id": emu.last["updateCompanyTier"]["companyTierMembership"]["id"],
        "tierId": pro["id"],
        "companyId": company_id,
    }
    emu.run(
        COMPANY_TIER, i={"companyIdentifier": {"companyId": company_id}, "tierIdentifier": None}
    )
    assert emu.last["updateCompanyTier"]["companyTierMembership"] is None

    emu.run(
        COMPANY_TIER,
        i={
            "companyIdentifier": {"companyId": "co_missing"},
            "tierIdentifier": {"externalId": "pro"},
        },
    )
    assert _error(emu.last["updateCompanyTier"]) == ("not_found", ["companyIdentifier.companyId"])
    emu.run(
        COMPANY_TIER,
        i={"companyIdentifier": {"companyId": company_id}, "tierIdentifier": {"externalId": "x"}},
    )
    assert _error(emu.last["updateCompanyTier"]) == ("not_found", ["tierIdentifier.externalId"])


# --- effects on threads ------------------------------------------------------------------------


def test_a_new_threads_priority_and_tier_follow_tenant_then_company_then_default(emu):
    tenant_id = _tenant(emu)
    ann = emu.customer("ann@acme.test")
    solo = emu.customer("sam@gmail.com")
    free = _tier(emu, "free", defaultThreadPriority=3, isDefault=True)
    pro = _tier(
        emu, "pro", defaultThreadPriority=1, memberIdentifiers=[{"companyId": ann["company"]["id"]}]
    )
    ent = _tier(emu, "ent", defaultThreadPriority=0, memberIdentifiers=[{"tenantId": tenant_id}])

    in_tenant = _thread_view(emu, _thread(emu, ann["id"], tenant_id))
    of_company = _thread_view(emu, _thread(emu, ann["id"]))
    by_default = _thread_view(emu, _thread(emu, solo["id"]))
    given = _thread_view(emu, _thread(emu, ann["id"], tenant_id, priority=2))

    assert (in_tenant["priority"], in_tenant["tier"]) == (0, {"id": ent["id"]})
    assert (of_company["priority"], of_company["tier"]) == (1, {"id": pro["id"]})
    assert (by_default["priority"], by_default["tier"]) == (3, {"id": free["id"]})
    assert (given["priority"], given["tier"]) == (2, {"id": ent["id"]})


def test_without_tiers_a_thread_has_no_tier_and_no_sla(emu):
    ann = emu.customer("ann@acme.test")

    thread = _thread_view(emu, _thread(emu, ann["id"]))

    assert thread["priority"] == 2
    assert thread["tier"] is None
    assert thread["serviceLevelAgreementStatusSummary"] == {
        "firstResponseTime": None,
        "nextResponseTime": None,
    }


# --- SLAs --------------------------------------------------------------------------------------


def _sla(emu: Emulator, tier_id: str, **sla: Any) -> dict[str, Any]:
    data = emu.gql(
        CREATE_SLA,
        i={
            "tierId": tier_id,
            "serviceLevelAgreement": {"useBusinessHoursOnly": False, "breachActions": [], **sla},
        },
    )
    assert data["createServiceLevelAgreement"]["error"] is None, data
    created: dict[str, Any] = data["createServiceLevelAgreement"]["serviceLevelAgreement"]
    return created


def test_create_and_delete_service_level_agreements_on_a_tier(emu):
    tier = _tier(emu, "pro")

    events = emu.run(
        CREATE_SLA,
        i={
            "tierId": tier["id"],
            "serviceLevelAgreement": {
                "firstResponseTimeMinutes": 30,
                "threadPriorityFilter": [1, 0],
                "useBusinessHoursOnly": False,
                "breachActions": [],
            },
        },
    )
    first = emu.last["createServiceLevelAgreement"]["serviceLevelAgreement"]
    nxt = _sla(emu, tier["id"], nextResponseTimeMinutes=60)

    assert first["__typename"] == "FirstResponseTimeServiceLevelAgreement"
    assert (
        first["threadPriorityFilter"],
        first["useBusinessHoursOnly"],
        first["breachActions"],
    ) == (
        [0, 1],
        False,
        [],
    )
    assert events == [
        ("tier.service_level_agreement_created", {"tier_id": tier["id"], "sla_id": first["id"]})
    ]
    slas = emu.gql(f'{{ tier(tierId: "{tier["id"]}") {{ {TIER} }} }}')["tier"][
        "serviceLevelAgreements"
    ]
    assert slas == [
        {
            "__typename": "FirstResponseTimeServiceLevelAgreement",
            "id": first["id"],
            "firstResponseTimeMinutes": 30,
        },
        {
            "__typename": "NextResponseTimeServiceLevelAgreement",
            "id": nxt["id"],
            "nextResponseTimeMinutes": 60,
        },
    ]

    events = emu.run(DELETE_SLA, i={"serviceLevelAgreementId": first["id"]})
    assert emu.last["deleteServiceLevelAgreement"]["serviceLevelAgreement"] == {"id": first["id"]}
    assert events == [
        ("tier.service_level_agreement_deleted", {"tier_id": tier["id"], "sla_id": first["id"]})
    ]
    emu.run(DELETE_SLA, i={"serviceLevelAgreementId": first["id"]})
    assert _error(emu.last["deleteServiceLevelAgreement"]) == (
        "not_found",
        ["serviceLevelAgreementId"],
    )


@pytest.mark.parametrize(
    ("tier_id", "sla", "code", "fields"),
    [
        ("tier_missing", {"firstResponseTimeMinutes": 5}, "not_found", ["tierId"]),
        (None, {}, "input_validation", ["serviceLevelAgreement"]),
        (
            None,
            {"firstResponseTimeMinutes": 5, "nextResponseTimeMinutes": 5},
            "input_validation",
            ["serviceLevelAgreement"],
        ),
        (
            None,
            {"firstResponseTimeMinutes": 0},
            "input_validation",
            ["serviceLevelAgreement.firstResponseTimeMinutes"],
        ),
        (
            None,
            {"nextResponseTimeMinutes": 5, "threadPriorityFilter": [7]},
            "input_validation",
            ["serviceLevelAgreement.threadPriorityFilter"],
        ),
    ],
)
def test_create_service_level_agreement_refuses_invalid_input(emu, tier_id, sla, code, fields):
    tier = _tier(emu, "pro")

    events = emu.run(
        CREATE_SLA,
        i={
            "tierId": tier_id or tier["id"],
            "serviceLevelAgreement": {"useBusinessHoursOnly": False, "breachActions": [], **sla},
        },
    )

    assert _error(emu.last["createServiceLevelAgreement"]) == (code, fields)
    assert events == []


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"useBusinessHoursOnly": True}, "useBusinessHoursOnly"),
        (
            {"threadLabelTypeIdFilter": {"labelTypeIds": ["lt_x"], "requireAll": True}},
            "threadLabelTypeIdFilter",
        ),
        ({"breachActions": [{"beforeBreachAction": {"beforeBreachMinutes": 5}}]}, "breachActions"),
    ],
)
def test_create_service_level_agreement_refuses_what_it_does_not_emulate(emu, extra, named):
    tier = _tier(emu, "pro")

    body = emu.post(
        CREATE_SLA,
        i={
            "tierId": tier["id"],
            "serviceLevelAgreement": {
                "firstResponseTimeMinutes": 5,
                "useBusinessHoursOnly": False,
                "breachActions": [],
                **extra,
            },
        },
    )

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert named in body["errors"][0]["message"]
    assert "does not emulate" in body["errors"][0]["message"]


def _reply(emu: Emulator, thread_id: str, *, as_customer: str | None = None) -> None:
    data = emu.gql(
        "mutation m($i: ReplyToThreadInput!) { replyToThread(input: $i) { error { code } } }",
        i={
            "threadId": thread_id,
            "textContent": "hello",
            **(
                {
                    "impersonation": {
                        "asCustomer": {"customerIdentifier": {"customerId": as_customer}}
                    }
                }
                if as_customer
                else {}
            ),
        },
    )
    assert data["replyToThread"]["error"] is None


def _ms(detail: dict[str, Any], name: str) -> int:
    return int(detail[name]["unixTimestamp"])


def test_first_response_time_is_pending_then_achieved_on_the_first_outbound_message(emu, clock):
    ann = emu.customer("ann@acme.test")
    tier = _tier(emu, "pro", isDefault=True)
    _sla(emu, tier["id"], firstResponseTimeMinutes=30)
    thread_id = _thread(emu, ann["id"])
    created = int(_thread_view(emu, thread_id)["createdAt"]["unixTimestamp"])

    pending = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]
    clock.now += 10 * 60
    replied = int(clock.now * 1000)
    _reply(emu, thread_id)
    achieved = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]

    assert pending["firstResponseTime"]["__typename"] == "ServiceLevelAgreementStatusDetailPending"
    assert _ms(pending["firstResponseTime"], "breachingAt") == created + 30 * 60_000
    assert pending["nextResponseTime"] is None
    assert (
        achieved["firstResponseTime"]["__typename"] == "ServiceLevelAgreementStatusDetailAchieved"
    )
    assert replied <= _ms(achieved["firstResponseTime"], "achievedAt") < replied + 1000
    assert _ms(achieved["firstResponseTime"], "achievedAt") < created + 30 * 60_000


def test_first_response_time_breaching_then_breached_when_answered_late(emu, clock):
    ann = emu.customer("ann@acme.test")
    tier = _tier(emu, "pro", memberIdentifiers=[{"companyId": ann["company"]["id"]}])
    _sla(emu, tier["id"], firstResponseTimeMinutes=30)
    thread_id = _thread(emu, ann["id"])
    created = int(_thread_view(emu, thread_id)["createdAt"]["unixTimestamp"])

    clock.now += 31 * 60
    breaching = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]
    _reply(emu, thread_id)
    breached = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]

    assert breaching["firstResponseTime"] == {
        "__typename": "ServiceLevelAgreementStatusDetailBreaching",
        "breachedAt": {"unixTimestamp": str(created + 30 * 60_000)},
    }
    assert (
        breached["firstResponseTime"]["__typename"] == "ServiceLevelAgreementStatusDetailBreached"
    )
    assert _ms(breached["firstResponseTime"], "breachedAt") == created + 30 * 60_000
    assert _ms(breached["firstResponseTime"], "completedAt") > created + 30 * 60_000


def test_next_response_time_is_pending_after_each_inbound_message_until_answered(emu, clock):
    ann = emu.customer("ann@acme.test")
    tier = _tier(emu, "pro", isDefault=True)
    _sla(emu, tier["id"], nextResponseTimeMinutes=60)
    thread_id = _thread(emu, ann["id"])

    _reply(emu, thread_id)
    before_any = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]
    clock.now += 60
    _reply(emu, thread_id, as_customer=ann["id"])
    asked = clock.now * 1000
    pending = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]
    clock.now += 5 * 60
    _reply(emu, thread_id)
    achieved = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]
    clock.now += 60
    _reply(emu, thread_id, as_customer=ann["id"])
    clock.now += 61 * 60
    late = _thread_view(emu, thread_id)["serviceLevelAgreementStatusSummary"]

    assert before_any == {"firstResponseTime": None, "nextResponseTime": None}
    assert pending["nextResponseTime"]["__typename"] == "ServiceLevelAgreementStatusDetailPending"
    assert (
        asked + 60 * 60_000
        <= _ms(pending["nextResponseTime"], "breachingAt")
        < asked + 60 * 60_000 + 1000
    )
    assert achieved["nextResponseTime"]["__typename"] == "ServiceLevelAgreementStatusDetailAchieved"
    assert late["nextResponseTime"]["__typename"] == "ServiceLevelAgreementStatusDetailBreaching"


def test_an_sla_applies_only_to_the_priorities_of_its_filter(emu):
    ann = emu.customer("ann@acme.test")
    tier = _tier(emu, "pro", isDefault=True)
    _sla(emu, tier["id"], firstResponseTimeMinutes=30, threadPriorityFilter=[0])

    urgent = _thread_view(emu, _thread(emu, ann["id"], priority=0))
    normal = _thread_view(emu, _thread(emu, ann["id"], priority=2))

    assert urgent["serviceLevelAgreementStatusSummary"]["firstResponseTime"] is not None
    assert normal["serviceLevelAgreementStatusSummary"]["firstResponseTime"] is None


def test_tiers_and_slas_survive_a_restart(tmp_path):
    path = str(tmp_path / "plain.sqlite3")
    emu = Emulator(create_app(api_key=KEY, data_path=path))
    tenant_id = _tenant(emu)
    tier = _tier(emu, "pro", memberIdentifiers=[{"tenantId": tenant_id}])
    _sla(emu, tier["id"], firstResponseTimeMinutes=30)

    reopened = Emulator(create_app(api_key=KEY, data_path=path))

    found = reopened.gql(
        f'{{ tenant(tenantId: "{tenant_id}") {{ tier {{ id memberships {{ totalCount }} '
        "serviceLevelAgreements { id } } } }"
    )
    assert found["tenant"]["tier"]["id"] == tier["id"]
    assert found["tenant"]["tier"]["memberships"]["totalCount"] == 1
    assert len(found["tenant"]["tier"]["serviceLevelAgreements"]) == 1
