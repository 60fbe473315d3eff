"""Everything from Plain is text on the new-request form too: the workspace's categories, its
thread fields' labels, descriptions and choices, and the error messages Plain answers with.

Django renders a form field's help_text unescaped (its own field template says `|safe`), so a
description from Plain must reach the form already escaped.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

import portal.plain
from tests.portal.support.hostile import (
    HOSTILE_LINES,
    audit,
    hostile_workspace_create,
    unescaped_text,
)
from tests.portal.support.pages import page_text

pytestmark = pytest.mark.django_db


def _emulator_state():
    return portal.plain._embedded_transport().app.state


@pytest.fixture
def hostile_workspace(plain):
    hostile_workspace_create(plain)


def test_the_workspaces_texts_on_the_form_are_text(alice_client, hostile_workspace):
    html = page_text(alice_client.get(reverse("support:thread_create")))

    assert audit(html).problems == []
    text = unescaped_text(html)
    for hostile in HOSTILE_LINES:
        assert hostile in text
    assert "<img src=x onerror=alert('d1')> [see](javascript:alert('d2'))" in text
    assert "<svg onload=alert('d3')>" in text


def test_plains_error_messages_beside_a_field_are_text(alice_client, hostile_workspace):
    create = reverse("support:thread_create")
    alice_client.get(create)  # the form's options are now cached, as a customer's form would be
    # Meanwhile the workspace changes the field's choices; Plain's refusal quotes the new ones.
    with _emulator_state().transaction() as state:
        (schema,) = [s for s in state.thread_field_schemas.values() if s.key == "area"]
        schema.enum_values = ["<img src=x onerror=alert('e1')>"]

    response = alice_client.post(
        create, {"title": "T", "message": "M", "field__area": HOSTILE_LINES[2]}
    )

    html = page_text(response)
    assert response.status_code == 200
    assert "<img src=x onerror=alert('e1')>" in unescaped_text(html)
    assert audit(html).problems == []
