"""The community page's "Moderation queue (n)" is counted in the database: the same
number as the queue lists, over random flags on questions, comments and support posts
in two communities, some of them looked at already; and the page builds no author's
history to get it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from portal.community.moderation import decisions, history
from portal.community.moderation import services as moderation
from portal.community.moderation.models import ContentFlag
from portal.community.support import services as support
from portal.community.threads import services as threads
from tests.portal.community.conftest import SLUG

#: (which content, 0 to 5; who flags it, 0 to 3)
flags = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=0, max_size=14, unique=True
)
#: (which content; what a moderator then decides on it)
decided = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["keep", "hide", "warn"])))


@pytest.fixture
def places(session, community, other_community, person, propose):
    """In each community: a question, a comment on it and a support post by Sam, flaggable
    by four members; Moira moderates both."""
    sam = person("sam", member_of=(community, other_community))
    flaggers = [person(f"flagger{n}", member_of=(community, other_community)) for n in range(4)]
    moira = person("moira", moderator_of=(community, other_community))
    content = []
    for place in (community, other_community):
        question = propose(place, sam, f"Does aspirin help in {place.name.lower()}?")
        comment = threads.add(session, question, sam, "Buy pills here")
        post = support.start_thread(
            session, place, sam, kind="story", title="My story", body="It went well."
        )
        session.commit()
        content += [question, comment, post]
    return content, flaggers, moira


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=flags, decisions_drawn=decided)
def test_the_count_is_the_number_the_queue_lists(
    session, community, other_community, places, drawn, decisions_drawn
):
    content, flaggers, moira = places
    try:
        for which, who in drawn:
            moderation.flag(session, flaggers[who], content[which], reason="spam")
        session.commit()
        for which, action in decisions_drawn:
            decisions.decide(session, moira, content[which], action, reason="Looked at.")
            session.commit()
        for place in (community, other_community):
            assert moderation.queue_size(session, place.id) == len(
                moderation.queue(session, place.id, moira)
            )
    finally:
        # The next example starts from content no one has flagged.
        session.rollback()
        session.execute(delete(ContentFlag))
        for target in content:
            target.hidden = False
        session.commit()


def test_the_page_shows_the_count_and_builds_no_history(
    session, community, places, login, monkeypatch
):
    content, flaggers, _moira = places
    for target in content[:3]:
        for flagger in flaggers[:2]:
            moderation.flag(session, flagger, target, reason="abuse")
    moderation.flag(session, flaggers[0], content[3], reason="spam")  # the other community
    session.commit()

    def refuse(*_args, **_kwargs):
        raise AssertionError("the community page built an author's history")

    monkeypatch.setattr(history, "author_history", refuse)
    page = " ".join(login("moira").get(f"/communities/{SLUG}").get_data(as_text=True).split())
    assert "Moderation queue (3)" in page
