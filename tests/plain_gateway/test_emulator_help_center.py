"""The help center family: help centers, groups, articles, the navigation index and knowledge
search, through the real PlainClient (and raw GraphQL where the client has no method)."""

from __future__ import annotations

from typing import Any

import pytest

from plain_gateway import PlainMutationError
from plain_gateway.types import HelpCenterAccess

PUBLISHED, DRAFT = "PUBLISHED", "DRAFT"


@pytest.fixture
def events(emulator_app: Any) -> list[Any]:
    seen: list[Any] = []
    emulator_app.state.store.subscribe("*", seen.append)
    return seen


@pytest.fixture
def center(plain: Any) -> Any:
    return plain.create_help_center(
        public_name="Acme Help", internal_name="acme", type="PUBLIC", subdomain="acme-help"
    )


def test_a_help_center_is_created_and_listed_with_its_type_and_no_access(plain, center):
    listed = plain.help_centers().items

    assert [h.id for h in listed] == [center.id]
    assert listed[0].type == "PUBLIC"
    assert listed[0].public_name == "Acme Help"
    assert listed[0].access == HelpCenterAccess()


def test_access_is_stored_and_answered_as_given(plain, center):
    access = HelpCenterAccess(tenant_ids=frozenset({"te_1"}), customer_ids=frozenset({"c_1"}))

    updated = plain.update_help_center(help_center_id=center.id, type="PRIVATE", access=access)

    assert updated.type == "PRIVATE"
    assert updated.access == access
    assert plain.help_centers().items[0].access == access


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"public_name": " "}, "publicName"),
        ({"subdomain": "A!"}, "subdomain"),
        ({"subdomain": "-ab"}, "subdomain"),
    ],
)
def test_a_help_center_with_a_bad_field_is_refused_naming_it(plain, changes, field):
    arguments = {
        "public_name": "Help",
        "internal_name": "help",
        "type": "PUBLIC",
        "subdomain": "good-one",
        **changes,
    }

    with pytest.raises(PlainMutationError) as refused:
        plain.create_help_center(**arguments)

    assert refused.value.code == "input_validation"
    assert [f.field for f in refused.value.fields] == [field]
    assert plain.help_centers().items == ()


def test_a_subdomain_is_one_help_centers_only(plain, center):
    with pytest.raises(PlainMutationError) as refused:
        plain.create_help_center(
            public_name="Other", internal_name="o", type="PUBLIC", subdomain="acme-help"
        )

    assert [f.field for f in refused.value.fields] == ["subdomain"]


def test_an_article_is_a_draft_unless_published_and_read_by_id_and_slug(plain, center):
    draft = plain.upsert_help_center_article(
        help_center_id=center.id, title="Export your data", content_html="<p>Go to Settings</p>"
    )
    published = plain.upsert_help_center_article(
        help_center_id=center.id,
        title="Reset a password",
        content_html="<p>x</p>",
        status=PUBLISHED,
    )

    assert draft.status == DRAFT
    assert draft.slug == "export-your-data"
    assert published.status == PUBLISHED
    assert plain.help_center_article(article_id=draft.id).content_html == "<p>Go to Settings</p>"
    by_slug = plain.help_center_article_by_slug(help_center_id=center.id, slug="reset-a-password")
    assert by_slug.id == published.id
    assert by_slug.help_center_id == center.id
    assert plain.help_center_article_by_slug(help_center_id=center.id, slug="nope") is None
    assert plain.help_center_article(article_id="hca_unknown") is None


def test_an_upsert_with_an_id_updates_that_article_and_keeps_its_status_and_slug(plain, center):
    article = plain.upsert_help_center_article(
        help_center_id=center.id, title="Old", content_html="<p>a</p>", status=PUBLISHED
    )

    updated = plain.upsert_help_center_article(
        help_center_id=center.id, article_id=article.id, title="New", content_html="<p>b</p>"
    )

    assert (updated.id, updated.title, updated.content_html) == (article.id, "New", "<p>b</p>")
    assert (updated.status, updated.slug) == (PUBLISHED, "old")


def test_slugs_are_unique_in_a_help_center(plain, center):
    first = plain.upsert_help_center_article(
        help_center_id=center.id, title="Billing", content_html=""
    )
    second = plain.upsert_help_center_article(
        help_center_id=center.id, title="Billing", content_html=""
    )

    assert (first.slug, second.slug) == ("billing", "billing-2")
    with pytest.raises(PlainMutationError) as refused:
        plain.upsert_help_center_article(
            help_center_id=center.id, title="x", content_html="", slug="billing"
        )
    assert [f.field for f in refused.value.fields] == ["slug"]


@pytest.mark.parametrize("slug", ["Has Caps", "under_score", "-dash", ""])
def test_a_malformed_slug_is_refused(plain, center, slug):
    with pytest.raises(PlainMutationError) as refused:
        plain.upsert_help_center_article(
            help_center_id=center.id, title="x", content_html="", slug=slug
        )

    assert refused.value.code == "input_validation"


def test_an_article_of_an_unknown_help_center_or_group_is_not_found(plain, center):
    with pytest.raises(PlainMutationError) as refused:
        plain.upsert_help_center_article(help_center_id="hc_nope", title="x", content_html="")
    assert refused.value.code == "not_found"

    with pytest.raises(PlainMutationError) as refused:
        plain.upsert_help_center_article(
            help_center_id=center.id, title="x", content_html="", group_id="hcag_nope"
        )
    assert [f.field for f in refused.value.fields] == ["helpCenterArticleGroupId"]


def test_the_index_lists_groups_then_their_articles_with_status_and_a_changing_hash(plain, center):
    loose = plain.upsert_help_center_article(
        help_center_id=center.id, title="Loose", content_html="", status=PUBLISHED
    )
    before = plain.help_center_index(help_center_id=center.id)
    group_id = plain.create_help_center_article_group(help_center_id=center.id, name="Billing")
    inner = plain.upsert_help_center_article(
        help_center_id=center.id, title="Invoices", content_html="", group_id=group_id
    )

    index = plain.help_center_index(help_center_id=center.id)

    assert [(i.type, i.id, i.parent_id, i.status) for i in index.items] == [
        ("ARTICLE_GROUP", group_id, None, None),
        ("ARTICLE", inner.id, group_id, DRAFT),
        ("ARTICLE", loose.id, None, PUBLISHED),
    ]
    assert index.hash != before.hash
    assert plain.help_center_article(article_id=inner.id).group_name == "Billing"
    assert plain.help_center_index(help_center_id="hc_nope") is None


def test_search_matches_every_word_in_title_or_text_drafts_included(plain, center):
    plain.upsert_help_center_article(
        help_center_id=center.id,
        title="Export your data",
        content_html="<p>Open <b>Settings</b> and choose CSV.</p>",
        status=PUBLISHED,
    )
    plain.upsert_help_center_article(
        help_center_id=center.id, title="Secret export plans", content_html="<p>csv soon</p>"
    )
    plain.upsert_help_center_article(
        help_center_id=center.id, title="Invoices", content_html="<p>Monthly.</p>", status=PUBLISHED
    )

    hits = plain.search_knowledge_sources(query="export CSV")

    assert {(h.title, h.status) for h in hits} == {
        ("Secret export plans", DRAFT),
        ("Export your data", PUBLISHED),
    }
    published = next(h for h in hits if h.is_published)
    assert published.content == "Open Settings and choose CSV."
    assert published.help_center_id == center.id
    assert plain.search_knowledge_sources(query="nothing-like-it") == ()


def test_search_ranks_title_matches_first(plain, center):
    plain.upsert_help_center_article(
        help_center_id=center.id, title="Getting started", content_html="<p>Invoices here</p>"
    )
    plain.upsert_help_center_article(
        help_center_id=center.id, title="Invoices", content_html="<p>All about them</p>"
    )

    hits = plain.search_knowledge_sources(query="invoices")

    assert [h.title for h in hits] == ["Invoices", "Getting started"]


def test_internal_help_centers_are_searched_only_when_asked(plain):
    internal = plain.create_help_center(
        public_name="Runbooks", internal_name="rb", type="INTERNAL", subdomain="runbooks"
    )
    plain.upsert_help_center_article(
        help_center_id=internal.id, title="Restart the export worker", content_html=""
    )

    assert plain.search_knowledge_sources(query="export worker") == ()
    assert (
        len(plain.search_knowledge_sources(query="worker", include_non_customer_facing=True)) == 1
    )


def test_search_refuses_an_out_of_range_page_size(graphql):
    body = graphql(
        '{ searchKnowledgeSources(searchQuery: "x", pageSize: 0) { __typename } }',
        expect_errors=True,
    )

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_an_article_asked_for_with_every_field_is_answered(plain, center, graphql):
    article = plain.upsert_help_center_article(
        help_center_id=center.id, title="Everything", content_html="<p>x</p>", status=PUBLISHED
    )
    document = """
    query q($id: ID!) { helpCenterArticle(id: $id) { id title description icon contentHtml slug
      status statusChangedAt { iso8601 } statusChangedBy { __typename } createdAt { iso8601 }
      updatedBy { __typename } articleGroup { id }
      helpCenter { id type publicName internalName description isChatEnabled isDeleted color
        headCustomJs domainSettings { domainName customDomainName }
        portalSettings { isEnabled formFields { __typename } threadVisibility { customerTenants } }
        articleCopyOptions { isEnabled options { isMarkdownEnabled } }
        favicon { light { id } } logo { dark { id } } socialPreviewImage { id }
        access { tenantIds }
        authMechanism { __typename ... on HelpCenterAuthMechanismWorkosAuthkit { type } }
        publishedAt { iso8601 } deletedAt { iso8601 }
        articles(first: 5) { edges { node { id } } }
        articleGroups(first: 5) { edges { node { id } } } } } }
    """

    data = graphql(document, id=article.id)["data"]["helpCenterArticle"]

    assert (
        data["helpCenter"]["domainSettings"]["domainName"] == "acme-help.help.emulator.plain.test"
    )
    assert data["helpCenter"]["authMechanism"]["type"] == "WORKOS_AUTHKIT"
    assert data["helpCenter"]["favicon"] == {"light": None}
    assert data["helpCenter"]["access"] is None
    assert [e["node"]["id"] for e in data["helpCenter"]["articles"]["edges"]] == [article.id]


def test_images_and_portal_settings_are_refused_loudly_not_ignored(graphql, center):
    body = graphql(
        "mutation m($i: UpdateHelpCenterInput!) { updateHelpCenter(input: $i) { error { code } } }",
        i={"helpCenterId": center.id, "portalSettings": {"isEnabled": True}},
        expect_errors=True,
    )

    assert "portalSettings" in body["errors"][0]["message"]


def test_a_write_emits_its_event_and_a_refused_one_none(plain, center, events):
    events.clear()
    article = plain.upsert_help_center_article(
        help_center_id=center.id, title="One", content_html=""
    )
    with pytest.raises(PlainMutationError):
        plain.upsert_help_center_article(help_center_id=center.id, title=" ", content_html="")

    assert [(e.name, e.payload.get("help_center_article_id")) for e in events] == [
        ("help_center.help_center_article_created", article.id)
    ]


def test_deleting_a_help_center_takes_its_articles(plain, center, graphql):
    article = plain.upsert_help_center_article(
        help_center_id=center.id, title="One", content_html=""
    )

    graphql(
        "mutation m($i: DeleteHelpCenterInput!) { deleteHelpCenter(input: $i) { error { code } } }",
        i={"helpCenterId": center.id},
    )

    assert plain.help_centers().items == ()
    assert plain.help_center_article(article_id=article.id) is None
