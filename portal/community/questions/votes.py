"""Supporting a question: one member, one vote, enforced by the database. Never commits."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal import policy
from portal.accounts.models import User
from portal.community.notifications import services as notifications
from portal.community.questions.models import Question, QuestionVote
from portal.db import rows_changed, utcnow
from portal.errors import Conflict
from portal.upsert import insert


def _check_open(question: Question) -> None:
    if question.hidden:
        raise Conflict("This question is hidden while a moderator reviews it.")
    if not question.status_enum.is_open:
        raise Conflict(
            f"This question is {question.status_enum.label}; its support can no longer change."
        )


def support(db: Session, question: Question, user: User) -> bool:
    """Add ``user``'s support; True if it is new, False if they had already supported it.

    The unique (question, user) constraint with ON CONFLICT DO NOTHING makes this
    safe under any number of simultaneous requests: exactly one row can exist.
    """
    _check_open(question)
    policy.require_member(db, question.community, user, "support its questions")
    # RETURNING yields the new row, or nothing when the vote already existed.
    added = (
        db.execute(
            insert(db, QuestionVote)
            .values(question_id=question.id, user_id=user.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["question_id", "user_id"])
            .returning(QuestionVote.id)
        ).first()
        is not None
    )
    notifications.watch(db, question, user)
    return added


def withdraw(db: Session, question: Question, user: User) -> bool:
    """Withdraw ``user``'s support; True if there was support to withdraw."""
    _check_open(question)
    removed = rows_changed(
        db,
        delete(QuestionVote).where(
            QuestionVote.question_id == question.id, QuestionVote.user_id == user.id
        ),
    )
    return removed == 1


def has_supported(db: Session, question: Question, user: User | None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(
        db.scalar(
            select(func.count())
            .select_from(QuestionVote)
            .where(QuestionVote.question_id == question.id, QuestionVote.user_id == user.id)
        )
    )


def supporters(db: Session, question: Question) -> list[int]:
    return list(
        db.scalars(select(QuestionVote.user_id).where(QuestionVote.question_id == question.id))
    )
