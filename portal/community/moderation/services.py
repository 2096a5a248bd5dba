"""Flags from members and the moderation queue. Never commits.

Content flagged by ``FLAGS_TO_HIDE`` different members is hidden at once and
waits in the community's moderation queue, shown with every flag and its author's
history; a moderator then decides (decisions.py), with a reason. Every moderation
action goes to the audit log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community import trust
from portal.community.moderation import decisions, history, targets
from portal.community.moderation.models import (
    NOTE_MAX,
    ContentFlag,
    Decision,
    FlagReason,
    ModerationDecision,
)
from portal.community.questions.models import Question
from portal.community.support.models import SupportPost
from portal.community.threads.models import Comment
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.upsert import insert

FLAGS_TO_HIDE = 3
REASON_MAX = 2000

Target = Question | Comment | SupportPost


def _kind(target: Target) -> str:
    return targets.kind_of(target).name


def _flag_column(target: Target):
    return getattr(ContentFlag, targets.kind_of(target).flag_column)


def community_id_of(db: Session, target: Target) -> int:
    return targets.kind_of(target).community_id(db, target)


def _subject(target: Target) -> str:
    return targets.subject(target)


def flag(
    db: Session,
    user: User,
    target: Target,
    *,
    reason: str,
    note: str = "",
    limits: trust.TrustPolicy | None = None,
    now: datetime | None = None,
) -> bool:
    """Record ``user``'s flag; True if new. Hides the target at the third flag."""
    now = now or utcnow()
    if reason not in {r.value for r in FlagReason}:
        raise ServiceError("Choose why you are flagging this.", "reason")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(f"Use at most {NOTE_MAX} characters.", "note")
    if target.author_id == user.id:
        raise Conflict(f"You cannot flag your own {_kind(target)}.")
    if isinstance(target, Comment | SupportPost) and target.is_deleted:
        raise Conflict(f"This {_kind(target)} was deleted by its author.")
    trust.ensure_allowed(db, user, "flag", now, limits or trust.TrustPolicy())
    # Lock the target so that concurrent flags are counted one after another: two
    # members adding the third flag at once must still hide it.
    model = type(target)
    db.execute(select(model.id).where(model.id == target.id).with_for_update())
    column = targets.kind_of(target).flag_column
    added = db.execute(
        insert(db, ContentFlag)
        .values(**{column: target.id}, user_id=user.id, reason=reason, note=note, created_at=now)
        .on_conflict_do_nothing()
        .returning(ContentFlag.id)
    ).first()
    if added is None:
        return False
    open_flags = (
        db.scalar(
            select(func.count(func.distinct(ContentFlag.user_id))).where(
                _flag_column(target) == target.id, ContentFlag.resolved_at.is_(None)
            )
        )
        or 0
    )
    db.refresh(target)
    if open_flags >= FLAGS_TO_HIDE and not target.hidden:
        target.hidden = True
        target.hidden_reason = (
            f"Hidden automatically after {open_flags} members flagged it; "
            "a moderator will look at it."
        )
        audit.record(
            db,
            "moderation.auto_hidden",
            subject=_subject(target),
            community_id=community_id_of(db, target),
            flags=open_flags,
        )
    return True


def awaiting_review(
    db: Session, *, comment_ids: Collection[int] = (), question_id: int | None = None
) -> set[int]:
    """Which of these comments (or the question) carry flags no moderator has looked at.

    Hidden content with such flags is "waiting for a moderator"; hidden content without
    them was hidden by a decision, and readers are told that outcome instead.
    """
    found: set[int] = set()
    if comment_ids:
        found.update(
            db.scalars(
                select(ContentFlag.comment_id).where(
                    ContentFlag.comment_id.in_(list(comment_ids)), ContentFlag.resolved_at.is_(None)
                )
            )
        )
    if question_id is not None:
        found.update(
            db.scalars(
                select(ContentFlag.question_id).where(
                    ContentFlag.question_id == question_id, ContentFlag.resolved_at.is_(None)
                )
            )
        )
    return found


def hide(
    db: Session, actor: User, target: Target, *, reason: str, now: datetime | None = None
) -> ModerationDecision:
    return decisions.decide(db, actor, target, Decision.HIDE, reason=reason, now=now)


def restore(
    db: Session, actor: User, target: Target, *, reason: str, now: datetime | None = None
) -> ModerationDecision:
    return decisions.decide(db, actor, target, Decision.RESTORE, reason=reason, now=now)


@dataclass(frozen=True)
class QueueItem:
    kind: str
    target: Target
    #: the question a question or comment belongs to; None for a support post
    question: Question | None
    reasons: list[tuple[str, int]]
    flaggers: int
    notes: list[str]
    #: (who flagged, the reason's label, their note), oldest first
    flags: list[tuple[str, str, str]]
    author: User | None
    #: the author's earlier decisions, warnings, appeals and account age, as the
    #: viewer may see them (history.py)
    history: history.AuthorHistory | None


def queue(db: Session, community_id: int, viewer: policy.Viewer) -> list[QueueItem]:
    """Flagged content of one community that no moderator has looked at yet, with its
    author's history as ``viewer`` may see it."""
    flags = db.execute(
        select(ContentFlag, Question, Comment)
        .outerjoin(Comment, Comment.id == ContentFlag.comment_id)
        .join(Question, Question.id == func.coalesce(ContentFlag.question_id, Comment.question_id))
        .where(Question.community_id == community_id, ContentFlag.resolved_at.is_(None))
        .order_by(ContentFlag.created_at)
    ).all()
    grouped: dict[tuple[str, int], list[tuple[ContentFlag, Question, Comment | None]]] = {}
    for row in flags:
        flag_row, question, comment = row
        key = ("comment", comment.id) if comment is not None else ("question", question.id)
        grouped.setdefault(key, []).append((flag_row, question, comment))
    items = []
    for (kind, _), rows in grouped.items():
        question, flagged_comment = rows[0][1], rows[0][2]
        target: Target = flagged_comment if flagged_comment is not None else question
        reasons = Counter(FlagReason(f.reason).label for f, _, _ in rows)
        items.append(
            QueueItem(
                kind=kind,
                target=target,
                question=question,
                reasons=sorted(reasons.items(), key=lambda kv: -kv[1]),
                flaggers=len(rows),
                notes=[f.note for f, _, _ in rows if f.note],
                flags=[(f.user.name, FlagReason(f.reason).label, f.note) for f, _, _ in rows],
                author=target.author,
                history=(
                    history.author_history(
                        db, target.author, viewer, community_id=community_id, exclude=target
                    )
                    if target.author is not None
                    else None
                ),
            )
        )
    items.extend(_post_items(db, community_id, viewer))
    # Hidden content first: it is waiting on a moderator.
    items.sort(key=lambda item: (not item.target.hidden, -item.flaggers))
    return items


def queue_size(db: Session, community_id: int) -> int:
    """How many items :func:`queue` lists for the community, counted in the database
    without building their authors' histories: its questions, comments and support
    posts that carry a flag no moderator has looked at."""
    waiting = ContentFlag.resolved_at.is_(None)
    questions = (
        select(func.count(func.distinct(ContentFlag.question_id)))
        .join(Question, Question.id == ContentFlag.question_id)
        .where(Question.community_id == community_id, waiting)
    )
    comments = (
        select(func.count(func.distinct(ContentFlag.comment_id)))
        .join(Comment, Comment.id == ContentFlag.comment_id)
        .join(Question, Question.id == Comment.question_id)
        .where(Question.community_id == community_id, waiting)
    )
    posts = (
        select(func.count(func.distinct(ContentFlag.post_id)))
        .join(SupportPost, SupportPost.id == ContentFlag.post_id)
        .where(SupportPost.community_id == community_id, waiting)
    )
    counts = db.execute(
        select(questions.scalar_subquery(), comments.scalar_subquery(), posts.scalar_subquery())
    ).one()
    return sum(counts)


def hidden_content(db: Session, community_id: int) -> tuple[list[Question], list[Comment]]:
    """Everything a moderator has hidden in a community, to restore if need be."""
    questions = db.scalars(
        select(Question)
        .where(Question.community_id == community_id, Question.hidden.is_(True))
        .order_by(Question.created_at.desc())
    ).all()
    comments = db.scalars(
        select(Comment)
        .join(Question, Question.id == Comment.question_id)
        .where(Question.community_id == community_id, Comment.hidden.is_(True))
        .order_by(Comment.created_at.desc())
    ).all()
    return list(questions), list(comments)


# -- support posts ----------------------------------------------------------------------


def _post_items(db: Session, community_id: int, viewer: policy.Viewer) -> list[QueueItem]:
    """Flagged support posts of one community that no moderator has looked at yet."""
    rows = db.execute(
        select(ContentFlag, SupportPost)
        .join(SupportPost, SupportPost.id == ContentFlag.post_id)
        .where(SupportPost.community_id == community_id, ContentFlag.resolved_at.is_(None))
        .order_by(ContentFlag.created_at)
    ).all()
    grouped: dict[int, list[ContentFlag]] = {}
    posts: dict[int, SupportPost] = {}
    for flag_row, post in rows:
        grouped.setdefault(post.id, []).append(flag_row)
        posts[post.id] = post
    items = []
    for post_id, flags in grouped.items():
        post = posts[post_id]
        author = post.author
        items.append(
            QueueItem(
                kind="post",
                target=post,
                question=None,
                reasons=sorted(
                    Counter(FlagReason(f.reason).label for f in flags).items(),
                    key=lambda kv: -kv[1],
                ),
                flaggers=len(flags),
                notes=[f.note for f in flags if f.note],
                flags=[(f.user.name, FlagReason(f.reason).label, f.note) for f in flags],
                author=author,
                history=(
                    history.author_history(
                        db, author, viewer, community_id=community_id, exclude=post
                    )
                    if author is not None
                    else None
                ),
            )
        )
    return items


def awaiting_posts(db: Session, post_ids: Collection[int]) -> set[int]:
    """Which of these support posts carry flags no moderator has looked at."""
    if not post_ids:
        return set()
    return set(
        db.scalars(
            select(ContentFlag.post_id).where(
                ContentFlag.post_id.in_(list(post_ids)), ContentFlag.resolved_at.is_(None)
            )
        )
    )


def hidden_posts(db: Session, community_id: int) -> list[SupportPost]:
    """Support posts a moderator (or enough flags) has hidden in a community."""
    return list(
        db.scalars(
            select(SupportPost)
            .where(SupportPost.community_id == community_id, SupportPost.hidden.is_(True))
            .order_by(SupportPost.created_at.desc())
        )
    )
