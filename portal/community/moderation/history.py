"""An author's moderation history, as a moderator deciding on their content may see it.

A decision names the community it was made in, so it tells of a membership, and a
membership can tell of a health condition. The viewer sees in full (action, category,
reason, community) only the decisions made where they may see the author's membership
(policy.can_see_membership: the author shows it, or the viewer moderates there) or where
they moderate, and the site admins' account decisions, which belong to no community.

From every other community they learn two account-wide figures, naming nothing:
suspensions and bans (the account is restricted everywhere, so every moderator needs
to know), and how many posts moderators hid there lately, in bands with a floor
(``ELSEWHERE_BANDS``): an exact count would tell a moderator who also reads another
community that the author is whoever was hidden there at the moment the count moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import policy
from portal.accounts import sanctions
from portal.accounts.models import User
from portal.community.models import Community
from portal.community.moderation.models import Appeal, AppealStatus, Decision, ModerationDecision
from portal.community.questions.models import Question
from portal.community.services import communities_of
from portal.community.support.models import SupportPost
from portal.community.threads.models import Comment
from portal.db import utcnow

#: How far back the count of posts hidden elsewhere reaches.
ELSEWHERE_DAYS = 90
#: (lowest count, words) from the top: the count elsewhere is only ever said as a band,
#: and anything under the floor reads the same as none.
ELSEWHERE_BANDS = ((10, "10 or more"), (3, "between 3 and 9"), (0, "fewer than 3"))

_HIDES = [d.value for d in Decision if d.hides]
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
    restriction: str | None
    #: suspensions and bans decided in communities the viewer may not know of
    sanctions_elsewhere: int
    #: posts hidden in those communities in the last ELSEWHERE_DAYS, as a band's words
    hidden_elsewhere: str


def band(count: int) -> str:
    return next(words for lowest, words in ELSEWHERE_BANDS if count >= lowest)


def open_communities(db: Session, user: User, viewer: policy.Viewer) -> set[int]:
    """The communities where ``viewer`` may see what moderators did about ``user``."""
    shown = {membership.community_id for membership in communities_of(db, user, viewer)}
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
        community_id
        for community_id in involved - shown
        if community_id is not None and policy.can_moderate(db, community_id, viewer)
    }


def author_history(
    db: Session,
    user: User,
    viewer: policy.Viewer,
    *,
    exclude: Any = None,
    now: datetime | None = None,
    limit: int = 10,
) -> AuthorHistory:
    now = now or utcnow()
    opened = open_communities(db, user, viewer)
    about = ModerationDecision.user_id == user.id
    seen = ModerationDecision.community_id.is_(None) | ModerationDecision.community_id.in_(opened)
    unseen = ModerationDecision.community_id.is_not(None) & ModerationDecision.community_id.not_in(
        opened
    )
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
    # A decision undone on appeal is no longer held against the author.
    overturned = select(Appeal.decision_id).where(Appeal.status == AppealStatus.OVERTURNED.value)
    sanctioned = db.scalar(
        select(func.count()).where(
            about,
            unseen,
            ModerationDecision.action.in_(_SANCTIONS),
            ModerationDecision.id.not_in(overturned),
        )
    )
    hidden_there = db.scalar(
        select(func.count()).where(
            about,
            unseen,
            ModerationDecision.action.in_(_HIDES),
            ModerationDecision.created_at >= now - timedelta(days=ELSEWHERE_DAYS),
            ModerationDecision.id.not_in(overturned),
        )
    )
    return AuthorHistory(
        user=user,
        account_age_days=max(0, (now - user.created_at).days),
        decisions=listed,
        communities=names,
        warnings=warnings or 0,
        hidden_items=hidden_count(db, user.id, opened, exclude=exclude),
        appeals=appeals or 0,
        restriction=sanctions.restriction(user, now),
        sanctions_elsewhere=sanctioned or 0,
        hidden_elsewhere=band(hidden_there or 0),
    )


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
