"""The help center pages: who sees which help center, drafts never, article HTML inert, the
cache keeping warm views off Plain, Plain down, suggestions while typing a title."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.helpcenter.models import SuggestionOpen
from tests.portal.helpcenter.html import Node, parse

pytestmark = pytest.mark.django_db

INDEX = "/help/"


def _page(response) -> Node:
    assert response.status_code == 200, response.status_code
    return parse(response.content)


def _main(response) -> Node:
    main = _page(response).find("main")
    assert main is not None
    return main


def _links(response) -> set[str]:
    return {
        a.attrs["href"]
        for a in _main(response).find_all("a")
        if a.attrs.get("href", "").startswith("/help/articles/")
    }


def _article_url(slug: str) -> str:
    return reverse("helpcenter:article", args=[slug])


def test_the_index_lists_published_articles_of_public_and_own_private_help_centers(
    alice_client, library
):
    links = _links(alice_client.get(INDEX))

    assert links == {
        _article_url(s) for s in ("export-data", "reset-password", "hostile", "acme-contract")
    }


def test_a_private_help_center_is_not_shown_to_another_organisation(carol_client, library):
    links = _links(carol_client.get(INDEX))

    assert _article_url("acme-contract") not in links
    assert _article_url("export-data") in links
    assert carol_client.get(_article_url("acme-contract")).status_code == 404


def test_a_private_help_center_naming_the_customer_is_shown_to_them(
    carol_client, carol, library, plain
):
    from plain_gateway.types import HelpCenterAccess
    from portal.tenancy.services import plain_customer_ensure

    customer_id = plain_customer_ensure(user=carol)
    plain.update_help_center(
        help_center_id=library.private_id,
        access=HelpCenterAccess(customer_ids=frozenset({customer_id})),
    )

    assert carol_client.get(_article_url("acme-contract")).status_code == 200


def test_a_private_help_center_matched_by_plain_tenant_id(carol_client, globex, library, plain):
    from plain_gateway.types import HelpCenterAccess

    tenant, _ = plain.upsert_tenant(external_id=globex.tenant_external_id, name=globex.name)
    globex.plain_tenant_id = tenant.id
    globex.save()
    plain.update_help_center(
        help_center_id=library.private_id,
        access=HelpCenterAccess(tenant_ids=frozenset({tenant.id})),
    )

    assert carol_client.get(_article_url("acme-contract")).status_code == 200


@pytest.mark.parametrize("slug", ["export-draft", "runbook", "no-such-article"])
def test_drafts_internal_articles_and_unknown_slugs_are_404(alice_client, library, slug):
    assert alice_client.get(_article_url(slug)).status_code == 404


def test_drafts_and_internal_articles_are_never_found_by_search(alice_client, library):
    for term in ("draftword", "internalword", "export"):
        links = _links(alice_client.get(INDEX, {"q": term}))
        assert _article_url("export-draft") not in links
        assert _article_url("runbook") not in links

    assert _links(alice_client.get(INDEX, {"q": "privateword"})) == {_article_url("acme-contract")}
    assert _links(alice_client.get(INDEX, {"q": "export csv"})) == {_article_url("export-data")}


def test_search_of_another_organisation_does_not_find_a_private_article(carol_client, library):
    assert _links(carol_client.get(INDEX, {"q": "privateword"})) == set()


def test_a_one_character_search_asks_nothing(alice_client, library, emulator_control):
    emulator_control.clear_requests()

    main = _main(alice_client.get(INDEX, {"q": "x"}))

    assert "at least two characters" in main.text()
    operations = [r["operationName"] for r in emulator_control.requests()]
    assert "searchKnowledgeSources" not in operations


def test_an_article_is_rendered_with_its_html_sanitised(alice_client, library):
    body = _page(alice_client.get(_article_url("hostile"))).find(class_="help-article__body")

    assert body is not None
    assert [h.text() for h in body.find_all("h2")] == ["Steps"]
    assert body.find("li") is not None and body.find("table") is not None
    assert [c.text() for c in body.find_all("code")] == ["code()"]
    assert [n.tag for n in body.iter() if n.tag in ("script", "style", "iframe", "img")] == []
    for element in body.iter():
        assert not [name for name in element.attrs if name.lower().startswith("on")]
    hrefs = [a.attrs.get("href", "") for a in body.find_all("a")]
    assert all(not h.strip().lower().startswith("javascript:") for h in hrefs)
    safe = body.find("a", href="https://ok.test/")
    assert safe is not None
    assert set(safe.attrs["rel"].split()) == {"noopener", "noreferrer", "nofollow"}


def test_titles_from_plain_are_text(alice_client, plain, library):
    plain.upsert_help_center_article(
        help_center_id=library.public_id,
        title="<b>bold</b> <script>x()</script>",
        slug="html-title",
        content_html="",
        status="PUBLISHED",
    )

    main = _main(alice_client.get(INDEX))

    assert main.find_all("script") == [] and main.find_all("b") == []
    assert "<b>bold</b>" in main.text()


def test_a_warm_index_and_article_ask_plain_nothing(alice_client, library, emulator_control):
    alice_client.get(INDEX)
    alice_client.get(_article_url("export-data"))
    emulator_control.clear_requests()

    assert alice_client.get(INDEX).status_code == 200
    assert alice_client.get(_article_url("export-data")).status_code == 200
    assert alice_client.get(reverse("helpcenter:suggest"), {"q": "export"}).status_code == 200

    assert emulator_control.requests() == []


def test_plain_down_is_a_clear_page_not_a_500(alice_client, library, emulator_control):
    emulator_control.fail_next(count=50, status=503)

    response = alice_client.get(INDEX)

    assert response.status_code == 503
    assert [h.text() for h in parse(response.content).find_all("h1")] == [
        "We could not load this page"
    ]


def test_the_help_center_needs_a_login(client, library):
    for url in (INDEX, _article_url("export-data"), reverse("helpcenter:suggest")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- suggestions and deflection ----------------------------------------------------------------


def _suggested(response) -> list[str]:
    return [a.attrs["href"] for a in _page(response).find_all("a")]


def test_a_title_suggests_matching_published_articles(alice_client, library):
    hrefs = _suggested(alice_client.get(reverse("helpcenter:suggest"), {"q": "Exporting my data"}))

    assert hrefs[0] == _article_url("export-data") + "?from=suggest"
    assert _article_url("export-draft") + "?from=suggest" not in hrefs
    assert _article_url("runbook") + "?from=suggest" not in hrefs


def test_the_title_field_name_is_accepted_and_nothing_matching_answers_empty(alice_client, library):
    found = _suggested(alice_client.get(reverse("helpcenter:suggest"), {"title": "password"}))
    nothing = alice_client.get(reverse("helpcenter:suggest"), {"q": "printer on fire"})

    assert found == [_article_url("reset-password") + "?from=suggest"]
    assert nothing.status_code == 200 and _page(nothing).find("a") is None


def test_suggestions_never_offer_a_draft_or_another_organisations_article(carol_client, library):
    response = carol_client.get(reverse("helpcenter:suggest"), {"q": "export contract roadmap"})
    hrefs = _suggested(response)

    assert _article_url("acme-contract") + "?from=suggest" not in hrefs
    assert _article_url("export-draft") + "?from=suggest" not in hrefs


def test_the_new_request_form_asks_for_suggestions_as_the_title_is_typed(alice_client, library):
    page = _page(alice_client.get(reverse("support:thread_create")))

    title = page.find("input", name="title")
    assert title is not None
    assert title.attrs["hx-get"] == reverse("helpcenter:suggest")
    assert "keyup changed delay:300ms" in title.attrs["hx-trigger"]
    assert title.attrs["hx-target"] == "#help-suggestions"
    assert page.find(id="help-suggestions") is not None


def test_opening_a_suggestion_is_counted_once_and_redirects_to_the_article(
    alice_client, alice, library
):
    response = alice_client.get(_article_url("export-data") + "?from=suggest")

    assert response.status_code == 302
    assert response["Location"] == _article_url("export-data")
    opened = SuggestionOpen.objects.get()
    assert (opened.user, opened.article_slug) == (alice, "export-data")
    alice_client.get(_article_url("export-data"))
    assert SuggestionOpen.objects.count() == 1
