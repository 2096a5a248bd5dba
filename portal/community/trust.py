"""Limits for new accounts, lifted once they have earned trust.

Spam and abuse mostly come from fresh accounts, so an account is limited until it
is a few days old or has made a few contributions that nobody hid. The limits
are counted in the database (not in one process's memory), so they hold across
web processes. Every limit is at least one, so a newcomer's first question,
comment or flag always goes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts import sanctions
from portal.accounts.models import Role, User
from portal.community.models import Membership
from portal.community.moderation.models import ContentFlag
from portal.community.questions.models import Question
from portal.community.support.models import SupportPost
from portal.community.threads.models import Comment
from portal.errors import Conflict


@dataclass(frozen=True)
class TrustPolicy:
    trusted_after_days: int = 3
    trusted_after_contributions: int = 5
    new_account_questions_per_day: int = 2
    new_account_comments_per_hour: int = 10
    new_account_flags_per_day: int = 10

    def __post_init__(self) -> None:
        for name in (
            "new_account_questions_per_day",
            "new_account_comments_per_hour",
            "new_account_flags_per_day",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1: a first post is never blocked")


CONFIG_KEYS = {
    "COMMUNITY_TRUSTED_AFTER_DAYS": "trusted_after_days",
    "COMMUNITY_TRUSTED_AFTER_CONTRIBUTIONS": "trusted_after_contributions",
    "COMMUNITY_NEW_ACCOUNT_QUESTIONS_PER_DAY": "new_account_questions_per_day",
    "COMMUNITY_NEW_ACCOUNT_COMMENTS_PER_HOUR": "new_account_comments_per_hour",
    "COMMUNITY_NEW_ACCOUNT_FLAGS_PER_DAY": "new_account_flags_per_day",
}


def policy_from_config(config: Mapping[str, Any]) -> TrustPolicy:
    return TrustPolicy(
        **{field: int(config[key]) for key, field in CONFIG_KEYS.items() if key in config}
    )


def contributions(db: Session, user: User) -> int:
    """Questions, comments and support posts by ``user`` that are still visible."""
    questions = (
        db.scalar(
            select(func.count())
            .select_from(Question)
            .where(Question.author_id == user.id, Question.hidden.is_(False))
        )
        or 0
    )
    comments = (
        db.scalar(
            select(func.count())
            .select_from(Comment)
            .where(
                Comment.author_id == user.id,
                Comment.hidden.is_(False),
                Comment.deleted_at.is_(None),
            )
        )
        or 0
    )
    posts = (
        db.scalar(
            select(func.count())
            .select_from(SupportPost)
            .where(
                SupportPost.author_id == user.id,
                SupportPost.hidden.is_(False),
                SupportPost.deleted_at.is_(None),
            )
        )
        or 0
    )
    return questions + comments + posts


def is_trusted(db: Session, user: User, now: datetime, policy: TrustPolicy) -> bool:
    if user.has_role(Role.RESEARCHER):
        return True
    if now - user.created_at >= timedelta(days=policy.trusted_after_days):
        return True
    moderates = db.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id == user.id, Membership.role == "moderator")
    )
    if moderates:
        return True
    return contributions(db, user) >= policy.trusted_after_contributions


# Per action: (model, author column, time column, policy field, window, wording).
_LIMITS = {
    "question": (
        Question,
        Question.author_id,
        Question.created_at,
        "new_account_questions_per_day",
        timedelta(days=1),
        ("question", "a day"),
    ),
    "comment": (
        Comment,
        Comment.author_id,
        Comment.created_at,
        "new_account_comments_per_hour",
        timedelta(hours=1),
        ("comment", "an hour"),
    ),
    # Support posts and replies have the same hourly limit as comments, counted apart.
    "post": (
        SupportPost,
        SupportPost.author_id,
        SupportPost.created_at,
        "new_account_comments_per_hour",
        timedelta(hours=1),
        ("post", "an hour"),
    ),
    "flag": (
        ContentFlag,
        ContentFlag.user_id,
        ContentFlag.created_at,
        "new_account_flags_per_day",
        timedelta(days=1),
        ("flag", "a day"),
    ),
}


def ensure_allowed(
    db: Session, user: User, action: str, now: datetime, policy: TrustPolicy
) -> None:
    """Raise Conflict when a new account has reached its limit for ``action``."""
    # Refused before any limit: every request is checked already, and this keeps a
    # command or job that calls the service from posting for a sanctioned account.
    sanctions.require_can_write(user)
    model, author, created, field, window, (noun, per) = _LIMITS[action]
    limit = getattr(policy, field)
    recent = (
        db.scalar(
            select(func.count()).select_from(model).where(author == user.id, created > now - window)
        )
        or 0
    )
    if recent < limit or is_trusted(db, user, now, policy):
        return
    raise Conflict(
        f"New accounts can post {limit} {noun}{'' if limit == 1 else 's'} {per}; you have "
        "reached that for now. "
        f"The limit lifts when your account is {policy.trusted_after_days} days old "
        f"or has {policy.trusted_after_contributions} contributions."
    )
