"""Support: one member, one vote, exact counts, even under concurrent requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.accounts.models import User
from portal.community import services
from portal.community.questions import lifecycle, votes
from portal.community.questions.models import QuestionVote
from tests.portal.community.conftest import SLUG, count, question_url
from tests.portal.conftest import csrf_token

CONCURRENT = 50


def supporters(session, question) -> int:
    return count(session, QuestionVote, QuestionVote.question_id == question.id)


def test_support_then_withdraw(community, person, propose, login, session):
    sam = person("sam", member_of=(community,))
    question = propose(community, sam)
    person("priya", member_of=(community,))
    client = login("priya")
    token = csrf_token(client, question_url(question))
    response = client.post(question_url(question, "/support"), data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(question_url(question)).get_data(as_text=True)
    assert "Thank you: your support is counted." in page
    assert "<strong>1</strong> member supports this question." in page
    again = client.post(question_url(question, "/support"), data={"csrf_token": token})
    assert "You already support this question." in client.get(again.headers["Location"]).get_data(
        as_text=True
    )
    assert supporters(session, question) == 1
    client.post(question_url(question, "/withdraw"), data={"csrf_token": token})
    assert supporters(session, question) == 0
    twice = client.post(question_url(question, "/withdraw"), data={"csrf_token": token})
    assert "You had not supported this question." in client.get(twice.headers["Location"]).get_data(
        as_text=True
    )


def test_the_database_refuses_a_second_vote(community, person, propose, session):
    sam = person("sam", member_of=(community,))
    question = propose(community, sam)
    session.add(QuestionVote(question_id=question.id, user_id=sam.id))
    session.commit()
    session.add(QuestionVote(question_id=question.id, user_id=sam.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_fifty_concurrent_requests_by_one_member_count_once(
    app, community, person, propose, login, session
):
    """Fifty tabs (each its own client and connection) press "Support" at the same instant."""
    sam = person("sam", member_of=(community,))
    question = propose(community, sam)
    person("priya", member_of=(community,))
    logged_in = login("priya")
    token = csrf_token(logged_in, question_url(question))
    cookie = logged_in.get_cookie("session").value
    clients = []
    for _ in range(CONCURRENT):
        client = app.test_client()
        client.set_cookie("session", cookie)
        clients.append(client)
    start = threading.Barrier(CONCURRENT)

    def press(client):
        start.wait()
        return client.post(
            question_url(question, "/support"), data={"csrf_token": token}
        ).status_code

    with ThreadPoolExecutor(CONCURRENT) as pool:
        statuses = list(pool.map(press, clients))
    assert statuses == [303] * CONCURRENT
    assert supporters(session, question) == 1


def test_fifty_members_supporting_at_once_are_counted_exactly(
    app, community, person, propose, session
):
    """Direct service calls, each thread with its own session and connection."""
    sam = person("sam", member_of=(community,))
    question = propose(community, sam)
    members = []
    for n in range(CONCURRENT):
        user = User(username=f"m{n}", email=f"m{n}@example.org", password_hash="x")
        session.add(user)
        session.flush()
        services.join(session, community, user)
        members.append(user.id)
    session.commit()
    start = threading.Barrier(CONCURRENT)

    def support(user_id):
        with app.app_context():
            own = db.new_session()
        # Start together; beyond that the connection pool decides how many transactions
        # run at once, exactly as it does for web requests.
        start.wait()
        try:
            user = own.get(User, user_id)
            q = own.get(type(question), question.id)
            first = votes.support(own, q, user)
            second = votes.support(own, q, user)  # a double click in the same request
            own.commit()
            return first, second
        finally:
            own.close()

    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(support, members))
    assert results == [(True, False)] * CONCURRENT
    assert supporters(session, question) == CONCURRENT
    page = app.test_client().get(question_url(question)).get_data(as_text=True)
    assert f"<strong>{CONCURRENT}</strong> members support this question." in page


def test_votes_on_closed_questions_are_refused_and_nothing_is_written(
    community, person, propose, login, session
):
    moira = person("moira", moderator_of=(community,))
    question = propose(community, moira)
    lifecycle.close(session, question, moira, reason="Out of scope for this community.")
    session.commit()
    person("priya", member_of=(community,))
    client = login("priya")
    token = csrf_token(client, question_url(question))
    response = client.post(question_url(question, "/support"), data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This question is closed; its support can no longer change." in page
    assert supporters(session, question) == 0


def test_votes_on_questions_that_do_not_exist_are_404(community, person, login, session):
    person("priya", member_of=(community,))
    client = login("priya")
    token = csrf_token(client, f"/communities/{SLUG}")
    response = client.post(
        f"/communities/{SLUG}/questions/424242/support", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert count(session, QuestionVote) == 0


def test_non_members_are_asked_to_join_before_supporting(
    community, person, propose, login, session
):
    sam = person("sam", member_of=(community,))
    question = propose(community, sam)
    person("outsider")
    client = login("outsider")
    token = csrf_token(client, question_url(question))
    response = client.post(question_url(question, "/support"), data={"csrf_token": token})
    assert "Join Colon cancer to support its questions." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert supporters(session, question) == 0
