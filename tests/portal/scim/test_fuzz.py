"""No SCIM request body, path or filter is a 500: random JSON shaped like what identity
providers send, mutated. Hypothesis with a fixed example budget, deterministic."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

ALLOWED = {200, 201, 204, 400, 404, 409, 413}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["", "x", "True", "false", "a@acme.test", "\x00", "é" * 300]),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
attribute_names = st.sampled_from(
    [
        "userName",
        "externalId",
        "name",
        "name.givenName",
        "active",
        "displayName",
        "members",
        'members[value eq "x"]',
        'emails[type eq "work"].value',
        "urn:x:y",
        "urn:ietf:params:scim:schemas:core:2.0:User:active",
        "members[",
        "",
        "nick Name",
    ]
)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Replace", "remove", "move", 3])},
    optional={"path": attribute_names | json_values, "value": json_values},
)
patch_bodies = st.fixed_dictionaries(
    {"Operations": st.lists(operations, max_size=4) | json_values},
    optional={"schemas": json_values},
)
resource_bodies = st.dictionaries(attribute_names | st.text(max_size=8), json_values, max_size=5)
filters = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda a, op, v: f"{a} {op} {v}",
        attribute_names,
        st.sampled_from(["eq", "ne", "co", "sw", "pr", "gt", "xx"]),
        st.sampled_from(['"x"', "true", "null", "12", '"\\"', "("]),
    ),
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=patch_bodies)
def test_user_patches(scim, body):
    user = UserFactory(email="fuzz@acme.test")
    assert scim.patch(f"Users/{user.portal_id}", body).status_code in ALLOWED


@FUZZ
@given(body=patch_bodies)
def test_group_patches(scim, body):
    organization = OrganizationFactory(name="Fuzz", slug="fuzz")
    assert scim.patch(f"Groups/{organization.pk}", body).status_code in ALLOWED


@FUZZ
@given(body=resource_bodies | json_values)
def test_creates(scim, body):
    assert scim.post("Users", body).status_code in ALLOWED
    assert scim.post("Groups", body).status_code in ALLOWED


@FUZZ
@given(text=filters, start=st.text(max_size=5), count=st.text(max_size=5))
def test_list_parameters(scim, text, start, count):
    for resource in ("Users", "Groups"):
        params = {"filter": text, "startIndex": start, "count": count}
        assert scim.get(resource, params).status_code in ALLOWED
