"""/api/v1/questions: research questions, their discussion and their support."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import db, policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.communities import find_community
from portal.api.pagination import page_of
from portal.api.spec import operation
from portal.community import trust
from portal.community.questions import services as questions
from portal.community.questions import votes
from portal.community.questions.models import Question
from portal.community.questions.similarity import DEFAULT_THRESHOLD, Draft
from portal.community.threads import services as threads
from portal.community.threads.models import Comment
from portal.errors import NotFound
from portal.extensions import limiter, post_limit, user_or_address, vote_limit

#: Longer drafts are cut: the first few hundred words say what a question is about.
DRAFT_MAX = 2000


def _question(question_id: int) -> Question:
    question = db.session().get(Question, question_id)
    if question is None or question.hidden:
        raise NotFound(f"No question {question_id}.")
    return question


def _trust() -> trust.TrustPolicy:
    return trust.policy_from_config(current_app.config)


def question_json(question: Question, support: int) -> dict[str, Any]:
    return {
        "id": question.id,
        "community": question.community.slug,
        "title": question.title,
        "population": question.population,
        "intervention": question.intervention,
        "comparator": question.comparator,
        "outcome": question.outcome,
        "status": question.status,
        "support": support,
        "author": question.author.username if question.author else None,
        "created_at": question.created_at.isoformat(),
        "url": url_for(
            "community.questions.show",
            slug=question.community.slug,
            question_id=question.id,
            _external=True,
        ),
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    # Deleted and hidden comments keep their place in the thread, not their words.
    withheld = comment.is_deleted or comment.hidden
    return {
        "id": comment.id,
        "question": comment.question_id,
        "parent_id": comment.parent_id,
        "author": None if withheld or comment.author is None else comment.author.username,
        "body": "" if withheld else comment.body,
        "created_at": comment.created_at.isoformat(),
    }


@bp.get("/questions")
@operation(
    "List research questions",
    "questions",
    query=schemas.QuestionQuery,
    responses={200: schemas.QuestionPage},
    errors=(404,),
    description="Filter by community and status; sort by top, new or trending "
    "(the formulas are on the community pages).",
)
def list_questions(query: schemas.QuestionQuery) -> dict[str, Any]:
    community = find_community(query.community) if query.community else None
    listed = questions.listed(
        db.session(), community=community, status=query.status, sort=query.sort
    )
    return page_of(listed, query, lambda item: question_json(item.question, item.support))


@bp.get("/communities/<slug>/similar-questions")
@operation(
    "Questions like a draft",
    "questions",
    query=schemas.SimilarQuery,
    responses={200: schemas.SimilarQuestions},
    errors=(404,),
    description="What the question form shows while a member types, so duplicates are "
    "caught early: the community's visible questions most like the draft.",
)
def similar_questions(slug: str, query: schemas.SimilarQuery) -> dict[str, Any]:
    community = find_community(slug)
    draft = Draft(query.title[:DRAFT_MAX], query.details[:DRAFT_MAX])
    matches = questions.similar(db.session(), community, draft, exclude_id=query.exclude)
    return {
        "method": "trigram similarity (Jaccard index of three-letter word pieces), "
        f"threshold {DEFAULT_THRESHOLD}",
        "questions": [
            {
                "id": q.id,
                "title": q.title,
                "status": q.status_enum.label,
                "similarity": round(score, 3),
                "url": url_for("community.questions.show", slug=slug, question_id=q.id),
            }
            for q, score in matches
        ],
    }


@bp.get("/questions/<int:question_id>")
@operation(
    "Read a question and its discussion",
    "questions",
    responses={200: schemas.QuestionDetail},
    errors=(404,),
)
def get_question(question_id: int) -> dict[str, Any]:
    session = db.session()
    question = _question(question_id)
    comments = session.scalars(
        select(Comment)
        .where(Comment.question_id == question.id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    user = policy.current()
    return {
        **question_json(question, questions.support_count(session, question)),
        "rationale": question.rationale,
        "supported": None if user is None else votes.has_supported(session, question, user),
        "comments": [comment_json(c) for c in comments],
    }


@bp.post("/communities/<slug>/questions")
@limiter.shared_limit(post_limit, "post", key_func=user_or_address)
@operation(
    "Propose a question",
    "questions",
    auth=True,
    scope="write",
    body=schemas.QuestionCreate,
    responses={201: schemas.Question},
    errors=(403, 404, 409),
    description="Members of the community only; a PICO question and its rationale.",
    example={
        "title": "Does early physiotherapy shorten recovery after a stroke?",
        "population": "Adults after a first stroke",
        "intervention": "Physiotherapy within 48 hours",
        "comparator": "Usual care",
        "outcome": "Barthel index at 90 days",
        "rationale": "Guidelines differ and the trials are small.",
    },
)
def propose(slug: str, body: schemas.QuestionCreate) -> tuple[dict[str, Any], int]:
    session = db.session()
    community = find_community(slug)
    question = questions.propose(
        session,
        community,
        policy.require_account(current_user),
        questions.QuestionText(**body.model_dump()),
        limits=_trust(),
    )
    session.commit()
    return question_json(question, 0), 201


@bp.post("/questions/<int:question_id>/comments")
@limiter.shared_limit(post_limit, "post", key_func=user_or_address)
@operation(
    "Comment on a question",
    "questions",
    auth=True,
    scope="write",
    body=schemas.CommentCreate,
    responses={201: schemas.Comment},
    errors=(403, 404, 409),
    example={"body": "The 2019 trial measured this at 6 months."},
)
def comment(question_id: int, body: schemas.CommentCreate) -> tuple[dict[str, Any], int]:
    session = db.session()
    question = _question(question_id)
    added = threads.add(
        session,
        question,
        policy.require_account(current_user),
        body.body,
        parent_id=body.parent_id,
        limits=_trust(),
    )
    session.commit()
    return comment_json(added), 201


def _vote(question_id: int, supporting: bool) -> dict[str, Any]:
    session = db.session()
    question = _question(question_id)
    act = votes.support if supporting else votes.withdraw
    changed = act(session, question, policy.require_account(current_user))
    session.commit()
    return {
        "question": question.id,
        "supported": supporting,
        "changed": changed,
        "support": questions.support_count(session, question),
    }


@bp.post("/questions/<int:question_id>/support")
@limiter.shared_limit(vote_limit, "vote", key_func=user_or_address)
@operation(
    "Support (vote for) a question",
    "questions",
    auth=True,
    scope="write",
    responses={200: schemas.Vote},
    errors=(403, 404, 409),
    description="One vote per member; supporting twice changes nothing.",
)
def support(question_id: int) -> dict[str, Any]:
    return _vote(question_id, True)


@bp.post("/questions/<int:question_id>/withdraw")
@limiter.shared_limit(vote_limit, "vote", key_func=user_or_address)
@operation(
    "Withdraw your support",
    "questions",
    auth=True,
    scope="write",
    responses={200: schemas.Vote},
    errors=(403, 404, 409),
)
def withdraw(question_id: int) -> dict[str, Any]:
    return _vote(question_id, False)
