"""The demo's people, organisations and support conversations, as plain data.

Each thread is a script: a first message, then steps played in order through Plain's API. Thread
keys become Plain externalIds ("demo-..."), which is how a second seed run recognises them.

Each thread also says when it was opened (`opened_ago`) and a step may say how long after the
previous one it happens (`after`); steps that do not say follow the usual gap for their kind
(portal.demo.services). The emulator's clock is moved to play them at those times; against real
Plain everything happens now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

DEMO_PASSWORD = "portal-demo"
EXTERNAL_ID_PREFIX = "demo-"


@dataclass(frozen=True, slots=True)
class DemoOrganization:
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    full_name: str
    organization: str | None = None  # slug
    role: str = "member"
    is_superuser: bool = False


@dataclass(frozen=True, slots=True)
class DemoAgent:
    """A human support agent; against the emulator, messages appear under this name."""

    full_name: str
    public_name: str


# Steps of a thread's script.


@dataclass(frozen=True, slots=True)
class Customer:
    """The customer writes; `author` (an email) lets a colleague from the same org chime in."""

    text: str
    author: str | None = None
    after: timedelta | None = None  # after the previous message; None: the usual gap


@dataclass(frozen=True, slots=True)
class Agent:
    text: str
    after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """An internal note: visible to agents only, never in the portal."""

    text: str
    after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Priority:
    priority: int  # 0 urgent, 1 high, 2 normal, 3 low
    after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Done:
    after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Snooze:
    hours: int
    after: timedelta | None = None


Step = Customer | Agent | Note | Priority | Done | Snooze


@dataclass(frozen=True, slots=True)
class DemoThread:
    """A conversation. A chat thread's `text` becomes a Text component, whose markdown is only
    bold, italic and links (no code spans); replies and email bodies take full markdown."""

    key: str
    organization: str  # slug
    customer: str  # email of the customer who opens it
    title: str
    text: str
    agent: str = "sam"
    priority: int = 2
    labels: tuple[str, ...] = ()
    # "chat" threads are created through createThread; "email" ones arrive as inbound email
    # through the emulator's control API (Plain's API cannot receive an email).
    channel: str = "chat"
    steps: tuple[Step, ...] = field(default=())
    # How long before the seed runs the first message was sent.
    opened_ago: timedelta = timedelta(0)

    @property
    def external_id(self) -> str:
        return f"{EXTERNAL_ID_PREFIX}{self.key}"


ORGANIZATIONS = (
    DemoOrganization(name="Acme", slug="acme"),
    DemoOrganization(name="Globex", slug="globex"),
)

USERS = (
    DemoUser(email="alice@acme.test", full_name="Alice Anders", organization="acme", role="admin"),
    DemoUser(email="bob@acme.test", full_name="Bob Baker", organization="acme"),
    DemoUser(
        email="carol@globex.test", full_name="Carol Chen", organization="globex", role="admin"
    ),
    DemoUser(email="admin@portal.test", full_name="Portal Admin", is_superuser=True),
)

AGENTS = {
    "sam": DemoAgent(full_name="Sam Rivera", public_name="Sam"),
    "priya": DemoAgent(full_name="Priya Shah", public_name="Priya"),
}


def _webhook_replay_steps() -> tuple[Step, ...]:
    """A long, realistic incident follow-up, so the portal's "show earlier" has work to do."""
    steps: list[Step] = [
        Agent(
            "Hi Alice, sorry about this. Between 02:10 and 05:40 UTC our delivery workers could "
            "not reach a subset of endpoints after a DNS change on our side. Nothing was lost: "
            "every event is stored and can be replayed. I suggest we replay in batches of about "
            "1,000 events so your consumers are not flooded."
        ),
        Customer(
            "Batches sound good. Our endpoint is https://hooks.acme.test/orders and it can take "
            "roughly 50 requests a second. Can you keep the original ordering per order id?",
            after=timedelta(minutes=25),
        ),
        Note(
            "Customer has ~23k undelivered events. Engineering ticket ENG-4471 for the DNS issue."
        ),
        Agent(
            "Yes: replays keep the original order per resource, and each event carries its "
            "original `created_at` plus a `replayed: true` flag so you can tell them apart. I will "
            "start with batch 1 now and post progress here."
        ),
        Customer(
            "Thanks! Go ahead, we are watching the consumer dashboards.",
            after=timedelta(minutes=6),
        ),
    ]
    outcomes = (
        ("all delivered", "Looks clean on our side too."),
        ("all delivered, p95 latency 180 ms", "Great, that matches our logs."),
        ("3 timeouts, retried successfully", "Retries worked as expected."),
        ("all delivered", "Nice, carrying on."),
        ("12 responses with HTTP 409 (duplicates we already had)", "409s are fine: we skip those."),
        ("all delivered", "Perfect."),
    )
    batches = 24
    for number in range(1, batches + 1):
        ours, theirs = outcomes[number % len(outcomes)]
        # A batch takes ten minutes or so to replay; the customer checks it straight away.
        steps.append(
            Agent(
                f"Batch {number} of {batches} replayed ({number * 960:,} events so far): {ours}.",
                after=timedelta(minutes=9 + number % 5),
            )
        )
        steps.append(
            Customer(f"Batch {number} confirmed. {theirs}", after=timedelta(minutes=2 + number % 3))
        )
        if number == 9:
            steps.append(
                Customer(
                    "Quick question from finance: will the replayed `invoice.paid` events "
                    "trigger our receipts again?",
                    author="bob@acme.test",
                    after=timedelta(minutes=4),
                )
            )
            steps.append(
                Agent(
                    "Good catch, Bob. They will, unless your handler checks the event id. "
                    "Events keep their original ids, so de-duplicating on `event.id` is enough.",
                    after=timedelta(minutes=11),
                )
            )
            steps.append(
                Customer(
                    "We already de-duplicate on event id. All good.",
                    "bob@acme.test",
                    after=timedelta(minutes=7),
                )
            )
        if number == 16:
            steps.append(
                Customer(
                    "Could you pause for ten minutes? We are deploying a fix.",
                    after=timedelta(minutes=1),
                )
            )
            steps.append(Agent("Paused. Let me know when to resume.", after=timedelta(minutes=2)))
            steps.append(Note("Paused 10 min at customer's request while they deploy."))
            steps.append(Customer("Deployed, please resume.", after=timedelta(minutes=12)))
    steps += [
        Agent(
            "All 24 batches are done: 23,040 events replayed, none outstanding. The DNS change "
            "has been rolled back and we added monitoring for it. I will keep this open a day in "
            "case anything looks odd in your reconciliation.",
            after=timedelta(minutes=10),
        ),
        Customer(
            "Reconciliation matches. Thanks for the hand-holding, Sam!", after=timedelta(hours=21)
        ),
        Agent(
            "Glad to hear it. One last thing: could you confirm whether you want the incident "
            "report sent to alice@acme.test only or to your whole engineering list?"
        ),
    ]
    return tuple(steps)


THREADS = (
    # --- Acme ---------------------------------------------------------------------------------
    DemoThread(
        key="acme-sso-okta",
        opened_ago=timedelta(days=2, hours=4),
        organization="acme",
        customer="alice@acme.test",
        title="SAML SSO with Okta sends users back to the login page",
        text=(
            "We enabled SAML SSO with Okta this morning. Users authenticate in Okta, land back "
            "on /sso/acs and are immediately redirected to the login page again. No error is "
            "shown. Our entity id is https://app.acme.test/saml."
        ),
        priority=1,
        labels=("SSO",),
        steps=(
            Agent(
                "Thanks Alice. A silent loop like that usually means the assertion's audience "
                "does not match the entity id we expect. Could you send a SAML trace (the "
                "SAML-tracer browser extension works well) of one failed login?"
            ),
            Note("Likely audience mismatch; Okta app was cloned from their staging tenant."),
            Customer(
                "The tracer shows the assertion's Audience as `acme-staging`.",
                after=timedelta(hours=22),
            ),
            Agent(
                "That's it: Okta is still sending the staging audience. In the Okta app, set "
                "*Audience URI (SP Entity ID)* to `https://app.acme.test/saml` and try again. "
                "Let me know how it goes."
            ),
        ),
    ),
    DemoThread(
        key="acme-invoice-vat",
        opened_ago=timedelta(days=9, hours=3),
        organization="acme",
        customer="bob@acme.test",
        agent="priya",
        title="VAT number missing on the March invoice",
        text=(
            "Hello, our March invoice (INV-2031) does not show our VAT number GB123456789, so "
            "our accounts team cannot book it. Could you reissue it?"
        ),
        labels=("Billing",),
        steps=(
            Agent(
                "Hi Bob, I've added GB123456789 to your billing profile and reissued INV-2031. "
                "The corrected PDF is available under Settings → Billing → Invoices."
            ),
            Customer("Got it, the new PDF is perfect. Thank you!"),
            Done(),
        ),
    ),
    DemoThread(
        key="acme-rate-limits",
        opened_ago=timedelta(days=1, hours=22),
        organization="acme",
        customer="alice@acme.test",
        title="HTTP 429 from the Orders API during our nightly sync",
        text=(
            "Since Tuesday our nightly sync gets '429 Too Many Requests' from GET /v2/orders "
            "after about 2,000 calls. We have not changed anything. Did the limits change?"
        ),
        priority=2,
        labels=("API",),
        steps=(
            Agent(
                "Hi Alice, the limit is still 600 requests per minute per key, but Tuesday's "
                "release started counting paginated calls individually. Do you follow "
                "the `Retry-After` header when you get a 429?"
            ),
            Customer(
                "We retry after a fixed 1 second, so we probably hammer it. But the sync now "
                "takes 3 hours instead of 40 minutes and it blocks our morning reports."
            ),
            Priority(0),
            Note("Escalated to urgent: blocks their morning reporting. Asked API team re: limit."),
            Customer(
                "Any update? This failed again last night and the sales team had no numbers "
                "this morning.",
                after=timedelta(hours=40),
            ),
        ),
    ),
    DemoThread(
        key="acme-webhook-replay",
        opened_ago=timedelta(days=6, hours=5),
        organization="acme",
        customer="alice@acme.test",
        title="Replaying webhooks missed during the 14 March outage",
        text=(
            "Our order webhooks stopped arriving on 14 March between about 02:00 and 06:00 UTC. "
            "The dashboard shows them as failed. Can you replay them to our endpoint?"
        ),
        priority=1,
        labels=("Webhooks",),
        steps=_webhook_replay_steps(),
    ),
    DemoThread(
        key="acme-seats",
        opened_ago=timedelta(hours=7),
        organization="acme",
        customer="bob@acme.test",
        agent="priya",
        title="Adding 15 seats before the end of the quarter",
        text=(
            "We'd like to add 15 seats to our Business plan before 30 June. Can the extra "
            "seats be co-termed with our current contract?"
        ),
        labels=("Billing",),
        steps=(
            Agent(
                "Hi Bob, yes: the 15 seats would be prorated to your renewal date, 1 October. "
                "I've sent a quote to your inbox. Once we have the signed PO we can activate them."
            ),
            Customer("Thanks. Procurement needs about two weeks to issue the PO."),
            Agent("No problem, I'll check back in two weeks."),
            Snooze(hours=24 * 14),
        ),
    ),
    DemoThread(
        key="acme-csv-export",
        opened_ago=timedelta(minutes=45),
        organization="acme",
        customer="bob@acme.test",
        title="CSV export stops at 10,000 rows",
        text=(
            "Exporting the transactions report to CSV gives exactly 10,000 rows, but the "
            "report shows 14,532. Is there a limit we can raise?"
        ),
        priority=3,
    ),
    DemoThread(
        key="acme-security-review",
        opened_ago=timedelta(days=4, hours=2),
        organization="acme",
        customer="alice@acme.test",
        channel="email",
        title="Security questionnaire for our annual vendor review",
        text=(
            "Hi team,\n\nAs part of our annual vendor review our security team needs the "
            "attached questionnaire filled in, plus your latest SOC 2 Type II report. Our "
            "deadline is the end of next month.\n\nBest,\nAlice"
        ),
        steps=(
            Agent(
                "Hi Alice,\n\nHappy to help. I've requested the SOC 2 report from our "
                "compliance team; it needs an NDA, which I'll send separately. We'll return the "
                "questionnaire within ten working days.\n\nSam",
                after=timedelta(hours=3),
            ),
        ),
    ),
    # --- Globex -------------------------------------------------------------------------------
    DemoThread(
        key="globex-api-keys",
        opened_ago=timedelta(days=8, hours=1),
        organization="globex",
        customer="carol@globex.test",
        title="Rotating API keys without downtime",
        text=(
            "We need to rotate our production API key as part of our quarterly policy. Is "
            "there a way to do it without a window where requests fail?"
        ),
        labels=("API",),
        steps=(
            Agent(
                "Hi Carol, yes: create the new key first (Settings → API keys), deploy it, and "
                "only then revoke the old one. Both keys work side by side until you revoke."
            ),
            Customer(
                "Done, rotated without a single failed request. Thanks!", after=timedelta(days=1)
            ),
            Done(),
        ),
    ),
    DemoThread(
        key="globex-scim",
        opened_ago=timedelta(days=3, hours=7),
        organization="globex",
        customer="carol@globex.test",
        title="SCIM provisioning creates duplicate users",
        text=(
            "Since we connected Azure AD via SCIM, every user who already existed gets a "
            "second account instead of being linked. We have 37 duplicates now."
        ),
        priority=1,
        labels=("SSO",),
        steps=(
            Agent(
                "Hi Carol, SCIM links existing users by email only when the `userName` "
                "attribute matches exactly, including case. Azure sends the UPN by default. "
                "Could you check whether your UPNs differ from the email addresses?"
            ),
            Note("Known issue with Azure UPN mapping, see KB-112. Merge script available."),
            Agent(
                "Once the mapping is fixed I can merge the 37 duplicates for you; just confirm "
                "which account of each pair should be kept (usually the older one)."
            ),
        ),
    ),
    DemoThread(
        key="globex-data-residency",
        opened_ago=timedelta(hours=9),
        organization="globex",
        customer="carol@globex.test",
        title="Moving our workspace to the EU region",
        text=(
            "Our legal team asks whether our workspace data can be hosted in the EU. What "
            "does a migration involve and is there downtime?"
        ),
        agent="priya",
        steps=(
            Agent(
                "Hi Carol, an EU migration takes about 30 minutes of read-only time, scheduled "
                "with you. I've sent the data processing addendum for your legal team to review."
            ),
            Customer("Thanks, legal will review it at their meeting in three weeks."),
            Snooze(hours=24 * 21),
        ),
    ),
    DemoThread(
        key="globex-webhook-signature",
        opened_ago=timedelta(days=1, hours=3),
        organization="globex",
        customer="carol@globex.test",
        title="Webhook signature verification fails in Node.js",
        text=(
            "We verify the X-Signature header with HMAC-SHA256 as documented, but the "
            "digests never match. We use Express with express.json()."
        ),
        labels=("Webhooks",),
        steps=(
            Agent(
                "Hi Carol, the signature covers the raw request body. `express.json()` parses "
                "and re-serialises it, which changes whitespace. Use `express.raw({ type: "
                "'application/json' })` on the webhook route and hash the buffer."
            ),
            Customer(
                "Switched to `express.raw`, but it still fails in staging. Could the staging "
                "signing secret be different from production?",
                after=timedelta(hours=22),
            ),
        ),
    ),
    DemoThread(
        key="globex-double-charge",
        opened_ago=timedelta(days=8, hours=18),
        organization="globex",
        customer="carol@globex.test",
        agent="priya",
        channel="email",
        title="Invoice INV-2044 was charged twice",
        text=(
            "Hello,\n\nOur card was charged twice for invoice INV-2044 (EUR 1,240.00) on "
            "2 May. Could you refund the duplicate charge?\n\nKind regards,\nCarol Chen"
        ),
        labels=("Billing",),
        steps=(
            Agent(
                "Hi Carol,\n\nYou're right, a retry on our side captured the payment twice. "
                "I've refunded EUR 1,240.00; it should reach your card within 5-10 business "
                "days.\n\nApologies for the trouble,\nPriya"
            ),
            Customer("Refund received, thank you for the quick fix.", after=timedelta(days=6)),
            Done(),
        ),
    ),
)
