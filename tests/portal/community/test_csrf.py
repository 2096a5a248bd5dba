"""Every community form refuses a missing or forged CSRF token, and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.community.rounds import services as rounds
from portal.community.threads import services as threads
from portal.models import (
    Comment,
    Comparison,
    ContentFlag,
    EvidenceReview,
    Membership,
    Notification,
    PriorityRound,
    Question,
    QuestionVote,
    QuestionWatch,
    RoundParticipant,
)
from tests.portal.community.conftest import SLUG, form_data, pico
from tests.portal.conftest import csrf_token

TABLES = [
    Comment,
    Comparison,
    ContentFlag,
    EvidenceReview,
    Membership,
    Notification,
    PriorityRound,
    Question,
    QuestionVote,
    QuestionWatch,
    RoundParticipant,
]

# Each form, with data that would succeed given a valid token (the last test proves it).
FORMS = {
    "join": lambda ids: ("/communities/tuberculosis/join", {}),
    "propose": lambda ids: (
        f"/communities/{SLUG}/questions/new",
        form_data(pico("A question sent with a forged token?")),
    ),
    "support": lambda ids: (f"/communities/{SLUG}/questions/{ids['q2']}/support", {}),
    "unwatch": lambda ids: (f"/communities/{SLUG}/questions/{ids['q1']}/unwatch", {}),
    "comment": lambda ids: (
        f"/communities/{SLUG}/questions/{ids['q1']}/comments/",
        {"body": "Forged?"},
    ),
    "delete comment": lambda ids: (
        f"/communities/{SLUG}/questions/{ids['q1']}/comments/{ids['c']}/delete",
        {},
    ),
    "review": lambda ids: (
        f"/communities/{SLUG}/questions/{ids['q1']}/review",
        {"verdict": "not_answered"},
    ),
    "close": lambda ids: (f"/communities/{SLUG}/questions/{ids['q1']}/close", {"reason": "Forged"}),
    "hide": lambda ids: (
        f"/communities/{SLUG}/moderation/questions/{ids['q1']}/hide",
        {"reason": "Forged"},
    ),
    "open round": lambda ids: (
        f"/communities/{SLUG}/rounds/new",
        {"title": "Forged round", "questions": [str(ids["q1"]), str(ids["q2"])]},
    ),
    "take part": lambda ids: (
        f"/communities/{SLUG}/rounds/{ids['r']}/take-part",
        {"perspective": "carer"},
    ),
    "compare": lambda ids: (
        f"/communities/{SLUG}/rounds/{ids['r']}/compare",
        {"first_id": ids["q1"], "second_id": ids["q2"], "winner_id": ids["q1"]},
    ),
    "read notifications": lambda ids: ("/notifications/read", {}),
}


@pytest.fixture
def ids(community, other_community, person, propose, session):
    moira = person("moira", moderator_of=(community,))
    q1 = propose(community, moira)
    q2 = propose(community, moira, "A second question for the forged-token tests?")
    comment = threads.add(session, q1, moira, "A comment")
    round_ = rounds.open_round(
        session, community, moira, title="Round", description="", question_ids=[q1.id, q2.id]
    )
    rounds.take_part(session, round_, moira, "patient")
    session.commit()
    return {"q1": q1.id, "q2": q2.id, "c": comment.id, "r": round_.id}


def snapshot(session) -> dict[str, int]:
    session.expire_all()
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.mark.parametrize("token", [None, "", "forged-token", "IjAwMDAi.aaaa.bbbb"])
@pytest.mark.parametrize("form", list(FORMS))
def test_forged_csrf_tokens_are_refused_and_nothing_is_written(login, ids, session, form, token):
    client = login("moira")
    url, data = FORMS[form](ids)
    if token is not None:
        data = {**data, "csrf_token": token}
    before = snapshot(session)
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "CSRF check failed" in response.get_data(as_text=True)
    assert snapshot(session) == before


@pytest.mark.parametrize("form", list(FORMS))
def test_the_same_forms_work_with_a_real_token(login, ids, session, form):
    client = login("moira")
    url, data = FORMS[form](ids)
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 303, form
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-error" not in page and ("flash-success" in page or "flash-info" in page)
