"""Communities and questions through /api/v1: the same rules as the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.community.questions.models import Question, QuestionVote
from portal.community.threads.models import Comment
from tests.portal.api.conftest import bearer
from tests.portal.community.conftest import form_data, pico

QUESTION = form_data(pico())


def test_a_member_joins_proposes_comments_and_votes(client, community, person, token_for, session):
    sam = person("sam")
    token = token_for(sam)
    listed = client.get("/api/v1/communities", headers=bearer(token)).get_json()
    assert [(c["slug"], c["member"]) for c in listed["items"]] == [("colon-cancer", False)]

    refused = client.post(
        "/api/v1/communities/colon-cancer/questions", json=QUESTION, headers=bearer(token)
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "membership_required"

    joined = client.post("/api/v1/communities/colon-cancer/join", headers=bearer(token))
    assert joined.get_json() == {"community": "colon-cancer", "member": True, "members": 1}

    created = client.post(
        "/api/v1/communities/colon-cancer/questions", json=QUESTION, headers=bearer(token)
    )
    assert created.status_code == 201, created.get_json()
    question_id = created.get_json()["id"]

    comment = client.post(
        f"/api/v1/questions/{question_id}/comments",
        json={"body": "Five-year survival is what patients ask about."},
        headers=bearer(token),
    )
    assert comment.status_code == 201 and comment.get_json()["author"] == "sam"

    first = client.post(f"/api/v1/questions/{question_id}/support", headers=bearer(token))
    again = client.post(f"/api/v1/questions/{question_id}/support", headers=bearer(token))
    assert (first.get_json()["changed"], again.get_json()["changed"]) == (True, False)
    assert again.get_json()["support"] == 1
    assert session.scalar(select(func.count()).select_from(QuestionVote)) == 1

    detail = client.get(f"/api/v1/questions/{question_id}", headers=bearer(token)).get_json()
    assert detail["supported"] is True and detail["support"] == 1
    assert [c["body"] for c in detail["comments"]] == [
        "Five-year survival is what patients ask about."
    ]

    withdrawn = client.post(f"/api/v1/questions/{question_id}/withdraw", headers=bearer(token))
    assert withdrawn.get_json()["support"] == 0

    left = client.post("/api/v1/communities/colon-cancer/leave", headers=bearer(token))
    assert left.get_json()["member"] is False


def test_invalid_questions_name_the_field_and_store_nothing(
    client, community, person, token_for, session
):
    token = token_for(person("sam", member_of=(community,)))
    for body, field in [
        ({**QUESTION, "title": "Short?"}, "title"),
        ({k: v for k, v in QUESTION.items() if k != "outcome"}, "outcome"),
        ({**QUESTION, "population": 7}, "population"),
        ({**QUESTION, "extra": "x"}, "extra"),
    ]:
        response = client.post(
            "/api/v1/communities/colon-cancer/questions", json=body, headers=bearer(token)
        )
        assert response.status_code == 400, body
        assert response.get_json()["error"]["field"] == field
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_read_tokens_and_visitors_cannot_write(client, community, person, token_for, session):
    sam = person("sam", member_of=(community,))
    read_only = token_for(sam, scope="read")
    response = client.post(
        "/api/v1/communities/colon-cancer/questions", json=QUESTION, headers=bearer(read_only)
    )
    assert response.status_code == 403
    response = client.post("/api/v1/communities/colon-cancer/questions", json=QUESTION)
    assert response.status_code == 401  # a visitor without any credentials
    response = client.post(
        "/api/v1/communities/colon-cancer/questions",
        json=QUESTION,
        headers=bearer("orp_not-a-token"),
    )
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_token"
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def _propose(session, community, author, title):
    from portal.community.questions import services as questions

    question = questions.propose(session, community, author, pico(title))
    session.commit()
    return question


def test_questions_filter_sort_and_paginate(client, community, other_community, person, session):
    sam = person("sam", member_of=(community, other_community))
    titles = [f"Does treatment number {i} improve survival in colon cancer?" for i in range(5)]
    made = [_propose(session, community, sam, title) for title in titles]
    _propose(session, other_community, sam, "Does BCG vaccination prevent tuberculosis here?")
    priya = person("priya", member_of=(community,))
    from portal.community.questions import votes

    votes.support(session, made[2], priya)
    session.commit()

    top = client.get("/api/v1/questions?community=colon-cancer&sort=top&per_page=2").get_json()
    assert top["items"][0]["id"] == made[2].id and top["has_more"] is True
    assert len(top["items"]) == 2
    new = client.get("/api/v1/questions?community=colon-cancer&sort=new&per_page=10").get_json()
    assert [q["id"] for q in new["items"]] == [q.id for q in reversed(made)]
    last = client.get("/api/v1/questions?community=colon-cancer&page=3&per_page=2").get_json()
    assert len(last["items"]) == 1 and last["has_more"] is False
    everywhere = client.get("/api/v1/questions?per_page=100").get_json()
    assert len(everywhere["items"]) == 6
    assert client.get("/api/v1/questions?community=nowhere").status_code == 404


@pytest.mark.parametrize(
    "query,field",
    [
        ("status=gone", "status"),
        ("sort=random", "sort"),
        ("page=0", "page"),
        ("per_page=101", "per_page"),
    ],
)
def test_bad_list_arguments_are_400_with_the_field(client, query, field):
    response = client.get(f"/api/v1/questions?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_hidden_questions_and_deleted_comments_are_not_shown(client, community, person, session):
    sam = person("sam", member_of=(community,))
    question = _propose(
        session, community, sam, "Does aspirin after surgery prevent colon cancer recurrence?"
    )
    from portal.community.threads import services as threads
    from portal.db import utcnow

    comment = threads.add(session, question, sam, "A secret I regret writing.")
    comment.deleted_at = utcnow()
    session.commit()
    detail = client.get(f"/api/v1/questions/{question.id}").get_json()
    assert detail["comments"][0]["body"] == "" and detail["comments"][0]["author"] is None
    question.hidden = True
    session.commit()
    assert client.get(f"/api/v1/questions/{question.id}").status_code == 404
    assert session.get(Comment, comment.id) is not None


def test_overall_leaderboard_validates_its_period(client):
    assert client.get("/api/v1/leaderboard").get_json() == {"period": "all", "items": []}
    response = client.get("/api/v1/leaderboard?period=decade")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "period"
