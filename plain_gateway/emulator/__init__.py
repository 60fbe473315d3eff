"""A local Plain: the same GraphQL over HTTP, for development, tests, the demo and benchmarks.

`create_app(api_key=..., data_path=...)` returns a WSGI app serving POST /graphql/v1 from a
faithful subset of Plain's schema (every type, field, argument and enum value in it exists in
Plain's with the same type), plus a control API under /_emulator/ driven by `EmulatorControl`.
`python -m plain_gateway.emulator` serves it over HTTP; `--print-sdl` prints the schema.

Layout: `store.py` (persistence, ids, the clock, domain events), `families/` (one module and one
`.graphql` per entity family: its dataclasses, its reads and writes, its resolvers and its SDL;
see families/__init__.py for how to add one), `state.py` (the store plus every family),
`graph.py` (GraphQL plumbing and the executable schema, base.graphql plus the families' SDL),
`app.py` (HTTP, faults, control API), `control.py` (the control API's client).

What it emulates: customers (upsert by id, email or external id), tenants and memberships, threads
(create, reply, status TODO/SNOOZED/DONE with transition entries, priority, labels, thread fields,
message info), timelines (chat, email, note, custom, event, status, priority and label entries),
label types, thread field schemas, attachments (upload and download URLs served by the emulator,
Plain's size, type and count limits), inbound emails in any of Plain's email categories (set by
the control API), Relay pagination with Plain's limits, Plain's mutation error codes, Bearer
authentication checked before anything else, injected latency, 5xx and 429 responses, writes
whose answer is lost after they commit, and a clock that can be shifted from real time (so a demo
can be given a past). Every write emits an in-process domain event named after Plain's webhook
event types (store.Store.subscribe), delivered when its request commits.

What it does NOT emulate:
- permissions and API key scopes (every key may do everything; no FORBIDDEN for missing scopes);
- real rate limiting (429s come only from injected faults);
- sending anything: no emails, Slack, Teams or Discord messages leave the emulator, and threads
  cannot be created on SLACK, MS_TEAMS or DISCORD channels;
- webhook delivery (the domain events stay in the process), workflows, auto-responders, SLAs,
  tiers, companies, customer groups, assignment, thread discussions and links, help centers, AI
  features, search other than searchTenants;
- replyToThread's channel rules: on every channel but EMAIL (email) and INTERNAL (refused with
  cannot_reply_to_thread) a reply becomes a chat;
- required thread fields blocking markThreadAsDone; customer events being copied into threads
  created after them; deleting or merging anything; snooze timers firing between requests (an
  expired snooze is woken at the next request);
- virus scanning, or upload URLs on another host (they point at the emulator itself);
- a key on GET /graphql/v1/schema.graphql: the SDL is the emulator's own addition, open to all;
- a lost answer as a cut connection in process (httpx.WSGITransport has no connection to cut:
  there it is a 502, 503 or 504; the standalone server can cut it); HTTP keep-alive (the
  standalone server speaks HTTP/1.0, a connection per request).
"""

from plain_gateway.emulator.app import EmulatorApp, create_app
from plain_gateway.emulator.control import EmulatorControl, EmulatorControlError

__all__ = ["EmulatorApp", "EmulatorControl", "EmulatorControlError", "create_app"]
