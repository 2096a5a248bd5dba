"""An author's moderation history, as a moderator deciding on their content may see it.

A decision names the community it was made in, so it tells of a membership, and a
membership can tell of a health condition. The viewer sees in full (action, category,
reason, community) only the decisions made in the community whose queue they read, where
they may see the author's membership (policy.can_see_membership: the author shows it, or
the viewer moderates there) or where they moderate, and the site admins' account
decisions, which belong to no community.

From communities whose membership the moderator may not see, nothing is shown except
that the account is currently suspended or banned (it is restricted everywhere, so
every moderator needs to know). No count and no time cross that line: a community's
moderation is public, counted by the week (governance/public_log.py), and its members
see content disappear as it is decided, so a figure that moves when a decision is made
there, or a suspension's end (its start plus a whole number of days), would point at
that decision and so tell that the author is a member there. The end of a suspension
is shown only to site moderators and admins, and to a viewer who may see the decision
that imposed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import policy
from portal.accounts import sanctions
from portal.accounts.models import User
from portal.community.models import Community
from portal.community.moderation.models import Appeal, Decision, ModerationDecision
from portal.community.questions.models import Question
from portal.community.services import communities_of
from portal.community.support.models import SupportPost
from portal.community.threads.models import Comment
from portal.db import utcnow

_SANCTIONS = [d.value for d in Decision if d.sanctions]
_WARNS = [Decision.WARN.value, *_SANCTIONS]


@dataclass(frozen=True)
class AuthorHistory:
    user: User
    account_age_days: int
    #: earlier decisions the viewer may see in full, newest first (at most ``limit``)
    decisions: list[ModerationDecision]
    #: community id -> name, for the decisions listed
    communities: dict[int, str]
    #: warnings, suspensions and bans the viewer may see in full
    warnings: int
    #: the author's other content hidden where the viewer may see their membership
    hidden_items: int
    #: appeals against the decisions listed
    appeals: int
    #: whether the account is suspended or banned now, for a moderator; a suspension's
    #: end only where the viewer may see the decision that imposed it (see restriction)
    restriction: str | None


def open_communities(db: Session, user: User, viewer: policy.Viewer, community_id: int) -> set[int]:
    """The communities where ``viewer``, reading ``community_id``'s queue, may see what
    moderators did about ``user``."""
    # The queue's own community always: its moderator sees its hidden posts even when
    # the author left and no decision of theirs remains (flags hid them).
    shown = {community_id} | {
        membership.community_id for membership in communities_of(db, user, viewer)
    }
    # A moderator knows their own community's decisions, even about a member who left.
    involved = set(
        db.scalars(
            select(ModerationDecision.community_id).where(
                ModerationDecision.user_id == user.id,
                ModerationDecision.community_id.is_not(None),
            )
        )
    )
    return shown | {
        other
        for other in involved - shown
        if other is not None and policy.can_moderate(db, other, viewer)
    }


def author_history(
    db: Session,
    user: User,
    viewer: policy.Viewer,
    *,
    community_id: int,
    exclude: Any = None,
    now: datetime | None = None,
    limit: int = 10,
) -> AuthorHistory:
    """``user``'s history beside their content flagged in ``community_id``."""
    now = now or utcnow()
    opened = open_communities(db, user, viewer, community_id)
    about = ModerationDecision.user_id == user.id
    seen = ModerationDecision.community_id.is_(None) | ModerationDecision.community_id.in_(opened)
    listed = list(
        db.scalars(
            select(ModerationDecision)
            .where(about, seen)
            .order_by(ModerationDecision.created_at.desc(), ModerationDecision.id.desc())
            .limit(limit)
        )
    )
    ids = {d.community_id for d in listed if d.community_id is not None}
    names = dict(
        db.execute(select(Community.id, Community.name).where(Community.id.in_(ids))).all()
    )
    warnings = db.scalar(
        select(func.count()).where(about, seen, ModerationDecision.action.in_(_WARNS))
    )
    appeals = db.scalar(
        select(func.count())
        .select_from(Appeal)
        .join(ModerationDecision, ModerationDecision.id == Appeal.decision_id)
        .where(Appeal.user_id == user.id, seen)
    )
    return AuthorHistory(
        user=user,
        account_age_days=max(0, (now - user.created_at).days),
        decisions=listed,
        communities=names,
        warnings=warnings or 0,
        hidden_items=hidden_count(db, user.id, opened, exclude=exclude),
        appeals=appeals or 0,
        restriction=restriction(db, user, viewer, opened, now),
    )


def restriction(
    db: Session, user: User, viewer: policy.Viewer, opened: set[int], now: datetime
) -> str | None:
    """The account's restriction, in a moderator's words."""
    if sanctions.is_banned(user):
        return "The account is currently banned."
    if not sanctions.is_suspended(user, now):
        return None
    assert user.suspended_until is not None
    # Every suspension overwrites the last one's end, so the latest imposed it.
    imposed_in = db.execute(
        select(ModerationDecision.community_id)
        .where(
            ModerationDecision.user_id == user.id,
            ModerationDecision.action == Decision.SUSPEND.value,
        )
        .order_by(ModerationDecision.created_at.desc(), ModerationDecision.id.desc())
        .limit(1)
    ).first()
    seen = imposed_in is not None and (imposed_in[0] is None or imposed_in[0] in opened)
    if seen or policy.can_sanction_accounts(viewer):
        until = user.suspended_until.strftime("%d %B %Y, %H:%M UTC")
        return f"The account is suspended until {until}."
    return "The account is currently suspended."


def hidden_count(
    db: Session, author_id: int, community_ids: set[int], *, exclude: Any = None
) -> int:
    """The author's hidden questions, comments and support posts in ``community_ids``."""
    counts = [
        select(func.count()).where(
            Question.author_id == author_id,
            Question.hidden,
            Question.community_id.in_(community_ids),
        ),
        select(func.count())
        .select_from(Comment)
        .join(Question, Question.id == Comment.question_id)
        .where(
            Comment.author_id == author_id,
            Comment.hidden,
            Question.community_id.in_(community_ids),
        ),
        select(func.count()).where(
            SupportPost.author_id == author_id,
            SupportPost.hidden,
            SupportPost.community_id.in_(community_ids),
        ),
    ]
    if isinstance(exclude, Question):
        counts[0] = counts[0].where(Question.id != exclude.id)
    elif isinstance(exclude, Comment):
        counts[1] = counts[1].where(Comment.id != exclude.id)
    elif isinstance(exclude, SupportPost):
        counts[2] = counts[2].where(SupportPost.id != exclude.id)
    return sum(db.scalar(count) or 0 for count in counts)
