"""A community's page: description, members, moderators, its questions, a place for data."""

from __future__ import annotations

from portal.community import services
from portal.community.questions import votes
from portal.community.threads import services as threads
from tests.portal.community.conftest import SLUG


def test_the_community_page_shows_members_moderators_and_top_questions(
    community, person, propose, session, client
):
    moira = person("moira", moderator_of=(community,))
    sam = person("sam", member_of=(community,))
    person("priya", member_of=(community,))
    for shown in (moira, sam):
        services.set_visible(session, shown, {community.id})
    popular = propose(community, sam, "Which adjuvant treatment helps most after surgery?")
    quiet = propose(community, sam, "Does follow-up by phone work as well as in clinic?")
    votes.support(session, popular, moira)
    session.commit()
    page = client.get(f"/communities/{SLUG}").get_data(as_text=True)
    assert "3 members" in page
    assert 'href="/u/moira"' in page and ">moderator</span>" in page and 'href="/u/sam"' in page
    assert "/u/priya" not in page and "1 more, who keep their membership private" in page
    assert page.index(popular.title) < page.index(quiet.title), "top questions first"
    assert "Datasets and analyses" in page, "the place the datasets features will fill"
    assert f'href="/communities/{SLUG}/questions/"' in page


def test_moderators_see_a_link_to_their_queue_and_members_do_not(community, person, login):
    person("moira", moderator_of=(community,))
    person("sam", member_of=(community,))
    assert "Moderation queue (0)" in login("moira").get(f"/communities/{SLUG}").get_data(
        as_text=True
    )
    assert "Moderation queue" not in login("sam").get(f"/communities/{SLUG}").get_data(as_text=True)


def test_the_index_counts_open_questions(community, person, propose, client):
    propose(community, person("sam", member_of=(community,)))
    assert "1 member · 1 open question" in client.get("/communities/").get_data(as_text=True)


def test_a_profile_shows_communities_and_contributions(community, person, propose, session, client):
    sam = person("sam", member_of=(community,))
    services.set_visible(session, sam, {community.id})  # shown: see test_profile_privacy.py
    question = propose(community, sam)
    threads.add(session, question, sam, "A first comment")
    votes.support(session, question, sam)
    session.commit()
    page = client.get("/u/sam").get_data(as_text=True)
    assert "Colon cancer" in page
    assert "1 question proposed · 1 comment · 1 question supported" in page
    assert question.title in page
    assert "Your notifications" not in page, "only the member sees their own link"
