"""What members can flag: one entry per kind of content, so that flags, decisions, the
queue and appeals handle every kind the same way. A new kind of content becomes
moderatable by adding its entry to ``KINDS`` (and its column on ContentFlag)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.community.models import Community
from portal.community.questions.models import RATIONALE_MAX, Question
from portal.community.support.models import BODY_MAX as POST_MAX
from portal.community.support.models import SupportPost
from portal.community.threads.models import BODY_MAX, Comment
from portal.errors import NotFound


@dataclass(frozen=True)
class TargetKind:
    name: str
    model: type[Any]
    #: ContentFlag's column naming a flag's target of this kind
    flag_column: str
    #: the attribute holding the text a moderator may edit
    text_field: str
    text_max: int
    community_id: Callable[[Session, Any], int]
    #: where the content is read, as a path on this site
    path: Callable[[Session, Any], str]
    #: a line naming the content in a notice ("your comment on “…”")
    describe: Callable[[Session, Any], str]


def _question_community(_db: Session, question: Question) -> int:
    return question.community_id


def _comment_community(db: Session, comment: Comment) -> int:
    community_id = db.scalar(
        select(Question.community_id).where(Question.id == comment.question_id)
    )
    if community_id is None:  # a comment always belongs to a question; this one's went
        raise NotFound("That discussion no longer exists.")
    return community_id


def _slug(db: Session, community_id: int) -> str:
    return db.scalar(select(Community.slug).where(Community.id == community_id)) or ""


def _question_path(db: Session, question: Question) -> str:
    return url_for(
        "community.questions.show",
        slug=_slug(db, question.community_id),
        question_id=question.id,
    )


def _comment_path(db: Session, comment: Comment) -> str:
    question = db.get(Question, comment.question_id)
    assert question is not None
    return url_for(
        "community.questions.show",
        slug=_slug(db, question.community_id),
        question_id=question.id,
        _anchor=f"comment-{comment.id}",
    )


def _post_community(_db: Session, post: SupportPost) -> int:
    return post.community_id


def _post_path(db: Session, post: SupportPost) -> str:
    return url_for(
        "community.support.show",
        slug=_slug(db, post.community_id),
        thread_id=post.root_id,
        _anchor=None if post.is_opening else f"post-{post.id}",
    )


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_question(_db: Session, question: Question) -> str:
    return f"your question “{_short(question.title)}”"


def _describe_comment(db: Session, comment: Comment) -> str:
    title = db.scalar(select(Question.title).where(Question.id == comment.question_id)) or ""
    return f"your comment on “{_short(title)}”"


def _describe_post(db: Session, post: SupportPost) -> str:
    if post.is_opening:
        return f"your post “{_short(post.title or '')}”"
    title = db.scalar(select(SupportPost.title).where(SupportPost.id == post.thread_id)) or ""
    return f"your reply in “{_short(title)}”"


KINDS: dict[str, TargetKind] = {
    "question": TargetKind(
        "question",
        Question,
        "question_id",
        "rationale",
        RATIONALE_MAX,
        _question_community,
        _question_path,
        _describe_question,
    ),
    "comment": TargetKind(
        "comment",
        Comment,
        "comment_id",
        "body",
        BODY_MAX,
        _comment_community,
        _comment_path,
        _describe_comment,
    ),
    "post": TargetKind(
        "post",
        SupportPost,
        "post_id",
        "body",
        POST_MAX,
        _post_community,
        _post_path,
        _describe_post,
    ),
}


def kind_of(target: Any) -> TargetKind:
    for kind in KINDS.values():
        if isinstance(target, kind.model):
            return kind
    raise TypeError(f"{type(target).__name__} cannot be moderated")


def load(db: Session, kind: str, target_id: int) -> Any:
    entry = KINDS.get(kind)
    target = db.get(entry.model, target_id) if entry is not None else None
    if target is None:
        raise NotFound("That content no longer exists.")
    return target


def subject(target: Any) -> str:
    return f"{kind_of(target).name}:{target.id}"
