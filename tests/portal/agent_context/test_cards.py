"""What each customer card shows, read back from the endpoint's JSON with the gateway's strict
component parser: whose data, how much, and never another organisation's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test.utils import CaptureQueriesContext

from plain_gateway.components import (
    Badge,
    Component,
    CopyButton,
    DateTime,
    LinkButton,
    PlainText,
    Row,
    Text,
    components_from_input,
)
from portal.agent_context.cards import card_definitions
from portal.support.models import Submission
from portal.tenancy.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.agent_context.conftest import ALL_KEYS

pytestmark = pytest.mark.django_db

ORGS, MEMBERS, ACTIVITY, LINKS = ALL_KEYS
LOGGED_IN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


# --- reading a card back ------------------------------------------------------------------------


def _parsed(card: dict[str, Any]) -> tuple[Component, ...]:
    assert card["components"] is not None, card
    # Strict: anything Plain would refuse in a card's components raises here.
    return components_from_input(card["components"])


def _leaves(components: tuple[Component, ...]) -> list[Component]:
    found: list[Component] = []
    for component in components:
        if isinstance(component, Row):
            found.extend(component.main)
            found.extend(component.aside)
        else:
            found.append(component)
    return found


def _texts(card: dict[str, Any]) -> list[str]:
    return [c.text for c in _leaves(_parsed(card)) if isinstance(c, PlainText)]


def _badges(card: dict[str, Any]) -> list[str]:
    return [c.label for c in _leaves(_parsed(card)) if isinstance(c, Badge)]


def _rows(card: dict[str, Any]) -> list[Row]:
    return [c for c in _parsed(card) if isinstance(c, Row)]


def _row_for(card: dict[str, Any], text: str) -> Row:
    matches = [
        row for row in _rows(card) if any(getattr(c, "text", None) == text for c in row.main)
    ]
    assert len(matches) == 1, (text, _rows(card))
    return matches[0]


def _member_names(card: dict[str, Any]) -> list[str]:
    """The member rows' names (a member row's main holds the name and then the address)."""
    return [
        row.main[0].text
        for row in _rows(card)
        if len(row.main) == 2 and isinstance(row.main[0], PlainText)
    ]


# --- the data -----------------------------------------------------------------------------------


def _member(org, email: str, name: str, role: str = Membership.Role.MEMBER, **user: Any):
    person = UserFactory(email=email, full_name=name, **user)
    MembershipFactory(user=person, organization=org, role=role)
    return person


@pytest.fixture
def acme():
    return OrganizationFactory(name="Acme", slug="acme")


@pytest.fixture
def globex():
    return OrganizationFactory(name="Globex", slug="globex")


@pytest.fixture
def initech():
    return OrganizationFactory(name="Initech", slug="initech")


@pytest.fixture
def alice(acme):
    return _member(
        acme, "alice@acme.test", "Alice Admin", Membership.Role.ADMIN, last_login=LOGGED_IN
    )


@pytest.fixture
def people(acme, globex, initech, alice):
    """Acme: Alice (admin), Bob, Dave (deactivated). Globex: Carol. Initech: Ivan."""
    return {
        "alice": alice,
        "bob": _member(acme, "bob@acme.test", "Bob Member"),
        "dave": _member(acme, "dave@acme.test", "Dave Gone", is_active=False),
        "carol": _member(globex, "carol@globex.test", "Carol Globex"),
        "ivan": _member(initech, "ivan@initech.test", "Ivan Initech"),
    }


# --- answering every key ------------------------------------------------------------------------


def test_every_requested_key_is_answered_in_order_and_unknown_keys_are_null(ask, people):
    keys = ["not-ours", ACTIVITY, ORGS, "also-unknown", ACTIVITY]
    cards = ask(keys, user=people["alice"])
    assert list(cards) == ["not-ours", ACTIVITY, ORGS, "also-unknown"]
    for key in ("not-ours", "also-unknown"):
        assert cards[key] == {"key": key, "timeToLiveSeconds": None, "components": None}
    assert _parsed(cards[ACTIVITY]) and _parsed(cards[ORGS])


def test_each_card_carries_its_ttl_from_settings(ask, people, settings):
    settings.PLAIN_CUSTOMER_CARDS = [
        {**entry, "ttl_seconds": 100 + n} for n, entry in enumerate(settings.PLAIN_CUSTOMER_CARDS)
    ]
    cards = ask(user=people["alice"])
    assert [cards[key]["timeToLiveSeconds"] for key in ALL_KEYS] == [100, 101, 102, 103]


def test_keys_and_titles_come_from_settings(ask, people, settings):
    settings.PLAIN_CUSTOMER_CARDS = [
        {"kind": "organisations", "key": "orgs_v2", "title": "Orgs", "ttl_seconds": 60}
    ]
    cards = ask(["orgs_v2", ORGS], user=people["alice"])
    assert "Acme" in _texts(cards["orgs_v2"])
    assert cards[ORGS]["components"] is None  # no longer a card of ours


def test_an_unknown_customer_gets_every_card_with_null_components(ask, people):
    cards = ask(email="stranger@example.test", external_id="crm-42")
    for key in ALL_KEYS:
        assert cards[key]["components"] is None
        assert cards[key]["timeToLiveSeconds"] is not None


def test_a_request_for_unknown_keys_only_reads_nothing(ask, people, django_assert_num_queries):
    with django_assert_num_queries(0):
        cards = ask(["a", "b"], user=people["alice"])
    assert [card["components"] for card in cards.values()] == [None, None]


# --- who the customer is ------------------------------------------------------------------------


def test_the_customer_is_found_by_the_external_id_the_portal_gave_them(ask, people):
    # The address is Carol's, but the externalId is Alice's: the externalId wins.
    cards = ask([ORGS], external_id=people["alice"].plain_external_id, email="carol@globex.test")
    assert "Acme" in _texts(cards[ORGS])
    assert "Globex" not in _texts(cards[ORGS])


def test_without_a_matching_external_id_the_address_decides_case_insensitively(ask, people):
    for external_id in (None, "crm-7", "portal-user-00000000-0000-0000-0000-000000000000"):
        cards = ask([ORGS], external_id=external_id, email="  Carol@GLOBEX.test ")
        assert "Globex" in _texts(cards[ORGS]), external_id


def test_a_customer_in_no_organisation_is_told_so(ask, db):
    loner = UserFactory(email="loner@example.test")
    cards = ask(user=loner)
    assert _texts(cards[ORGS]) == ["Not a member of any organisation in the portal."]
    assert cards[MEMBERS]["components"] is None
    links = [c for c in _parsed(cards[LINKS]) if isinstance(c, LinkButton)]
    assert [link.label for link in links] == ["Portal user"]


# --- organisations ------------------------------------------------------------------------------


def test_the_organisations_card_for_a_customer_in_one_organisation(ask, people, acme):
    card = ask([ORGS], user=people["alice"])[ORGS]
    name = _row_for(card, "Acme")
    assert [c.label for c in name.aside if isinstance(c, Badge)] == ["Admin"]
    copy = [c for c in _leaves(_parsed(card)) if isinstance(c, CopyButton)]
    assert [c.value for c in copy] == [acme.tenant_external_id] == ["org-acme"]
    assert "3 members" in _texts(card)
    assert not {"Globex", "Initech"} & set(_texts(card))


def test_the_organisations_card_for_a_customer_in_two_organisations(ask, people, globex):
    MembershipFactory(user=people["bob"], organization=globex)
    card = ask([ORGS], user=people["bob"])[ORGS]
    texts = _texts(card)
    assert [t for t in texts if t in {"Acme", "Globex", "Initech"}] == ["Acme", "Globex"]
    assert "3 members" in texts and "2 members" in texts
    assert [c.label for c in _row_for(card, "Globex").aside if isinstance(c, Badge)] == ["Member"]


def test_many_organisations_are_capped(ask, settings, db):
    settings.PLAIN_CUSTOMER_CARD_MAX_ORGANISATIONS = 2
    joiner = UserFactory(email="joiner@example.test")
    for n in range(5):
        MembershipFactory(user=joiner, organization=OrganizationFactory(name=f"Org {n}"))
    cards = ask([ORGS, MEMBERS, LINKS], user=joiner)
    texts = _texts(cards[ORGS])
    assert [t for t in texts if t.startswith("Org ")] == ["Org 0", "Org 1"]
    assert texts[-1] == "and 3 more organisations"
    assert _texts(cards[MEMBERS])[-1] == "and 3 more organisations"
    assert len([c for c in _parsed(cards[LINKS]) if isinstance(c, LinkButton)]) == 1 + 2


# --- members ------------------------------------------------------------------------------------


def test_the_members_card_shows_the_customers_organisation_only(ask, people):
    card = ask([MEMBERS], user=people["bob"])[MEMBERS]
    # Admins first, then by name.
    assert _member_names(card) == ["Alice Admin", "Bob Member", "Dave Gone"]
    texts = _texts(card)
    assert "alice@acme.test" in texts
    for other in ("Carol Globex", "carol@globex.test", "Ivan Initech", "Globex", "Initech"):
        assert other not in texts


def test_an_inactive_member_is_marked_and_logins_are_dates(ask, people):
    card = ask([MEMBERS], user=people["alice"])[MEMBERS]
    dave = _row_for(card, "Dave Gone")
    assert [c.label for c in dave.aside if isinstance(c, Badge)] == ["Member", "Deactivated"]
    alice = _row_for(card, "Alice Admin")
    assert [c.label for c in alice.aside if isinstance(c, Badge)] == ["Admin"]
    logins = [c.moment for c in _leaves(_parsed(card)) if isinstance(c, DateTime)]
    assert logins == [LOGGED_IN]
    assert _texts(card).count("Never logged in") == 2


def test_a_member_of_two_organisations_sees_both_and_nothing_of_a_third(ask, people, globex):
    MembershipFactory(user=people["bob"], organization=globex)
    card = ask([MEMBERS], user=people["bob"])[MEMBERS]
    texts = _texts(card)
    assert texts.index("Acme") < texts.index("Globex")
    assert _member_names(card) == [
        *("Alice Admin", "Bob Member", "Dave Gone"),
        *("Bob Member", "Carol Globex"),
    ]
    assert "Ivan Initech" not in texts and "Initech" not in texts


def test_a_member_of_a_only_never_sees_bs_members(ask, people):
    # Carol (Globex) is asked about: Acme's members, who share nothing with her, stay hidden.
    card = ask([MEMBERS], user=people["carol"])[MEMBERS]
    assert _member_names(card) == ["Carol Globex"]


def test_members_are_capped_per_organisation_with_and_n_more(ask, settings, acme, alice):
    settings.PLAIN_CUSTOMER_CARD_MAX_MEMBERS = 2
    for n in range(5):
        _member(acme, f"m{n}@acme.test", f"Member {n}")
    card = ask([MEMBERS], user=alice)[MEMBERS]
    assert _member_names(card) == ["Alice Admin", "Member 0"]
    assert _texts(card)[-1] == "and 4 more members"


def test_names_are_plain_text_never_markdown(ask, acme, alice):
    sneaky = "**Boss** [click](https://evil.example) <b>hi</b>"
    _member(acme, "sneaky@acme.test", sneaky)
    acme.name = "_Acme_ <script>"
    acme.save()
    cards = ask(user=alice)
    assert sneaky in _member_names(cards[MEMBERS])
    assert "_Acme_ <script>" in _texts(cards[ORGS])
    for card in cards.values():
        assert not [c for c in _leaves(_parsed(card)) if isinstance(c, Text)]


# --- activity -----------------------------------------------------------------------------------


def _submission(user, kind: str, status: str, title: str = "", minutes_ago: int = 0):
    row = Submission.objects.create(
        user=user, kind=kind, status=status, payload={"title": title, "text": "secret text"}
    )
    Submission.objects.filter(pk=row.pk).update(
        created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago)
    )
    return row


def test_the_activity_card_shows_logins_counts_and_recent_submissions(ask, people, settings):
    settings.PLAIN_CUSTOMER_CARD_MAX_ACTIVITY = 3
    alice = people["alice"]
    D, P, F = Submission.Status.DONE, Submission.Status.PENDING, Submission.Status.FAILED
    _submission(alice, Submission.Kind.THREAD, D, "Oldest", minutes_ago=50)
    _submission(alice, Submission.Kind.THREAD, F, "Export fails", minutes_ago=40)
    _submission(alice, Submission.Kind.REPLY, P, minutes_ago=30)
    _submission(alice, Submission.Kind.THREAD, P, "x" * 200, minutes_ago=20)
    _submission(people["bob"], Submission.Kind.THREAD, F, "Bob's own", minutes_ago=10)
    card = ask([ACTIVITY], user=alice)[ACTIVITY]
    last_login = _row_for(card, "Last login")
    assert [c.moment for c in last_login.aside if isinstance(c, DateTime)] == [LOGGED_IN]
    assert [c.text for c in _row_for(card, "Requests and replies sent").aside] == ["4"]
    assert [c.label for c in _row_for(card, "Waiting to reach Plain").aside] == ["2"]
    assert [c.label for c in _row_for(card, "Failed to reach Plain").aside] == ["1"]
    texts = _texts(card)
    recent = [t for t in texts if t.startswith("New request") or t == "Reply"]
    assert recent == ["New request: " + "x" * 79 + "…", "Reply", "New request: Export fails"]
    assert _badges(card)[-3:] == ["Waiting for Plain", "Waiting for Plain", "Failed"]
    assert "Bob's own" not in " ".join(texts)
    assert "secret text" not in str(card)
    assert "Deactivated" not in _badges(card)


def test_the_activity_of_a_deactivated_customer_says_so(ask, people):
    card = ask([ACTIVITY], user=people["dave"])[ACTIVITY]
    assert [c.label for c in _row_for(card, "Portal account").aside] == ["Deactivated"]
    assert _row_for(card, "Last login").aside == (PlainText(text="Never", size="S", color="MUTED"),)
    assert [c.text for c in _row_for(card, "Requests and replies sent").aside] == ["0"]


# --- staff links --------------------------------------------------------------------------------


def test_the_staff_links_point_into_the_admin_at_the_public_url(ask, people, acme, globex):
    MembershipFactory(user=people["bob"], organization=globex)
    bob = people["bob"]
    card = ask([LINKS], user=bob)[LINKS]
    links = [(c.label, c.url) for c in _parsed(card) if isinstance(c, LinkButton)]
    base = "https://portal.example.test/admin"
    assert links == [
        ("Portal user", f"{base}/accounts/user/{bob.pk}/change/"),
        ("Organisation: Acme", f"{base}/tenancy/organization/{acme.pk}/change/"),
        ("Organisation: Globex", f"{base}/tenancy/organization/{globex.pk}/change/"),
    ]


# --- cost ---------------------------------------------------------------------------------------


def test_answering_every_card_takes_a_bounded_number_of_queries(
    ask, settings, acme, globex, alice, django_assert_max_num_queries
):
    MembershipFactory(user=alice, organization=globex)
    for org, count in ((acme, 40), (globex, 25)):
        for n in range(count):
            _member(org, f"{org.slug}{n}@example.test", f"Person {n}")
    for n in range(8):
        _submission(alice, Submission.Kind.REPLY, Submission.Status.DONE, minutes_ago=n)
    # Find the user (externalId), organisations, members, submissions' counts and latest.
    with django_assert_max_num_queries(5):  # measured: 5
        cards = ask(user=alice)
    assert len(_member_names(cards[MEMBERS])) == 2 * settings.PLAIN_CUSTOMER_CARD_MAX_MEMBERS


def test_the_query_count_does_not_grow_with_the_organisations(ask, acme, alice):
    from django.db import connection

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            ask(user=alice)
        return len(captured)

    few = queries()
    for n in range(30):
        _member(acme, f"more{n}@acme.test", f"More {n}")
        MembershipFactory(user=alice, organization=OrganizationFactory(name=f"Extra {n}"))
    assert queries() == few


# --- the settings -------------------------------------------------------------------------------


def test_the_default_settings_are_valid():
    assert [card.key for card in card_definitions()] == list(ALL_KEYS)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "weather"}, "unknown kind"),
        ({"key": "has space"}, "a key may hold only"),
        ({"title": "  "}, "title is empty"),
        ({"ttl_seconds": 14}, "ttl_seconds must be"),
        ({"ttl_seconds": 31_536_001}, "ttl_seconds must be"),
        ({"ttl_seconds": "soon"}, "integer ttl_seconds"),
    ],
)
def test_invalid_settings_are_refused_with_a_clear_message(settings, entry, message):
    good = {"kind": "activity", "key": "k", "title": "T", "ttl_seconds": 60}
    settings.PLAIN_CUSTOMER_CARDS = [{**good, **entry}]
    with pytest.raises(ImproperlyConfigured, match=message):
        card_definitions()


def test_duplicate_keys_and_too_many_cards_are_refused(settings):
    good = {"kind": "activity", "key": "k", "title": "T", "ttl_seconds": 60}
    settings.PLAIN_CUSTOMER_CARDS = [good, {**good, "kind": "members"}]
    with pytest.raises(ImproperlyConfigured, match="used twice"):
        card_definitions()
    settings.PLAIN_CUSTOMER_CARDS = [{**good, "key": f"k{n}"} for n in range(26)]
    with pytest.raises(ImproperlyConfigured, match="at most 25"):
        card_definitions()
