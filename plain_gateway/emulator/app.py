"""The emulator's WSGI app: Plain's GraphQL endpoint plus a JSON control API.

Routes (any path prefix before them is kept, so the app can sit under a sub-path):
  POST /graphql/v1                      GraphQL (Bearer key), as Plain answers it
  GET  /graphql/v1/schema.graphql       the emulator's SDL
  POST /_emulator/reset                 forget all data
  POST /_emulator/inbound-email         a customer's email reaches support
  POST /_emulator/agents                a human agent (with a role) and an API key acting as them
  GET|POST|DELETE /_emulator/faults     latency and failures injected into GraphQL requests:
                                        before they run (fail_next) or after their writes are
                                        committed, the answer lost (fail_after_apply)
  GET|DELETE /_emulator/requests        the GraphQL request log
  GET|POST /_emulator/clock             the clock's offset from real time ({"offset_seconds"}),
                                        so a demo can write a history; reset clears it
  POST /_emulator/webhooks/deliver      deliver every webhook due now, synchronously; answers
                                        {"attempts": [...]} (what was sent and each result)
  POST /_emulator/cards/fetch           make every customer card request due now,
                                        synchronously; answers {"requests": [...]}
  GET|DELETE /_emulator/cards/requests  every customer card request made (the log)
  GET|POST|DELETE /_emulator/webhooks/faults   webhook faults (see control.py)
  POST /_emulator/webhooks/burst        {"count", "event_type"?, "thread_id"?}: N synthetic events
  GET|POST /_emulator/search            whether searchThreads matches note text
                                        ({"match_notes"}, default true; reset restores it)
  POST /_emulator/uploads/<id>          the upload form an attachment upload URL points at
  GET  /_emulator/downloads/<id>        a signed attachment download URL
The control API takes the emulator's own key as a Bearer token; uploads and downloads are
authorised by their form token or URL signature, as presigned storage URLs are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import sys
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, quote

import httpx
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    validate,
)
from ulid import ULID

from plain_gateway.emulator import state as st
from plain_gateway.emulator.cards import CardFetcher, CardWorker
from plain_gateway.emulator.delivery import DeliveryWorker, WebhookDeliverer
from plain_gateway.emulator.families import FamilyModule
from plain_gateway.emulator.families.attachments import ATTACHMENT_MAX_BYTES, sign_download
from plain_gateway.emulator.families.customer_cards import LOADING_EVENT, CustomerCards
from plain_gateway.emulator.families.webhooks import HTTP_ANY, HTTP_LOOPBACK, Webhooks
from plain_gateway.emulator.graph import (
    Context,
    QueryError,
    build_executable_schema,
    default_resolver,
    emulator_sdl,
)
from plain_gateway.emulator.paging import PagingError

__all__ = ["EmulatorApp", "create_app"]

GRAPHQL_PATH = "/graphql/v1"
CONTROL_PREFIX = "/_emulator"
REQUEST_LOG_SIZE = 1000
DOCUMENT_CACHE_SIZE = 256
MAX_UPLOAD_BODY = ATTACHMENT_MAX_BYTES + 256 * 1024  # the file plus the form's own fields
# A server that can cut a request's connection puts a callable under this environ key (the
# standalone server does; httpx.WSGITransport has no connection to cut).
DROP_CONNECTION = "plain_emulator.drop_connection"
DROP = "drop"
LOST_ANSWER_STATUSES = (502, 503, 504)

_documents: OrderedDict[tuple[int, str], tuple[str, Any]] = OrderedDict()
_documents_lock = threading.Lock()

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, (("Content-Type", "application/json"), *headers))


def _error(
    status: int, code: str, message: str, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    return _json(status, {"errors": [{"message": message, "extensions": {"code": code}}]}, headers)


def _control_error(status: int, code: str, message: str, fields: Any = ()) -> Response:
    return _json(status, {"error": {"code": code, "message": message, "fields": list(fields)}})


@dataclass(slots=True)
class AfterApply:
    """Run the next `count` requests of one operation, then lose each answer: `status` (502, 503
    or 504, what a proxy answers when it gave up waiting) or DROP (the connection is cut)."""

    count: int
    status: int | str


@dataclass(slots=True)
class Faults:
    latency_ms: int = 0
    fail_next: int = 0
    status: int = 503
    retry_after_seconds: int | None = None
    after_apply: dict[str, AfterApply] = field(default_factory=dict)  # by root field name

    def view(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "fail_next": self.fail_next,
            "status": self.status,
            "retry_after_seconds": self.retry_after_seconds,
            "fail_after_apply": {
                name: {"count": fault.count, "status": fault.status}
                for name, fault in sorted(self.after_apply.items())
            },
        }


class _Rollback(Exception):
    """A mutation crashed halfway: undo its writes but still send the response."""

    def __init__(self, response: Response) -> None:
        self.response = response


class _Request:
    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        self.query = parse_qs(environ.get("QUERY_STRING", ""))
        self.content_type = environ.get("CONTENT_TYPE", "")
        try:
            self.content_length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            self.content_length = 0
        self._body: bytes | None = None

    def body(self) -> bytes:
        if self._body is None:
            stream = self.environ.get("wsgi.input")
            self._body = stream.read(self.content_length) if stream and self.content_length else b""
        return self._body

    def json(self) -> Any:
        return json.loads(self.body() or b"null")

    def bearer(self) -> str | None:
        header = self.environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def base_url(self, prefix: str) -> str:
        scheme = self.environ.get("wsgi.url_scheme", "http")
        server = self.environ.get("SERVER_NAME", "localhost")
        host = self.environ.get("HTTP_HOST") or f"{server}:{self.environ.get('SERVER_PORT', '80')}"
        return f"{scheme}://{host}{prefix}"


class EmulatorApp:
    """A WSGI callable. `state` is the workspace; tests may read it directly."""

    def __init__(
        self,
        *,
        api_key: str,
        data_path: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        families: Sequence[FamilyModule] | None = None,
        allow_http_targets: bool = False,
        webhook_transport: httpx.BaseTransport | None = None,
        deliver_in_background: bool = False,
        card_transport: httpx.BaseTransport | None = None,
        fetch_cards_in_background: bool | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("the emulator needs an API key")
        self._api_key = api_key
        self._sleep = sleep
        self.state = st.State(api_key=api_key, data_path=data_path, clock=clock, families=families)
        self.schema = build_executable_schema(families)
        self._sdl = emulator_sdl(families)
        self._url_secret = hashlib.sha256(b"plain-emulator-downloads:" + api_key.encode()).digest()
        self._faults = Faults()
        self._requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._local = threading.Lock()  # faults and request log
        webhooks = self._webhooks()
        if webhooks is not None and allow_http_targets:
            # In process nothing leaves the process, so any host will do; else loopback only.
            webhooks.http_targets = HTTP_ANY if webhook_transport is not None else HTTP_LOOPBACK
        self.deliverer = WebhookDeliverer(
            state=self.state, transport=webhook_transport, wall_clock=clock
        )
        self._worker: DeliveryWorker | None = None
        if deliver_in_background and webhooks is not None:
            self._worker = DeliveryWorker(self.deliverer)
            webhooks.webhook_queued_listen(self._worker.wake)
            self._worker.start()
        cards = self._cards()
        if cards is not None and allow_http_targets:
            cards.card_http_urls = HTTP_ANY if card_transport is not None else HTTP_LOOPBACK
        self.card_fetcher = CardFetcher(state=self.state, transport=card_transport)
        self._card_worker: CardWorker | None = None
        if fetch_cards_in_background is None:
            fetch_cards_in_background = deliver_in_background
        if fetch_cards_in_background and cards is not None:
            self._card_worker = CardWorker(self.card_fetcher)
            # A load started: its fetch is due now (the event reaches us when it commits).
            self.state.store.subscribe(LOADING_EVENT, self._card_worker.wake)
            self._card_worker.start()

    def _webhooks(self) -> Webhooks | None:
        try:
            return self.state.family(Webhooks)
        except KeyError:  # built without the webhooks family
            return None

    def _cards(self) -> CustomerCards | None:
        try:
            return self.state.family(CustomerCards)
        except KeyError:  # built without the customer cards family
            return None

    def close(self) -> None:
        """Stop the delivery and card workers (if any) and close their HTTP clients."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._card_worker is not None:
            self._card_worker.stop()
            self._card_worker = None
        self.deliverer.close()
        self.card_fetcher.close()

    # --- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        request = _Request(environ)
        try:
            response = self._route(request)
        except Exception:  # the emulator's own bug: answer as a server would, and say why
            traceback.print_exc(file=environ.get("wsgi.errors", sys.stderr))
            response = _error(500, "INTERNAL_SERVER_ERROR", "the emulator crashed; see its log")
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        headers.append(("x-request-id", f"req_{ULID()}"))
        reason = HTTPStatus(response.status).phrase
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def _route(self, request: _Request) -> Response:
        path = request.path
        if path.endswith(GRAPHQL_PATH):
            return self._graphql(request, prefix=path[: -len(GRAPHQL_PATH)])
        if path.endswith(GRAPHQL_PATH + "/schema.graphql") and request.method == "GET":
            return Response(
                200, self._sdl.encode(), (("Content-Type", "text/plain; charset=utf-8"),)
            )
        prefix, marker, rest = path.partition(CONTROL_PREFIX + "/")
        if marker:
            return self._control(request, rest.strip("/"), prefix=prefix)
        return _error(404, "NOT_FOUND", f"no route for {request.method} {path}")

    # --- GraphQL --------------------------------------------------------------------------------

    def _graphql(self, request: _Request, *, prefix: str) -> Response:
        started = time.perf_counter()
        log: dict[str, Any] = {  # what a refused request sent stays unread and unlogged
            "operationName": None,
            "variables": None,
            "timestamp": datetime.now(tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        response = self._graphql_answer(request, log, prefix=prefix)
        log["status"] = response.status
        log["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        with self._local:
            self._requests.append(log)
        return response

    def _graphql_answer(self, request: _Request, log: dict[str, Any], *, prefix: str) -> Response:
        with self._local:
            latency_ms = self._faults.latency_ms
        if latency_ms:
            self._sleep(latency_ms / 1000)
        # The key before anything else, as Plain does: a caller without a valid key learns
        # nothing, not even whether its document would parse.
        token = request.bearer()
        if token is None:
            return _error(
                401, "UNAUTHENTICATED", "an API key is required: Authorization: Bearer <key>"
            )
        if not self._key_valid(token):
            return _error(401, "UNAUTHENTICATED", "the API key is not valid")
        if request.method != "POST":
            return _error(405, "METHOD_NOT_ALLOWED", "use POST", (("Allow", "POST"),))
        try:
            body = request.json()
        except ValueError:
            return _error(400, "BAD_REQUEST", "the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _error(400, "BAD_REQUEST", "the body needs a `query` string")
        variables = body.get("variables") or {}
        operation_name = body.get("operationName")
        log["operationName"] = operation_name
        log["variables"] = variables
        failure = self._injected_failure()
        if failure is not None:
            return failure
        if not isinstance(variables, dict):
            return _error(400, "BAD_REQUEST", "`variables` must be an object")
        kind, document = self._document(body["query"])
        if kind != "ok":
            return _json(200, {"errors": document})
        try:
            with self.state.transaction() as state:
                actor = state.actor_for_key(token)
                if actor is None:  # an agent's key, revoked by a reset since _key_valid
                    return _error(401, "UNAUTHENTICATED", "the API key is not valid")
                state.snoozes_wake()
                context = Context(
                    state=state,
                    actor=actor,
                    base_url=request.base_url(prefix),
                    url_secret=self._url_secret,
                )
                result = execute(
                    self.schema,
                    document,
                    context_value=context,
                    variable_values=variables,
                    operation_name=operation_name,
                    field_resolver=default_resolver,
                )
                # No resolver is async, so execute() answers at once.
                assert isinstance(result, ExecutionResult)
                payload: dict[str, Any] = {}
                if result.errors:
                    payload["errors"] = [self._format(e, request) for e in result.errors]
                # Errors before execution (variable values) leave `data` out; after, it is null.
                if (
                    result.data is not None
                    or any(e.path for e in result.errors or ())
                    or not result.errors
                ):
                    payload["data"] = result.data
                response = _json(200, payload)
                if _crashed(result.errors) and _is_mutation(document, operation_name):
                    raise _Rollback(response)
        except _Rollback as rollback:
            return rollback.response
        # Committed: now the answer may be lost on its way back, as a timed-out proxy loses it.
        lost = self._answer_lost(_root_fields(document, operation_name))
        if lost is None:
            return response
        log["answer_lost"] = True
        if lost == DROP:
            request.environ[DROP_CONNECTION]()
            return _error(504, "INTERNAL_SERVER_ERROR", "the connection was dropped")
        return _error(int(lost), "INTERNAL_SERVER_ERROR", f"the answer was lost (injected, {lost})")

    def _answer_lost(self, root_fields: set[str]) -> int | str | None:
        """The failure to answer with instead, when a fail_after_apply fault matches."""
        with self._local:
            for field in sorted(root_fields):
                fault = self._faults.after_apply.get(field)
                if fault is None:
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    del self._faults.after_apply[field]
                return fault.status
        return None

    def _key_valid(self, token: str) -> bool:
        """The emulator's own key (compared in constant time) or an agent's key.

        Agents' keys are found by their SHA-256 digest, so a lookup's timing says nothing about
        the key itself; with a data file, this also sees keys another process created.
        """
        if hmac.compare_digest(token.encode(), self._api_key.encode()):
            return True
        with self.state.transaction() as state:
            return state.actor_for_key(token) is not None

    def _document(self, query: str) -> tuple[str, Any]:
        """Parse and validate once per distinct query text (shared by the apps of one schema)."""
        cache_key = (id(self.schema), query)
        with _documents_lock:
            cached = _documents.get(cache_key)
            if cached is not None:
                _documents.move_to_end(cache_key)
                return cached
        try:
            document = parse(query)
        except GraphQLSyntaxError as exc:
            outcome: tuple[str, Any] = ("error", [_with_code(exc, "GRAPHQL_PARSE_FAILED")])
        else:
            problems = validate(self.schema, document)
            outcome = (
                ("error", [_with_code(e, "GRAPHQL_VALIDATION_FAILED") for e in problems])
                if problems
                else ("ok", document)
            )
        with _documents_lock:
            _documents[cache_key] = outcome
            while len(_documents) > DOCUMENT_CACHE_SIZE:
                _documents.popitem(last=False)
        return outcome

    def _format(self, error: GraphQLError, request: _Request) -> dict[str, Any]:
        original = error.original_error
        if isinstance(original, QueryError):
            code = original.code
        elif isinstance(original, PagingError):
            code = "BAD_USER_INPUT"
        elif original is None or isinstance(original, GraphQLError):
            # No path: the request itself is wrong (variable values, operation name).
            code = "BAD_USER_INPUT" if error.path is None else "INTERNAL_SERVER_ERROR"
        else:
            code = "INTERNAL_SERVER_ERROR"
            print(
                "plain emulator: resolver crashed",
                file=request.environ.get("wsgi.errors", sys.stderr),
            )
            traceback.print_exception(original, file=request.environ.get("wsgi.errors", sys.stderr))
        return _with_code(error, code)

    def _injected_failure(self) -> Response | None:
        with self._local:
            faults = self._faults
            if faults.fail_next <= 0:
                return None
            faults.fail_next -= 1
            status, retry_after = faults.status, faults.retry_after_seconds
        headers: list[tuple[str, str]] = []
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        if status == 429:
            reset_at = int(time.time()) + (retry_after or 1)
            headers += [
                ("x-ratelimit-limit", "60"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", str(reset_at)),
            ]
            return _error(
                429, "RATE_LIMITED", "too many requests (injected by the emulator)", headers
            )
        return _error(status, "INTERNAL_SERVER_ERROR", f"injected failure ({status})", headers)

    # --- control API ----------------------------------------------------------------------------

    def _control(self, request: _Request, route: str, *, prefix: str) -> Response:
        head, _, tail = route.partition("/")
        if head == "uploads" and tail and request.method == "POST":
            return self._upload(request, tail)
        if head == "downloads" and tail and request.method == "GET":
            return self._download(request, tail)
        token = request.bearer()
        if token is None or not hmac.compare_digest(token.encode(), self._api_key.encode()):
            return _error(401, "UNAUTHENTICATED", "the control API needs the emulator's API key")
        try:
            body = request.json() if request.method in ("POST", "PUT") else None
        except ValueError:
            return _control_error(400, "bad_request", "the body is not JSON")
        body = body or {}
        if not isinstance(body, dict):
            return _control_error(400, "bad_request", "the body must be a JSON object")
        handler = {
            ("POST", "reset"): self._reset,
            ("POST", "inbound-email"): self._inbound_email,
            ("POST", "agents"): self._agents,
            ("GET", "faults"): self._faults_get,
            ("POST", "faults"): lambda body: self._faults_set(
                body, can_drop=DROP_CONNECTION in request.environ
            ),
            ("DELETE", "faults"): self._faults_clear,
            ("GET", "requests"): self._requests_get,
            ("DELETE", "requests"): self._requests_clear,
            ("GET", "clock"): self._clock_get,
            ("POST", "clock"): self._clock_set,
            ("POST", "webhooks/deliver"): self._webhooks_deliver,
            ("GET", "webhooks/faults"): self._webhook_faults_get,
            ("POST", "webhooks/faults"): self._webhook_faults_set,
            ("DELETE", "webhooks/faults"): self._webhook_faults_clear,
            ("POST", "webhooks/burst"): self._webhooks_burst,
            ("POST", "cards/fetch"): self._cards_fetch,
            ("GET", "cards/requests"): self._card_requests_get,
            ("DELETE", "cards/requests"): self._card_requests_clear,
            ("GET", "search"): self._search_get,
            ("POST", "search"): self._search_set,
        }.get((request.method, route))
        if handler is None:
            return _control_error(404, "not_found", f"no control route {request.method} /{route}")
        try:
            return handler(body)
        except st.StateError as error:
            status = 404 if error.code == "not_found" else 400
            fields = [
                {"field": f.field, "message": f.message, "type": f.type} for f in error.fields
            ]
            return _control_error(status, error.code, error.message, fields)
        except (KeyError, TypeError, ValueError) as exc:
            return _control_error(400, "bad_request", f"invalid body: {exc!r}")

    def _reset(self, _body: dict[str, Any]) -> Response:
        with self.state.transaction() as state:
            state.reset()
        with self._local:
            self._faults = Faults()
            self._requests.clear()
        self.card_fetcher.requests_clear()
        webhooks = self._webhooks()
        if webhooks is not None:
            webhooks.webhook_faults = type(webhooks.webhook_faults)()
        return _json(200, {"ok": True})

    def _inbound_email(self, body: dict[str, Any]) -> Response:
        with self.state.transaction() as state:
            entry = state.email_receive(
                from_email=body["from_email"],
                from_name=body.get("from_name"),
                subject=body.get("subject") or "",
                text=body["text"],
                markdown=body.get("markdown"),
                thread_id=body.get("thread_id"),
                tenant_external_id=body.get("tenant_external_id"),
                to=_participant(body["to"]) if body.get("to") else None,
                cc=[_participant(p) for p in body.get("cc") or ()],
                bcc=[_participant(p) for p in body.get("bcc") or ()],
                attachment_ids=body.get("attachment_ids"),
                category=body.get("category", "MESSAGING"),
            )
            return _json(
                200,
                {
                    "thread_id": entry.thread_id,
                    "customer_id": entry.customer_id,
                    "timeline_entry_id": entry.id,
                    "email_id": entry.data["email_id"],
                },
            )

    def _agents(self, body: dict[str, Any]) -> Response:
        with self.state.transaction() as state:
            user, api_key = state.agent_create(
                full_name=body["full_name"],
                public_name=body.get("public_name") or body["full_name"],
                email=body.get("email"),
                role=body.get("role") or "SUPPORT",
            )
            return _json(201, {"user_id": user.id, "api_key": api_key})

    def _faults_get(self, _body: dict[str, Any]) -> Response:
        with self._local:
            return _json(200, self._faults.view())

    def _faults_set(self, body: dict[str, Any], *, can_drop: bool) -> Response:
        after_apply = _after_apply(body["fail_after_apply"]) if "fail_after_apply" in body else None
        if after_apply is not None and after_apply[1].status == DROP and not can_drop:
            raise ValueError("this server cannot drop a connection (in-process): use a status")
        with self._local:
            if after_apply is not None:
                operation, fault = after_apply
                if fault.count:
                    self._faults.after_apply[operation] = fault
                else:
                    self._faults.after_apply.pop(operation, None)
            if "latency_ms" in body:
                latency = int(body["latency_ms"])
                if latency < 0:
                    raise ValueError("latency_ms must not be negative")
                self._faults.latency_ms = latency
            if "fail_next" in body:
                status = int(body.get("status", 503))
                if status not in (429, 500, 502, 503, 504):
                    raise ValueError("status must be 429 or a 5xx")
                self._faults.fail_next = int(body["fail_next"])
                self._faults.status = status
                retry = body.get("retry_after_seconds")
                self._faults.retry_after_seconds = int(retry) if retry is not None else None
            return _json(200, self._faults.view())

    def _faults_clear(self, _body: dict[str, Any]) -> Response:
        with self._local:
            self._faults = Faults()
            return _json(200, self._faults.view())

    def _requests_get(self, _body: dict[str, Any]) -> Response:
        with self._local:
            return _json(200, {"requests": list(self._requests)})

    def _requests_clear(self, _body: dict[str, Any]) -> Response:
        with self._local:
            self._requests.clear()
        return _json(200, {"ok": True})

    def _clock_get(self, _body: dict[str, Any]) -> Response:
        with self.state.transaction() as state:
            return _json(200, _clock_view(state))

    def _clock_set(self, body: dict[str, Any]) -> Response:
        seconds = body["offset_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError("offset_seconds must be a number")
        if not math.isfinite(seconds):
            raise ValueError("offset_seconds must be finite")
        with self.state.transaction() as state:
            state.clock_shift(offset_ms=round(seconds * 1000))
            view = _clock_view(state)
        if self._worker is not None:  # retries may be due now
            self._worker.wake()
        if self._card_worker is not None:
            self._card_worker.wake()
        return _json(200, view)

    # --- customer cards -------------------------------------------------------------------------

    def _cards_fetch(self, _body: dict[str, Any]) -> Response:
        if self._cards() is None:
            raise ValueError("this emulator was built without the customer cards family")
        return _json(200, {"requests": self.card_fetcher.fetch_due()})

    def _card_requests_get(self, _body: dict[str, Any]) -> Response:
        return _json(200, {"requests": self.card_fetcher.requests()})

    def _card_requests_clear(self, _body: dict[str, Any]) -> Response:
        self.card_fetcher.requests_clear()
        return _json(200, {"ok": True})

    # --- webhooks -------------------------------------------------------------------------------

    def _webhooks_required(self) -> Webhooks:
        webhooks = self._webhooks()
        if webhooks is None:
            raise ValueError("this emulator was built without the webhooks family")
        return webhooks

    def _webhooks_deliver(self, _body: dict[str, Any]) -> Response:
        self._webhooks_required()
        return _json(200, {"attempts": self.deliverer.deliver_due()})

    def _webhook_faults_get(self, _body: dict[str, Any]) -> Response:
        with self.state.transaction():
            return _json(200, self._webhooks_required().webhook_faults.view())

    def _webhook_faults_set(self, body: dict[str, Any]) -> Response:
        counts = {}
        for name in ("drop", "duplicate", "reorder"):
            if name in body:
                counts[name] = _count(body[name], name)
        delay = body.get("delay")
        if delay is not None:
            if not isinstance(delay, dict):
                raise TypeError('delay must be {"count": n, "seconds": s}')
            delay_count = _count(delay.get("count", 1), "delay.count")
            seconds = delay["seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise TypeError("delay.seconds must be a number")
            if not math.isfinite(seconds) or seconds < 0:
                raise ValueError("delay.seconds must be 0 or more")
        with self.state.transaction():
            faults = self._webhooks_required().webhook_faults
            for name, value in counts.items():
                setattr(faults, name, value)
            if delay is not None:
                faults.delay_count, faults.delay_seconds = delay_count, float(seconds)
            return _json(200, faults.view())

    def _webhook_faults_clear(self, _body: dict[str, Any]) -> Response:
        with self.state.transaction() as state:
            webhooks = self._webhooks_required()
            held = webhooks.webhook_faults.held
            # Deliveries held for a swap that will not come are released, not lost.
            for delivery_id in held:
                delivery = webhooks.webhook_deliveries.get(delivery_id)
                if delivery is not None and delivery.state == "held":
                    delivery.state, delivery.next_at = "pending", state.now()
                    state.store.touch("webhook_delivery", delivery.id)
            webhooks.webhook_faults = type(webhooks.webhook_faults)()
            return _json(200, webhooks.webhook_faults.view())

    def _webhooks_burst(self, body: dict[str, Any]) -> Response:
        count = _count(body["count"], "count")
        with self.state.transaction():
            ids = self._webhooks_required().webhook_burst(
                count=count,
                event_type=body.get("event_type", "thread.thread_created"),
                thread_id=body.get("thread_id"),
            )
        if self._worker is not None:
            self._worker.wake()
        return _json(200, {"event_ids": ids})

    def _search_get(self, _body: dict[str, Any]) -> Response:
        with self.state.transaction() as state:
            return _json(200, {"match_notes": state.search_matches_notes})

    def _search_set(self, body: dict[str, Any]) -> Response:
        match = body["match_notes"]
        if not isinstance(match, bool):
            raise TypeError("match_notes must be a boolean")
        with self.state.transaction() as state:
            state.search_notes_set(match=match)
            return _json(200, {"match_notes": state.search_matches_notes})

    # --- attachment storage ---------------------------------------------------------------------

    def _upload(self, request: _Request, attachment_id: str) -> Response:
        if request.content_length > MAX_UPLOAD_BODY:
            return _control_error(400, "attachment_file_size_too_large", "the upload exceeds 6MB")
        try:
            fields, files = _multipart(request.content_type, request.body())
        except ValueError as exc:
            return _control_error(400, "bad_request", str(exc))
        if fields.get("key") != attachment_id or "file" not in files:
            return _control_error(
                400, "bad_request", "the form needs `key` (the attachment id) and `file`"
            )
        content_type, content = files["file"]
        try:
            with self.state.transaction() as state:
                state.attachment_store(
                    attachment_id=attachment_id,
                    token=fields.get("token", ""),
                    content=content,
                    content_type=content_type,
                )
        except st.StateError as error:
            status = 403 if error.type == "FORBIDDEN" else 400
            return _control_error(status, error.code, error.message)
        return Response(204)

    def _download(self, request: _Request, attachment_id: str) -> Response:
        expires = (request.query.get("expires") or [""])[0]
        token = (request.query.get("token") or [""])[0]
        if not expires.isdigit() or not hmac.compare_digest(
            token, sign_download(self._url_secret, attachment_id, int(expires))
        ):
            return _control_error(403, "forbidden", "invalid download signature")
        with self.state.transaction() as state:
            if state.now() > int(expires):
                return _control_error(403, "forbidden", "the download URL has expired")
            attachment = state.attachments.get(attachment_id)
            content = state.blobs.get(attachment_id)
            if attachment is None or content is None:
                return _control_error(404, "not_found", "no such attachment")
            disposition = f"attachment; filename*=UTF-8''{_rfc5987(attachment.file_name)}"
            return Response(
                200,
                content,
                (
                    ("Content-Type", attachment.mime_type),
                    ("Content-Disposition", disposition),
                    ("X-Content-Type-Options", "nosniff"),
                ),
            )


def create_app(
    *,
    api_key: str,
    data_path: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    families: Sequence[FamilyModule] | None = None,
    allow_http_targets: bool = False,
    webhook_transport: httpx.BaseTransport | None = None,
    deliver_in_background: bool = False,
    card_transport: httpx.BaseTransport | None = None,
    fetch_cards_in_background: bool | None = None,
) -> EmulatorApp:
    """A fresh emulator. `data_path` is a SQLite file (kept across restarts) or None (memory).

    `sleep` and `clock` are injectable so tests of latency and snoozing never really wait.
    `families` replaces the discovered entity families (families.discover()), e.g. to try a
    family out before it is a module.

    Webhooks: `allow_http_targets` lets webhook target URLs be http (Plain requires https): to
    loopback hosts, or to any host when `webhook_transport` is given. `webhook_transport` is the
    httpx transport deliveries go through (default: the network; an embedding process passes
    `httpx.WSGITransport(app=...)` to receive them in-process). `deliver_in_background` starts
    a daemon thread that sends deliveries as they fall due (stop it with `app.close()`); without
    it nothing is sent until `POST /_emulator/webhooks/deliver`.

    Customer cards: `allow_http_targets` lets card API URLs be http too, as for webhooks (any
    host when `card_transport` is given). `card_transport` is the httpx transport card requests
    go through (default: the network). `fetch_cards_in_background` (default: as
    `deliver_in_background`) starts a daemon thread that makes card requests as loads start
    and retries fall due; without it nothing is fetched until `POST /_emulator/cards/fetch`.
    """
    return EmulatorApp(
        api_key=api_key,
        data_path=data_path,
        sleep=sleep,
        clock=clock,
        families=families,
        allow_http_targets=allow_http_targets,
        webhook_transport=webhook_transport,
        deliver_in_background=deliver_in_background,
        card_transport=card_transport,
        fetch_cards_in_background=fetch_cards_in_background,
    )


# --- helpers -----------------------------------------------------------------------------------


def _with_code(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted = dict(error.formatted)
    extensions = formatted.get("extensions")
    formatted["extensions"] = {**(extensions if isinstance(extensions, dict) else {}), "code": code}
    return formatted


def _crashed(errors: list[GraphQLError] | None) -> bool:
    return any(
        e.original_error is not None
        and not isinstance(e.original_error, QueryError | PagingError | GraphQLError)
        for e in errors or ()
    )


def _is_mutation(document: DocumentNode, operation_name: str | None) -> bool:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            return definition.operation == OperationType.MUTATION
    return False


def _root_fields(document: DocumentNode, operation_name: str | None) -> set[str]:
    """The names of the fields the operation selects at its root (createThread, ...)."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            return {
                selection.name.value
                for selection in definition.selection_set.selections
                if isinstance(selection, FieldNode)
            }
    return set()


def _after_apply(value: Any) -> tuple[str, AfterApply]:
    """A fail_after_apply body: {"operation": root field, "count": n, "status": 5xx | "drop"}."""
    if not isinstance(value, dict):
        raise TypeError("fail_after_apply must be an object")
    operation = value["operation"]
    if not isinstance(operation, str) or not operation:
        raise ValueError("operation must name a root field, e.g. createThread")
    count = value.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError("count must be a whole number, 0 or more")
    status = value.get("status", 504)
    if status not in (*LOST_ANSWER_STATUSES, DROP) or isinstance(status, bool):
        raise ValueError('status must be 502, 503, 504 or "drop"')
    return operation, AfterApply(count=count, status=status)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number, 0 or more")
    return int(value)


def _clock_view(state: st.State) -> dict[str, Any]:
    now = datetime.fromtimestamp(state.clock_read() / 1000, tz=UTC)
    return {
        "offset_seconds": state.clock_offset_ms / 1000,
        "now": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def _participant(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"email": value, "name": None}
    return {"email": value["email"], "name": value.get("name")}


def _rfc5987(name: str) -> str:
    return quote(name, safe="")


def _multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str | None, bytes]]]:
    """A multipart/form-data body as ({field: text}, {field: (content type, bytes)})."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        raise ValueError("the upload must be multipart/form-data")
    boundary = None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise ValueError("the multipart body has no boundary")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str | None, bytes]] = {}
    delimiter = b"--" + boundary.encode()
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a multipart part has no headers")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        params_map = {}
        for part in disposition.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            params_map[key.lower()] = value.strip('"')
        field_name = params_map.get("name")
        if field_name is None:
            continue
        if "filename" in params_map:
            files[field_name] = (headers.get("content-type"), content)
        else:
            fields[field_name] = content.decode("utf-8", "replace")
    return fields, files
