"""An author appeals a decision once; someone other than its maker decides the appeal,
and the author is told the outcome, which is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.community.moderation import appeals, decisions
from portal.community.moderation.models import Appeal, ModerationDecision
from portal.community.notifications.models import Notification
from portal.community.threads import services as threads
from portal.community.threads.models import Comment
from portal.errors import Conflict, Forbidden, NotFound
from tests.portal.community.conftest import count, question_url, reload
from tests.portal.conftest import body_of, csrf_token


@pytest.fixture
def hidden(community, person, question, session):
    """Sam's comment, hidden by Moira; Otto moderates the community too."""
    sam = question.author
    moira = person("moira", moderator_of=(community,))
    otto = person("otto", moderator_of=(community,))
    comment = threads.add(session, question, sam, "My cousin was cured by magnets")
    session.commit()
    record = decisions.decide(
        session, moira, comment, "hide", reason="Unproven cure.", category="misinformation"
    )
    session.commit()
    return sam, moira, otto, comment, record


def appeal_via_web(client, record, text="It was a joke, and I said so."):
    token = csrf_token(client, "/notifications/")
    return client.post(f"/appeals/decisions/{record.id}", data={"csrf_token": token, "text": text})


def test_the_author_appeals_once_and_a_second_appeal_is_refused(hidden, login, session):
    sam, _moira, _otto, _comment, record = hidden
    client = login("sam")
    page = client.get("/appeals/").get_data(as_text=True)
    assert "Unproven cure." in page and "Misinformation" in page
    assert appeal_via_web(client, record).status_code == 303
    assert count(session, Appeal) == 1
    response = appeal_via_web(client, record, "Please, again.")
    assert response.status_code == 303
    assert "can be appealed once" in client.get(response.headers["Location"]).text
    assert count(session, Appeal) == 1
    [only] = session.scalars(select(Appeal)).all()
    assert only.text == "It was a joke, and I said so."
    # and through the service, whatever the page shows
    with pytest.raises(Conflict, match="appealed once"):
        appeals.appeal(session, reload(session, type(sam), sam.id), record, text="third")
    session.rollback()
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "moderation.appealed"))
    assert event.actor_id == sam.id and event.details["community_id"] == record.community_id


def test_nobody_appeals_a_decision_about_someone_else(hidden, login, person, session):
    _sam, _moira, _otto, _comment, record = hidden
    person("eve")
    assert appeal_via_web(login("eve"), record).status_code == 404
    with pytest.raises(NotFound):
        appeals.appeal(session, person("mallory"), record, text="mine now")
    session.rollback()
    assert count(session, Appeal) == 0


def test_another_moderator_decides_and_the_author_is_told(
    hidden, login, session, mailbox, question, client
):
    sam, moira, otto, comment, record = hidden
    appeal_via_web(login("sam"), record)
    appeal = session.scalar(select(Appeal))
    assert "magnets" not in login("moira").get("/appeals/queue").text, "not its own maker"
    with pytest.raises(Forbidden):
        appeals.decide_appeal(session, moira, appeal, overturn=True, response="mine")
    session.rollback()
    otto_client = login("otto")
    assert "It was a joke" in otto_client.get("/appeals/queue").text
    token = csrf_token(otto_client, "/notifications/")
    response = otto_client.post(
        f"/appeals/{appeal.id}/decide",
        data={"csrf_token": token, "outcome": "overturn", "response": "Clearly a joke."},
    )
    assert response.status_code == 303
    assert not reload(session, Comment, comment.id).hidden
    assert "magnets" in client.get(question_url(question)).text
    assert reload(session, Appeal, appeal.id).status == "overturned"
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "moderation.appeal_overturned")
    )
    assert event.actor_id == otto.id and event.details["community_id"] == record.community_id
    messages = session.scalars(
        select(Notification.message).where(Notification.user_id == sam.id)
    ).all()
    assert any("appeal was accepted" in m and "Clearly a joke." in m for m in messages)
    assert "Clearly a joke." in body_of(mailbox.last(sam.email))
    # a decided appeal stays decided
    with pytest.raises(Conflict):
        appeals.decide_appeal(
            session,
            reload(session, type(otto), otto.id),
            reload(session, Appeal, appeal.id),
            overturn=False,
            response="changed my mind",
        )
    session.rollback()


def test_the_maker_decides_an_appeal_only_when_nobody_else_can(
    community, person, question, session
):
    sam = question.author
    moira = person("moira", moderator_of=(community,))
    comment = threads.add(session, question, sam, "Off topic")
    session.commit()
    record = decisions.decide(session, moira, comment, "hide", reason="Off topic.")
    session.commit()
    appeal = appeals.appeal(session, sam, record, text="It was on topic")
    session.commit()
    assert appeals.open_appeals(session, moira) == [appeal]
    appeals.decide_appeal(session, moira, appeal, overturn=False, response="It was not.")
    session.commit()
    assert reload(session, Appeal, appeal.id).status == "upheld"
    assert reload(session, Comment, comment.id).hidden


def test_keeping_content_cannot_be_appealed(community, person, question, session):
    sam = question.author
    moira = person("moira", moderator_of=(community,))
    comment = threads.add(session, question, sam, "Fine words")
    session.commit()
    record = decisions.decide(session, moira, comment, "keep", reason="Nothing wrong.")
    session.commit()
    with pytest.raises(Conflict, match="nothing to appeal"):
        appeals.appeal(session, sam, record, text="thanks")
    session.rollback()
    assert count(session, ModerationDecision) == 1
