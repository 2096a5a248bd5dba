"""Flags, automatic hiding at three flags, and moderators who act only where they moderate."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from portal import db
from portal.accounts.models import Role, User
from portal.audit import AuditEvent
from portal.community.moderation import services as moderation
from portal.community.moderation.models import ContentFlag
from portal.community.questions.models import Question
from portal.community.threads import services as threads
from portal.community.threads.models import Comment
from portal.errors import Forbidden, ServiceError
from tests.portal.community.conftest import SLUG, count, question_url, reload
from tests.portal.conftest import csrf_token

QUEUE = f"/communities/{SLUG}/moderation/"


@pytest.fixture
def flaggers(community, person):
    return [person(name, member_of=(community,)) for name in ("ann", "bob", "cat")]


def flag_via_web(client, question, reason="spam"):
    token = csrf_token(client, question_url(question))
    return client.post(
        question_url(question, "/flag"),
        data={"csrf_token": token, "reason": reason, "note": "Advert"},
    )


def audit(session, action):
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_three_different_members_flagging_hide_a_question(
    question, flaggers, login, session, client
):
    ann, bob, cat = (login(u.username) for u in flaggers)
    flag_via_web(ann, question)
    flag_via_web(ann, question)  # the same member twice still counts once
    flag_via_web(bob, question, "misinformation")
    assert not reload(session, Question, question.id).hidden
    assert question.title in client.get(f"/communities/{SLUG}/questions/").get_data(as_text=True)
    response = flag_via_web(cat, question, "abuse")
    assert "moderators will look at it" in cat.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert reload(session, Question, question.id).hidden
    assert count(session, ContentFlag) == 3
    listing = client.get(f"/communities/{SLUG}/questions/").get_data(as_text=True)
    assert question.title not in listing
    page = client.get(question_url(question)).get_data(as_text=True)
    assert "This question is hidden" in page and question.population not in page
    assert question.population in login("sam").get(question_url(question)).get_data(as_text=True), (
        "the author still sees it, with a notice"
    )
    [event] = audit(session, "moderation.auto_hidden")
    assert event.subject == f"question:{question.id}" and event.details["flags"] == 3


def test_three_flags_arriving_at_once_still_hide(app, community, person, question, session):
    users = [person(f"flagger{n}", member_of=(community,)).id for n in range(10)]
    start = threading.Barrier(len(users))

    def flag(user_id):
        with app.app_context():
            own = db.new_session()
        start.wait()
        try:
            target = own.get(Question, question.id)
            moderation.flag(own, own.get(User, user_id), target, reason="spam")
            own.commit()
        finally:
            own.close()

    with ThreadPoolExecutor(len(users)) as pool:
        list(pool.map(flag, users))
    assert reload(session, Question, question.id).hidden
    assert count(session, ContentFlag) == 10
    assert len(audit(session, "moderation.auto_hidden")) == 1


def test_a_flagged_comment_is_hidden_but_keeps_its_place(
    community, person, question, flaggers, session, login
):
    comment = threads.add(session, question, question.author, "Buy cheap pills here")
    threads.add(session, question, flaggers[0], "A reply", parent_id=comment.id)
    session.commit()
    for user in flaggers:
        moderation.flag(session, user, comment, reason="spam")
    session.commit()
    page = login("ann").get(question_url(question)).get_data(as_text=True)
    assert "Hidden while a moderator reviews it." in page
    assert "Buy cheap pills" not in page and "A reply" in page
    # once a moderator has decided, readers see the outcome, not a review in progress
    moira = person("moira", moderator_of=(community,))
    moderation.hide(session, moira, comment, reason="Spam.")
    session.commit()
    page = login("ann").get(question_url(question)).get_data(as_text=True)
    assert "Hidden while a moderator reviews it." not in page
    assert "Removed by a moderator: Breaks a community rule." in page
    assert "Buy cheap pills" not in page


def test_members_cannot_flag_their_own_content(question, session):
    with pytest.raises(ServiceError, match="your own question"):
        moderation.flag(session, question.author, question, reason="spam")
    session.rollback()


@pytest.mark.parametrize("reason", ["", "not-a-reason"])
def test_a_flag_needs_a_known_reason(question, flaggers, login, session, reason):
    flag_via_web(login("ann"), question, reason)
    assert count(session, ContentFlag) == 0


def test_a_moderator_reviews_the_queue_restores_and_hides_with_audited_reasons(
    community, person, question, flaggers, login, session
):
    for user in flaggers:
        moderation.flag(session, user, question, reason="misinformation")
    session.commit()
    person("moira", moderator_of=(community,))
    client = login("moira")
    queue = client.get(QUEUE).get_data(as_text=True)
    assert question.title in queue and "Misinformation (3)" in queue
    # the context a decision needs: who wrote it, their record, who flagged it and why
    words = " ".join(queue.split())
    assert (
        f">{question.author.name}</a>, nothing of theirs hidden before where you may see"
        " their membership." in words
    )
    assert "ann: Misinformation" in words and "cat: Misinformation" in words
    token = csrf_token(client, QUEUE)
    restore = f"{QUEUE}questions/{question.id}/restore"
    client.post(restore, data={"csrf_token": token, "reason": ""})
    assert reload(session, Question, question.id).hidden, "no reason, no change"
    client.post(restore, data={"csrf_token": token, "reason": "Cites the trial correctly."})
    assert not reload(session, Question, question.id).hidden
    assert (
        question.title not in client.get(QUEUE).get_data(as_text=True).split("Hidden content")[0]
    ), "the flags are resolved"
    [event] = audit(session, "moderation.restored")
    assert event.details == {
        "community_id": community.id,
        "flags_resolved": 3,
        "reason": "Cites the trial correctly.",
        "category": "other",
        "decision_id": event.details["decision_id"],
        "user_id": question.author_id,
    }
    assert event.actor_id == reload(session, User, event.actor_id).id
    client.post(
        f"{QUEUE}questions/{question.id}/hide",
        data={"csrf_token": token, "reason": "On reflection: misleading."},
    )
    question = reload(session, Question, question.id)
    assert question.hidden and question.hidden_reason == "On reflection: misleading."
    assert len(audit(session, "moderation.hidden")) == 1
    seen = login("ann").get(question_url(question)).get_data(as_text=True)
    assert "Removed by a moderator: Breaks a community rule." in seen
    assert "It stays hidden until a moderator" not in seen


def test_moderators_act_only_in_their_own_communities(
    community, other_community, person, question, login, session
):
    person("otto", moderator_of=(other_community,), member_of=(community,))
    client = login("otto")
    assert client.get(QUEUE).status_code == 403
    token = csrf_token(client, question_url(question))
    response = client.post(
        f"{QUEUE}questions/{question.id}/hide",
        data={"csrf_token": token, "reason": "I moderate elsewhere"},
    )
    assert response.status_code == 403
    assert not reload(session, Question, question.id).hidden
    otto = session.scalar(select(User).where(User.username == "otto"))
    with pytest.raises(Forbidden):
        moderation.hide(session, otto, question, reason="no")
    session.rollback()
    assert audit(session, "moderation.hidden") == []


def test_site_admins_moderate_everywhere(community, person, question, login, session):
    person("root", role=Role.ADMIN)
    client = login("root")
    assert client.get(QUEUE).status_code == 200
    client.post(
        f"{QUEUE}questions/{question.id}/hide",
        data={"csrf_token": csrf_token(client, QUEUE), "reason": "Personal data"},
    )
    assert reload(session, Question, question.id).hidden


def test_comments_are_moderated_through_their_community_only(
    community, other_community, person, question, login, session
):
    comment = threads.add(session, question, question.author, "Hello")
    session.commit()
    person("otto", moderator_of=(other_community,))
    client = login("otto")
    token = csrf_token(client, "/communities/tuberculosis")
    # Otto's own community's address does not reach another community's comment.
    response = client.post(
        f"/communities/tuberculosis/moderation/comments/{comment.id}/hide",
        data={"csrf_token": token, "reason": "sneaky"},
    )
    assert response.status_code == 404
    assert not reload(session, Comment, comment.id).hidden


def test_the_queue_shows_each_flag_note_and_the_authors_record(
    community, person, question, flaggers, login, session
):
    moira = person("moira", moderator_of=(community,))
    earlier = threads.add(session, question, question.author, "Earlier spam")
    moderation.hide(session, moira, earlier, reason="Spam.")
    comment = threads.add(session, question, question.author, "Stop your chemotherapy now")
    session.commit()
    moderation.flag(session, flaggers[0], comment, reason="misinformation", note="Dangerous advice")
    session.commit()
    words = " ".join(login("moira").get(QUEUE).get_data(as_text=True).split())
    assert "ann: Misinformation — “Dangerous advice”" in words
    assert "1 other post of theirs hidden by moderators" in words
