"""From proposed to answered (or closed), with followers told at every step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.audit import AuditEvent
from portal.community.questions import lifecycle, votes
from portal.community.questions.models import EvidenceReview, Question, QuestionVote
from portal.errors import Forbidden, ServiceError
from tests.portal.community.conftest import count, messages_to, question_url, reload
from tests.portal.conftest import csrf_token


@pytest.fixture
def cast(community, person, propose):
    """A question by Sam, supported by Priya, and a researcher, Ada."""
    sam = person("sam", member_of=(community,))
    priya = person("priya", member_of=(community,))
    ada = person("ada", role=Role.RESEARCHER)
    question = propose(community, sam)
    return sam, priya, ada, question


def test_a_researcher_takes_a_question_from_review_to_answer(cast, login, session):
    sam, priya, ada, question = cast
    votes.support(session, question, priya)  # supporting also follows the question
    session.commit()
    client = login("ada")
    token = csrf_token(client, question_url(question))
    client.post(
        question_url(question, "/review"),
        data={
            "csrf_token": token,
            "verdict": "partly",
            "citations": "Moertel CG et al. N Engl J Med 1990;322:352-8.\nA Cochrane review",
            "note": "Survival benefit shown; quality of life not studied.",
        },
    )
    assert reload(session, Question, question.id).status == "under_review"
    review = session.scalar(select(EvidenceReview))
    assert review.citation_list == [
        "Moertel CG et al. N Engl J Med 1990;322:352-8.",
        "A Cochrane review",
    ]
    client.post(question_url(question, "/analysis"), data={"csrf_token": token})
    client.post(
        question_url(question, "/answer"),
        data={"csrf_token": token, "url": "/analyses/", "note": "Five-year survival improved."},
    )
    question = reload(session, Question, question.id)
    assert (question.status, question.answer_url) == ("answered", "/analyses/")
    expected = [
        f"Under review: {question.title} — existing evidence answers it in part.",
        f"In analysis: {question.title}",
        f"Answered: {question.title}",
    ]
    assert messages_to(session, sam) == expected
    assert messages_to(session, priya) == expected
    assert messages_to(session, ada) == [], "the researcher is not told of their own steps"
    page = login("sam").get(question_url(question)).get_data(as_text=True)
    assert "Five-year survival improved." in page
    assert "See the published answer" in page
    changes = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "question.status_changed")
    ).all()
    assert [(e.details["old"], e.details["new"]) for e in changes] == [
        ("proposed", "under_review"),
        ("under_review", "in_analysis"),
        ("in_analysis", "answered"),
    ]


@pytest.mark.parametrize(
    ("steps", "attempt"),
    [
        ([], "analysis"),  # proposed -> in analysis skips the review
        ([], "answer"),
        (["close"], "review"),  # closed is final
        (["review", "answer"], "analysis"),  # answered is final
    ],
)
def test_the_lifecycle_cannot_skip_or_go_back(cast, session, community, person, steps, attempt):
    sam, priya, ada, question = cast
    moira = person("moira", moderator_of=(community,))
    do = {
        "review": lambda: lifecycle.record_review(
            session, question, ada, verdict="not_answered", citations="", note=""
        ),
        "analysis": lambda: lifecycle.start_analysis(session, question, ada),
        "answer": lambda: lifecycle.mark_answered(session, question, ada, url="", note="Answered."),
        "close": lambda: lifecycle.close(session, question, moira, reason="Out of scope"),
    }
    for step in steps:
        do[step]()
    session.commit()
    with pytest.raises(ServiceError, match="cannot become"):
        do[attempt]()
    session.rollback()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "ftp://x/y"])
def test_answer_links_must_be_web_addresses_or_paths_here(cast, session, url):
    sam, priya, ada, question = cast
    lifecycle.record_review(session, question, ada, verdict="not_answered", citations="", note="")
    with pytest.raises(ServiceError, match="http"):
        lifecycle.mark_answered(session, question, ada, url=url, note="Answer")
    session.rollback()


def test_members_cannot_move_questions_along(cast, login, session):
    sam, priya, ada, question = cast
    client = login("priya")
    token = csrf_token(client, question_url(question))
    response = client.post(
        question_url(question, "/review"),
        data={"csrf_token": token, "verdict": "not_answered", "citations": "", "note": ""},
    )
    assert response.status_code == 403
    assert reload(session, Question, question.id).status == "proposed"
    with pytest.raises(Forbidden):
        lifecycle.start_analysis(session, question, sam)


def test_a_duplicate_is_merged_and_supporters_choose_to_move_their_support(
    cast, community, person, propose, login, session
):
    sam, priya, ada, original = cast
    person("moira", moderator_of=(community,))
    duplicate = propose(community, priya, "Is chemotherapy after colon cancer surgery worth it?")
    for supporter in (priya, sam):
        votes.support(session, duplicate, supporter)
    session.commit()
    client = login("moira")
    token = csrf_token(client, question_url(duplicate))
    response = client.post(
        question_url(duplicate, "/close"),
        data={
            "csrf_token": token,
            "reason": "Same question as an earlier one.",
            "duplicate_of": str(original.id),
        },
    )
    assert response.status_code == 303
    duplicate = reload(session, Question, duplicate.id)
    assert (duplicate.status, duplicate.duplicate_of_id) == ("closed", original.id)
    # Nobody's support was moved for them.
    assert count(session, QuestionVote, QuestionVote.question_id == original.id) == 0
    assert any("Merged into" in m for m in messages_to(session, priya))
    priya_client = login("priya")
    page = priya_client.get(question_url(duplicate)).get_data(as_text=True)
    assert "Move my support to that question" in page
    priya_client.post(
        question_url(duplicate, "/move-support"),
        data={"csrf_token": csrf_token(priya_client, question_url(duplicate))},
    )
    assert (
        count(
            session,
            QuestionVote,
            QuestionVote.question_id == original.id,
            QuestionVote.user_id == priya.id,
        )
        == 1
    )
    assert (
        count(
            session,
            QuestionVote,
            QuestionVote.question_id == duplicate.id,
            QuestionVote.user_id == priya.id,
        )
        == 0
    )
    assert (
        count(
            session,
            QuestionVote,
            QuestionVote.question_id == duplicate.id,
            QuestionVote.user_id == sam.id,
        )
        == 1
    ), "Sam has not agreed yet"


def test_a_question_cannot_be_merged_into_another_communitys(
    cast, other_community, person, propose, session, community
):
    sam, priya, ada, question = cast
    moira = person("moira", moderator_of=(community,), member_of=(other_community,))
    elsewhere = propose(other_community, moira, "A tuberculosis question about BCG?")
    with pytest.raises(ServiceError, match="same community"):
        lifecycle.close(session, question, moira, reason="dup", duplicate_of=elsewhere)
    session.rollback()
