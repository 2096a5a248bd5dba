"""`portal demo load` fills the communities with questions, talk, support and a round."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.community import services
from portal.community.demo import ROUND_TITLE
from portal.community.rounds import services as rounds
from portal.models import (
    Comment,
    Comparison,
    Notification,
    PriorityRound,
    Question,
    QuestionDataset,
    QuestionRun,
    QuestionVote,
    RoundParticipant,
)
from tests.portal.conftest import AuthActions

TABLES = [
    Question,
    QuestionVote,
    Comment,
    PriorityRound,
    RoundParticipant,
    Comparison,
    Notification,
    QuestionDataset,
    QuestionRun,
]


def counts(session):
    session.expire_all()
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.fixture
def demo(runner, session):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_load_creates_questions_discussions_votes_and_an_open_round(demo, session):
    loaded = counts(session)
    assert loaded["Question"] >= 10 and loaded["QuestionVote"] >= 20
    assert loaded["Comment"] >= 4 and loaded["Comparison"] == 3 * 6
    statuses = dict(
        session.execute(select(Question.status, func.count()).group_by(Question.status)).all()
    )
    assert {"proposed", "under_review", "in_analysis", "answered", "closed"} <= set(statuses)
    answered = session.scalar(select(Question).where(Question.status == "answered"))
    assert "Demo answer" in answered.answer_note
    duplicate = session.scalar(select(Question).where(Question.duplicate_of_id.isnot(None)))
    assert duplicate.status == "closed"
    round_ = session.scalar(select(PriorityRound).where(PriorityRound.title == ROUND_TITLE))
    assert round_.is_open
    results = rounds.results(session, round_, weighting="equal", samples=20)
    assert results.participants == {"patient": 1, "carer": 1, "clinician": 1}
    assert results.rows[0].question.title.startswith("Do people with more than four")


def test_demo_load_twice_changes_nothing(demo, runner, session):
    first = counts(session)
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "0 created" in again.output
    assert counts(session) == first


def test_demo_pages_render(demo, client):
    for url in [
        "/communities/colon-cancer",
        "/communities/colon-cancer/questions/?sort=trending",
        "/communities/colon-cancer/questions/?status=all&sort=new",
        "/communities/smoking-cessation/questions/?status=closed",
        "/questions/",
        "/questions/?status=answered",
        "/communities/colon-cancer/rounds/",
    ]:
        assert client.get(url).status_code == 200, url


def test_demo_communities_say_their_content_is_invented(demo, client, session):
    for url in [
        "/communities/colon-cancer",
        "/communities/colon-cancer/questions/",
        "/communities/colon-cancer/rounds/",
    ]:
        assert "were invented to show how the portal works" in client.get(url).text, url
    services.create_community(session, slug="real", name="Real", condition="Asthma")
    session.commit()
    assert "were invented" not in client.get("/communities/real").text


def test_every_demo_question_and_round_page_renders_for_a_member(demo, app, session):
    client = app.test_client()
    AuthActions(client).login("sam-member", "open-research-demo")
    for question in session.scalars(select(Question)):
        slug = question.community.slug
        response = client.get(f"/communities/{slug}/questions/{question.id}")
        assert response.status_code == 200, question.title
    round_ = session.scalar(select(PriorityRound))
    for suffix in ("", "/results", "/results?weighting=equal"):
        url = f"/communities/colon-cancer/rounds/{round_.id}{suffix}"
        assert client.get(url).status_code == 200, url
    profile = client.get("/u/sam-member").get_data(as_text=True)
    assert "questions proposed" in profile and "Your notifications" in profile
    assert client.get("/notifications/").status_code == 200


def test_demo_questions_are_linked_to_datasets_and_one_is_answered_by_an_analysis(
    demo, session, client
):
    links = session.scalars(select(QuestionDataset)).all()
    assert len(links) >= 5 and {link.decision for link in links} == {"confirmed"}
    assert all(link.score >= 4 for link in links), "the demo links are also the top suggestions"
    answer = session.scalar(select(QuestionRun).where(QuestionRun.role == "answer"))
    question = session.get(Question, answer.question_id)
    assert question.status == "answered" and answer.run.is_finished
    page = client.get(f"/communities/{question.community.slug}/questions/{question.id}")
    text = page.get_data(as_text=True)
    assert answer.run.title in text and "OR " in text and "95% CI" in text
    assert question.title in client.get(f"/analyses/{answer.run_id}").get_data(as_text=True)
