"""Threaded comments on questions. Never commits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal import policy
from portal.accounts.models import User
from portal.community import markdown, trust
from portal.community.notifications import services as notifications
from portal.community.questions.models import Question
from portal.community.threads.models import BODY_MAX, Comment
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, ServiceError

#: Replies deeper than this are attached to the deepest allowed level, so that a
#: long back-and-forth stays readable on a phone.
MAX_DEPTH = 5


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError("Write something first.", "body")
    if len(body) > BODY_MAX:
        raise ServiceError(f"Use at most {BODY_MAX:,} characters.", "body")
    if found := markdown.problems(body):
        raise ServiceError(
            "Comments are Markdown, and nothing in them may run. Remove "
            + " and ".join(found)
            + ", then post again.",
            "body",
        )
    return body


def add(
    db: Session,
    question: Question,
    author: User,
    body: str,
    *,
    parent_id: int | None = None,
    limits: trust.TrustPolicy | None = None,
    now: datetime | None = None,
) -> Comment:
    now = now or utcnow()
    if question.hidden:
        raise Conflict("This question is hidden while a moderator reviews it.")
    policy.require_member(db, question.community, author, "join the discussion")
    body = _clean_body(body)
    if parent_id is not None:
        parent = db.get(Comment, parent_id)
        if parent is None or parent.question_id != question.id:
            raise Conflict("The comment you replied to is not in this discussion.")
    trust.ensure_allowed(db, author, "comment", now, limits or trust.TrustPolicy())
    comment = Comment(
        question_id=question.id, author_id=author.id, parent_id=parent_id, body=body, created_at=now
    )
    db.add(comment)
    db.flush()
    notifications.watch(db, question, author)
    return comment


def edit(
    db: Session,
    comment: Comment,
    user: User,
    body: str,
    *,
    window: timedelta,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    if comment.author_id != user.id:
        raise Forbidden("You can only edit your own comments.")
    if not policy.can_edit_comment(user, comment, now, window):
        raise Conflict(
            f"Comments can be edited for {int(window.total_seconds() // 60)} minutes after posting."
        )
    comment.body = _clean_body(body)
    comment.edited_at = now


def delete(db: Session, comment: Comment, user: User, now: datetime | None = None) -> None:
    """Soft delete: the text goes, the place in the thread stays for the replies."""
    if comment.author_id != user.id:
        raise Forbidden("You can only delete your own comments.")
    if comment.is_deleted:
        return
    comment.body = ""
    comment.deleted_at = now or utcnow()


@dataclass
class Node:
    comment: Comment
    depth: int
    replies: list[Node] = field(default_factory=list)


def walk(nodes: list[Node]) -> Iterator[Node]:
    """Every node of a discussion tree, each once."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        stack.extend(node.replies)
        yield node


def thread(db: Session, question: Question) -> list[Node]:
    """The discussion as a tree, oldest first at every level."""
    comments = db.scalars(
        select(Comment)
        .where(Comment.question_id == question.id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    nodes = {c.id: Node(c, 0) for c in comments}
    roots: list[Node] = []
    for comment in comments:
        node = nodes[comment.id]
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        if parent is None:
            roots.append(node)
            continue
        while parent.depth >= MAX_DEPTH and parent.comment.parent_id is not None:
            parent = nodes[parent.comment.parent_id]
        node.depth = parent.depth + 1
        parent.replies.append(node)
    return roots


def comment_count(db: Session, question: Question) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Comment)
            .where(Comment.question_id == question.id, Comment.deleted_at.is_(None))
        )
        or 0
    )
