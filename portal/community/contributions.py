"""What a member has contributed, for their profile."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import User
from portal.community.questions.models import Question, QuestionVote
from portal.community.threads.models import Comment

RECENT = 10


@dataclass(frozen=True)
class Contributions:
    questions: list[Question]
    question_count: int
    comment_count: int
    support_count: int


def of(db: Session, user: User) -> Contributions:
    visible = (Question.author_id == user.id, Question.hidden.is_(False))
    return Contributions(
        questions=list(
            db.scalars(
                select(Question)
                .where(*visible)
                .options(joinedload(Question.community))
                .order_by(Question.created_at.desc())
                .limit(RECENT)
            )
        ),
        question_count=db.scalar(select(func.count()).select_from(Question).where(*visible)) or 0,
        comment_count=db.scalar(
            select(func.count())
            .select_from(Comment)
            .where(
                Comment.author_id == user.id,
                Comment.hidden.is_(False),
                Comment.deleted_at.is_(None),
            )
        )
        or 0,
        support_count=db.scalar(
            select(func.count()).select_from(QuestionVote).where(QuestionVote.user_id == user.id)
        )
        or 0,
    )
