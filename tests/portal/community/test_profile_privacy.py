"""A member's profile must not reveal a community whose membership they keep private,
neither by listing what they posted there nor by counting it."""

from __future__ import annotations

import re

import pytest

from portal.community import contributions, services
from portal.community.questions import votes
from portal.community.threads import services as threads

SECRET_TITLE = "Does pyrazinamide shorten treatment for latent tuberculosis?"


def counts(page: str) -> str:
    """The profile's line of counts, whitespace folded."""
    found = re.search(r"\d+ questions? proposed[^<]*", page)
    assert found, page
    return " ".join(found.group(0).split())


@pytest.fixture
def alice_in_secret(session, community, other_community, person, propose):
    """Alice shows her colon-cancer membership but keeps tuberculosis private, and is
    active in both; Bob has the same public activity and nothing else."""
    alice = person("alice", member_of=(community, other_community))
    bob = person("bob", member_of=(community,))
    services.set_visible(session, alice, {community.id})
    services.set_visible(session, bob, {community.id})
    session.commit()
    for author in (alice, bob):
        shown = propose(community, author, f"Public question by {author.username}?")
        threads.add(session, shown, author, "A public comment.")
    secret = propose(other_community, alice, SECRET_TITLE)
    threads.add(session, secret, alice, "A comment where she keeps quiet about being a member.")
    session.commit()
    votes.support(session, secret, alice)
    session.commit()
    return alice, bob


def assert_nothing_of_the_secret(page: str) -> None:
    assert SECRET_TITLE not in page
    assert "Tuberculosis" not in page
    assert "tuberculosis" not in page  # the slug, in any link


@pytest.mark.usefixtures("alice_in_secret")
@pytest.mark.parametrize("viewer", [None, "carol"])
def test_others_see_nothing_of_a_private_membership(app, person, login, viewer):
    if viewer is None:
        client = app.test_client()
    else:
        person(viewer)
        client = login(viewer)
    alice_page = client.get("/u/alice").get_data(as_text=True)
    bob_page = client.get("/u/bob").get_data(as_text=True)
    assert "Public question by alice?" in alice_page
    assert_nothing_of_the_secret(alice_page)
    assert (
        counts(alice_page)
        == counts(bob_page)
        == ("1 question proposed · 1 comment · 0 questions supported")
    )


def test_the_member_sees_all_of_her_own(alice_in_secret, login):
    page = login("alice").get("/u/alice").get_data(as_text=True)
    assert SECRET_TITLE in page and "in Tuberculosis" in page
    assert counts(page) == "2 questions proposed · 2 comments · 1 question supported"


def test_the_communitys_moderators_see_it(alice_in_secret, other_community, person, login):
    # They see the membership in the member list already (policy.can_see_membership),
    # so the contributions tell them nothing new.
    person("moira", moderator_of=(other_community,))
    page = login("moira").get("/u/alice").get_data(as_text=True)
    assert SECRET_TITLE in page
    assert counts(page).startswith("2 questions proposed")


def test_a_moderator_elsewhere_does_not(alice_in_secret, community, person, login):
    person("moira", moderator_of=(community,))
    assert_nothing_of_the_secret(login("moira").get("/u/alice").get_data(as_text=True))


def test_leaving_does_not_reveal_it(session, alice_in_secret, other_community, app):
    # With the membership gone there is no choice left to honour; the safe reading is
    # the one she made while a member.
    alice, _ = alice_in_secret
    services.leave(session, other_community, alice)
    session.commit()
    page = app.test_client().get("/u/alice").get_data(as_text=True)
    assert_nothing_of_the_secret(page)


def test_the_service_counts_for_the_viewer(session, alice_in_secret):
    alice, _ = alice_in_secret
    seen = contributions.of(session, alice, None)
    assert (seen.question_count, seen.comment_count, seen.support_count) == (1, 1, 0)
    own = contributions.of(session, alice, alice)
    assert (own.question_count, own.comment_count, own.support_count) == (2, 2, 1)
