"""What a member has contributed, for their profile.

A contribution names its community, so it tells of a membership: others see only
those in communities where they may see the membership (policy.can_see_membership).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal import policy
from portal.accounts.models import User
from portal.community.questions.models import Question, QuestionVote
from portal.community.services import communities_of
from portal.community.threads.models import Comment

RECENT = 10


@dataclass(frozen=True)
class Contributions:
    questions: list[Question]
    question_count: int
    comment_count: int
    support_count: int


def of(db: Session, user: User, viewer: policy.Viewer) -> Contributions:
    """``user``'s contributions as ``viewer`` may see them, listed and counted alike.

    A member who has left a community has no membership left to show, so what they
    posted there counts as kept private: the choice they made while a member holds.
    """
    where = [Question.author_id == user.id, Question.hidden.is_(False)]
    shown = []
    me = policy.signed_in(viewer)
    if me is None or me.id != user.id:
        shown = [
            Question.community_id.in_(
                [membership.community_id for membership in communities_of(db, user, viewer)]
            )
        ]
    return Contributions(
        questions=list(
            db.scalars(
                select(Question)
                .where(*where, *shown)
                .options(joinedload(Question.community))
                .order_by(Question.created_at.desc())
                .limit(RECENT)
            )
        ),
        question_count=db.scalar(select(func.count()).select_from(Question).where(*where, *shown))
        or 0,
        comment_count=db.scalar(
            select(func.count())
            .select_from(Comment)
            .join(Question, Question.id == Comment.question_id)
            .where(
                Comment.author_id == user.id,
                Comment.hidden.is_(False),
                Comment.deleted_at.is_(None),
                *shown,
            )
        )
        or 0,
        support_count=db.scalar(
            select(func.count())
            .select_from(QuestionVote)
            .join(Question, Question.id == QuestionVote.question_id)
            .where(QuestionVote.user_id == user.id, *shown)
        )
        or 0,
    )
