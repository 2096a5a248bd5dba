"""Flags from members, and moderators hiding or restoring content. Never commits.

Content flagged by ``FLAGS_TO_HIDE`` different members is hidden at once and
waits in the community's moderation queue; a moderator then hides it for good or
restores it, with a reason. Every moderation action goes to the audit log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community import trust
from portal.community.moderation.models import NOTE_MAX, ContentFlag, FlagReason
from portal.community.questions.models import Question
from portal.community.support.models import SupportPost
from portal.community.threads.models import Comment
from portal.db import rows_changed, utcnow
from portal.errors import Conflict, NotFound, ServiceError
from portal.upsert import insert

FLAGS_TO_HIDE = 3
REASON_MAX = 2000

Target = Question | Comment | SupportPost


def _kind(target: Target) -> str:
    if isinstance(target, SupportPost):
        return "post"
    return "question" if isinstance(target, Question) else "comment"


def _flag_column(target: Target):
    if isinstance(target, SupportPost):
        return ContentFlag.post_id
    return ContentFlag.question_id if isinstance(target, Question) else ContentFlag.comment_id


def community_id_of(db: Session, target: Target) -> int:
    if isinstance(target, Question | SupportPost):
        return target.community_id
    community_id = db.scalar(select(Question.community_id).where(Question.id == target.question_id))
    if community_id is None:  # a comment always belongs to a question; this one's went
        raise NotFound("That discussion no longer exists.")
    return community_id


def _subject(target: Target) -> str:
    return f"{_kind(target)}:{target.id}"


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
    column = _flag_column(target).key
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


def _resolve(db: Session, target: Target, actor: User, now: datetime) -> int:
    return rows_changed(
        db,
        update(ContentFlag)
        .where(_flag_column(target) == target.id, ContentFlag.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=actor.id),
    )


def _decide(
    db: Session, actor: User, target: Target, *, hide: bool, reason: str, now: datetime | None
) -> None:
    now = now or utcnow()
    community_id = community_id_of(db, target)
    policy.require_moderator(db, community_id, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason: it is kept in the audit log.", "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Use at most {REASON_MAX} characters.", "reason")
    target.hidden = hide
    target.hidden_reason = reason if hide else ""
    resolved = _resolve(db, target, actor, now)
    audit.record(
        db,
        "moderation.hidden" if hide else "moderation.restored",
        actor_id=actor.id,
        subject=_subject(target),
        community_id=community_id,
        reason=reason,
        flags_resolved=resolved,
    )


def hide(
    db: Session, actor: User, target: Target, *, reason: str, now: datetime | None = None
) -> None:
    _decide(db, actor, target, hide=True, reason=reason, now=now)


def restore(
    db: Session, actor: User, target: Target, *, reason: str, now: datetime | None = None
) -> None:
    _decide(db, actor, target, hide=False, reason=reason, now=now)


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
    #: how much of the author's other content moderators have hidden before
    author_hidden: int


def queue(db: Session, community_id: int) -> list[QueueItem]:
    """Flagged content of one community that no moderator has looked at yet."""
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
                author_hidden=_hidden_count(db, target.author_id, exclude=target),
            )
        )
    items.extend(_post_items(db, community_id))
    # Hidden content first: it is waiting on a moderator.
    items.sort(key=lambda item: (not item.target.hidden, -item.flaggers))
    return items


def _hidden_count(db: Session, author_id: int | None, *, exclude: Target) -> int:
    """The author's other questions and comments that are hidden, anywhere."""
    if author_id is None:
        return 0
    questions = select(func.count()).where(Question.author_id == author_id, Question.hidden)
    comments = select(func.count()).where(Comment.author_id == author_id, Comment.hidden)
    posts = select(func.count()).where(SupportPost.author_id == author_id, SupportPost.hidden)
    if isinstance(exclude, Question):
        questions = questions.where(Question.id != exclude.id)
    elif isinstance(exclude, SupportPost):
        posts = posts.where(SupportPost.id != exclude.id)
    else:
        comments = comments.where(Comment.id != exclude.id)
    return (db.scalar(questions) or 0) + (db.scalar(comments) or 0) + (db.scalar(posts) or 0)


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


def _post_items(db: Session, community_id: int) -> list[QueueItem]:
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
    return [
        QueueItem(
            kind="post",
            target=posts[post_id],
            question=None,
            reasons=sorted(
                Counter(FlagReason(f.reason).label for f in flags).items(), key=lambda kv: -kv[1]
            ),
            flaggers=len(flags),
            notes=[f.note for f in flags if f.note],
            flags=[(f.user.name, FlagReason(f.reason).label, f.note) for f in flags],
            author=posts[post_id].author,
            author_hidden=_hidden_count(db, posts[post_id].author_id, exclude=posts[post_id]),
        )
        for post_id, flags in grouped.items()
    ]


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
