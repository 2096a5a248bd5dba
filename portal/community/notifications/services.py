"""Following questions, and the on-site notifications followers receive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.community.notifications.models import (
    LINK_MAX,
    MESSAGE_MAX,
    Notification,
    QuestionWatch,
)
from portal.community.questions.models import Question
from portal.db import utcnow
from portal.upsert import insert


def watch(db: Session, question: Question, user: User) -> None:
    """Follow ``question``; following twice is harmless, even when it races."""
    db.execute(
        insert(db, QuestionWatch)
        .values(question_id=question.id, user_id=user.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["question_id", "user_id"])
    )


def unwatch(db: Session, question: Question, user: User) -> None:
    db.execute(
        delete(QuestionWatch).where(
            QuestionWatch.question_id == question.id, QuestionWatch.user_id == user.id
        )
    )


def is_watching(db: Session, question: Question, user: User) -> bool:
    return bool(
        db.scalar(
            select(func.count())
            .select_from(QuestionWatch)
            .where(QuestionWatch.question_id == question.id, QuestionWatch.user_id == user.id)
        )
    )


def notify_watchers(
    db: Session, question: Question, message: str, *, actor: User | None = None
) -> int:
    """Tell every follower of ``question`` except ``actor``; returns how many were told."""
    watchers = db.scalars(
        select(QuestionWatch.user_id).where(QuestionWatch.question_id == question.id)
    ).all()
    now = utcnow()
    told = 0
    for user_id in watchers:
        if actor is not None and user_id == actor.id:
            continue
        db.add(
            Notification(
                user_id=user_id,
                question_id=question.id,
                message=message[:MESSAGE_MAX],
                created_at=now,
            )
        )
        told += 1
    return told


def notify(
    db: Session, user_id: int, message: str, *, link: str = "", question_id: int | None = None
) -> Notification:
    """Tell one member something that concerns them alone (a moderator's decision)."""
    notice = Notification(
        user_id=user_id,
        question_id=question_id,
        message=message[:MESSAGE_MAX],
        link=link[:LINK_MAX],
        created_at=utcnow(),
    )
    db.add(notice)
    return notice


def notifications_for(db: Session, user: User, limit: int = 100) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count(db: Session, user: User) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_all_read(db: Session, user: User, now: datetime | None = None) -> None:
    db.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
