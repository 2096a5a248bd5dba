"""/api/v1/communities and /api/v1/questions: the community pages' actions as JSON.

Every action goes through the services in portal.community, which hold the rules
(membership, trust limits, open questions only); this module only translates.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from portal import db
from portal.api import schemas
from portal.api.errors import ApiError
from portal.api.spec import operation
from portal.api.views import api_error, http_error, paged
from portal.community import discussion, questions, services, votes
from portal.community.comment_models import Comment
from portal.community.errors import CommunityError, MembershipRequired, NotAllowed
from portal.community.models import Community
from portal.community.question_models import Question
from portal.community.view_helpers import me, trust_policy
from portal.extensions import csrf, limiter, post_limit, user_or_address, vote_limit

bp = Blueprint("community_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.register_error_handler(ApiError, api_error)
bp.register_error_handler(HTTPException, http_error)


@bp.errorhandler(CommunityError)
def community_error(error: CommunityError):
    db.session().rollback()
    if isinstance(error, MembershipRequired):
        status, code = 403, "membership_required"
    elif isinstance(error, NotAllowed):
        status, code = 403, "forbidden"
    else:
        status, code = (400, "invalid") if error.field else (409, "conflict")
    return ApiError(status, code, str(error), error.field).response()


def _community(slug: str) -> Community:
    community = db.session().scalar(select(Community).where(Community.slug == slug))
    if community is None:
        raise ApiError(404, "not_found", f"No community {slug!r}.")
    return community


def _question(question_id: int) -> Question:
    question = db.session().get(Question, question_id)
    if question is None or question.hidden:
        raise ApiError(404, "not_found", f"No question {question_id}.")
    return question


def community_json(community: Community) -> dict:
    session = db.session()
    member = (
        services.membership(session, community, me()) is not None
        if current_user.is_authenticated
        else None
    )
    return {
        "slug": community.slug,
        "name": community.name,
        "condition": community.condition,
        "description": community.description,
        "members": services.member_count(session, community),
        "member": member,
        "url": url_for("community.show", slug=community.slug, _external=True),
    }


def question_json(question: Question, support: int) -> dict:
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


def comment_json(comment: Comment) -> dict:
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


# -- communities ---------------------------------------------------------------------


@bp.get("/communities")
@operation(
    "List communities",
    "communities",
    query=schemas.PageQuery,
    responses={200: schemas.CommunityPage},
)
def list_communities(query: schemas.PageQuery):
    return paged(select(Community).order_by(Community.name, Community.id), query, community_json)


@bp.get("/communities/<slug>")
@operation("Read a community", "communities", responses={200: schemas.Community}, errors=(404,))
def get_community(slug: str):
    return community_json(_community(slug))


def _membership(slug: str, joining: bool) -> dict:
    session = db.session()
    community = _community(slug)
    (services.join if joining else services.leave)(session, community, me())
    session.commit()
    return {
        "community": community.slug,
        "member": joining,
        "members": services.member_count(session, community),
    }


@bp.post("/communities/<slug>/join")
@operation(
    "Join a community",
    "communities",
    auth=True,
    scope="write",
    responses={200: schemas.Membership},
    errors=(404,),
)
def join(slug: str):
    return _membership(slug, True)


@bp.post("/communities/<slug>/leave")
@operation(
    "Leave a community",
    "communities",
    auth=True,
    scope="write",
    responses={200: schemas.Membership},
    errors=(404,),
)
def leave(slug: str):
    return _membership(slug, False)


# -- questions -----------------------------------------------------------------------


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
def list_questions(query: schemas.QuestionQuery):
    community = _community(query.community) if query.community else None
    listed = questions.listed(
        db.session(), community=community, status=query.status, sort=query.sort
    )
    start = (query.page - 1) * query.per_page
    window = listed[start : start + query.per_page]
    return {
        "items": [question_json(item.question, item.support) for item in window],
        "page": query.page,
        "per_page": query.per_page,
        "has_more": len(listed) > start + query.per_page,
    }


@bp.get("/questions/<int:question_id>")
@operation(
    "Read a question and its discussion",
    "questions",
    responses={200: schemas.QuestionDetail},
    errors=(404,),
)
def get_question(question_id: int):
    session = db.session()
    question = _question(question_id)
    comments = session.scalars(
        select(Comment)
        .where(Comment.question_id == question.id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    supported = (
        votes.has_supported(session, question, me()) if current_user.is_authenticated else None
    )
    return {
        **question_json(question, questions.support_count(session, question)),
        "rationale": question.rationale,
        "supported": supported,
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
def propose(slug: str, body: schemas.QuestionCreate):
    session = db.session()
    community = _community(slug)
    question = questions.propose(
        session, community, me(), questions.QuestionText(**body.model_dump()), policy=trust_policy()
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
def comment(question_id: int, body: schemas.CommentCreate):
    session = db.session()
    question = _question(question_id)
    added = discussion.add(
        session, question, me(), body.body, parent_id=body.parent_id, policy=trust_policy()
    )
    session.commit()
    return comment_json(added), 201


def _vote(question_id: int, supporting: bool) -> dict:
    session = db.session()
    question = _question(question_id)
    act = votes.support if supporting else votes.withdraw
    changed = act(session, question, me())
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
def support(question_id: int):
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
def withdraw(question_id: int):
    return _vote(question_id, False)
