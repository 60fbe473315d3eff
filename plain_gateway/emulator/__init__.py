"""A local Plain: the same GraphQL over HTTP, for development, tests, the demo and benchmarks.

`create_app(api_key=..., data_path=...)` returns a WSGI app serving POST /graphql/v1 from a
faithful subset of Plain's schema (every type, field, argument and enum value in it exists in
Plain's with the same type), plus a control API under /_emulator/ driven by `EmulatorControl`.
`python -m plain_gateway.emulator` serves it over HTTP; `--print-sdl` prints the schema.

Layout: `store.py` (persistence, ids, the clock, domain events), `families/` (one module and one
`.graphql` per entity family: its dataclasses, its reads and writes, its resolvers and its SDL;
see families/__init__.py for how to add one), `state.py` (the store plus every family),
`graph.py` (GraphQL plumbing and the executable schema, shared.graphql plus the families' SDL;
`schema.graphql` is the whole of it in one file, generated),
`app.py` (HTTP, faults, control API), `control.py` (the control API's client), `delivery.py` and
`cards.py` (the background work: sending webhooks, fetching customer cards).

What it emulates: every type it declares is whole (each field, argument, input field, union member,
enum value and interface implementation Plain's schema has on it), answering real data where it
holds some and what Plain answers when there is none (null, [], an empty connection: each family's
ABSENT list). It holds: the workspace, users with Plain's built-in roles, machine users and their
API key records (never the key), the workspace's HMAC secret (workspaceHmac,
regenerateWorkspaceHmac); customers (upsert by id, email or external id, delete: their threads go
too, searchCustomers, every CustomersFilter field), companies (derived from the customer's email
domain as Plain does, settable, searchable, soft-deleted), customer groups and memberships; tenants
and memberships; tiers with tenant and company members and first/next response time SLAs (a tier
sets new threads' default priority, Thread.tier and the SLA status summary, on the emulator's
clock); threads (create, reply, status TODO/SNOOZED/DONE with Plain's status details and transition
entries, priority, labels, thread fields, tenant changes, assignment and additional assignees,
participants, message info, every sort and the portal's filters, tier, company and customer-group
filters included), outbound emails (replyToEmail, sendNewEmail; BCC kept apart), searchThreads
(note text matched unless the control API says not: the worst case for a portal), timelines (chat,
email, note, custom, event, status, priority, label and assignment entries), label types (archive,
unarchive), thread field schemas, attachments (upload and download URLs served by the emulator,
Plain's size, type and count limits), inbound emails in any of Plain's email categories (set by the
control API), webhook targets and signed webhook deliveries with Plain's headers, bodies (validated
against Plain's webhook schema) and retry schedule on the emulator's clock, every attempt recorded,
help centers (PUBLIC, PRIVATE, INTERNAL, their access lists stored but, as in Plain's API, not
enforced), article groups, DRAFT and PUBLISHED articles, the navigation index with its hash, and
searchKnowledgeSources over help center articles (drafts matched: the worst case for a portal);
customer card configs (Plain's limits: 25 per workspace, unique keys, TTL, https URLs, 20 headers;
reorder) and customer cards loaded just in time from each config's API as Plain loads them (Loading
until fetched, on a background thread or when the control API says: POST, Plain's headers, the body
signed with the workspace secret, configs with the same API details batched, 5xx, 429 and timeouts
retried once a second later on the emulator's clock and not cached, other failures cached five
minutes, answers cached for their TTL, reload of one card; every card request recorded), Relay
pagination with Plain's limits, Plain's mutation error codes, Bearer authentication checked before
anything else, injected latency, 5xx and 429 responses, writes whose answer is lost after they
commit, webhook faults (drop, duplicate, reorder, delay, burst), and a clock that can be shifted
from real time (so a demo can be given a past). Every write emits an in-process domain event named
after Plain's webhook event types (store.Store.subscribe), delivered when its request commits.

What it does NOT emulate:
- permissions and API key scopes (every key may do everything; no FORBIDDEN for missing scopes);
- real rate limiting (429s come only from injected faults);
- sending anything but webhooks: no emails, Slack, Teams or Discord messages leave the emulator
  (every outbound email is SENT, none bounces), and threads cannot be created on SLACK, MS_TEAMS
  or DISCORD channels;
- more than one support email address (fromAlternateSupportEmail must be
  support@emulator.plain.test);
- users beyond agents made by the control API: roles are the built-in OWNER, ADMIN and SUPPORT
  only (no custom roles), users have no avatars, labels, Slack identities, working hours or saved
  views; the workspace has no logo, domain names or verified email domain, and its name is fixed
  when it is first created (PLAIN_EMULATOR_WORKSPACE_NAME);
- workflows, auto-responders, thread discussions and links, surveys, escalations, catch-ups, AI
  agents, AI features (their fields answer as absent);
- in help centers: images, portal settings, custom domains, WorkOS Connect, index reordering,
  article group updates and deletes, generated articles, indexed documents and knowledge sources;
- SLA business hours, label-type filters and breach actions (refused), the IMMINENT_BREACH and
  CANCELLED SLA statuses, updateServiceLevelAgreement;
- search beyond a case-insensitive substring (searchTenants, searchCustomers, searchCompanies,
  searchThreads: newest first, no ranking);
- ThreadsFilter inputs no family provides (serviceLevelAgreements, thread links, survey
  responses, tenant fields, agent status, isMarkedAsSpam): refused with an error naming them;
  likewise other input fields the emulator does not model, when given a value;
- an agent's reply moving a thread's status: it stays as it was, and only statusDetail says
  WaitingForCustomer; afterSeconds, linearIssueId and threadDiscussionId in status details are
  null;
- replyToThread's channel rules: on every channel but EMAIL (email) and INTERNAL (refused with
  cannot_reply_to_thread) a reply becomes a chat;
- required thread fields blocking markThreadAsDone; customer events being copied into threads
  created after them; deleting or merging anything but customers, companies, customer groups,
  tiers, SLAs and thread field values; re-deriving a customer's company when their email changes;
  snooze timers firing between requests (an expired snooze is woken at the next request);
- in webhooks: mTLS client certificates, Rejected and SchemaValidationFailed results, Slack,
  Teams, Discord, SLA and customer-group events, assignees and status details in bodies (null);
  webhook faults, the search switch and the clock offset belong to the serving process;
- virus scanning, or upload URLs on another host (they point at the emulator itself);
- in customer cards: the CardTooBig error, mTLS, the customerCardInstanceChanges subscription,
  permissions on apiUrl and apiHeaders; an uncached error is answered once, then reloaded (Plain
  pushes it to the app instead); the 15 s timeout is httpx's, per read, not a total;
- a key on GET /graphql/v1/schema.graphql: the SDL is the emulator's own addition, open to all;
- a lost answer as a cut connection in process (httpx.WSGITransport has no connection to cut:
  there it is a 502, 503 or 504; the standalone server can cut it); HTTP keep-alive (the
  standalone server speaks HTTP/1.0, a connection per request).
"""

from plain_gateway.emulator.app import EmulatorApp, create_app
from plain_gateway.emulator.control import EmulatorControl, EmulatorControlError

__all__ = ["EmulatorApp", "EmulatorControl", "EmulatorControlError", "create_app"]
