"""Structured requests: the workspace's categories (label types), priority and thread fields."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

import portal.plain
from portal.support import services
from portal.support.forms import THREAD_FIELD_TEXT_MAX_LENGTH
from portal.support.models import Submission
from tests.factories import MembershipFactory
from tests.portal.support.pages import (
    class_texts,
    elements,
    input_value,
    label_texts,
    page_text,
    select_options,
)

pytestmark = pytest.mark.django_db

SYSTEM = {"kind": "system", "id": "test"}


def _emulator_state():
    return portal.plain._embedded_transport().app.state


def _thread_id(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].rstrip("/").split("/")[-1]


def _select_options(html: str, name: str) -> list[tuple[str, str]]:
    options = select_options(html, name)
    assert options, f"no <select name={name}> with options"
    return [(value, text) for value, text, _ in options]


def _input(html: str, name: str) -> dict[str, str]:
    (found,) = [attrs for attrs in elements(html, "input") if attrs.get("name") == name]
    return found


@pytest.fixture
def workspace(plain):
    """Label types (one archived) and thread fields of every kind the portal asks for, and one
    it does not (NUMBER)."""
    bug = plain.create_label_type(name="Bug report")
    question = plain.create_label_type(name="Question")
    old = plain.create_label_type(name="Old category")
    with _emulator_state().transaction() as state:
        state.label_type_archive(actor=SYSTEM, label_type_id=old.id)
    area = plain.create_thread_field_schema(
        key="product_area",
        label="Product area",
        type="ENUM",
        enum_values=["Billing", "API", "Dashboard"],
        is_required=True,
        order=1,
    )
    order = plain.create_thread_field_schema(
        key="order_number",
        label="Order number",
        type="STRING",
        description="From your invoice",
        order=2,
    )
    blocking = plain.create_thread_field_schema(
        key="is_blocking", label="This blocks my work", type="BOOL", order=3
    )
    seats = plain.create_thread_field_schema(key="seats", label="Seats", type="NUMBER", order=4)
    return {
        "bug": bug,
        "question": question,
        "old": old,
        "area": area,
        "order": order,
        "blocking": blocking,
        "seats": seats,
    }


def test_the_form_offers_the_workspaces_categories_priorities_and_fields(alice_client, workspace):
    html = page_text(alice_client.get(reverse("support:thread_create")))

    categories = _select_options(html, "category")
    assert ("", "Choose a category") in categories
    assert (workspace["bug"].id, "Bug report") in categories
    assert (workspace["question"].id, "Question") in categories
    assert all(value != workspace["old"].id for value, _ in categories)  # archived
    assert _select_options(html, "priority") == [
        ("0", "Urgent"),
        ("1", "High"),
        ("2", "Normal"),
        ("3", "Low"),
    ]
    # A required choice starts empty (issue 15.4: never pre-filled with its first option); the
    # text field and the checkbox are there.
    assert _select_options(html, "field__product_area") == [
        ("", "Choose one"),
        ("Billing", "Billing"),
        ("API", "API"),
        ("Dashboard", "Dashboard"),
    ]
    order_number = _input(html, "field__order_number")
    assert (order_number["type"], order_number["maxlength"]) == ("text", "1000")
    assert "From your invoice" in html
    assert _input(html, "field__is_blocking")["type"] == "checkbox"
    # NUMBER fields are left to agents.
    assert "field__seats" not in html


def test_request_options_come_from_a_short_cache_not_from_plain_on_every_view(
    alice_client, workspace, emulator_control
):
    emulator_control.clear_requests()

    alice_client.get(reverse("support:thread_create"))
    alice_client.get(reverse("support:thread_create"))

    calls = [request["operationName"] for request in emulator_control.requests()]
    assert calls.count("labelTypes") == 1
    assert calls.count("threadFieldSchemas") == 1


def test_a_structured_request_reaches_plain_with_its_category_priority_and_fields(
    alice_client, alice, acme, plain, workspace
):
    response = alice_client.post(
        reverse("support:thread_create"),
        {
            "title": "Invoice is wrong",
            "message": "Charged twice.",
            "priority": "1",
            "category": workspace["bug"].id,
            "field__product_area": "Billing",
            "field__order_number": "  INV-42  ",
            "field__is_blocking": "on",
        },
    )

    thread = plain.thread(thread_id=_thread_id(response)).thread
    assert thread.priority == 1
    assert [label.label_type.id for label in thread.labels] == [workspace["bug"].id]
    stored = _emulator_state().threads[thread.id].thread_fields
    values = {field["key"]: field["string_value"] or field["boolean_value"] for field in stored}
    assert values == {"product_area": "Billing", "order_number": "INV-42", "is_blocking": True}


def test_an_unanswered_optional_field_is_not_sent_and_an_unticked_box_is_false(
    alice_client, plain, workspace
):
    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "Hello", "message": "Hi", "field__product_area": "API"},
    )

    stored = _emulator_state().threads[_thread_id(response)].thread_fields
    assert {field["key"]: field["boolean_value"] for field in stored} == {
        "product_area": None,
        "is_blocking": False,
    }
    assert plain.thread(thread_id=_thread_id(response)).thread.labels == ()


@pytest.mark.parametrize(
    ("posted", "field", "error"),
    [
        ({}, "field__product_area", "This field is required."),
        ({"field__product_area": "Shipping"}, "field__product_area", "Select a valid choice."),
        (
            {"field__product_area": "API", "field__order_number": "x" * 1001},
            "field__order_number",
            f"at most {THREAD_FIELD_TEXT_MAX_LENGTH} characters",
        ),
        (
            {"field__product_area": "API", "category": "lt_not_ours"},
            "category",
            "Select a valid choice.",
        ),
    ],
)
def test_fields_are_validated_as_plain_would_beside_the_field_and_nothing_is_sent(
    alice_client, workspace, emulator_control, posted, field, error
):
    emulator_control.clear_requests()

    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "Keep my title", "message": "Keep my text", **posted},
    )

    html = page_text(response)
    assert response.status_code == 200
    start = html.index(f'name="{field}"')
    group = html[html.rindex('<div class="field', 0, start) : start]
    assert error in group
    assert input_value(html, "title") == "Keep my title"
    calls = [request["operationName"] for request in emulator_control.requests()]
    assert "createThread" not in calls
    assert not Submission.objects.exists()


def test_an_archived_category_is_refused(alice_client, workspace):
    response = alice_client.post(
        reverse("support:thread_create"),
        {
            "title": "Old",
            "message": "Old category",
            "category": workspace["old"].id,
            "field__product_area": "API",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice." in page_text(response)


def test_without_categories_or_fields_the_form_is_the_plain_one(alice_client):
    html = page_text(alice_client.get(reverse("support:thread_create")))

    assert 'name="category"' not in html
    assert "field__" not in html
    assert 'name="priority"' in html


def test_when_plain_cannot_be_asked_the_form_still_works_without_the_extra_questions(
    alice_client, alice, acme, plain, emulator_control
):
    plain.create_label_type(name="Bug report")
    emulator_control.fail_next(count=20, status=503)

    html = page_text(alice_client.get(reverse("support:thread_create")))

    assert 'name="title"' in html and 'name="message"' in html
    assert 'name="category"' not in html


# --- a POST never waits on Plain before its request is saved ------------------------------------

ANSWERS = {
    "title": "Invoice is wrong",
    "message": "Charged twice.",
    "field__product_area": "Billing",
    "field__order_number": "INV-42",
    "field__is_blocking": "on",
}


def test_a_post_asks_plain_nothing_before_the_request_is_saved_even_with_a_cold_cache(
    alice_client, workspace, monkeypatch
):
    saved_when_asked: list[tuple[str, bool]] = []
    answer = httpx.WSGITransport.handle_request

    def handle(transport, request):
        saved = Submission.objects.filter(payload__text="Charged twice.").exists()
        saved_when_asked.append((request.headers.get("x-graphql-operation-name"), saved))
        return answer(transport, request)

    monkeypatch.setattr(httpx.WSGITransport, "handle_request", handle)

    response = alice_client.post(
        reverse("support:thread_create"), {**ANSWERS, "category": workspace["bug"].id}
    )

    assert response.status_code == 302
    assert saved_when_asked, "the request was never sent"
    assert [name for name, saved in saved_when_asked if not saved] == []


def test_answers_posted_while_the_questions_are_unknown_are_kept_and_sent_when_plain_recovers(
    alice_client, plain, workspace, emulator_control
):
    # A cold cache (another worker rendered the form) and Plain down.
    emulator_control.fail_next(count=100, status=503)

    response = alice_client.post(
        reverse("support:thread_create"), {**ANSWERS, "category": workspace["bug"].id}
    )

    submission = Submission.objects.get()
    assert response["Location"] == reverse("support:submission_detail", args=[submission.key])
    assert submission.is_pending
    assert submission.payload["request_fields"]["field__product_area"] == "Billing"

    emulator_control.clear_faults()
    Submission.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.submission_deliver(submission_id=submission.pk).status == "done"

    submission.refresh_from_db()
    thread = plain.thread(thread_id=submission.thread_id).thread
    assert [label.label_type.id for label in thread.labels] == [workspace["bug"].id]
    stored = _emulator_state().threads[thread.id].thread_fields
    values = {field["key"]: field["string_value"] or field["boolean_value"] for field in stored}
    assert values == {"product_area": "Billing", "order_number": "INV-42", "is_blocking": True}
    assert "request_fields" not in submission.payload


def test_answers_that_do_not_fit_the_questions_learnt_at_delivery_come_back_as_field_errors(
    alice_client, plain, acme, workspace
):
    response = alice_client.post(
        reverse("support:thread_create"), {**ANSWERS, "field__product_area": "Gardening"}
    )

    assert response.status_code == 200
    html = page_text(response)
    assert "Select a valid choice" in html
    assert input_value(html, "title") == "Invoice is wrong"
    assert not Submission.objects.exists()
    page = plain.threads(tenant_external_ids=[acme.tenant_external_id], first=10)
    assert page.items == ()


def test_a_refused_post_with_a_cold_cache_comes_back_with_the_questions_and_the_answers(
    alice_client, workspace
):
    response = alice_client.post(reverse("support:thread_create"), {**ANSWERS, "title": ""})

    assert response.status_code == 200
    html = page_text(response)
    assert input_value(html, "field__order_number") == "INV-42"
    assert ("Billing", "Billing") in _select_options(html, "field__product_area")
    assert ("Billing", "Billing", True) in select_options(html, "field__product_area")
    assert not Submission.objects.exists()


def _answers_saved_while_plain_is_down(alice_client, emulator_control) -> Submission:
    # A warm cache (the form was just shown), so the answers are checked and stored resolved.
    assert alice_client.get(reverse("support:thread_create")).status_code == 200
    emulator_control.fail_next(count=100, status=503)
    response = alice_client.post(reverse("support:thread_create"), ANSWERS)
    assert response.status_code == 302
    emulator_control.clear_faults()
    submission = Submission.objects.get()
    assert submission.is_pending
    return submission


def _deliver_and_read_fields(plain, submission: Submission) -> dict:
    Submission.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.submission_deliver(submission_id=submission.pk).status == "done"
    submission.refresh_from_db()
    stored = _emulator_state().threads[submission.thread_id].thread_fields
    return {field["key"]: field["string_value"] or field["boolean_value"] for field in stored}


def test_a_saved_request_keeps_its_answers_in_the_portals_shape_not_plains(
    alice_client, plain, workspace, emulator_control
):
    submission = _answers_saved_while_plain_is_down(alice_client, emulator_control)

    assert sorted(submission.payload["thread_fields"], key=lambda f: f["key"]) == [
        {"key": "is_blocking", "type": "BOOL", "boolean_value": True},
        {"key": "order_number", "type": "STRING", "string_value": "INV-42"},
        {"key": "product_area", "type": "ENUM", "string_value": "Billing"},
    ]
    assert _deliver_and_read_fields(plain, submission) == {
        "product_area": "Billing",
        "order_number": "INV-42",
        "is_blocking": True,
    }


def test_a_request_saved_in_plains_camel_case_before_is_still_delivered(
    alice_client, plain, workspace, emulator_control
):
    submission = _answers_saved_while_plain_is_down(alice_client, emulator_control)
    old_shape = {
        **submission.payload,
        "thread_fields": [
            {"key": "product_area", "type": "ENUM", "stringValue": "API"},
            {"key": "is_blocking", "type": "BOOL", "booleanValue": False},
        ],
    }
    Submission.objects.filter(pk=submission.pk).update(payload=old_shape)

    assert _deliver_and_read_fields(plain, submission) == {
        "product_area": "API",
        "is_blocking": False,
    }


def test_no_required_choice_is_pre_filled_and_required_fields_say_so(
    client, alice, acme, globex, workspace
):
    # With two organisations the organisation is asked for: it must start unchosen too.
    MembershipFactory(user=alice, organization=globex)
    client.force_login(alice)
    html = page_text(client.get(reverse("support:thread_create")))

    for name in ("field__product_area", "organization"):
        options = select_options(html, name)
        assert options[0][0] == ""
        assert not any(selected for value, _, selected in options if value)
        [select] = [s for s in elements(html, "select") if s.get("name") == name]
        assert "required" in select
    labels = label_texts(html)
    assert labels["id_title"] == "Title (required)"
    assert labels["id_message"] == "Message (required)"
    assert labels["id_organization"] == "Organisation (required)"
    assert labels["id_field__product_area"].endswith("(required)")
    assert not labels["id_category"].endswith("(required)")
    assert not labels["id_attachments"].endswith("(required)")
    # Posting without choosing is refused beside the field.
    response = client.post(
        reverse("support:thread_create"),
        {"title": "t", "message": "m", "organization": "", "field__product_area": ""},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"organization", "field__product_area"}


def test_the_category_and_answers_are_shown_back_on_the_thread_and_in_the_list(
    alice_client, workspace, plain
):
    response = alice_client.post(
        reverse("support:thread_create"),
        {
            "title": "Invoice is wrong",
            "message": "Charged twice.",
            "category": workspace["bug"].id,
            "field__product_area": "Billing",
            "field__order_number": "INV-42",
            "field__is_blocking": "on",
        },
    )
    thread_id = _thread_id(response)
    # A label an agent adds is theirs: not shown as what the customer chose.
    plain.add_labels(thread_id=thread_id, label_type_ids=[workspace["question"].id])

    page = alice_client.get(reverse("support:thread_detail", args=[thread_id])).content.decode()
    questions, answers = class_texts(page, "answers__q"), class_texts(page, "answers__a")
    details = list(zip(questions, answers, strict=True))
    assert details == [
        ("Category", "Bug report"),
        ("Product area", "Billing"),
        ("Order number", "INV-42"),
        ("This blocks my work", "Yes"),
    ]

    listing = alice_client.get(reverse("support:thread_list")).content.decode()
    [row] = class_texts(listing, "thread-row__answers")
    assert row == (
        "Category: Bug report Product area: Billing Order number: INV-42 This blocks my work: Yes"
    )
