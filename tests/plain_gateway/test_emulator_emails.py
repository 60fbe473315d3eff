"""replyToEmail and sendNewEmail in the emulator: recipients (BCC kept hidden), subject, category,
timeline entries, message info, status detail, validation, not found and events."""

from __future__ import annotations

from typing import Any

import pytest

SUPPORT = "support@emulator.plain.test"
ERROR = "error { message type code fields { field message type } }"
PARTICIPANT = "email name"
EMAIL = f"""
id inReplyToEmailId subject textContent markdownContent category
from {{ {PARTICIPANT} }} to {{ {PARTICIPANT} }}
additionalRecipients {{ {PARTICIPANT} }} hiddenRecipients {{ {PARTICIPANT} }}
thread {{ id }} customer {{ id }} createdBy {{ __typename }}
"""

REPLY_TO_EMAIL = f"""
mutation m($input: ReplyToEmailInput!) {{
  replyToEmail(input: $input) {{ email {{ {EMAIL} }} {ERROR} }}
}}
"""
SEND_NEW_EMAIL = f"""
mutation m($input: SendNewEmailInput!) {{
  sendNewEmail(input: $input) {{ email {{ {EMAIL} }} {ERROR} }}
}}
"""
THREAD = """
query q($id: ID!) {
  thread(threadId: $id) {
    id title channel status
    statusDetail { __typename }
    lastOutboundMessageInfo { messageSource }
    timelineEntries(first: 50) { edges { node { entry { __typename ... on EmailEntry {
      emailId subject category isStartOfThread
      to { email } additionalRecipients { email } hiddenRecipients { email }
    } } } } }
  }
}
"""


@pytest.fixture
def inbound(emulator_control) -> dict[str, Any]:
    return emulator_control.inbound_email(
        from_email="ann@acme.test", from_name="Ann", subject="Export broken", text="Please help"
    )


@pytest.fixture
def recorded(emulator_app):
    events: list[Any] = []
    emulator_app.state.store.subscribe("*", events.append)
    return events


def _emails(graphql, thread_id) -> list[dict[str, Any]]:
    thread = graphql(THREAD, id=thread_id)["data"]["thread"]
    return [
        e["node"]["entry"]
        for e in thread["timelineEntries"]["edges"]
        if e["node"]["entry"]["__typename"] == "EmailEntry"
    ]


def _reply(graphql, **input_: Any) -> dict[str, Any]:
    return graphql(REPLY_TO_EMAIL, input={"textContent": "We are on it", **input_})["data"][
        "replyToEmail"
    ]


def _send(graphql, **input_: Any) -> dict[str, Any]:
    return graphql(
        SEND_NEW_EMAIL, input={"subject": "Hello", "textContent": "A word from support", **input_}
    )["data"]["sendNewEmail"]


# --- replyToEmail -----------------------------------------------------------------------------


def test_reply_to_email_answers_the_sender_with_cc_and_hidden_bcc(graphql, inbound, recorded):
    recorded.clear()
    result = _reply(
        graphql,
        inReplyToEmailId=inbound["email_id"],
        additionalRecipients=[{"email": "bob@acme.test", "name": "Bob"}],
        hiddenRecipients=[{"email": "audit@acme.test"}],
    )

    assert result["error"] is None
    email = result["email"]
    assert email["inReplyToEmailId"] == inbound["email_id"]
    assert email["to"] == {"email": "ann@acme.test", "name": "Ann"}
    assert email["from"]["email"] == SUPPORT
    assert email["subject"] == "Re: Export broken"
    assert email["category"] == "MESSAGING"
    assert email["additionalRecipients"] == [{"email": "bob@acme.test", "name": "Bob"}]
    assert email["hiddenRecipients"] == [{"email": "audit@acme.test", "name": None}]
    assert email["thread"]["id"] == inbound["thread_id"]
    assert email["customer"]["id"] == inbound["customer_id"]

    sent = _emails(graphql, inbound["thread_id"])[-1]
    assert sent["emailId"] == email["id"]
    visible = {sent["to"]["email"], *(r["email"] for r in sent["additionalRecipients"])}
    assert "audit@acme.test" not in visible
    assert [r["email"] for r in sent["hiddenRecipients"]] == ["audit@acme.test"]
    assert sent["isStartOfThread"] is False

    thread = graphql(THREAD, id=inbound["thread_id"])["data"]["thread"]
    assert thread["lastOutboundMessageInfo"] == {"messageSource": "EMAIL"}
    assert thread["statusDetail"]["__typename"] == "ThreadStatusDetailWaitingForCustomer"

    assert [(e.name, e.payload) for e in recorded] == [
        (
            "thread.email_sent",
            {
                "thread_id": inbound["thread_id"],
                "timeline_entry_id": recorded[0].payload["timeline_entry_id"],
                "email_id": email["id"],
            },
        )
    ]


def test_reply_to_email_takes_a_subject_and_can_be_hidden_from_the_user(graphql, inbound):
    result = _reply(
        graphql,
        inReplyToEmailId=inbound["email_id"],
        subject="About your export",
        isHiddenFromUser=True,
        fromAlternateSupportEmail={"email": SUPPORT, "name": "Acme Support"},
    )
    assert result["error"] is None
    assert result["email"]["subject"] == "About your export"
    assert result["email"]["category"] == "USER_HIDDEN"
    assert result["email"]["from"] == {"email": SUPPORT, "name": "Acme Support"}


@pytest.mark.parametrize(
    ("extra", "field", "kind"),
    [
        ({"textContent": "  "}, "textContent", "REQUIRED"),
        ({"subject": " "}, "subject", "VALIDATION"),
        ({"additionalRecipients": [{"email": "not-an-email"}]}, "additionalRecipients", None),
        ({"hiddenRecipients": [{"email": "nope"}]}, "hiddenRecipients", None),
        # A BCC that is also a visible recipient would leak: refused.
        ({"hiddenRecipients": [{"email": "ANN@acme.test"}]}, "hiddenRecipients", None),
        (
            {
                "additionalRecipients": [{"email": "bob@acme.test"}],
                "hiddenRecipients": [{"email": "bob@acme.test"}],
            },
            "hiddenRecipients",
            None,
        ),
        (
            {"fromAlternateSupportEmail": {"email": "me@else.test"}},
            "fromAlternateSupportEmail",
            None,
        ),
        ({"customerId": "c_someone_else"}, "customerId", None),
    ],
)
def test_reply_to_email_validation(graphql, inbound, recorded, extra, field, kind):
    recorded.clear()
    result = _reply(graphql, inReplyToEmailId=inbound["email_id"], **extra)
    assert result["email"] is None
    assert result["error"]["code"] == "input_validation"
    assert [f["field"] for f in result["error"]["fields"]] == [field]
    if kind:
        assert result["error"]["fields"][0]["type"] == kind
    assert recorded == []
    assert len(_emails(graphql, inbound["thread_id"])) == 1


def test_reply_to_email_refuses_an_outbound_email(graphql, inbound):
    first = _reply(graphql, inReplyToEmailId=inbound["email_id"])["email"]
    result = _reply(graphql, inReplyToEmailId=first["id"])
    assert result["error"]["code"] == "input_validation"
    assert [f["field"] for f in result["error"]["fields"]] == ["inReplyToEmailId"]


def test_reply_to_an_unknown_email_is_not_found(graphql):
    result = _reply(graphql, inReplyToEmailId="em_missing")
    assert result["error"]["code"] == "not_found"
    assert [f["field"] for f in result["error"]["fields"]] == ["inReplyToEmailId"]


# --- sendNewEmail -----------------------------------------------------------------------------


def test_send_new_email_starts_an_email_thread(graphql, emulator_factory, recorded):
    customer = emulator_factory.customer(email="cy@acme.test", full_name="Cy")
    recorded.clear()

    result = _send(graphql, customerId=customer["id"], hiddenRecipients=[{"email": "a@b.test"}])

    assert result["error"] is None
    email = result["email"]
    assert email["to"] == {"email": "cy@acme.test", "name": "Cy"}
    assert email["subject"] == "Hello"
    assert email["inReplyToEmailId"] is None
    thread = graphql(THREAD, id=email["thread"]["id"])["data"]["thread"]
    assert (thread["title"], thread["channel"], thread["status"]) == ("Hello", "EMAIL", "TODO")
    assert thread["statusDetail"]["__typename"] == "ThreadStatusDetailWaitingForCustomer"
    (entry,) = _emails(graphql, thread["id"])
    assert entry["isStartOfThread"] is True
    assert entry["category"] == "MESSAGING"
    assert [r["email"] for r in entry["hiddenRecipients"]] == ["a@b.test"]
    assert [e.name for e in recorded] == ["thread.thread_created", "thread.email_sent"]
    assert recorded[1].payload["email_id"] == email["id"]


def test_send_new_email_on_a_given_thread(graphql, emulator_factory):
    thread = emulator_factory.thread()
    result = _send(graphql, customerId=thread["customer"]["id"], threadId=thread["id"])
    assert result["error"] is None
    assert result["email"]["thread"]["id"] == thread["id"]
    assert [e["subject"] for e in _emails(graphql, thread["id"])] == ["Hello"]


def test_send_new_email_refuses_another_customers_thread(graphql, emulator_factory, recorded):
    thread = emulator_factory.thread()
    other = emulator_factory.customer()
    recorded.clear()
    result = _send(graphql, customerId=other["id"], threadId=thread["id"])
    assert result["error"]["code"] == "input_validation"
    assert [f["field"] for f in result["error"]["fields"]] == ["threadId"]
    assert recorded == []


def test_send_new_email_requires_subject_and_text(graphql, emulator_factory, recorded):
    customer = emulator_factory.customer()
    recorded.clear()
    result = _send(graphql, customerId=customer["id"], subject=" ", textContent="")
    assert result["error"]["code"] == "input_validation"
    assert {(f["field"], f["type"]) for f in result["error"]["fields"]} == {
        ("subject", "REQUIRED"),
        ("textContent", "REQUIRED"),
    }
    assert recorded == []
    threads = graphql("{ threads { edges { node { id } } } }")["data"]["threads"]["edges"]
    assert threads == []


@pytest.mark.parametrize(
    ("field", "value"), [("customerId", "c_missing"), ("threadId", "th_missing")]
)
def test_send_new_email_not_found(graphql, emulator_factory, field, value):
    customer = emulator_factory.customer()
    result = _send(graphql, **{"customerId": customer["id"], field: value})
    assert result["error"]["code"] == "not_found"
    assert [f["field"] for f in result["error"]["fields"]] == [field]


def test_send_new_email_refuses_a_bcc_that_is_the_customer(graphql, emulator_factory):
    customer = emulator_factory.customer(email="dee@acme.test")
    result = _send(
        graphql, customerId=customer["id"], hiddenRecipients=[{"email": "dee@acme.test"}]
    )
    assert result["error"]["code"] == "input_validation"
    assert [f["field"] for f in result["error"]["fields"]] == ["hiddenRecipients"]
