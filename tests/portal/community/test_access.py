"""Who may do what, by role, in one table.

Community powers come from the membership (moderator of *this* community); site
admins moderate everywhere; researchers (a site role) review evidence anywhere.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.community.moderation.models import ContentFlag
from portal.community.questions.models import Question, QuestionVote
from portal.community.rounds.models import PriorityRound
from portal.community.threads.models import Comment
from tests.portal.community.conftest import SLUG, form_data, pico, question_url
from tests.portal.conftest import csrf_token

ROLES = ["visitor", "outsider", "member", "researcher", "moderator_elsewhere", "moderator", "admin"]

#: action -> the roles allowed to do it. Everyone else is refused and nothing changes.
ALLOWED = {
    "propose": {"member", "researcher", "moderator_elsewhere", "moderator"},
    "support": {"member", "researcher", "moderator_elsewhere", "moderator"},
    "comment": {"member", "researcher", "moderator_elsewhere", "moderator"},
    "flag": {"outsider", "member", "researcher", "moderator_elsewhere", "moderator", "admin"},
    "review": {"researcher", "moderator", "admin"},
    "close": {"moderator", "admin"},
    "hide": {"moderator", "admin"},
    "open_round": {"moderator", "admin"},
    "moderation_queue": {"moderator", "admin"},
}


@pytest.fixture
def world(community, other_community, person, propose):
    sam = person("sam", member_of=(community,))
    questions = [
        propose(community, sam),
        propose(community, sam, "A second question about colon cancer follow-up?"),
    ]
    return questions


def make_actor(role, community, other_community, person):
    if role == "visitor":
        return None
    if role == "outsider":
        return person("actor")
    if role == "member":
        return person("actor", member_of=(community,))
    if role == "researcher":
        return person("actor", role=Role.RESEARCHER, member_of=(community,))
    if role == "moderator_elsewhere":
        return person("actor", moderator_of=(other_community,), member_of=(community,))
    if role == "moderator":
        return person("actor", moderator_of=(community,))
    if role == "admin":
        return person("actor", role=Role.ADMIN)
    raise AssertionError(role)


def total(session, model, *where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def perform(action, client, token, questions, session):
    """Do ``action``; return (response, whether it took effect)."""
    q = questions[0]
    if action == "propose":
        url = f"/communities/{SLUG}/questions/new"
        data = form_data(pico("A brand new question about colon cancer?"))
        response = client.post(url, data={**data, "csrf_token": token})
        return response, total(session, Question) == 3
    if action == "support":
        response = client.post(question_url(q, "/support"), data={"csrf_token": token})
        return response, total(session, QuestionVote) == 1
    if action == "comment":
        response = client.post(
            question_url(q, "/comments/"), data={"csrf_token": token, "body": "Hello"}
        )
        return response, total(session, Comment) == 1
    if action == "flag":
        response = client.post(
            question_url(q, "/flag"), data={"csrf_token": token, "reason": "spam"}
        )
        return response, total(session, ContentFlag) == 1
    if action == "review":
        response = client.post(
            question_url(q, "/review"),
            data={"csrf_token": token, "verdict": "not_answered", "citations": "", "note": ""},
        )
        return response, total(session, Question, Question.status == "under_review") == 1
    if action == "close":
        response = client.post(
            question_url(q, "/close"), data={"csrf_token": token, "reason": "Out of scope"}
        )
        return response, total(session, Question, Question.status == "closed") == 1
    if action == "hide":
        response = client.post(
            f"/communities/{SLUG}/moderation/questions/{q.id}/hide",
            data={"csrf_token": token, "reason": "Spam"},
        )
        return response, total(session, Question, Question.hidden.is_(True)) == 1
    if action == "open_round":
        response = client.post(
            f"/communities/{SLUG}/rounds/new",
            data={
                "csrf_token": token,
                "title": "A round",
                "questions": [str(questions[0].id), str(questions[1].id)],
            },
        )
        return response, total(session, PriorityRound) == 1
    if action == "moderation_queue":
        response = client.get(f"/communities/{SLUG}/moderation/")
        return response, response.status_code == 200
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_access_rules_by_role(
    app, community, other_community, person, login, world, session, action, role
):
    actor = make_actor(role, community, other_community, person)
    client = login(actor.username) if actor else app.test_client()
    token = csrf_token(client, "/login" if actor is None else question_url(world[0]))
    response, took_effect = perform(action, client, token, world, session)
    allowed = role in ALLOWED[action]
    assert took_effect == allowed, (action, role, response.status_code)
    if not allowed:
        # Visitors are sent to log in; others get a 403 or are told why on the page.
        expected = {302} if actor is None else {303, 403}
        assert response.status_code in expected, (action, role)
