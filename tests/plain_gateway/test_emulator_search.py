"""searchThreads in the emulator: what a term matches, the minimum length, filters, paging, and
the control switch for note text (matched by default: the worst case for a portal)."""

from __future__ import annotations

from typing import Any

import pytest

from plain_gateway.emulator import EmulatorControlError

SEARCH = """
query s($term: String!, $filters: ThreadsFilter, $first: Int, $after: String) {
  searchThreads(searchQuery: { term: $term }, filters: $filters, first: $first, after: $after) {
    edges { cursor node { thread { id title } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ERROR = "error { code message fields { field } }"


def _found(graphql, term: str, **variables: Any) -> list[str]:
    connection = graphql(SEARCH, term=term, **variables)["data"]["searchThreads"]
    return [edge["node"]["thread"]["id"] for edge in connection["edges"]]


def _mutate(graphql, name: str, input_type: str, **input_: Any) -> dict[str, Any]:
    result = graphql(
        f"mutation m($input: {input_type}!) {{ {name}(input: $input) {{ {ERROR} }} }}",
        input=input_,
    )["data"][name]
    assert result["error"] is None, result["error"]
    return result


@pytest.fixture
def threads(graphql, emulator_factory, emulator_control) -> dict[str, str]:
    """One thread per place a term can be found, each with words only it holds."""
    made = {
        "title": emulator_factory.thread(title="Invoice PDF missing", text="first")["id"],
        "custom": emulator_factory.thread(title="Second", text="The Dashboard crashed")["id"],
        "name": emulator_factory.thread(
            customer_id=emulator_factory.customer(full_name="Zelda Quartz")["id"], title="Third"
        )["id"],
        "email": emulator_factory.thread(
            customer_id=emulator_factory.customer(email="yuri@globex.test")["id"], title="Fourth"
        )["id"],
    }
    chat = emulator_factory.thread(title="Fifth")
    _mutate(
        graphql,
        "sendCustomerChat",
        "SendCustomerChatInput",
        threadId=chat["id"],
        customerId=chat["customer"]["id"],
        text="The webhook keeps timing out",
    )
    made["chat"] = chat["id"]
    made["email_text"] = emulator_control.inbound_email(
        from_email="wes@initech.test", subject="Sixth", text="Our SAML login loops"
    )["thread_id"]
    note = emulator_factory.thread(title="Seventh")
    _mutate(
        graphql,
        "createNote",
        "CreateNoteInput",
        threadId=note["id"],
        customerId=note["customer"]["id"],
        text="Internal: customer is on the legacy plan",
    )
    made["note"] = note["id"]
    return made


@pytest.mark.parametrize(
    ("term", "where"),
    [
        ("invoice pdf", "title"),
        ("DASHBOARD", "custom"),
        ("zelda", "name"),
        ("globex", "email"),
        ("Webhook", "chat"),
        ("saml", "email_text"),
        ("legacy plan", "note"),
    ],
)
def test_a_term_matches_case_insensitively_where_plain_says(graphql, threads, term, where):
    assert _found(graphql, term) == [threads[where]]


def test_note_text_stops_matching_when_the_control_api_says_so(graphql, threads, emulator_control):
    assert emulator_control.search_matches_notes() is True
    emulator_control.set_search_matches_notes(False)

    assert emulator_control.search_matches_notes() is False
    assert _found(graphql, "legacy plan") == []
    assert _found(graphql, "seventh") == [threads["note"]]  # the title still matches

    emulator_control.reset()
    assert emulator_control.search_matches_notes() is True


def test_the_switch_takes_only_a_boolean(emulator_control):
    with pytest.raises(EmulatorControlError) as raised:
        emulator_control._call("POST", "/search", {"match_notes": "no"})
    assert raised.value.status == 400


@pytest.mark.parametrize("term", ["x", " y ", ""])
def test_a_term_shorter_than_two_characters_is_refused(graphql, term):
    body = graphql(SEARCH, term=term, expect_errors=True)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "searchQuery.term" in error["message"]
    assert body["data"] is None


def test_search_stays_within_the_filters(graphql, threads):
    _mutate(graphql, "markThreadAsDone", "MarkThreadAsDoneInput", threadId=threads["title"])
    # "example.test" is in the email of every customer the factory made.
    assert _found(graphql, "example.test", filters={"statuses": ["DONE"]}) == [threads["title"]]
    todo = _found(graphql, "example.test", filters={"statuses": ["TODO"]}, first=50)
    assert sorted(todo) == sorted(threads[k] for k in ("custom", "name", "chat", "note"))
    assert threads["title"] not in todo


def test_search_results_page_newest_first(graphql, emulator_factory):
    made = [emulator_factory.thread(title=f"Refund {n}")["id"] for n in range(3)]

    first = graphql(SEARCH, term="refund", first=2)["data"]["searchThreads"]
    rest = graphql(SEARCH, term="refund", first=2, after=first["pageInfo"]["endCursor"])["data"][
        "searchThreads"
    ]

    ids = [e["node"]["thread"]["id"] for e in first["edges"] + rest["edges"]]
    assert ids == made[::-1]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False
