"""The demo's help center: one PUBLIC help center, two groups, six published articles and a
draft, written through Plain's API (so it also seeds a standalone emulator or a real workspace).

Idempotent: the help center is found by its public name, groups and articles by slug in its
index; only what is missing is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from plain_gateway import PlainClient, iter_items
from plain_gateway.types import HelpCenterArticleStatus, HelpCenterType

__all__ = ["DEMO_ARTICLES", "DEMO_HELP_CENTER_NAME", "demo_help_center_ensure"]

DEMO_HELP_CENTER_NAME = "Acme Cloud Help"
DEMO_HELP_CENTER_SUBDOMAIN = "acme-cloud-help"


@dataclass(frozen=True, slots=True)
class DemoArticle:
    slug: str
    title: str
    description: str
    html: str
    group: str  # the group's slug
    published: bool = True


DEMO_GROUPS = {"getting-started": "Getting started", "billing": "Billing and accounts"}

DEMO_ARTICLES = (
    DemoArticle(
        "export-your-data",
        "Export your data as CSV",
        "Download projects, invoices and usage reports.",
        "<h2>From the dashboard</h2><ol><li>Open <strong>Settings</strong> → "
        "<strong>Data</strong>.</li><li>Choose what to export.</li><li>Press "
        "<em>Export CSV</em>; the file arrives by email within minutes.</li></ol>"
        "<p>Large exports are split into parts of 100&nbsp;MB.</p>",
        "getting-started",
    ),
    DemoArticle(
        "invite-your-team",
        "Invite your team",
        "Add colleagues and choose their role.",
        "<p>Go to <strong>Team</strong> and press <em>Invite</em>. Each person gets an email "
        "link valid for 7 days.</p><ul><li>Admins manage billing.</li><li>Members see every "
        "project.</li></ul>",
        "getting-started",
    ),
    DemoArticle(
        "api-keys",
        "Create and rotate API keys",
        "Keys for the REST API and how to replace them safely.",
        "<p>Create a key under <strong>Settings</strong> → <strong>API</strong>. To rotate, "
        "create the new key, deploy it, then revoke the old one:</p>"
        "<pre><code>curl -H 'Authorization: Bearer NEW_KEY' https://api.acme.test/v1/ping</code>"
        "</pre>",
        "getting-started",
    ),
    DemoArticle(
        "reset-your-password",
        "Reset your password",
        "When you cannot sign in.",
        "<p>On the sign-in page choose <em>Forgot password</em>. The reset link works once "
        "and for one hour.</p>",
        "billing",
    ),
    DemoArticle(
        "download-invoices",
        "Download invoices and receipts",
        "Every invoice since you signed up, as PDF.",
        "<p>Invoices are under <strong>Billing</strong> → <strong>History</strong>.</p>"
        "<table><thead><tr><th>Plan</th><th>Billed</th></tr></thead><tbody><tr><td>Team</td>"
        "<td>Monthly</td></tr><tr><td>Business</td><td>Yearly</td></tr></tbody></table>",
        "billing",
    ),
    DemoArticle(
        "change-your-plan",
        "Change your plan",
        "Upgrade or downgrade; what happens to your bill.",
        "<p>Upgrades apply at once and are prorated. Downgrades apply at the next renewal. "
        'See <a href="https://acme.test/pricing">our pricing</a>.</p>',
        "billing",
    ),
    DemoArticle(
        "export-v2-preview",
        "Export v2 (preview, not yet public)",
        "Draft: the new export pipeline.",
        "<p>Internal draft: do not publish before the launch.</p>",
        "getting-started",
        published=False,
    ),
)


def demo_help_center_ensure(*, client: PlainClient) -> list[str]:
    """Create what is missing of the demo help center; returns the slugs of articles created."""
    center = next(
        (
            h
            for h in iter_items(lambda after: client.help_centers(first=50, after=after))
            if h.public_name == DEMO_HELP_CENTER_NAME
        ),
        None,
    )
    if center is None:
        center = client.create_help_center(
            public_name=DEMO_HELP_CENTER_NAME,
            internal_name="acme-cloud",
            type=HelpCenterType.PUBLIC,
            subdomain=DEMO_HELP_CENTER_SUBDOMAIN,
            description="Answers to the questions Acme Cloud customers ask most.",
        )
    index = client.help_center_index(help_center_id=center.id)
    items = index.items if index else ()
    groups = {i.slug: i.id for i in items if i.is_group}
    articles = {i.slug for i in items if not i.is_group}
    for slug, name in DEMO_GROUPS.items():
        if slug not in groups:
            groups[slug] = client.create_help_center_article_group(
                help_center_id=center.id, name=name, slug=slug
            )
    created = []
    for article in DEMO_ARTICLES:
        if article.slug in articles:
            continue
        client.upsert_help_center_article(
            help_center_id=center.id,
            title=article.title,
            description=article.description,
            content_html=article.html,
            slug=article.slug,
            group_id=groups[article.group],
            status=(
                HelpCenterArticleStatus.PUBLISHED
                if article.published
                else HelpCenterArticleStatus.DRAFT
            ),
        )
        created.append(article.slug)
    return created
