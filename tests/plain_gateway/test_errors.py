"""plain_gateway.errors: what each answer from Plain maps to, and what the errors carry."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

import plain_gateway
from plain_gateway import errors
from plain_gateway.errors import (
    MutationFieldError,
    PlainAuthenticationError,
    PlainBadUserInputError,
    PlainError,
    PlainForbiddenError,
    PlainGraphQLError,
    PlainMutationError,
    PlainNotFoundError,
    PlainRateLimitError,
    PlainResponseError,
    PlainServerError,
    PlainTimeoutError,
    PlainTransportError,
    error_from_response,
    parse_reset,
    parse_retry_after,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def _map(status=200, body=None, headers=None, mutation_field=None):
    return error_from_response(
        status_code=status,
        headers=headers or {},
        body=body,
        operation_name="someOperation",
        mutation_field=mutation_field,
        now=NOW,
    )


def _graphql_errors(*codes):
    return {
        "data": None,
        "errors": [
            {"message": f"failed with {code}", "extensions": {"code": code}, "path": ["thread"]}
            for code in codes
        ],
    }


def test_a_plain_success_maps_to_no_error():
    assert _map(body={"data": {"thread": None}}) is None


def test_a_mutation_whose_error_is_null_maps_to_no_error():
    body = {"data": {"createThread": {"thread": {"id": "th_1"}, "error": None}}}
    assert _map(body=body, mutation_field="createThread") is None


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (401, PlainAuthenticationError),
        (403, PlainForbiddenError),
        (429, PlainRateLimitError),
        (500, PlainServerError),
        (502, PlainServerError),
        (503, PlainServerError),
        (504, PlainServerError),
    ],
)
def test_http_statuses_map_to_their_error(status, error_class):
    error = _map(status=status, body=None, headers={"x-request-id": "req_123"})

    assert type(error) is error_class
    assert error.status_code == status
    assert error.request_id == "req_123"
    assert error.operation_name == "someOperation"


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        ("UNAUTHENTICATED", PlainAuthenticationError),
        ("FORBIDDEN", PlainForbiddenError),
        ("INTERNAL_SERVER_ERROR", PlainServerError),
        ("GRAPHQL_VALIDATION_FAILED", PlainGraphQLError),
        ("GRAPHQL_PARSE_FAILED", PlainGraphQLError),
        ("BAD_USER_INPUT", PlainBadUserInputError),
        ("SOMETHING_NEW", PlainGraphQLError),
    ],
)
def test_graphql_error_codes_map_to_their_error(code, error_class):
    error = _map(body=_graphql_errors(code))

    assert type(error) is error_class
    assert error.code == code
    assert f"failed with {code}" in error.message


def test_a_graphql_error_keeps_every_error_with_its_path():
    error = _map(status=400, body=_graphql_errors("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"))

    assert isinstance(error, PlainBadUserInputError)
    assert isinstance(error, PlainGraphQLError) and not error.retriable
    assert error.code == "BAD_USER_INPUT"
    assert [detail.code for detail in error.errors] == [
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
    ]
    assert error.errors[0].path == ("thread",)


def test_the_http_status_wins_over_the_body():
    error = _map(status=401, body=_graphql_errors("GRAPHQL_VALIDATION_FAILED"))

    assert type(error) is PlainAuthenticationError
    assert "failed with GRAPHQL_VALIDATION_FAILED" in error.message


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, None),  # not JSON
        (200, ["not", "an", "object"]),
        (200, {"data": None}),
        (404, None),
        (302, None),
        (400, {"message": "no GraphQL here"}),
    ],
)
def test_answers_that_are_not_graphql_are_response_errors(status, body):
    assert type(_map(status=status, body=body)) is PlainResponseError


def test_a_mutation_without_its_payload_is_a_response_error():
    error = _map(body={"data": {"createThread": None}}, mutation_field="createThread")
    assert type(error) is PlainResponseError


def test_a_mutation_error_carries_code_type_and_field_errors():
    body = {
        "data": {
            "createThread": {
                "thread": None,
                "error": {
                    "message": "input failed validation",
                    "type": "VALIDATION",
                    "code": "input_validation",
                    "fields": [
                        {"field": "title", "message": "too long", "type": "VALIDATION"},
                        {"field": "components", "message": "required", "type": "REQUIRED"},
                    ],
                },
            }
        }
    }

    error = _map(body=body, mutation_field="createThread", headers={"x-request-id": "r1"})

    assert type(error) is PlainMutationError
    assert error.code == "input_validation"
    assert error.type == "VALIDATION"
    assert error.fields == (
        MutationFieldError(field="title", message="too long", type="VALIDATION"),
        MutationFieldError(field="components", message="required", type="REQUIRED"),
    )
    assert error.request_id == "r1"
    assert error.retriable is False


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        ("not_found", []),
        ("input_validation", [{"field": "threadId", "message": "no such", "type": "NOT_FOUND"}]),
    ],
)
def test_a_mutation_that_references_nothing_is_a_not_found_error(code, fields):
    body = {
        "data": {
            "replyToThread": {
                "error": {"message": "nope", "type": "VALIDATION", "code": code, "fields": fields}
            }
        }
    }

    error = _map(body=body, mutation_field="replyToThread")

    assert type(error) is PlainNotFoundError
    assert isinstance(error, PlainMutationError)


def test_an_internal_mutation_error_is_retriable_but_a_forbidden_one_is_not():
    def mutation_error(error_type):
        body = {
            "data": {
                "markThreadAsDone": {
                    "error": {"message": "m", "type": error_type, "code": "c", "fields": []}
                }
            }
        }
        return _map(body=body, mutation_field="markThreadAsDone")

    assert mutation_error("INTERNAL").retriable is True
    assert mutation_error("FORBIDDEN").retriable is False


@pytest.mark.parametrize(
    ("error_class", "retriable"),
    [
        (PlainTransportError, True),
        (PlainTimeoutError, True),
        (PlainRateLimitError, True),
        (PlainServerError, True),
        (PlainAuthenticationError, False),
        (PlainForbiddenError, False),
        (PlainGraphQLError, False),
        (PlainResponseError, False),
    ],
)
def test_retriable_follows_plains_error_handling_guide(error_class, retriable):
    assert error_class("x").retriable is retriable


# --- rate limits --------------------------------------------------------------------------------


def test_a_rate_limit_reads_retry_after_and_the_ratelimit_headers():
    error = _map(
        status=429,
        headers={
            "retry-after": "7",
            "x-ratelimit-limit": "450",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": "2026-03-01T12:01:00.000Z",
        },
    )

    assert isinstance(error, PlainRateLimitError)
    assert error.retry_after == 7
    assert error.limit == 450
    assert error.remaining == 0
    assert error.reset_at == NOW + timedelta(minutes=1)


def test_without_retry_after_a_rate_limit_waits_until_the_reset():
    error = _map(status=429, headers={"x-ratelimit-reset": "2026-03-01T12:00:12Z"})
    assert error.retry_after == 12


def test_a_rate_limit_that_says_nothing_leaves_the_wait_to_backoff():
    error = _map(status=429, headers={"retry-after": "soon", "x-ratelimit-reset": "later"})

    assert error.retry_after is None
    assert error.reset_at is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T12:00:30Z", NOW + timedelta(seconds=30)),
        ("2026-03-01T12:00:30.000+00:00", NOW + timedelta(seconds=30)),
        (str(int((NOW + timedelta(seconds=30)).timestamp())), NOW + timedelta(seconds=30)),
        (str(int((NOW + timedelta(seconds=30)).timestamp() * 1000)), NOW + timedelta(seconds=30)),
        ("30", NOW + timedelta(seconds=30)),
        ("Sun, 01 Mar 2026 12:00:30 GMT", NOW + timedelta(seconds=30)),
        ("", None),
        ("-5", None),
        ("whenever", None),
    ],
)
def test_ratelimit_reset_is_read_in_each_form_servers_send(value, expected):
    assert parse_reset(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("Sun, 01 Mar 2026 12:00:09 GMT", 9.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # in the past: no wait
        ("-1", None),
        ("nan", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


# --- what errors show ----------------------------------------------------------------------------


def test_str_and_repr_name_the_operation_and_request_id():
    error = _map(status=503, headers={"x-request-id": "req_abc"})

    assert "someOperation" in str(error)
    assert "req_abc" in str(error)
    assert "req_abc" in repr(error)
    assert repr(error).startswith("PlainServerError(")


def test_the_request_id_is_read_from_the_first_header_present():
    error = _map(status=500, headers={"x-plain-request-id": "p_1"})
    assert error.request_id == "p_1"


def test_every_error_is_exported_and_drawn_in_the_module_docstring():
    error_classes = [
        obj
        for name, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, PlainError) and obj.__module__ == errors.__name__
    ]

    assert len(error_classes) >= 11
    for error_class in error_classes:
        assert error_class.__name__ in errors.__doc__
        assert error_class.__name__ in plain_gateway.__all__
        assert getattr(plain_gateway, error_class.__name__) is error_class


def test_errors_survive_pickling_with_their_context():
    import pickle

    body = {
        "data": {
            "createThread": {
                "error": {
                    "message": "bad",
                    "type": "VALIDATION",
                    "code": "input_validation",
                    "fields": [{"field": "title", "message": "required", "type": "REQUIRED"}],
                }
            }
        }
    }
    originals = [
        _map(body=body, mutation_field="createThread", headers={"x-request-id": "r9"}),
        _map(status=429, headers={"retry-after": "3"}),
        _map(body=_graphql_errors("BAD_USER_INPUT")),
        PlainTimeoutError("slow", request_sent=False, operation_name="thread"),
    ]

    for original in originals:
        copy = pickle.loads(pickle.dumps(original))
        assert type(copy) is type(original)
        assert str(copy) == str(original)
        assert vars(copy) == vars(original)
